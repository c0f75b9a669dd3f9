//! Real Chromium for the browser and conformance tests: a chromedriver of
//! the test's own on a free port, one headless browser session with a fresh
//! profile, and helpers that click, type and wait like a person would.
//!
//! `Chrome` cleans up when dropped, even when the test panics: it ends the
//! WebDriver session (which quits Chromium) and kills its chromedriver.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long any one condition may take to come true.
pub const WAIT: Duration = Duration::from_secs(20);
/// How often a condition is checked while waiting.
const POLL: Duration = Duration::from_millis(25);

/// The two window sizes every key page is checked and photographed at.
pub const SIZES: [(u32, u32); 2] = [(360, 800), (1280, 900)];

/// Whether CI demands that the browser tests really run.
fn required() -> bool {
    std::env::var("NEWSDESK_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// Says in one loud line, past the harness's output capture, that a test
/// could not run; fails instead when CI requires the browser tests.
pub fn not_run(what: &str) {
    if required() {
        panic!("the browser tests are required (NEWSDESK_TEST_REQUIRE_BROWSER=1) but {what}");
    }
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("a browser test");
    let _ = writeln!(std::io::stderr(), "\n!!! NOT RUN: {name}: {what}. CI always runs these.\n");
}

/// A program on the PATH (or the path in `env_var`, if set).
fn program(env_var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env_var) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).flat_map(|dir| names.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local address").port()
}

/// Where test output (screenshots, checked pages) goes: under target/.
pub fn target_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(name);
    std::fs::create_dir_all(&dir).expect("create output directory");
    dir
}

