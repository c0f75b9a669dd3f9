//! The mail worker: one thread per server (`newsdesk-mail`), started by
//! `serve()` beside the change relay. It claims due messages from the
//! queue, sends them, and records each outcome; it gathers daily digests.
//! It sleeps until the bell rings (a message was queued by this process),
//! the next retry is due, or `poll` passes — the poll is how it hears of
//! messages other instances queued, so several instances share the work.
//! It has one database connection of its own, outside the pool, like the
//! change relay: its polls take nothing from requests, and its queries do
//! not count in the pool's figures. No transaction is open while a message
//! is on its way to the SMTP server.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::queue::{self, Queued};
use super::transport::Transport;
use super::{Bell, compose, notify};
use crate::config::DatabaseUrl;
use crate::db::DbConn;
use crate::db::limits;
use crate::error::AppError;
use crate::state::{AppState, now};

/// Starts the worker. It stops when told (`Bell::stop`) or when the
/// server's state is gone.
pub fn start(state: &Arc<AppState>) {
    let transport = match Transport::from_settings(&state.config.mail) {
        Ok(transport) => transport,
        Err(error) => {
            tracing::error!(%error, "the mail worker cannot start; mail stays queued");
            return;
        }
    };
    if let Transport::Files(dir) = &transport {
        tracing::info!("no SMTP server set (NEWSDESK_SMTP_URL): mail is written as .eml files to {}", dir.display());
    }
    let (bell, weak) = (state.mail.bell.clone(), Arc::downgrade(state));
    let started = std::thread::Builder::new().name("newsdesk-mail".into()).spawn(move || run(&weak, &bell, &transport));
    if let Err(error) = started {
        tracing::error!(%error, "could not start the mail worker; mail stays queued");
    }
}

fn run(state: &Weak<AppState>, bell: &Bell, transport: &Transport) {
    let mut link: Option<DbConn> = None;
    let mut reported = false;
    loop {
        if bell.stopped() {
            return;
        }
        let Some(state) = state.upgrade() else { return };
        let poll = state.config.mail.poll;
        let outcome = match link.as_mut() {
            Some(conn) => round(&state, conn, bell, transport),
            None => connect(&state.config.database).and_then(|conn| {
                let conn = link.insert(conn);
                round(&state, conn, bell, transport)
            }),
        };
        let wait = match outcome {
            Ok(wait) => {
                if reported {
                    tracing::info!("the mail worker reaches the queue again");
                    reported = false;
                }
                wait.min(poll)
            }
            Err(error) => {
                if !reported {
                    tracing::warn!(error = %error.chain(), "the mail worker cannot reach the queue; trying again");
                    reported = true;
                }
                // A new connection next time: this one may be the trouble.
                link = None;
                poll
            }
        };
        // Not kept while asleep: the server may be dropped meanwhile.
        drop(state);
        bell.wait(wait);
    }
}

/// One pass: digests that are due, then every due message. Returns how
/// long until the next retry is due.
fn round(state: &AppState, conn: &mut DbConn, bell: &Bell, transport: &Transport) -> Result<Duration, AppError> {
    let letterhead = &state.mail.letterhead;
    if notify::queue_due_digests(conn, letterhead, now())? > 0 {
        tracing::debug!("queued daily digests");
    }
    loop {
        let batch = queue::claim(conn, now())?;
        let full = batch.len() as i64 == queue::BATCH;
        for message in batch {
            if bell.stopped() {
                // Its lease runs out and the next start sends it.
                return Ok(Duration::ZERO);
            }
            match deliver(state, transport, &message) {
                Ok(()) => queue::mark_sent(conn, message.id, now())?,
                Err(error) => {
                    let first = chrono::TimeDelta::from_std(state.config.mail.first_retry)
                        .unwrap_or(chrono::TimeDelta::seconds(30));
                    let gave_up = queue::mark_failed(conn, &message, &error, first, now())?;
                    if gave_up {
                        tracing::error!(id = message.id, kind = %message.kind, %error, "gave up sending a message");
                    } else {
                        tracing::warn!(id = message.id, kind = %message.kind, %error, "could not send a message; will retry");
                    }
                }
            }
        }
        if !full {
            break;
        }
    }
    let next = queue::next_due(conn)?;
    Ok(match next {
        Some(at) => (at - now()).to_std().unwrap_or(Duration::ZERO),
        None => Duration::MAX,
    })
}

fn deliver(state: &AppState, transport: &Transport, message: &Queued) -> Result<(), String> {
    let built = compose::message(&state.config.mail.from, message)?;
    // The Message-ID's random part keeps file names unique across databases.
    let unique: String = message.message_id.chars().filter(char::is_ascii_alphanumeric).take(32).collect();
    let name = format!("{}-{unique}", message.created_at.format("%Y%m%d-%H%M%S"));
    transport.send(&built, &name)
}

/// The worker's own connection, set up as the pool's are (statement
/// timeout; busy timeout and foreign keys on SQLite).
fn connect(url: &DatabaseUrl) -> Result<DbConn, AppError> {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection, SqliteConnection};
    let failed = |e: diesel::ConnectionError| AppError::failed("the mail worker could not connect", e);
    Ok(match url {
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::establish(&limits::postgres_url(url, "newsdesk-mail")).map_err(failed)?;
            conn.batch_execute(&format!("SET statement_timeout = {}", limits::STATEMENT_TIMEOUT_MS))?;
            DbConn::Pg(conn)
        }
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(failed)?;
            conn.batch_execute(&format!("PRAGMA busy_timeout = {}", limits::SQLITE_BUSY_MS))?;
            conn.batch_execute("PRAGMA foreign_keys = ON")?;
            DbConn::Sqlite(conn)
        }
    })
}
