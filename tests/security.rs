//! Security, driven over HTTP on both databases: hostile text in comments and
//! names comes back escaped and inert, SQL stays data, every POST route needs
//! its CSRF token, nothing changes on GET, redirects after log-in stay on the
//! site, rate limits and size caps answer with clear pages, and the security
//! headers and cookie flags are set.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;

use actix_web::web;
use chrono::NaiveDateTime;
use common::{Backend, Browser, PASSWORD, TestApp, TestDatabase, attrs, comment_id, html, location, texts};
use diesel::prelude::*;
use newsdesk::config::{Config, RawSettings};
use newsdesk::db::schema::{comments, users};
use newsdesk::db::{Database, PooledConn};
use newsdesk::state::{AppState, now};
use scraper::{ElementRef, Html, Selector};

const FLAGSHIP_SLUG: &str = "storm-surge-breaches-callowhaven-harbour-wall";
const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";
const PAYLOADS: &str = include_str!("data/xss_payloads.txt");
const LOGIN_FAILED: &str = "That username and password do not match an account. Check them and try again.";

// ---------------------------------------------------------------------------
// An app with settings TestApp does not offer (rate limits, https cookies).
// ---------------------------------------------------------------------------

/// The demo site started as `TestApp::start` does, with the settings changed
/// by `adjust` after validation.
struct CustomApp {
    address: String,
    state: web::Data<AppState>,
    server: actix_web::dev::ServerHandle,
    // Last, so the server lets go of the database before it is dropped.
    _database: TestDatabase,
}

impl CustomApp {
    async fn start(
        backend: Backend,
        base_url: Option<&str>,
        local_http: bool,
        adjust: impl FnOnce(&mut Config),
    ) -> Option<CustomApp> {
        let database = TestDatabase::create(backend)?;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let mut config = Config::from_raw(RawSettings {
            database_url: Some(database.url.clone()),
            base_url: Some(base_url.map_or_else(|| address.clone(), str::to_string)),
            pool_size: Some(4),
            session_key: Some(newsdesk::config::new_session_key()),
            local_http,
            ..Default::default()
        })
        .expect("test settings are valid");
        adjust(&mut config);
        let db = Database::open(&config.database, config.pool_size).expect("test database opens");
        newsdesk::import::load_demo_if_empty(&mut db.conn().expect("a connection"), now()).expect("demo content loads");
        let state = web::Data::new(AppState::new(config, db));
        let server = newsdesk::serve(state.clone(), listener, Some(1)).expect("server starts");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Some(CustomApp { address, state, server: handle, _database: database })
    }

    /// The demo site with rate limits that never trigger, for tests that
    /// post hundreds of comments or make dozens of accounts.
    async fn unlimited(backend: Backend) -> Option<CustomApp> {
        CustomApp::start(backend, None, true, common::unlimited).await
    }

    fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    fn conn(&self) -> PooledConn {
        self.state.db.conn().expect("a connection")
    }
}

impl Drop for CustomApp {
    fn drop(&mut self) {
        let stopping = self.server.stop(false);
        actix_web::rt::spawn(stopping);
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A new browser with a fresh account (display name = username), logged in.
async fn new_reader(base: &str, username: &str) -> Browser {
    let browser = Browser::new(base);
    let response = browser.signup(username, PASSWORD).await;
    assert_eq!(response.status(), 303, "sign-up of {username} succeeds");
    browser
}

/// Signs up with a chosen display name from a fresh browser.
async fn signup_as(base: &str, username: &str, display_name: &str) -> (Browser, reqwest::Response) {
    let browser = Browser::new(base);
    let response = browser
        .submit(
            "/signup",
            "/signup",
            &[("username", username), ("display_name", display_name), ("password", PASSWORD), ("confirm", PASSWORD)],
        )
        .await;
    (browser, response)
}

/// The payloads file: one hostile string a line.
fn payloads() -> Vec<&'static str> {
    PAYLOADS.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// Whitespace collapsed, as a page shows text.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An element's text as a reader sees it: its text nodes run together (a
/// link inside a sentence adds no space), whitespace collapsed.
fn text_of(element: ElementRef) -> String {
    normalise(&element.text().collect::<String>())
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("valid selector")
}

/// Text of the `.comment-text` (or other `part`) of every comment on a page, by id.
fn comment_parts(doc: &Html, part: &str) -> BTreeMap<i32, String> {
    let inner = selector(part);
    doc.select(&selector("article.comment-body"))
        .filter_map(|article| {
            let id = article.value().id()?.strip_prefix("comment-")?.parse().ok()?;
            Some((id, article.select(&inner).next().map(text_of)?))
        })
        .collect()
}

/// Elements that run script, load or embed content, take input or change
/// how the page is read. A page may hold only the ones its template has.
const ACTIVE_ELEMENTS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "img",
    "video",
    "audio",
    "source",
    "picture",
    "style",
    "link",
    "base",
    "meta[http-equiv]",
    "meta",
    "form",
    "input",
    // Each comment others can see has a "Respect" button (checked below).
    "button:not(.respect-button)",
    "textarea",
    "select",
    "details",
    "dialog",
    "marquee",
    "template",
    "noscript",
    "noembed",
    "xmp",
    "plaintext",
    "isindex",
    "keygen",
    "bgsound",
    "layer",
    "xml",
    "x",
    "xss",
    "body",
    "title",
    "table",
];

fn active_counts(doc: &Html) -> BTreeMap<&'static str, usize> {
    ACTIVE_ELEMENTS.iter().map(|css| (*css, doc.select(&selector(css)).count())).collect()
}

/// Attributes whose value a browser follows or loads.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "action", "formaction", "data", "poster", "background", "xlink:href"];

