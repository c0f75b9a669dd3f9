//! Who is asking: the logged-in user (if any) as an extractor, logging in
//! and out, and the client's address for rate limits.

use std::net::IpAddr;

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::csrf;
use super::session_store::USER_ID;
use crate::error::AppError;
use crate::models::{Role, User, replies};
use crate::state::AppState;

/// The person making the request: their session, and their account when
/// they are logged in.
pub struct Viewer {
    pub user: Option<User>,
    /// Replies to the reader's comments they have not marked as read.
    pub unseen_replies: i64,
    pub session: Session,
}

impl Viewer {
    pub fn user_id(&self) -> Option<i32> {
        self.user.as_ref().map(|u| u.id)
    }

    /// The logged-in user, or a trip to the log-in form that comes back to `path`.
    pub fn require_user(&self, path: &str) -> Result<User, AppError> {
        self.user.clone().ok_or_else(|| AppError::LoginRequired { next: path.to_string() })
    }

    /// The CSRF token for forms on this page; makes one if needed.
    pub fn csrf_token(&self) -> String {
        csrf::token(&self.session)
    }

    /// The token only if the session already has one (pages for anonymous
    /// readers must not create a session just by being viewed).
    pub fn existing_csrf_token(&self) -> String {
        if self.user.is_some() { self.csrf_token() } else { String::new() }
    }
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Viewer, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let state = request.app_data::<web::Data<AppState>>().cloned();
        // The admin scope's guard and the handler both ask: look up once.
        let cached = request.extensions().get::<LoadedUser>().cloned();
        let request = request.clone();
        let now = crate::state::now();
        Box::pin(async move {
            if let Some(LoadedUser(user, unseen_replies)) = cached {
                return Ok(Viewer { user, unseen_replies, session });
            }
            let user_id = session.get::<i32>(USER_ID).ok().flatten();
            let (user, unseen_replies) = match (user_id, state) {
                (Some(id), Some(state)) => {
                    let loaded = state
                        .db
                        .run(move |conn| {
                            let Some(user) = User::by_id(conn, id)?.filter(|u| u.may_sign_in(now)) else {
                                return Ok(None);
                            };
                            let unseen = replies::unseen(&user);
                            Ok(Some((user, unseen)))
                        })
                        .await?;
                    if loaded.is_none() {
                        // The account is gone, deleted or banned: so is the session.
                        session.purge();
                    } else {
                        super::session_store::renew_hourly(&session, now);
                    }
                    loaded.map_or((None, 0), |(user, unseen)| (Some(user), unseen))
                }
                _ => (None, 0),
            };
            request.extensions_mut().insert(LoadedUser(user.clone(), unseen_replies));
            Ok(Viewer { user, unseen_replies, session })
        })
    }
}

/// The viewer's account as loaded for this request.
#[derive(Clone)]
struct LoadedUser(Option<User>, i64);

/// A moderator or admin; anyone else is turned away (visitors to the log-in
/// form, readers with a 403). Every admin route takes this.
pub struct Staff {
    pub user: User,
    pub viewer: Viewer,
}

impl Staff {
    pub fn is_admin(&self) -> bool {
        self.user.role() == Role::Admin
    }

    /// For actions only admins may take.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Staff, actix_web::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(request, payload);
        let path = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
        Box::pin(async move {
            let viewer = viewer.await?;
            match &viewer.user {
                None => Err(AppError::LoginRequired { next: path }.into()),
                Some(user) if user.is_staff() => Ok(Staff { user: user.clone(), viewer }),
                Some(_) => Err(AppError::Forbidden.into()),
            }
        })
    }
}

/// Middleware for the whole admin scope: the same check as [`Staff`], so a
/// route that forgot to ask for it is still closed to everyone else.
pub async fn require_staff(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (http, mut payload) = request.into_parts();
    let verdict = Staff::from_request(&http, &mut payload).await;
    let request = ServiceRequest::from_parts(http, payload);
    match verdict {
        Ok(_) => next.call(request).await.map(ServiceResponse::map_into_left_body),
        Err(error) => Ok(request.error_response(error).map_into_right_body()),
    }
}

/// Starts a logged-in session under a new id (no session fixation), keeping
/// what the anonymous session held, such as a comment draft.
pub fn log_in(session: &Session, user: &User) -> Result<(), AppError> {
    session.renew();
    session.insert(USER_ID, user.id).map_err(|e| AppError::Internal(e.to_string()))?;
    super::session_store::renew_hourly(session, crate::state::now());
    csrf::token(session);
    Ok(())
}

/// Ends the session everywhere: the row is deleted, the cookie removed.
pub fn log_out(session: &Session) {
    session.purge();
}

/// The client's address: the peer, or the proxy's X-Forwarded-For entry
/// when the operator said a proxy is in front.
pub fn client_ip(request: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(ip) = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip.to_string();
    }
    request.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// Where to go after logging in: only a path on this site. Anything that a
/// browser could read as another host (`//evil`, `/\evil`, `https://…`) goes home.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next.map(str::trim).filter(|n| !n.is_empty()) else {
        return "/".into();
    };
    let starts_right = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    let clean = !next.chars().any(|c| c.is_control() || c == '\\');
    if starts_right && clean { next.to_string() } else { "/".into() }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/articles/x#comments")), "/articles/x#comments");
        for bad in ["//evil.example", "https://evil.example/", "/\\evil.example", "evil", "/\t/evil", "javascript:x"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
