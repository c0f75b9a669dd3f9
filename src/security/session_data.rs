//! What a session holds, by name and type, in one place: the logged-in
//! user, the CSRF token, when its expiry was last pushed forward, the admin
//! area's one-time message, and comment drafts kept across a log-in.
//! Nothing else reads or writes session entries by their raw keys.

use std::collections::HashMap;

use actix_session::Session;
use chrono::NaiveDateTime;
use rand::distr::{Alphanumeric, SampleString};

use crate::error::AppError;

const USER_ID: &str = "uid";
const CSRF_TOKEN: &str = "csrf";
/// The hour (since 1970) a logged-in session's expiry was last pushed
/// forward. Pages that change nothing in the session write nothing; once
/// this is an hour old the next page renews it, which stores the session
/// with a new idle expiry and sends the cookie again with a new Max-Age.
const RENEWED: &str = "renewed";
const FLASH: &str = "admin_flash";
/// Set by the store, never stored: the session's row could not be read
/// because the database is out of reach (see `unread_state`).
const UNREAD: &str = "unread";

fn draft_key(article_id: i32) -> String {
    format!("draft:{article_id}")
}

fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

/// A request's session, read and written through typed entries.
pub struct SessionData<'a>(pub &'a Session);

impl SessionData<'_> {
    /// Whether the store could not read this session (the database is out
    /// of reach): who the reader is cannot be known for this request.
    pub fn unread(&self) -> bool {
        self.0.contains_key(UNREAD)
    }

    pub fn user_id(&self) -> Option<i32> {
        self.0.get::<i32>(USER_ID).ok().flatten()
    }

    /// Starts a logged-in session under a new id (no session fixation) and
    /// a new CSRF token, keeping what the anonymous one held (a draft).
    pub fn log_in(&self, user_id: i32, now: NaiveDateTime) -> Result<(), AppError> {
        self.0.renew();
        self.0
            .insert(USER_ID, user_id)
            .map_err(|e| AppError::failed("could not store the log-in in the session", e))?;
        self.renew_hourly(now);
        self.rotate_csrf_token();
        Ok(())
    }

    /// Ends the session everywhere: its row is deleted, the cookie removed.
    pub fn end(&self) {
        self.0.purge();
    }

    /// Marks a logged-in session for renewal when its last one is an hour old.
    pub fn renew_hourly(&self, now: NaiveDateTime) {
        let hour = now.and_utc().timestamp() / 3600;
        if self.0.get::<i64>(RENEWED).ok().flatten().is_none_or(|last| last < hour) {
            let _ = self.0.insert(RENEWED, hour);
        }
    }

    pub fn csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF_TOKEN).ok().flatten()
    }

    /// The session's token, made on first use.
    pub fn csrf_token_or_new(&self) -> String {
        self.csrf_token().unwrap_or_else(|| {
            let token = new_token();
            let _ = self.0.insert(CSRF_TOKEN, &token);
            token
        })
    }

    /// A new token (at log-in: one an attacker planted or saw before does
    /// not carry into the logged-in session).
    pub fn rotate_csrf_token(&self) {
        let _ = self.0.insert(CSRF_TOKEN, new_token());
    }

    /// A one-time message for the next admin page ("3 comments removed").
    pub fn set_flash(&self, message: String) {
        let _ = self.0.insert(FLASH, message);
    }

    pub fn take_flash(&self) -> Option<String> {
        self.0.remove_as::<String>(FLASH).and_then(Result::ok)
    }

    /// The comment a reader was writing for an article when their session ended.
    pub fn draft(&self, article_id: i32) -> Option<String> {
        self.0.get::<String>(&draft_key(article_id)).ok().flatten()
    }

    pub fn keep_draft(&self, article_id: i32, text: &str) {
        let _ = self.0.insert(draft_key(article_id), text);
    }

    /// Forgets a posted draft. Removing an entry marks the session changed
    /// even when it had none, which would cost a write: only one that is there.
    pub fn forget_draft(&self, article_id: i32) {
        if self.draft(article_id).is_some() {
            self.0.remove(&draft_key(article_id));
        }
    }
}

/// The user a stored session state belongs to (the store keeps it in its
/// own column, for revoking every session of an account).
pub(crate) fn user_in(state: &HashMap<String, String>) -> Option<i32> {
    state.get(USER_ID).and_then(|v| v.parse().ok())
}

/// The state of a new anonymous session: only a new CSRF token. What a
/// revoked session becomes if a request that loaded it writes it again.
pub(crate) fn anonymous_state() -> HashMap<String, String> {
    HashMap::from([(CSRF_TOKEN.to_string(), serde_json::Value::String(new_token()).to_string())])
}

/// The state a session gets for one request when its row cannot be read.
/// The request goes on (a comment's text can come back in its form), and
/// the store never writes this state over the real one.
pub(crate) fn unread_state() -> HashMap<String, String> {
    HashMap::from([(UNREAD.to_string(), "true".to_string())])
}

/// Whether a state is the placeholder above.
pub(crate) fn is_unread(state: &HashMap<String, String>) -> bool {
    state.contains_key(UNREAD)
}
