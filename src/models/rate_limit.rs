//! Rate limits kept in the database, so every instance behind a load
//! balancer shares them. The generic cell rate algorithm needs one number per
//! key: the time at which the key's allowance is next fully used up.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

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

/// [`check`] inside the caller's write transaction (which must be one, so
/// the read and the write that follows cannot interleave with another's).
pub fn check_within(
    conn: &mut DbConn,
    key: &str,
    rule: RateRule,
    now: NaiveDateTime,
) -> QueryResult<Result<(), Limited>> {
    let interval = rule.interval.as_micros() as i64;
    let tolerance = interval * i64::from(rule.burst.saturating_sub(1));
    let now = micros(now);
    let stored: Option<i64> = rate_limits::table.find(key).select(rate_limits::tat_us).first(conn).optional()?;
    let tat = stored.unwrap_or(now).max(now);
    if tat - now > tolerance {
        let wait = (tat - now - tolerance) as u64;
        return Ok(Err(Limited { retry_after: Duration::from_micros(wait) }));
    }
    let next = tat + interval;
    if stored.is_some() {
        diesel::update(rate_limits::table.find(key)).set(rate_limits::tat_us.eq(next)).execute(conn)?;
    } else {
        diesel::insert_into(rate_limits::table)
            .values((rate_limits::key.eq(key), rate_limits::tat_us.eq(next)))
            .execute(conn)?;
    }
    Ok(Ok(()))
}

/// Forgets keys whose allowance has fully recovered.
pub fn delete_stale(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.filter(rate_limits::tat_us.lt(micros(now)))).execute(conn)
}
