//! Being found, on both databases: feeds read by a real feed parser,
//! sitemaps read by an XML parser, structured data read as JSON, social
//! cards, canonical links, robots.txt, and search.

mod common;

use std::collections::{HashMap, HashSet};

use common::{Backend, TestApp, attrs, comment_id, html, texts};
use newsdesk::import::{DirSource, ImportOptions};
use newsdesk::state::now;

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

async fn fetch(app: &TestApp, path: &str) -> (String, String) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let kind = response.headers()["content-type"].to_str().unwrap().to_string();
    (kind, response.text().await.unwrap())
}

async fn feed(app: &TestApp, path: &str) -> feed_rs::model::Feed {
    let (kind, body) = fetch(app, path).await;
    assert!(kind.starts_with(if path.ends_with(".rss") { "application/rss+xml" } else { "application/atom+xml" }));
    feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{path} parses: {e}"))
}

/// Writes articles to a folder and imports them.
fn import(app: &TestApp, articles: &[(&str, String)]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    for (slug, text) in articles {
        std::fs::write(dir.path().join(format!("articles/{slug}.md")), text).unwrap();
    }
    newsdesk::import::import(&mut app.conn(), &DirSource::new(dir.path()), ImportOptions::default(), now()).unwrap();
}

fn article(title: &str, body: &str, published: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\ndek = \"A dek\"\nsection = \"science\"\nauthors = [\"callum-ferrier\"]\npublished = \"{published}\"\n+++\n{body}\n"
    )
}

async fn feeds_parse_and_carry_the_latest_stories(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    for path in ["/feed.atom", "/feed.rss"] {
        let feed = feed(&app, path).await;
        assert_eq!(feed.entries.len(), 16, "{path}");
        let first = &feed.entries[0];
        assert_eq!(
            first.title.as_ref().unwrap().content,
            "Storm surge breaches Callowhaven harbour wall, forcing 140 households to evacuate"
        );
        assert_eq!(first.links[0].href, format!("{}{FLAGSHIP}", app.address));
        let names: Vec<&str> = first.authors.iter().map(|a| a.name.as_deref().unwrap_or_default()).collect();
        assert_eq!(names, ["Imogen Tarrant", "News Desk"], "{path}");
        assert!(first.summary.as_ref().unwrap().content.starts_with("Seawater poured"));
        assert!(
            first.content.as_ref().and_then(|c| c.body.as_deref()).unwrap().contains("<blockquote>"),
            "{path}: full text"
        );
        assert!(first.published.is_some());
        let media = &first.media[0].content[0];
        assert!(media.url.as_ref().unwrap().as_str().starts_with(&format!("{}/media/", app.address)), "{path}: image");
        // Newest first.
        let dates: Vec<_> = feed.entries.iter().map(|e| e.published.unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{path} newest first");
    }
    let atom = feed(&app, "/feed.atom").await;
    assert!(atom.updated.is_some() && atom.entries[0].updated.is_some());

    let section = feed(&app, "/sections/politics/feed.atom").await;
    assert_eq!(section.entries.len(), 3);
    assert!(section.entries.iter().all(|e| e.categories[0].term == "Politics"));
    let author = feed(&app, "/authors/nadia-okafor-price/feed.rss").await;
    assert_eq!(author.entries.len(), 3);
    assert_eq!(app.get("/sections/nowhere/feed.atom").await.status(), 404);
    assert_eq!(app.get("/feed.json").await.status(), 404);

    // Only the latest 20 once there are more.
    let extra: Vec<(String, String)> = (0..25)
        .map(|n| (format!("extra-{n}"), article(&format!("Extra {n}"), "Words.", "2020-01-01T00:00:00Z")))
        .collect();
    import(&app, &extra.iter().map(|(s, t)| (s.as_str(), t.clone())).collect::<Vec<_>>());
    assert_eq!(feed(&app, "/feed.atom").await.entries.len(), 20);
    assert_eq!(feed(&app, "/sections/science/feed.rss").await.entries.len(), 20);
}

async fn pages_advertise_their_feeds(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let alternates = |body: &str| attrs(&html(body), "link[rel=alternate]", "href");
    assert_eq!(alternates(&app.page("/").await.1), ["/feed.atom", "/feed.rss"]);
    assert_eq!(
        alternates(&app.page("/sections/local").await.1),
        ["/sections/local/feed.atom", "/sections/local/feed.rss"]
    );
    assert_eq!(
        alternates(&app.page("/authors/news-desk").await.1),
        ["/authors/news-desk/feed.atom", "/authors/news-desk/feed.rss"]
    );
    assert!(alternates(&app.page(FLAGSHIP).await.1).contains(&format!("{FLAGSHIP}/comments.atom")));
    for url in alternates(&app.page(FLAGSHIP).await.1) {
        assert_eq!(app.get(&url).await.status(), 200, "{url}");
    }
}

async fn each_article_has_a_comments_feed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("feed_reader").await;
    let id = comment_id(&reader.comment(FLAGSHIP, "Sandbags are at the lifeboat station.\nBring a car.").await);
    let feed = feed(&app, &format!("{FLAGSHIP}/comments.atom")).await;
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert!(entry.title.as_ref().unwrap().content.starts_with("feed_reader on"));
    assert_eq!(entry.links[0].href, format!("{}/comments/{id}", app.address));
    assert!(entry.content.as_ref().unwrap().body.as_deref().unwrap().contains("<p>Bring a car.</p>"));
}

