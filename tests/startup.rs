//! Starting the binary: the zero-configuration default, and bad settings
//! that must stop it with one clear line instead of a panic.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The longest a test waits for the binary to exit or to be ready; a
/// start-up that hangs fails the test instead of hanging the suite.
const PATIENCE: Duration = Duration::from_secs(60);

fn newsdesk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    for (var, _) in newsdesk::config::SETTINGS {
        command.env_remove(var);
    }
    command.env("RUST_LOG", "info");
    command
}

/// Runs the binary to completion and returns its exit code and stderr. It
/// is killed, and the test fails, if it has not finished within `PATIENCE`.
fn fails_with(command: &mut Command) -> (i32, String) {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (done, finished) = channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        let _ = done.send(String::from_utf8_lossy(&text).to_string());
    });
    // Its standard error closes when it exits.
    let Ok(stderr) = finished.recv_timeout(PATIENCE) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("newsdesk did not exit within {PATIENCE:?}");
    };
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), stderr)
}

fn assert_one_clear_line(stderr: &str, must_contain: &[&str]) {
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "no panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    for part in must_contain {
        assert!(lines[0].contains(part), "\"{part}\" in: {}", lines[0]);
    }
}

#[test]
fn a_wrong_database_scheme_is_named() {
    let (code, stderr) =
        fails_with(newsdesk().arg("migrate").env("NEWSDESK_DATABASE_URL", "mysql://root@localhost/news"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["NEWSDESK_DATABASE_URL", "mysql"]);
}

#[test]
fn database_url_is_read_from_database_url_too() {
    let (code, stderr) = fails_with(newsdesk().arg("migrate").env("DATABASE_URL", "redis://127.0.0.1"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["redis"]);
}

#[test]
fn unreachable_postgres_reports_the_servers_own_error() {
    let (code, stderr) =
        fails_with(newsdesk().arg("migrate").env("NEWSDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:1/news"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["cannot connect to PostgreSQL", "127.0.0.1", "refused"]);
}

#[test]
fn an_unusable_sqlite_path_is_explained() {
    let (code, stderr) =
        fails_with(newsdesk().arg("migrate").env("NEWSDESK_DATABASE_URL", "sqlite:///no/such/dir/news.db"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["/no/such/dir", "does not exist"]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = fails_with(newsdesk().arg("migrate").env("NEWSDESK_DATABASE_URL", dir.path()));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["cannot open the SQLite database", "directory"]);
}

#[test]
fn bad_bind_and_base_url_are_named() {
    let (code, stderr) = fails_with(newsdesk().arg("serve").env("NEWSDESK_BIND", "everywhere"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["NEWSDESK_BIND", "everywhere"]);
    let (code, stderr) = fails_with(newsdesk().arg("serve").env("NEWSDESK_BASE_URL", "news.example.org"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["NEWSDESK_BASE_URL"]);
}

/// NEWSDESK_DEMO=maybe used to stop the program with clap's "invalid value
/// 'maybe' for '--demo'", which does not say which variable to fix.
#[test]
fn a_refused_setting_names_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let (code, stderr) =
        fails_with(newsdesk().arg("migrate").env("NEWSDESK_DATABASE_URL", &url).env("NEWSDESK_DEMO", "maybe"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["NEWSDESK_DEMO (--demo)", "\"maybe\"", "use 1/0, true/false, yes/no or on/off"]);
    let (code, stderr) =
        fails_with(newsdesk().arg("migrate").env("NEWSDESK_DATABASE_URL", &url).env("NEWSDESK_POOL_SIZE", "lots"));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["NEWSDESK_POOL_SIZE (--pool-size)", "\"lots\" is not a whole number"]);
    assert!(!dir.path().join("site.db").exists(), "refused before the database was touched");
}

#[test]
fn a_taken_port_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) =
        fails_with(newsdesk().current_dir(dir.path()).env("NEWSDESK_BIND", taken.local_addr().unwrap().to_string()));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["NEWSDESK_BIND", "cannot listen"]);
}

/// A running server, killed when the test ends however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `newsdesk` and waits for the line saying it is ready. A thread
/// keeps reading its log afterwards, so the server never writes to a closed pipe.
fn start(command: &mut Command) -> (Running, String) {
    let mut child = command.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = String::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
                if line.contains("starting service") {
                    std::thread::spawn(move || received.iter().for_each(drop));
                    return (running, log);
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!("newsdesk was not ready within {PATIENCE:?}:\n{log}"),
            Err(RecvTimeoutError::Disconnected) => panic!("newsdesk exited before it was ready:\n{log}"),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[actix_web::test]
async fn zero_config_creates_the_database_and_serves_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, log) = start(newsdesk().current_dir(dir.path()).env("NEWSDESK_BIND", format!("127.0.0.1:{port}")));
    assert!(log.contains(&format!("open http://127.0.0.1:{port} in your browser")), "{log}");
    assert!(log.contains("loaded the demo newsroom: 16 articles"), "{log}");
    assert!(dir.path().join("newsdesk.db").is_file());
    let body = reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap().text().await.unwrap();
    assert!(body.contains("Storm surge breaches Callowhaven harbour wall"));
}

#[actix_web::test]
async fn an_operator_database_gets_no_demo_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let port = free_port();
    let (server, log) =
        start(newsdesk().env("NEWSDESK_DATABASE_URL", &url).env("NEWSDESK_BIND", format!("127.0.0.1:{port}")));
    assert!(!log.contains("demo"), "{log}");
    let body = reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap().text().await.unwrap();
    assert!(body.contains("No stories yet"));
    drop(server);

    let port = free_port();
    let (_server, log) = start(
        newsdesk().arg("--demo").env("NEWSDESK_DATABASE_URL", &url).env("NEWSDESK_BIND", format!("127.0.0.1:{port}")),
    );
    assert!(log.contains("loaded the demo newsroom"), "{log}");
}

/// `NEWSDESK_DEMO=1`, as people write a yes in an environment file, is a yes.
#[actix_web::test]
async fn a_yes_written_as_1_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let port = free_port();
    let (_server, log) = start(
        newsdesk()
            .env("NEWSDESK_DEMO", "1")
            .env("NEWSDESK_DATABASE_URL", &url)
            .env("NEWSDESK_BIND", format!("127.0.0.1:{port}")),
    );
    assert!(log.contains("loaded the demo newsroom"), "{log}");
    let live = reqwest::get(format!("http://127.0.0.1:{port}/livez")).await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.text().await.unwrap(), "ok");
}