/// The page at `page_url` can run nothing a reader wrote: it has exactly the
/// active elements of `baseline`, no inline event handler anywhere, and every
/// address it links or loads is http(s) as a browser resolves it.
fn assert_inert(doc: &Html, baseline: &BTreeMap<&'static str, usize>, page_url: &str, context: &str) {
    assert_eq!(&active_counts(doc), baseline, "{context}: the page has only its template's active elements");
    assert_eq!(doc.select(&selector(".comments script")).count(), 0, "{context}: no script among the comments");
    // The "Respect" buttons are the template's: each posts the reader's own
    // form to its comment's address, and says nothing a reader wrote.
    for button in doc.select(&selector(".respect-button")) {
        let value = button.value();
        assert_eq!(value.attr("form"), Some("respect-form"), "{context}");
        let id = button.ancestors().filter_map(ElementRef::wrap).find_map(|a| a.value().id()?.strip_prefix("comment-"));
        assert_eq!(value.attr("formaction"), id.map(|id| format!("/comments/{id}/respect")).as_deref(), "{context}");
    }
    let base = url::Url::parse(page_url).expect("page url");
    for element in doc.select(&selector("*")) {
        for (name, value) in element.value().attrs() {
            let name = name.to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "{context}: <{} {name}=\"{value}\"> is an event handler",
                element.value().name()
            );
            if URL_ATTRIBUTES.contains(&name.as_str()) {
                // WHATWG parsing (what the url crate does) drops tabs and newlines
                // and lower-cases the scheme, as browsers do.
                if let Ok(resolved) = base.join(value) {
                    assert!(
                        matches!(resolved.scheme(), "http" | "https"),
                        "{context}: <{} {name}=\"{value}\"> leads to a {} URL",
                        element.value().name(),
                        resolved.scheme()
                    );
                }
                let squashed: String =
                    value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_lowercase();
                assert!(
                    !squashed.starts_with("javascript:") && !squashed.starts_with("vbscript:"),
                    "{context}: {name}=\"{value}\""
                );
            }
        }
    }
}

/// Comment text is paragraphs and user-content links, nothing else.
fn assert_comment_markup_is_plain(doc: &Html, context: &str) {
    for element in doc.select(&selector(".comment-text *")) {
        let tag = element.value().name();
        assert!(tag == "p" || tag == "a", "{context}: <{tag}> inside comment text");
        for (name, value) in element.value().attrs() {
            assert!(!name.to_ascii_lowercase().starts_with("on"), "{context}: <{tag} {name}=\"{value}\">");
        }
        if tag == "a" {
            let href = element.value().attr("href").unwrap_or_default();
            assert!(href.starts_with("http://") || href.starts_with("https://"), "{context}: link to {href:?}");
            assert_eq!(element.value().attr("rel"), Some("nofollow ugc noopener"), "{context}: rel of {href}");
            let names: Vec<&str> = element.value().attrs().map(|(n, _)| n).collect();
            assert_eq!(names.len(), 2, "{context}: a comment link has only href and rel: {names:?}");
        }
    }
}

fn comment_rows(conn: &mut PooledConn) -> Vec<CommentRow> {
    comments::table
        .order(comments::id)
        .select((comments::id, comments::body, comments::status, comments::edited_at, comments::deleted_at))
        .load(&mut **conn)
        .expect("comments load")
}

type CommentRow = (i32, String, String, Option<NaiveDateTime>, Option<NaiveDateTime>);
type UserRow = (i32, String, String, String, String);

fn user_rows(conn: &mut PooledConn) -> Vec<UserRow> {
    users::table
        .order(users::id)
        .select((users::id, users::username, users::display_name, users::password_hash, users::role))
        .load(&mut **conn)
        .expect("users load")
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().expect("header is text").to_string())
}

/// A Retry-After of whole seconds, at least one.
fn retry_after(response: &reqwest::Response, context: &str) -> u64 {
    let raw = header(response, "retry-after").unwrap_or_else(|| panic!("{context}: no Retry-After header"));
    let seconds: u64 = raw.trim().parse().unwrap_or_else(|_| panic!("{context}: Retry-After {raw:?} is not seconds"));
    assert!(seconds >= 1, "{context}: Retry-After {seconds}");
    seconds
}

// ---------------------------------------------------------------------------
// 1. Comments
// ---------------------------------------------------------------------------

/// Every payload posted as a comment shows as the exact text typed, and the
/// pages around them gain no script, handler, embed or hostile link.
async fn xss_payloads_in_comments_come_back_escaped_and_inert(backend: Backend) {
    let Some(app) = CustomApp::unlimited(backend).await else { return };
    let reader = new_reader(&app.address, "xss_commenter").await;
    let (status, before) = reader.page(FLAGSHIP).await;
    assert_eq!(status, 200);
    let baseline = active_counts(&html(&before));
    // The page's only scripts are its structured data, which browsers do not run.
    let executable = html(&before).select(&selector("script:not([type='application/ld+json'])")).count();
    assert!(baseline["textarea"] == 1 && executable == 0, "the page before: {baseline:?}");

    let payloads = payloads();
    assert!(payloads.len() >= 120, "only {} payloads", payloads.len());
    let token = reader.csrf(FLAGSHIP).await;
    let action = format!("{FLAGSHIP}/comments");
    let mut posted = Vec::new();
    for payload in &payloads {
        let response = reader.post(&action, &[("csrf_token", token.as_str()), ("body", payload)]).await;
        assert_eq!(response.status(), 303, "posting {payload:?}");
        posted.push((comment_id(&response), *payload));
    }

    let mut shown = BTreeMap::new();
    for page in 1.. {
        let path = format!("{FLAGSHIP}?page={page}");
        let (status, body) = reader.page(&path).await;
        if status == 404 {
            break;
        }
        assert_eq!(status, 200, "{path}");
        assert!(page <= 10, "pages never end");
        let doc = html(&body);
        assert_inert(&doc, &baseline, &reader.url(&path), &path);
        assert_comment_markup_is_plain(&doc, &path);
        shown.extend(comment_parts(&doc, ".comment-text"));
    }
    for (id, payload) in posted {
        assert_eq!(shown.get(&id), Some(&normalise(payload)), "comment {id} shows exactly {payload:?}");
    }
}

/// Replies to comment `parent` on the flagship story from the article's form.
async fn reply_as(browser: &Browser, parent: i32, body: &str) -> i32 {
    let token = browser.csrf(FLAGSHIP).await;
    let parent = parent.to_string();
    let fields = [("csrf_token", token.as_str()), ("body", body), ("parent_id", parent.as_str())];
    let response = browser.post(&format!("{FLAGSHIP}/comments"), &fields).await;
    assert_eq!(response.status(), 303, "reply {body:?}");
    comment_id(&response)
}