fn locs(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    doc.descendants().filter(|n| n.has_tag_name("loc")).map(|n| n.text().unwrap().to_string()).collect()
}

async fn sitemap_lists_every_page_with_lastmod(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (kind, xml) = fetch(&app, "/sitemap.xml").await;
    assert!(kind.starts_with("application/xml"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "urlset");
    assert_eq!(doc.root_element().tag_name().namespace(), Some("http://www.sitemaps.org/schemas/sitemap/0.9"));
    let urls = locs(&xml);
    let base = &app.address;
    for expected in [
        format!("{base}/"),
        format!("{base}/sections/local"),
        format!("{base}/authors/news-desk"),
        format!("{base}/tags/flooding"),
        format!("{base}{FLAGSHIP}"),
    ] {
        assert!(urls.contains(&expected), "{expected} in sitemap");
    }
    assert_eq!(urls.iter().filter(|u| u.contains("/articles/")).count(), 16);
    let lastmods = doc
        .descendants()
        .filter(|n| n.has_tag_name("url"))
        .filter(|u| u.children().any(|c| c.has_tag_name("lastmod")))
        .count();
    assert!(lastmods >= 17, "articles and the home page carry lastmod");
    for lastmod in doc.descendants().filter(|n| n.has_tag_name("lastmod")) {
        assert!(chrono::DateTime::parse_from_rfc3339(lastmod.text().unwrap()).is_ok());
    }
    let (_, robots) = fetch(&app, "/robots.txt").await;
    assert!(robots.contains("Disallow: /admin"));
    assert!(
        robots.contains(&format!("Sitemap: {base}/sitemap.xml"))
            && robots.contains(&format!("Sitemap: {base}/news-sitemap.xml"))
    );
}

async fn a_big_sitemap_becomes_an_index(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, |config| config.sitemap_max_urls = 10).await else { return };
    let (_, plain) = fetch(&app, "/sitemap.xml").await;
    let doc = roxmltree::Document::parse(&plain).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "sitemapindex");
    let children = locs(&plain);
    let mut all = Vec::new();
    for child in &children {
        let path = child.strip_prefix(&app.address).unwrap();
        let (_, xml) = fetch(&app, path).await;
        let urls = locs(&xml);
        assert!(urls.len() <= 10, "{path} holds at most the limit");
        all.extend(urls);
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "no URL twice");
    assert_eq!(all.iter().filter(|u| u.contains("/articles/")).count(), 16, "every article once");
    assert!(all.contains(&format!("{}/", app.address)));
    assert_eq!(app.get(&format!("/sitemap-{}.xml", children.len() + 1)).await.status(), 404);
    assert_eq!(app.get("/sitemap-0.xml").await.status(), 404);
}

