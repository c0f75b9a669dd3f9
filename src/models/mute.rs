//! Mutes: readers a reader no longer wants to see. Their comments show to
//! that reader as a one-line note that can be opened, and their replies do
//! not count among the reader's new replies. Nothing changes for anyone
//! else, so a mute is a layer over the reader's own copy of a page.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::User;
use crate::db::DbConn;
use crate::db::schema::{mutes, users};

/// A reader on someone's list of muted readers.
#[derive(Debug, Queryable)]
pub struct Muted {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub since: NaiveDateTime,
}

pub struct Mute;

impl Mute {
    /// `user` mutes `muted`; false if they had already. Sets the reader's
    /// count of new replies again, without the muted reader's.
    pub fn add(conn: &mut DbConn, user: &User, muted: i32, now: NaiveDateTime) -> QueryResult<bool> {
        let row = (mutes::user_id.eq(user.id), mutes::muted_id.eq(muted), mutes::created_at.eq(now));
        // Per backend: the two-backend connection has no ON CONFLICT. Two
        // instances' writers may take the same click twice.
        let insert = diesel::insert_into(mutes::table);
        let added = match conn {
            DbConn::Pg(conn) => insert.values(row).on_conflict_do_nothing().execute(conn)?,
            DbConn::Sqlite(conn) => insert.values(row).on_conflict_do_nothing().execute(conn)?,
        };
        if added == 1 {
            recount_unseen(conn, user.id)?;
        }
        Ok(added == 1)
    }

    /// `user` unmutes `muted`; false if they had not muted them.
    pub fn remove(conn: &mut DbConn, user: &User, muted: i32) -> QueryResult<bool> {
        let removed = diesel::delete(mutes::table.find((user.id, muted))).execute(conn)?;
        if removed == 1 {
            recount_unseen(conn, user.id)?;
        }
        Ok(removed == 1)
    }

    /// The ids of the readers `user` muted.
    pub fn ids_of(conn: &mut DbConn, user: i32) -> QueryResult<HashSet<i32>> {
        let ids: Vec<i32> = mutes::table.filter(mutes::user_id.eq(user)).select(mutes::muted_id).load(conn)?;
        Ok(ids.into_iter().collect())
    }

    /// The readers `user` muted, most recent first (their account page and
    /// their export).
    pub fn list(conn: &mut DbConn, user: i32) -> QueryResult<Vec<Muted>> {
        mutes::table
            .inner_join(users::table.on(users::id.eq(mutes::muted_id)))
            .filter(mutes::user_id.eq(user))
            .order((mutes::created_at.desc(), mutes::muted_id.desc()))
            .select((users::id, users::username, users::display_name, mutes::created_at))
            .load(conn)
    }

    /// Every mute by or of `user` (their account is being erased).
    pub fn forget(conn: &mut DbConn, user: i32) -> QueryResult<()> {
        let of_them: Vec<i32> = mutes::table.filter(mutes::muted_id.eq(user)).select(mutes::user_id).load(conn)?;
        diesel::delete(mutes::table.filter(mutes::user_id.eq(user).or(mutes::muted_id.eq(user)))).execute(conn)?;
        // Their replies count again for whoever had muted them (they are
        // tombstones now, which never count, so this changes nothing today;
        // it keeps the rule in one place).
        for id in of_them {
            recount_unseen(conn, id)?;
        }
        Ok(())
    }
}

/// The triggers keep the count of new replies as replies come and go; a
/// change of mutes changes which replies count, so it is counted again here.
/// The account is read again here: the caller's copy may be a second old.
fn recount_unseen(conn: &mut DbConn, id: i32) -> QueryResult<()> {
    let Some(user) = User::by_id(conn, id)? else { return Ok(()) };
    let since = user.replies_seen_at.unwrap_or(user.created_at);
    let count = super::replies::count_since(conn, &user, since)?;
    diesel::update(users::table.find(user.id))
        .set(users::unseen_replies.eq(i32::try_from(count).unwrap_or(i32::MAX)))
        .execute(conn)
        .map(|_| ())
}
