//! The home page and article pages.

use actix_web::{HttpResponse, get, web};

use super::render;
use crate::error::AppError;
use crate::models::{Article, ArticleCard, Author, Tag};
use crate::state::{AppState, now};
use crate::views::pages::{ArticlePage, ArticleView, FigureView, HomePage, SectionBlock, TagView};
use crate::views::{AuthorView, CardView, Moment};

/// Stories under the lead; the next ones go to the "Latest" list.
const SECONDARY_STORIES: usize = 4;
const LATEST_STORIES: i64 = 15;
const STORIES_PER_SECTION_BLOCK: i32 = 4;

#[get("/")]
pub async fn home(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = now();
    let (latest, per_section) = state
        .db
        .run(move |conn| {
            let latest = ArticleCard::latest(conn, now, LATEST_STORIES)?;
            let per_section = ArticleCard::latest_per_section(conn, now, STORIES_PER_SECTION_BLOCK)?;
            Ok((latest, per_section))
        })
        .await?;
    let nav = state.nav().await?;
    let mut cards = CardView::list(&latest, now).into_iter();
    let lead = cards.next();
    let secondary: Vec<CardView> = cards.by_ref().take(SECONDARY_STORIES).collect();
    let latest: Vec<CardView> = cards.collect();
    // Section blocks follow the navigation order.
    let sections = nav
        .iter()
        .map(|item| SectionBlock {
            name: item.name.clone(),
            url: item.url.clone(),
            cards: per_section.iter().filter(|c| c.section_slug == item.slug).map(|c| CardView::new(c, now)).collect(),
        })
        .filter(|block| !block.cards.is_empty())
        .collect();
    let chrome = state.chrome(nav, "", "The latest news, analysis and discussion.", "/", "/");
    render(&HomePage { chrome, lead, secondary, latest, sections })
}

#[get("/articles/{slug}")]
pub async fn article(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let now = now();
    let slug = slug.into_inner();
    let (article, section, authors, tags) = state
        .db
        .run(move |conn| {
            let (article, section) = Article::published_by_slug(conn, &slug, now)?.ok_or(AppError::NotFound)?;
            let authors = Author::bylines_for(conn, &[article.id])?.remove(&article.id).unwrap_or_default();
            let tags = Tag::for_article(conn, article.id)?;
            Ok((article, section, authors, tags))
        })
        .await?;
    let path = format!("/articles/{}", article.slug);
    let chrome = state.page_chrome(&article.headline, &article.dek, &path, &section.slug).await?;
    let view = ArticleView {
        headline: article.headline,
        dek: article.dek,
        section_url: format!("/sections/{}", section.slug),
        section_name: section.name,
        authors: authors.iter().map(AuthorView::from_author).collect(),
        published: Moment::new(article.published_at, now),
        updated: article.updated_at.filter(|u| *u > article.published_at).map(|u| Moment::new(u, now)),
        figure: article.image_url.map(|url| FigureView {
            url,
            alt: article.image_alt,
            caption: article.image_caption,
            credit: article.image_credit,
        }),
        body_html: article.body_html,
        tags: tags.into_iter().map(|t| TagView { url: format!("/tags/{}", t.slug), name: t.name }).collect(),
        comments_open: article.comments_open,
    };
    render(&ArticlePage { chrome, article: view })
}
