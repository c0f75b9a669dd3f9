//! newsdesk: a server-rendered news site with reader comments.
//!
//! `app()` builds the whole web application; the binary and the tests both
//! use it, so tests exercise exactly what production serves.

pub mod assets;
pub mod config;
pub mod db;
pub mod error;
pub mod import;
pub mod models;
pub mod routes;
pub mod security;
pub mod state;
pub mod views;

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Logger, from_fn};
use actix_web::{App, HttpServer, web};

use crate::state::AppState;

/// Largest request body we read: forms are small, and anything bigger is
/// refused before it is buffered.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The web application, with every route and middleware.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let https = state.config.base_url.starts_with("https://");
    App::new()
        .app_data(state)
        .app_data(web::FormConfig::default().limit(MAX_FORM_BYTES))
        .app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
        .wrap(from_fn(routes::errors::error_pages))
        .wrap(security::headers::default_headers(https))
        .wrap(Compress::default())
        .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
        .service(routes::stories::home)
        .service(routes::stories::article)
        .service(routes::listings::section)
        .service(routes::listings::author)
        .service(routes::listings::tag)
        .service(routes::files::asset)
        .service(routes::files::media)
        .service(routes::files::health)
        .default_service(web::to(routes::errors::not_found))
}

/// Starts serving on an already bound listener (tests bind port 0).
pub fn serve(state: web::Data<AppState>, listener: TcpListener, workers: Option<usize>) -> std::io::Result<Server> {
    let mut server = HttpServer::new(move || app(state.clone()));
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}
