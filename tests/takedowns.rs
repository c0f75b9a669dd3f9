//! Takedowns and corrections, on both databases: an editor takes a story
//! off every page, feed, sitemap and search result at once (its address
//! and its comments' pages answer 410 Gone, its comments stay stored and
//! in the queues), republishing brings it all back, both are logged; a
//! moderator may not; `newsdesk unpublish` / `republish` do the same from
//! the command line; a correction in the front matter shows dated and
//! moves `dateModified`.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, Browser, TestApp, comment_id, html, texts};
use newsdesk::import::{DirSource, ImportOptions, import};
use newsdesk::models::Role;
use newsdesk::page_cache::STATUS_HEADER;
use newsdesk::state::now;

const SLUG: &str = "storm-surge-breaches-callowhaven-harbour-wall";
const STORY: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";
const HEADLINE: &str = "Storm surge breaches Callowhaven harbour wall";
const TAKEN_DOWN: &str = "This story has been taken down";

/// Every page that lists the story (its section, authors and one of its
/// topics, search, sitemaps and feeds), each read by a visitor.
const LISTINGS: [&str; 12] = [
    "/",
    "/sections/local",
    "/authors/imogen-tarrant",
    "/tags/flooding",
    "/search?q=evacuate+households",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/feed.atom",
    "/feed.rss",
    "/sections/local/feed.atom",
    "/authors/imogen-tarrant/feed.atom",
    "/authors/news-desk",
];

/// The app with the page cache on, as in production.
async fn app_with_cache(backend: Backend) -> Option<TestApp> {
    TestApp::with_demo_configured(backend, |config| {
        config.page_cache_bytes = 4 * 1024 * 1024;
        common::unlimited(config);
    })
    .await
}

/// A reader without a session (so the page cache answers them).
fn visitor() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn visit(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, Option<String>, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let how = response.headers().get(STATUS_HEADER).map(|v| v.to_str().unwrap().to_string());
    (status, how, response.text().await.unwrap())
}

/// Asks for `path` until the answer comes from the page cache.
async fn held(client: &reqwest::Client, app: &TestApp, path: &str) {
    let since = Instant::now();
    loop {
        let (status, how, _) = visit(client, app, path).await;
        assert_eq!(status, 200, "{path}");
        if how.as_deref() == Some("hit") {
            return;
        }
        assert!(since.elapsed() < Duration::from_secs(2), "{path} is not held");
    }
}

async fn take_down(editor: &Browser, slug: &str) -> reqwest::Response {
    editor.submit("/admin/articles", &format!("/admin/articles/{slug}/unpublish"), &[]).await
}

async fn republish(editor: &Browser, slug: &str) -> reqwest::Response {
    editor.submit("/admin/articles", &format!("/admin/articles/{slug}/republish"), &[]).await
}

/// The pages about one comment of the story (its permalink, reply and
/// report pages for another reader, its edit and delete pages for its
/// author) and the story's comments feed.
fn comment_pages(id: i32) -> [String; 4] {
    [
        format!("/comments/{id}"),
        format!("/comments/{id}/reply"),
        format!("/comments/{id}/report"),
        format!("{STORY}/comments.atom"),
    ]
}

