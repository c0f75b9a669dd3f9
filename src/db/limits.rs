//! How long anything may wait for the database, and how to tell "the
//! database is out of reach" from "this statement failed".
//!
//! A database that is down, or a network that swallows its packets, must
//! not hang a request: readers get the site's own "try again in a minute"
//! page (503 with `Retry-After`) within about a second, a comment comes
//! back in its form with its text, and anonymous readers keep the pages
//! the page cache holds. Every wait is bounded here:
//!
//! - connecting: libpq's `connect_timeout`, and TCP keep-alives plus
//!   `tcp_user_timeout` so a server that vanished is noticed by the kernel;
//! - a statement: PostgreSQL's `statement_timeout`, so a runaway query
//!   frees its connection; SQLite's `busy_timeout` for the write lock;
//! - a pool checkout, and the whole piece of work as the request sees it
//!   (a black-holed connection answers nothing, and only a timer on our
//!   side notices).

use std::time::Duration;

/// Longest a request waits for a pooled connection.
pub const CHECKOUT: Duration = Duration::from_secs(1);

/// Longest a request waits for a pooled connection while the database is
/// known to be out of reach: every request then fails fast, and the pool
/// keeps trying to connect in the background, so the first checkout after
/// the database is back gets a connection.
pub const CHECKOUT_WHILE_LOST: Duration = Duration::from_millis(100);

/// Longest a request waits for its reading work (checkout included).
/// Pages take a few milliseconds of database time even on the million-
/// comment site, so this is only ever reached when something is wrong.
pub const READ: Duration = Duration::from_secs(1);

/// Longest a request waits for its write to commit. Longer than SQLite's
/// `busy_timeout`, so a lock held by another process ends as SQLite's own
/// "database is locked" rather than as our timer while the write may still
/// go through.
pub const WRITE: Duration = Duration::from_secs(3);

/// SQLite: how long a connection waits for another process's lock (the
/// command line importing, say) before giving up with "database is locked".
pub const SQLITE_BUSY_MS: u32 = 2_000;

/// PostgreSQL: the server cancels any one statement running longer.
pub const STATEMENT_TIMEOUT_MS: u32 = 5_000;

/// Whether the database has been found out of reach and not answered
/// since: set by any request that could not reach it, cleared by any that
/// did.
#[derive(Default)]
pub struct Reach {
    lost: std::sync::atomic::AtomicBool,
}

impl Reach {
    pub fn lost(&self) {
        self.lost.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn found(&self) {
        self.lost.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// How long a checkout may wait now.
    pub fn checkout(&self) -> Duration {
        match self.lost.load(std::sync::atomic::Ordering::Relaxed) {
            true => CHECKOUT_WHILE_LOST,
            false => CHECKOUT,
        }
    }

    /// Learns from the outcome of a piece of work.
    pub fn learn<T>(&self, outcome: &Result<T, crate::error::AppError>) {
        match outcome {
            Err(crate::error::AppError::Unavailable(_)) => self.lost(),
            Err(_) => {}
            Ok(_) => self.found(),
        }
    }
}

/// How checkouts from the pool went, for the metrics.
#[derive(Default)]
pub struct Checkouts {
    pub lent: std::sync::atomic::AtomicU64,
    pub waited: std::sync::atomic::AtomicU64,
    pub wait_micros: std::sync::atomic::AtomicU64,
    pub timed_out: std::sync::atomic::AtomicU64,
}

/// A connection from the pool, waiting at most as long as `reach` allows,
/// counted in `checkouts`.
pub fn check_out(
    pool: &super::Pool,
    reach: &Reach,
    checkouts: &Checkouts,
) -> Result<super::PooledConn, crate::error::AppError> {
    use std::sync::atomic::Ordering::Relaxed;
    let started = std::time::Instant::now();
    let conn = pool.get_timeout(reach.checkout()).inspect_err(|_| {
        reach.lost();
        checkouts.timed_out.fetch_add(1, Relaxed);
    })?;
    let waited = started.elapsed();
    checkouts.lent.fetch_add(1, Relaxed);
    // An idle connection is handed over in microseconds; more is a wait.
    if waited > Duration::from_micros(200) {
        checkouts.waited.fetch_add(1, Relaxed);
        checkouts.wait_micros.fetch_add(waited.as_micros() as u64, Relaxed);
    }
    Ok(conn)
}

/// A PostgreSQL URL with the connection limits added, unless the operator
/// set them already: connect within 2 seconds (libpq's least useful
/// value), and let the kernel give up on a server that stopped answering
/// after 10 seconds instead of the default of many minutes.
pub fn postgres_url(url: &str, application_name: &str) -> String {
    let mut url = url.to_string();
    for (name, value) in [
        ("application_name", application_name),
        ("connect_timeout", "2"),
        ("keepalives", "1"),
        ("keepalives_idle", "5"),
        ("tcp_user_timeout", "10000"),
    ] {
        let already = url.split(['?', '&']).skip(1).any(|pair| pair.split('=').next() == Some(name));
        if !already {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

/// Whether an error means the database could not be reached or did not
/// answer in time, rather than that a statement was wrong: those become
/// 503 "try again in a minute", not 500.
pub fn unreachable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => true,
        Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            // libpq and PostgreSQL report these as plain errors; SQLite's
            // busy lock likewise.
            [
                "database is locked",
                "database table is locked",
                "statement timeout",
                "server closed the connection",
                "terminating connection",
                "connection to server",
                "could not receive data",
                "could not send data",
                "no connection to the server",
                "the database system is",
            ]
            .iter()
            .any(|sign| message.contains(sign))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_join_the_url_and_keep_what_the_operator_set() {
        let url = postgres_url("postgres://h/db", "newsdesk");
        assert!(url.starts_with("postgres://h/db?application_name=newsdesk&connect_timeout=2&"), "{url}");
        let url = postgres_url("postgres://h/db?sslmode=disable&connect_timeout=7", "newsdesk-relay");
        assert!(url.starts_with("postgres://h/db?sslmode=disable&connect_timeout=7&application_name="), "{url}");
        assert_eq!(url.matches("connect_timeout").count(), 1);
        assert!(url.contains("tcp_user_timeout=10000"));
    }

    #[test]
    fn an_unreachable_database_is_told_from_a_wrong_statement() {
        use diesel::result::{DatabaseErrorKind, Error};
        let error = |kind, text: &str| Error::DatabaseError(kind, Box::new(text.to_string()));
        assert!(unreachable(&error(DatabaseErrorKind::Unknown, "database is locked")));
        assert!(unreachable(&error(DatabaseErrorKind::Unknown, "canceling statement due to statement timeout")));
        assert!(unreachable(&error(DatabaseErrorKind::ClosedConnection, "anything")));
        assert!(!unreachable(&error(DatabaseErrorKind::UniqueViolation, "duplicate key value")));
        assert!(!unreachable(&error(DatabaseErrorKind::Unknown, "no such column: bodyy")));
        assert!(!unreachable(&Error::NotFound));
    }
}
