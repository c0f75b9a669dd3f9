//! Readers' reports about comments.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::reports;

text_values! {
    /// Why a reader reports a comment.
    pub enum ReportReason {
        Spam = "spam",
        Abuse = "abuse",
        OffTopic = "off_topic",
        Misinformation = "misinformation",
        Other = "other",
    }
}

impl ReportReason {
    /// How the report form and the queues say it.
    pub fn label(self) -> &'static str {
        match self {
            ReportReason::Spam => "Spam",
            ReportReason::Abuse => "Abuse or harassment",
            ReportReason::OffTopic => "Off-topic",
            ReportReason::Misinformation => "Misinformation",
            ReportReason::Other => "Something else",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum ReportOutcome {
    Filed,
    AlreadyReported,
}

/// A report as moderators see it.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i32,
    pub comment_id: i32,
    pub reporter_id: i32,
    #[diesel(deserialize_as = String)]
    pub reason: ReportReason,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

impl Report {
    /// Files a report; a reader reports a comment once.
    pub fn file(
        conn: &mut DbConn,
        comment_id: i32,
        reporter_id: i32,
        reason: ReportReason,
        note: &str,
        now: NaiveDateTime,
    ) -> QueryResult<ReportOutcome> {
        let inserted = diesel::insert_into(reports::table)
            .values((
                reports::comment_id.eq(comment_id),
                reports::reporter_id.eq(reporter_id),
                reports::reason.eq(reason.as_str()),
                reports::note.eq(note),
                reports::created_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => Ok(ReportOutcome::Filed),
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                Ok(ReportOutcome::AlreadyReported)
            }
            Err(other) => Err(other),
        }
    }

    /// Open reports for many comments in one query.
    pub fn open_for(conn: &mut DbConn, comment_ids: &[i32]) -> QueryResult<Vec<Report>> {
        if comment_ids.is_empty() {
            return Ok(Vec::new());
        }
        reports::table
            .filter(reports::comment_id.eq_any(comment_ids))
            .filter(reports::resolved_at.is_null())
            .order(reports::created_at.asc())
            .select(Report::as_select())
            .load(conn)
    }

    /// Marks the open reports on these comments as dealt with.
    pub fn resolve(conn: &mut DbConn, comment_ids: &[i32], now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            reports::table.filter(reports::comment_id.eq_any(comment_ids)).filter(reports::resolved_at.is_null()),
        )
        .set(reports::resolved_at.eq(now))
        .execute(conn)
    }
}
