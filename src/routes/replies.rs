//! A reader's replies page: what others answered to their comments, newest
//! first, with the ones since their last visit marked new.

use actix_web::{HttpResponse, get, post, web};

use super::{PageQuery, page_number, render, see_other};
use crate::error::AppError;
use crate::models::replies;
use crate::security::identity::Viewer;
use crate::state::{AppState, now};
use crate::views::Pager;
use crate::views::pages::{RepliesPage, ReplyView};

const REPLIES_PER_PAGE: i64 = 20;

#[get("/account/replies")]
pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account/replies")?;
    let number = page_number(query.page.as_deref())?;
    let lookup = user.clone();
    let page = state.db.run(move |conn| Ok(replies::page(conn, &lookup, number, REPLIES_PER_PAGE)?)).await?;
    // No replies at all is an empty first page, not a missing one.
    let page = match page {
        Some(page) => page,
        None if number == 1 => crate::models::Page { items: Vec::new(), number: 1, total_pages: 1 },
        None => return Err(AppError::NotFound),
    };
    let seen = user.replies_seen_at.unwrap_or(user.created_at);
    let now = now();
    let chrome = state.page_chrome(&viewer, "Replies to you", "", "/account/replies", "").await?;
    render(&RepliesPage {
        chrome,
        replies: page.items.iter().map(|reply| ReplyView::new(reply, seen, now)).collect(),
        pager: Pager::new(&page, "/account/replies"),
        unseen: viewer.unseen_replies,
        csrf: viewer.csrf_token(),
    })
}

/// "Mark all as read": a button, since nothing changes on a GET.
#[post("/account/replies/seen")]
pub async fn mark_seen(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account/replies")?;
    crate::actions::accounts::mark_replies_seen(&state, &user).await?;
    Ok(see_other("/account/replies"))
}
