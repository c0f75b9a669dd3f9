//! What a moderator looks at before deciding on a comment: the comment in
//! its thread (what it answers, what answers it) and its author's record.

use std::collections::HashMap;

use diesel::prelude::*;

use super::comment::CommentStatus::{Held, Removed};
use super::moderation::{LogAction, Queue, QueueFilter, QueueItem, QueueRow, queue_query};
use super::report::Report;
use crate::db::DbConn;
use crate::db::schema::{comments, moderation_log, reports};

/// Replies shown under the comment; more are counted, not listed.
pub const REPLIES_SHOWN: i64 = 20;

/// A comment with the comment it answers and the replies to it.
pub struct CommentContext {
    pub item: QueueItem,
    /// What it answers: None for a top-level comment, or when its author
    /// deleted it (`parent_deleted`).
    pub parent: Option<QueueItem>,
    pub parent_deleted: bool,
    /// The first replies, oldest first, in any state but deleted.
    pub replies: Vec<QueueItem>,
    pub more_replies: i64,
}

/// Queue rows for `query`'s comments, with their open reports.
fn items(conn: &mut DbConn, rows: Vec<QueueRow>) -> QueryResult<Vec<QueueItem>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.0.id).collect();
    let mut open: HashMap<i32, Vec<Report>> = HashMap::new();
    for report in Report::open_for(conn, &ids)? {
        open.entry(report.comment_id).or_default().push(report);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let reports = open.remove(&row.0.id).unwrap_or_default();
            QueueItem::new(row, &reports)
        })
        .collect())
}

impl CommentContext {
    /// The comment `id` in its thread; None when there is no such comment
    /// to moderate (its author deleted it).
    pub fn load(conn: &mut DbConn, id: i32) -> QueryResult<Option<CommentContext>> {
        let all = QueueFilter::default();
        let rows: Vec<QueueRow> =
            queue_rows!(queue_query(Queue::Recent, &all).filter(comments::id.eq(id))).load(conn)?;
        let Some(item) = items(conn, rows)?.pop() else { return Ok(None) };
        let (parent, parent_deleted) = match item.comment.parent_id {
            None => (None, false),
            Some(parent_id) => {
                let rows: Vec<QueueRow> =
                    queue_rows!(queue_query(Queue::Recent, &all).filter(comments::id.eq(parent_id))).load(conn)?;
                let parent = items(conn, rows)?.pop();
                let deleted = parent.is_none();
                (parent, deleted)
            }
        };
        let rows: Vec<QueueRow> = queue_rows!(
            queue_query(Queue::Recent, &all)
                .filter(comments::parent_id.eq(id))
                .order((comments::created_at.asc(), comments::id.asc()))
                .limit(REPLIES_SHOWN)
        )
        .load(conn)?;
        let replies = items(conn, rows)?;
        let total: i64 = comments::table
            .filter(comments::parent_id.eq(id))
            .filter(comments::deleted_at.is_null())
            .count()
            .get_result(conn)?;
        let more_replies = (total - replies.len() as i64).max(0);
        Ok(Some(CommentContext { item, parent, parent_deleted, replies, more_replies }))
    }
}

/// A reader's record in numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorRecord {
    /// Every comment they still have (not deleted by them).
    pub comments: i64,
    pub removed: i64,
    pub held: i64,
    /// Reports against their comments, and those still open.
    pub reports: i64,
    pub open_reports: i64,
    /// Bans they were given, from the moderation log.
    pub bans: i64,
}

impl AuthorRecord {
    pub fn load(conn: &mut DbConn, user_id: i32) -> QueryResult<AuthorRecord> {
        let theirs = || comments::table.filter(comments::user_id.eq(user_id)).filter(comments::deleted_at.is_null());
        let reported = || reports::table.inner_join(comments::table).filter(comments::user_id.eq(user_id));
        Ok(AuthorRecord {
            comments: theirs().count().get_result(conn)?,
            removed: theirs().filter(comments::status.eq(Removed.as_str())).count().get_result(conn)?,
            held: theirs().filter(comments::status.eq(Held.as_str())).count().get_result(conn)?,
            reports: reported().count().get_result(conn)?,
            open_reports: reported().filter(reports::resolved_at.is_null()).count().get_result(conn)?,
            bans: moderation_log::table
                .filter(moderation_log::target_user_id.eq(user_id))
                .filter(moderation_log::action.eq(LogAction::Ban.as_str()))
                .count()
                .get_result(conn)?,
        })
    }
}
