//! newsdesk-bench: how fast newsdesk serves its pages, measured against the
//! machine's own limit, on SQLite and on PostgreSQL in one run.
//!
//!     cargo run --release --bin newsdesk-bench                 # both databases, 5 s a measurement
//!     cargo run --release --bin newsdesk-bench -- --help       # seconds, connections, which database
//!
//! For every page it prints requests per second, median and 99th-percentile
//! latency, and the ratio to a ceiling: a bare actix-web server in a process
//! of its own, with the same number of workers and no middleware, sending the
//! very bytes (headers and gzip body) newsdesk sent for that page, from
//! memory. The client asks for `gzip, br` as browsers do. The server runs as
//! a child process, so its peak memory is its own.
//!
//! The run: the demo newsroom with a 100-comment discussion (each page type,
//! anonymous and logged in); a mixed run (64 connections reading the busy
//! story while 50 comments a second arrive on it); comment POSTs by 64
//! logged-in readers as fast as they are answered (rate limits lifted),
//! checking that every acknowledged comment was stored; then the same site
//! grown in bulk to 10,000 more stories and 1,000,000 comments, a 100,000-
//! comment discussion among them, and every page type again.
//!
//! Figures, never pass or fail.

mod child;
mod data;
mod http;
mod load;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use newsdesk::config::{DatabaseUrl, new_session_key};
use newsdesk::db::Database;

use child::{Captured, Server};
use load::{Load, Outcome};

