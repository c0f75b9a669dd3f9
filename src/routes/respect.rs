//! The "Respect" button under each comment: a POST that marks the comment
//! or takes the mark back, then returns to the same comment.

use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::{path_id, see_other};
use crate::actions::respect::{self as act, RespectRefusal};
use crate::error::AppError;
use crate::security::identity::Viewer;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct RespectFields {
    /// `give` or `take`.
    respect: String,
}

#[post("/comments/{id}/respect")]
pub async fn respect(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    fields: web::Form<RespectFields>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let reader = viewer.require_user(&format!("/comments/{id}"))?;
    let give = match fields.respect.as_str() {
        "give" => true,
        "take" => false,
        _ => return Err(AppError::BadRequest("That button sent something we do not understand.".into())),
    };
    let refusal = match act::mark(&state, &reader, id, give).await? {
        Ok(location) => return Ok(see_other(&location)),
        Err(refusal) => refusal,
    };
    let status = match refusal {
        RespectRefusal::OwnComment => StatusCode::FORBIDDEN,
        RespectRefusal::NotShown => StatusCode::NOT_FOUND,
        RespectRefusal::TooFast { .. } => StatusCode::TOO_MANY_REQUESTS,
    };
    let path = format!("/comments/{id}");
    let mut page = super::errors::page(&state, status, "Not marked", refusal.message(), &path);
    if let RespectRefusal::TooFast { retry_after_secs } = refusal {
        page.headers_mut().insert(RETRY_AFTER, retry_after_secs.into());
    }
    // The page is ours already: the error-page middleware leaves it.
    page.extensions_mut().insert(super::errors::Rendered);
    Ok(page)
}
