//! The database out of reach: pages that need it answer 503 with
//! `Retry-After` and the site's own words within about a second, a comment
//! comes back in its form with its text, anonymous readers keep the pages
//! already held, and service resumes by itself when the database is back.
//!
//! PostgreSQL is never stopped: each test puts a TCP proxy of its own
//! between the app and the server, and cuts it or makes it swallow every
//! byte. On SQLite the matching fault is the write lock held by another
//! connection beyond `busy_timeout`.

mod common;

use std::time::{Duration, Instant};

use common::proxy::Proxy;
use common::{Backend, Browser, TestApp};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use newsdesk::config::DatabaseUrl;

const STORY: &str = "/articles/sea-wall-repairs-row";
/// What the site says while its database is out of reach.
const OUT_OF_REACH: &str = "trouble reaching the newsroom";
/// Generous next to the one second asked for: a loaded CI machine.
const PROMPTLY: Duration = Duration::from_secs(3);

/// The demo site on PostgreSQL through a proxy, with the page cache on.
async fn behind_a_proxy() -> Option<(TestApp, Proxy)> {
    let proxy = Proxy::start("127.0.0.1:5432".parse().expect("address"));
    let app = TestApp::with_demo_configured(Backend::Postgres, |config| {
        let DatabaseUrl::Postgres(url) = &config.database else { unreachable!("a PostgreSQL test") };
        config.database = DatabaseUrl::Postgres(proxy.url_for(url));
        config.page_cache_bytes = 4 * 1024 * 1024;
        common::unlimited(config);
    })
    .await?;
    Some((app, proxy))
}

fn visitor() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// A reader who opened the story's comment form before the outage: their
/// browser and the form's token.
async fn reader_at_the_form(app: &TestApp, name: &str) -> (Browser, String) {
    let reader = app.reader(name).await;
    let token = reader.csrf(STORY).await;
    (reader, token)
}

async fn post_comment(reader: &Browser, token: &str, text: &str) -> reqwest::Response {
    reader.post(&format!("{STORY}/comments"), &[("csrf_token", token), ("body", text)]).await
}

/// Asserts an answer is the site's "try again" page, sent within `PROMPTLY`.
async fn out_of_reach(response: reqwest::Response, since: Instant, what: &str) -> String {
    let took = since.elapsed();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_string());
    let body = response.text().await.expect("body");
    assert_eq!(status, 503, "{what}: {}", &body[..body.len().min(300)]);
    assert!(retry_after.is_some_and(|v| v.parse::<u32>().is_ok()), "{what}: Retry-After in seconds");
    assert!(took < PROMPTLY, "{what} took {took:?}");
    eprintln!("{what}: 503 after {} ms", took.as_millis());
    body
}