async fn the_news_sitemap_holds_the_last_48_hours(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    import(
        &app,
        &[
            (
                "just-in",
                article("Just in", "Fresh.", &(chrono::Utc::now() - chrono::TimeDelta::hours(47)).to_rfc3339()),
            ),
            (
                "not-news",
                article("Not news", "Stale.", &(chrono::Utc::now() - chrono::TimeDelta::hours(49)).to_rfc3339()),
            ),
            ("embargo", article("Embargoed", "Later.", "2099-01-01T00:00:00Z")),
        ],
    );
    let (_, xml) = fetch(&app, "/news-sitemap.xml").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let news = "http://www.google.com/schemas/sitemap-news/0.9";
    let urls = locs(&xml);
    assert!(urls.contains(&format!("{}/articles/just-in", app.address)));
    assert!(!urls.iter().any(|u| u.ends_with("/not-news") || u.ends_with("/embargo")));
    let cutoff = chrono::Utc::now() - chrono::TimeDelta::hours(48);
    for entry in doc.descendants().filter(|n| n.has_tag_name((news, "news"))) {
        let text = |name: &str| {
            entry.descendants().find(|n| n.has_tag_name((news, name))).and_then(|n| n.text()).unwrap().to_string()
        };
        assert_eq!(text("name"), "Newsdesk");
        assert_eq!(text("language"), "en");
        assert!(!text("title").is_empty());
        let published = chrono::DateTime::parse_from_rfc3339(&text("publication_date")).unwrap();
        assert!(published > cutoff, "only the last 48 hours");
    }
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name((news, "news"))).count(), urls.len());
}

fn json_ld(body: &str) -> Vec<serde_json::Value> {
    let doc = html(body);
    let selector = scraper::Selector::parse("script[type='application/ld+json']").unwrap();
    doc.select(&selector)
        .map(|s| serde_json::from_str(&s.text().collect::<String>()).expect("JSON-LD parses"))
        .collect()
}

async fn articles_carry_news_article_structured_data(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("counted").await;
    reader.comment(FLAGSHIP, "One comment to count.").await;
    let (_, body) = app.page(FLAGSHIP).await;
    let documents = json_ld(&body);
    assert_eq!(documents.len(), 2);
    let article = documents.iter().find(|d| d["@type"] == "NewsArticle").expect("a NewsArticle");
    let base = &app.address;
    assert_eq!(
        article["headline"],
        "Storm surge breaches Callowhaven harbour wall, forcing 140 households to evacuate"
    );
    assert!(article["description"].as_str().unwrap().starts_with("Seawater poured"));
    assert!(article["image"][0].as_str().unwrap().starts_with(&format!("{base}/media/")));
    for field in ["datePublished", "dateModified"] {
        assert!(chrono::DateTime::parse_from_rfc3339(article[field].as_str().unwrap()).is_ok(), "{field}");
    }
    assert_eq!(article["author"][0]["@type"], "Person");
    assert_eq!(article["author"][0]["name"], "Imogen Tarrant");
    assert_eq!(article["author"][0]["url"], format!("{base}/authors/imogen-tarrant"));
    assert_eq!(article["author"][1]["@type"], "Organization");
    assert_eq!(article["publisher"]["@type"], "Organization");
    assert_eq!(article["publisher"]["name"], "Newsdesk");
    assert!(article["publisher"]["logo"]["url"].as_str().unwrap().starts_with(base.as_str()));
    assert_eq!(article["mainEntityOfPage"]["@id"], format!("{base}{FLAGSHIP}"));
    assert_eq!(article["commentCount"], 1);
    assert_eq!(article["isAccessibleForFree"], true);
    let crumbs = documents.iter().find(|d| d["@type"] == "BreadcrumbList").expect("breadcrumbs");
    let items = crumbs["itemListElement"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["name"], "Local");
    assert_eq!(items[2]["item"], format!("{base}{FLAGSHIP}"));
}

