//! A reader's public profile: their comments that every reader sees, and
//! the figures over them.
//!
//! "Shown" is exactly what an anonymous reader finds on the article pages:
//! the comment is `comment::shown_to_all` (published, not deleted) and its
//! story is out (published, embargo over). The page of comments is one range
//! of the `(user_id, created_at)` index, newest first; the figures are one
//! pass over the reader's comments (see docs/ARCHITECTURE.md).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::comment::{Comment, shown_to_all};
use super::discussion::Discussion;
use super::{Page, page_count};
use crate::db::DbConn;
use crate::db::schema::{articles, comments};

/// One of the reader's comments with the story it is under.
#[derive(Debug)]
pub struct ProfileComment {
    pub comment: Comment,
    pub article_slug: String,
    pub article_headline: String,
    /// The page (oldest first) of the discussion its thread is on.
    pub discussion_page: i64,
}

/// What the profile counts over the reader's shown comments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfileFigures {
    pub comments: i64,
    /// Marks of respect on those comments, summed.
    pub respect: i64,
}

impl ProfileFigures {
    /// Their shown comments and the respect those received: one pass over
    /// the reader's comments through the `(user_id, created_at)` index.
    pub fn of(conn: &mut DbConn, user_id: i32, now: NaiveDateTime) -> QueryResult<ProfileFigures> {
        let (comments, respect): (i64, Option<i64>) = comments::table
            .inner_join(articles::table)
            .filter(comments::user_id.eq(user_id))
            .filter(shown_to_all())
            .filter(super::article::shown(now))
            .select((diesel::dsl::count_star(), diesel::dsl::sum(comments::respect_count)))
            .first(conn)?;
        Ok(ProfileFigures { comments, respect: respect.unwrap_or(0) })
    }
}

/// Page `number` of the reader's shown comments, newest first; None past
/// the end (an empty first page exists, to say there is nothing yet).
pub fn comments_page(
    conn: &mut DbConn,
    user_id: i32,
    figures: ProfileFigures,
    now: NaiveDateTime,
    number: i64,
    per_page: i64,
) -> QueryResult<Option<Page<ProfileComment>>> {
    let total_pages = page_count(figures.comments, per_page);
    if number < 1 || number > total_pages {
        return Ok(None);
    }
    let rows: Vec<(Comment, String, String)> = comments::table
        .inner_join(articles::table)
        .filter(comments::user_id.eq(user_id))
        .filter(shown_to_all())
        .filter(super::article::shown(now))
        .order((comments::created_at.desc(), comments::id.desc()))
        .offset((number - 1) * per_page)
        .limit(per_page)
        .select((Comment::as_select(), articles::slug, articles::headline))
        .load(conn)?;
    let mut items = Vec::with_capacity(rows.len());
    for (comment, article_slug, article_headline) in rows {
        // Arithmetic from the thread number (a shown comment has one).
        let discussion_page = Discussion::page_of(conn, &comment)?;
        items.push(ProfileComment { comment, article_slug, article_headline, discussion_page });
    }
    Ok(Some(Page { items, number, total_pages }))
}
