//! Cross-site request forgery protection for every state-changing request:
//! a same-origin check of Origin/Referer, and a random per-session token
//! that every form sends back. No state changes on GET, so that is all.

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::session_data::SessionData;
use crate::error::AppError;
use crate::state::AppState;

/// The form field holding the token.
pub const FIELD: &str = "csrf_token";

/// The session's token, made on first use.
pub fn token(session: &Session) -> String {
    SessionData(session).csrf_token_or_new()
}

/// Whether the request says, by its Origin or Referer header, that it
/// comes from this site. Browsers send one of them with every form; the
/// CSRF check lets a request with neither through to the token, but work
/// done for a request whose token cannot be checked needs this proof.
pub fn proven_same_origin(request: &actix_web::HttpRequest, base_url: &str) -> bool {
    match claimed_origin(request.headers()) {
        Claim::Origin(origin) => is_own(&origin, &request.connection_info(), base_url),
        Claim::Opaque | Claim::Silent => false,
    }
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

/// Routes whose handlers take a request that failed the check and answer
/// with their own form, so the reader's comment is not lost to an expired
/// token; they look for [`Rejected`] themselves and change nothing. Every
/// other unsafe request that fails is refused here. The tests read this list.
pub const ANSWERED_BY_THEIR_FORM: &[&str] = &["/articles/{slug}/comments", "/comments/{id}/edit"];

/// Routes that take unsafe requests without a token at all, each with the
/// reason. The tests read this list and check every other route.
pub const EXEMPT: &[(&str, &str)] = &[(
    "/unsubscribe",
    "one-click unsubscribe (RFC 8058): a mail program POSTs the link from the mail's List-Unsubscribe \
     header with no cookie and no form of ours; the link's own HMAC-signed token names the reader and \
     the notification, and all it can do is turn that notification off",
)];

/// Whether `path` is an instance of `route`, whose `{name}` parts match
/// any one segment.
fn route_matches(route: &str, path: &str) -> bool {
    let (mut route, mut path) = (route.trim_matches('/').split('/'), path.trim_matches('/').split('/'));
    loop {
        match (route.next(), path.next()) {
            (None, None) => return true,
            (Some(r), Some(p)) if (r.starts_with('{') && r.ends_with('}') && !p.is_empty()) || r == p => {}
            _ => return false,
        }
    }
}

fn handles_own_rejection(path: &str) -> bool {
    ANSWERED_BY_THEIR_FORM.iter().any(|route| route_matches(route, path))
}

fn exempt(path: &str) -> bool {
    EXEMPT.iter().any(|(route, _)| route_matches(route, path))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The scheme://host[:port] part of a URL.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

/// What a request's headers say about where it was sent from.
enum Claim {
    Origin(String),
    /// `Origin: null`: a sandboxed frame, a file, a redirect across sites.
    Opaque,
    /// Neither header (some privacy tools strip both).
    Silent,
}

fn claimed_origin(headers: &header::HeaderMap) -> Claim {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match value(header::ORIGIN) {
        Some("null") => Claim::Opaque,
        Some(origin) => Claim::Origin(origin.to_string()),
        None => value(header::REFERER).and_then(origin_of).map_or(Claim::Silent, Claim::Origin),
    }
}

fn is_own(claimed: &str, info: &actix_web::dev::ConnectionInfo, base_url: &str) -> bool {
    origin_of(base_url).is_some_and(|o| o == claimed) || claimed == format!("{}://{}", info.scheme(), info.host())
}

fn same_origin(request: &ServiceRequest, base_url: &str) -> bool {
    match claimed_origin(request.headers()) {
        Claim::Origin(origin) => is_own(&origin, &request.connection_info(), base_url),
        Claim::Opaque => false,
        // The token decides.
        Claim::Silent => true,
    }
}

pub async fn protect(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || exempt(request.path()) {
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
        let expected = SessionData(&request.get_session()).csrf_token();
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