/// Hostile text and names are inert on every other page that shows comment
/// text or display names: the editors' picks above the discussion, a
/// reader's replies page, the reply, edit and delete pages, and the
/// comments feed. Each shows the exact text and gains nothing active.
async fn xss_payloads_are_inert_wherever_comments_or_names_appear(backend: Backend) {
    let Some(app) = CustomApp::unlimited(backend).await else { return };
    let hash = newsdesk::security::passwords::hash(PASSWORD).unwrap();
    let role = newsdesk::models::Role::Moderator;
    newsdesk::models::User::create(&mut app.conn(), "xss_editor", "Editor", &hash, role, now()).unwrap().unwrap();
    let editor = app.browser();
    assert_eq!(editor.login("xss_editor", PASSWORD).await.status(), 303);
    let editor_token = editor.csrf("/admin").await;
    let feature = |id: i32| {
        let (editor, token) = (&editor, editor_token.clone());
        async move {
            let response =
                editor.post(&format!("/admin/comments/{id}/feature"), &[("csrf_token", token.as_str())]).await;
            assert_eq!(response.status(), 303, "featuring {id}");
        }
    };
    let victim = new_reader(&app.address, "xss_victim").await;
    let target = comment_id(&victim.comment(FLAGSHIP, "The comment everyone answers.").await);
    // Every page once with plain words, for its template's own elements.
    let plain = new_reader(&app.address, "plain_replier").await;
    let plain_reply = reply_as(&plain, target, "A plain answer.").await;
    feature(plain_reply).await;
    let mut baselines = BTreeMap::new();
    for (name, who, path) in [
        ("article", &victim, FLAGSHIP.to_string()),
        ("replies", &victim, "/account/replies".to_string()),
        ("reply", &victim, format!("/comments/{plain_reply}/reply")),
        ("edit", &plain, format!("/comments/{plain_reply}/edit")),
        ("delete", &plain, format!("/comments/{plain_reply}/delete")),
    ] {
        let (status, body) = who.page(&path).await;
        assert_eq!(status, 200, "{path}");
        baselines.insert(name, active_counts(&html(&body)));
    }

    let chosen: Vec<&str> = payloads()
        .into_iter()
        .filter(|p| (1..=50).contains(&normalise(p).chars().count()))
        .step_by(7)
        .take(18)
        .collect();
    assert!(chosen.len() >= 15, "{} payloads", chosen.len());
    let mut written = Vec::new();
    for (n, payload) in chosen.iter().enumerate() {
        let (hostile, response) = signup_as(&app.address, &format!("hostile_{n}"), payload).await;
        assert_eq!(response.status(), 303, "sign-up as {payload:?}");
        let id = reply_as(&hostile, target, payload).await;
        written.push((id, *payload));
        for (name, path) in [("edit", format!("/comments/{id}/edit")), ("delete", format!("/comments/{id}/delete"))] {
            let (status, body) = hostile.page(&path).await;
            assert_eq!(status, 200, "{path}");
            let doc = html(&body);
            assert_inert(&doc, &baselines[name], &hostile.url(&path), &format!("{name} page of {payload:?}"));
            if name == "edit" {
                let typed: String = doc.select(&selector("#comment-body")).flat_map(|t| t.text()).collect();
                assert_eq!(typed, payload.trim(), "the edit box holds the text as typed");
            } else {
                assert_eq!(comment_parts(&doc, ".comment-text").get(&id), Some(&normalise(payload)), "{path}");
                assert_eq!(comment_parts(&doc, ".comment-author").get(&id), Some(&normalise(payload)), "{path}");
            }
        }
        let path = format!("/comments/{id}/reply");
        let (status, body) = victim.page(&path).await;
        assert_eq!(status, 200, "{path}");
        let doc = html(&body);
        assert_inert(&doc, &baselines["reply"], &victim.url(&path), &format!("reply page of {payload:?}"));
        assert_eq!(comment_parts(&doc, ".comment-text").get(&id), Some(&normalise(payload)), "{path}");
        assert_eq!(comment_parts(&doc, ".comment-author").get(&id), Some(&normalise(payload)), "{path}");
        if n % 3 == 0 {
            feature(id).await;
        }
    }

    // The editors' picks, and the replies page.
    let (_, body) = victim.page(FLAGSHIP).await;
    let doc = html(&body);
    assert_inert(&doc, &baselines["article"], &victim.url(FLAGSHIP), "article with hostile picks");
    let picks = doc.select(&selector(".featured-comments")).next().expect("the picks box").html();
    let picks = html(&picks);
    assert_comment_markup_is_plain(&picks, "editors' picks");
    let picked: Vec<(String, String)> = picks
        .select(&selector("li"))
        .map(|item| {
            let part = |css: &str| item.select(&selector(css)).next().map(text_of).unwrap_or_default();
            (part(".comment-text"), part(".comment-author"))
        })
        .collect();
    // The box shows the newest few picks: each is a payload, shown as typed.
    assert!(picked.len() >= 3, "{picked:?}");
    for (text, name) in &picked {
        let matches = |p: &&&str| normalise(p) == *text && normalise(p) == *name;
        assert!(written.iter().map(|(_, p)| p).any(|p| matches(&p)), "pick {text:?} by {name:?} is a payload as typed");
    }
    let (_, body) = victim.page("/account/replies").await;
    let doc = html(&body);
    assert_inert(&doc, &baselines["replies"], &victim.url("/account/replies"), "replies page");
    assert_comment_markup_is_plain(&doc, "replies page");
    let texts_shown: Vec<String> = doc.select(&selector(".reply-item .comment-text")).map(text_of).collect();
    let names_shown: Vec<String> = doc.select(&selector(".reply-item .comment-author")).map(text_of).collect();
    for (_, payload) in &written {
        assert!(texts_shown.contains(&normalise(payload)), "replies page shows {payload:?} as text");
        assert!(names_shown.contains(&normalise(payload)), "replies page names {payload:?} as text");
    }

    // The comments feed: well-formed, and each entry's HTML is the text, escaped.
    let feed_url = format!("{FLAGSHIP}/comments.atom");
    let (status, xml) = victim.page(&feed_url).await;
    assert_eq!(status, 200);
    let tree = roxmltree::Document::parse(&xml).expect("the feed is well-formed XML");
    let mut seen = 0;
    for entry in tree.descendants().filter(|n| n.has_tag_name("entry")) {
        let content = entry.children().find(|n| n.has_tag_name("content")).and_then(|n| n.text()).unwrap_or_default();
        let author = entry.descendants().find(|n| n.has_tag_name("name")).and_then(|n| n.text()).unwrap_or_default();
        let fragment = html(content);
        assert_eq!(fragment.select(&selector("script, img, iframe, svg, style, form")).count(), 0, "{content}");
        assert_comment_markup_is_plain(&html(&format!("<div class=\"comment-text\">{content}</div>")), "feed entry");
        if let Some((_, payload)) =
            written.iter().find(|(_, p)| normalise(&text_of(fragment.root_element())) == normalise(p))
        {
            assert_eq!(normalise(author), normalise(payload), "the entry's author is the name as typed");
            seen += 1;
        }
    }
    assert_eq!(seen, written.len(), "every hostile comment is in the feed, as text");
}