async fn pages_have_canonical_links_and_social_cards(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let base = &app.address;
    for (path, canonical) in [
        ("/", format!("{base}/")),
        (&format!("{FLAGSHIP}?sort=newest&page=1&utm_source=x"), format!("{base}{FLAGSHIP}")),
        ("/sections/local?utm_campaign=y", format!("{base}/sections/local")),
        ("/authors/news-desk", format!("{base}/authors/news-desk")),
        ("/tags/flooding", format!("{base}/tags/flooding")),
        ("/search?q=tide", format!("{base}/search")),
        ("/login", format!("{base}/login")),
    ] {
        let (_, body) = app.page(path).await;
        assert_eq!(attrs(&html(&body), "link[rel=canonical]", "href"), std::slice::from_ref(&canonical), "{path}");
        assert_eq!(attrs(&html(&body), "meta[property='og:url']", "content"), [canonical], "{path}");
    }
    let (_, body) = app.page(FLAGSHIP).await;
    let doc = html(&body);
    let meta = |property: &str| attrs(&doc, &format!("meta[property='{property}']"), "content");
    assert_eq!(meta("og:type"), ["article"]);
    assert_eq!(
        meta("og:title")[0],
        "Storm surge breaches Callowhaven harbour wall, forcing 140 households to evacuate"
    );
    assert!(meta("og:description")[0].starts_with("Seawater"));
    assert!(meta("og:image")[0].starts_with(&format!("{base}/media/")));
    assert!(chrono::DateTime::parse_from_rfc3339(&meta("article:published_time")[0]).is_ok());
    assert_eq!(meta("article:section"), ["Local"]);
    assert_eq!(meta("article:tag").len(), 4);
    assert_eq!(attrs(&doc, "meta[name='twitter:card']", "content"), ["summary_large_image"]);
    assert_eq!(attrs(&doc, "meta[name='twitter:title']", "content").len(), 1);
    assert_eq!(attrs(&html(&app.page("/").await.1), "meta[property='og:type']", "content"), ["website"]);
}

/// Search result links on a page of results.
async fn results(app: &TestApp, query: &str) -> (u16, Vec<String>, String) {
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let (status, body) = app.page(&format!("/search?q={encoded}")).await;
    let links = attrs(&html(&body), ".search-result .card-headline a", "href");
    (status, links, body)
}

async fn search_finds_every_demo_article_by_a_word_from_its_body(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    // For each article, a word that appears in its body and in no other article.
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/articles");
    let mut bodies: HashMap<String, HashSet<String>> = HashMap::new();
    for entry in std::fs::read_dir(content).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let body = text.splitn(3, "+++").nth(2).unwrap().to_lowercase();
        let words = body.split(|c: char| !c.is_alphabetic()).filter(|w| w.len() >= 8).map(str::to_string).collect();
        bodies.insert(path.file_stem().unwrap().to_string_lossy().to_string(), words);
    }
    for (slug, words) in &bodies {
        let unique = words
            .iter()
            .filter(|w| bodies.iter().all(|(other, theirs)| other == slug || !theirs.contains(*w)))
            .min()
            .unwrap_or_else(|| panic!("{slug} has a word of its own"));
        let (status, links, _) = results(&app, unique).await;
        assert_eq!(status, 200);
        assert!(links.contains(&format!("/articles/{slug}")), "searching \"{unique}\" finds {slug}: {links:?}");
    }
}

