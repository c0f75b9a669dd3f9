//! Deploys and crashes, on the real binary run as a child process, under
//! comment load, on SQLite and on PostgreSQL:
//!
//! - SIGTERM (and SIGINT): the server stops taking connections, finishes
//!   the requests in flight, and exits 0; every comment it acknowledged is
//!   stored, and no request it took is cut off;
//! - `kill -9`: after a restart every acknowledged comment is there, the
//!   database opens cleanly, and readers' sessions still work.
//!
//! Bounded: a few seconds of load from a handful of loopback clients.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{Backend, Browser, TestDatabase};

const STORY: &str = "/articles/sea-wall-repairs-row";
/// Within the sign-up limit for one address (5).
const POSTERS: usize = 4;

/// One run of the real server on a test database.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Settings shared by every start of the server on one database: the same
/// session key, so cookies survive a restart as they would in production.
struct Setup {
    database: TestDatabase,
    session_key: String,
    port: u16,
}

impl Setup {
    fn new(backend: Backend) -> Option<Setup> {
        let database = TestDatabase::create(backend)?;
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Some(Setup { database, session_key: newsdesk::config::new_session_key(), port })
    }

    /// Starts the server and waits (bounded) until it answers.
    async fn start(&self) -> Server {
        self.start_with(&[]).await
    }

