//! The probes a load balancer asks (`/livez`, `/readyz`, `/healthz`), and
//! instances that start together against one empty database.

mod common;

use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, TestApp, TestDatabase};
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use newsdesk::config::DatabaseUrl;
use newsdesk::db::{Database, DbConn};

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

/// How long a "no" may take at most, whatever the database does.
const PROMPTLY: Duration = Duration::from_secs(2);

/// Asks a probe; its status, body and time taken.
async fn probe(client: &reqwest::Client, url: String) -> (u16, String, reqwest::header::HeaderMap, Duration) {
    let started = Instant::now();
    let response = client.get(url).send().await.expect("the probe is answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("a body");
    (status, body, headers, started.elapsed())
}

/// A probe's answer must be plain text that nobody keeps and that sets no cookie.
fn assert_plain_and_unkept(path: &str, headers: &reqwest::header::HeaderMap) {
    let value = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default().to_string()).unwrap_or_default();
    assert!(value("content-type").starts_with("text/plain"), "{path}: {headers:?}");
    assert_eq!(value("cache-control"), "no-store", "{path}");
    assert!(headers.get("set-cookie").is_none(), "{path}: no cookie");
    assert!(headers.get(newsdesk::page_cache::STATUS_HEADER).is_none(), "{path}: not from the page cache");
}

/// The app with the page cache on, as in production: a kept probe answer
/// would show as a stale "ok" below.
async fn app_with_page_cache(backend: Backend) -> Option<TestApp> {
    TestApp::with_demo_configured(backend, |config| config.page_cache_bytes = 4 * 1024 * 1024).await
}

async fn every_probe_says_ok_on_a_migrated_database(backend: Backend) {
    let Some(app) = app_with_page_cache(backend).await else { return };
    for path in ["/livez", "/readyz", "/healthz", "/readyz"] {
        let (status, body, headers, _) = probe(&app.client, app.url(path)).await;
        assert_eq!((status, body.as_str()), (200, "ok"), "{path}");
        assert_plain_and_unkept(path, &headers);
    }
    let head = app.client.head(app.url("/readyz")).send().await.unwrap();
    assert_eq!(head.status(), 200, "HEAD, as uptime monitors send");
}

async fn a_database_missing_one_of_our_migrations_is_not_ready(backend: Backend) {
    let Some(app) = app_with_page_cache(backend).await else { return };
    assert_eq!(app.page("/readyz").await, (200, "ok".to_string()));
    // As if the database were restored from a backup made before the
    // newest migration.
    app.conn()
        .batch_execute(
            "DELETE FROM __diesel_schema_migrations \
             WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
        )
        .unwrap();
    for path in ["/readyz", "/healthz"] {
        let (status, body, headers, took) = probe(&app.client, app.url(path)).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body, "not ready: the database lacks 1 migration of this version", "{path}");
        assert_eq!(headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("5"), "{path}");
        assert_plain_and_unkept(path, &headers);
        assert!(took < PROMPTLY, "{path} took {took:?}");
    }
    assert_eq!(app.page("/livez").await, (200, "ok".to_string()), "alive all the same");
}

async fn a_database_migrated_by_a_newer_version_is_ready(backend: Backend) {
    let Some(app) = app_with_page_cache(backend).await else { return };
    app.conn().batch_execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231000000')").unwrap();
    assert_eq!(app.page("/readyz").await, (200, "ok".to_string()));
    assert_eq!(app.page("/healthz").await, (200, "ok".to_string()));
}

/// The probes take no pool connection: with every one of them held (by
/// load, or stuck on a dying server) and requests queued for them, they
/// still answer at once. A browser's session cookie does not make them
/// read the session either.
async fn probes_need_no_pool_connection_and_no_session(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("probing_reader").await;
    assert!(!reader.cookies().is_empty(), "the reader has a session cookie");
    let held: Vec<_> = (0..app.state.config.pool_size).map(|_| app.conn()).collect();
    let queued: Vec<_> = (0..app.state.config.pool_size)
        .map(|_| {
            let request = app.client.get(app.url(FLAGSHIP)).send();
            actix_web::rt::spawn(request)
        })
        .collect();
    for path in ["/livez", "/readyz", "/healthz"] {
        let (status, body, headers, took) = probe(&reader.client, reader.url(path)).await;
        assert_eq!((status, body.as_str()), (200, "ok"), "{path}");
        assert!(took < PROMPTLY, "{path} took {took:?}");
        assert_plain_and_unkept(path, &headers);
    }
    drop(held);
    for request in queued {
        assert_eq!(
            request.await.unwrap().unwrap().status(),
            200,
            "the queued pages are served once connections are free"
        );
    }
}