// ---------------------------------------------------------------------------
// 2. Names
// ---------------------------------------------------------------------------

/// Hostile display names show as text in comments and the header; hostile
/// usernames are refused with the field marked and the value escaped.
async fn xss_payloads_as_usernames_and_display_names_are_escaped(backend: Backend) {
    let Some(app) = CustomApp::unlimited(backend).await else { return };
    let plain = new_reader(&app.address, "plain_reader").await;
    assert_eq!(plain.comment(FLAGSHIP, "A plain comment to compare with.").await.status(), 303);
    let article_baseline = active_counts(&html(&plain.page(FLAGSHIP).await.1));
    let home_baseline = active_counts(&html(&plain.page("/").await.1));

    // Display names: free text of 1 to 50 characters.
    let fitting: Vec<&str> =
        payloads().into_iter().filter(|p| (1..=50).contains(&normalise(p).chars().count())).collect();
    let chosen: Vec<&str> = fitting.iter().copied().step_by((fitting.len() / 30).max(1)).take(30).collect();
    assert!(chosen.len() >= 25, "{} display-name payloads", chosen.len());
    let mut by_comment = Vec::new();
    for (n, name) in chosen.iter().enumerate() {
        let (browser, response) = signup_as(&app.address, &format!("payload_{n}"), name).await;
        assert_eq!(response.status(), 303, "sign-up with display name {name:?}");
        let (_, home) = browser.page("/").await;
        let doc = html(&home);
        assert_eq!(texts(&doc, ".signed-in a"), [normalise(name)], "header shows {name:?} as text");
        assert_inert(&doc, &home_baseline, &browser.url("/"), &format!("home page of {name:?}"));
        let response = browser.comment(FLAGSHIP, &format!("Comment number {n}.")).await;
        assert_eq!(response.status(), 303);
        by_comment.push((comment_id(&response), *name));
    }
    let (_, body) = plain.page(FLAGSHIP).await;
    let doc = html(&body);
    assert_inert(&doc, &article_baseline, &plain.url(FLAGSHIP), "article with hostile names");
    let authors = comment_parts(&doc, ".comment-author");
    for (id, name) in by_comment {
        assert_eq!(authors.get(&id), Some(&normalise(name)), "comment {id} is signed {name:?}");
    }

    // Usernames: [A-Za-z0-9_-]{3,30}, so every payload is refused.
    let visitor = app.browser();
    let (_, empty_form) = visitor.page("/signup").await;
    let scripts_before = empty_form.to_lowercase().matches("<script").count();
    let (_, first_refusal) = signup_as(&app.address, "no", "Probe").await;
    let refused_baseline = active_counts(&html(&first_refusal.text().await.unwrap()));
    for payload in payloads() {
        let response = visitor
            .submit(
                "/signup",
                "/signup",
                &[("username", payload), ("display_name", "Probe"), ("password", PASSWORD), ("confirm", PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), 422, "username {payload:?} is refused");
        let body = response.text().await.unwrap();
        let doc = html(&body);
        assert_eq!(texts(&doc, "#username-error").len(), 1, "{payload:?}: the username field says why");
        assert_eq!(attrs(&doc, "input#username", "value"), [payload.trim()], "{payload:?} kept in the field");
        assert_eq!(body.to_lowercase().matches("<script").count(), scripts_before, "{payload:?}: no raw <script");
        assert_inert(&doc, &refused_baseline, &visitor.url("/signup"), &format!("sign-up form with {payload:?}"));
    }
    let count = users::table.count().get_result::<i64>(&mut *app.conn()).unwrap();
    assert_eq!(count, 1 + chosen.len() as i64, "no account was made with a hostile username");
}

// ---------------------------------------------------------------------------
// 3. SQL
// ---------------------------------------------------------------------------

const SQL_STRINGS: &[&str] = &[
    "' OR 1=1 --",
    "\"; DROP TABLE comments; --",
    "1' UNION SELECT password_hash FROM users --",
    "%' AND 1=1 --",
    r"\'; --",
    "'); DELETE FROM users; --",
    "' OR '1'='1",
];

/// SQL in comments, names, log-in names and addresses is stored and shown
/// as typed, and the site keeps working.
async fn sql_injection_strings_are_stored_literally(backend: Backend) {
    let Some(app) = CustomApp::unlimited(backend).await else { return };
    let admin = new_reader(&app.address, "admin").await;
    let reader = new_reader(&app.address, "sql_reader").await;
    let mut posted = Vec::new();
    for (n, text) in SQL_STRINGS.iter().enumerate() {
        let response = reader.comment(FLAGSHIP, text).await;
        assert_eq!(response.status(), 303, "comment {text:?}");
        posted.push((comment_id(&response), *text));

        let (browser, response) = signup_as(&app.address, &format!("sql_name_{n}"), text).await;
        assert_eq!(response.status(), 303, "display name {text:?}");
        assert_eq!(browser.logged_in_as().await.as_deref(), Some(*text));
    }

    // Log-in names are looked up as data: no account matches.
    for username in SQL_STRINGS.iter().chain(&["admin' --", "admin'--", "admin' OR '1'='1"]) {
        for password in [PASSWORD, "anything at all"] {
            let browser = app.browser();
            let response = browser.login(username, password).await;
            assert_eq!(response.status(), 401, "log-in as {username:?}");
            let doc = html(&response.text().await.unwrap());
            assert_eq!(texts(&doc, "#login-error"), [LOGIN_FAILED], "{username:?}");
            assert_eq!(attrs(&doc, "input#username", "value"), [username.trim()]);
            assert_eq!(browser.logged_in_as().await, None);
        }
    }

    // Addresses and query parameters.
    let base = url::Url::parse(&app.address).unwrap();
    for text in SQL_STRINGS {
        for prefix in ["articles", "sections", "authors", "tags", "comments"] {
            let mut url = base.clone();
            url.path_segments_mut().unwrap().extend([prefix, text]);
            let response = reqwest::get(url.as_str()).await.unwrap();
            assert_eq!(response.status(), 404, "{url}");
        }
        let query: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let (status, _) = reader.page(&format!("{FLAGSHIP}?page={query}")).await;
        assert_eq!(status, 404, "page={text:?} is a page that does not exist");
        let (status, body) = reader.page(&format!("{FLAGSHIP}?sort={query}")).await;
        assert_eq!(status, 200, "sort={text:?}");
        assert_eq!(comment_parts(&html(&body), ".comment-text").len(), SQL_STRINGS.len());
        let (status, _) = app.browser().page(&format!("/sections/local?page={query}")).await;
        assert_eq!(status, 404);
        let (status, body) = app.browser().page(&format!("/login?next={query}")).await;
        assert_eq!(status, 200);
        assert_eq!(attrs(&html(&body), "input[name=next]", "value"), ["/"]);
    }

    // Everything is still there, stored literally.
    let (status, body) = reader.page(FLAGSHIP).await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, ".comment-count"), [format!("{} comments", SQL_STRINGS.len())]);
    let shown = comment_parts(&doc, ".comment-text");
    let mut conn = app.conn();
    let stored = comment_rows(&mut conn);
    for (id, text) in &posted {
        assert_eq!(shown.get(id).map(String::as_str), Some(*text), "comment {id} shown");
        assert!(stored.iter().any(|row| row.0 == *id && row.1 == *text), "comment {id} stored as {text:?}");
    }
    let accounts = user_rows(&mut conn);
    assert_eq!(accounts.len(), 2 + SQL_STRINGS.len());
    for text in SQL_STRINGS {
        assert!(accounts.iter().any(|row| row.2 == *text), "display name {text:?} stored");
    }
    assert_eq!(admin.logged_in_as().await.as_deref(), Some("admin"));
    assert_eq!(app.browser().login("admin", PASSWORD).await.status(), 303, "the real admin still logs in");
}

