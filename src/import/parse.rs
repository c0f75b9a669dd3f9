//! Turning content files into checked, ready-to-store values. Nothing here
//! touches the database, so every bad file is found before anything is written.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionFile {
    pub name: String,
    pub slug: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub position: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorFile {
    pub name: String,
    pub slug: Option<String>,
    #[serde(default)]
    pub bio: String,
    pub avatar: Option<String>,
    /// A desk or agency rather than a person (for structured data).
    #[serde(default)]
    pub organization: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    #[serde(default)]
    pub dek: String,
    pub slug: Option<String>,
    pub section: String,
    pub authors: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub published: toml::Value,
    pub updated: Option<toml::Value>,
    pub comments_open: Option<bool>,
    pub image: Option<ImageMeta>,
    /// The newsroom's correction, shown above the story with the date the
    /// import first saw this text (a new text gets a new date).
    pub correction: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageMeta {
    pub src: String,
    pub alt: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub credit: String,
}

/// An article file, parsed and checked but not yet linked to the database.
#[derive(Debug)]
pub struct ParsedArticle {
    pub slug: String,
    pub front: FrontMatter,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
    pub body_markdown: String,
    pub body_html: String,
    /// The body as plain text, for search and snippets.
    pub body_text: String,
}

pub fn parse_toml<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    toml::from_str(text).map_err(|e| e.message().to_string())
}

/// A slug is what appears in URLs: lowercase letters, digits and hyphens.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let valid = !slug.is_empty()
        && slug.len() <= 120
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if valid { Ok(()) } else { Err(format!("slug \"{slug}\" must be lowercase letters, digits and hyphens")) }
}

/// The slug a file gets when it names none: its file name without extension.
pub fn slug_from_path(relative: &str) -> String {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(name).to_string()
}

/// Makes a tag's URL slug from its display name ("Climate Change" → "climate-change").
pub fn tag_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

pub fn parse_article(relative: &str, bytes: &[u8]) -> Result<ParsedArticle, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    let (front_text, body) = split_front_matter(text)?;
    let front: FrontMatter = toml::from_str(front_text).map_err(|e| format!("front matter: {}", e.message()))?;
    if front.title.trim().is_empty() {
        return Err("title is empty".into());
    }
    if front.authors.is_empty() {
        return Err("authors: an article needs at least one author".into());
    }
    let slug = front.slug.clone().unwrap_or_else(|| slug_from_path(relative));
    check_slug(&slug)?;
    for tag in &front.tags {
        if tag_slug(tag).is_empty() {
            return Err(format!("tag \"{tag}\" has no letters or digits"));
        }
    }
    let published = parse_when(&front.published).map_err(|e| format!("published: {e}"))?;
    let updated = match &front.updated {
        Some(value) => Some(parse_when(value).map_err(|e| format!("updated: {e}"))?),
        None => None,
    };
    if updated.is_some_and(|u| u < published) {
        return Err("updated: is earlier than published".into());
    }
    if front.correction.as_ref().is_some_and(|text| text.trim().is_empty()) {
        return Err("correction is empty (remove the line to remove the note)".into());
    }
    if front.image.as_ref().is_some_and(|image| image.alt.trim().is_empty()) {
        return Err("image.alt: describe the image for readers who cannot see it".into());
    }
    let body_markdown = body.trim().to_string();
    if body_markdown.is_empty() {
        return Err("the article has no body text after the front matter".into());
    }
    let body_html = render_markdown(&body_markdown);
    let body_text = markdown_text(&body_markdown);
    Ok(ParsedArticle { slug, front, published, updated, body_markdown, body_html, body_text })
}

fn split_front_matter(text: &str) -> Result<(&str, &str), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or("front matter: the file must start with a line of +++")?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Ok((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err("front matter: no closing line of +++".into())
}

/// Accepts an RFC 3339 time (string or TOML datetime); a date alone means
/// midnight UTC and a time without offset is taken as UTC.
pub fn parse_when(value: &toml::Value) -> Result<NaiveDateTime, String> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => return Err(format!("expected a date like 2026-11-27T08:30:00Z, found {}", other.type_str())),
    };
    let text = text.trim();
    if let Ok(when) = DateTime::parse_from_rfc3339(text) {
        return Ok(when.naive_utc());
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(when) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(when);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    Err(format!("\"{text}\" is not a date like 2026-11-27T08:30:00Z"))
}

/// Markdown to safe HTML. A level-one heading becomes h2 (the headline is the
/// page's only h1) and whatever HTML the author typed is sanitised.
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: demote(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&html)
        .to_string()
}

/// The words of a Markdown text without its markup (raw HTML dropped),
/// paragraphs separated by blank lines.
pub fn markdown_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::ENABLE_SMART_PUNCTUATION) {
        match event {
            Event::Text(words) | Event::Code(words) => text.push_str(&words),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::BlockQuote(_)) => {
                text.push_str("\n\n")
            }
            _ => {}
        }
    }
    text.trim().to_string()
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    if level == HeadingLevel::H1 { HeadingLevel::H2 } else { level }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_structure_and_drops_scripts() {
        let html = render_markdown(
            "# Top\n\nSome *em* and [a link](https://example.org).\n\n> quoted\n\n- one\n- two\n\n<script>alert(1)</script><img src=x onerror=alert(2)>",
        );
        assert!(html.contains("<h2>Top</h2>"));
        assert!(html.contains("<em>em</em>"));
        assert!(html.contains("<blockquote>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("href=\"https://example.org\""));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
    }

    #[test]
    fn plain_text_keeps_words_and_drops_markup() {
        let text =
            markdown_text("## Heading\n\nSome **bold** and [a link](https://x.example).\n\n<div>raw</div>\n\n- item");
        assert_eq!(text, "Heading\n\nSome bold and a link.\n\nitem");
    }

    #[test]
    fn javascript_links_are_removed() {
        let html = render_markdown("[click](javascript:alert(1))");
        assert!(!html.contains("javascript:"));
    }

    #[test]
    fn dates_in_several_forms() {
        let expected = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(8, 30, 0).unwrap();
        assert_eq!(parse_when(&toml::Value::String("2026-11-27T09:30:00+01:00".into())), Ok(expected));
        assert_eq!(parse_when(&toml::Value::String("2026-11-27 08:30".into())), Ok(expected));
        assert!(parse_when(&toml::Value::String("27/11/2026".into())).is_err());
        assert!(parse_when(&toml::Value::Integer(5)).is_err());
    }

    #[test]
    fn tag_slugs() {
        assert_eq!(tag_slug("Climate Change"), "climate-change");
        assert_eq!(tag_slug("  Ferries & Boats "), "ferries-boats");
    }

    #[test]
    fn front_matter_needs_both_fences() {
        assert!(split_front_matter("title = 1\n").is_err());
        assert!(split_front_matter("+++\ntitle = 1\n").is_err());
        assert_eq!(split_front_matter("+++\na = 1\n+++\nbody\n"), Ok(("a = 1\n", "body\n")));
    }
}