/// SQLite: a database file that went missing is not ready, and the check
/// does not leave an empty database in its place.
#[actix_web::test]
async fn a_missing_sqlite_file_is_not_ready_and_not_recreated() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    let DatabaseUrl::Sqlite(path) = app.state.config.database.clone() else { unreachable!() };
    assert_eq!(app.page("/readyz").await, (200, "ok".to_string()));
    let moved = path.with_extension("moved");
    std::fs::rename(&path, &moved).unwrap();
    let (status, body, _, took) = probe(&app.client, app.url("/readyz")).await;
    assert_eq!((status, body.as_str()), (503, "not ready: the database is unreachable"));
    assert!(took < PROMPTLY, "took {took:?}");
    assert!(!path.exists(), "the check created a new, empty database file");
    std::fs::rename(&moved, &path).unwrap();
    assert_eq!(app.page("/readyz").await, (200, "ok".to_string()), "ready again once the file is back");
}

/// A TCP relay between the app and PostgreSQL that the test can freeze
/// (new connections are taken but never answered, as from a server that
/// hangs) or pull out (nothing listens any more). Connections made before
/// keep working.
struct Plug {
    port: u16,
    shared: Arc<PlugShared>,
    acceptor: Option<std::thread::JoinHandle<()>>,
}

struct PlugShared {
    mode: Mutex<Mode>,
    /// Connections taken while frozen, held open and never answered.
    held: Mutex<Vec<TcpStream>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Pass,
    Freeze,
    Pulled,
}

impl Plug {
    fn in_front_of_postgres() -> Plug {
        let admin = url::Url::parse(&common::postgres_admin_url()).expect("a URL");
        let host = admin.host_str().expect("a host").to_string();
        let upstream: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&(host, admin.port().unwrap_or(5432)))
            .expect("PostgreSQL's address")
            .next()
            .expect("an address");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(PlugShared { mode: Mutex::new(Mode::Pass), held: Mutex::new(Vec::new()) });
        let state = shared.clone();
        let acceptor = std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mode = *state.mode.lock().unwrap();
                match mode {
                    // Returning drops the listener: the port is closed.
                    Mode::Pulled => return,
                    Mode::Freeze => state.held.lock().unwrap().push(stream),
                    Mode::Pass => relay(stream, upstream),
                }
            }
        });
        Plug { port, shared, acceptor: Some(acceptor) }
    }

    /// `url` (a test database's) through the plug.
    fn url_for(&self, url: &str) -> String {
        let mut through = url::Url::parse(url).expect("a URL");
        through.set_host(Some("127.0.0.1")).unwrap();
        through.set_port(Some(self.port)).unwrap();
        through.to_string()
    }

    fn freeze(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Freeze;
    }

    /// Stops listening; when this returns, nothing listens on the port.
    fn pull(&mut self) {
        *self.shared.mode.lock().unwrap() = Mode::Pulled;
        if let Some(acceptor) = self.acceptor.take() {
            // Wakes the acceptor, which sees the mode and closes the port.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            acceptor.join().expect("the acceptor ends");
        }
    }

    fn connections_held(&self) -> usize {
        self.shared.held.lock().unwrap().len()
    }
}

