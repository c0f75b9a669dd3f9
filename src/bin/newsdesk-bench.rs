//! A load benchmark: serves the demo newsroom (plus a 200-comment
//! discussion) from a fresh database and hammers a few page types over
//! keep-alive HTTP, then prints throughput, latency percentiles and the
//! server's peak memory. Run it in release mode:
//!
//!     cargo run --release --bin newsdesk-bench -- [SECONDS] [CONNECTIONS] [DATABASE_URL]
//!
//! Figures, never pass/fail: compare them across changes on one machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use actix_web::web;
use newsdesk::config::{Config, RawSettings, new_session_key};
use newsdesk::db::Database;
use newsdesk::models::comment::{self, Comment, Placement};
use newsdesk::models::{Article, Role, User};
use newsdesk::state::{AppState, now};

const PAGES: [(&str, &str); 6] = [
    ("home", "/"),
    ("article, 200 comments", "/articles/storm-surge-breaches-callowhaven-harbour-wall"),
    ("article, no comments", "/articles/lantern-theatre-winter-season"),
    ("section", "/sections/local"),
    ("search", "/search?q=harbour+wall"),
    ("atom feed", "/feed.atom"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let connections: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let dir = std::env::temp_dir().join(format!("newsdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = args.get(3).cloned().unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let config = Config::from_raw(RawSettings {
        database_url: Some(database_url),
        base_url: Some(format!("http://{address}")),
        session_key: Some(new_session_key()),
        ..RawSettings::default()
    })?;
    let db = Database::open(&config.database, config.pool_size)?;
    seed(&db)?;
    let state = web::Data::new(AppState::new(config, db));
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            if let Ok(server) = newsdesk::serve(state, listener, None) {
                let _ = server.await;
            }
        })
    });

    println!("newsdesk-bench: {connections} keep-alive connections, {seconds} s per page, http://{address}");
    println!("{:<24} {:>10} {:>9} {:>9} {:>9} {:>10}", "page", "req/s", "p50 ms", "p95 ms", "p99 ms", "bytes");
    for (name, path) in PAGES {
        let (count, mut latencies, bytes) =
            hammer(&address.to_string(), path, connections, Duration::from_secs(seconds))?;
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1000.0;
        println!(
            "{name:<24} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>10}",
            count as f64 / seconds as f64,
            at(0.50),
            at(0.95),
            at(0.99),
            bytes
        );
    }
    println!(
        "peak memory of this process, server and clients (VmHWM): {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Demo content, and a long discussion under the flagship story.
fn seed(db: &Database) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = db.conn()?;
    newsdesk::import::load_demo_if_empty(&mut conn, now())?;
    let article =
        Article::id_by_slug(&mut conn, "storm-surge-breaches-callowhaven-harbour-wall")?.ok_or("no flagship")?;
    let mut users = Vec::new();
    for n in 0..10 {
        let name = format!("bench_reader_{n}");
        if let Ok(user) = User::create(&mut conn, &name, &name, "unused", Role::Reader, now())? {
            users.push(user.id);
        }
    }
    let mut parent: Option<Comment> = None;
    for n in 0..200 {
        let placement = match (&parent, n % 3) {
            (Some(p), 1 | 2) => Placement::reply_to(p),
            _ => Placement::TOP_LEVEL,
        };
        let body = format!("Comment {n}: the sea wall has been a worry for years. https://example.org/report/{n}");
        let id =
            Comment::insert(&mut conn, article, users[n % users.len()], placement, &body, comment::PUBLISHED, now())?;
        parent = Comment::by_id(&mut conn, id)?;
    }
    Ok(())
}

/// GETs `path` on every connection until the time is up; returns the
/// number of responses, each latency, and the size of one response body.
fn hammer(
    address: &str,
    path: &str,
    connections: usize,
    duration: Duration,
) -> Result<(usize, Vec<Duration>, usize), Box<dyn std::error::Error>> {
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (address, path) = (address.to_string(), path.to_string());
            std::thread::spawn(move || -> std::io::Result<(Vec<Duration>, usize)> {
                let stream = TcpStream::connect(&address)?;
                stream.set_nodelay(true)?;
                let mut reader = BufReader::new(stream.try_clone()?);
                let mut writer = stream;
                let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept-Encoding: identity\r\n\r\n");
                let (mut latencies, mut size) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let start = Instant::now();
                    writer.write_all(request.as_bytes())?;
                    size = read_response(&mut reader)?;
                    latencies.push(start.elapsed());
                }
                Ok((latencies, size))
            })
        })
        .collect();
    let (mut all, mut size) = (Vec::new(), 0);
    for worker in workers {
        let (latencies, bytes) = worker.join().map_err(|_| "a client thread panicked")??;
        all.extend(latencies);
        size = bytes;
    }
    Ok((all.len(), all, size))
}

/// Reads one HTTP/1.1 response with a Content-Length; returns its body size.
fn read_response(reader: &mut BufReader<TcpStream>) -> std::io::Result<usize> {
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(length)
}

fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}
