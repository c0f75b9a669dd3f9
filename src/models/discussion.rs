//! A story's discussion as readers page through it, and the figures that
//! let every page cost the same however long the discussion grows.
//!
//! Triggers (see the `discussion_figures` migration) keep, in the same
//! transaction as any change to a comment: the number of comments readers
//! count, the number of threads, the editors' picks showing, a version, and
//! per-day counts for "Most discussed". Each top-level comment gets the next
//! thread number when it becomes public, and its replies carry that number,
//! so page N is the comments with thread numbers in one range: an index
//! range read, never an OFFSET over everything before it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::comment::CommentStatus::{Held, Published, Removed};
use super::comment::{Comment, CommentAuthor, ThreadEntry};
use super::page_count;
use crate::db::DbConn;
use crate::db::schema::{comments, discussions, users};

pub const TOP_LEVEL_PER_PAGE: i64 = 50;
/// At most this many editors' picks head a discussion.
pub const FEATURED_SHOWN: i64 = 3;

/// A story's discussion figures, as the triggers keep them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = discussions)]
pub struct Figures {
    /// Comments readers count: published and not deleted.
    pub comments: i32,
    /// Threads numbered so far.
    pub threads: i32,
    /// Editors' picks showing.
    pub featured: i32,
    /// Changes with every change to the story or its comments.
    pub version: i64,
}

impl Figures {
    pub fn of(conn: &mut DbConn, article_id: i32) -> QueryResult<Figures> {
        discussions::table
            .find(article_id)
            .select(Figures::as_select())
            .first(conn)
            .optional()
            .map(Option::unwrap_or_default)
    }

