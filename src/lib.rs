//! newsdesk: a server-rendered news site with reader comments.
//!
//! `app()` builds the whole web application; the binary and the tests both
//! use it, so tests exercise exactly what production serves.

pub mod access_log;
pub mod actions;
pub mod admission;
pub mod assets;
pub mod brief;
pub mod caching;
pub mod change_relay;
pub mod changes;
pub mod compression;
pub mod config;
pub mod db;
pub mod error;
pub mod head;
pub mod import;
pub mod lru;
pub mod mail;
pub mod metrics;
pub mod models;
pub mod page_cache;
pub mod permissions;
pub mod reader_pages;
pub mod routes;
pub mod security;
pub mod state;
pub mod views;

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::UrlencodedError;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::error::AppError;
use crate::security::session_store::DbSessionStore;
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
    let sessions = session_middleware(&state);
    App::new()
        .app_data(state)
        .app_data(form_config())
        .app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
        // Innermost first: CSRF needs the session, error pages keep the
        // session's cookie, validators see the session's Set-Cookie and hash
        // the body before it is compressed, headers go on everything.
        .wrap(from_fn(security::csrf::protect))
        .wrap(from_fn(routes::errors::error_pages))
        .wrap(sessions)
        // Outside sessions, whose loading is database work; inside the
        // security headers, which its quick 503s carry too.
        .wrap(from_fn(admission::admit))
        .wrap(from_fn(caching::revalidate))
        .wrap(security::headers::default_headers(https))
        .wrap(from_fn(head::answer_head))
        .wrap(from_fn(compression::gzip))
        // Outside compression: kept pages are stored compressed once and
        // sent as they are.
        .wrap(from_fn(page_cache::serve))
        // Outside the page cache, the first to read cookies: probes carry none.
        .wrap(from_fn(routes::health::without_cookies))
        // Outermost: the access line, the request id and the figures cover
        // answers from the page cache and the probes too.
        .wrap(from_fn(access_log::record))
        .service(routes::stories::home)
        .service(routes::stories::show_article)
        .service(routes::feeds::site_feed)
        .service(routes::feeds::section_feed)
        .service(routes::feeds::author_feed)
        .service(routes::feeds::comments_feed)
        .service(routes::sitemaps::sitemap)
        .service(routes::sitemaps::sitemap_part)
        .service(routes::sitemaps::news)
        .service(routes::sitemaps::robots)
        .service(routes::search::search_page)
        .service(routes::comments::post_comment)
        .service(routes::comments::show)
        .service(routes::comments::reply_form)
        .service(routes::comments::edit_form)
        .service(routes::comments::edit)
        .service(routes::comments::delete_form)
        .service(routes::comments::delete)
        .service(routes::mutes::mute_form)
        .service(routes::mutes::mute)
        .service(routes::mutes::unmute)
        .service(routes::reports::report_form)
        .service(routes::reports::report)
        .service(routes::respect::respect)
        .service(routes::accounts::login_form)
        .service(routes::accounts::login)
        .service(routes::accounts::logout)
        .service(routes::accounts::signup_form)
        .service(routes::accounts::signup)
        .service(routes::accounts::account)
        .service(routes::accounts::change_password)
        .service(routes::accounts::delete_account)
        .service(routes::accounts::account_deleted)
        .service(routes::email::save_address)
        .service(routes::email::resend)
        .service(routes::email::save_notifications)
        .service(routes::email::confirm_page)
        .service(routes::email::confirm)
        .service(routes::email::forgot_form)
        .service(routes::email::forgot)
        .service(routes::email::reset_form)
        .service(routes::email::reset)
        .service(routes::email::unsubscribe_page)
        .service(routes::email::unsubscribe)
        .service(routes::accounts::export)
        .service(routes::replies::list)
        .service(routes::replies::mark_seen)
        .service(routes::transparency::moderation_page)
        .service(routes::admin::scope())
        .service(routes::listings::section)
        .service(routes::listings::author)
        .service(routes::listings::tag)
        .service(routes::profiles::show)
        .service(routes::files::asset)
        .service(routes::files::media)
        .service(routes::health::livez)
        .service(routes::health::readyz)
        .service(routes::health::healthz)
        .default_service(web::to(routes::errors::not_found))
}

/// Server-side sessions: the cookie holds only an encrypted key; the state
/// lives in our database, where it can be revoked.
fn session_middleware(state: &AppState) -> SessionMiddleware<DbSessionStore> {
    let config = &state.config;
    let store = DbSessionStore::new(state.db.clone(), config.session_lifetime)
        .held_in(state.sessions.clone(), state.changes.clone());
    let secure = !config.local_http;
    let name = crate::security::session_store::cookie_name(config);
    let idle = actix_web::cookie::time::Duration::seconds(config.session_idle.as_secs() as i64);
    SessionMiddleware::builder(store, Key::from(&config.session_key))
        .cookie_name(name.to_string())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_string())
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(idle)
                // Not OnEveryRequest: that writes the session (a database
                // write) and sends Set-Cookie on every page a logged-in reader
                // opens. The expiry moves forward once an hour instead (see
                // session_data::RENEWED).
                .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
        )
        .build()
}

