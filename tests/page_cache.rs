//! Whole pages kept for readers without a session, on both databases:
//! answered from memory with the same bytes, headers and validators as a
//! fresh page, never holding anything personal, never given to a logged-in
//! reader, and never older than the last committed change.

mod common;

use std::io::Read;

use common::{Backend, Browser, TestApp, comment_id, html, texts};
use newsdesk::page_cache::STATUS_HEADER;

const STORY: &str = "/articles/sea-wall-repairs-row";

/// The app with the page cache on, as in production.
async fn app_with_cache(backend: Backend) -> Option<TestApp> {
    TestApp::with_demo_configured(backend, |config| config.page_cache_bytes = 4 * 1024 * 1024).await
}

fn how(response: &reqwest::Response) -> Option<String> {
    response.headers().get(STATUS_HEADER).map(|v| v.to_str().unwrap_or_default().to_string())
}

/// A reader without a session: no cookie jar at all.
fn visitor(app: &TestApp) -> reqwest::Client {
    let _ = app;
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn fetch(client: &reqwest::Client, url: &str) -> (Option<String>, reqwest::header::HeaderMap, String) {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let (state, headers) = (how(&response), response.headers().clone());
    (state, headers, response.text().await.unwrap())
}

/// The second anonymous request is answered from memory with the very
/// same page and headers; nothing personal is in it.
async fn anonymous_pages_are_kept_and_carry_nothing_personal(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor(&app);
    for path in [
        "/",
        STORY,
        "/sections/local",
        "/feed.atom",
        "/sitemap.xml",
        "/moderation",
        &format!("{STORY}?page=1&utm_source=x"),
    ] {
        let url = app.url(path);
        let (first, first_headers, first_body) = fetch(&client, &url).await;
        let (second, second_headers, second_body) = fetch(&client, &url).await;
        assert!(matches!(first.as_deref(), Some("miss") | Some("hit")), "{path}: {first:?}");
        assert_eq!(second.as_deref(), Some("hit"), "{path}: the second answer comes from memory");
        assert_eq!(first_body, second_body, "{path}: the same page");
        for name in ["content-type", "etag", "cache-control", "content-security-policy", "x-content-type-options"] {
            assert_eq!(first_headers.get(name), second_headers.get(name), "{path}: {name}");
            assert!(second_headers.get(name).is_some(), "{path}: {name} is kept");
        }
        assert!(second_headers.get("set-cookie").is_none(), "{path}: no cookie");
        assert!(!second_body.contains("csrf_token"), "{path}: no form token");
    }
}

/// Readers with a session never get the kept copy: their own name, links
/// and form token are theirs.
async fn logged_in_readers_get_their_own_page(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let (_, _, anonymous) = fetch(&visitor(&app), &app.url(STORY)).await;
    let reader = app.reader("cache_reader").await;
    let id = comment_id(&reader.comment(STORY, "My own words.").await);
    let response = reader.get(STORY).await;
    assert_eq!(how(&response).as_deref(), Some("assembled"), "assembled for them, not the visitors' copy");
    let page = response.text().await.unwrap();
    assert!(page.contains("cache_reader") && page.contains(&format!("/comments/{id}/edit")), "their own page");
    assert!(!anonymous.contains("cache_reader"));
    let (_, _, after) = fetch(&visitor(&app), &app.url(STORY)).await;
    assert!(after.contains("My own words.") && !after.contains("/edit") && !after.contains("csrf_token"));
}

/// Each committed change reaches readers without a session at once: a new
/// comment, an edit, a moderator's removal, an account deletion.
async fn every_change_shows_at_once(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor(&app);
    let url = app.url(STORY);
    let shown = |body: &str| texts(&html(body), ".comment-text");
    fetch(&client, &url).await;
    let (state, _, _) = fetch(&client, &url).await;
    assert_eq!(state.as_deref(), Some("hit"));

    let writer = app.reader("cache_writer").await;
    let id = comment_id(&writer.comment(STORY, "Fresh off the press.").await);
    let (state, _, body) = fetch(&client, &url).await;
    assert_ne!(state.as_deref(), Some("hit"), "rebuilt after the comment");
    assert!(shown(&body).contains(&"Fresh off the press.".to_string()), "the new comment shows");

    let edit = format!("/comments/{id}/edit");
    assert_eq!(writer.submit(&edit, &edit, &[("body", "Corrected.")]).await.status(), 303);
    let (_, _, body) = fetch(&client, &url).await;
    assert!(shown(&body).contains(&"Corrected.".to_string()), "the edit shows");

    let hash = newsdesk::security::passwords::hash(common::PASSWORD).unwrap();
    let role = newsdesk::models::Role::Moderator;
    newsdesk::models::User::create(&mut app.conn(), "cache_mod", "Mod", &hash, role, newsdesk::state::now())
        .unwrap()
        .unwrap();
    let moderator = Browser::new(&app.address);
    assert_eq!(moderator.login("cache_mod", common::PASSWORD).await.status(), 303);
    let remove = format!("/admin/comments/{id}/remove");
    assert_eq!(moderator.submit("/admin/queue/recent", &remove, &[("reason", "Spam")]).await.status(), 303);
    let (_, _, body) = fetch(&client, &url).await;
    assert!(!body.contains("Corrected.") && body.contains("Removed by a moderator"), "the removal shows");

    let leaver = app.reader("cache_leaver").await;
    leaver.comment(STORY, "Words of someone about to leave.").await;
    let (_, _, body) = fetch(&client, &url).await;
    assert!(body.contains("Words of someone about to leave."));
    let gone = leaver.submit("/account", "/account/delete", &[("password", common::PASSWORD)]).await;
    assert_eq!(gone.status(), 303);
    let (_, _, body) = fetch(&client, &url).await;
    assert!(!body.contains("Words of someone about to leave."), "the deletion shows");
}

/// A kept page still answers 304 to the validator it was sent with, and
/// comes in brotli, gzipped or plain as the reader asks.
async fn validators_and_encodings_work_from_memory(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor(&app);
    let url = app.url(STORY);
    let (_, headers, plain) = fetch(&client, &url).await;
    let etag = headers.get("etag").expect("an ETag").clone();
    let again = client.get(&url).header("If-None-Match", etag.clone()).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(how(&again).as_deref(), Some("hit"));
    assert_eq!(again.headers().get("etag"), Some(&etag));

    let packed = client.get(&url).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(how(&packed).as_deref(), Some("hit"));
    assert_eq!(packed.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let bytes = packed.bytes().await.unwrap();
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain, "the gzip body is the same page");

    let smaller = client.get(&url).header("Accept-Encoding", "gzip, deflate, br").send().await.unwrap();
    assert_eq!(how(&smaller).as_deref(), Some("hit"));
    assert_eq!(smaller.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("br"));
    assert_eq!(smaller.headers().get("etag"), Some(&etag), "one page, one validator, whatever the encoding");
    let brotli = smaller.bytes().await.unwrap();
    assert!(brotli.len() < bytes.len(), "brotli ({}) smaller than gzip ({})", brotli.len(), bytes.len());
    let mut unpacked = String::new();
    brotli::Decompressor::new(&brotli[..], 4096).read_to_string(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain, "the brotli body is the same page");
}

/// With the database unusable, readers without a session get the pages
/// already held, marked stale, instead of an error; the site comes back by
/// itself when the database does.
async fn held_pages_are_served_when_the_database_fails(backend: Backend) {
    use diesel::connection::SimpleConnection;
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor(&app);
    let url = app.url(STORY);
    let (_, _, before) = fetch(&client, &url).await;
    // A change makes the held copy stale, so the next reader must rebuild it...
    app.state.changes.announce([newsdesk::changes::Change::Settings]);
    // ...and the database cannot answer: the stories table is gone.
    app.conn().batch_execute("ALTER TABLE articles RENAME TO articles_away").unwrap();
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200, "the held page, not an error");
    assert_eq!(how(&response).as_deref(), Some("stale"));
    assert_eq!(response.text().await.unwrap(), before);
    let never_held = client.get(app.url("/sections/sport")).send().await.unwrap();
    assert_eq!(never_held.status(), 500, "a page never held has nothing to fall back on");
    app.conn().batch_execute("ALTER TABLE articles_away RENAME TO articles").unwrap();
    let (state, _, after) = fetch(&client, &url).await;
    assert_eq!(state.as_deref(), Some("miss"), "rebuilt once the database answers");
    assert_eq!(after, before);
}

