//! The reading site, driven over HTTP on both databases: every page type,
//! the anatomy of an article, pagination, 404/500 pages, static files and
//! the number of queries a page costs.

mod common;

use common::{Backend, TestApp, attrs, html, texts};
use newsdesk::import::{DirSource, ImportOptions};
use newsdesk::state::now;

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

async fn home_page_has_top_stories_latest_and_section_blocks(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (status, body) = app.page("/").await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, ".site-nav a")[0], "Top Stories");
    assert_eq!(
        texts(&doc, ".site-nav a")[1..],
        ["Local", "Politics", "Business", "Science", "Culture", "Sport"].map(String::from)
    );
    // The lead is the newest story, with its image and dek.
    assert_eq!(attrs(&doc, ".lead-story .lead-headline a", "href"), [FLAGSHIP]);
    assert_eq!(attrs(&doc, ".lead-story img", "src").len(), 1);
    assert!(texts(&doc, ".lead-story .lead-dek")[0].starts_with("Seawater poured"));
    assert_eq!(texts(&doc, ".secondary-stories .card").len(), 4);
    assert!(texts(&doc, "[aria-labelledby=latest-heading] li").len() >= 10);
    // One block per section, in navigation order, holding that section's stories.
    assert_eq!(
        texts(&doc, ".section-block h2"),
        ["Local", "Politics", "Business", "Science", "Culture", "Sport"].map(String::from)
    );
    for kicker in texts(&doc, ".section-block:first-of-type .kicker") {
        assert_eq!(kicker, "Local");
    }
    assert!(texts(&doc, ".meta time").iter().any(|t| t.ends_with("ago")));
}

