//! Comments: threads nest three deep; a reply to a third-level comment
//! joins that level and says whom it answers.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::rate_limit::{self, Limited};
use crate::config::RateRule;
use crate::db::DbConn;
use crate::db::schema::{comments, users};

pub const MAX_DEPTH: i32 = 3;
pub const MAX_BODY_CHARS: usize = 5000;
/// How long after posting its author may still edit a comment.
pub const EDIT_WINDOW: TimeDelta = TimeDelta::minutes(15);

text_values! {
    /// Where a comment stands with the moderators. (Its author deleting it
    /// is `deleted_at`, not a status: a removed comment stays removed.)
    pub enum CommentStatus {
        Published = "published",
        /// Waiting for a moderator before others see it.
        Held = "held",
        Removed = "removed",
    }
}

use CommentStatus::{Held, Published, Removed};

/// The filter for comments every reader sees whole, author and text:
/// published and not deleted. (A removed or deleted comment is only a
/// tombstone without its author; a held one is its author's alone.) The
/// discussion counts these, the feed lists them, a reader's profile shows them.
pub type ShownToAll =
    diesel::dsl::And<diesel::dsl::Eq<comments::status, &'static str>, diesel::dsl::IsNull<comments::deleted_at>>;

pub fn shown_to_all() -> ShownToAll {
    comments::status.eq(Published.as_str()).and(comments::deleted_at.is_null())
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i32,
    pub article_id: i32,
    pub user_id: i32,
    pub parent_id: Option<i32>,
    pub root_id: Option<i32>,
    pub depth: i32,
    pub reply_to_user_id: Option<i32>,
    pub body: String,
    #[diesel(deserialize_as = String)]
    pub status: CommentStatus,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    /// When a moderator featured it (an editor's pick), if they did.
    pub featured_at: Option<NaiveDateTime>,
    /// Its thread's number in the discussion (see `discussion`); None while
    /// a top-level comment is held for review.
    pub thread_no: Option<i32>,
    /// Readers who marked it "Respect" (`respect`).
    pub respect_count: i32,
    /// A reader's question on a story in Q&A mode (`questions`), and when
    /// the newsroom answered it.
    pub is_question: bool,
    pub answered_at: Option<NaiveDateTime>,
}

/// The author as comments show them.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct CommentAuthor {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    #[diesel(deserialize_as = String)]
    pub role: super::Role,
}

/// A comment with its author, ready to place in a thread.
#[derive(Clone, Debug)]
pub struct ThreadEntry {
    pub comment: Comment,
    pub author: CommentAuthor,
}

/// Where a new comment goes, worked out from what it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub parent_id: Option<i32>,
    pub root_id: Option<i32>,
    pub depth: i32,
    pub reply_to_user_id: Option<i32>,
}

impl Placement {
    pub const TOP_LEVEL: Placement = Placement { parent_id: None, root_id: None, depth: 1, reply_to_user_id: None };

    /// Replies nest under their parent up to depth 3; a reply to a depth-3
    /// comment becomes its sibling and names the person it answers.
    pub fn reply_to(parent: &Comment) -> Placement {
        let place = Placement {
            parent_id: parent.parent_id,
            root_id: parent.root_id,
            depth: parent.depth,
            reply_to_user_id: parent.reply_to_user_id,
        };
        Placement::reply_under(parent.id, parent.user_id, place)
    }

    /// The same rule from the parent's id, author and own placement, for
    /// callers that know those without reading the row (the comment
    /// import keeps them for every comment it wrote).
    pub fn reply_under(parent_id: i32, parent_user_id: i32, parent: Placement) -> Placement {
        let root_id = parent.root_id.or(Some(parent_id));
        if parent.depth < MAX_DEPTH {
            Placement { parent_id: Some(parent_id), root_id, depth: parent.depth + 1, reply_to_user_id: None }
        } else {
            Placement { parent_id: parent.parent_id, root_id, depth: MAX_DEPTH, reply_to_user_id: Some(parent_user_id) }
        }
    }
}

/// Cleans a comment as typed: newlines made uniform, outer blank space
/// trimmed, and refused if empty, too long or holding control characters.
pub fn clean_body(raw: &str) -> Result<String, &'static str> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err("Write something before posting.");
    }
    if text.chars().count() > MAX_BODY_CHARS {
        return Err("Comments can be at most 5,000 characters. Shorten yours and post again.");
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("Your comment contains invisible control characters. Remove them and post again.");
    }
    Ok(text.to_string())
}

