//! The public moderation page: every removal and ban with its reason and
//! time, without the removed words and without names.

use actix_web::{HttpResponse, get, web};

use super::{PageQuery, page_number, render};
use crate::error::AppError;
use crate::models::moderation;
use crate::security::identity::Viewer;
use crate::state::{AppState, now};
use crate::views::admin::{PublicLogPage, PublicLogRow};
use crate::views::{Moment, Pager};

#[get("/moderation")]
pub async fn moderation_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = page_number(query.page.as_deref())?;
    let page = state.db.run(move |conn| moderation::log_page(conn, number, true)?.ok_or(AppError::NotFound)).await?;
    let now = now();
    let rows = page
        .items
        .iter()
        .map(|line| PublicLogRow {
            kind: line.action.as_str(),
            article: line.article.clone(),
            reason: line.reason.clone(),
            details: line.details.clone(),
            when: Moment::new(line.created_at, now),
        })
        .collect();
    let chrome = state
        .page_chrome(
            &viewer,
            "How we moderate",
            "Every comment removal and ban, and every story taken down, with its reason.",
            "/moderation",
            "",
        )
        .await?;
    render(&PublicLogPage {
        chrome,
        rows,
        pager: Pager::linked(page.number, page.total_pages, "/moderation", "").labelled("Newer", "Older"),
    })
}
