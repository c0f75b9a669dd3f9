//! Server-side session rows behind actix-session. Rows are keyed by a hash
//! of the cookie's key; deleting a row logs that browser out at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sessions;

pub struct SessionRow;

impl SessionRow {
    /// The state of a live session (not idle too long, not past its lifetime).
    pub fn live_state(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::absolute_expires_at.gt(now))
            .select(sessions::state)
            .first(conn)
            .optional()
    }

    pub fn insert(
        conn: &mut DbConn,
        id: &str,
        user_id: Option<i32>,
        state: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
        absolute_expires_at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(id),
                sessions::user_id.eq(user_id),
                sessions::state.eq(state),
                sessions::created_at.eq(now),
                sessions::expires_at.eq(expires_at),
                sessions::absolute_expires_at.eq(absolute_expires_at),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Stores new state; returns false when the row is gone (revoked).
    pub fn update_state(
        conn: &mut DbConn,
        id: &str,
        user_id: Option<i32>,
        state: &str,
        expires_at: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(sessions::table.find(id))
            .set((sessions::state.eq(state), sessions::user_id.eq(user_id), sessions::expires_at.eq(expires_at)))
            .execute(conn)
            .map(|rows| rows > 0)
    }

    /// Pushes a logged-in session's idle expiry forward, but writes only when
    /// it moved by more than `slack`, so reading pages does not cost a write
    /// each time. Anonymous sessions keep their short life.
    pub fn extend(conn: &mut DbConn, id: &str, expires_at: NaiveDateTime, slack: chrono::TimeDelta) -> QueryResult<()> {
        diesel::update(
            sessions::table
                .find(id)
                .filter(sessions::user_id.is_not_null())
                .filter(sessions::expires_at.lt(expires_at - slack)),
        )
        .set(sessions::expires_at.eq(expires_at))
        .execute(conn)
        .map(|_| ())
    }

    pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
        diesel::delete(sessions::table.find(id)).execute(conn).map(|_| ())
    }

    /// Ends every session of a user (password change, ban).
    pub fn delete_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
    }

    pub fn count_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
        sessions::table.filter(sessions::user_id.eq(user_id)).count().get_result(conn)
    }

    pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now).or(sessions::absolute_expires_at.le(now))))
            .execute(conn)
    }
}
