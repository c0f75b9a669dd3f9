//! One line per request, the request id, and the request figures for the
//! metrics, outermost so they cover answers from the page cache too.
//!
//! The id ties a reader's complaint ("it said error, here is the id from
//! the page's headers") to the log lines of that request: every line
//! logged while it is worked on carries it, and it is sent back as
//! `X-Request-Id`. Behind a reverse proxy we trust (`NEWSDESK_TRUST_PROXY`)
//! the proxy's id is kept, so both logs tell of the same request.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::state::AppState;

pub const REQUEST_ID: &str = "x-request-id";

/// A request's id, in its extensions for whoever wants to show it.
#[derive(Clone)]
pub struct RequestId(pub String);

/// The route pattern an answer from the page cache was built by, which
/// the request that got the copy never matched itself.
#[derive(Clone)]
pub struct Route(pub std::sync::Arc<str>);

/// An id from a proxy is kept only when it looks like one: short, and
/// nothing that could break a log line.
fn usable(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let trust_proxy = state.as_ref().is_some_and(|s| s.config.trust_proxy);
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| trust_proxy && usable(id))
        .map_or_else(new_id, str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = method_name(request.method());
    let path = request.path().to_owned();
    let peer = request.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.call(request).instrument(span.clone()).await?;
    let took = started.elapsed();
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(REQUEST_ID), value);
    }
    // A copy from the page cache says which route built it; otherwise the
    // router is asked again, which runs its patterns over the path, so the
    // answer is kept per path (a bounded map: readers ask for few paths).
    let route = match response.response().extensions().get::<Route>() {
        Some(route) => route.0.clone(),
        None => match &state {
            Some(state) => state.metrics.route_of(response.request()),
            None => "unmatched".into(),
        },
    };
    let cache = response.headers().get(crate::page_cache::STATUS_HEADER).and_then(|v| v.to_str().ok());
    if let Some(state) = &state {
        state.metrics.request(method, &route, status, took);
        if let Some(how) = cache {
            state.metrics.cache(how);
        }
    }
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            peer = %peer,
            method,
            path = %path,
            status,
            ms = took.as_micros() as f64 / 1000.0,
            cache = cache.unwrap_or(""),
        );
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn only_plain_short_ids_from_a_proxy_are_kept() {
        assert!(usable("7f3a-91c2.edge:4"));
        assert!(!usable(""));
        assert!(!usable(&"a".repeat(65)));
        assert!(!usable("abc\ndef"));
        assert!(!usable("a b"));
    }
}