impl Comment {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    pub fn is_removed(&self) -> bool {
        self.status == Removed
    }

    pub fn is_held(&self) -> bool {
        self.status == Held
    }

    /// Readers with a comment held for review under an article (through
    /// the status index: the queue of held comments is short).
    pub fn held_authors(conn: &mut DbConn, article_id: i32) -> QueryResult<std::collections::HashSet<i32>> {
        let ids: Vec<i32> = comments::table
            .filter(comments::status.eq(Held.as_str()))
            .filter(comments::article_id.eq(article_id))
            .select(comments::user_id)
            .distinct()
            .load(conn)?;
        Ok(ids.into_iter().collect())
    }

    pub fn by_id(conn: &mut DbConn, id: i32) -> QueryResult<Option<Comment>> {
        comments::table.find(id).select(Comment::as_select()).first(conn).optional()
    }

    pub fn insert(
        conn: &mut DbConn,
        article_id: i32,
        user_id: i32,
        placement: Placement,
        body: &str,
        status: CommentStatus,
        now: NaiveDateTime,
    ) -> QueryResult<i32> {
        Comment::insert_with_reason(conn, article_id, user_id, placement, body, status, None, now).map(|(id, _)| id)
    }

    /// Inserts a comment; `reason` says why it is held, if it is.
    #[allow(clippy::too_many_arguments)]
    fn insert_with_reason(
        conn: &mut DbConn,
        article_id: i32,
        user_id: i32,
        placement: Placement,
        body: &str,
        status: CommentStatus,
        reason: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<(i32, Option<i32>)> {
        diesel::insert_into(comments::table)
            .values((
                comments::article_id.eq(article_id),
                comments::user_id.eq(user_id),
                comments::parent_id.eq(placement.parent_id),
                comments::root_id.eq(placement.root_id),
                comments::depth.eq(placement.depth),
                comments::reply_to_user_id.eq(placement.reply_to_user_id),
                comments::body.eq(body),
                comments::status.eq(status.as_str()),
                comments::moderation_reason.eq(reason),
                comments::created_at.eq(now),
            ))
            .returning((comments::id, comments::thread_no))
            .get_result(conn)
    }

    /// Marks a stored comment as a reader's question to the newsroom (a
    /// story in Q&A mode): it waits in the Questions queue.
    pub fn mark_question(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::update(comments::table.find(id)).set(comments::is_question.eq(true)).execute(conn).map(|_| ())
    }

    /// Replaces a comment's text, holding it for review when `hold_reason`
    /// says why. Changes nothing, and says so, when the comment has been
    /// deleted or removed meanwhile: that text stays gone.
    pub fn edit(
        conn: &mut DbConn,
        id: i32,
        body: &str,
        hold_reason: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let still_there = comments::table
            .find(id)
            .filter(comments::deleted_at.is_null())
            .filter(comments::status.ne(Removed.as_str()));
        let changed = match hold_reason {
            None => {
                diesel::update(still_there).set((comments::body.eq(body), comments::edited_at.eq(now))).execute(conn)?
            }
            Some(reason) => diesel::update(still_there)
                .set((
                    comments::body.eq(body),
                    comments::edited_at.eq(now),
                    comments::status.eq(Held.as_str()),
                    comments::moderation_reason.eq(Some(reason)),
                ))
                .execute(conn)?,
        };
        Ok(changed == 1)
    }

    /// Deleted by its author: the text goes, a tombstone keeps replies in
    /// place. A comment already deleted, or removed by a moderator, is left
    /// as it is (false).
    pub fn delete_by_author(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
        let still_there = comments::table
            .find(id)
            .filter(comments::deleted_at.is_null())
            .filter(comments::status.ne(Removed.as_str()));
        let changed =
            diesel::update(still_there).set((comments::body.eq(""), comments::deleted_at.eq(now))).execute(conn)?;
        Ok(changed == 1)
    }

    /// The newest published comments of an article with their authors, for
    /// its comments feed.
    pub fn latest_published(conn: &mut DbConn, article_id: i32, limit: i64) -> QueryResult<Vec<ThreadEntry>> {
        let rows: Vec<(Comment, CommentAuthor)> = comments::table
            .inner_join(users::table)
            .filter(comments::article_id.eq(article_id))
            .filter(shown_to_all())
            .order((comments::created_at.desc(), comments::id.desc()))
            .limit(limit)
            .select((Comment::as_select(), CommentAuthor::as_select()))
            .load(conn)?;
        Ok(rows.into_iter().map(|(comment, author)| ThreadEntry { comment, author }).collect())
    }

    /// Every comment a reader wrote, oldest first, with its article's slug and
    /// headline: their copy of their data.
    pub fn all_by_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<(Comment, String, String)>> {
        use crate::db::schema::articles;
        comments::table
            .inner_join(articles::table)
            .filter(comments::user_id.eq(user_id))
            .order((comments::created_at.asc(), comments::id.asc()))
            .select((Comment::as_select(), articles::slug, articles::headline))
            .load(conn)
    }

    /// Counts the post against the author's rate limit and stores it, inside
    /// the caller's write transaction; a limited post stores nothing.
    /// Returns the new id and its thread number when the database reports
    /// it with the insert (PostgreSQL numbers it before; SQLite after).
    pub fn post_within(
        conn: &mut DbConn,
        new: NewComment<'_>,
        limit: RateRule,
    ) -> QueryResult<Result<(i32, Option<i32>), Limited>> {
        if let Err(limited) = rate_limit::check_within(conn, &format!("comment:{}", new.user_id), limit, new.now)? {
            return Ok(Err(limited));
        }
        Comment::insert_with_reason(
            conn,
            new.article_id,
            new.user_id,
            new.placement,
            new.body,
            new.status,
            new.hold_reason,
            new.now,
        )
        .map(Ok)
    }
}

/// Everything needed to store a new comment.
pub struct NewComment<'a> {
    pub article_id: i32,
    pub user_id: i32,
    pub placement: Placement,
    pub body: &'a str,
    pub status: CommentStatus,
    /// Why it is held for review, when it is.
    pub hold_reason: Option<&'a str>,
    pub now: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: i32, depth: i32, parent: Option<i32>, root: Option<i32>) -> Comment {
        Comment {
            id,
            article_id: 1,
            user_id: 100 + id,
            parent_id: parent,
            root_id: root,
            depth,
            reply_to_user_id: None,
            body: String::new(),
            status: Published,
            created_at: NaiveDateTime::default(),
            edited_at: None,
            deleted_at: None,
            featured_at: None,
            thread_no: None,
            respect_count: 0,
            is_question: false,
            answered_at: None,
        }
    }

    #[test]
    fn replies_nest_three_deep_then_attach_at_depth_three() {
        let top = comment(1, 1, None, None);
        assert_eq!(
            Placement::reply_to(&top),
            Placement { parent_id: Some(1), root_id: Some(1), depth: 2, reply_to_user_id: None }
        );
        let second = comment(2, 2, Some(1), Some(1));
        assert_eq!(Placement::reply_to(&second).depth, 3);
        let third = comment(3, 3, Some(2), Some(1));
        assert_eq!(
            Placement::reply_to(&third),
            Placement { parent_id: Some(2), root_id: Some(1), depth: 3, reply_to_user_id: Some(103) }
        );
    }

    #[test]
    fn statuses_are_read_only_from_their_own_text() {
        for status in CommentStatus::ALL {
            assert_eq!(CommentStatus::try_from(status.as_str().to_string()), Ok(*status));
        }
        assert!(CommentStatus::try_from("Published".to_string()).is_err());
        assert!(CommentStatus::try_from("hidden".to_string()).is_err());
    }

    #[test]
    fn bodies_are_trimmed_and_checked() {
        assert_eq!(clean_body("  hi\r\nthere \n"), Ok("hi\nthere".to_string()));
        assert!(clean_body(" \n\t ").is_err());
        assert!(clean_body(&"é".repeat(5000)).is_ok());
        assert!(clean_body(&"é".repeat(5001)).is_err());
        assert!(clean_body("bell\u{7}").is_err());
        assert!(clean_body("tab\tok").is_ok());
        assert!(clean_body("nul\u{0}").is_err());
    }
}
