//! What `newsdesk import-comments` brought from another system: the old
//! ids of comments and authors, the accounts made for those authors, and
//! the comments themselves as they stood there (dated then, possibly held
//! or deleted), which the web's posting path cannot write.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Role;
use super::comment::{CommentStatus, Placement};
use super::user::{CreateError, username_key};
use crate::db::DbConn;
use crate::db::schema::{comments, imported_authors, imported_comments, users};

/// Every comment already imported from `source`: old id → our id.
pub fn known_comments(conn: &mut DbConn, source: &str) -> QueryResult<HashMap<String, i32>> {
    let rows: Vec<(String, i32)> = imported_comments::table
        .filter(imported_comments::source.eq(source))
        .select((imported_comments::external_id, imported_comments::comment_id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Every author already imported from `source`: key → account.
pub fn known_authors(conn: &mut DbConn, source: &str) -> QueryResult<HashMap<String, i32>> {
    let rows: Vec<(String, i32)> = imported_authors::table
        .filter(imported_authors::source.eq(source))
        .select((imported_authors::key, imported_authors::user_id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The account made for this address by any earlier import (one account
/// per address, whichever system the comments came from).
pub fn account_for_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<i32>> {
    imported_authors::table
        .filter(imported_authors::email.eq(email))
        .order(imported_authors::user_id.asc())
        .select(imported_authors::user_id)
        .first(conn)
        .optional()
}

/// The address an imported account's comments were signed with, for the
/// password reset that lets its owner claim it.
pub fn email_of(conn: &mut DbConn, user_id: i32) -> QueryResult<Option<String>> {
    Ok(imported_authors::table
        .filter(imported_authors::user_id.eq(user_id))
        .filter(imported_authors::email.is_not_null())
        .select(imported_authors::email)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

pub fn remember_author(
    conn: &mut DbConn,
    source: &str,
    key: &str,
    user_id: i32,
    email: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(imported_authors::table)
        .values((
            imported_authors::source.eq(source),
            imported_authors::key.eq(key),
            imported_authors::user_id.eq(user_id),
            imported_authors::email.eq(email),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn remember_comment(conn: &mut DbConn, source: &str, external_id: &str, comment_id: i32) -> QueryResult<()> {
    diesel::insert_into(imported_comments::table)
        .values((
            imported_comments::source.eq(source),
            imported_comments::external_id.eq(external_id),
            imported_comments::comment_id.eq(comment_id),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Whether a username is taken, in any case.
pub fn username_taken(conn: &mut DbConn, username: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::username_key.eq(username_key(username)))))
        .get_result(conn)
}

/// A reader account nobody can log in to until it is claimed: its
/// password hash is empty, and no argon2 hash parses from "" (the same as
/// an erased account's). Its replies count starts from `now`, so the old
/// replies imported with it are not new to it.
pub fn create_unclaimed_reader(
    conn: &mut DbConn,
    username: &str,
    display_name: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<i32, CreateError>> {
    let inserted = diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::username_key.eq(username_key(username)),
            users::display_name.eq(display_name),
            users::password_hash.eq(""),
            users::role.eq(Role::Reader.as_str()),
            users::created_at.eq(now),
            users::password_changed_at.eq(now),
            users::replies_seen_at.eq(Some(now)),
        ))
        .returning(users::id)
        .get_result::<i32>(conn);
    match inserted {
        Ok(id) => Ok(Ok(id)),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Err(CreateError::UsernameTaken))
        }
        Err(other) => Err(other),
    }
}

/// A comment as it stood in the system it came from.
pub struct OldComment<'a> {
    pub article_id: i32,
    pub user_id: i32,
    pub placement: Placement,
    pub body: &'a str,
    pub status: CommentStatus,
    pub created_at: NaiveDateTime,
    /// Set for a deleted comment kept as a tombstone for its replies.
    pub deleted_at: Option<NaiveDateTime>,
}

/// Inserts an imported comment; the triggers number its thread and keep the
/// discussion's figures as for any other insert.
pub fn insert_comment(conn: &mut DbConn, old: &OldComment<'_>) -> QueryResult<i32> {
    let reason = (old.status == CommentStatus::Held).then_some("unapproved where it was imported from");
    diesel::insert_into(comments::table)
        .values((
            comments::article_id.eq(old.article_id),
            comments::user_id.eq(old.user_id),
            comments::parent_id.eq(old.placement.parent_id),
            comments::root_id.eq(old.placement.root_id),
            comments::depth.eq(old.placement.depth),
            comments::reply_to_user_id.eq(old.placement.reply_to_user_id),
            comments::body.eq(old.body),
            comments::status.eq(old.status.as_str()),
            comments::moderation_reason.eq(reason),
            comments::created_at.eq(old.created_at),
            comments::deleted_at.eq(old.deleted_at),
        ))
        .returning(comments::id)
        .get_result(conn)
}

/// Every article's slug and id, to match imported comments' stories.
pub fn article_slugs(conn: &mut DbConn) -> QueryResult<HashMap<String, i32>> {
    use crate::db::schema::articles;
    let rows: Vec<(String, i32)> = articles::table.select((articles::slug, articles::id)).load(conn)?;
    Ok(rows.into_iter().collect())
}
