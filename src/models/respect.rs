//! "Respect": a reader's mark on a comment they think adds to the
//! discussion, once per reader and comment. The comment's count is kept in
//! the same transaction as the mark, so pages read it with the comment and
//! never count marks per view.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{comment_respects, comments};

pub struct Respect;

impl Respect {
    /// Marks `comment` (of `article`) as respected by `user`; false if they
    /// had already.
    pub fn give(conn: &mut DbConn, comment: i32, article: i32, user: i32, now: NaiveDateTime) -> QueryResult<bool> {
        let row = (
            comment_respects::comment_id.eq(comment),
            comment_respects::user_id.eq(user),
            comment_respects::article_id.eq(article),
            comment_respects::created_at.eq(now),
        );
        // ON CONFLICT is written per backend: diesel's two-backend
        // connection does not offer it. Another instance's writer may mark
        // the same comment for the same reader at the same moment.
        let insert = diesel::insert_into(comment_respects::table);
        let added = match conn {
            DbConn::Pg(conn) => insert.values(row).on_conflict_do_nothing().execute(conn)?,
            DbConn::Sqlite(conn) => insert.values(row).on_conflict_do_nothing().execute(conn)?,
        };
        if added == 1 {
            diesel::update(comments::table.find(comment))
                .set(comments::respect_count.eq(comments::respect_count + 1))
                .execute(conn)?;
        }
        Ok(added == 1)
    }

    /// Takes `user`'s mark off `comment`; false if there was none.
    pub fn take_back(conn: &mut DbConn, comment: i32, user: i32) -> QueryResult<bool> {
        let removed = diesel::delete(comment_respects::table.find((comment, user))).execute(conn)?;
        if removed == 1 {
            diesel::update(comments::table.find(comment))
                .set(comments::respect_count.eq(comments::respect_count - 1))
                .execute(conn)?;
        }
        Ok(removed == 1)
    }

    /// The comments of `article` that `user` marked.
    pub fn given_on(conn: &mut DbConn, user: i32, article: i32) -> QueryResult<HashSet<i32>> {
        let ids: Vec<i32> = comment_respects::table
            .filter(comment_respects::article_id.eq(article))
            .filter(comment_respects::user_id.eq(user))
            .select(comment_respects::comment_id)
            .load(conn)?;
        Ok(ids.into_iter().collect())
    }

    /// Readers who marked any comment of `article` (their article pages
    /// differ from other readers').
    pub fn givers_on(conn: &mut DbConn, article: i32) -> QueryResult<HashSet<i32>> {
        let ids: Vec<i32> = comment_respects::table
            .filter(comment_respects::article_id.eq(article))
            .select(comment_respects::user_id)
            .distinct()
            .load(conn)?;
        Ok(ids.into_iter().collect())
    }

    /// Every mark `user` gave, newest first: the comment and when (for
    /// their data export).
    pub fn given_by(conn: &mut DbConn, user: i32) -> QueryResult<Vec<(i32, NaiveDateTime)>> {
        comment_respects::table
            .filter(comment_respects::user_id.eq(user))
            .order(comment_respects::created_at.desc())
            .select((comment_respects::comment_id, comment_respects::created_at))
            .load(conn)
    }

    /// Takes back every mark `user` gave (their account is being erased),
    /// keeping the comments' counts right; returns the articles touched.
    pub fn take_back_all(conn: &mut DbConn, user: i32) -> QueryResult<HashSet<i32>> {
        let given: Vec<(i32, i32)> = comment_respects::table
            .filter(comment_respects::user_id.eq(user))
            .select((comment_respects::comment_id, comment_respects::article_id))
            .load(conn)?;
        for (comment, _) in &given {
            Respect::take_back(conn, *comment, user)?;
        }
        Ok(given.into_iter().map(|(_, article)| article).collect())
    }
}