/// libpq's OpenSSL used to clean up at exit while r2d2 was still opening a
/// connection on a background thread, killing about one run in seven with
/// SIGSEGV. Each of these runs checks a connection out (so the pool tops
/// itself up in the background) and must end with our own exit code.
#[test]
fn commands_on_postgres_exit_cleanly_every_time() {
    let Some(database) = common::TestDatabase::create(common::Backend::Postgres) else { return };
    for run in 0..40 {
        let output = newsdesk()
            .args(["user", "set-role", "nobody_here", "reader"])
            .env("NEWSDESK_DATABASE_URL", &database.url)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "run {run} ended with {:?}: {stderr}", output.status);
        assert!(stderr.contains("there is no user \"nobody_here\""), "{stderr}");
    }
}

/// The pool lends connections without a test query first; one whose server
/// side was ended (a restart, an operator's pg_terminate_backend) fails the
/// request that finds out, and is thrown away instead of going back into
/// the pool: the site recovers by itself within one failure per connection.
#[actix_web::test]
async fn connections_postgres_ended_are_replaced() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let Some(app) = common::TestApp::with_demo(common::Backend::Postgres).await else { return };
    let page = "/articles/storm-surge-breaches-callowhaven-harbour-wall";
    // Open every pooled connection, then end them all from outside.
    let pool_size = app.state.config.pool_size as usize;
    let busy: Vec<_> = (0..pool_size).map(|_| app.get(page)).collect();
    for response in futures_util::future::join_all(busy).await {
        assert_eq!(response.status(), 200);
    }
    let name = app.database.url.rsplit('/').next().unwrap().to_string();
    let mut admin = PgConnection::establish(&common::postgres_admin_url()).unwrap();
    let ended: Vec<bool> = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .load::<Ended>(&mut admin)
    .unwrap()
    .into_iter()
    .map(|row| row.ended)
    .collect();
    assert!(!ended.is_empty(), "the pool had connections to end");
    let mut failures = 0;
    for _ in 0..pool_size + 4 {
        if app.get(page).await.status() != 200 {
            failures += 1;
        }
    }
    assert!(failures <= pool_size, "{failures} failures: ended connections went back into the pool");
    for _ in 0..10 {
        assert_eq!(app.get(page).await.status(), 200, "recovered");
    }
}

#[derive(diesel::QueryableByName)]
struct Ended {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ended: bool,
}

#[test]
fn backup_copies_a_live_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("site.db");
    let url = format!("sqlite://{}", source.display());
    let content = concat!(env!("CARGO_MANIFEST_DIR"), "/content");
    let imported = newsdesk().args(["import", content]).env("NEWSDESK_DATABASE_URL", &url).output().unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    // The site stays open on the database, as it would in production.
    let live = newsdesk::db::Database::open(&newsdesk::config::DatabaseUrl::Sqlite(source.clone()), 2).unwrap();
    let _held = live.conn().unwrap();

    let copy = dir.path().join("backup.db");
    let output = newsdesk().args(["backup"]).arg(&copy).env("NEWSDESK_DATABASE_URL", &url).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&format!("backed up the database to {}", copy.display())), "{stdout}");
    let restored = newsdesk::db::Database::open(&newsdesk::config::DatabaseUrl::Sqlite(copy.clone()), 1).unwrap();
    let stories = newsdesk::models::ArticleCard::latest(&mut restored.conn().unwrap(), newsdesk::state::now(), 100);
    assert_eq!(stories.unwrap().len(), 16, "every story is in the copy");

    let (code, stderr) = fails_with(newsdesk().args(["backup"]).arg(&copy).env("NEWSDESK_DATABASE_URL", &url));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["already exists"]);
}

#[test]
fn backup_on_postgres_points_to_pg_dump() {
    let Some(database) = common::TestDatabase::create(common::Backend::Postgres) else { return };
    let (code, stderr) = fails_with(newsdesk().args(["backup", "copy.db"]).env("NEWSDESK_DATABASE_URL", &database.url));
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, &["pg_dump"]);
}