    /// Pages of threads, at least one.
    pub fn pages(&self) -> i64 {
        page_count(i64::from(self.threads), TOP_LEVEL_PER_PAGE)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Oldest,
    Newest,
    /// Threads by their first comment's marks of respect, most first.
    Respected,
}

impl Sort {
    pub fn parse(text: Option<&str>) -> Sort {
        match text {
            Some("newest") => Sort::Newest,
            Some("respected") => Sort::Respected,
            _ => Sort::Oldest,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Oldest => "oldest",
            Sort::Newest => "newest",
            Sort::Respected => "respected",
        }
    }
}

/// Marks of respect a comment needs to be a reader pick.
pub const READER_PICK_AT: i32 = 3;
/// Reader picks shown at most.
pub const READER_PICKS_SHOWN: i64 = 3;

/// One page of an article's discussion.
#[derive(Debug)]
pub struct Discussion {
    /// Comments readers can see, counting replies (and the viewer's own
    /// comments waiting for review).
    pub total: i64,
    pub page: i64,
    pub total_pages: i64,
    /// Top-level comments of this page in order, then every reply to them.
    pub top_level: Vec<ThreadEntry>,
    pub replies: Vec<ThreadEntry>,
    /// Editors' picks, most recently featured first.
    pub featured: Vec<ThreadEntry>,
    /// Reader picks: the most respected comments, at `READER_PICK_AT` or more.
    pub reader_picks: Vec<ThreadEntry>,
}

/// Comments a viewer may see: published ones, tombstones of removed ones,
/// and their own comments held for review.
macro_rules! visible_to {
    ($viewer:expr) => {
        comments::status
            .eq(Published.as_str())
            .or(comments::status.eq(Removed.as_str()))
            .or(comments::status.eq(Held.as_str()).and(comments::user_id.eq($viewer.unwrap_or(-1))))
    };
}

type Row = (Comment, CommentAuthor);

fn entry((comment, author): Row) -> ThreadEntry {
    ThreadEntry { comment, author }
}

impl Discussion {
    /// Page `page` of a discussion: one range read of its threads (with
    /// their replies), plus the viewer's own held comments when someone is
    /// logged in, plus the editors' picks when there are any.
    pub fn page(
        conn: &mut DbConn,
        article_id: i32,
        figures: Figures,
        viewer: Option<i32>,
        sort: Sort,
        page: i64,
    ) -> QueryResult<Option<Discussion>> {
        let total_pages = figures.pages();
        if page < 1 || page > total_pages {
            return Ok(None);
        }
        let threads = i64::from(figures.threads);
        let query = comments::table
            .inner_join(users::table)
            .filter(comments::article_id.eq(article_id))
            .filter(visible_to!(viewer))
            .order((comments::created_at.asc(), comments::id.asc()))
            .select((Comment::as_select(), CommentAuthor::as_select()));
        let (rows, order): (Vec<Row>, Vec<i32>) = match sort {
            Sort::Oldest | Sort::Newest => {
                let (first, last) = match sort {
                    Sort::Newest => {
                        (threads - page * TOP_LEVEL_PER_PAGE + 1, threads - (page - 1) * TOP_LEVEL_PER_PAGE)
                    }
                    _ => ((page - 1) * TOP_LEVEL_PER_PAGE + 1, page * TOP_LEVEL_PER_PAGE),
                };
                let range = comments::thread_no.between(first.max(0) as i32, last.max(0) as i32);
                (query.filter(range).load(conn)?, Vec::new())
            }
            // The page's thread numbers first (one range of the index on
            // the first comments' counts), then those threads.
            Sort::Respected => {
                let order: Vec<Option<i32>> = comments::table
                    .filter(comments::article_id.eq(article_id))
                    .filter(comments::parent_id.is_null())
                    .filter(comments::thread_no.is_not_null())
                    .order((comments::respect_count.desc(), comments::thread_no.asc()))
                    .offset((page - 1) * TOP_LEVEL_PER_PAGE)
                    .limit(TOP_LEVEL_PER_PAGE)
                    .select(comments::thread_no)
                    .load(conn)?;
                let order: Vec<i32> = order.into_iter().flatten().collect();
                (query.filter(comments::thread_no.eq_any(&order)).load(conn)?, order)
            }
        };
        let (mut top_level, replies): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|(c, _)| c.parent_id.is_none());
        match sort {
            Sort::Oldest => top_level.sort_by_key(|(c, _)| c.thread_no),
            Sort::Newest => top_level.sort_by_key(|(c, _)| std::cmp::Reverse(c.thread_no)),
            Sort::Respected => top_level.sort_by_key(|(c, _)| {
                c.thread_no.and_then(|no| order.iter().position(|n| *n == no)).unwrap_or(usize::MAX)
            }),
        }
        let mut total = i64::from(figures.comments);
        if let Some(viewer) = viewer {
            // Their own comments waiting for review count for them, and
            // held threads (not numbered yet) show at the newest end.
            let held: Vec<Row> = comments::table
                .inner_join(users::table)
                .filter(comments::user_id.eq(viewer))
                .filter(comments::article_id.eq(article_id))
                .filter(comments::status.eq(Held.as_str()))
                .order((comments::created_at.asc(), comments::id.asc()))
                .select((Comment::as_select(), CommentAuthor::as_select()))
                .load(conn)?;
            total += held.iter().filter(|(c, _)| !c.is_deleted()).count() as i64;
            // Respected: at the end, with the threads nobody marked yet.
            let newest_end = match sort {
                Sort::Oldest | Sort::Respected => page == total_pages,
                Sort::Newest => page == 1,
            };
            if newest_end {
                let waiting = held.into_iter().filter(|(c, _)| c.thread_no.is_none() && c.parent_id.is_none());
                match sort {
                    Sort::Oldest | Sort::Respected => top_level.extend(waiting),
                    Sort::Newest => {
                        let mut waiting: Vec<Row> = waiting.collect();
                        waiting.reverse();
                        waiting.append(&mut top_level);
                        top_level = waiting;
                    }
                }
            }
        }
        let featured: Vec<Row> = if figures.featured > 0 {
            comments::table
                .inner_join(users::table)
                .filter(comments::article_id.eq(article_id))
                .filter(comments::featured_at.is_not_null())
                .filter(comments::status.eq(Published.as_str()))
                .filter(comments::deleted_at.is_null())
                .order((comments::featured_at.desc(), comments::id.desc()))
                .limit(FEATURED_SHOWN)
                .select((Comment::as_select(), CommentAuthor::as_select()))
                .load(conn)?
        } else {
            Vec::new()
        };
        let reader_picks: Vec<Row> = comments::table
            .inner_join(users::table)
            .filter(comments::article_id.eq(article_id))
            .filter(comments::respect_count.ge(READER_PICK_AT))
            .filter(comments::status.eq(Published.as_str()))
            .filter(comments::deleted_at.is_null())
            .order((comments::respect_count.desc(), comments::id.asc()))
            .limit(READER_PICKS_SHOWN)
            .select((Comment::as_select(), CommentAuthor::as_select()))
            .load(conn)?;
        Ok(Some(Discussion {
            total,
            page,
            total_pages,
            top_level: top_level.into_iter().map(entry).collect(),
            replies: replies.into_iter().map(entry).collect(),
            featured: featured.into_iter().map(entry).collect(),
            reader_picks: reader_picks.into_iter().map(entry).collect(),
        }))
    }

