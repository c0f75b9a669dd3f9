//! Atom and RSS feeds: the whole site, each section, each author, and the
//! comments of each article.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, get, web};
use askama::Template;

use crate::error::AppError;
use crate::models::{Article, Author, CardFilter, Comment, Section};
use crate::state::{AppState, now};
use crate::views::comment_text;
use crate::views::discovery::{AtomFeed, FeedEntry, RssFeed, image_mime, rfc2822, rfc3339};

/// Stories per feed.
const FEED_SIZE: i64 = 20;
const COMMENTS_FEED_SIZE: i64 = 50;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Atom,
    Rss,
}

impl Format {
    fn parse(text: &str) -> Result<Format, AppError> {
        match text {
            "atom" => Ok(Format::Atom),
            "rss" => Ok(Format::Rss),
            _ => Err(AppError::NotFound),
        }
    }
}

/// What a feed is about.
struct FeedSubject {
    title: String,
    description: String,
    /// The HTML page the feed follows, e.g. `/sections/local`.
    page: String,
    filter: CardFilter,
}

fn xml(content_type: &'static str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(300)]))
        .body(body)
}

async fn story_feed(
    state: &AppState,
    format: Format,
    find: impl FnOnce(&mut crate::db::DbConn) -> Result<FeedSubject, AppError> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let now = now();
    let (subject, articles, mut bylines) = state
        .db
        .run(move |conn| {
            let subject = find(conn)?;
            let articles = Article::latest_full(conn, &subject.filter, now, FEED_SIZE)?;
            let ids: Vec<i32> = articles.iter().map(|(a, _)| a.id).collect();
            let bylines = Author::bylines_for(conn, &ids)?;
            Ok((subject, articles, bylines))
        })
        .await?;
    let entries: Vec<FeedEntry> = articles
        .into_iter()
        .map(|(article, section)| FeedEntry {
            updated: article.modified_at(),
            url: state.absolute(&format!("/articles/{}", article.slug)),
            authors: bylines
                .remove(&article.id)
                .unwrap_or_default()
                .into_iter()
                .map(|a| (a.name, state.absolute(&format!("/authors/{}", a.slug))))
                .collect(),
            image: article.image_url.as_deref().map(|url| (state.absolute(url), image_mime(url))),
            title: article.headline,
            summary: article.dek,
            content_html: article.body_html,
            published: article.published_at,
            category: section.name,
        })
        .collect();
    let newest = entries.iter().map(|e| e.updated).max().unwrap_or(now);
    let base = if subject.page == "/" { "/feed".to_string() } else { format!("{}/feed", subject.page) };
    let page_url = state.absolute(&subject.page);
    let body = match format {
        Format::Atom => AtomFeed {
            title: subject.title,
            subtitle: subject.description,
            self_url: state.absolute(&format!("{base}.atom")),
            page_url,
            updated: rfc3339(newest),
            entries,
        }
        .render()?,
        Format::Rss => RssFeed {
            title: subject.title,
            description: subject.description,
            self_url: state.absolute(&format!("{base}.rss")),
            page_url,
            updated: rfc2822(newest),
            entries,
        }
        .render()?,
    };
    Ok(match format {
        Format::Atom => xml("application/atom+xml; charset=utf-8", body),
        Format::Rss => xml("application/rss+xml; charset=utf-8", body),
    })
}

#[get("/feed.{format}")]
pub async fn site_feed(state: web::Data<AppState>, format: web::Path<String>) -> Result<HttpResponse, AppError> {
    let format = Format::parse(&format)?;
    let title = state.config.site_name.clone();
    story_feed(&state, format, move |_| {
        Ok(FeedSubject {
            description: format!("The latest stories from {title}."),
            title,
            page: "/".into(),
            filter: CardFilter::All,
        })
    })
    .await
}

#[get("/sections/{slug}/feed.{format}")]
pub async fn section_feed(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, format) = path.into_inner();
    let format = Format::parse(&format)?;
    let site = state.config.site_name.clone();
    story_feed(&state, format, move |conn| {
        let section = Section::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
        Ok(FeedSubject {
            title: format!("{} – {site}", section.name),
            description: section.description,
            page: format!("/sections/{}", section.slug),
            filter: CardFilter::Section(section.id),
        })
    })
    .await
}

#[get("/authors/{slug}/feed.{format}")]
pub async fn author_feed(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, format) = path.into_inner();
    let format = Format::parse(&format)?;
    let site = state.config.site_name.clone();
    story_feed(&state, format, move |conn| {
        let author = Author::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
        Ok(FeedSubject {
            title: format!("{} – {site}", author.name),
            description: author.bio,
            page: format!("/authors/{}", author.slug),
            filter: CardFilter::Author(author.id),
        })
    })
    .await
}

#[get("/articles/{slug}/comments.atom")]
pub async fn comments_feed(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let now = now();
    let (article, entries) = state
        .db
        .run(move |conn| {
            let (article, _) = Article::published_by_slug(conn, &slug, now)??;
            let entries = Comment::latest_published(conn, article.id, COMMENTS_FEED_SIZE)?;
            Ok((article, entries))
        })
        .await?;
    let page = format!("/articles/{}", article.slug);
    let entries: Vec<FeedEntry> = entries
        .into_iter()
        .map(|entry| FeedEntry {
            url: state.absolute(&format!("/comments/{}", entry.comment.id)),
            title: format!("{} on “{}”", entry.author.display_name, article.headline),
            summary: entry.comment.body.chars().take(200).collect(),
            content_html: comment_text::render(&entry.comment.body),
            published: entry.comment.created_at,
            updated: entry.comment.edited_at.unwrap_or(entry.comment.created_at),
            authors: vec![(entry.author.display_name, state.absolute(&page))],
            category: String::new(),
            image: None,
        })
        .collect();
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or(article.published_at);
    let feed = AtomFeed {
        title: format!("Comments on “{}”", article.headline),
        subtitle: format!("What readers of {} are saying.", state.config.site_name),
        self_url: state.absolute(&format!("{page}/comments.atom")),
        page_url: state.absolute(&format!("{page}#comments")),
        updated: rfc3339(updated),
        entries,
    };
    Ok(xml("application/atom+xml; charset=utf-8", feed.render()?))
}