// ---------------------------------------------------------------------------
// 4. CSRF
// ---------------------------------------------------------------------------

/// Every POST route, with its scope's prefix, read from the source so a new
/// route is tested as soon as it exists; the ones deliberately exempt from
/// the token (listed, with reasons, in `csrf::EXEMPT`) are left out.
fn post_routes() -> Vec<String> {
    let all: Vec<String> = common::routes().into_iter().filter(|(m, _)| *m == "POST").map(|(_, p)| p).collect();
    for (route, why) in newsdesk::security::csrf::EXEMPT {
        assert!(all.iter().any(|r| r == route), "the exempt {route} ({why}) is a route");
    }
    all.into_iter().filter(|r| !newsdesk::security::csrf::EXEMPT.iter().any(|(e, _)| e == r)).collect()
}

/// A route with its `{params}` filled in to do the most harm: the victim's
/// comment, another reader's account, a removal.
fn fill_route(route: &str, comment: i32, other_user: &str) -> String {
    let mut out = String::new();
    let mut rest = route;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|c| open + c).expect("balanced braces");
        out.push_str(&rest[..open]);
        let name = rest[open + 1..close].split(':').next().unwrap_or_default().trim();
        out.push_str(&match name {
            "slug" => FLAGSHIP_SLUG.to_string(),
            "id" => comment.to_string(),
            "username" => other_user.to_string(),
            "action" => "remove".to_string(),
            other => panic!("{route}: fill in {{{other}}}"),
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Form fields as sent.
type Fields = Vec<(&'static str, String)>;

/// The fields that would make a forged request to `route` do the most harm.
fn forged_fields(route: &str, other_user: &str, comment: i32) -> Fields {
    let new_password = "a brand new harbour phrase".to_string();
    let mut fields = vec![
        ("body", "Forged comment text".to_string()),
        ("username", "forged_account".to_string()),
        ("display_name", "Forged Name".to_string()),
        ("password", new_password.clone()),
        ("confirm", new_password),
        ("current", PASSWORD.to_string()),
        ("next", "/".to_string()),
        ("reason", "Spam".to_string()),
        ("length", "permanent".to_string()),
        ("role", "reader".to_string()),
        ("action", "remove".to_string()),
        ("ids", comment.to_string()),
        ("banned_words", "forged".to_string()),
        ("max_links", "0".to_string()),
        ("auto_close_days", "1".to_string()),
    ];
    if route == "/login" {
        // Login CSRF: logging the victim into the attacker's account.
        fields[1].1 = other_user.to_string();
        fields[3].1 = PASSWORD.to_string();
    }
    if route == "/account/delete" {
        // The worst case: a forgery that somehow carries the real password.
        fields[3].1 = PASSWORD.to_string();
    }
    fields
}

/// No POST route acts without the session's token and a same-origin
/// request. The victim is an admin, so an unprotected admin route would
/// act; after every forged request every table is as it was.
async fn every_post_route_refuses_a_missing_or_wrong_csrf_token(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let routes = post_routes();
    for needed in ["/login", "/signup", "/logout", "/articles/{slug}/comments", "/admin/comments/{id}/{action}"] {
        assert!(routes.iter().any(|r| r == needed), "{needed} found in src/routes: {routes:?}");
    }
    let other = app.reader("csrf_other").await;
    let others_comment = comment_id(&other.comment(FLAGSHIP, "Another reader's comment.").await);
    let hash = newsdesk::security::passwords::hash(PASSWORD).unwrap();
    let admin = newsdesk::models::Role::Admin;
    newsdesk::models::User::create(&mut app.conn(), "csrf_admin", "csrf_admin", &hash, admin, now()).unwrap().unwrap();
    let victim = app.browser();
    assert_eq!(victim.login("csrf_admin", PASSWORD).await.status(), 303);
    let response = victim.comment(FLAGSHIP, "The victim's own comment.").await;
    assert_eq!(response.status(), 303, "a proper post works");
    let comment = comment_id(&response);
    let token = victim.csrf("/account").await;
    let answered_by_form = newsdesk::security::csrf::ANSWERED_BY_THEIR_FORM;

    for route in &routes {
        let path = fill_route(route, comment, "csrf_other");
        let fields = forged_fields(route, "csrf_other", comment);
        let with_token = |token: &str| {
            let mut all: Fields = vec![("csrf_token", token.to_string())];
            all.extend(fields.iter().cloned());
            all
        };
        let attempts = [
            ("no token", fields.clone(), None),
            ("a wrong token", with_token("x".repeat(token.len()).as_str()), None),
            ("an empty token", with_token(""), None),
            ("another site's Origin", with_token(&token), Some(("Origin", "https://evil.example"))),
            ("another site's Referer", with_token(&token), Some(("Referer", "https://evil.example/page"))),
            ("Origin null", with_token(&token), Some(("Origin", "null"))),
        ];
        for (what, form, header) in attempts {
            let context = format!("POST {path} with {what}");
            let before = app.snapshot();
            let mut request = victim.client.post(victim.url(&path)).form(&form);
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let response = request.send().await.expect("answered");
            assert_eq!(response.status(), 403, "{context}");
            let doc = html(&response.text().await.unwrap());
            if answered_by_form.contains(&route.as_str()) {
                assert_eq!(texts(&doc, "#comment-body"), ["Forged comment text"], "{context}: text kept");
                assert_eq!(texts(&doc, "[role=alert]").len(), 1, "{context}: says why");
            } else {
                assert_eq!(texts(&doc, "h1"), ["This form has expired"], "{context}");
            }
            let changed = common::differences(&before, &app.snapshot());
            assert!(changed.is_empty(), "{context} changed {changed:#?}");
            assert_eq!(victim.logged_in_as().await.as_deref(), Some("csrf_admin"), "{context}: still logged in");
        }
    }
    let stored = comment_rows(&mut app.conn());
    let texts: Vec<&str> = stored.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(texts, ["Another reader's comment.", "The victim's own comment."]);

    // Each path tried is one the app serves: with the token, none is a 404
    // (another reader's comment, which the victim may report or remove).
    // (Log-out goes last: it ends the session the others need.)
    let mut routed: Vec<&String> = routes.iter().filter(|r| r.as_str() != "/logout").collect();
    routed.push(routes.iter().find(|r| r.as_str() == "/logout").expect("/logout"));
    for route in routed {
        // Admin actions act on the victim's own comment, so the other one
        // is still there to be reported.
        let target = if route.starts_with("/admin") { comment } else { others_comment };
        let path = fill_route(route, target, "csrf_other");
        let token = victim.csrf("/account").await;
        let response = victim.post(&path, &[("csrf_token", token.as_str())]).await;
        assert_ne!(response.status(), 404, "POST {path} reaches a handler");
    }
}

// ---------------------------------------------------------------------------
// 5. GET
// ---------------------------------------------------------------------------

/// Following a link never logs out or deletes.
async fn no_state_changes_on_get(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("get_reader").await;
    let response = reader.comment(FLAGSHIP, "Still here after every GET.").await;
    let id = comment_id(&response);

    let response = reader.get("/logout").await;
    assert!(matches!(response.status().as_u16(), 404 | 405), "GET /logout: {}", response.status());
    assert_eq!(reader.logged_in_as().await.as_deref(), Some("get_reader"));

    let (status, body) = reader.page(&format!("/comments/{id}/delete")).await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1"), ["Delete your comment?"]);
    assert_eq!(attrs(&doc, "form[method=post]", "action"), ["/logout".to_string(), format!("/comments/{id}/delete")]);
    let (_, body) = reader.page(FLAGSHIP).await;
    assert_eq!(
        comment_parts(&html(&body), ".comment-text").get(&id).map(String::as_str),
        Some("Still here after every GET.")
    );
    let rows = comment_rows(&mut app.conn());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].4, None, "not deleted");
}

// ---------------------------------------------------------------------------
// 6. Redirects
// ---------------------------------------------------------------------------

/// Whether a browser on `base` following `location` stays on `base`'s host
/// (the url crate parses as browsers do: `/\x` is `//x`, tabs vanish…).
fn stays_on_site(base: &str, location: &str) -> bool {
    let base = url::Url::parse(base).unwrap();
    let single_slash = location.starts_with('/') && !location.starts_with("//") && !location.starts_with("/\\");
    single_slash && base.join(location).is_ok_and(|u| u.origin() == base.origin())
}

/// After log-in, `next` leads only to a path on this site.
async fn open_redirects_after_login_go_home(backend: Backend) {
    let Some(app) = CustomApp::unlimited(backend).await else { return };
    drop(new_reader(&app.address, "redirect_reader").await);
    let login = |next: &'static str| {
        let browser = app.browser();
        async move {
            let response = browser
                .submit("/login", "/login", &[("username", "redirect_reader"), ("password", PASSWORD), ("next", next)])
                .await;
            assert_eq!(response.status(), 303, "log-in with next={next:?}");
            location(&response)
        }
    };
    for next in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\\/evil.example",
        "///evil.example",
        " //evil.example",
        "http:evil.example",
        "https:evil.example",
        "http://127.0.0.1.evil.example/",
        "%2F%2Fevil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ] {
        assert_eq!(login(next).await, "/", "next={next:?} goes home");
    }
    // Encoded slashes stay in the path: harmless, but checked as a browser reads them.
    for next in ["/%2F/evil.example", "/%5Cevil.example", "/%09/evil.example", "/%2F%2Fevil.example"] {
        let location = login(next).await;
        assert!(location == "/" || location == next, "next={next:?} → {location:?}");
        assert!(stays_on_site(&app.address, &location), "next={next:?} → {location:?} leaves the site");
    }
    assert_eq!(login("/articles/x#comments").await, "/articles/x#comments");
    assert_eq!(login(FLAGSHIP).await, FLAGSHIP);
}