/// The button takes the story off every page at once, cached copies
/// included; its comments stay stored and in the queues; republishing
/// brings it all back; both are in the log, the public one without the
/// headline while the story is down.
async fn a_takedown_reaches_every_page_at_once_and_republishing_undoes_it(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor();
    let author = app.reader("surge_witness").await;
    let posted = author.comment(STORY, "The water reached our doorstep by six.").await;
    let id = comment_id(&posted);
    let other = app.reader("surge_neighbour").await;
    let editor = app.staff("desk_editor", Role::Admin).await;

    for path in LISTINGS.iter().copied().chain([STORY]) {
        held(&client, &app, path).await;
        let (_, _, body) = visit(&client, &app, path).await;
        assert!(body.contains(SLUG), "{path} lists the story before");
    }
    held(&client, &app, &format!("{STORY}/comments.atom")).await;

    let response = take_down(&editor, SLUG).await;
    assert_eq!(response.status(), 303);
    let (_, admin_list) = editor.page("/admin/articles").await;
    assert!(admin_list.contains("was taken down"), "the editor is told");
    assert!(texts(&html(&admin_list), ".status-pill").iter().any(|t| t == "Taken down"));

    // At once: the very next request, with every page held before.
    let response = client.get(app.url(STORY)).send().await.unwrap();
    let cache_control = response.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(cache_control.as_deref(), Some("no-cache"), "a 410 that republishing can undo is not held as fresh");
    let (status, how, body) = visit(&client, &app, STORY).await;
    assert_eq!(status, 410, "the story's address answers 410 Gone");
    assert_ne!(how.as_deref(), Some("hit"));
    assert!(body.contains(TAKEN_DOWN) && !body.contains("The water reached"), "the reader is told, nothing more");
    for path in LISTINGS {
        let (status, how, body) = visit(&client, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert_ne!(how.as_deref(), Some("stale"), "{path} is not the copy from before");
        assert!(!body.contains(SLUG), "{path} no longer lists the story");
    }
    let (status, _, _) = visit(&client, &app, &format!("{STORY}/comments.atom")).await;
    assert_eq!(status, 410, "its comments feed is gone");
    // A logged-in reader (the shared copy of their page) and the comment pages.
    assert_eq!(other.page(STORY).await.0, 410);
    for path in comment_pages(id) {
        let (status, body) = other.page(&path).await;
        assert_eq!(status, 410, "{path}");
        assert!(body.contains(TAKEN_DOWN), "{path}");
    }
    for path in [format!("/comments/{id}/edit"), format!("/comments/{id}/delete")] {
        assert_eq!(author.page(&path).await.0, 410, "{path}");
    }
    let refused = other.submit("/", &format!("{STORY}/comments"), &[("body", "Still here?")]).await;
    assert_eq!(refused.status(), 410, "nobody comments on a story taken down");

    // Kept for the record: the comment is stored and moderators still see it.
    let (_, queue) = editor.page("/admin/queue/recent").await;
    assert!(queue.contains("The water reached our doorstep by six."), "the queue keeps it");
    let (_, log) = editor.page("/admin/log").await;
    assert!(log.contains("Took a story down") && log.contains("@desk_editor"), "logged");
    let (_, _, public) = visit(&client, &app, "/moderation").await;
    assert!(public.contains("A story was taken down"), "the public log says a story was taken down");
    assert!(!public.contains(HEADLINE), "without naming it");

    assert_eq!(take_down(&editor, SLUG).await.status(), 303);
    let (_, admin_list) = editor.page("/admin/articles").await;
    assert!(admin_list.contains("was already taken down"), "a second takedown changes nothing");

    let response = republish(&editor, SLUG).await;
    assert_eq!(response.status(), 303);
    let (status, _, body) = visit(&client, &app, STORY).await;
    assert_eq!(status, 200, "back at once");
    assert!(body.contains("The water reached our doorstep by six."), "with its comments");
    for path in LISTINGS {
        let (status, _, body) = visit(&client, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains(SLUG), "{path} lists the story again");
    }
    for path in comment_pages(id) {
        // The permalink sends the reader on to the story (303).
        assert!(matches!(other.page(&path).await.0, 200 | 303), "{path}");
    }
    let (_, log) = editor.page("/admin/log").await;
    assert!(log.contains("Republished a story"), "logged");
    let (_, _, public) = visit(&client, &app, "/moderation").await;
    assert!(public.contains("A story was restored") && public.contains(HEADLINE), "named once it is back");
}

/// Taking a story down is an editor's decision: a moderator gets no
/// button and a 403, and nothing changes or is logged.
async fn a_moderator_may_not_take_a_story_down(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let moderator = app.staff("comment_mod", Role::Moderator).await;
    let (status, list) = moderator.page("/admin/articles").await;
    assert_eq!(status, 200);
    assert!(!list.contains("/unpublish") && !list.contains("Take down"), "no button is offered");
    let before = app.snapshot();
    assert_eq!(take_down(&moderator, SLUG).await.status(), 403);
    assert_eq!(republish(&moderator, SLUG).await.status(), 403);
    // (The moderator's own session row may be written; nothing else.)
    let mut changed = common::differences(&before, &app.snapshot());
    changed.retain(|table| !table.starts_with("sessions:"));
    assert!(changed.is_empty(), "nothing changed: {changed:?}");
    assert_eq!(app.page(STORY).await.0, 200);
    let editor = app.staff("desk_chief", Role::Admin).await;
    assert_eq!(editor.submit("/admin/articles", "/admin/articles/no-such-story/unpublish", &[]).await.status(), 404);
}

fn newsdesk(args: &[&str], database_url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(args)
        .env("NEWSDESK_DATABASE_URL", database_url)
        .output()
        .unwrap()
}

/// Asks for `path` until `shows` holds, for at most a second from `since`:
/// another process's change reaches the server through the change relay,
/// which looks every 100 ms.
async fn shows_within(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    since: Instant,
    shows: impl Fn(u16) -> bool,
) {
    loop {
        let (status, _, _) = visit(client, app, path).await;
        if shows(status) {
            return;
        }
        assert!(since.elapsed() < Duration::from_secs(1), "{path}: still {status} after a second");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `newsdesk unpublish` and `republish`, run as their own process beside a
/// running server that holds the story's page, are logged and reach it.
async fn the_command_line_takes_down_and_republishes(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor();
    held(&client, &app, STORY).await;

    let output = newsdesk(&["unpublish", SLUG], &app.database.url);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("taken down") && stdout.contains(HEADLINE), "{stdout}");
    shows_within(&client, &app, STORY, Instant::now(), |status| status == 410).await;
    let (_, _, home) = visit(&client, &app, "/").await;
    assert!(!home.contains(SLUG));

    let again = newsdesk(&["unpublish", SLUG], &app.database.url);
    assert!(again.status.success() && String::from_utf8_lossy(&again.stdout).contains("already taken down"));
    let unknown = newsdesk(&["unpublish", "no-such-story"], &app.database.url);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no article \"no-such-story\""));

    let output = newsdesk(&["republish", SLUG], &app.database.url);
    assert!(output.status.success() && String::from_utf8_lossy(&output.stdout).contains("republished"));
    shows_within(&client, &app, STORY, Instant::now(), |status| status == 200).await;

    let log = newsdesk::models::moderation::log_page(&mut app.conn(), 1, false).unwrap().unwrap();
    let actions: Vec<&str> = log.items.iter().map(|line| line.action.as_str()).collect();
    assert_eq!(
        actions,
        ["republish", "unpublish"],
        "one line each; the second takedown and the unknown slug wrote none"
    );
    assert!(log.items.iter().all(|line| line.actor.is_none() && line.article.is_some()));
}

