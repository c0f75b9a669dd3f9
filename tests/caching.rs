//! HTTP caching: pages, feeds and sitemaps carry a validator and answer 304
//! when the client already has them; personal pages stay out of shared caches.
//! And HEAD, which monitors and crawlers use to check the same URLs.

mod common;

use common::{Backend, TestApp, attrs, comment_id, html};

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Every Vary header's names, lower-cased (a list may come in several fields).
fn vary(response: &reqwest::Response) -> String {
    let values: Vec<&str> = response.headers().get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
    values.join(", ").to_lowercase()
}

/// GET `path` with no cookies, offering `tag` as the copy already held.
async fn conditional(app: &TestApp, path: &str, tag: &str) -> reqwest::Response {
    reqwest::Client::new().get(app.url(path)).header("If-None-Match", tag).send().await.expect("answered")
}

async fn pages_answer_304_until_they_change(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let pages = ["/", FLAGSHIP, "/sections/local", "/search?q=harbour"];
    let feeds = ["/feed.atom", "/feed.rss", "/sitemap.xml"];
    for path in pages.into_iter().chain(feeds) {
        let first = app.get(path).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = header(&first, "etag");
        assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{path}: a weak validator, got {tag:?}");
        if pages.contains(&path) {
            assert_eq!(
                header(&first, "cache-control"),
                "public, max-age=0, s-maxage=3, stale-while-revalidate=2, stale-if-error=300",
                "{path}: a shared cache holds it for seconds; browsers ask each time"
            );
            assert!(header(&first, "vary").to_lowercase().contains("cookie"), "{path}: varies by cookie");
        } else {
            assert!(header(&first, "cache-control").starts_with("public, max-age="), "{path}: keeps its own");
        }

        let again = conditional(&app, path, &tag).await;
        assert_eq!(again.status(), 304, "{path}: unchanged");
        assert_eq!(header(&again, "etag"), tag, "{path}");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}: a 304 has no body");
        let stale = conditional(&app, path, "W/\"0123456789abcdef01234567\"").await;
        assert_eq!(stale.status(), 200, "{path}: another version is sent in full");
    }

    // A new comment changes the article, so the old copy is no longer good.
    let before = app.get(FLAGSHIP).await;
    let old_tag = header(&before, "etag");
    let reader = app.reader("cache_reader").await;
    comment_id(&reader.comment(FLAGSHIP, "A comment that changes the page.").await);
    let after = conditional(&app, FLAGSHIP, &old_tag).await;
    assert_eq!(after.status(), 200);
    assert_ne!(header(&after, "etag"), old_tag);
    assert!(after.text().await.unwrap().contains("A comment that changes the page."));
}

async fn personal_pages_are_private(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("private_reader").await;
    for path in ["/", FLAGSHIP, "/account"] {
        let response = reader.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "cache-control"), "private, no-cache", "{path}: never in a shared cache");
    }
    // A visitor's first look at a form gets a session cookie: private too.
    let login = reqwest::Client::new().get(app.url("/login")).send().await.unwrap();
    assert!(!header(&login, "set-cookie").is_empty());
    assert_eq!(header(&login, "cache-control"), "private, no-cache");
}

async fn files_errors_and_posts_keep_their_own_rules(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (_, home) = app.page("/").await;
    let stylesheet = attrs(&html(&home), "link[rel=stylesheet]", "href").remove(0);
    let css = app.get(&stylesheet).await;
    assert!(header(&css, "cache-control").contains("immutable"), "static files stay cached for a year");
    let missing = app.get("/articles/no-such-story").await;
    assert_eq!(missing.status(), 404);
    assert!(header(&missing, "etag").is_empty(), "errors carry no validator");
    let refused = app.browser().post("/login", &[("username", "x"), ("password", "y")]).await;
    assert!(header(&refused, "etag").is_empty(), "form answers carry no validator");
}

/// HEAD gets the GET's status and headers, Content-Length included, and no body.
async fn head_requests_answer_like_get(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let client = reqwest::Client::new();
    for (path, status) in [("/feed.atom", 200), (FLAGSHIP, 200), ("/healthz", 200), ("/articles/no-such-story", 404)] {
        let get = client.get(app.url(path)).send().await.unwrap();
        let head = client.head(app.url(path)).send().await.unwrap();
        assert_eq!((get.status().as_u16(), head.status().as_u16()), (status, status), "{path}");
        assert_eq!(header(&head, "content-type"), header(&get, "content-type"), "{path}");
        if path == "/feed.atom" {
            assert_eq!(header(&head, "etag"), header(&get, "etag"));
            assert_eq!(header(&head, "content-length"), get.bytes().await.unwrap().len().to_string());
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
    }
}

/// Text answers go gzipped to clients that take gzip, with the same
/// validator, and plain to those that do not; caches are told they vary.
async fn text_answers_are_gzipped_for_clients_that_ask(backend: Backend) {
    use std::io::Read;
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let client = reqwest::Client::new();
    let (_, home) = app.page("/").await;
    let stylesheet = attrs(&html(&home), "link[rel=stylesheet]", "href").remove(0);
    for path in ["/feed.atom", stylesheet.as_str(), FLAGSHIP] {
        let plain = client.get(app.url(path)).send().await.unwrap();
        assert!(header(&plain, "content-encoding").is_empty(), "{path}: plain without Accept-Encoding");
        assert!(vary(&plain).contains("accept-encoding"), "{path}: Vary");
        let plain_tag = header(&plain, "etag");
        let plain_body = plain.bytes().await.unwrap();
        let packed = client.get(app.url(path)).header("Accept-Encoding", "br, gzip;q=0.8").send().await.unwrap();
        assert_eq!(header(&packed, "content-encoding"), "gzip", "{path}");
        assert!(vary(&packed).contains("accept-encoding"), "{path}: Vary");
        if path != FLAGSHIP {
            // The article page's relative times may turn over between the two.
            assert_eq!(header(&packed, "etag"), plain_tag, "{path}: one validator for both encodings");
        }
        let length: usize = header(&packed, "content-length").parse().unwrap();
        let bytes = packed.bytes().await.unwrap();
        assert_eq!(bytes.len(), length);
        assert!(bytes.len() * 2 < plain_body.len(), "{path}: {} of {} bytes", bytes.len(), plain_body.len());
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut unpacked).unwrap();
        if path != FLAGSHIP {
            assert_eq!(unpacked, plain_body, "{path}: the same bytes once unpacked");
        } else {
            assert!(String::from_utf8(unpacked).unwrap().contains("</html>"));
        }
        // HEAD announces the length GET would send.
        let head = client.head(app.url(path)).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert_eq!(header(&head, "content-length"), length.to_string(), "{path}");
    }
    let refused = client.get(app.url("/feed.atom")).header("Accept-Encoding", "gzip;q=0, br").send().await.unwrap();
    assert!(header(&refused, "content-encoding").is_empty(), "q=0 refuses gzip");
    let small = client.get(app.url("/robots.txt")).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert!(header(&small, "content-encoding").is_empty(), "a few hundred bytes go as they are");
}

on_both_backends!(
    text_answers_are_gzipped_for_clients_that_ask,
    head_requests_answer_like_get,
    pages_answer_304_until_they_change,
    personal_pages_are_private,
    files_errors_and_posts_keep_their_own_rules,
);
