//! Changes committed by other processes reach this one's caches, and this
//! one's changes reach theirs: several instances behind a load balancer,
//! and `newsdesk import` or `newsdesk user` run beside a live server.
//!
//! One thread per server, with one connection of its own outside the pool:
//!
//! - PostgreSQL: the connection LISTENs on a channel; each change this
//!   process commits is sent with NOTIFY (after its commit, so it is never
//!   news of something that did not happen) and every other process's
//!   NOTIFY is heard within one poll. Its own notifications come back too
//!   and are told apart by the sending backend's process id. A heartbeat
//!   query finds a connection that died quietly; after a reconnect every
//!   cached page is dropped, since notifications sent meanwhile are lost.
//! - SQLite: `PRAGMA data_version` changes whenever another connection
//!   commits to the file; the relay polls it and drops every cached page
//!   when it moves. This process's own writes move it too, which costs at
//!   most one extra rebuild per poll.
//!
//! The same thread drops every page at the moments pages change with no
//! write at all: an embargo lifting, a story leaving the news sitemap's 48
//! hours or closing for comments by age, "Most discussed" starting a new day.
//!
//! If this process dies between a commit and its NOTIFY, the others hold a
//! stale page for at most the cache's 60 seconds.

use std::sync::Weak;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::{PgConnection, SqliteConnection};

use chrono::{NaiveDateTime, TimeDelta};

use crate::changes::Change;
use crate::config::DatabaseUrl;
use crate::db::DbConn;
use crate::models::Article;
use crate::models::settings::SiteSettings;
use crate::state::AppState;

/// The PostgreSQL channel every instance listens on.
const CHANNEL: &str = "newsdesk_changes";
/// How often other processes' changes are looked for.
const POLL: Duration = Duration::from_millis(100);
/// How long a quiet PostgreSQL connection goes before it is checked.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long to wait before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);
/// NOTIFY payloads must stay under 8000 bytes; a longer batch is sent as
/// "everything", which is never wrong.
const LONGEST_PAYLOAD: usize = 7000;

/// Starts the relay for a server. It stops when told
/// (`Changes::stop_relay`) or when the server's state is gone.
pub fn start(state: &std::sync::Arc<AppState>) {
    let outgoing = state.changes.relay();
    let url = state.config.database.clone();
    let state = std::sync::Arc::downgrade(state);
    let started = std::thread::Builder::new().name("newsdesk-relay".into()).spawn(move || run(&state, &url, &outgoing));
    if let Err(error) = started {
        tracing::error!(%error, "could not start the change relay; other processes' changes show after 60 seconds");
    }
}

/// Tells running servers that this process changed data without saying
/// what (the command-line tools). On SQLite they notice by themselves.
pub fn tell_running_servers(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Pg(conn) => notify(conn, &Change::Everything.to_wire()),
        DbConn::Sqlite(_) => Ok(()),
    }
}

fn run(state: &Weak<AppState>, url: &DatabaseUrl, outgoing: &Receiver<Change>) {
    let mut link: Option<Link> = None;
    let mut ever_connected = false;
    let mut reported_outage = false;
    loop {
        if link.is_none() {
            match Link::open(url) {
                Ok(opened) => {
                    link = Some(opened);
                    if reported_outage {
                        tracing::info!("change relay connected again");
                        reported_outage = false;
                    }
                    // What others changed while we were away was not heard.
                    if ever_connected && let Some(state) = state.upgrade() {
                        state.changes.heard(&Change::Everything);
                    }
                    ever_connected = true;
                }
                Err(error) => {
                    if !reported_outage {
                        tracing::warn!(%error, "change relay cannot connect; trying again every second");
                        reported_outage = true;
                    }
                    // Local changes pile up meanwhile; the reconnect drops every page anyway.
                    while outgoing.try_recv().is_ok() {}
                    if wait(outgoing, RETRY).is_err() || state.strong_count() == 0 {
                        return;
                    }
                    continue;
                }
            }
        }
        let Some(connected) = link.as_mut() else { continue };
        let Ok(mut batch) = wait(outgoing, POLL) else { return };
        batch.extend(outgoing.try_iter());
        let Some(state) = state.upgrade() else { return };
        let heard = connected.exchange(&batch).and_then(|heard| {
            heard.iter().for_each(|change| state.changes.heard(change));
            connected.keep_time(&state, batch.iter().chain(&heard))
        });
        if let Err(error) = heard {
            tracing::warn!(%error, "change relay lost its connection");
            reported_outage = true;
            link = None;
            state.changes.heard(&Change::Everything);
        }
    }
}

/// The first local change within `timeout`, if any; an error when the
/// server is gone (its announcer dropped).
fn wait(outgoing: &Receiver<Change>, timeout: Duration) -> Result<Vec<Change>, ()> {
    match outgoing.recv_timeout(timeout) {
        Ok(change) => Ok(vec![change]),
        Err(RecvTimeoutError::Timeout) => Ok(Vec::new()),
        Err(RecvTimeoutError::Disconnected) => Err(()),
    }
}

/// The relay's own connection and what it watches on it.
struct Link {
    conn: DbConn,
    watch: Watch,
    /// When pages next change with no write (`next_change_by_time`); none
    /// until first worked out.
    next_by_time: Option<NaiveDateTime>,
}

