//! Whether this process should be sent readers: the database answers, and
//! it holds every migration this binary knows. `/readyz` and `/healthz` ask.
//!
//! The check opens a connection of its own on a thread of its own, never a
//! pool slot or a blocking-pool thread: when the pool is taken by load or
//! by connections stuck on a dying server, those are exactly what is
//! missing, and a check queued behind them would answer late or wrongly.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use futures_util::future::{BoxFuture, FutureExt, Shared};

use super::{DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::config::DatabaseUrl;

/// The longest a probe waits for the check. A healthy database answers in
/// a few milliseconds; a load balancer needs "no" quickly more than it
/// needs to know why.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// What the check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Why not, in a few words fit for a public answer (no host names or
    /// server messages: those go to the log).
    NotReady(String),
}

/// The readiness check of one process.
pub struct ReadinessCheck {
    target: Arc<Target>,
    /// The check under way, if any. Probes that come while one runs share
    /// its answer: a flood of probes costs the database one connection at
    /// a time, and a check stuck on a dead server leaves one thread behind,
    /// not one per probe.
    running: Mutex<Option<Shared<BoxFuture<'static, Readiness>>>>,
}

struct Target {
    url: DatabaseUrl,
    /// The versions of this binary's migrations, as diesel records them.
    needed: Vec<String>,
}

/// Why the check could not read the applied migrations. The details are
/// for the log.
enum Failure {
    Connect(String),
    Read(String),
}

impl ReadinessCheck {
    pub fn new(url: &DatabaseUrl) -> ReadinessCheck {
        let needed = match url {
            DatabaseUrl::Postgres(_) => versions_of::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS),
            DatabaseUrl::Sqlite(_) => versions_of::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
        };
        ReadinessCheck { target: Arc::new(Target { url: url.clone(), needed }), running: Mutex::new(None) }
    }

    /// Checks now (or joins the check under way), answering within
    /// [`ANSWER_WITHIN`] whatever the database does.
    pub async fn check(&self) -> Readiness {
        let check = {
            let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
            match running.as_ref() {
                Some(check) if check.peek().is_none() => check.clone(),
                _ => {
                    let check = start(self.target.clone());
                    *running = Some(check.clone());
                    check
                }
            }
        };
        match tokio::time::timeout(ANSWER_WITHIN, check).await {
            Ok(readiness) => readiness,
            Err(_) => {
                tracing::warn!("not ready: the database did not answer the readiness check within {ANSWER_WITHIN:?}");
                Readiness::NotReady("the database did not answer in time".into())
            }
        }
    }
}

/// Runs the check on a new thread; its answer comes back through a channel.
fn start(target: Arc<Target>) -> Shared<BoxFuture<'static, Readiness>> {
    let (answer, outcome) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new().name("newsdesk-readyz".into()).spawn(move || {
        let _ = answer.send(target.ask());
    });
    if let Err(error) = spawned {
        // The closure, and with it `answer`, is dropped: the check below
        // ends at once with "could not run".
        tracing::warn!(%error, "could not start a readiness check");
    }
    async move { outcome.await.unwrap_or_else(|_| Readiness::NotReady("the check could not run".into())) }
        .boxed()
        .shared()
}

impl Target {
    fn ask(&self) -> Readiness {
        let applied = match &self.url {
            DatabaseUrl::Postgres(url) => applied_on_postgres(url),
            DatabaseUrl::Sqlite(path) => applied_on_sqlite(path),
        };
        match applied {
            Ok(applied) => {
                let missing: Vec<&str> =
                    self.needed.iter().filter(|version| !applied.contains(version)).map(String::as_str).collect();
                let detail = format!("not applied: {}", missing.join(", "));
                match missing.len() {
                    0 => Readiness::Ready,
                    1 => not_ready("the database lacks 1 migration of this version", detail),
                    n => not_ready(format!("the database lacks {n} migrations of this version"), detail),
                }
            }
            Err(Failure::Connect(detail)) => not_ready("the database is unreachable", detail),
            Err(Failure::Read(detail)) => not_ready("the database's migrations cannot be read", detail),
        }
    }
}