async fn article_page_has_the_full_anatomy_in_order(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (status, body) = app.page(FLAGSHIP).await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(
        texts(&doc, "h1"),
        ["Storm surge breaches Callowhaven harbour wall, forcing 140 households to evacuate"]
    );
    assert!(texts(&doc, ".dek")[0].starts_with("Seawater poured into six streets"));
    assert_eq!(attrs(&doc, ".byline-name a", "href"), ["/authors/imogen-tarrant", "/authors/news-desk"]);
    assert_eq!(attrs(&doc, ".byline-card img.avatar", "src").len(), 2);
    assert!(texts(&doc, ".byline-bio").iter().any(|b| b.starts_with("The News Desk provides timely and factual")));
    let published = attrs(&doc, ".story-times time", "datetime");
    assert!(chrono::DateTime::parse_from_rfc3339(&published[0]).is_ok(), "datetime is RFC 3339: {published:?}");
    assert!(texts(&doc, ".story-times time")[0].contains("ago"));
    assert!(attrs(&doc, "figure.hero img", "alt")[0].starts_with("Illustration of grey waves"));
    let caption = &texts(&doc, "figure.hero figcaption")[0];
    assert!(caption.contains("Waves top the north wall") && caption.contains("Hollis Granger"), "{caption}");
    assert!(texts(&doc, ".story-body blockquote").len() >= 3);
    assert!(texts(&doc, ".story-body h2").len() >= 2, "body headings sit below the h1");
    assert_eq!(texts(&doc, "#comments h2"), ["Comments"]);
    assert_eq!(texts(&doc, "#comments .comments-intro"), ["See what people are discussing"]);
    assert_eq!(attrs(&doc, ".story-tags a", "href").len(), 4);
    // The order the page anatomy asks for.
    let order = [
        "class=\"site-header\"",
        "<h1 class=\"headline\"",
        "class=\"dek\"",
        "class=\"bylines\"",
        "<time datetime",
        "<figure class=\"hero\"",
        "<figcaption",
        "class=\"story-body\"",
        "<blockquote",
        "id=\"comments\"",
    ];
    let positions: Vec<usize> = order.iter().map(|m| body.find(m).unwrap_or_else(|| panic!("{m} missing"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "anatomy out of order: {positions:?}");
    assert!(
        body.contains("<link rel=\"canonical\" href=\"") && body.contains(&format!("{}{}\"", app.address, FLAGSHIP))
    );
}

async fn closed_comments_show_a_notice(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (_, open) = app.page(FLAGSHIP).await;
    assert!(!open.contains("Comments are closed"));
    let (status, closed) = app.page("/articles/obituary-elsie-carnow").await;
    assert_eq!(status, 200);
    assert!(closed.contains("Comments are closed on this article."));
}

async fn section_author_and_tag_pages_list_their_stories(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (status, body) = app.page("/sections/politics").await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1"), ["Politics"]);
    assert_eq!(texts(&doc, ".story-list .card").len(), 3);
    assert!(texts(&doc, ".story-list .kicker").iter().all(|k| k == "Politics"));
    assert_eq!(attrs(&doc, ".site-nav a[aria-current=page]", "href"), ["/sections/politics"]);

    let (status, body) = app.page("/authors/nadia-okafor-price").await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1"), ["Nadia Okafor-Price"]);
    assert_eq!(attrs(&doc, ".author-profile img.avatar", "src").len(), 1);
    assert!(!texts(&doc, ".list-intro")[0].is_empty());
    assert_eq!(texts(&doc, ".story-list .card").len(), 3);
    assert!(texts(&doc, ".story-list .byline").iter().all(|b| b.contains("Nadia Okafor-Price")));

    let (status, body) = app.page("/tags/council").await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1"), ["council"]);
    assert_eq!(texts(&doc, ".story-list .card").len(), 4);
}

/// Writes `count` extra articles in one section to a folder and imports it.
fn import_extra_articles(app: &TestApp, count: usize) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    for n in 0..count {
        let text = format!(
            "+++\ntitle = \"Extra story {n}\"\nsection = \"science\"\nauthors = [\"callum-ferrier\"]\n\
             tags = [\"extra\"]\npublished = \"2020-01-{:02}T10:00:00Z\"\n+++\nBody of story {n}.\n",
            n % 28 + 1
        );
        std::fs::write(dir.path().join(format!("articles/extra-{n}.md")), text).unwrap();
    }
    let mut conn = app.conn();
    newsdesk::import::import(&mut conn, &DirSource::new(dir.path()), ImportOptions::default(), now()).unwrap();
}

async fn list_pages_paginate_and_out_of_range_is_404(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    import_extra_articles(&app, 21); // 2 demo + 21 = 23 science stories
    let (status, body) = app.page("/sections/science").await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, ".story-list .card").len(), 10);
    assert_eq!(attrs(&doc, ".pager a[rel=next]", "href"), ["/sections/science?page=2"]);
    assert!(attrs(&doc, ".pager a[rel=prev]", "href").is_empty());
    assert_eq!(texts(&doc, ".pager-position"), ["Page 1 of 3"]);

    let (status, body) = app.page("/sections/science?page=3").await;
    assert_eq!(status, 200);
    let doc = html(&body);
    assert_eq!(texts(&doc, ".story-list .card").len(), 3);
    assert_eq!(attrs(&doc, ".pager a[rel=prev]", "href"), ["/sections/science?page=2"]);
    assert!(attrs(&doc, ".pager a[rel=next]", "href").is_empty());
    assert!(body.contains(&format!("href=\"{}/sections/science?page=3\"", app.address)), "canonical keeps the page");

    // Oldest last: the extra stories are from 2020, after the 2026 demo ones.
    let (_, body) = app.page("/sections/science?page=1").await;
    assert!(texts(&html(&body), ".story-list .card-headline")[0].contains("buoys") || body.contains("seagrass"));

    for bad in ["?page=4", "?page=0", "?page=-1", "?page=abc", "?page=99999999999999999999"] {
        let (status, body) = app.page(&format!("/sections/science{bad}")).await;
        assert_eq!(status, 404, "{bad}");
        assert!(body.contains("Page not found"), "{bad}");
    }
    let (status, _) = app.page("/tags/extra?page=3").await;
    assert_eq!(status, 200);
    let (status, _) = app.page("/authors/callum-ferrier?page=3").await;
    assert_eq!(status, 200);
    let (status, _) = app.page("/authors/callum-ferrier?page=4").await;
    assert_eq!(status, 404);
}

async fn unknown_pages_get_a_friendly_404_in_the_layout(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    // Load the navigation once so error pages can show it.
    app.page("/").await;
    for path in [
        "/articles/no-such-story",
        "/sections/no-such-section",
        "/authors/nobody",
        "/tags/nothing",
        "/no/such/route",
        "/static/abc/css/missing.css",
        "/media/0123456789abcdef/missing.svg",
        "/media/not-a-digest/x.svg",
    ] {
        let (status, body) = app.page(path).await;
        assert_eq!(status, 404, "{path}");
        let doc = html(&body);
        assert_eq!(texts(&doc, "h1"), ["Page not found"], "{path}");
        assert!(texts(&doc, ".site-nav a").contains(&"Local".to_string()), "{path}: nav in the layout");
        assert!(body.contains("Go to Top Stories"));
    }
}

/// An address with a trailing slash leads to the page without it, once.
async fn a_trailing_slash_is_sent_to_the_page(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    for (typed, goes_to) in [
        ("/sections/local/", "/sections/local"),
        ("/articles/sea-wall-repairs-row/", "/articles/sea-wall-repairs-row"),
        ("/sections/local/?page=2", "/sections/local?page=2"),
        ("//other.example/", "/other.example"),
        ("/no/such/route/", "/no/such/route"),
    ] {
        let response = app.get(typed).await;
        assert_eq!(response.status(), 301, "{typed}");
        assert_eq!(common::location(&response), goes_to, "{typed}");
    }
    assert_eq!(app.get("/sections/local").await.status(), 200);
    let posted = app.browser().post("/no/such/route/", &[]).await;
    assert!(posted.status().is_client_error(), "only reading is redirected: {}", posted.status());
}