enum Watch {
    Postgres { backend_pid: i32, last_used: Instant },
    Sqlite { version: i64 },
}

#[derive(QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

impl Link {
    fn open(url: &DatabaseUrl) -> Result<Link, String> {
        let (conn, watch) = match url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(&crate::db::limits::postgres_url(url, "newsdesk-relay"))
                    .map_err(|e| e.to_string())?;
                conn.batch_execute(&format!("LISTEN {CHANNEL}")).map_err(|e| e.to_string())?;
                let backend_pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
                    .get_result::<BackendPid>(&mut conn)
                    .map_err(|e| e.to_string())?
                    .pid;
                (DbConn::Pg(conn), Watch::Postgres { backend_pid, last_used: Instant::now() })
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| e.to_string())?;
                // A checkpoint may hold the file for a moment; wait rather
                // than take it for a lost connection.
                conn.batch_execute("PRAGMA busy_timeout = 1000").map_err(|e| e.to_string())?;
                let version = data_version(&mut conn).map_err(|e| e.to_string())?;
                (DbConn::Sqlite(conn), Watch::Sqlite { version })
            }
        };
        Ok(Link { conn, watch, next_by_time: None })
    }

    /// Sends this process's changes and returns the ones other processes made.
    fn exchange(&mut self, batch: &[Change]) -> QueryResult<Vec<Change>> {
        match (&mut self.conn, &mut self.watch) {
            (DbConn::Pg(conn), Watch::Postgres { backend_pid, last_used }) => {
                if !batch.is_empty() {
                    notify(conn, &payload(batch))?;
                    *last_used = Instant::now();
                } else if last_used.elapsed() > HEARTBEAT {
                    conn.batch_execute("SELECT 1")?;
                    *last_used = Instant::now();
                }
                let mut heard = Vec::new();
                for notification in conn.notifications_iter() {
                    let notification = notification?;
                    if notification.process_id != *backend_pid {
                        heard.extend(notification.payload.split(' ').map(Change::from_wire));
                    }
                }
                heard.dedup();
                Ok(heard)
            }
            (DbConn::Sqlite(conn), Watch::Sqlite { version }) => {
                let now = data_version(conn)?;
                let moved = now != *version;
                *version = now;
                Ok(if moved { vec![Change::Everything] } else { Vec::new() })
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Pages that change with no write (an embargo lifting, a story
    /// leaving the news sitemap or closing by age, "Most discussed" moving
    /// to a new day) are dropped at that moment, not up to a minute later.
    /// The moment is worked out again when articles or settings change.
    fn keep_time<'a>(&mut self, state: &AppState, changes: impl Iterator<Item = &'a Change>) -> QueryResult<()> {
        let now = crate::state::now();
        let due = self.next_by_time.is_some_and(|at| at <= now);
        if due {
            state.changes.heard(&Change::Everything);
        }
        let mut moved = changes.filter(|c| matches!(c, Change::Everything | Change::Article { .. } | Change::Settings));
        if due || self.next_by_time.is_none() || moved.next().is_some() {
            self.next_by_time = Some(next_change_by_time(&mut self.conn, now)?);
        }
        Ok(())
    }
}

/// The first moment after `now` at which some page changes by time alone.
fn next_change_by_time(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<NaiveDateTime> {
    let window = crate::routes::sitemaps::NEWS_WINDOW;
    let mut moments = vec![
        Article::first_published_after(conn, now)?,
        Article::first_published_after(conn, now - window)?.map(|published| published + window),
        // "Most discussed" counts whole days.
        now.date().succ_opt().and_then(|day| day.and_hms_opt(0, 0, 0)),
    ];
    let close_after = SiteSettings::load(conn)?.auto_close_days;
    if close_after > 0 {
        let age = TimeDelta::days(close_after);
        moments.push(Article::first_published_after(conn, now - age)?.map(|published| published + age));
    }
    // An hour at most between looks, whatever happens.
    Ok(moments.into_iter().flatten().min().unwrap_or(now + TimeDelta::hours(1)).min(now + TimeDelta::hours(1)))
}

fn data_version(conn: &mut SqliteConnection) -> QueryResult<i64> {
    Ok(diesel::sql_query("PRAGMA data_version").get_result::<DataVersion>(conn)?.data_version)
}

fn notify(conn: &mut PgConnection, payload: &str) -> QueryResult<()> {
    diesel::sql_query(format!("SELECT pg_notify('{CHANNEL}', $1)")).bind::<Text, _>(payload).execute(conn)?;
    Ok(())
}

/// Changes as one payload, each named once.
fn payload(batch: &[Change]) -> String {
    let mut names: Vec<String> = batch.iter().map(Change::to_wire).collect();
    names.sort();
    names.dedup();
    let joined = names.join(" ");
    if joined.len() > LONGEST_PAYLOAD || names.iter().any(|name| name == "*") {
        return Change::Everything.to_wire();
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_names_each_change_once_and_long_ones_become_everything() {
        let article = Change::Discussion { article_id: 4 };
        assert_eq!(payload(&[article.clone(), Change::Settings, article.clone()]), "discussion:4 settings");
        let many: Vec<Change> = (0..2000).map(|article_id| Change::Discussion { article_id }).collect();
        assert_eq!(payload(&many), "*");
        assert_eq!(payload(&[article, Change::Everything]), "*");
    }
}
