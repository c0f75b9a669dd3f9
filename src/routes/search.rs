//! Searching the archive.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use super::{page_number, render};
use crate::error::AppError;
use crate::models::{ArticleCard, search};
use crate::security::identity::Viewer;
use crate::state::{AppState, now};
use crate::views::discovery::{SearchPage, SearchResult};
use crate::views::{CardView, Pager};

const RESULTS_PER_PAGE: i64 = 10;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    page: Option<String>,
}

#[get("/search")]
pub async fn search_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let text: String = query.q.clone().unwrap_or_default().chars().filter(|c| !c.is_control()).take(500).collect();
    let number = page_number(query.page.as_deref())?;
    let now = now();
    let wanted = text.clone();
    let (page, suggestions) = state
        .db
        .run(move |conn| {
            let page = search::search(conn, &wanted, now, number, RESULTS_PER_PAGE)?.ok_or(AppError::NotFound)?;
            // Something to read when nothing matched.
            let suggestions = if page.items.is_empty() && !wanted.trim().is_empty() {
                ArticleCard::latest(conn, now, 4)?
            } else {
                Vec::new()
            };
            Ok((page, suggestions))
        })
        .await?;
    let title = if text.trim().is_empty() { "Search".to_string() } else { format!("Search: {}", text.trim()) };
    let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let base = format!("/search?q={encoded}");
    let mut chrome = state.page_chrome(&viewer, &title, "", "/search", "").await?;
    chrome.social.og_type = "website";
    render(&SearchPage {
        chrome,
        results: page.items.iter().map(|hit| SearchResult::new(hit, now)).collect(),
        total_pages: page.total_pages,
        pager: Pager::linked(page.number, page.total_pages, &base, "").labelled("Better matches", "More results"),
        suggestions: CardView::list(&suggestions, now),
        query: text,
    })
}