// ---------------------------------------------------------------------------
// 7. Rate limits
// ---------------------------------------------------------------------------

/// Log-ins, sign-ups and comments over their limits are answered 429 with
/// a Retry-After and words saying to wait; a refused comment keeps its text.
async fn rate_limits_answer_429_with_retry_after(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let victim = app.reader("rate_victim").await;

    // Comments: three in a row, then one per 10 s.
    for n in 1..=3 {
        assert_eq!(victim.comment(FLAGSHIP, &format!("Quick comment {n}.")).await.status(), 303);
    }
    let fourth = "A fourth comment, too soon.\nWith a second line.";
    let response = victim.comment(FLAGSHIP, fourth).await;
    assert_eq!(response.status(), 429, "4th comment in 10 s");
    retry_after(&response, "comment");
    let doc = html(&response.text().await.unwrap());
    let kept: Vec<String> = doc.select(&selector("#comment-body")).map(|t| t.text().collect::<String>()).collect();
    assert_eq!(kept, [fourth], "the comment waits in its textarea");
    let alert = texts(&doc, "[role=alert]").join(" ");
    assert!(alert.to_lowercase().contains("wait"), "says to wait: {alert:?}");
    assert_eq!(comment_rows(&mut app.conn()).len(), 3);

    // Sign-ups: five from one address, then one per 10 minutes.
    for n in 2..=5 {
        let (_, response) = signup_as(&app.address, &format!("rate_signup_{n}"), "Rate").await;
        assert_eq!(response.status(), 303, "sign-up {n}");
    }
    let (_, response) = signup_as(&app.address, "rate_signup_6", "Rate").await;
    assert_eq!(response.status(), 429, "6th sign-up from one address");
    retry_after(&response, "sign-up");
    let body = response.text().await.unwrap();
    assert!(text_of(html(&body).root_element()).to_lowercase().contains("wait"), "says to wait");
    assert_eq!(user_rows(&mut app.conn()).len(), 5);

    // Log-ins: ten tries at one account, then one a minute.
    let guesser = app.browser();
    for n in 1..=10 {
        let response = guesser.login("rate_victim", &format!("wrong guess {n}")).await;
        assert_eq!(response.status(), 401, "guess {n}");
    }
    let response = guesser.login("rate_victim", "wrong guess 11").await;
    assert_eq!(response.status(), 429, "11th log-in attempt in a minute");
    let seconds = retry_after(&response, "log-in");
    assert!(seconds <= 60, "Retry-After {seconds}");
    let body = response.text().await.unwrap();
    let doc = html(&body);
    assert!(text_of(doc.root_element()).to_lowercase().contains("wait"), "says to wait");
    assert_eq!(doc.select(&selector(".site-header")).count(), 1, "in the site's layout");
    // Even the right password waits: the limit guards the account.
    assert_eq!(app.browser().login("rate_victim", PASSWORD).await.status(), 429);
    // So do the account's own forms that check the password, so a stolen
    // session is no faster way to guess it.
    let delete = victim.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(delete.status(), 429, "account deletion waits too");
    retry_after(&delete, "account deletion");
    let change = victim
        .submit(
            "/account",
            "/account/password",
            &[("current", "guess"), ("password", "x y z w v"), ("confirm", "x y z w v")],
        )
        .await;
    assert_eq!(change.status(), 429, "password change waits too");
    assert_eq!(victim.logged_in_as().await.as_deref(), Some("rate_victim"), "nothing was deleted");
}