/// Many readers asking at the same moment for a page nobody holds: it is
/// built once, and every one of them gets it.
async fn a_cold_page_is_built_once_for_many_readers(backend: Backend) {
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor(&app);
    // The navigation has its own short cache: fill it first.
    fetch(&client, &app.url("/sections/local")).await;
    let url = app.url(STORY);
    let before = app.queries();
    let answers = futures_util::future::join_all((0..16).map(|_| fetch(&client, &url))).await;
    let during = app.queries() - before;
    let bodies: std::collections::BTreeSet<&String> = answers.iter().map(|(_, _, body)| body).collect();
    assert_eq!(bodies.len(), 1, "every reader got the same page");
    // What one build costs: make the page stale and have one reader rebuild it.
    app.state.changes.announce([newsdesk::changes::Change::Settings]);
    let before = app.queries();
    let (state, _, _) = fetch(&client, &url).await;
    assert_eq!(state.as_deref(), Some("miss"));
    let one_build = app.queries() - before;
    assert!(one_build > 0);
    assert_eq!(during, one_build, "16 readers at once cost one build");
}

/// Pages that change with no write are dropped at that moment, not up to
/// a minute later: an article imported under embargo appears on its
/// section's page when the embargo lifts.
async fn an_embargo_lifts_on_held_pages_at_its_moment(backend: Backend) {
    use chrono::{SubsecRound, TimeDelta};
    let Some(app) = app_with_cache(backend).await else { return };
    let client = visitor(&app);
    let url = app.url("/sections/local");
    let lifts = newsdesk::state::now().trunc_subsecs(0) + TimeDelta::seconds(3);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    let headline = "Lighthouse keepers vote to end the strike";
    std::fs::write(
        dir.path().join("articles/keepers-vote.md"),
        format!(
            "+++\ntitle = \"{headline}\"\nsection = \"local\"\nauthors = [\"news-desk\"]\npublished = {}\n+++\nText.\n",
            lifts.format("%Y-%m-%dT%H:%M:%SZ")
        ),
    )
    .unwrap();
    let source = newsdesk::import::DirSource::new(dir.path());
    let options = newsdesk::import::ImportOptions::default();
    newsdesk::import::import(&mut app.conn(), &source, options, newsdesk::state::now()).unwrap();
    // As the command line does after an import.
    newsdesk::change_relay::tell_running_servers(&mut app.conn()).unwrap();
    let mut held_before = 0;
    loop {
        let (how, _, page) = fetch(&client, &url).await;
        let at = newsdesk::state::now();
        if page.contains(headline) {
            assert!(at >= lifts, "shown before its embargo lifted");
            eprintln!("shown {} ms after the embargo lifted", (at - lifts).num_milliseconds());
            break;
        }
        held_before += usize::from(how.as_deref() == Some("hit"));
        assert!(at < lifts + TimeDelta::seconds(1), "not shown a second after its embargo lifted");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(held_before > 10, "the page was held meanwhile ({held_before} answers from memory)");
}

on_both_backends!(
    anonymous_pages_are_kept_and_carry_nothing_personal,
    logged_in_readers_get_their_own_page,
    every_change_shows_at_once,
    validators_and_encodings_work_from_memory,
    held_pages_are_served_when_the_database_fails,
    a_cold_page_is_built_once_for_many_readers,
    an_embargo_lifts_on_held_pages_at_its_moment,
);
