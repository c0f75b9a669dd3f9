//! actix-session's storage on our own database, so sessions can be revoked:
//! log-out deletes the row, a password change or a ban deletes them all.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::TimeDelta;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

use crate::db::{Database, write_transaction};
use crate::models::session::SessionRow;
use crate::state::now;

/// The session entry that holds the logged-in user's id.
pub const USER_ID: &str = "uid";

/// The hour (since 1970) a logged-in session's expiry was last pushed
/// forward. Pages that change nothing in the session write nothing; once
/// this is an hour old the next page renews it, which stores the session
/// with a new idle expiry and sends the cookie again with a new Max-Age.
pub const RENEWED: &str = "renewed";

/// Marks a logged-in session for renewal when its last one is an hour old.
pub fn renew_hourly(session: &actix_session::Session, now: chrono::NaiveDateTime) {
    let hour = now.and_utc().timestamp() / 3600;
    if session.get::<i64>(RENEWED).ok().flatten().is_none_or(|last| last < hour) {
        let _ = session.insert(RENEWED, hour);
    }
}

/// Sessions without a user (someone who opened the log-in form) live this long.
const ANONYMOUS_LIFETIME: TimeDelta = TimeDelta::hours(12);

/// Idle expiry is pushed forward on use, but written at most this often.
const EXTEND_SLACK: TimeDelta = TimeDelta::hours(1);

#[derive(Clone)]
pub struct DbSessionStore {
    db: Database,
    lifetime: TimeDelta,
}

impl DbSessionStore {
    pub fn new(db: Database, lifetime: std::time::Duration) -> DbSessionStore {
        DbSessionStore { db, lifetime: TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::days(30)) }
    }
}

/// The row id for a cookie key: a leaked table does not hold live cookies.
fn row_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn user_of(state: &HashMap<String, String>) -> Option<i32> {
    state.get(USER_ID).and_then(|v| v.parse().ok())
}

fn ttl(ttl: &CookieDuration) -> TimeDelta {
    TimeDelta::seconds(ttl.whole_seconds())
}

impl DbSessionStore {
    async fn insert(&self, state: HashMap<String, String>, ttl: TimeDelta) -> Result<SessionKey, anyhow::Error> {
        let key = Alphanumeric.sample_string(&mut rand::rng(), 64);
        let id = row_id(&key);
        let user = user_of(&state);
        let text = serde_json::to_string(&state)?;
        let (idle, lifetime) =
            if user.is_some() { (ttl, self.lifetime) } else { (ANONYMOUS_LIFETIME, ANONYMOUS_LIFETIME) };
        let now = now();
        self.db
            .run(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    SessionRow::insert(conn, &id, user, &text, now, now + idle, now + lifetime)
                })?)
            })
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        SessionKey::try_from(key).map_err(|e| anyhow::anyhow!(e.to_string()))
    }
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = row_id(key.as_ref());
        let now = now();
        let text = self
            .db
            .run(move |conn| Ok(SessionRow::live_state(conn, &id, now)?))
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!(e.to_string())))?;
        match text {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(&self, state: HashMap<String, String>, ttl_: &CookieDuration) -> Result<SessionKey, SaveError> {
        self.insert(state, ttl(ttl_)).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl_: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let id = row_id(key.as_ref());
        let user = user_of(&state);
        let text = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let idle = if user.is_some() { ttl(ttl_) } else { ANONYMOUS_LIFETIME };
        let expires = now() + idle;
        let updated = self
            .db
            .run(move |conn| {
                Ok(write_transaction(conn, |conn| SessionRow::update_state(conn, &id, user, &text, expires))?)
            })
            .await
            .map_err(|e| UpdateError::Other(anyhow::anyhow!(e.to_string())))?;
        if updated {
            Ok(key)
        } else {
            // Revoked while this request ran: start a new session rather than
            // bring the old one back.
            self.insert(state, ttl(ttl_)).await.map_err(UpdateError::Other)
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl_: &CookieDuration) -> Result<(), anyhow::Error> {
        let id = row_id(key.as_ref());
        let expires = now() + ttl(ttl_);
        self.db
            .run(move |conn| Ok(write_transaction(conn, |conn| SessionRow::extend(conn, &id, expires, EXTEND_SLACK))?))
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = row_id(key.as_ref());
        self.db
            .run(move |conn| Ok(write_transaction(conn, |conn| SessionRow::delete(conn, &id))?))
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))
    }
}
