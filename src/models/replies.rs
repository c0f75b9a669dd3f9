//! Replies to a reader's comments: how many are new (for the header) and
//! the list on their replies page.
//!
//! A reply answers someone when it sits under their comment, or, deeper than
//! the third level (where it attaches to the third level instead), when it
//! names them in `reply_to_user_id`. Only replies everyone can see count,
//! and none from a reader they muted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::comment::CommentAuthor;
use super::comment::CommentStatus::Published;
use super::{Comment, Page, User, page_count};
use crate::db::DbConn;
use crate::db::schema::{articles, comments, mutes, users, users as readers};

diesel::alias!(comments as parents: Parents);

/// A reply with what it answers and where.
#[derive(Debug)]
pub struct Reply {
    pub comment: Comment,
    pub author: CommentAuthor,
    /// The reader's own comment it answers (for a reply deeper than the
    /// third level, the comment it hangs under).
    pub parent_body: String,
    pub article_slug: String,
    pub article_headline: String,
}

/// Replies to `user` posted after `since`: those naming them (deeper than
/// the third level), then those under their comments. Two counts rather
/// than one with an OR, so each follows an index from the reader's side
/// and costs what their own comments and replies cost, not the site's.
pub fn count_since(conn: &mut DbConn, user: &User, since: NaiveDateTime) -> QueryResult<i64> {
    let me = user.id;
    // A reply counts when someone else wrote it, readers see it, and it is new.
    macro_rules! counting {
        ($query:expr) => {
            $query
                .filter(comments::user_id.ne(me))
                .filter(comments::status.eq(Published.as_str()))
                .filter(comments::deleted_at.is_null())
                .filter(comments::created_at.gt(since))
                .filter(not_muted_by(me))
                .count()
                .get_result::<i64>(conn)
        };
    }
    let naming = counting!(comments::table.filter(comments::reply_to_user_id.eq(me)))?;
    let under = counting!(
        parents
            .inner_join(comments::table.on(comments::parent_id.eq(parents.field(comments::id).nullable())))
            .filter(parents.field(comments::user_id).eq(me))
            .filter(comments::reply_to_user_id.is_null())
    )?;
    Ok(naming + under)
}

/// The reply's author is not one `me` muted: their replies are not news.
#[diesel::dsl::auto_type]
fn not_muted_by(me: i32) -> _ {
    diesel::dsl::not(diesel::dsl::exists(
        mutes::table.filter(mutes::user_id.eq(me)).filter(mutes::muted_id.eq(comments::user_id)),
    ))
}

/// Replies not yet marked as read (all of them until the first time),
/// as the triggers keep the count.
pub fn unseen(user: &User) -> i64 {
    i64::from(user.unseen_replies)
}

/// One page of the replies to `user`, newest first; None past the end.
pub fn page(conn: &mut DbConn, user: &User, number: i64, per_page: i64) -> QueryResult<Option<Page<Reply>>> {
    let total = count_since(conn, user, NaiveDateTime::default())?;
    let total_pages = page_count(total, per_page);
    if number < 1 || number > total_pages {
        return Ok(None);
    }
    let me = user.id;
    let rows: Vec<(Comment, CommentAuthor, String, String, String)> = comments::table
        .inner_join(parents.on(comments::parent_id.eq(parents.field(comments::id).nullable())))
        .inner_join(readers::table.on(readers::id.eq(comments::user_id)))
        .inner_join(articles::table.on(articles::id.eq(comments::article_id)))
        .filter(comments::user_id.ne(me))
        .filter(comments::status.eq(Published.as_str()))
        .filter(comments::deleted_at.is_null())
        .filter(not_muted_by(me))
        .filter(
            comments::reply_to_user_id
                .eq(me)
                .or(comments::reply_to_user_id.is_null().and(parents.field(comments::user_id).eq(me))),
        )
        .order((comments::created_at.desc(), comments::id.desc()))
        .offset((number - 1) * per_page)
        .limit(per_page)
        .select((
            Comment::as_select(),
            CommentAuthor::as_select(),
            parents.field(comments::body),
            articles::slug,
            articles::headline,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(comment, author, parent_body, article_slug, article_headline)| Reply {
            comment,
            author,
            parent_body,
            article_slug,
            article_headline,
        })
        .collect();
    Ok(Some(Page { items, number, total_pages }))
}

/// Marks every reply so far as read.
pub fn mark_seen(conn: &mut DbConn, user_id: i32, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((users::replies_seen_at.eq(Some(now)), users::unseen_replies.eq(0)))
        .execute(conn)
        .map(|_| ())
}