/// A headless Chromium driven over WebDriver, pointed at one app.
pub struct Chrome {
    client: Client,
    pub base: String,
    driver: Child,
    driver_port: u16,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl std::ops::Deref for Chrome {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Chrome {
    /// A browser with JavaScript on, or None (said loudly) where Chromium
    /// or chromedriver is not installed.
    pub async fn start(base: &str) -> Option<Chrome> {
        Chrome::launch(base, true).await
    }

    /// A second kind of profile: scripts disabled, as some readers browse.
    pub async fn without_javascript(base: &str) -> Option<Chrome> {
        Chrome::launch(base, false).await
    }

    async fn launch(base: &str, javascript: bool) -> Option<Chrome> {
        let Some(chromium) = program("NEWSDESK_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]) else {
            not_run("chromium is not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let Some(chromedriver) = program("NEWSDESK_CHROMEDRIVER", &["chromedriver"]) else {
            not_run("chromedriver is not installed (apt-get install chromium-driver)");
            return None;
        };
        let driver_port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let profile = tempfile::tempdir().expect("profile dir");
        let mut starting = ChromeStarting { driver: Some(driver) };
        wait_until_ready(driver_port, &mut starting).await;
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--hide-scrollbars".into(),
            "--disable-crash-reporter".into(),
            "--disable-breakpad".into(),
            "--force-color-profile=srgb".into(),
            "--lang=en-GB".into(),
            format!("--window-size={},{}", SIZES[1].0, SIZES[1].1),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut prefs = serde_json::Map::new();
        if !javascript {
            prefs.insert("profile.managed_default_content_settings.javascript".into(), json!(2));
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium.display().to_string(), "args": args, "prefs": prefs }),
        );
        // Both of rustls's crypto back ends are compiled in; choose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .unwrap_or_else(|e| panic!("chromedriver cannot start Chromium: {e}"));
        let session = client.session_id().await.ok().flatten();
        let driver = starting.driver.take().expect("driver");
        Some(Chrome { client, base: base.to_string(), driver, driver_port, session, _profile: profile })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The current path (and query and fragment), without the host.
    pub async fn path(&self) -> String {
        let url = self.current_url().await.expect("current url");
        let mut path = url.path().to_string();
        if let Some(query) = url.query() {
            path = format!("{path}?{query}");
        }
        if let Some(fragment) = url.fragment() {
            path = format!("{path}#{fragment}");
        }
        path
    }

    /// Opens a page of the app.
    pub async fn visit(&self, path: &str) {
        self.goto(&self.url(path)).await.unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    }

    /// Waits until an element matching `css` is on the page.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => {
                panic!("{css} never appeared on {} ({e}); page text:\n{}", self.path().await, self.body_text().await)
            }
        }
    }

    /// Waits until the page has an element matching `css` whose text
    /// contains `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            for element in self.find_all(Locator::Css(css)).await.unwrap_or_default() {
                if element.text().await.is_ok_and(|t| t.contains(text)) {
                    return element;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "no {css} saying {text:?} appeared on {}; page text:\n{}",
                    self.path().await,
                    self.body_text().await
                );
            }
            actix_web::rt::time::sleep(POLL).await;
        }
    }

    /// The first element matching `css`, which must be there now.
    pub async fn el(&self, css: &str) -> Element {
        match self.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {} ({e}); page text:\n{}", self.path().await, self.body_text().await),
        }
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        !self.find_all(Locator::Css(css)).await.expect("find").is_empty()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.el(css).await.text().await.expect("text")
    }

    /// The visible text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.find_all(Locator::Css(css)).await.expect("find") {
            texts.push(element.text().await.expect("text"));
        }
        texts
    }

    pub async fn body_text(&self) -> String {
        match self.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Whether the first element matching `css` is shown on screen.
    pub async fn visible(&self, css: &str) -> bool {
        self.el(css).await.is_displayed().await.expect("is_displayed")
    }

    /// The current value of a form field (what is typed in it now).
    pub async fn value(&self, css: &str) -> String {
        self.el(css).await.prop("value").await.expect("value").unwrap_or_default()
    }

    /// Clicks into a field, empties it and types `text` key by key.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.el(css).await;
        field.click().await.unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Clicks what matches `css` and waits until the browser has left the
    /// page it was on (a link followed or a form sent) and loaded the next.
    pub async fn click_and_wait(&self, css: &str) {
        let target = self.el(css).await;
        self.click_element_and_wait(&target).await;
    }

    /// Clicks the link with exactly this text and waits for the next page.
    pub async fn follow_link(&self, text: &str) {
        let link = match self.find(Locator::LinkText(text)).await {
            Ok(link) => link,
            Err(e) => panic!("no link {text:?} on {} ({e})", self.path().await),
        };
        self.click_element_and_wait(&link).await;
    }

    pub async fn click_element_and_wait(&self, target: &Element) {
        let old = self.find(Locator::Css("html")).await.expect("the page has a root");
        if let Err(e) = target.click().await {
            panic!("cannot click on {}: {e}", self.path().await);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            // The old page's root goes stale once the next page replaces it.
            match old.tag_name().await {
                Err(e) if e.is_stale_element_reference() || e.is_no_such_element() => break,
                _ if Instant::now() > deadline => {
                    panic!("clicking did not lead to a new page; still on {}", self.path().await)
                }
                _ => actix_web::rt::time::sleep(POLL).await,
            }
        }
        self.wait_for("body").await;
    }

    /// Runs a script in the page (a test's own probe, not the site's).
    pub async fn js(&self, script: &str) -> Value {
        self.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Resizes the window so the page's viewport is `width`×`height`.
    pub async fn resize(&self, width: u32, height: u32) {
        let viewport = async || {
            let inner = self.js("return [window.innerWidth, window.innerHeight]").await;
            (inner[0].as_u64().unwrap_or(0) as u32, inner[1].as_u64().unwrap_or(0) as u32)
        };
        self.set_window_size(width, height).await.expect("resize");
        // Even headless, the window is bigger than the page's viewport by
        // the browser's own bars: grow it by the difference.
        let (w, h) = viewport().await;
        if (w, h) != (width, height) {
            self.set_window_size(width + width.saturating_sub(w), height + height.saturating_sub(h))
                .await
                .expect("resize");
            // (Very tall windows are cut to the screen's height; the width
            // is what the layout depends on.)
            assert_eq!(viewport().await.0, width, "the viewport takes the width asked for");
        }
    }

    /// Whether the page is wider than the window (it scrolls sideways).
    pub async fn scrolls_sideways(&self) -> bool {
        self.js("return document.documentElement.scrollWidth > window.innerWidth").await != json!(false)
    }

    /// Saves screenshots of the page at both sizes under
    /// target/screenshots/ (scrolled to the element with id `anchor`, if
    /// given), and asserts it does not scroll sideways on a phone. Leaves
    /// the window at the desktop size.
    pub async fn photograph(&self, name: &str, anchor: Option<&str>) {
        let dir = target_dir("screenshots");
        for (width, height) in SIZES {
            self.resize(width, height).await;
            match anchor {
                Some(id) => self.js(&format!("document.getElementById('{id}').scrollIntoView()")).await,
                None => self.js("window.scrollTo(0, 0)").await,
            };
            if width == SIZES[0].0 {
                let wide = self
                    .js(
                        "const w = window.innerWidth;\
                         const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)\
                           { if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };\
                         return [...document.querySelectorAll('body *')]\
                         .filter(e => e.getBoundingClientRect().right > w + 1 && !clipped(e)).slice(0, 8)\
                         .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
                    )
                    .await;
                assert!(
                    !self.scrolls_sideways().await,
                    "{name} ({}) scrolls sideways at {width}px; too wide: {wide}",
                    self.path().await
                );
            }
            let png = self.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write screenshot");
            // And the whole page, for a person to look over.
            if anchor.is_none() {
                let full = self.js("return document.documentElement.scrollHeight").await.as_u64().unwrap_or(0) as u32;
                self.resize(width, full.clamp(height, 8000)).await;
                let png = self.screenshot().await.expect("screenshot");
                std::fs::write(dir.join(format!("{name}-{width}-full.png")), png).expect("write screenshot");
            }
        }
        self.resize(SIZES[1].0, SIZES[1].1).await;
    }

    /// Makes the page prefer a dark (or light) colour scheme, as a reader's
    /// system setting would (Chrome DevTools Protocol through chromedriver).
    pub async fn prefer_dark(&self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        let params = json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]});
        self.issue_cmd(Cdp { cmd: "Emulation.setEmulatedMedia", params }).await.expect("emulate colour scheme");
        let matches = self.js(&format!("return matchMedia('(prefers-color-scheme: {scheme})').matches")).await;
        assert_eq!(matches, json!(true), "the page now prefers {scheme}");
    }

    /// Logs in through the login form, as a person would.
    pub async fn log_in(&self, username: &str, password: &str) {
        self.visit("/login").await;
        self.type_into("#username", username).await;
        self.type_into("#password", password).await;
        self.click_and_wait("form.account-form button[type=submit]").await;
        self.wait_for(".account-bar .signed-in").await;
    }

    /// Logs out with the header's button.
    pub async fn log_out(&self) {
        self.click_and_wait(".account-bar form[action='/logout'] button").await;
        self.wait_for(".account-bar a[href^='/login']").await;
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

/// Holds chromedriver while it starts, so a failure to start kills it too.
struct ChromeStarting {
    driver: Option<Child>,
}

impl Drop for ChromeStarting {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            let _ = driver.kill();
            let _ = driver.wait();
        }
    }
}

/// Polls chromedriver's /status until it says it is ready.
async fn wait_until_ready(port: u16, starting: &mut ChromeStarting) {
    let deadline = Instant::now() + WAIT;
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/status")).send().await
            && let Ok(text) = response.text().await
            && let Ok(status) = serde_json::from_str::<Value>(&text)
            && status["value"]["ready"] == json!(true)
        {
            return;
        }
        if let Some(driver) = starting.driver.as_mut()
            && let Ok(Some(exit)) = driver.try_wait()
        {
            panic!("chromedriver exited at start: {exit}");
        }
        assert!(Instant::now() < deadline, "chromedriver on port {port} never became ready");
        actix_web::rt::time::sleep(POLL).await;
    }
}

/// Ends a WebDriver session with a plain blocking request, so it works in
/// `Drop` even while a panicking test's runtime is going away.
fn delete_session(port: u16, session: &str) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // Wait for the whole answer (chromedriver answers once Chromium has
    // quit), but not for the connection to close: it may be kept alive.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut chunk) {
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return;
            }
        }
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            delete_session(self.driver_port, &session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