/// Waits (bounded) until `page` answers 200 again after the database is back.
async fn comes_back(client: &reqwest::Client, url: &str) {
    let since = Instant::now();
    loop {
        let status = client.get(url).send().await.expect("answered").status().as_u16();
        if status == 200 {
            eprintln!("service resumed {} ms after the database came back", since.elapsed().as_millis());
            return;
        }
        assert!(since.elapsed() < Duration::from_secs(15), "still {status} 15 s after the database came back");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The checks every outage shares, whatever form it takes.
async fn through_an_outage(app: &TestApp, proxy: &Proxy, start_outage: impl Fn(&Proxy), kind: &str) {
    let client = visitor();
    let story = app.url(STORY);
    assert_eq!(client.get(&story).send().await.unwrap().status(), 200, "held before the outage");
    let (reader, token) = reader_at_the_form(app, &format!("out_{kind}")).await;

    start_outage(proxy);

    // A page the cache holds: anonymous readers keep it, and once it is
    // stale (a change was heard) it is still sent, marked as such.
    let held = client.get(&story).send().await.unwrap();
    assert_eq!(held.status(), 200, "{kind}: the held page");
    app.state.page_cache.forget_all();
    let since = Instant::now();
    let stale = client.get(&story).send().await.unwrap();
    assert_eq!(stale.status(), 200, "{kind}: a stale held page instead of an error");
    assert_eq!(stale.headers().get("x-newsdesk-cache").unwrap(), "stale", "{kind}");
    assert!(since.elapsed() < PROMPTLY, "{kind}: the stale page took {:?}", since.elapsed());
    assert!(stale.text().await.unwrap().contains("sea wall repairs"), "{kind}: the story itself");

    // A page nobody holds: the site's own words, promptly.
    let since = Instant::now();
    let page = client.get(app.url("/search?q=lighthouse")).send().await.unwrap();
    let body = out_of_reach(page, since, &format!("{kind}: an anonymous page nobody holds")).await;
    assert!(body.contains(OUT_OF_REACH), "{kind}: the site's own words");
    assert!(body.contains("<nav"), "{kind}: in the site's layout");

    // A logged-in reader's page that needs the database (their replies).
    let since = Instant::now();
    let page = reader.get("/account/replies").await;
    let body = out_of_reach(page, since, &format!("{kind}: a logged-in reader's page")).await;
    assert!(body.contains(OUT_OF_REACH), "{kind}: {}", &body[..body.len().min(400)]);

    // A comment comes back in its form, text and all.
    let text = format!("Posted while the database was away ({kind}); the wall still leaks.");
    let since = Instant::now();
    let answer = post_comment(&reader, &token, &text).await;
    let body = out_of_reach(answer, since, &format!("{kind}: a comment")).await;
    assert!(body.contains(&text), "{kind}: the comment's text comes back: {}", &body[..body.len().min(600)]);
    assert!(body.contains("<textarea"), "{kind}: in its form");

    proxy.restore();
    comes_back(&client, &app.url("/search?q=lighthouse")).await;
    // The same reader, still logged in, posts it again.
    let retry = reader.comment(STORY, &text).await;
    assert_eq!(retry.status(), 303, "{kind}: posted once the database is back");
    let (_, page) = reader.page(STORY).await;
    assert_eq!(page.matches(&text).count(), 1, "{kind}: stored once, nothing from the outage");
}

#[actix_web::test]
async fn postgres_cut_off() {
    let Some((app, proxy)) = behind_a_proxy().await else { return };
    through_an_outage(&app, &proxy, Proxy::cut, "cut").await;
}

#[actix_web::test]
async fn postgres_behind_a_network_that_swallows_packets() {
    let Some((app, proxy)) = behind_a_proxy().await else { return };
    through_an_outage(&app, &proxy, Proxy::swallow, "swallowed").await;
}

/// SQLite: another connection holds the write lock past `busy_timeout`
/// (a long job of another process). The comment comes back in its page,
/// text and all, with 503; once the lock is let go it is posted.
#[actix_web::test]
async fn sqlite_locked_beyond_its_busy_timeout() {
    let Some(app) = TestApp::with_demo_configured(Backend::Sqlite, common::unlimited).await else { return };
    let (reader, token) = reader_at_the_form(&app, "out_locked").await;
    let DatabaseUrl::Sqlite(path) = &app.state.config.database else { unreachable!("a SQLite test") };
    let mut other = SqliteConnection::establish(&path.to_string_lossy()).expect("another connection");
    other.batch_execute("BEGIN IMMEDIATE").expect("the write lock");

    let text = "Posted while another job held the database; the ferry was late again.";
    let since = Instant::now();
    let answer = post_comment(&reader, &token, text).await;
    let status = answer.status().as_u16();
    let retry_after = answer.headers().contains_key("retry-after");
    let body = answer.text().await.unwrap();
    eprintln!("locked: {status} after {} ms", since.elapsed().as_millis());
    assert_eq!(status, 503, "{}", &body[..body.len().min(300)]);
    assert!(retry_after, "Retry-After");
    assert!(body.contains(text), "the comment's text comes back");
    assert!(body.contains("sea wall repairs"), "in the story's own page: reading still works");

    other.batch_execute("ROLLBACK").expect("let go of the lock");
    let retry = reader.comment(STORY, text).await;
    assert_eq!(retry.status(), 303, "posted once the lock is gone");
    let (_, page) = reader.page(STORY).await;
    assert_eq!(page.matches(text).count(), 1, "stored once");
}
