//! Error pages in the site's layout, for every error status whoever raised
//! it (our handlers, an extractor, or the router's own 404).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::{AppError, ErrorInfo};
use crate::state::AppState;
use crate::views::pages::ErrorPage;

/// Marks a response whose error body is already a page (a form shown again
/// with its message, say), which this middleware must leave alone.
#[derive(Clone, Copy)]
pub struct Rendered;

pub async fn error_pages(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(request).await?;
    let status = response.status();
    let already_rendered = response.response().extensions().get::<Rendered>().is_some();
    if !(status.is_client_error() || status.is_server_error()) || already_rendered {
        return Ok(response.map_into_left_body());
    }
    let info = response
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(AppError::info)
        .unwrap_or_else(|| ErrorInfo::for_status(status));
    let (request, old) = response.into_parts();
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return Ok(ServiceResponse::new(request, old).map_into_left_body());
    };
    let mut fresh = page(state, status, info.title, &info.message, request.path());
    // Keep headers the handler chose (Retry-After, Allow, Set-Cookie…).
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().append(name.clone(), value.clone());
        }
    }
    if status.is_server_error() {
        fresh.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(ServiceResponse::new(request, fresh).map_into_right_body())
}

/// An error page in the site's layout. It needs nothing from the database
/// (the navigation is the copy held in memory), so it can be sent while
/// the database is out of reach or the site is flooded.
pub fn page(state: &AppState, status: StatusCode, title: &str, message: &str, path: &str) -> HttpResponse {
    let nav = state.cached_nav(false).unwrap_or_default();
    let chrome = state.chrome(nav, None, title, "", path, "");
    let page = ErrorPage { chrome, status: status.as_u16(), title: title.to_string(), message: message.to_string() };
    let html = page.render().unwrap_or_else(|_| info_fallback(status));
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html)
}

fn info_fallback(status: StatusCode) -> String {
    format!("<!DOCTYPE html><title>Error {}</title><h1>Error {}</h1>", status.as_u16(), status.as_u16())
}

/// Anything no route matched. A page address typed or linked with a
/// trailing slash ("/sections/local/") is sent on to the address without
/// it, once, rather than ending in a 404.
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, AppError> {
    let path = request.path();
    if request.method() == Method::GET && path.len() > 1 && path.ends_with('/') {
        // Leading slashes collapse to one, so "//other.example/" cannot
        // become a link to another site.
        let mut location = format!("/{}", path.trim_matches('/'));
        if !request.query_string().is_empty() {
            location = format!("{location}?{}", request.query_string());
        }
        return Ok(HttpResponse::MovedPermanently().insert_header((header::LOCATION, location)).finish());
    }
    Err(AppError::NotFound)
}