impl Drop for Plug {
    fn drop(&mut self) {
        self.pull();
        for stream in self.shared.held.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Copies bytes both ways between a client and PostgreSQL until either closes.
fn relay(client: TcpStream, upstream: SocketAddr) {
    let Ok(server) = TcpStream::connect(upstream) else { return };
    for (mut from, mut to) in [
        (client.try_clone().unwrap(), server.try_clone().unwrap()),
        (server.try_clone().unwrap(), client.try_clone().unwrap()),
    ] {
        std::thread::spawn(move || {
            let mut buffer = [0u8; 16 * 1024];
            loop {
                match from.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if std::io::Write::write_all(&mut to, &buffer[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        });
    }
}

/// The app on a fresh PostgreSQL database, reached through `plug`.
async fn app_behind(plug: &Plug) -> Option<TestApp> {
    TestApp::start_configured(
        Backend::Postgres,
        |_| {},
        |config| {
            let DatabaseUrl::Postgres(url) = &config.database else { unreachable!() };
            config.database = DatabaseUrl::Postgres(plug.url_for(url));
        },
    )
    .await
}

#[actix_web::test]
async fn readyz_says_no_at_once_when_nothing_listens_for_postgres() {
    let mut plug = Plug::in_front_of_postgres();
    let Some(app) = app_behind(&plug).await else { return };
    assert_eq!(app.page("/readyz").await, (200, "ok".to_string()));
    plug.pull();
    for path in ["/readyz", "/healthz"] {
        let (status, body, headers, took) = probe(&app.client, app.url(path)).await;
        assert_eq!((status, body.as_str()), (503, "not ready: the database is unreachable"), "{path}");
        assert!(headers.contains_key("retry-after"), "{path}");
        assert!(took < PROMPTLY, "{path} took {took:?}");
    }
    assert_eq!(app.page("/livez").await, (200, "ok".to_string()));
}

/// A server that takes connections and never answers is the worst case: the
/// probe gives up within its bound, and probes that come meanwhile share
/// the one check under way instead of each opening a connection.
#[actix_web::test]
async fn readyz_says_no_within_its_bound_when_postgres_stops_answering() {
    let plug = Plug::in_front_of_postgres();
    let Some(app) = app_behind(&plug).await else { return };
    assert_eq!(app.page("/readyz").await, (200, "ok".to_string()));
    settled(&app).await;
    plug.freeze();
    let started = Instant::now();
    let probes: Vec<_> = (0..5).map(|_| probe(&app.client, app.url("/readyz"))).collect();
    for (status, body, headers, _) in futures_util::future::join_all(probes).await {
        assert_eq!((status, body.as_str()), (503, "not ready: the database did not answer in time"));
        assert_eq!(header_value(&headers, "cache-control"), "no-store");
    }
    let took = started.elapsed();
    assert!(took < PROMPTLY, "five probes took {took:?}");
    assert_eq!(plug.connections_held(), 1, "one check for the five probes");
    let (status, _, _, took) = probe(&app.client, app.url("/livez")).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(500), "/livez took {took:?}");
}

/// Waits until the app opens no more connections of its own: the pool
/// holds as many as it may (so it makes no new one when one is lent), and
/// the change relay, which connects on its own thread at start, is
/// connected. Any connection after this is a readiness check's.
async fn settled(app: &TestApp) {
    use diesel::Connection;
    let filled: Vec<_> = (0..app.state.config.pool_size).map(|_| app.conn()).collect();
    drop(filled);
    let name = app.database.url.rsplit('/').next().unwrap().to_string();
    let mut admin = diesel::PgConnection::establish(&common::postgres_admin_url()).unwrap();
    let since = Instant::now();
    loop {
        let relays = diesel::sql_query(
            "SELECT count(*) AS count FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'newsdesk-relay'",
        )
        .bind::<diesel::sql_types::Text, _>(&name)
        .get_result::<Count>(&mut admin)
        .unwrap();
        if relays.count == 1 {
            return;
        }
        assert!(since.elapsed() < Duration::from_secs(10), "the change relay did not connect");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

fn header_value(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| v.to_str().unwrap_or_default().to_string()).unwrap_or_default()
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// The versions of the PostgreSQL migrations in the source tree.
fn postgres_versions_in_source() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut versions: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap().split('_').next().unwrap().replace('-', ""))
        .collect();
    versions.sort();
    versions
}

/// Instances started together against an empty database: one migrates,
/// the others wait for it and find nothing left to do. Without the lock
/// the second `CREATE TABLE` fails and that instance does not start.
#[test]
fn instances_starting_together_migrate_an_empty_database_once() {
    let Some(database) = TestDatabase::create(Backend::Postgres) else { return };
    let url = DatabaseUrl::Postgres(database.url.clone());
    let instances = 4;
    let start = Arc::new(Barrier::new(instances));
    let opening: Vec<_> = (0..instances)
        .map(|_| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                Database::open(&url, 1).map_err(|e| e.to_string())
            })
        })
        .collect();
    let opened: Vec<Database> =
        opening.into_iter().map(|thread| thread.join().unwrap().expect("every instance starts")).collect();
    let mut versions: Vec<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load::<Version>(&mut *opened[0].conn().unwrap())
            .unwrap()
            .into_iter()
            .map(|row| row.version)
            .collect();
    versions.dedup();
    assert_eq!(versions, postgres_versions_in_source(), "each migration once");
}

/// A migration that fails lets go of the lock at once, not when its
/// connection closes (which the server notices only some time later): the
/// next instance to start must not wait on it.
#[test]
fn a_failed_migration_releases_the_lock() {
    use diesel::Connection;
    let Some(database) = TestDatabase::create(Backend::Postgres) else { return };
    let mut migrating = DbConn::Pg(diesel::PgConnection::establish(&database.url).unwrap());
    // The first migration creates `sections`: make it fail.
    migrating.batch_execute("CREATE TABLE sections (in_the_way INTEGER)").unwrap();
    assert!(newsdesk::db::migrate(&mut migrating).is_err(), "the migration fails");
    // `migrating` is still open, so only an unlock can have freed the lock.
    let mut other = diesel::PgConnection::establish(&database.url).unwrap();
    let free = diesel::sql_query(format!("SELECT pg_try_advisory_lock({}) AS locked", newsdesk::db::MIGRATION_LOCK))
        .get_result::<Locked>(&mut other)
        .unwrap();
    assert!(free.locked, "the migration lock was released");
}

on_both_backends!(
    every_probe_says_ok_on_a_migrated_database,
    a_database_missing_one_of_our_migrations_is_not_ready,
    a_database_migrated_by_a_newer_version_is_ready,
    probes_need_no_pool_connection_and_no_session,
);
