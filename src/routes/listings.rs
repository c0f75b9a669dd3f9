//! Paginated lists of stories: by section, by author, by tag.

use actix_web::{HttpResponse, get, web};

use super::{PageQuery, page_number, render};
use crate::error::AppError;
use crate::models::{ArticleCard, Author, CardFilter, Section, Tag};
use crate::security::identity::Viewer;
use crate::state::{AppState, now};
use crate::views::discovery::FeedLink;
use crate::views::pages::ListPage;
use crate::views::{AuthorView, CardView, Pager};

const STORIES_PER_PAGE: i64 = 10;

/// What a list page is about, once its slug has been looked up.
struct Subject {
    kind: &'static str,
    heading: String,
    intro: String,
    author: Option<AuthorView>,
    filter: CardFilter,
    /// The nav entry to highlight.
    current: String,
    /// This list's own feeds (`/sections/local/feed`), if it has them.
    feed: Option<String>,
}

async fn list_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: String,
    query: PageQuery,
    find: impl FnOnce(&mut crate::db::DbConn) -> Result<Subject, AppError> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let number = page_number(query.page.as_deref())?;
    let now = now();
    let (subject, page) = state
        .db
        .run(move |conn| {
            let subject = find(conn)?;
            let page = ArticleCard::page(conn, &subject.filter, now, number, STORIES_PER_PAGE)?;
            Ok((subject, page.ok_or(AppError::NotFound)?))
        })
        .await?;
    let title =
        if page.number > 1 { format!("{} (page {})", subject.heading, page.number) } else { subject.heading.clone() };
    let canonical = if page.number > 1 { format!("{path}?page={}", page.number) } else { path.clone() };
    let mut chrome = state.page_chrome(&viewer, &title, &subject.intro, &canonical, &subject.current).await?;
    if let Some(feed) = &subject.feed {
        chrome.feeds = FeedLink::pair(&format!("{} – {}", subject.heading, state.config.site_name), feed);
    }
    render(&ListPage {
        chrome,
        kind: subject.kind,
        heading: subject.heading,
        intro: subject.intro,
        author: subject.author,
        cards: CardView::list(&page.items, now),
        pager: Pager::new(&page, &path),
    })
}

#[get("/sections/{slug}")]
pub async fn section(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let path = format!("/sections/{slug}");
    list_page(state, viewer, path, query.into_inner(), move |conn| {
        let section = Section::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
        Ok(Subject {
            kind: "Section",
            heading: section.name,
            intro: section.description,
            author: None,
            filter: CardFilter::Section(section.id),
            feed: Some(format!("/sections/{}/feed", section.slug)),
            current: section.slug,
        })
    })
    .await
}

#[get("/authors/{slug}")]
pub async fn author(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let path = format!("/authors/{slug}");
    list_page(state, viewer, path, query.into_inner(), move |conn| {
        let author = Author::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
        Ok(Subject {
            kind: "Author",
            heading: author.name.clone(),
            intro: author.bio.clone(),
            author: Some(AuthorView::from_author(&author)),
            filter: CardFilter::Author(author.id),
            current: String::new(),
            feed: Some(format!("/authors/{}/feed", author.slug)),
        })
    })
    .await
}

#[get("/tags/{slug}")]
pub async fn tag(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let path = format!("/tags/{slug}");
    list_page(state, viewer, path, query.into_inner(), move |conn| {
        let tag = Tag::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
        Ok(Subject {
            kind: "Topic",
            heading: tag.name,
            intro: String::new(),
            author: None,
            filter: CardFilter::Tag(tag.id),
            current: String::new(),
            feed: None,
        })
    })
    .await
}
