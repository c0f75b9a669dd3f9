//! More than the server can serve: a flood of page requests gets quick
//! 503s with `Retry-After` instead of a queue that answers everyone late,
//! logged-in readers can still post while it lasts, and clients that send
//! their request a byte a second neither hold up others nor stay forever.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Backend, TestApp};

const STORY: &str = "/articles/sea-wall-repairs-row";
/// Page requests the test server works on at once before turning more away.
const ADMITTED: usize = 8;
/// Concurrent page requests in the flood: several times what is admitted.
const FLOOD: usize = 48;

/// What the flood's clients saw.
#[derive(Default)]
struct FloodTally {
    served: u32,
    turned_away: u32,
    slowest_turn_away: Duration,
    odd: Vec<String>,
}

async fn flood(app: &TestApp, stop: Arc<AtomicBool>) -> FloodTally {
    let client = reqwest::Client::builder().pool_max_idle_per_host(FLOOD).build().expect("client");
    let mut tasks = Vec::new();
    for n in 0..FLOOD {
        let (client, stop, base) = (client.clone(), stop.clone(), app.address.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let mut tally = FloodTally::default();
            let mut round = 0;
            while !stop.load(Ordering::SeqCst) {
                round += 1;
                // Searches nobody made before: real database work each time.
                let url = format!("{base}/search?q=harbour+{n}x{round}");
                let since = Instant::now();
                let Ok(response) = client.get(&url).send().await else {
                    tally.odd.push("no answer".into());
                    continue;
                };
                let took = since.elapsed();
                match response.status().as_u16() {
                    200 => tally.served += 1,
                    503 => {
                        tally.turned_away += 1;
                        tally.slowest_turn_away = tally.slowest_turn_away.max(took);
                        if !response.headers().contains_key("retry-after") {
                            tally.odd.push("a 503 without Retry-After".into());
                        }
                    }
                    other => tally.odd.push(format!("answered {other}")),
                }
                let _ = response.bytes().await;
            }
            tally
        }));
    }
    let mut all = FloodTally::default();
    for task in tasks {
        let tally = task.await.expect("a flood task");
        all.served += tally.served;
        all.turned_away += tally.turned_away;
        all.slowest_turn_away = all.slowest_turn_away.max(tally.slowest_turn_away);
        all.odd.extend(tally.odd);
    }
    all
}

async fn a_flood_is_turned_away_quickly_and_readers_still_post(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, |config| {
        config.max_in_flight = ADMITTED;
        common::unlimited(config);
    })
    .await
    else {
        return;
    };
    let reader = app.reader("flood_poster").await;
    let token = reader.csrf(STORY).await;

    let stop = Arc::new(AtomicBool::new(false));
    let flooding = flood(&app, stop.clone());
    let posting = async {
        // The flood under way first.
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        let mut accepted = Vec::new();
        for n in 0..20 {
            let body = format!("Comment {n} during the flood: the harbour road is shut.");
            let since = Instant::now();
            let response =
                reader.post(&format!("{STORY}/comments"), &[("csrf_token", token.as_str()), ("body", &body)]).await;
            let took = since.elapsed();
            accepted.push(response.status() == 303 && took <= Duration::from_secs(2));
            eprintln!("comment {n}: {} in {} ms", response.status(), took.as_millis());
        }
        stop.store(true, Ordering::SeqCst);
        accepted
    };
    let (tally, accepted) = futures_util::future::join(flooding, posting).await;
    let posted = accepted.iter().filter(|ok| **ok).count();
    eprintln!(
        "flood: {} served, {} turned away (slowest {} ms); {posted} of 20 comments accepted within 2 s",
        tally.served,
        tally.turned_away,
        tally.slowest_turn_away.as_millis()
    );
    assert!(tally.odd.is_empty(), "every flood answer is 200 or 503 with Retry-After: {:?}", &tally.odd[..]);
    assert!(tally.turned_away > 0, "a flood past the limit is turned away");
    assert!(tally.served > 0, "what is admitted is served");
    assert!(tally.slowest_turn_away < Duration::from_secs(1), "turned away quickly: {:?}", tally.slowest_turn_away);
    assert!(posted >= 19, "at least 19 of 20 comments accepted within 2 s, got {posted}");
}

async fn slow_clients_hold_up_nobody(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let address = app.address.trim_start_matches("http://").to_string();
    // 500 clients each starting a request and sending one more byte of it a
    // second. Blocking sockets, on threads of their own: the test's own
    // thread also runs part of the server.
    let slow: Vec<TcpStream> = actix_web::rt::task::spawn_blocking(move || {
        (0..500)
            .map(|_| {
                let mut stream = TcpStream::connect(&address).expect("connect");
                stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").expect("start a request");
                stream
            })
            .collect()
    })
    .await
    .expect("connecting");
    let trickling = Arc::new(AtomicBool::new(true));
    let trickle = {
        let trickling = trickling.clone();
        let mut streams: Vec<TcpStream> = slow.iter().map(|s| s.try_clone().expect("clone")).collect();
        std::thread::spawn(move || {
            while trickling.load(Ordering::SeqCst) {
                for stream in &mut streams {
                    let _ = stream.write_all(b"a");
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };

    // Everyone else is served as usual meanwhile.
    let client = reqwest::Client::new();
    for path in ["/", STORY, "/sections/local", "/search?q=ferry", "/feed.atom"] {
        let since = Instant::now();
        let status = client.get(app.url(path)).send().await.expect("answered").status();
        assert_eq!(status, 200, "{path}");
        assert!(since.elapsed() < Duration::from_secs(2), "{path} took {:?} beside 500 slow clients", since.elapsed());
    }

    // And the slow ones are let go once their time for a request is up.
    let deadline = Instant::now() + newsdesk::CLIENT_REQUEST_TIMEOUT + Duration::from_secs(10);
    let closed = actix_web::rt::task::spawn_blocking(move || {
        let mut closed = 0;
        for mut stream in slow {
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            stream.set_read_timeout(Some(left)).ok();
            let mut answer = Vec::new();
            // 408 then end of stream, or a reset: either way the server let go.
            match stream.read_to_end(&mut answer) {
                Ok(_) => closed += 1,
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
                Err(_) => {}
            }
        }
        closed
    })
    .await
    .expect("reading");
    trickling.store(false, Ordering::SeqCst);
    trickle.join().expect("trickle thread");
    assert_eq!(closed, 500, "every slow client let go within the request timeout (and 10 s)");
}

on_both_backends!(a_flood_is_turned_away_quickly_and_readers_still_post, slow_clients_hold_up_nobody);
