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
use super::session_data::SessionData;
use crate::error::AppError;
use crate::models::{User, replies};
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
            // Who this is cannot be known while the database is out of
            // reach: the page says "try again in a minute", and the comment
            // form handler, which takes this error itself, keeps the text.
            if SessionData(&session).unread() {
                return Err(AppError::Unavailable("the session could not be read".into()).into());
            }
            let user_id = SessionData(&session).user_id();
            let (user, unseen_replies) = match (user_id, state) {
                (Some(id), Some(state)) => {
                    let user = match state.accounts.get(&id) {
                        Some(user) => Some(user),
                        None => {
                            let user = state.db.run(move |conn| Ok(User::by_id(conn, id)?)).await?;
                            if let Some(user) = &user {
                                state.accounts.put(id, user.clone());
                            }
                            user
                        }
                    };
                    let loaded = user.filter(|u| u.may_sign_in(now)).map(|user| {
                        let unseen = replies::unseen(&user);
                        (user, unseen)
                    });
                    if loaded.is_none() {
                        // The account is gone, deleted or banned: so is the session.
                        SessionData(&session).end();
                    } else {
                        SessionData(&session).renew_hourly(now);
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
        crate::permissions::may_administer(&self.user)
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
                Some(user) if crate::permissions::may_moderate(user) => Ok(Staff { user: user.clone(), viewer }),
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

/// Starts a logged-in session under a new id (no session fixation) and a
/// new CSRF token, keeping what the anonymous session held, such as a draft.
pub fn log_in(session: &Session, user: &User) -> Result<(), AppError> {
    SessionData(session).log_in(user.id, crate::state::now())
}

/// Ends the session everywhere: the row is deleted, the cookie removed.
pub fn log_out(session: &Session) {
    SessionData(session).end();
}

/// Who a per-address rate limit counts: the client's address (the peer,
/// or the proxy's X-Forwarded-For entry when the operator said a proxy is
/// in front). An IPv6 client is its /64: one household or server is handed
/// a whole /64 and can pick any address in it.
pub fn client_network(request: &HttpRequest, trust_proxy: bool) -> String {
    let forwarded = || {
        request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    };
    let address = if trust_proxy { forwarded() } else { None }.or_else(|| request.peer_addr().map(|a| a.ip()));
    match address {
        Some(address) => network_of(address),
        None => "unknown".into(),
    }
}

fn network_of(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
    }
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
    use super::{network_of, safe_next};

    #[test]
    fn ipv6_clients_count_as_their_64() {
        let network = |text: &str| network_of(text.parse().unwrap());
        assert_eq!(network("2001:db8:7:9:1::1"), "2001:db8:7:9::/64");
        assert_eq!(network("2001:db8:7:9:ffff:ffff:ffff:ffff"), "2001:db8:7:9::/64");
        assert_ne!(network("2001:db8:7:a::1"), network("2001:db8:7:9::1"));
        assert_eq!(network("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(network("192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/articles/x#comments")), "/articles/x#comments");
        for bad in ["//evil.example", "https://evil.example/", "/\\evil.example", "evil", "/\t/evil", "javascript:x"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