// ---------------------------------------------------------------------------
// 8. Sizes
// ---------------------------------------------------------------------------

/// Huge bodies get a 413 page; comments are capped at 5000 characters, not bytes.
async fn request_bodies_are_capped(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("size_reader").await;
    let token = reader.csrf(FLAGSHIP).await;
    let big = "a".repeat(100_000);
    for path in ["/login".to_string(), format!("{FLAGSHIP}/comments")] {
        let response = reader
            .client
            .post(reader.url(&path))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", "size_reader"),
                ("password", big.as_str()),
                ("body", big.as_str()),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path} of 100 KB is answered, not dropped: {e}"));
        assert_eq!(response.status(), 413, "{path}");
        assert!(header(&response, "content-type").unwrap_or_default().starts_with("text/html"));
        let doc = html(&response.text().await.expect("the whole page arrives"));
        assert_eq!(texts(&doc, "h1"), ["Too large"], "{path}");
        assert_eq!(doc.select(&selector(".site-header")).count(), 1, "{path}: in the site's layout");
    }
    assert_eq!(comment_rows(&mut app.conn()).len(), 0);
    assert_eq!(reader.logged_in_as().await.as_deref(), Some("size_reader"), "the session survives");

    let exactly = "é".repeat(5000);
    let response = reader.comment(FLAGSHIP, &exactly).await;
    assert_eq!(response.status(), 303, "5000 characters (10000 bytes) are allowed");
    let stored = comment_rows(&mut app.conn());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1, exactly);

    let over = "é".repeat(5001);
    let response = reader.comment(FLAGSHIP, &over).await;
    assert_eq!(response.status(), 422, "5001 characters");
    let doc = html(&response.text().await.unwrap());
    let kept: Vec<String> = doc.select(&selector("#comment-body")).map(|t| t.text().collect()).collect();
    assert_eq!(kept, [over], "the text is kept in full");
    let alert = texts(&doc, "[role=alert]");
    assert!(alert.len() == 1 && alert[0].contains("5,000"), "says the limit: {alert:?}");
    assert_eq!(comment_rows(&mut app.conn()).len(), 1);
}

// ---------------------------------------------------------------------------
// 9. Bad bodies
// ---------------------------------------------------------------------------

