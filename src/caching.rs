//! HTTP caching of pages, feeds and sitemaps.
//!
//! Every successful GET gets a validator (a weak ETag: a hash of the body)
//! and is answered 304 Not Modified when the client already holds that body.
//! Feed readers and crawlers poll the same URLs all day; a 304 spares them
//! and us the transfer. Nothing is kept on the server, so nothing can go
//! stale: each request still renders the page, and the hash decides.
//!
//! Cache-Control: a page for a visitor without cookies is the same for
//! everyone, so a shared cache (a CDN in front) may hand it out for a few
//! seconds (`SHARED`) — a removed comment leaves its copies within those
//! seconds — while browsers ask each time (`max-age=0`, answered by a 304).
//! A page for a request that carried a cookie, or that sets one, may show a
//! reader's name or a form token: `private, no-cache`, never in a shared
//! cache. `Vary: Cookie` tells such caches that the same URL differs by
//! visitor.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use sha2::{Digest, Sha256};

/// For pages the same for everyone: a shared cache may serve a copy for 3
/// seconds and, while it fetches a new one, 2 more (5 in all); only if we
/// fail to answer may it serve an older one, for 5 minutes.
pub const SHARED: &str = "public, max-age=0, s-maxage=3, stale-while-revalidate=2, stale-if-error=300";

pub async fn revalidate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_get = request.method() == Method::GET;
    let sent_cookie = request.headers().contains_key(header::COOKIE);
    let held = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.call(request).await?;
    let headers = response.headers();
    // Static files and media carry their own validators; errors and
    // redirects are not worth validating.
    if !is_get || response.status() != StatusCode::OK || headers.contains_key(header::ETAG) {
        return Ok(response.map_into_boxed_body());
    }
    let personal = sent_cookie || headers.contains_key(header::SET_COOKIE);
    // Feeds and sitemaps are the same for everyone and say how long they
    // keep; they only gain the validator.
    let policy = match headers.contains_key(header::CACHE_CONTROL) {
        true => None,
        false if personal => Some("private, no-cache"),
        false => Some(SHARED),
    };
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let tag = entity_tag(&bytes);
    let unchanged = held.as_deref().is_some_and(|list| matches(list, &tag));
    let headers = head.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&tag)?);
    if let Some(policy) = policy {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    let response = if unchanged {
        *head.status_mut() = StatusCode::NOT_MODIFIED;
        head.set_body(BoxBody::new(()))
    } else {
        head.set_body(BoxBody::new(bytes))
    };
    Ok(ServiceResponse::new(request, response))
}

/// A weak validator: the same bytes before compression, whatever encoding
/// they are sent in. 96 bits of SHA-256 is plenty to tell versions apart.
fn entity_tag(body: &[u8]) -> String {
    format!("W/\"{}\"", hex::encode(&Sha256::digest(body)[..12]))
}

/// Whether an If-None-Match list names `tag` (weak comparison, RFC 9110).
pub fn matches(list: &str, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    list.split(',').any(|held| held.trim() == "*" || bare(held) == bare(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_comparison_ignores_the_weak_prefix_and_reads_lists() {
        let tag = entity_tag(b"<p>page</p>");
        assert!(tag.starts_with("W/\"") && tag.len() == 3 + 24 + 1);
        assert!(matches(&tag, &tag));
        assert!(matches(tag.trim_start_matches("W/"), &tag));
        assert!(matches(&format!("\"other\", {tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("W/\"other\"", &tag));
        assert!(!matches("", &tag));
        assert_ne!(entity_tag(b"<p>page</p>"), entity_tag(b"<p>page!</p>"));
    }
}
