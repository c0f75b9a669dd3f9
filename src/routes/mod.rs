//! HTTP handlers, one file per area of the site. Handlers parse the request,
//! call model functions and render; they hold no SQL.

pub mod accounts;
pub mod admin;
pub mod comments;
pub mod email;
pub mod errors;
pub mod feeds;
pub mod files;
pub mod health;
pub mod listings;
pub mod mutes;
pub mod profiles;
pub mod replies;
pub mod reports;
pub mod respect;
pub mod search;
pub mod sitemaps;
pub mod stories;
pub mod transparency;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use askama::Template;

use crate::error::AppError;

/// Renders a page as an HTML response with the given status. Error
/// statuses are marked so the error-page middleware leaves the page alone.
pub fn render_with_status<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let html = page.render()?;
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    if status.is_client_error() || status.is_server_error() {
        response.extensions_mut().insert(errors::Rendered);
    }
    Ok(response.body(html))
}

/// A 303 See Other to a path on this site (after a form, or to log in).
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, path.to_string())).finish()
}

pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_with_status(StatusCode::OK, page)
}

/// `?page=N` as a page number; anything that is not a positive number is a
/// page that does not exist.
pub fn page_number(raw: Option<&str>) -> Result<i64, AppError> {
    match raw {
        None => Ok(1),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(AppError::NotFound),
        },
    }
}

/// A numeric id from the path; anything else names nothing.
pub fn path_id(raw: &str) -> Result<i32, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
}
