//! The mail queue: one row per message from the moment it is queued (in
//! the transaction of whatever caused it) until it is sent, or given up
//! after `MAX_ATTEMPTS`, when the row stays with its last error.
//!
//! Several instances share the work by claiming rows: a claim sets
//! `lease_until` a minute ahead in a statement of its own, so a message is
//! sent by one worker at a time, and a worker that dies leaves its claim to
//! run out, after which another takes the message. On PostgreSQL the claim
//! picks rows with `FOR UPDATE SKIP LOCKED`, so two workers claiming at the
//! same moment pass each other instead of queueing on the same rows; on
//! SQLite a write transaction runs alone anyway. The lease rather than a
//! row lock held while sending: an SMTP conversation can take seconds, and
//! no transaction should stay open that long.
//!
//! Delivery is at least once: a worker that dies after the server took a
//! message and before `mark_sent` commits sends it again after the lease.
//! The Message-ID is made when the row is written, so the copy has the
//! same one and mail programs show it once.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::MailKind;
use crate::db::DbConn;
use crate::db::schema::mail_queue;

/// Tries before a message is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claim lasts: past it, another worker may send the message.
pub const LEASE: TimeDelta = TimeDelta::seconds(60);
/// The longest wait between two tries of one message.
pub const MAX_BACKOFF: TimeDelta = TimeDelta::hours(2);
/// Messages one claim takes.
pub const BATCH: i64 = 20;

/// A message to queue.
pub struct Outgoing<'a> {
    pub user_id: Option<i32>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub kind: MailKind,
    /// For notifications: where one click unsubscribes (RFC 8058).
    pub unsubscribe_url: Option<&'a str>,
}

/// A claimed message, ready to send.
#[derive(Clone, Debug, QueryableByName)]
pub struct Queued {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub unsubscribe_url: Option<String>,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// A new Message-ID: random, at the site's host, made once per message.
pub fn new_message_id(host: &str) -> String {
    format!("<{}@{host}>", hex::encode(rand::random::<[u8; 16]>()))
}

/// Queues a message inside the caller's transaction; returns its row id.
pub fn enqueue(conn: &mut DbConn, mail: &Outgoing, host: &str, now: NaiveDateTime) -> QueryResult<i32> {
    diesel::insert_into(mail_queue::table)
        .values((
            mail_queue::user_id.eq(mail.user_id),
            mail_queue::recipient.eq(mail.recipient),
            mail_queue::subject.eq(mail.subject),
            mail_queue::body.eq(mail.body),
            mail_queue::message_id.eq(new_message_id(host)),
            mail_queue::kind.eq(mail.kind.as_str()),
            mail_queue::unsubscribe_url.eq(mail.unsubscribe_url),
            mail_queue::created_at.eq(now),
            mail_queue::next_attempt_at.eq(now),
        ))
        .returning(mail_queue::id)
        .get_result(conn)
}

const COLUMNS: &str = "id, recipient, subject, body, message_id, kind, unsubscribe_url, created_at, attempts";

/// Claims up to `BATCH` messages that are due and not claimed by a live
/// worker, for `LEASE`.
pub fn claim(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<Queued>> {
    let pick = "SELECT id FROM mail_queue \
                WHERE sent_at IS NULL AND attempts < $2 AND next_attempt_at <= $3 \
                  AND (lease_until IS NULL OR lease_until <= $3) \
                ORDER BY next_attempt_at LIMIT $4";
    let sql = match conn {
        DbConn::Pg(_) => format!(
            "UPDATE mail_queue SET lease_until = $1 WHERE id IN ({pick} FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
        ),
        // SQLite numbers its parameters ?1…; one write transaction runs at a time.
        DbConn::Sqlite(_) => {
            format!("UPDATE mail_queue SET lease_until = $1 WHERE id IN ({pick}) RETURNING {COLUMNS}").replace('$', "?")
        }
    };
    crate::db::write_transaction(conn, |conn| {
        diesel::sql_query(sql)
            .bind::<Timestamp, _>(now + LEASE)
            .bind::<Integer, _>(MAX_ATTEMPTS)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(BATCH)
            .load(conn)
    })
}

/// The message went out: it is never sent again.
pub fn mark_sent(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(mail_queue::table.find(id))
        .set((mail_queue::sent_at.eq(Some(now)), mail_queue::lease_until.eq(None::<NaiveDateTime>)))
        .execute(conn)
        .map(|_| ())
}

/// How long to wait before try number `attempts + 1`: `first`, doubled
/// after each failure, at most `MAX_BACKOFF`.
pub fn backoff(first: TimeDelta, attempts: i32) -> TimeDelta {
    let doublings = attempts.clamp(1, 20) - 1;
    first.checked_mul(1 << doublings).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF)
}

/// The try failed: counted, with the error kept, and the next one put off.
/// Returns whether the message was given up.
pub fn mark_failed(
    conn: &mut DbConn,
    message: &Queued,
    error: &str,
    first_backoff: TimeDelta,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let attempts = message.attempts + 1;
    diesel::update(mail_queue::table.find(message.id))
        .set((
            mail_queue::attempts.eq(attempts),
            mail_queue::next_attempt_at.eq(now + backoff(first_backoff, attempts)),
            mail_queue::lease_until.eq(None::<NaiveDateTime>),
            mail_queue::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(attempts >= MAX_ATTEMPTS)
}

/// When the next message waiting to be sent is due, if any.
pub fn next_due(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    mail_queue::table
        .filter(mail_queue::sent_at.is_null())
        .filter(mail_queue::attempts.lt(MAX_ATTEMPTS))
        .select(diesel::dsl::min(mail_queue::next_attempt_at))
        .first(conn)
}

/// A reader's messages, for their data export: what, when, whether sent.
#[derive(Clone, Debug, Queryable)]
pub struct Sent {
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

pub fn for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<Sent>> {
    mail_queue::table
        .filter(mail_queue::user_id.eq(user_id))
        .order(mail_queue::id)
        .select((
            mail_queue::recipient,
            mail_queue::subject,
            mail_queue::kind,
            mail_queue::created_at,
            mail_queue::sent_at,
        ))
        .load(conn)
}

/// Every message to or about the reader goes, sent or not (account
/// deletion: the rows hold their address).
pub fn erase_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(mail_queue::table.filter(mail_queue::user_id.eq(user_id))).execute(conn)
}
