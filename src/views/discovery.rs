//! What makes the site findable: feeds, sitemaps, structured data, social
//! cards and search results.

use askama::Template;
use chrono::NaiveDateTime;
use serde_json::json;

use super::comment_text::escape_into;
use super::{CardView, Chrome, Moment, Pager};
use crate::models::Author;
use crate::models::search::{MATCH_END, MATCH_START, SearchHit};

/// RFC 3339 in UTC, as feeds and sitemaps want it.
pub fn rfc3339(when: NaiveDateTime) -> String {
    super::time::iso(when)
}

/// RFC 2822, as RSS wants it.
pub fn rfc2822(when: NaiveDateTime) -> String {
    when.and_utc().to_rfc2822()
}

/// A feed a page advertises with `<link rel="alternate">`.
#[derive(Clone, Debug)]
pub struct FeedLink {
    pub title: String,
    pub url: String,
    pub mime: &'static str,
}

impl FeedLink {
    /// The Atom and RSS versions of the feed at `base` (`/feed`, `/sections/x/feed`).
    pub fn pair(title: &str, base: &str) -> Vec<FeedLink> {
        vec![
            FeedLink { title: format!("{title} (Atom)"), url: format!("{base}.atom"), mime: "application/atom+xml" },
            FeedLink { title: format!("{title} (RSS)"), url: format!("{base}.rss"), mime: "application/rss+xml" },
        ]
    }
}

/// Social card and structured data for a page, rendered in its head.
#[derive(Clone, Debug, Default)]
pub struct SocialMeta {
    pub og_type: &'static str,
    pub title: String,
    pub description: String,
    pub image: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    /// JSON-LD documents, already made safe to sit inside a script element.
    pub json_ld: Vec<String>,
}

/// JSON for a `<script type="application/ld+json">`: `<` is written as
/// `\u003c` so no text in it can close the element.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Everything the NewsArticle structured data needs.
pub struct ArticleFacts<'a> {
    pub url: &'a str,
    pub headline: &'a str,
    pub description: &'a str,
    pub image: Option<&'a str>,
    pub published: NaiveDateTime,
    pub modified: NaiveDateTime,
    pub authors: &'a [Author],
    pub section_name: &'a str,
    pub section_url: &'a str,
    pub comment_count: i64,
    pub base_url: &'a str,
    pub site_name: &'a str,
    pub logo: &'a str,
}

pub fn news_article(facts: &ArticleFacts<'_>) -> serde_json::Value {
    let authors: Vec<serde_json::Value> = facts
        .authors
        .iter()
        .map(|a| {
            json!({
                "@type": if a.is_organization { "Organization" } else { "Person" },
                "name": a.name,
                "url": format!("{}/authors/{}", facts.base_url, a.slug),
            })
        })
        .collect();
    json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": facts.headline,
        "description": facts.description,
        "image": facts.image.map(|i| vec![i.to_string()]).unwrap_or_default(),
        "datePublished": rfc3339(facts.published),
        "dateModified": rfc3339(facts.modified),
        "author": authors,
        "publisher": {
            "@type": "Organization",
            "name": facts.site_name,
            "url": facts.base_url,
            "logo": { "@type": "ImageObject", "url": facts.logo },
        },
        "mainEntityOfPage": { "@type": "WebPage", "@id": facts.url },
        "articleSection": facts.section_name,
        "commentCount": facts.comment_count,
        "isAccessibleForFree": true,
    })
}

/// Home → section → article.
pub fn breadcrumbs(facts: &ArticleFacts<'_>) -> serde_json::Value {
    json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            { "@type": "ListItem", "position": 1, "name": "Top Stories", "item": format!("{}/", facts.base_url) },
            { "@type": "ListItem", "position": 2, "name": facts.section_name, "item": facts.section_url },
            { "@type": "ListItem", "position": 3, "name": facts.headline, "item": facts.url },
        ],
    })
}

