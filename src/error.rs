//! The one error type of the web app. Handlers return `Result<_, AppError>`;
//! the error-page middleware turns any error status into a page in the
//! site's layout, using the title and message kept here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The story was taken down by the newsroom: 410 Gone, with a page that
    /// says so, for it and every page about its comments.
    #[error("the story was taken down")]
    TakenDown,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the form's CSRF check failed")]
    FormExpired,
    #[error("not allowed")]
    Forbidden,
    #[error("log-in needed for {next}")]
    LoginRequired { next: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("a database statement failed")]
    Database(#[source] diesel::result::Error),
    #[error("no database connection")]
    Pool(#[from] r2d2::Error),
    /// The database is down, locked or not answering in time: the reader
    /// is asked to try again shortly (503), not told something broke.
    #[error("the database is out of reach: {0}")]
    Unavailable(String),
    #[error("a background task failed")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("a page could not be rendered")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
    /// Something failed underneath: what we were doing, and why.
    #[error("{doing}")]
    Failed {
        doing: &'static str,
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl AppError {
    /// Wraps a lower error with what we were doing when it happened.
    pub fn failed(doing: &'static str, cause: impl std::error::Error + Send + Sync + 'static) -> AppError {
        AppError::Failed { doing, cause: Box::new(cause) }
    }

    /// The error and every cause under it, for the log: "a database
    /// statement failed: could not serialize access…".
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            text.push_str(": ");
            text.push_str(&error.to_string());
            cause = error.source();
        }
        text
    }
}

impl From<crate::models::article::Absence> for AppError {
    fn from(absence: crate::models::article::Absence) -> Self {
        match absence {
            crate::models::article::Absence::Missing => AppError::NotFound,
            crate::models::article::Absence::TakenDown => AppError::TakenDown,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound,
            other if crate::db::limits::unreachable(&other) => AppError::Unavailable(other.to_string()),
            other => AppError::Database(other),
        }
    }
}

/// When a reader (or a load balancer) should try again after a 503.
pub const RETRY_AFTER_SECS: u64 = 30;

/// What a reader is told about an error. Internal details stay in the log.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub title: &'static str,
    pub message: String,
}

impl ErrorInfo {
    pub fn for_status(status: StatusCode) -> ErrorInfo {
        let (title, message) = match status.as_u16() {
            400 => ("Bad request", "The request could not be understood."),
            403 => ("Not allowed", "You do not have permission to see this page."),
            404 => {
                ("Page not found", "We could not find that page. It may have moved, or the address may be mistyped.")
            }
            405 => ("Not allowed", "That kind of request is not accepted here."),
            413 => ("Too large", "What you sent is larger than we accept (64 KB). Shorten it and try again."),
            429 => ("Slow down", "Too many requests. Please wait a moment and try again."),
            503 => (
                "Out of reach for a moment",
                "We are having trouble reaching the newsroom's database; try again in a minute.",
            ),
            s if s >= 500 => {
                ("Something went wrong", "Something went wrong on our side. Please try again in a moment.")
            }
            _ => ("Error", "The request could not be completed."),
        };
        ErrorInfo { title, message: message.to_string() }
    }
}

impl AppError {
    pub fn info(&self) -> ErrorInfo {
        let status = self.status_code();
        match self {
            AppError::BadRequest(message) => ErrorInfo { title: "Bad request", message: message.clone() },
            AppError::TakenDown => ErrorInfo {
                title: "This story has been taken down",
                message: "The newsroom has withdrawn this story, so it is no longer available here. \
                          Its address will not work again unless the story is restored."
                    .into(),
            },
            AppError::FormExpired => ErrorInfo {
                title: "This form has expired",
                message: "The form was open too long or came from another site, so nothing was changed. \
                          Go back, reload the page and try again."
                    .into(),
            },
            AppError::TooManyRequests { retry_after_secs } => ErrorInfo {
                title: "Slow down",
                message: format!(
                    "Too many attempts. Please wait {} and try again.",
                    crate::views::wait_words(*retry_after_secs)
                ),
            },
            _ => ErrorInfo::for_status(status),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::TakenDown => StatusCode::GONE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::FormExpired | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Pool(_) | AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_)
            | AppError::Blocking(_)
            | AppError::Template(_)
            | AppError::Internal(_)
            | AppError::Failed { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            // The whole chain goes to the log; the reader gets the friendly page.
            tracing::error!(error = %self.chain(), "request failed");
        }
        // The body is replaced by the error-page middleware; this plain text
        // only shows if that middleware is not installed.
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Pool(_) | AppError::Unavailable(_) => {
                response.insert_header((actix_web::http::header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
            }
            AppError::LoginRequired { next } => {
                response.insert_header((actix_web::http::header::LOCATION, crate::views::login_url(next)));
            }
            // A takedown can be undone: browsers (Chromium) and shared caches
            // otherwise hold a 410 as fresh for ever, and a republished story
            // would stay gone for whoever saw it gone.
            AppError::TakenDown => {
                response.insert_header((actix_web::http::header::CACHE_CONTROL, "no-cache"));
            }
            _ => {}
        }
        response.content_type("text/plain; charset=utf-8").body(self.info().message)
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn the_log_gets_every_cause_and_the_reader_the_friendly_words() {
        let error = AppError::from(diesel::result::Error::QueryBuilderError("no such column: bodyy".into()));
        assert_eq!(error.chain(), "a database statement failed: no such column: bodyy");
        assert!(!error.info().message.contains("bodyy"));
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let error = AppError::failed("could not write the export", json);
        assert!(error.chain().starts_with("could not write the export: EOF while parsing"), "{}", error.chain());
    }
}
