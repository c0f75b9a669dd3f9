//! Test harness: every test gets a fresh database (a new SQLite file, or a
//! new PostgreSQL database on 127.0.0.1:5432) and the real app, built by the
//! same `app()` as production, served over HTTP on a free port.
#![allow(dead_code)]

pub mod proxy;

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use newsdesk::config::{Config, RawSettings};
use newsdesk::db::{Database, DbConn};
use newsdesk::state::{AppState, now};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `name::sqlite` and `name::postgres` tests from one
/// `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )+
    };
}

/// Where the test PostgreSQL server is; CI uses the default.
pub fn postgres_admin_url() -> String {
    std::env::var("NEWSDESK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Says out loud, past the test harness's output capture, that a test could
/// not run; fails instead when CI demands PostgreSQL.
fn postgres_missing(error: &str) {
    if std::env::var("NEWSDESK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!(
            "PostgreSQL is required (NEWSDESK_TEST_REQUIRE_POSTGRES=1) but {} is unreachable: {error}",
            postgres_admin_url()
        );
    }
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("a test");
    let _ = writeln!(
        std::io::stderr(),
        "\n!!! NOT RUN on PostgreSQL: {name}: cannot reach {} ({error}). CI always runs these.\n",
        postgres_admin_url()
    );
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    pub fn create(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(TestDatabase { url, _dir: Some(dir), postgres_name: None })
            }
            Backend::Postgres => {
                newsdesk::db::init_tls();
                let admin_url = postgres_admin_url();
                let mut admin = match PgConnection::establish(&admin_url) {
                    Ok(conn) => conn,
                    Err(error) => {
                        postgres_missing(&error.to_string());
                        return None;
                    }
                };
                let name = format!(
                    "newsdesk_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("NEWSDESK_TEST_POSTGRES must end in /DATABASE"),
                };
                Some(TestDatabase { url, _dir: None, postgres_name: Some(name) })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name
            && let Ok(mut admin) = PgConnection::establish(&postgres_admin_url())
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The app, running over HTTP against its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub backend: Backend,
    server: actix_web::dev::ServerHandle,
    // Last, so the server lets go of the database before it is dropped.
    pub database: TestDatabase,
}

impl TestApp {
    /// The app with the built-in demo newsroom loaded.
    pub async fn with_demo(backend: Backend) -> Option<TestApp> {
        TestApp::start(backend, |conn| {
            newsdesk::import::load_demo_if_empty(conn, now()).expect("demo content loads");
        })
        .await
    }

    /// The app on an empty (migrated) database.
    pub async fn empty(backend: Backend) -> Option<TestApp> {
        TestApp::start(backend, |_| {}).await
    }

    pub async fn start(backend: Backend, setup: impl FnOnce(&mut DbConn)) -> Option<TestApp> {
        TestApp::start_configured(backend, setup, |_| {}).await
    }

    /// The app with demo content and settings changed by `tweak`.
    pub async fn with_demo_configured(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        TestApp::start_configured(
            backend,
            |conn| {
                newsdesk::import::load_demo_if_empty(conn, now()).expect("demo content loads");
            },
            tweak,
        )
        .await
    }

    pub async fn start_configured(
        backend: Backend,
        setup: impl FnOnce(&mut DbConn),
        tweak: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let database = TestDatabase::create(backend)?;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let config = Config::from_raw(RawSettings {
            database_url: Some(database.url.clone()),
            base_url: Some(address.clone()),
            pool_size: Some(4),
            session_key: Some(newsdesk::config::new_session_key()),
            local_http: true,
            // Most tests change the database behind the app's back, as
            // another process would; tests/page_cache.rs turns the cache on.
            page_cache_mb: Some(0),
            ..Default::default()
        })
        .expect("test settings are valid");
        let mut config = config;
        tweak(&mut config);
        let db = Database::open(&config.database, config.pool_size).expect("test database opens");
        setup(&mut db.conn().expect("a connection"));
        Some(TestApp::launch(config, db, listener, address, backend, database))
    }

    /// Another server on this app's database with the same settings, as a
    /// second instance behind a load balancer would be. Drop it before this one.
    pub fn second_instance(&self) -> TestApp {
        self.second_instance_with(|_| {})
    }

    /// The same with some settings changed.
    pub fn second_instance_with(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let mut config = self.state.config.clone();
        config.base_url = address.clone();
        tweak(&mut config);
        let db = Database::open(&config.database, config.pool_size).expect("the shared database opens");
        // The first instance owns the database and removes it.
        let database = TestDatabase { url: self.database.url.clone(), _dir: None, postgres_name: None };
        TestApp::launch(config, db, listener, address, self.backend, database)
    }

    fn launch(
        config: Config,
        db: Database,
        listener: TcpListener,
        address: String,
        backend: Backend,
        database: TestDatabase,
    ) -> TestApp {
        let state = web::Data::new(AppState::new(config, db));
        let server = newsdesk::serve(state.clone(), listener, Some(1)).expect("server starts");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        TestApp { address, client, state, backend, server: handle, database }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request is answered")
    }

    /// GETs a page and returns its status and body.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Statements the app's pool has run so far.
    pub fn queries(&self) -> u64 {
        self.state.db.query_counter().get()
    }

    pub fn conn(&self) -> newsdesk::db::PooledConn {
        self.state.db.conn().expect("a connection")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the workers so their pool lets go of the database now, not
        // when the process ends.
        let stopping = self.server.stop(false);
        actix_web::rt::spawn(stopping);
        self.state.changes.stop_relay();
        self.state.mail.bell.stop();
    }
}

impl TestApp {
    /// A new browser: its own cookies, so its own session.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// A new browser with a fresh account, logged in.
    pub async fn reader(&self, username: &str) -> Browser {
        let browser = self.browser();
        let response = browser.signup(username, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-up of {username} succeeds");
        browser
    }
}

/// The password test accounts use (not on the common-passwords list).
pub const PASSWORD: &str = "harbour lantern 2026";

/// A person's browser: a cookie jar and no automatic redirects, so tests
/// see every 303 the site sends.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Browser { client, base: base.to_string(), jar }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request is answered")
    }

    /// GETs a page: status and body.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        (response.status().as_u16(), response.text().await.expect("body"))
    }

    /// POSTs form fields exactly as given (no token added).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(fields).send().await.expect("request is answered")
    }

    /// The CSRF token in the forms of the page at `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let (status, body) = self.page(path).await;
        csrf_in(&body).unwrap_or_else(|| panic!("no csrf token on {path} ({status})"))
    }

    /// Fills in a form as a person would: opens `form_page`, takes its token,
    /// and POSTs the fields to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf(form_page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn signup(&self, username: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/signup",
            "/signup",
            &[("username", username), ("display_name", username), ("password", password), ("confirm", password)],
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.submit("/login", "/login", &[("username", username), ("password", password)]).await
    }

    pub async fn logout(&self) -> reqwest::Response {
        self.submit("/account", "/logout", &[]).await
    }

    /// Posts a comment from the article page's form.
    pub async fn comment(&self, article: &str, body: &str) -> reqwest::Response {
        self.submit(article, &format!("{article}/comments"), &[("body", body)]).await
    }

    /// Replies from the reply page of comment `parent`.
    pub async fn reply(&self, article: &str, parent: i32, body: &str) -> reqwest::Response {
        let parent_text = parent.to_string();
        self.submit(
            &format!("/comments/{parent}/reply"),
            &format!("{article}/comments"),
            &[("body", body), ("parent_id", parent_text.as_str())],
        )
        .await
    }

    /// The session cookie as the browser would send it, for replaying.
    pub fn cookies(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&self.base.parse().expect("base url"))
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    /// A new browser that sends the given cookies (a stolen or old cookie).
    pub fn with_cookies(base: &str, cookies: &str) -> Browser {
        let browser = Browser::new(base);
        let url: reqwest::Url = base.parse().expect("base url");
        for cookie in cookies.split("; ").filter(|c| !c.is_empty()) {
            browser.jar.add_cookie_str(&format!("{cookie}; Path=/"), &url);
        }
        browser
    }

    /// Whether the header shows someone logged in.
    pub async fn logged_in_as(&self) -> Option<String> {
        let (_, body) = self.page("/").await;
        texts(&html(&body), ".signed-in a").into_iter().next()
    }
}