/// Forms: capped in size, and unreadable ones answered with a page that
/// says so rather than a bare 400.
fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(MAX_FORM_BYTES).error_handler(|error, _| {
        match error {
            UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge,
            UrlencodedError::Payload(actix_web::error::PayloadError::Overflow) => AppError::PayloadTooLarge,
            _ => AppError::BadRequest(
                "We could not read the form you sent (it was incomplete or not valid text). Go back and try again."
                    .into(),
            ),
        }
        .into()
    })
}

/// Clears expired sessions and recovered rate limits, hourly.
fn spawn_janitor(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut every_hour = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let now = state::now();
            let swept = state
                .db
                .run(move |conn| {
                    let sessions = models::session::SessionRow::delete_expired(conn, now)?;
                    let limits = models::rate_limit::delete_stale(conn, now)?;
                    Ok((sessions, limits))
                })
                .await;
            match swept {
                Ok((sessions, limits)) => tracing::debug!(sessions, limits, "swept expired rows"),
                Err(error) => tracing::warn!(error = %error.chain(), "could not sweep expired rows"),
            }
        }
    });
}

/// `/metrics` on its own listener (`NEWSDESK_METRICS_BIND`), apart from
/// the site, so it is never public by accident: one worker, nothing else.
pub fn serve_metrics(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).route("/metrics", web::get().to(routes::health::metrics))
    })
    .workers(1)
    .disable_signals();
    Ok(server.listen(listener)?.run())
}

/// Logs to standard error at `RUST_LOG`'s level (default `info`, which
/// includes one access line per request), as text or, with
/// `NEWSDESK_LOG_FORMAT=json`, one JSON object per line for a log
/// collector. Every line logged while a request is worked on carries its
/// id (`access_log`).
///
/// Lines are written by a thread of their own: a write to standard error
/// per request, on the worker that answered it, took as much time as the
/// rest of answering a page from the page cache. None is dropped (a full
/// buffer makes the worker wait instead), and the returned guard writes
/// out what is left when the program ends: keep it until then.
pub fn init_logging() -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    use std::io::IsTerminal;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    let format = std::env::var("NEWSDESK_LOG_FORMAT").unwrap_or_default();
    let json = match format.trim().to_ascii_lowercase().as_str() {
        "" | "text" => false,
        "json" => true,
        _ => return Err(format!("NEWSDESK_LOG_FORMAT: \"{format}\" is not a log format; use text or json")),
    };
    let (writer, guard) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter()).with_writer(writer);
    match json {
        false => builder.with_target(false).with_ansi(std::io::stderr().is_terminal()).init(),
        true => builder.json().with_current_span(true).with_span_list(false).init(),
    }
    Ok(guard)
}

/// Keeps allocations of a megabyte or more out of glibc's heaps, so they
/// go back to the system when freed. Each password check (argon2) takes
/// 19 MB; by default glibc raises its threshold after the first such block
/// is freed and serves the next ones from the heap of whichever thread
/// runs the check, where they stay: the server grew to 200 MB after a few
/// dozen log-ins. Fixing the threshold turns that adjustment off.
fn return_big_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; any value is valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Raises the limit on open files to the most the system allows this
/// process. Each connection is one; the soft limit a process starts with
/// is often 1,024 (systemd's default for services, most shells'), which
/// would cap the server near a thousand readers however high the hard
/// limit (524,288 under systemd).
fn raise_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            let wanted = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) != 0 {
                tracing::warn!("could not raise the open-file limit from {}", limit.rlim_cur);
            }
        }
    }
}

/// How long a client may take to send a request's head.
pub const CLIENT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long an idle kept-alive connection stays open.
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);
/// Connections each worker holds open at once.
pub const MAX_CONNECTIONS_PER_WORKER: usize = 8_192;

/// Starts serving on an already bound listener (tests bind port 0).
pub fn serve(state: web::Data<AppState>, listener: TcpListener, workers: Option<usize>) -> std::io::Result<Server> {
    return_big_allocations();
    raise_file_limit();
    spawn_janitor(state.clone());
    change_relay::start(&state.clone().into_inner());
    mail::worker::start(&state.clone().into_inner());
    // Database work runs on each worker's blocking threads. More threads
    // than pooled connections only wait for a connection, and each keeps
    // its own slice of the allocator's memory: 256 MB of RSS under load at
    // actix's default (256 a worker), against 50 MB at the pool size.
    let blocking = state.config.pool_size.max(2) as usize;
    let grace = state.config.shutdown_grace.as_secs();
    // Signals are the binary's to handle (`main`): actix's own would stop
    // at once on SIGINT, cutting requests off, and a test process running
    // several servers must not have each of them catch its signals.
    let mut server = HttpServer::new(move || app(state.clone()))
        .worker_max_blocking_threads(blocking)
        .shutdown_timeout(grace)
        .disable_signals()
        // Slow clients: a request's head must arrive within 5 seconds (a
        // client sending a byte a second is answered 408 and let go), an
        // idle kept-alive connection is closed after 5 seconds, and a
        // closing one gets 1 second to finish. Each costs a few kilobytes
        // while it waits, never a worker.
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .keep_alive(KEEP_ALIVE)
        .client_disconnect_timeout(std::time::Duration::from_secs(1))
        // Connections open at once, per worker: room for many slow or idle
        // clients, within the process's file descriptors (see
        // `raise_file_limit`).
        .max_connections(MAX_CONNECTIONS_PER_WORKER);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}