/// One entry of an Atom or RSS feed.
pub struct FeedEntry {
    pub url: String,
    pub title: String,
    pub summary: String,
    /// Full article HTML (escaped again by the template, as feeds require).
    pub content_html: String,
    pub published: NaiveDateTime,
    pub updated: NaiveDateTime,
    pub authors: Vec<(String, String)>,
    pub category: String,
    pub image: Option<(String, &'static str)>,
}

impl FeedEntry {
    pub fn published_3339(&self) -> String {
        rfc3339(self.published)
    }
    pub fn updated_3339(&self) -> String {
        rfc3339(self.updated)
    }
    pub fn published_2822(&self) -> String {
        rfc2822(self.published)
    }
}

/// The type of an image from its file name, for enclosures.
pub fn image_mime(url: &str) -> &'static str {
    match url.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).as_deref() {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("avif") => "image/avif",
        _ => "application/octet-stream",
    }
}

#[derive(Template)]
#[template(path = "feeds/atom.xml", whitespace = "minimize")]
pub struct AtomFeed {
    pub title: String,
    pub subtitle: String,
    pub self_url: String,
    pub page_url: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

#[derive(Template)]
#[template(path = "feeds/rss.xml", whitespace = "minimize")]
pub struct RssFeed {
    pub title: String,
    pub description: String,
    pub self_url: String,
    pub page_url: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

/// A URL in a sitemap.
pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "sitemaps/urlset.xml", whitespace = "minimize")]
pub struct UrlSet {
    pub urls: Vec<SitemapUrl>,
}

#[derive(Template)]
#[template(path = "sitemaps/index.xml", whitespace = "minimize")]
pub struct SitemapIndex {
    pub sitemaps: Vec<SitemapUrl>,
}

pub struct NewsUrl {
    pub loc: String,
    pub title: String,
    pub published: String,
}

#[derive(Template)]
#[template(path = "sitemaps/news.xml", whitespace = "minimize")]
pub struct NewsSitemap {
    pub publication: String,
    pub urls: Vec<NewsUrl>,
}

/// A search result as shown.
pub struct SearchResult {
    pub url: String,
    pub headline: String,
    pub section_name: String,
    pub section_url: String,
    pub when: Moment,
    /// Escaped text with the matches in <mark>.
    pub snippet_html: String,
}

/// Escapes a snippet, then turns the database's match markers into <mark>.
pub fn highlight(snippet: &str) -> String {
    let mut escaped = String::with_capacity(snippet.len() + 32);
    escape_into(&mut escaped, snippet);
    escaped.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>")
}

impl SearchResult {
    pub fn new(hit: &SearchHit, now: NaiveDateTime) -> SearchResult {
        let snippet = if hit.snippet.contains(MATCH_START) { hit.snippet.as_str() } else { hit.dek.as_str() };
        SearchResult {
            url: format!("/articles/{}", hit.slug),
            headline: hit.headline.clone(),
            section_name: hit.section_name.clone(),
            section_url: format!("/sections/{}", hit.section_slug),
            when: Moment::new(hit.published_at, now),
            snippet_html: highlight(snippet),
        }
    }
}

#[derive(Template)]
#[template(path = "search.html", whitespace = "minimize")]
pub struct SearchPage {
    pub chrome: Chrome,
    pub query: String,
    pub results: Vec<SearchResult>,
    pub total_pages: i64,
    pub pager: Pager,
    /// Stories to offer when nothing matched.
    pub suggestions: Vec<CardView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_script_cannot_close_it() {
        let text = script_json(&json!({ "headline": "</script><script>alert(1)</script> & more" }));
        assert!(!text.contains('<') && !text.contains('>'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["headline"], "</script><script>alert(1)</script> & more");
    }

    #[test]
    fn snippets_are_escaped_before_marking() {
        assert_eq!(highlight("a <b> \u{1}tide\u{2} & c"), "a &lt;b&gt; <mark>tide</mark> &amp; c");
    }
}
