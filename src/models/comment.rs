//! Comments: threads nest three deep; a reply to a third-level comment
//! joins that level and says whom it answers.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::rate_limit::{self, Limited};
use crate::config::RateRule;
use crate::db::schema::{comments, users};
use crate::db::{DbConn, write_transaction};

pub const MAX_DEPTH: i32 = 3;
pub const MAX_BODY_CHARS: usize = 5000;
pub const TOP_LEVEL_PER_PAGE: i64 = 50;
/// At most this many editors' picks head a discussion.
pub const FEATURED_SHOWN: i64 = 3;
/// How long after posting its author may still edit a comment.
pub const EDIT_WINDOW: TimeDelta = TimeDelta::minutes(15);

pub const PUBLISHED: &str = "published";
pub const HELD: &str = "held";
pub const REMOVED: &str = "removed";

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
    pub status: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    /// When a moderator featured it (an editor's pick), if they did.
    pub featured_at: Option<NaiveDateTime>,
}

/// The author as comments show them.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct CommentAuthor {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// A comment with its author, ready to place in a thread.
#[derive(Clone, Debug)]
pub struct ThreadEntry {
    pub comment: Comment,
    pub author: CommentAuthor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Oldest,
    Newest,
}

impl Sort {
    pub fn parse(text: Option<&str>) -> Sort {
        if text == Some("newest") { Sort::Newest } else { Sort::Oldest }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Oldest => "oldest",
            Sort::Newest => "newest",
        }
    }
}

/// One page of an article's discussion.
#[derive(Debug)]
pub struct Discussion {
    /// Comments readers can see, counting replies.
    pub total: i64,
    pub page: i64,
    pub total_pages: i64,
    /// Top-level comments of this page in order, then every reply to them.
    pub top_level: Vec<ThreadEntry>,
    pub replies: Vec<ThreadEntry>,
    /// Editors' picks, most recently featured first.
    pub featured: Vec<ThreadEntry>,
}

