//! Cross-site request forgery protection for every state-changing request:
//! a same-origin check of Origin/Referer, and a random per-session token
//! that every form sends back. No state changes on GET, so that is all.

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use rand::distr::{Alphanumeric, SampleString};

use crate::error::AppError;
use crate::state::AppState;

/// The form field and session entry holding the token.
pub const FIELD: &str = "csrf_token";
const SESSION_KEY: &str = "csrf";

/// The session's token, made on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return token;
    }
    let token = Alphanumeric.sample_string(&mut rand::rng(), 43);
    let _ = session.insert(SESSION_KEY, &token);
    token
}

/// Why a request failed the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    CrossOrigin,
    BadToken,
}

/// Left in the request for handlers that show their own form again when the
/// check fails (so a comment is not lost to an expired token).
#[derive(Clone, Copy, Debug)]
pub struct Rejected(pub Rejection);

/// Paths whose handlers accept a failed check and must look for [`Rejected`]
/// themselves; every other unsafe request is refused here.
fn handles_own_rejection(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["articles", _, "comments"] | ["comments", _, "edit"])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The scheme://host[:port] part of a URL.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

fn same_origin(request: &ServiceRequest, base_url: &str) -> bool {
    let header_value = |name| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let claimed = match header_value(header::ORIGIN) {
        Some(origin) if origin != "null" => Some(origin),
        Some(_) => return false,
        None => header_value(header::REFERER).and_then(|r| origin_of(&r)),
    };
    let Some(claimed) = claimed else {
        // Neither header (some privacy tools strip both): the token decides.
        return true;
    };
    let info = request.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    origin_of(base_url).is_some_and(|o| o == claimed) || claimed == own
}

pub async fn protect(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return next.call(request).await.map(ServiceResponse::map_into_left_body);
    }
    let base_url = request.app_data::<web::Data<AppState>>().map(|s| s.config.base_url.clone()).unwrap_or_default();
    let mut rejection = (!same_origin(&request, &base_url)).then_some(Rejection::CrossOrigin);
    // Read the (size-capped) body to find the token, then hand it on intact.
    let body = match request.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(error) => return Ok(request.error_response(error).map_into_right_body()),
    };
    if !is_text_form(&body) {
        let error = AppError::BadRequest(
            "We could not read the form you sent (it was not valid text). Go back and try again.".into(),
        );
        return Ok(request.error_response(error).map_into_right_body());
    }
    if rejection.is_none() {
        let sent = url::form_urlencoded::parse(&body).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned());
        let expected = request.get_session().get::<String>(SESSION_KEY).ok().flatten();
        let valid = matches!((&sent, &expected), (Some(s), Some(e)) if constant_time_eq(s.as_bytes(), e.as_bytes()));
        if !valid {
            rejection = Some(Rejection::BadToken);
        }
    }
    request.set_payload(actix_web::dev::Payload::from(body));
    match rejection {
        None => next.call(request).await.map(ServiceResponse::map_into_left_body),
        Some(reason) if handles_own_rejection(request.path()) => {
            request.extensions_mut().insert(Rejected(reason));
            next.call(request).await.map(ServiceResponse::map_into_left_body)
        }
        Some(_) => Ok(request.error_response(AppError::FormExpired).map_into_right_body()),
    }
}

/// Whether every name and value of a URL-encoded body decodes to UTF-8.
/// The form readers replace bad bytes silently; we would rather refuse.
fn is_text_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').flat_map(|pair| pair.split(|b| *b == b'=')).all(|piece| {
        let spaced: Vec<u8> = piece.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
        let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        std::str::from_utf8(&decoded).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_forms_handle_their_own_rejection() {
        assert!(handles_own_rejection("/articles/a-story/comments"));
        assert!(handles_own_rejection("/comments/12/edit"));
        assert!(!handles_own_rejection("/comments/12/delete"));
        assert!(!handles_own_rejection("/login"));
        assert!(!handles_own_rejection("/articles/a/comments/x"));
    }

    #[test]
    fn only_text_forms_pass() {
        assert!(is_text_form(b"csrf_token=abc&body=caf%C3%A9+au+lait"));
        assert!(!is_text_form(b"csrf_token=abc&body=%FF%FE"));
        assert!(!is_text_form(b"body=caf\xE9"));
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(origin_of("http://127.0.0.1:8080/x?y").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(origin_of("https://news.example.org/").as_deref(), Some("https://news.example.org"));
        assert!(
            constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab")
        );
    }
}
