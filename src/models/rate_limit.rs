//! Rate limits kept in the database, so every instance behind a load
//! balancer shares them. The generic cell rate algorithm needs one number per
//! key: the time at which the key's allowance is next fully used up.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::config::RateRule;
use crate::db::schema::rate_limits;
use crate::db::{DbConn, write_transaction};

/// A request over the limit, and how long until one is allowed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds to wait, at least one, for the Retry-After header.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

/// Counts one event against `key`; refuses it when the rule's burst is used up.
pub fn check(conn: &mut DbConn, key: &str, rule: RateRule, now: NaiveDateTime) -> QueryResult<Result<(), Limited>> {
    write_transaction(conn, |conn| check_within(conn, key, rule, now))
}

/// [`check`] inside the caller's write transaction.
///
/// The usual case, a key seen before and not over its limit, is one
/// statement: an UPDATE whose WHERE holds the rule, so on PostgreSQL the
/// row lock makes the read and the write one step (parallel guesses at a
/// password cannot all pass). A new key is inserted with ON CONFLICT DO
/// NOTHING, so two first requests do not collide on the unique key.
pub fn check_within(
    conn: &mut DbConn,
    key: &str,
    rule: RateRule,
    now: NaiveDateTime,
) -> QueryResult<Result<(), Limited>> {
    let interval = rule.interval.as_micros() as i64;
    let tolerance = interval * i64::from(rule.burst.saturating_sub(1));
    let now = micros(now);
    for _ in 0..2 {
        if spend(conn, key, now, interval, tolerance)? || start(conn, key, now + interval)? {
            return Ok(Ok(()));
        }
        let stored: Option<i64> = rate_limits::table.find(key).select(rate_limits::tat_us).first(conn).optional()?;
        if let Some(tat) = stored
            && tat.max(now) - now > tolerance
        {
            let wait = (tat.max(now) - now - tolerance) as u64;
            return Ok(Err(Limited { retry_after: Duration::from_micros(wait) }));
        }
        // Inserted or recovered by someone else meanwhile: try once more.
    }
    Ok(Err(Limited { retry_after: Duration::from_secs(1) }))
}

#[derive(QueryableByName)]
struct Tat {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    tat_us: i64,
}

/// Moves an existing key's arrival time on, if the rule allows one more.
fn spend(conn: &mut DbConn, key: &str, now: i64, interval: i64, tolerance: i64) -> QueryResult<bool> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "UPDATE rate_limits SET tat_us = MAX(tat_us, ?2) + ?3 \
             WHERE key = ?1 AND MAX(tat_us, ?2) - ?2 <= ?4 RETURNING tat_us"
        }
        DbConn::Pg(_) => {
            "UPDATE rate_limits SET tat_us = GREATEST(tat_us, $2) + $3 \
             WHERE key = $1 AND GREATEST(tat_us, $2) - $2 <= $4 RETURNING tat_us"
        }
    };
    let rows: Vec<Tat> = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(interval)
        .bind::<BigInt, _>(tolerance)
        .load(conn)?;
    Ok(!rows.is_empty())
}

/// A key's first event; false when the key is already there.
fn start(conn: &mut DbConn, key: &str, tat: i64) -> QueryResult<bool> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "INSERT INTO rate_limits (key, tat_us) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING RETURNING tat_us"
        }
        DbConn::Pg(_) => {
            "INSERT INTO rate_limits (key, tat_us) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING tat_us"
        }
    };
    let rows: Vec<Tat> = diesel::sql_query(sql).bind::<Text, _>(key).bind::<BigInt, _>(tat).load(conn)?;
    Ok(!rows.is_empty())
}

/// Forgets keys whose allowance has fully recovered.
pub fn delete_stale(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.filter(rate_limits::tat_us.lt(micros(now)))).execute(conn)
}
