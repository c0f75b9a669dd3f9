//! actix-session's storage on our own database, so sessions can be revoked:
//! log-out deletes the row, a password change or a ban deletes them all.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::TimeDelta;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

use std::sync::Arc;

use super::session_data::{anonymous_state, is_unread, unread_state, user_in};
use crate::changes::Change;
use crate::changes::Changes;
use crate::db::{Database, write_transaction};
use crate::models::session::SessionRow;
use crate::state::Sessions;
use crate::state::now;
use actix_web::ResponseError;
use actix_web::http::StatusCode;

/// The session cookie's name. On https the __Host- prefix makes browsers
/// refuse the cookie unless it is Secure, host-only and for the whole site.
pub fn cookie_name(config: &crate::config::Config) -> &'static str {
    if config.local_http { "newsdesk_session" } else { "__Host-newsdesk" }
}

/// Sessions without a user (someone who opened the log-in form) live this long.
const ANONYMOUS_LIFETIME: TimeDelta = TimeDelta::hours(12);

/// Idle expiry is pushed forward on use, but written at most this often.
const EXTEND_SLACK: TimeDelta = TimeDelta::hours(1);

#[derive(Clone)]
pub struct DbSessionStore {
    db: Database,
    lifetime: TimeDelta,
    /// States read or written in the last second (`brief`).
    held: Arc<Sessions>,
    /// Told when a session ends, so other instances drop their copies.
    changes: Option<Arc<Changes>>,
}

impl DbSessionStore {
    pub fn new(db: Database, lifetime: std::time::Duration) -> DbSessionStore {
        DbSessionStore {
            db,
            lifetime: TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::days(30)),
            held: Arc::new(Sessions::new(false)),
            changes: None,
        }
    }

    /// Keeps states briefly in `held` (the server's, shared with whatever
    /// drops them when an account changes), and announces log-outs.
    pub fn held_in(self, held: Arc<Sessions>, changes: Arc<Changes>) -> DbSessionStore {
        DbSessionStore { held, changes: Some(changes), ..self }
    }
}

/// The row id for a cookie key: a leaked table does not hold live cookies.
fn row_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn ttl(ttl: &CookieDuration) -> TimeDelta {
    TimeDelta::seconds(ttl.whole_seconds())
}

impl DbSessionStore {
    async fn insert(&self, state: HashMap<String, String>, ttl: TimeDelta) -> Result<SessionKey, anyhow::Error> {
        let key = Alphanumeric.sample_string(&mut rand::rng(), 64);
        let id = row_id(&key);
        let user = user_in(&state);
        let text = serde_json::to_string(&state)?;
        let held = (id.clone(), state);
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
        self.held.put(held.0, held.1);
        SessionKey::try_from(key).map_err(|e| anyhow::anyhow!(e.to_string()))
    }
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = row_id(key.as_ref());
        if let Some(state) = self.held.get(&id) {
            return Ok(Some(state));
        }
        let now = now();
        let row = id.clone();
        let text = match self.db.run(move |conn| Ok(SessionRow::live_state(conn, &row, now)?)).await {
            Ok(text) => text,
            // The database is out of reach. An error here would end the
            // request in actix-session, before our error page and our
            // handlers (a comment's text would be lost), so the request
            // goes on with a placeholder the handlers recognise.
            Err(error) if error.status_code() == StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %error.chain(), "a session could not be read");
                return Ok(Some(unread_state()));
            }
            Err(error) => return Err(LoadError::Other(anyhow::anyhow!(error.to_string()))),
        };
        let Some(text) = text else { return Ok(None) };
        let state: HashMap<String, String> =
            serde_json::from_str(&text).map_err(|e| LoadError::Deserialization(e.into()))?;
        self.held.put(id, state.clone());
        Ok(Some(state))
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
        // The placeholder for a session that could not be read is never
        // written over the real one (which the database still holds).
        if is_unread(&state) {
            return Ok(key);
        }
        let id = row_id(key.as_ref());
        let user = user_in(&state);
        let text = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        // Whatever happens next, the copy held is not this session's any more.
        self.held.remove(&id);
        let written = state.clone();
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
            self.held.put(row_id(key.as_ref()), written);
            Ok(key)
        } else {
            // Revoked while this request ran (a log-out elsewhere, a new
            // password, a ban): what it loaded must not come back. A new
            // anonymous session starts, holding only a new CSRF token.
            self.insert(anonymous_state(), ttl(ttl_)).await.map_err(UpdateError::Other)
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
        self.held.remove(&id);
        let row = id.clone();
        self.db
            .run(move |conn| Ok(write_transaction(conn, |conn| SessionRow::delete(conn, &row))?))
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        if let Some(changes) = &self.changes {
            changes.announce([Change::SessionEnded { id }]);
        }
        Ok(())
    }
}
