//! Muting a reader: a page under each of their comments that asks first,
//! and the account page's buttons that undo it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::{path_id, render, see_other};
use crate::actions::mute::{self as act, MuteRefusal};
use crate::error::AppError;
use crate::security::identity::Viewer;
use crate::state::AppState;
use crate::views::pages::{ArticleLink, MutePage};

/// The refusal as the site's error page (the link is not offered for
/// these, so only a typed address gets here).
fn refused(state: &AppState, refusal: MuteRefusal, id: i32) -> HttpResponse {
    let status = match refusal {
        MuteRefusal::OwnComment | MuteRefusal::Staff => StatusCode::FORBIDDEN,
        MuteRefusal::NotShown => StatusCode::NOT_FOUND,
    };
    let mut page = super::errors::page(state, status, "Not muted", refusal.message(), &format!("/comments/{id}"));
    // The page is ours already: the error-page middleware leaves it.
    page.extensions_mut().insert(super::errors::Rendered);
    page
}

#[get("/comments/{id}/mute")]
pub async fn mute_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let reader = viewer.require_user(&format!("/comments/{id}/mute"))?;
    let target = match act::target(&state, &reader, id).await? {
        Ok(target) => target,
        Err(refusal) => return Ok(refused(&state, refusal, id)),
    };
    let title = format!("Mute {}?", target.author.display_name);
    let chrome = state.page_chrome(&viewer, &title, "", &format!("/comments/{id}/mute"), "").await?;
    render(&MutePage {
        chrome,
        article: ArticleLink {
            headline: target.article.headline.clone(),
            url: format!("/articles/{}", target.article.slug),
        },
        comment_id: id,
        author_name: target.author.display_name.clone(),
        excerpt: target.comment.body.chars().take(280).collect(),
        already: target.already,
        csrf: viewer.csrf_token(),
    })
}

#[post("/comments/{id}/mute")]
pub async fn mute(state: web::Data<AppState>, viewer: Viewer, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let reader = viewer.require_user(&format!("/comments/{id}/mute"))?;
    match act::mute(&state, &reader, id).await? {
        Ok(location) => Ok(see_other(&location)),
        Err(refusal) => Ok(refused(&state, refusal, id)),
    }
}

#[post("/account/muted/{id}/unmute")]
pub async fn unmute(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let reader = viewer.require_user("/account")?;
    act::unmute(&state, &reader, id).await?;
    Ok(see_other("/account#muted"))
}