    /// The page (oldest first) a comment's thread is on: from its thread
    /// number, or the last page for a thread still held for review.
    pub fn page_of(conn: &mut DbConn, comment: &Comment) -> QueryResult<i64> {
        Discussion::page_of_thread(conn, comment.article_id, comment.thread_no)
    }

    /// The same from a thread number (None: held, so the last page).
    pub fn page_of_thread(conn: &mut DbConn, article_id: i32, thread_no: Option<i32>) -> QueryResult<i64> {
        match thread_no {
            Some(number) => Ok((i64::from(number) - 1).max(0) / TOP_LEVEL_PER_PAGE + 1),
            None => Ok(Figures::of(conn, article_id)?.pages()),
        }
    }
}

/// Days since 1970-01-01 (UTC), as `comment_days` counts them.
pub fn day_number(at: NaiveDateTime) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (at.date() - epoch).num_days() as i32
}

/// An article in the "Most discussed" list.
#[derive(Clone, Debug, PartialEq, Eq, QueryableByName)]
pub struct Discussed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub slug: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub headline: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub section_slug: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub section_name: String,
    /// Comments posted in the window (and still shown).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub recent_comments: i64,
}

/// The published articles readers discussed most over the `days` days up to
/// `now` (whole UTC days, today included), most first: one query over the
/// per-day counts, so the cost follows the stories discussed, not the
/// comments posted.
pub fn most_discussed(conn: &mut DbConn, days: i32, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Discussed>> {
    use diesel::sql_types::{BigInt, Integer, Timestamp};
    // Summed first, over the week's rows of the (day, article, comments)
    // index alone, then joined: written out so no planner can choose to
    // walk every article instead (SQLite did, without statistics; and then
    // it walked every day of every story, to save sorting the week's few).
    let sql = match conn {
        DbConn::Sqlite(_) => {
            concat!(
                "SELECT a.slug, a.headline, s.slug AS section_slug, s.name AS section_name, t.n AS recent_comments \
             FROM (SELECT article_id, SUM(comments) AS n FROM comment_days INDEXED BY comment_days_day \
             WHERE day >= ? GROUP BY article_id) AS t \
             JOIN articles a ON a.id = t.article_id JOIN sections s ON s.id = a.section_id \
             WHERE t.n > 0 AND ",
                crate::shown_sql!("?"),
                " ORDER BY t.n DESC, a.id DESC LIMIT ?"
            )
        }
        DbConn::Pg(_) => {
            concat!(
                "SELECT a.slug, a.headline, s.slug AS section_slug, s.name AS section_name, t.n AS recent_comments \
             FROM (SELECT article_id, SUM(comments) AS n FROM comment_days WHERE day >= $1 GROUP BY article_id) AS t \
             JOIN articles a ON a.id = t.article_id JOIN sections s ON s.id = a.section_id \
             WHERE t.n > 0 AND ",
                crate::shown_sql!("$2"),
                " ORDER BY t.n DESC, a.id DESC LIMIT $3"
            )
        }
    };
    diesel::sql_query(sql)
        .bind::<Integer, _>(day_number(now) - (days - 1))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Comment counts for many articles in one query.
pub fn counts_for(conn: &mut DbConn, article_ids: &[i32]) -> QueryResult<std::collections::HashMap<i32, i64>> {
    if article_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i32, i32)> = discussions::table
        .filter(discussions::article_id.eq_any(article_ids))
        .select((discussions::article_id, discussions::comments))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, n)| (id, i64::from(n))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_1970() {
        let at = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap().and_hms_opt(23, 59, 0).unwrap();
        assert_eq!(day_number(at), 1);
        let at = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(day_number(at), 20789);
    }
}