/// Empty, invisible and unreadable comments are refused with words that say why.
async fn bad_bodies_get_clear_messages(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("bad_body_reader").await;

    for empty in ["", "   ", " \n\t \r\n "] {
        let response = reader.comment(FLAGSHIP, empty).await;
        assert_eq!(response.status(), 422, "{empty:?}");
        let doc = html(&response.text().await.unwrap());
        let alert = texts(&doc, "[role=alert]");
        assert!(alert.len() == 1 && alert[0].contains("Write something"), "{empty:?}: {alert:?}");
    }

    for (typed, visible) in [("Ring the bell\u{7} now", "Ring the bell now"), ("Null\u{0} byte here", "Null byte here")]
    {
        let response = reader.comment(FLAGSHIP, typed).await;
        assert_eq!(response.status(), 422, "{typed:?}");
        let doc = html(&response.text().await.unwrap());
        let alert = texts(&doc, "[role=alert]");
        assert!(alert.len() == 1 && alert[0].contains("control characters"), "{typed:?}: {alert:?}");
        // The text comes back as typed (an HTML parser shows NUL as U+FFFD).
        let kept: String = doc
            .select(&selector("#comment-body"))
            .flat_map(|t| t.text())
            .collect::<String>()
            .chars()
            .filter(|c| !c.is_control() && *c != '\u{FFFD}')
            .collect();
        assert_eq!(kept, visible, "{typed:?} kept");
    }
    assert_eq!(comment_rows(&mut app.conn()).len(), 0);

    let token = reader.csrf(FLAGSHIP).await;
    for raw in [&b"body=%FF%FE"[..], &b"body=caf\xE9"[..]] {
        let mut form = format!("csrf_token={token}&").into_bytes();
        form.extend_from_slice(raw);
        let response = reader
            .client
            .post(reader.url(&format!("{FLAGSHIP}/comments")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("answered");
        let context = String::from_utf8_lossy(raw).to_string();
        assert_eq!(response.status(), 400, "{context}: not valid UTF-8");
        let doc = html(&response.text().await.unwrap());
        assert_eq!(doc.select(&selector(".site-header")).count(), 1, "{context}: in the site's layout");
        let message = texts(&doc, "main").join(" ");
        assert!(message.contains("could not read the form"), "{context}: {message}");
    }
    assert_eq!(comment_rows(&mut app.conn()).len(), 0, "nothing stored from unreadable forms");
    assert_eq!(reader.comment(FLAGSHIP, "Working fine afterwards.").await.status(), 303);
    assert_eq!(reader.page(FLAGSHIP).await.0, 200);
}

// ---------------------------------------------------------------------------
// 10. Headers and cookies
// ---------------------------------------------------------------------------

fn assert_security_headers(response: &reqwest::Response, context: &str) {
    let csp = header(response, "content-security-policy").unwrap_or_else(|| panic!("{context}: no CSP"));
    let directives: Vec<String> = csp.split(';').map(normalise).collect();
    for needed in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
        assert!(directives.iter().any(|d| d == needed), "{context}: CSP has {needed}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{context}: {csp}");
    assert_eq!(header(response, "x-content-type-options").as_deref(), Some("nosniff"), "{context}");
    assert_eq!(header(response, "referrer-policy").as_deref(), Some("strict-origin-when-cross-origin"), "{context}");
    assert_eq!(header(response, "cross-origin-opener-policy").as_deref(), Some("same-origin"), "{context}");
}

/// A Set-Cookie header as its name and lower-cased attributes.
fn set_cookies(response: &reqwest::Response) -> Vec<(String, Vec<String>)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| {
            let text = v.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let name = parts.next().unwrap().split('=').next().unwrap().to_string();
            (name, parts.map(str::to_ascii_lowercase).collect())
        })
        .collect()
}

/// Every page carries the security headers; the session cookie is HttpOnly
/// and SameSite=Lax, and Secure with the __Host- prefix (and HSTS) on https.
async fn security_headers_and_cookie_flags(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    for (path, status) in [("/", 200), ("/login", 200), ("/no-such-page", 404), (FLAGSHIP, 200)] {
        let response = app.browser().get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_security_headers(&response, path);
    }
    let response = app.browser().client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_security_headers(&response, "403 from POST /logout");

    let response = app.browser().get("/login").await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "one cookie: {cookies:?}");
    let (name, flags) = &cookies[0];
    assert_eq!(name, "newsdesk_session");
    assert!(flags.iter().any(|f| f == "httponly"), "HttpOnly: {flags:?}");
    assert!(flags.iter().any(|f| f == "samesite=lax"), "SameSite=Lax: {flags:?}");
    assert!(flags.iter().any(|f| f == "path=/"), "Path=/: {flags:?}");
    assert!(!flags.iter().any(|f| f == "secure"), "not Secure on plain http: {flags:?}");

    let Some(https) = CustomApp::start(backend, Some("https://news.example.org"), false, |_| {}).await else { return };
    let browser = https.browser();
    for path in ["/", "/login", "/no-such-page"] {
        let response = browser.get(path).await;
        assert_security_headers(&response, &format!("https {path}"));
        let hsts = header(&response, "strict-transport-security").unwrap_or_else(|| panic!("{path}: no HSTS"));
        let max_age: u64 = hsts
            .split(';')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("HSTS max-age: {hsts}"));
        assert!(max_age >= 15_552_000, "HSTS for at least 180 days: {hsts}");
    }
    // A browser that has no session yet: one that has already been given
    // its cookie is not sent it again while nothing in the session changes.
    let response = https.browser().get("/login").await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "one cookie: {cookies:?}");
    let (name, flags) = &cookies[0];
    assert!(name.starts_with("__Host-"), "__Host- prefix: {name}");
    assert!(flags.iter().any(|f| f == "secure"), "Secure: {flags:?}");
    assert!(flags.iter().any(|f| f == "httponly"), "HttpOnly: {flags:?}");
    assert!(flags.iter().any(|f| f == "samesite=lax"), "SameSite=Lax: {flags:?}");
    assert!(flags.iter().any(|f| f == "path=/"), "__Host- needs Path=/: {flags:?}");
    assert!(!flags.iter().any(|f| f.starts_with("domain=")), "__Host- forbids Domain: {flags:?}");
}

/// Parallel requests against one rate-limit key, the first ones included:
/// exactly the burst passes, the rest are limited, and none fails.
async fn parallel_requests_share_one_allowance(backend: Backend) {
    use newsdesk::config::RateRule;
    use newsdesk::models::rate_limit;
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let rule = RateRule::new(60, 3);
    let now = newsdesk::state::now();
    let tries = (0..12).map(|_| {
        let db = app.state.db.clone();
        async move { db.run(move |conn| Ok(rate_limit::check(conn, "parallel-key", rule, now)?)).await }
    });
    let outcomes = futures_util::future::join_all(tries).await;
    let passed = outcomes.iter().filter(|o| matches!(o, Ok(Ok(())))).count();
    let limited = outcomes.iter().filter(|o| matches!(o, Ok(Err(_)))).count();
    assert_eq!((passed, limited), (3, 9), "{outcomes:?}");
}

on_both_backends!(
    parallel_requests_share_one_allowance,
    xss_payloads_in_comments_come_back_escaped_and_inert,
    xss_payloads_are_inert_wherever_comments_or_names_appear,
    xss_payloads_as_usernames_and_display_names_are_escaped,
    sql_injection_strings_are_stored_literally,
    every_post_route_refuses_a_missing_or_wrong_csrf_token,
    no_state_changes_on_get,
    open_redirects_after_login_go_home,
    rate_limits_answer_429_with_retry_after,
    request_bodies_are_capped,
    bad_bodies_get_clear_messages,
    security_headers_and_cookie_flags,
);