#[derive(Parser)]
#[command(name = "newsdesk-bench", about = "Measures newsdesk against a bare server sending the same bytes")]
struct Cli {
    #[command(subcommand)]
    child: Option<ChildMode>,
    /// Seconds each measurement lasts (after a warm-up of a fifth of that).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Keep-alive client connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Client threads (the load generator shares the machine with the server).
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Server worker threads, for newsdesk and the ceiling alike (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
    /// A PostgreSQL server where the benchmark may create (and then drop) its own database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
    /// Only this database: sqlite or postgres.
    #[arg(long)]
    only: Option<String>,
    /// Skip the big site (for a quick look).
    #[arg(long)]
    small_only: bool,
    /// Keep the SQLite database and the server logs afterwards (to study them).
    #[arg(long)]
    keep: bool,
}

#[derive(Subcommand)]
enum ChildMode {
    /// (internal) serve newsdesk for the benchmark
    #[command(hide = true)]
    ServeChild { database_url: String, session_key: String, workers: usize },
    /// (internal) serve one captured response from memory
    #[command(hide = true)]
    CeilingChild { capture: PathBuf, workers: usize },
}

struct Settings {
    seconds: u64,
    connections: usize,
    client_threads: usize,
    workers: usize,
    dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workers = cli.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    match cli.child {
        Some(ChildMode::ServeChild { database_url, session_key, workers }) => {
            return child::serve_newsdesk(database_url, session_key, workers);
        }
        Some(ChildMode::CeilingChild { capture, workers }) => return child::serve_ceiling(&capture, workers),
        None => {}
    }
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("newsdesk-bench-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("newsdesk-bench: cannot create {}: {error}", dir.display());
        return ExitCode::FAILURE;
    }
    let settings = Settings {
        seconds: cli.seconds.max(1),
        connections: cli.connections.max(1),
        client_threads: cli.client_threads.max(1),
        workers,
        dir: dir.clone(),
    };
    println!(
        "newsdesk-bench: {} connections on {} client threads, {} server workers, {} s per measurement (+{} ms warm-up), \
         Accept-Encoding: gzip, br",
        settings.connections,
        settings.client_threads,
        settings.workers,
        settings.seconds,
        warmup(&settings).as_millis()
    );
    let mut failed = false;
    let run_sqlite = cli.only.as_deref().is_none_or(|o| o == "sqlite");
    let run_postgres = cli.only.as_deref().is_none_or(|o| o == "postgres");
    if run_sqlite {
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        if let Err(error) = bench_backend("SQLite", &url, &settings, cli.small_only) {
            eprintln!("newsdesk-bench: SQLite run failed: {error}");
            failed = true;
        }
    }
    if run_postgres {
        match FreshPostgres::create(&cli.postgres) {
            Ok(database) => {
                if let Err(error) = bench_backend("PostgreSQL", &database.url, &settings, cli.small_only) {
                    eprintln!("newsdesk-bench: PostgreSQL run failed: {error}");
                    failed = true;
                }
            }
            Err(error) => {
                eprintln!("\n!!! NOT RUN on PostgreSQL: cannot create a database on {}: {error}\n", cli.postgres);
                failed = true;
            }
        }
    }
    if cli.keep {
        println!("\nkept the SQLite database and server logs in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("\nwall time of the whole run: {:.0} s", started.elapsed().as_secs_f64());
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn warmup(settings: &Settings) -> Duration {
    Duration::from_millis(settings.seconds * 200)
}

/// A database of our own on the PostgreSQL server, dropped at the end.
struct FreshPostgres {
    admin: String,
    name: String,
    url: String,
}

impl FreshPostgres {
    fn create(admin: &str) -> Result<FreshPostgres, String> {
        newsdesk::db::init_tls();
        let mut conn = PgConnection::establish(admin).map_err(|e| e.to_string())?;
        let name = format!("newsdesk_bench_{}", std::process::id());
        // Two statements: neither may run inside a transaction block.
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).map_err(|e| e.to_string())?;
        conn.batch_execute(&format!("CREATE DATABASE {name}")).map_err(|e| e.to_string())?;
        let (server, _) = admin.rsplit_once('/').ok_or("the PostgreSQL URL must end in /DATABASE")?;
        Ok(FreshPostgres { admin: admin.to_string(), url: format!("{server}/{name}"), name })
    }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A measured page: newsdesk and the ceiling with the same bytes.
struct Row {
    name: String,
    bytes: usize,
    ours: Outcome,
    ceiling: Outcome,
}

impl Row {
    fn ratio(&self) -> f64 {
        let ceiling = self.ceiling.per_second();
        if ceiling > 0.0 { self.ours.per_second() / ceiling } else { 0.0 }
    }
}

/// A logged-in reader: the session cookie and the form token.
#[derive(Clone)]
struct Reader {
    cookie: String,
    csrf: String,
}

fn bench_backend(label: &str, url: &str, settings: &Settings, small_only: bool) -> Result<(), String> {
    let started = Instant::now();
    println!("\n## {label}\n");
    let database_url = DatabaseUrl::parse(url)?;
    let db = Database::open(&database_url, 4).map_err(|e| e.to_string())?;
    data::seed_small(&db)?;
    let log = settings.dir.join(format!("server-{}.log", label.to_lowercase()));
    let server = Server::start(
        &["serve-child".into(), url.into(), new_session_key(), settings.workers.to_string()],
        Some(&log),
    )?;
    let addr = server.addr;
    let readers = (0..data::READERS).map(|n| log_in(addr, n)).collect::<Result<Vec<_>, _>>()?;
    let flagship = format!("/articles/{}", data::FLAGSHIP);

    println!(
        "The demo newsroom and 40 older stories (so list pages are full); the flagship story has 100 comments \
         (50 threads of two).\n"
    );
    print_header();
    let small_pages: Vec<(String, String, Option<&Reader>)> = vec![
        ("article, 100 comments".into(), flagship.clone(), None),
        ("article, 100 comments, logged in".into(), flagship.clone(), Some(&readers[0])),
        ("home".into(), "/".into(), None),
        ("section".into(), "/sections/local".into(), None),
        ("author".into(), "/authors/imogen-tarrant".into(), None),
        ("topic".into(), "/tags/flooding".into(), None),
        ("search".into(), "/search?q=harbour+wall".into(), None),
        ("Atom feed".into(), "/feed.atom".into(), None),
        ("comments feed".into(), format!("{flagship}/comments.atom"), None),
    ];
    let mut small = Vec::new();
    for (name, path, reader) in &small_pages {
        let row = measure(settings, addr, name, path, *reader)?;
        print_row(&row, &server);
        small.push(row);
    }

    mixed_run(settings, addr, &flagship, &readers)?;
    post_run(settings, addr, &db, &flagship, &readers)?;

    if !small_only {
        println!("\nGrowing the site in bulk SQL …");
        let big = data::grow_big(&db)?;
        println!(
            "added {} stories and {} comments ({} in the last week, {} under one breaking story) in {:.0} s\n",
            big.articles, big.comments, big.recent_comments, big.breaking_comments, big.seconds
        );
        let breaking = format!("/articles/{}", data::BREAKING);
        let threads = data::threads_of(&db, data::BREAKING)?;
        let last = (threads + 49) / 50;
        print_header();
        let big_pages: Vec<(String, String, Option<&Reader>, Option<usize>)> = vec![
            ("100,000 comments: first page, oldest first".into(), breaking.clone(), None, Some(0)),
            ("100,000 comments: last page, oldest first".into(), format!("{breaking}?page={last}"), None, Some(0)),
            ("100,000 comments: first page, newest first".into(), format!("{breaking}?sort=newest"), None, Some(0)),
            (
                "100,000 comments: last page, newest first".into(),
                format!("{breaking}?sort=newest&page={last}"),
                None,
                Some(0),
            ),
            ("1M site: article, 100,000 comments, logged in".into(), breaking.clone(), Some(&readers[0]), Some(1)),
            ("1M site: article, 90 comments".into(), format!("/articles/{}", big.typical_slug), None, Some(0)),
            ("1M site: home".into(), "/".into(), None, Some(2)),
            ("1M site: section".into(), "/sections/local".into(), None, Some(3)),
            ("1M site: author".into(), format!("/authors/{}", big.author_slug), None, Some(4)),
            ("1M site: topic".into(), format!("/tags/{}", big.tag_slug), None, Some(5)),
            ("1M site: search".into(), "/search?q=harbour+wall".into(), None, Some(6)),
            ("1M site: Atom feed".into(), "/feed.atom".into(), None, Some(7)),
            ("1M site: comments feed".into(), format!("{breaking}/comments.atom"), None, Some(8)),
        ];
        let mut flat = Vec::new();
        for (name, path, reader, compare) in &big_pages {
            let row = measure(settings, addr, name, path, *reader)?;
            print_row(&row, &server);
            if let Some(index) = compare {
                flat.push((
                    row.name.clone(),
                    small[*index].name.clone(),
                    small[*index].ours.per_second() / row.ours.per_second().max(1.0),
                ));
            }
        }
        println!("\nFlat cost (small-site req/s ÷ big-site req/s; the target is ≤ 1.5):\n");
        println!("| big-site page | compared with | slowdown |");
        println!("|---|---|---|");
        for (big, small, factor) in flat {
            println!("| {big} | {small} | {factor:.2}× |");
        }
    }

    println!(
        "\nserver peak RSS (VmHWM) over the {label} run: {} (now {}); {label} run took {:.0} s",
        server.peak_rss_kb().map_or("unknown".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0)),
        server.rss_kb().map_or("unknown".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0)),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_header() {
    println!("| page | bytes sent | req/s | p50 ms | p99 ms | ceiling req/s | ratio | server RSS MB |");
    println!("|---|---|---|---|---|---|---|---|");
}

fn megabytes(kb: Option<u64>) -> String {
    kb.map_or("?".into(), |kb| format!("{:.0}", kb as f64 / 1024.0))
}

fn print_row(row: &Row, server: &Server) {
    println!(
        "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.1} % | {} |",
        row.name,
        row.bytes,
        row.ours.per_second(),
        row.ours.ms(0.50),
        row.ours.ms(0.99),
        row.ceiling.per_second(),
        row.ratio() * 100.0,
        megabytes(server.rss_kb())
    );
    if let Some(odd) = row.ours.unexpected(200) {
        println!("|   ⚠ newsdesk answered {odd} | | | | | | | |");
    }
    if row.ceiling.per_second() < 30_000.0 {
        println!("|   ⚠ ceiling below 30,000 req/s: the load generator may be the limit | | | | | | | |");
    }
}

fn get_request(addr: SocketAddr, path: &str, reader: Option<&Reader>) -> Vec<u8> {
    let mut headers = vec![("Accept-Encoding", "gzip, br"), ("Accept", "text/html,application/xhtml+xml")];
    if let Some(reader) = reader {
        headers.push(("Cookie", reader.cookie.as_str()));
    }
    http::request("GET", addr, path, &headers, None)
}

fn hammer(settings: &Settings, addr: SocketAddr, request: Vec<u8>) -> Outcome {
    let request = Arc::new(request);
    load::run(Load {
        addr,
        request: Arc::new(move |_, _| request.as_ref().clone()),
        connections: settings.connections,
        duration: Duration::from_secs(settings.seconds),
        warmup: warmup(settings),
        rate: None,
        threads: settings.client_threads,
    })
}

/// Measures one page on newsdesk, then the ceiling with its bytes.
fn measure(
    settings: &Settings,
    addr: SocketAddr,
    name: &str,
    path: &str,
    reader: Option<&Reader>,
) -> Result<Row, String> {
    let request = get_request(addr, path, reader);
    let sample = http::fetch(addr, &request)?;
    if sample.head.status != 200 {
        return Err(format!("{path} answered {} before the run", sample.head.status));
    }
    let captured = Captured { status: sample.head.status, headers: sample.head.headers.clone(), body: sample.body };
    let ours = hammer(settings, addr, request);
    let capture = settings.dir.join("capture.bin");
    captured.save(&capture).map_err(|e| e.to_string())?;
    let ceiling = {
        let server = Server::start(
            &["ceiling-child".into(), capture.display().to_string(), settings.workers.to_string()],
            None,
        )?;
        hammer(settings, server.addr, get_request(server.addr, path, reader))
    };
    Ok(Row { name: name.to_string(), bytes: captured.body.len(), ours, ceiling })
}

/// Logs a reader in over HTTP, as a browser would, and reads the comment
/// form's token.
fn log_in(addr: SocketAddr, n: usize) -> Result<Reader, String> {
    let form = http::fetch(addr, &http::request("GET", addr, "/login", &[], None))?;
    let cookie = http::cookies(&form.head).join("; ");
    let csrf = http::csrf_token(&form.text()).ok_or("no token on the log-in form")?;
    let body = format!(
        "csrf_token={csrf}&username={}&password={}&next=%2F",
        data::reader_name(n),
        data::PASSWORD.replace(' ', "+")
    );
    let origin = format!("http://{addr}");
    let answer = http::fetch(
        addr,
        &http::request("POST", addr, "/login", &[("Cookie", &cookie), ("Origin", &origin)], Some(&body)),
    )?;
    if answer.head.status != 303 {
        return Err(format!("log-in of {} answered {}", data::reader_name(n), answer.head.status));
    }
    let cookie = http::cookies(&answer.head).join("; ");
    let page = http::fetch(
        addr,
        &http::request("GET", addr, &format!("/articles/{}", data::FLAGSHIP), &[("Cookie", &cookie)], None),
    )?;
    let csrf = http::csrf_token(&page.text()).ok_or("no comment form after log-in")?;
    Ok(Reader { cookie, csrf })
}

fn post_request(addr: SocketAddr, path: &str, reader: &Reader, text: &str) -> Vec<u8> {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", &reader.csrf)
        .append_pair("body", text)
        .finish();
    let origin = format!("http://{addr}");
    http::request(
        "POST",
        addr,
        &format!("{path}/comments"),
        &[("Cookie", &reader.cookie), ("Origin", &origin), ("Accept-Encoding", "gzip, br")],
        Some(&body),
    )
}

/// Rounds of the mixed run, each paired with a read-only run just before it.
const MIXED_ROUNDS: usize = 3;

/// 64 readers of the busy story while 50 comments a second arrive on it.
///
/// The machine's speed drifts over minutes (other tenants, CPU frequency),
/// so the mixed figure is compared with a read-only run of the same page
/// made just before it, not with the table's figure from earlier, and the
/// pair is made three times: the median ratio is the one to quote.
fn mixed_run(settings: &Settings, addr: SocketAddr, path: &str, readers: &[Reader]) -> Result<(), String> {
    println!(
        "\nMixed: {} connections reading the busy story while comments arrive at 50/s, each round after a \
         read-only run of the same page:\n\n\
         | round | read-only req/s | mixed reads req/s | slowdown | mixed p50 ms | mixed p99 ms | comments acknowledged/s | comment p99 ms |\n\
         |---|---|---|---|---|---|---|---|",
        settings.connections
    );
    let mut slowdowns = Vec::new();
    for round in 1..=MIXED_ROUNDS {
        let quiet = hammer(settings, addr, get_request(addr, path, None));
        let (reads, writes) = mixed_round(settings, addr, path, readers, round)?;
        let slowdown = quiet.per_second() / reads.per_second().max(1.0);
        slowdowns.push(slowdown);
        println!(
            "| {round} | {:.0} | {:.0} | {slowdown:.2}× | {:.2} | {:.2} | {:.1} | {:.2} |",
            quiet.per_second(),
            reads.per_second(),
            reads.ms(0.50),
            reads.ms(0.99),
            writes.with_status(303) as f64 / writes.seconds,
            writes.ms(0.99)
        );
        for (what, outcome, expected) in
            [("reads", &reads, 200), ("comments", &writes, 303), ("read-only", &quiet, 200)]
        {
            if let Some(odd) = outcome.unexpected(expected) {
                println!("  ⚠ {what} answered {odd}");
            }
        }
    }
    slowdowns.sort_by(f64::total_cmp);
    println!("\nMixed-run slowdown, median of {MIXED_ROUNDS} rounds: {:.2}×", slowdowns[MIXED_ROUNDS / 2]);
    Ok(())
}

/// One mixed round: the reads and the comments posted meanwhile.
fn mixed_round(
    settings: &Settings,
    addr: SocketAddr,
    path: &str,
    readers: &[Reader],
    round: usize,
) -> Result<(Outcome, Outcome), String> {
    const POSTERS: usize = 16;
    let posters: Arc<Vec<Reader>> = Arc::new(readers[..POSTERS].to_vec());
    let (post_path, run) = (path.to_string(), std::process::id());
    let writes = std::thread::spawn({
        let (duration, warmup) = (Duration::from_secs(settings.seconds), warmup(settings));
        move || {
            load::run(Load {
                addr,
                request: Arc::new(move |c, n| {
                    post_request(
                        addr,
                        &post_path,
                        &posters[c],
                        &format!("Mixed run {run}, round {round}: comment {c}-{n} on the wall."),
                    )
                }),
                connections: POSTERS,
                duration,
                warmup,
                rate: Some(50.0),
                threads: 1,
            })
        }
    });
    let reads = hammer(settings, addr, get_request(addr, path, None));
    let writes = writes.join().map_err(|_| "the posting thread panicked")?;
    Ok((reads, writes))
}

/// 64 logged-in readers posting comments as fast as they are answered.
fn post_run(
    settings: &Settings,
    addr: SocketAddr,
    db: &Database,
    path: &str,
    readers: &[Reader],
) -> Result<(), String> {
    let readers: Arc<Vec<Reader>> = Arc::new(readers.to_vec());
    let prefix = format!("Bench post {}", std::process::id());
    let post_path = path.to_string();
    let body_prefix = prefix.clone();
    let connections = readers.len();
    let outcome = load::run(Load {
        addr,
        request: Arc::new(move |c, n| {
            post_request(addr, &post_path, &readers[c], &format!("{body_prefix} {c}-{n}: the harbour wall again."))
        }),
        connections,
        duration: Duration::from_secs(settings.seconds),
        warmup: Duration::ZERO,
        rate: None,
        threads: settings.client_threads,
    });
    let stored = data::count_with_prefix(db, &prefix)?;
    let acknowledged = outcome.all_with_status(303);
    println!(
        "\nComment POST, {connections} logged-in readers, each posting as soon as the last answer is in:\n\n\
         | accepted/s | p50 ms | p99 ms | acknowledged (303) | stored | other answers |\n|---|---|---|---|---|---|\n\
         | {:.0} | {:.2} | {:.2} | {acknowledged} | {stored} | {} |",
        outcome.with_status(303) as f64 / outcome.seconds,
        outcome.ms(0.50),
        outcome.ms(0.99),
        outcome.unexpected(303).unwrap_or_else(|| "none".into())
    );
    if (stored as u64) < acknowledged {
        println!("  ⚠ {} acknowledged comments were not stored", acknowledged - stored as u64);
    }
    Ok(())
}