fn not_ready(reason: impl Into<String>, detail: String) -> Readiness {
    let reason = reason.into();
    tracing::warn!(detail = detail.trim(), "not ready: {reason}");
    Readiness::NotReady(reason)
}

fn versions_of<DB: diesel::backend::Backend>(source: &impl MigrationSource<DB>) -> Vec<String> {
    // Embedded migrations are listed from a table compiled in, which
    // cannot fail; a test below holds the list against the folders, so an
    // empty one (which would make every database ready) cannot slip by.
    let migrations = source.migrations().unwrap_or_default();
    migrations.iter().map(|migration| migration.name().version().to_string()).collect()
}

fn applied_on_postgres(url: &str) -> Result<Vec<String>, Failure> {
    let conn = PgConnection::establish(&with_short_timeouts(url)).map_err(|e| Failure::Connect(e.to_string()))?;
    let mut conn = DbConn::Pg(conn);
    // A server that takes the connection but is stuck (a lock, a full
    // disk) must not hold the thread for long either.
    conn.batch_execute("SET statement_timeout = 500").map_err(|e| Failure::Read(e.to_string()))?;
    applied_versions(&mut conn)
}

fn applied_on_sqlite(path: &Path) -> Result<Vec<String>, Failure> {
    let uri = sqlite_uri(path).map_err(Failure::Connect)?;
    let conn = SqliteConnection::establish(&uri).map_err(|e| Failure::Connect(e.to_string()))?;
    let mut conn = DbConn::Sqlite(conn);
    conn.batch_execute("PRAGMA busy_timeout = 250").map_err(|e| Failure::Read(e.to_string()))?;
    applied_versions(&mut conn)
}

/// The database file as an SQLite URI that opens it read-write but never
/// creates it: a check must not leave an empty database where the real
/// one went missing.
fn sqlite_uri(path: &Path) -> Result<String, String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let url = url::Url::from_file_path(&absolute).map_err(|_| format!("{} is not a file path", absolute.display()))?;
    Ok(format!("{url}?mode=rw"))
}

/// libpq's own bound on connecting (it raises anything under 2 s to 2 s);
/// [`ANSWER_WITHIN`] bounds the answer, this bounds the thread. The name
/// shows in `pg_stat_activity`.
fn with_short_timeouts(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name=newsdesk-readyz&connect_timeout=2")
}

#[derive(QueryableByName)]
struct Applied {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// The versions diesel has recorded as run, by this binary or by any other
/// (a newer one may have added some this one does not know: still ready).
fn applied_versions(conn: &mut DbConn) -> Result<Vec<String>, Failure> {
    diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<Applied>(conn)
        .map(|rows| rows.into_iter().map(|row| row.version).collect())
        .map_err(|e| Failure::Read(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_knows_every_migration_of_its_backend() {
        let dirs = |backend: &str| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut versions: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|entry| {
                    let name = entry.unwrap().file_name().into_string().unwrap();
                    name.split('_').next().unwrap().replace('-', "")
                })
                .collect();
            versions.sort();
            versions
        };
        let mut sqlite = versions_of::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS);
        sqlite.sort();
        assert_eq!(sqlite, dirs("sqlite"));
        let mut postgres = versions_of::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS);
        postgres.sort();
        assert_eq!(postgres, dirs("postgres"));
    }

    #[test]
    fn short_timeouts_join_the_url_whatever_it_holds() {
        assert_eq!(
            with_short_timeouts("postgres://h/db"),
            "postgres://h/db?application_name=newsdesk-readyz&connect_timeout=2"
        );
        assert!(with_short_timeouts("postgres://h/db?sslmode=disable").starts_with("postgres://h/db?sslmode=disable&"));
    }

    #[test]
    fn the_sqlite_check_never_creates_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone 100%.db");
        let uri = sqlite_uri(&path).unwrap();
        assert!(uri.starts_with("file:///") && uri.ends_with("gone%20100%25.db?mode=rw"), "{uri}");
        assert!(matches!(applied_on_sqlite(&path), Err(Failure::Connect(_))));
        assert!(!path.exists());
    }
}