async fn a_database_failure_gets_a_friendly_500(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    use diesel::connection::SimpleConnection;
    app.conn().batch_execute("DROP TABLE article_tags").unwrap();
    let (status, body) = app.page(FLAGSHIP).await;
    assert_eq!(status, 500);
    let doc = html(&body);
    assert_eq!(texts(&doc, "h1"), ["Something went wrong"]);
    assert!(!body.contains("article_tags"), "no internals leak to readers");
}

async fn scheduled_articles_stay_hidden_until_their_time(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    std::fs::write(
        dir.path().join("articles/embargoed.md"),
        "+++\ntitle = \"Embargoed\"\nsection = \"local\"\nauthors = [\"news-desk\"]\npublished = \"2099-01-01T00:00:00Z\"\n+++\nNot yet.\n",
    )
    .unwrap();
    newsdesk::import::import(&mut app.conn(), &DirSource::new(dir.path()), ImportOptions::default(), now()).unwrap();
    assert_eq!(app.page("/articles/embargoed").await.0, 404);
    assert!(!app.page("/sections/local").await.1.contains("Embargoed"));
    assert!(!app.page("/").await.1.contains("Embargoed"));
}

async fn static_files_and_media_have_types_and_long_caching(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (_, body) = app.page(FLAGSHIP).await;
    let doc = html(&body);
    let css = &attrs(&doc, "link[rel=stylesheet]", "href")[0];
    let response = app.get(css).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    let hero = &attrs(&doc, "figure.hero img", "src")[0];
    let response = app.get(hero).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    let etag = response.headers()["etag"].clone();
    let again = app.client.get(app.url(hero)).header("If-None-Match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    let icon = &attrs(&doc, "link[rel=icon]", "href")[0];
    assert_eq!(app.get(icon).await.headers()["content-type"], "image/svg+xml");
}

async fn every_response_carries_security_headers(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    for path in ["/", FLAGSHIP, "/nope"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(directive), "{path}: {directive}");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(headers["cross-origin-opener-policy"], "same-origin");
        assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
    }
}

/// Queries a GET costs, counted by the pool's instrumentation.
async fn queries_for(app: &TestApp, path: &str) -> u64 {
    let before = app.queries();
    let (status, _) = app.page(path).await;
    assert_eq!(status, 200, "{path}");
    app.queries() - before
}

async fn page_query_counts_do_not_grow_with_the_number_of_stories(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    // Warm the navigation cache so it does not count against the first page.
    app.page("/").await;
    let article = queries_for(&app, FLAGSHIP).await;
    let home = queries_for(&app, "/").await;
    let section = queries_for(&app, "/sections/science").await;
    let tag = queries_for(&app, "/tags/callowhaven").await;
    // Counted with the pool's connection check; what matters below is that
    // they stay the same as the lists grow.
    // The editors' picks above the discussion took the article to nine.
    assert!(article <= 9, "article page ran {article} queries");
    assert!(home <= 9, "home page ran {home} queries");
    import_extra_articles(&app, 30);
    assert_eq!(queries_for(&app, "/").await, home, "home page queries grew with stories");
    assert_eq!(queries_for(&app, "/sections/science").await, section, "section page queries grew");
    assert_eq!(queries_for(&app, "/tags/extra").await, tag, "tag page queries grew");
    assert_eq!(queries_for(&app, FLAGSHIP).await, article);
}

async fn an_empty_site_explains_how_to_add_stories(backend: Backend) {
    let Some(app) = TestApp::empty(backend).await else { return };
    let (status, body) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(body.contains("No stories yet"));
    assert!(body.contains("newsdesk import"));
}

on_both_backends!(
    home_page_has_top_stories_latest_and_section_blocks,
    article_page_has_the_full_anatomy_in_order,
    closed_comments_show_a_notice,
    section_author_and_tag_pages_list_their_stories,
    list_pages_paginate_and_out_of_range_is_404,
    unknown_pages_get_a_friendly_404_in_the_layout,
    a_trailing_slash_is_sent_to_the_page,
    a_database_failure_gets_a_friendly_500,
    scheduled_articles_stay_hidden_until_their_time,
    static_files_and_media_have_types_and_long_caching,
    every_response_carries_security_headers,
    page_query_counts_do_not_grow_with_the_number_of_stories,
    an_empty_site_explains_how_to_add_stories,
);