const FENNICK: &str = "/articles/fennick-bay-seafoods-to-create-85-jobs";

fn json_ld_article(body: &str) -> serde_json::Value {
    let document = html(body);
    let selector = scraper::Selector::parse("script[type=\"application/ld+json\"]").unwrap();
    document
        .select(&selector)
        .map(|script| serde_json::from_str::<serde_json::Value>(&script.inner_html()).unwrap())
        .find(|value| value["@type"] == "NewsArticle")
        .expect("a NewsArticle")
}

/// The demo's correction shows in a dated note, and moves `dateModified`,
/// the "Updated" time and the feed's `updated` to when it was imported.
async fn a_correction_shows_dated_and_moves_the_modified_time(backend: Backend) {
    let before = now().and_utc().timestamp();
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (status, body) = app.page(FENNICK).await;
    assert_eq!(status, 200);
    let document = html(&body);
    let note = texts(&document, ".correction").join(" ");
    assert!(note.contains("Correction") && note.contains("It was 1958."), "{note}");
    let dated = common::attrs(&document, ".correction time", "datetime");
    let corrected = chrono::DateTime::parse_from_rfc3339(&dated[0]).unwrap().timestamp();
    assert!(corrected >= before - 1, "dated when the import first saw it");
    let article = json_ld_article(&body);
    let modified = chrono::DateTime::parse_from_rfc3339(article["dateModified"].as_str().unwrap()).unwrap();
    let published = chrono::DateTime::parse_from_rfc3339(article["datePublished"].as_str().unwrap()).unwrap();
    assert_eq!(modified.timestamp(), corrected, "dateModified is the correction's");
    assert!(modified > published);
    assert_eq!(common::attrs(&document, ".story-times time", "datetime")[1], dated[0], "shown as updated");
    let (_, feed) = app.page("/sections/business/feed.atom").await;
    let entry = feed.split("<entry>").find(|e| e.contains("fennick-bay-seafoods")).expect("in its section's feed");
    assert!(entry.contains(&format!("<updated>{}</updated>", dated[0])), "{entry}");
    let (_, plain) = app.page("/articles/sea-wall-repairs-row").await;
    assert!(texts(&html(&plain), ".correction").is_empty(), "no note without a correction");
}

