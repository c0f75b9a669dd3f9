//! Which requests the server takes when more arrive than it can serve.
//!
//! Past its capacity a server that queues everything answers everyone
//! late, then times everyone out. Instead, requests that reach the app
//! (pages the page cache answers never do) are counted while they are
//! worked on, and once `max_in_flight` are, a further page request is
//! answered at once with 503, `Retry-After` and the site's own words: the
//! ones taken keep their speed. Form posts are never turned away here: a
//! reader's comment carries text they typed, and posting is already
//! bounded per reader by the rate limits; its database work queues with
//! the pages' behind the bounded in-flight count, so it is answered
//! promptly even under a flood.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// Seconds a turned-away reader is asked to wait: a flood passes quickly
/// or not at all, and a reader's retry is cheap either way.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Requests being worked on now, and how many may be.
pub struct Admission {
    in_flight: AtomicUsize,
    limit: usize,
}

/// One request counted while it is worked on.
struct Ticket<'a>(&'a AtomicUsize);

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Admission {
    pub fn new(limit: usize) -> Admission {
        Admission { in_flight: AtomicUsize::new(0), limit }
    }

    /// Requests being worked on now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request in; `None` if it is a page request over the limit.
    fn enter(&self, may_turn_away: bool) -> Option<Ticket<'_>> {
        let before = self.in_flight.fetch_add(1, Ordering::Relaxed);
        let ticket = Ticket(&self.in_flight);
        if may_turn_away && before >= self.limit {
            return None;
        }
        Some(ticket)
    }
}

/// Requests that cost no database work, or that operators need answered
/// however busy the site is.
fn always_taken(path: &str) -> bool {
    path.starts_with("/static/") || matches!(path, "/livez" | "/readyz" | "/healthz" | "/favicon.ico")
}

pub async fn admit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(request).await.map(ServiceResponse::map_into_left_body);
    };
    let page = matches!(*request.method(), Method::GET | Method::HEAD) && !always_taken(request.path());
    let Some(_ticket) = state.admission.enter(page) else {
        state.metrics.counters.turned_away.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut busy = crate::routes::errors::page(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Very busy",
            "The newsroom's site is busier than it can serve right now; try again in a few seconds.",
            request.path(),
        );
        let headers = busy.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(request.into_response(busy).map_into_right_body());
    };
    next.call(request).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_past_the_limit_are_turned_away_and_posts_never() {
        let admission = Admission::new(2);
        let first = admission.enter(true).expect("room");
        let second = admission.enter(true).expect("room");
        assert!(admission.enter(true).is_none(), "a third page is turned away");
        assert_eq!(admission.in_flight(), 2, "and not counted");
        let post = admission.enter(false).expect("a post is taken");
        assert_eq!(admission.in_flight(), 3);
        drop((first, second, post));
        assert_eq!(admission.in_flight(), 0);
        assert!(admission.enter(true).is_some(), "room again");
    }
}
