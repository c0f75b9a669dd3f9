//! Sitemaps for search engines (an index once there are too many URLs for
//! one file), the Google News sitemap, and robots.txt.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::TimeDelta;

use crate::error::AppError;
use crate::models::{Article, Author, Section, Tag};
use crate::state::{AppState, now};
use crate::views::discovery::{NewsSitemap, NewsUrl, SitemapIndex, SitemapUrl, UrlSet, rfc3339};

/// The news sitemap holds what was published in the last two days.
pub const NEWS_WINDOW: TimeDelta = TimeDelta::hours(48);

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(600)]))
        .body(body)
}

/// The pages that are not articles: home, sections, authors, topics.
async fn other_pages(state: &AppState) -> Result<(Vec<SitemapUrl>, i64), AppError> {
    let now = now();
    let (sections, authors, tags, count, newest) = state
        .db
        .run(move |conn| {
            let newest = Article::latest_full(conn, &crate::models::CardFilter::All, now, 1)?
                .first()
                .map(|(a, _)| a.modified_at());
            Ok((
                Section::all_in_order(conn)?,
                Author::all_slugs(conn)?,
                Tag::all_slugs(conn)?,
                Article::published_count(conn, now)?,
                newest,
            ))
        })
        .await?;
    let mut urls = vec![SitemapUrl { loc: state.absolute("/"), lastmod: newest.map(rfc3339) }];
    urls.extend(
        sections.iter().map(|s| SitemapUrl { loc: state.absolute(&format!("/sections/{}", s.slug)), lastmod: None }),
    );
    urls.extend(authors.iter().map(|a| SitemapUrl { loc: state.absolute(&format!("/authors/{a}")), lastmod: None }));
    urls.extend(tags.iter().map(|t| SitemapUrl { loc: state.absolute(&format!("/tags/{t}")), lastmod: None }));
    Ok((urls, count))
}

/// URLs `start..start+limit` of the whole list: other pages, then articles.
async fn slice(state: &AppState, pages: Vec<SitemapUrl>, start: i64, limit: i64) -> Result<Vec<SitemapUrl>, AppError> {
    let page_count = pages.len() as i64;
    let mut urls: Vec<SitemapUrl> = pages.into_iter().skip(start as usize).take(limit as usize).collect();
    let remaining = limit - urls.len() as i64;
    if remaining > 0 {
        let offset = (start - page_count).max(0);
        let now = now();
        let articles = state.db.run(move |conn| Ok(Article::sitemap_slice(conn, now, offset, remaining)?)).await?;
        urls.extend(articles.into_iter().map(|(slug, published, updated)| SitemapUrl {
            loc: state.absolute(&format!("/articles/{slug}")),
            lastmod: Some(rfc3339(updated.unwrap_or(published))),
        }));
    }
    Ok(urls)
}

#[get("/sitemap.xml")]
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (pages, articles) = other_pages(&state).await?;
    let total = pages.len() as i64 + articles;
    let max = state.config.sitemap_max_urls as i64;
    if total <= max {
        let urls = slice(&state, pages, 0, max).await?;
        return Ok(xml(UrlSet { urls }.render()?));
    }
    let files = (total + max - 1) / max;
    let sitemaps =
        (1..=files).map(|n| SitemapUrl { loc: state.absolute(&format!("/sitemap-{n}.xml")), lastmod: None }).collect();
    Ok(xml(SitemapIndex { sitemaps }.render()?))
}

#[get("/sitemap-{number}.xml")]
pub async fn sitemap_part(state: web::Data<AppState>, number: web::Path<String>) -> Result<HttpResponse, AppError> {
    let number: i64 = number.parse().map_err(|_| AppError::NotFound)?;
    let max = state.config.sitemap_max_urls as i64;
    let (pages, articles) = other_pages(&state).await?;
    let total = pages.len() as i64 + articles;
    if number < 1 || (number - 1) * max >= total || total <= max {
        return Err(AppError::NotFound);
    }
    let urls = slice(&state, pages, (number - 1) * max, max).await?;
    Ok(xml(UrlSet { urls }.render()?))
}

#[get("/news-sitemap.xml")]
pub async fn news(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = now();
    let recent = state.db.run(move |conn| Ok(Article::published_since(conn, now - NEWS_WINDOW, now)?)).await?;
    let urls = recent
        .into_iter()
        .map(|(slug, title, published)| NewsUrl {
            loc: state.absolute(&format!("/articles/{slug}")),
            title,
            published: rfc3339(published),
        })
        .collect();
    Ok(xml(NewsSitemap { publication: state.config.site_name.clone(), urls }.render()?))
}

#[get("/robots.txt")]
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /account\nDisallow: /comments/\nDisallow: /search\n\n\
         Sitemap: {}\nSitemap: {}\n",
        state.absolute("/sitemap.xml"),
        state.absolute("/news-sitemap.xml")
    );
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(body)
}