    /// The same with more settings.
    async fn start_with(&self, settings: &[(&str, &str)]) -> Server {
        let base = format!("http://127.0.0.1:{}", self.port);
        let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NEWSDESK_DATABASE_URL", &self.database.url)
            .env("NEWSDESK_BIND", format!("127.0.0.1:{}", self.port))
            .env("NEWSDESK_BASE_URL", &base)
            .env("NEWSDESK_SESSION_KEY", &self.session_key)
            .env("NEWSDESK_LOCAL_HTTP", "true")
            .env("NEWSDESK_DEMO", "true")
            // Many comments a second from each reader.
            .env("NEWSDESK_COMMENT_INTERVAL_SECS", "0")
            .env("NEWSDESK_COMMENT_BURST", "1000000")
            .env("NEWSDESK_WORKERS", "2")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("newsdesk starts");
        // Keep reading its log so it never writes to a closed pipe.
        let log = child.stderr.take().expect("stderr");
        std::thread::spawn(move || BufReader::new(log).lines().map_while(Result::ok).for_each(drop));
        let server = Server { child, base };
        let client = reqwest::Client::new();
        let since = Instant::now();
        loop {
            if let Ok(response) = client.get(format!("{}/", server.base)).send().await
                && response.status() == 200
            {
                return server;
            }
            assert!(since.elapsed() < Duration::from_secs(30), "the server did not answer within 30 s");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What the posting clients saw.
#[derive(Default)]
struct Tally {
    /// Comment ids the server acknowledged with 303.
    acknowledged: Vec<i32>,
    /// Requests that got no answer because no connection was made.
    refused: u32,
    /// Requests whose connection closed with no answer, by their text: the
    /// server's kernel had completed the handshake but the server had
    /// stopped taking connections (it must not have stored them).
    unanswered: Vec<String>,
    /// Requests answered with anything but 303.
    other: Vec<String>,
}

/// `POSTERS` readers posting comments on fresh connections until `stop`.
async fn post_until(server_base: &str, readers: &[Browser], stop: Arc<AtomicBool>) -> Tally {
    let counter = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for reader in readers {
        let token = reader.csrf(STORY).await;
        let cookies = reader.cookies();
        let (stop, counter, base) = (stop.clone(), counter.clone(), server_base.to_string());
        tasks.push(actix_web::rt::spawn(async move {
            // A new connection for every comment: a request is either taken
            // by the server or refused at connect, never both.
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client");
            let mut tally = Tally::default();
            while !stop.load(Ordering::SeqCst) {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let body = format!("Lifecycle comment {n}: the ferry timetable again.");
                let sent = client
                    .post(format!("{base}{STORY}/comments"))
                    .header("Cookie", &cookies)
                    .form(&[("csrf_token", token.as_str()), ("body", body.as_str())])
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 303 => {
                        let location = response.headers().get("location").unwrap().to_str().unwrap().to_string();
                        let id = location.rsplit("comment-").next().and_then(|id| id.parse().ok());
                        tally.acknowledged.push(id.unwrap_or_else(|| panic!("a comment id in {location}")));
                    }
                    Ok(response) => tally.other.push(format!("answered {}", response.status())),
                    Err(error) if error.is_connect() => {
                        tally.refused += 1;
                        // The server is gone: nothing more to send.
                        if tally.refused > 20 {
                            break;
                        }
                        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                    }
                    Err(_) => tally.unanswered.push(body),
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.expect("a poster");
        all.acknowledged.extend(tally.acknowledged);
        all.refused += tally.refused;
        all.unanswered.extend(tally.unanswered);
        all.other.extend(tally.other);
    }
    all
}

/// Readers with accounts, logged in on `server`.
async fn readers(server: &Server, prefix: &str) -> Vec<Browser> {
    let mut readers = Vec::new();
    for n in 0..POSTERS {
        let reader = Browser::new(&server.base);
        let response = reader.signup(&format!("{prefix}{n}"), common::PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-up");
        readers.push(reader);
    }
    readers
}

/// Ids of the acknowledged comments missing from the database.
fn missing(setup: &Setup, acknowledged: &[i32]) -> Vec<i32> {
    let db = newsdesk::db::Database::open(&newsdesk::config::DatabaseUrl::parse(&setup.database.url).unwrap(), 1)
        .expect("the database opens cleanly");
    let mut conn = db.conn().expect("a connection");
    acknowledged
        .iter()
        .copied()
        .filter(|id| newsdesk::models::comment::Comment::by_id(&mut conn, *id).ok().flatten().is_none())
        .collect()
}

/// Which of these comment texts the database holds.
fn stored_bodies(setup: &Setup, bodies: &[String]) -> Vec<String> {
    use diesel::prelude::*;
    use newsdesk::db::schema::comments;
    let db = newsdesk::db::Database::open(&newsdesk::config::DatabaseUrl::parse(&setup.database.url).unwrap(), 1)
        .expect("the database opens cleanly");
    let mut conn = db.conn().expect("a connection");
    let stored: Vec<String> =
        comments::table.filter(comments::body.eq_any(bodies)).select(comments::body).load(&mut *conn).expect("read");
    stored
}

fn signal(server: &Server, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(server.child.id()).expect("a pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "signal sent");
}

/// Waits (bounded) for the server to exit and returns its status.
fn exit_of(server: &mut Server, within: Duration) -> std::process::ExitStatus {
    let since = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            return status;
        }
        assert!(since.elapsed() < within, "still running {within:?} after the signal");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Load for a moment, then the signal, then load until the server is gone.
async fn under_load(server: &Server, readers: &[Browser], then: impl FnOnce()) -> Tally {
    let stop = Arc::new(AtomicBool::new(false));
    let load = post_until(&server.base, readers, stop.clone());
    let signal_later = async {
        // Long enough for comments to be in flight at the moment of the signal.
        actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        then();
        // The posters stop by themselves once connections are refused.
        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
        stop.store(true, Ordering::SeqCst);
    };
    let (tally, ()) = futures_util::future::join(load, signal_later).await;
    tally
}

async fn a_deploy_loses_nothing(backend: Backend, which: libc::c_int, name: &str) {
    let Some(setup) = Setup::new(backend) else { return };
    let mut server = setup.start().await;
    let readers = readers(&server, &format!("deploy_{name}_")).await;
    let tally = under_load(&server, &readers, || signal(&server, which)).await;
    let status = exit_of(&mut server, Duration::from_secs(30));
    eprintln!(
        "{name}: {} acknowledged, {} refused after the stop, {} unanswered, {} other; exit {status}",
        tally.acknowledged.len(),
        tally.refused,
        tally.unanswered.len(),
        tally.other.len()
    );
    assert!(status.success(), "{name}: exit 0, got {status}");
    assert!(tally.other.is_empty(), "{name}: refused with an answer: {:?}", tally.other);
    // A connection still in the kernel's queue when the server stops is
    // reset: at most one per poster, and never one the server took.
    assert!(tally.unanswered.len() <= POSTERS, "{name}: {} requests unanswered", tally.unanswered.len());
    assert_eq!(stored_bodies(&setup, &tally.unanswered), Vec::<String>::new(), "{name}: stored yet unanswered");
    assert!(tally.acknowledged.len() > 10, "{name}: the load ran");
    assert!(tally.refused > 0, "{name}: the server stopped taking connections");
    assert_eq!(missing(&setup, &tally.acknowledged), Vec::<i32>::new(), "{name}: acknowledged comments stored");
}

async fn sigterm_finishes_what_it_took(backend: Backend) {
    a_deploy_loses_nothing(backend, libc::SIGTERM, "SIGTERM").await;
}

async fn sigint_finishes_what_it_took(backend: Backend) {
    a_deploy_loses_nothing(backend, libc::SIGINT, "SIGINT").await;
}

async fn kill_9_loses_no_acknowledged_comment(backend: Backend) {
    let Some(setup) = Setup::new(backend) else { return };
    let mut server = setup.start().await;
    let readers = readers(&server, "crash_").await;
    let tally = under_load(&server, &readers, || signal(&server, libc::SIGKILL)).await;
    let status = exit_of(&mut server, Duration::from_secs(10));
    eprintln!("kill -9: {} acknowledged before the kill ({status})", tally.acknowledged.len());
    assert!(tally.acknowledged.len() > 10, "the load ran");
    drop(server);

    // Started again on the same database: it opens, and has every comment.
    let server = setup.start().await;
    assert_eq!(missing(&setup, &tally.acknowledged), Vec::<i32>::new(), "acknowledged comments survive kill -9");
    let (status, page) = Browser::new(&server.base).page(STORY).await;
    assert_eq!(status, 200);
    assert!(page.contains("Lifecycle comment"), "the comments show");
    // Sessions from before the crash still work.
    for reader in &readers {
        let again = Browser::with_cookies(&server.base, &reader.cookies());
        assert!(again.logged_in_as().await.is_some(), "a reader is still logged in after the restart");
    }
}

/// With a drain period, a stopping server still serves but tells the load
/// balancer, on `/readyz`, to send readers elsewhere; then it stops.
#[actix_web::test]
async fn a_draining_server_says_so_and_still_serves() {
    let Some(setup) = Setup::new(Backend::Sqlite) else { return };
    let mut server = setup.start_with(&[("NEWSDESK_DRAIN_SECS", "3")]).await;
    let client = reqwest::Client::new();
    let readyz = format!("{}/readyz", server.base);
    assert_eq!(client.get(&readyz).send().await.unwrap().status(), 200);
    signal(&server, libc::SIGTERM);
    let since = Instant::now();
    loop {
        let answer = client.get(&readyz).send().await.expect("still serving while it drains");
        if answer.status() == 503 {
            assert_eq!(answer.text().await.unwrap(), "not ready: stopping");
            break;
        }
        assert!(since.elapsed() < Duration::from_secs(2), "/readyz still ready 2 s after SIGTERM");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let page = client.get(format!("{}{STORY}", server.base)).send().await.expect("pages still served");
    assert_eq!(page.status(), 200);
    let status = exit_of(&mut server, Duration::from_secs(30));
    assert!(status.success(), "exit 0 after the drain, got {status}");
    assert!(since.elapsed() >= Duration::from_secs(2), "served through the drain period");
}

on_both_backends!(sigterm_finishes_what_it_took, sigint_finishes_what_it_took, kill_9_loses_no_acknowledged_comment);
