//! What a load balancer or an orchestrator asks: is the process alive
//! (`/livez`), and should it be sent readers (`/readyz`, and `/healthz`,
//! the older name for the same question).
//!
//! The answers are plain text, never kept by the page cache or by anyone
//! else (`no-store`), and never touch a session.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, get, web};

use super::errors::Rendered;
use crate::db::readiness::Readiness;
use crate::state::AppState;

/// The probes' paths.
const PROBES: [&str; 3] = ["/livez", "/readyz", "/healthz"];

/// How soon a load balancer that was told "not ready" may ask again.
const RETRY_AFTER_SECS: &str = "5";

/// The process is up and its workers answer. Nothing else is asked: a
/// database outage must not get every instance restarted.
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    plain(StatusCode::OK, "ok".into())
}

#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    answer(&state).await
}

#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    answer(&state).await
}

async fn answer(state: &AppState) -> HttpResponse {
    // Told to stop, and draining: the load balancer should send readers elsewhere.
    if state.stopping.load(std::sync::atomic::Ordering::SeqCst) {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "not ready: stopping".into());
    }
    match state.db.readiness().await {
        Readiness::Ready => plain(StatusCode::OK, "ok".into()),
        Readiness::NotReady(reason) => plain(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {reason}")),
    }
}

fn plain(status: StatusCode, body: String) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("text/plain; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store"));
    if !status.is_success() {
        response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        // A machine reads this: the error-page middleware leaves it as it is.
        response.extensions_mut().insert(Rendered);
    }
    response.body(body)
}

/// Takes the cookies off a probe before anything reads them. A probe sent
/// with a session cookie (from a browser, say) would otherwise have its
/// session loaded from the database by the session middleware: `/livez`
/// would depend on the database after all, and `/readyz` would wait for a
/// pool connection, the very thing its check avoids. It runs outside the
/// page cache, the first to read cookies (actix keeps them once parsed).
pub async fn without_cookies(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if PROBES.contains(&request.path()) {
        request.headers_mut().remove(header::COOKIE);
    }
    next.call(request).await
}

/// The figures in Prometheus' text format; served only on the metrics
/// listener (`serve_metrics`), never by the site's own `app()`.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(crate::metrics::render(&state))
}