/// An article in the "Most discussed" list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discussed {
    pub slug: String,
    pub headline: String,
    pub section_slug: String,
    pub section_name: String,
    /// Comments posted in the window (and still shown).
    pub recent_comments: i64,
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
        let root_id = parent.root_id.or(Some(parent.id));
        if parent.depth < MAX_DEPTH {
            Placement { parent_id: Some(parent.id), root_id, depth: parent.depth + 1, reply_to_user_id: None }
        } else {
            Placement { parent_id: parent.parent_id, root_id, depth: MAX_DEPTH, reply_to_user_id: Some(parent.user_id) }
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

/// Comments a viewer may see: published ones, tombstones of removed ones,
/// and their own comments held for review.
macro_rules! visible_to {
    ($viewer:expr) => {
        comments::status
            .eq(PUBLISHED)
            .or(comments::status.eq(REMOVED))
            .or(comments::status.eq(HELD).and(comments::user_id.eq($viewer.unwrap_or(-1))))
    };
}

impl Comment {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    pub fn is_removed(&self) -> bool {
        self.status == REMOVED
    }

    pub fn is_held(&self) -> bool {
        self.status == HELD
    }

    /// Still open to its author's edits.
    pub fn editable_by(&self, user_id: i32, now: NaiveDateTime) -> bool {
        self.user_id == user_id && !self.is_deleted() && !self.is_removed() && now - self.created_at <= EDIT_WINDOW
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
        status: &str,
        now: NaiveDateTime,
    ) -> QueryResult<i32> {
        Comment::insert_with_reason(conn, article_id, user_id, placement, body, status, None, now)
    }

    /// Inserts a comment; `reason` says why it is held, if it is.
    #[allow(clippy::too_many_arguments)]
    fn insert_with_reason(
        conn: &mut DbConn,
        article_id: i32,
        user_id: i32,
        placement: Placement,
        body: &str,
        status: &str,
        reason: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<i32> {
        diesel::insert_into(comments::table)
            .values((
                comments::article_id.eq(article_id),
                comments::user_id.eq(user_id),
                comments::parent_id.eq(placement.parent_id),
                comments::root_id.eq(placement.root_id),
                comments::depth.eq(placement.depth),
                comments::reply_to_user_id.eq(placement.reply_to_user_id),
                comments::body.eq(body),
                comments::status.eq(status),
                comments::moderation_reason.eq(reason),
                comments::created_at.eq(now),
            ))
            .returning(comments::id)
            .get_result(conn)
    }

    /// Whether the user has a published comment anywhere (new accounts'
    /// first comments may be held).
    pub fn has_published(conn: &mut DbConn, user_id: i32) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            comments::table.filter(comments::user_id.eq(user_id)).filter(comments::status.eq(PUBLISHED)),
        ))
        .get_result(conn)
    }

    pub fn edit(conn: &mut DbConn, id: i32, body: &str, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(comments::table.find(id))
            .set((comments::body.eq(body), comments::edited_at.eq(now)))
            .execute(conn)
            .map(|_| ())
    }

    /// Deleted by its author: the text goes, a tombstone keeps replies in place.
    pub fn delete_by_author(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(comments::table.find(id))
            .set((comments::body.eq(""), comments::deleted_at.eq(now)))
            .execute(conn)
            .map(|_| ())
    }

    /// One page of an article's discussion, in four queries whatever its size:
    /// the counts, the page's top-level comments, and all their replies.
    pub fn discussion(
        conn: &mut DbConn,
        article_id: i32,
        viewer: Option<i32>,
        sort: Sort,
        page: i64,
    ) -> QueryResult<Option<Discussion>> {
        let total: i64 = comments::table
            .filter(comments::article_id.eq(article_id))
            .filter(visible_to!(viewer))
            .filter(comments::deleted_at.is_null())
            .filter(comments::status.ne(REMOVED))
            .count()
            .get_result(conn)?;
        let top_count: i64 = comments::table
            .filter(comments::article_id.eq(article_id))
            .filter(comments::parent_id.is_null())
            .filter(visible_to!(viewer))
            .count()
            .get_result(conn)?;
        let total_pages = super::page_count(top_count, TOP_LEVEL_PER_PAGE);
        if page < 1 || page > total_pages {
            return Ok(None);
        }
        let query = comments::table
            .inner_join(users::table)
            .filter(comments::article_id.eq(article_id))
            .filter(comments::parent_id.is_null())
            .filter(visible_to!(viewer))
            .select((Comment::as_select(), CommentAuthor::as_select()))
            .offset((page - 1) * TOP_LEVEL_PER_PAGE)
            .limit(TOP_LEVEL_PER_PAGE);
        let rows: Vec<(Comment, CommentAuthor)> = match sort {
            Sort::Oldest => query.order((comments::created_at.asc(), comments::id.asc())).load(conn)?,
            Sort::Newest => query.order((comments::created_at.desc(), comments::id.desc())).load(conn)?,
        };
        let root_ids: Vec<i32> = rows.iter().map(|(c, _)| c.id).collect();
        let replies: Vec<(Comment, CommentAuthor)> = if root_ids.is_empty() {
            Vec::new()
        } else {
            comments::table
                .inner_join(users::table)
                .filter(comments::root_id.eq_any(&root_ids))
                .filter(visible_to!(viewer))
                .order((comments::created_at.asc(), comments::id.asc()))
                .select((Comment::as_select(), CommentAuthor::as_select()))
                .load(conn)?
        };
        let featured: Vec<(Comment, CommentAuthor)> = comments::table
            .inner_join(users::table)
            .filter(comments::article_id.eq(article_id))
            .filter(comments::featured_at.is_not_null())
            .filter(comments::status.eq(PUBLISHED))
            .filter(comments::deleted_at.is_null())
            .order((comments::featured_at.desc(), comments::id.desc()))
            .limit(FEATURED_SHOWN)
            .select((Comment::as_select(), CommentAuthor::as_select()))
            .load(conn)?;
        let entry = |(comment, author)| ThreadEntry { comment, author };
        Ok(Some(Discussion {
            total,
            page,
            total_pages,
            top_level: rows.into_iter().map(entry).collect(),
            replies: replies.into_iter().map(entry).collect(),
            featured: featured.into_iter().map(entry).collect(),
        }))
    }

    /// The page of the discussion (oldest first) a comment's thread is on.
    pub fn page_of(conn: &mut DbConn, comment: &Comment, viewer: Option<i32>) -> QueryResult<i64> {
        let root_id = comment.root_id.unwrap_or(comment.id);
        let root = Comment::by_id(conn, root_id)?.ok_or(diesel::result::Error::NotFound)?;
        let before: i64 = comments::table
            .filter(comments::article_id.eq(root.article_id))
            .filter(comments::parent_id.is_null())
            .filter(visible_to!(viewer))
            .filter(
                comments::created_at
                    .lt(root.created_at)
                    .or(comments::created_at.eq(root.created_at).and(comments::id.lt(root.id))),
            )
            .count()
            .get_result(conn)?;
        Ok(before / TOP_LEVEL_PER_PAGE + 1)
    }

    /// The newest published comments of an article with their authors, for
    /// its comments feed.
    pub fn latest_published(conn: &mut DbConn, article_id: i32, limit: i64) -> QueryResult<Vec<ThreadEntry>> {
        let rows: Vec<(Comment, CommentAuthor)> = comments::table
            .inner_join(users::table)
            .filter(comments::article_id.eq(article_id))
            .filter(comments::status.eq(PUBLISHED))
            .filter(comments::deleted_at.is_null())
            .order((comments::created_at.desc(), comments::id.desc()))
            .limit(limit)
            .select((Comment::as_select(), CommentAuthor::as_select()))
            .load(conn)?;
        Ok(rows.into_iter().map(|(comment, author)| ThreadEntry { comment, author }).collect())
    }

    /// The published articles readers discussed most since `since` (by
    /// comments visible now, posted since then), most first, in one query.
    pub fn most_discussed(
        conn: &mut DbConn,
        since: NaiveDateTime,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Discussed>> {
        use crate::db::schema::{articles, sections};
        use diesel::dsl::count_star;
        let rows: Vec<(String, String, String, String, i64)> = comments::table
            .inner_join(articles::table.inner_join(sections::table))
            .filter(comments::status.eq(PUBLISHED))
            .filter(comments::deleted_at.is_null())
            .filter(comments::created_at.ge(since))
            .filter(articles::published_at.le(now))
            .group_by((articles::id, articles::slug, articles::headline, sections::slug, sections::name))
            .select((articles::slug, articles::headline, sections::slug, sections::name, count_star()))
            .order((count_star().desc(), articles::id.desc()))
            .limit(limit)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(slug, headline, section_slug, section_name, recent_comments)| Discussed {
                slug,
                headline,
                section_slug,
                section_name,
                recent_comments,
            })
            .collect())
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

    /// Published comment counts for many articles in one query.
    pub fn counts_for(conn: &mut DbConn, article_ids: &[i32]) -> QueryResult<HashMap<i32, i64>> {
        if article_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i32, i64)> = comments::table
            .filter(comments::article_id.eq_any(article_ids))
            .filter(comments::status.eq(PUBLISHED))
            .filter(comments::deleted_at.is_null())
            .group_by(comments::article_id)
            .select((comments::article_id, diesel::dsl::count_star()))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    /// Counts the post against the author's rate limit and stores it, in one
    /// write transaction; a limited post stores nothing.
    pub fn post(conn: &mut DbConn, new: NewComment<'_>, limit: RateRule) -> QueryResult<Result<i32, Limited>> {
        write_transaction(conn, |conn| {
            if let Err(limited) = rate_limit::check(conn, &format!("comment:{}", new.user_id), limit, new.now)? {
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
        })
    }
}

/// Everything needed to store a new comment.
pub struct NewComment<'a> {
    pub article_id: i32,
    pub user_id: i32,
    pub placement: Placement,
    pub body: &'a str,
    pub status: &'a str,
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
            status: PUBLISHED.into(),
            created_at: NaiveDateTime::default(),
            edited_at: None,
            deleted_at: None,
            featured_at: None,
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