const SECTION: &str = "name = \"Weather\"\n";
const AUTHOR: &str = "name = \"Wren Ashdown\"\n";

fn folder(correction: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["sections", "authors", "articles"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("sections/weather.toml"), SECTION).unwrap();
    std::fs::write(root.join("authors/wren-ashdown.toml"), AUTHOR).unwrap();
    let line = correction.map(|text| format!("correction = \"{text}\"\n")).unwrap_or_default();
    let story = format!(
        "+++\ntitle = \"Fog closes the ferry port\"\nsection = \"weather\"\nauthors = [\"wren-ashdown\"]\n\
         published = \"2026-11-20T09:00:00Z\"\n{line}+++\nThick fog closed the port.\n"
    );
    std::fs::write(root.join("articles/fog-closes-port.md"), story).unwrap();
    dir
}

fn correction(app: &TestApp) -> Option<(String, chrono::NaiveDateTime)> {
    newsdesk::models::Article::correction_of(&mut app.conn(), "fog-closes-port").unwrap()
}

/// The date is when an import first saw the text: the same text keeps it,
/// a new text gets a new one, no line removes the note; an empty one is a
/// problem with the file.
async fn a_correction_is_dated_by_the_import_that_first_saw_it(backend: Backend) {
    let Some(app) = TestApp::empty(backend).await else { return };
    let at = |minutes: i64| now() + chrono::TimeDelta::minutes(minutes);
    let run = |dir: &tempfile::TempDir, when| {
        import(&mut app.conn(), &DirSource::new(dir.path()), ImportOptions::default(), when)
    };

    run(&folder(None), at(0)).unwrap();
    assert_eq!(correction(&app), None);
    run(&folder(Some("The port reopened at noon, not at ten.")), at(10)).unwrap();
    let (text, first) = correction(&app).unwrap();
    assert_eq!(text, "The port reopened at noon, not at ten.");
    run(&folder(Some("The port reopened at noon, not at ten.")), at(20)).unwrap();
    assert_eq!(correction(&app).unwrap().1, first, "the same text keeps its date");
    run(&folder(Some("The port reopened at noon, not at eleven.")), at(30)).unwrap();
    let (_, second) = correction(&app).unwrap();
    assert!(second > first, "a new text is a new correction");
    let (_, page) = app.page("/articles/fog-closes-port").await;
    assert!(page.contains("not at eleven") && !page.contains("not at ten"));

    let error = run(&folder(Some("  ")), at(40)).unwrap_err().to_string();
    assert!(error.contains("fog-closes-port.md") && error.contains("correction is empty"), "{error}");
    run(&folder(None), at(50)).unwrap();
    assert_eq!(correction(&app), None, "removing the line removes the note");
    let (_, page) = app.page("/articles/fog-closes-port").await;
    assert!(texts(&html(&page), ".correction").is_empty());
}

on_both_backends!(
    a_takedown_reaches_every_page_at_once_and_republishing_undoes_it,
    a_moderator_may_not_take_a_story_down,
    the_command_line_takes_down_and_republishes,
    a_correction_shows_dated_and_moves_the_modified_time,
    a_correction_is_dated_by_the_import_that_first_saw_it,
);
