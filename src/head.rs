//! HEAD requests. Routes are declared for GET only, so without this a HEAD
//! (what uptime monitors, link checkers and some crawlers send) would get a
//! 404. It is routed as a GET; actix-http, which saw the HEAD when it read
//! the request, then sends the status and headers (Content-Length included,
//! as RFC 9110 asks) and leaves the body out.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn answer_head<B: MessageBody + 'static>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
    }
    next.call(request).await
}