/// The comment id from a redirect to its permalink.
pub fn comment_id(response: &reqwest::Response) -> i32 {
    let location = location(response);
    location
        .rsplit_once("#comment-")
        .and_then(|(_, id)| id.parse().ok())
        .unwrap_or_else(|| panic!("not a comment permalink: {location}"))
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").map(|v| v.to_str().unwrap_or_default().to_string()).unwrap_or_default()
}

/// The value of the first `csrf_token` field in a page.
pub fn csrf_in(body: &str) -> Option<String> {
    attrs(&html(body), "input[name=csrf_token]", "value").into_iter().find(|v| !v.is_empty())
}

/// Parses HTML for assertions about its structure.
pub fn html(body: &str) -> scraper::Html {
    scraper::Html::parse_document(body)
}

/// Text of every element matching `selector`, whitespace collapsed.
pub fn texts(document: &scraper::Html, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("valid selector");
    document
        .select(&selector)
        .map(|e| e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Attribute values of every element matching `selector`.
pub fn attrs(document: &scraper::Html, selector: &str, attribute: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("valid selector");
    document.select(&selector).filter_map(|e| e.value().attr(attribute).map(str::to_string)).collect()
}

/// Every row of every table, as text, table by table: what "nothing
/// changed" is checked against after a request that must change nothing.
pub type Snapshot = std::collections::BTreeMap<String, Vec<String>>;

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

impl TestApp {
    pub fn snapshot(&self) -> Snapshot {
        snapshot(&mut self.conn())
    }
}

pub fn snapshot(conn: &mut DbConn) -> Snapshot {
    use diesel::RunQueryDsl;
    let load = |conn: &mut DbConn, sql: &str| -> Vec<String> {
        diesel::sql_query(sql)
            .load::<TextRow>(conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|r| r.text)
            .collect()
    };
    let tables = match conn {
        DbConn::Sqlite(_) => load(
            conn,
            "SELECT name AS text FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ),
        DbConn::Pg(_) => {
            load(conn, "SELECT tablename::text AS text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        }
    };
    let mut all = Snapshot::new();
    for table in tables {
        let sql = match conn {
            DbConn::Sqlite(_) => {
                // quote() writes any value, blobs included, as an SQL literal.
                let columns =
                    load(conn, &format!("SELECT name AS text FROM pragma_table_info('{table}') ORDER BY cid"));
                let row = columns.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || ',' || ");
                format!("SELECT {row} AS text FROM \"{table}\"")
            }
            DbConn::Pg(_) => format!("SELECT row_to_json(t)::text AS text FROM \"{table}\" AS t"),
        };
        let mut rows = load(conn, &sql);
        rows.sort();
        all.insert(table, rows);
    }
    all
}

/// The tables whose rows differ between two snapshots, with what changed.
pub fn differences(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut changed = Vec::new();
    for (table, rows) in after {
        let old = before.get(table).cloned().unwrap_or_default();
        if &old != rows {
            let gone: Vec<&String> = old.iter().filter(|r| !rows.contains(r)).collect();
            let new: Vec<&String> = rows.iter().filter(|r| !old.contains(r)).collect();
            changed.push(format!("{table}: removed {gone:?}, added {new:?}"));
        }
    }
    changed
}

/// Every route the app serves, as (method, path pattern), read from the
/// handlers' `#[get("…")]` and `#[post("…")]` under src/routes with the
/// prefix of the `web::scope("…")` their folder's mod.rs mounts them under.
/// A new route is covered by the tests that walk this list as soon as it exists.
pub fn routes() -> Vec<(&'static str, String)> {
    fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.match_indices(marker)
            .map(|(at, _)| {
                let rest = text[at + marker.len()..].trim_start();
                rest.strip_prefix('"').and_then(|r| r.split_once('"')).map(|(r, _)| r).expect("a quoted path")
            })
            .collect()
    }
    fn walk(dir: &std::path::Path, prefix: &str, found: &mut Vec<(&'static str, String)>) {
        let own = std::fs::read_to_string(dir.join("mod.rs")).unwrap_or_default();
        let scopes = quoted_after(&own, "web::scope(");
        assert!(scopes.len() <= 1, "{}: one scope per folder", dir.display());
        let prefix = format!("{prefix}{}", scopes.first().copied().unwrap_or(""));
        for entry in std::fs::read_dir(dir).expect("src/routes is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, &prefix, found);
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("readable");
            if path.file_name().is_some_and(|n| n != "mod.rs") {
                assert!(!source.contains("web::scope("), "{}: scopes belong in mod.rs", path.display());
            }
            for (method, marker) in [("GET", "#[get("), ("POST", "#[post(")] {
                for route in quoted_after(&source, marker) {
                    found.push((method, format!("{prefix}{route}")));
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes"), "", &mut found);
    found.sort();
    found.dedup();
    found
}

/// Rate limits that never trigger, for tests that post many comments or
/// make many accounts.
pub fn unlimited(config: &mut Config) {
    let never = newsdesk::config::RateRule::new(0, 10_000);
    config.limits.comment_per_user = never;
    config.limits.login_per_account = never;
    config.limits.login_per_ip = never;
    config.limits.signup_per_ip = never;
    config.limits.report_per_user = never;
    config.limits.respect_per_user = never;
    config.limits.confirm_mail_per_user = never;
    config.limits.reset_per_address = never;
    config.limits.reset_per_ip = never;
}

impl TestApp {
    /// A new browser logged in as a new moderator or admin.
    pub async fn staff(&self, name: &str, role: newsdesk::models::Role) -> Browser {
        let hash = newsdesk::security::passwords::hash(PASSWORD).expect("a hash");
        newsdesk::models::User::create(&mut self.conn(), name, name, &hash, role, now())
            .expect("the account is stored")
            .expect("the name is free");
        let browser = self.browser();
        assert_eq!(browser.login(name, PASSWORD).await.status(), 303, "{name} logs in");
        browser
    }
}