async fn search_ranks_headlines_first_highlights_and_pages(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    import(
        &app,
        &[
            (
                "body-mention",
                article(
                    "Harbour dues rise",
                    "The zephyrine ferry and the zephyrine tug both pay more. Zephyrine crews object.",
                    "2026-11-01T10:00:00Z",
                ),
            ),
            (
                "headline-mention",
                article("Zephyrine returns to port", "The old vessel is back.", "2026-10-01T10:00:00Z"),
            ),
        ],
    );
    let (_, links, body) = results(&app, "Zephyrine").await;
    assert_eq!(links, ["/articles/headline-mention", "/articles/body-mention"], "headline match first");
    assert!(body.contains("<mark>zephyrine</mark>") || body.contains("<mark>Zephyrine</mark>"), "matches highlighted");
    // Stemming: "rising" finds "rise".
    assert!(results(&app, "rising dues").await.1.contains(&"/articles/body-mention".to_string()));

    let many: Vec<(String, String)> = (0..25)
        .map(|n| {
            (
                format!("quokka-{n}"),
                article(&format!("Quokka sighting {n}"), "A quokka was seen.", "2026-09-01T10:00:00Z"),
            )
        })
        .collect();
    import(&app, &many.iter().map(|(s, t)| (s.as_str(), t.clone())).collect::<Vec<_>>());
    let (_, first, body) = results(&app, "quokka").await;
    assert_eq!(first.len(), 10);
    assert_eq!(attrs(&html(&body), ".pager a[rel=next]", "href"), ["/search?q=quokka&page=2"]);
    let (_, third) = app.page("/search?q=quokka&page=3").await;
    assert_eq!(texts(&html(&third), ".search-result").len(), 5);
    assert_eq!(app.page("/search?q=quokka&page=4").await.0, 404);
}

async fn search_explains_empty_results_and_survives_any_query(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (status, links, body) = results(&app, "xylophonic quasar").await;
    assert_eq!(status, 200);
    assert!(links.is_empty());
    assert!(body.contains("No stories match") && body.contains("xylophonic quasar"));
    assert!(!texts(&html(&body), ".story-list .card").is_empty(), "latest stories offered instead");
    let (_, blank) = app.page("/search").await;
    assert!(blank.contains("Type a few words"));
    let long = "harbour ".repeat(1300);
    let nasty = [
        "\"",
        "'",
        "*",
        "harbour*",
        "\"harbour",
        "harbour\"",
        "NEAR(harbour wall)",
        "AND",
        "OR NOT -",
        "^",
        ":",
        "((",
        ")",
        "\\",
        "%",
        "%00",
        "\u{0}",
        "'; DROP TABLE articles; --",
        "harbour AND OR",
        "col:harbour",
        "{harbour}",
        "[",
        "<script>alert(1)</script>",
        "🌊🌊",
        "ø",
        "   ",
        "-harbour",
        "+harbour",
        "harbour -wall",
        "a*b*c",
        "\"\"\"",
        "NEAR/2",
        "headline:storm",
        long.as_str(),
    ];
    for query in nasty {
        let (status, _, body) = results(&app, query).await;
        assert_eq!(status, 200, "query {:?} answered", query.chars().take(30).collect::<String>());
        assert!(!body.contains("<script>alert(1)</script>"), "query is escaped");
    }
    let (_, links, _) = results(&app, "\"harbour wall\"").await;
    assert!(links.contains(&FLAGSHIP.to_string()), "quotes are read as words");
    assert!(app.page("/").await.1.contains("name=\"q\""), "a search box in the header");
}

on_both_backends!(
    feeds_parse_and_carry_the_latest_stories,
    pages_advertise_their_feeds,
    each_article_has_a_comments_feed,
    sitemap_lists_every_page_with_lastmod,
    a_big_sitemap_becomes_an_index,
    the_news_sitemap_holds_the_last_48_hours,
    articles_carry_news_article_structured_data,
    pages_have_canonical_links_and_social_cards,
    search_finds_every_demo_article_by_a_word_from_its_body,
    search_ranks_headlines_first_highlights_and_pages,
    search_explains_empty_results_and_survives_any_query,
);
