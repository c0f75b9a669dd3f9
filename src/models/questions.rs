//! Q&A: on a story in Q&A mode, a reader's top-level comment is a question
//! for the newsroom. It waits (held) in the Questions queue until a member
//! of staff answers it: the answer is stored as their reply, the question
//! is published with it, and the pair shows above the discussion.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::comment::CommentStatus::{Held, Published};
use super::comment::{Comment, CommentAuthor, Placement, ThreadEntry};
use super::moderation::{self, LogAction, LogEntry, Queue, QueueFilter, QueueItem, QueueRow, queue_query};
use crate::db::DbConn;
use crate::db::schema::{comments, users};

diesel::alias!(comments as answers: Answers, users as answerers: Answerers);

/// How many answered questions a story shows above its discussion.
pub const ANSWERED_SHOWN: i64 = 50;

/// A question with the newsroom's answer.
pub struct Answered {
    pub question: ThreadEntry,
    pub answer: ThreadEntry,
}

/// A story's answered questions, the latest answer first.
pub fn answered_on(conn: &mut DbConn, article_id: i32) -> QueryResult<Vec<Answered>> {
    let rows: Vec<(Comment, CommentAuthor, Comment, CommentAuthor)> = comments::table
        .inner_join(users::table)
        .inner_join(answers.on(answers.field(comments::id).nullable().eq(comments::answer_id)))
        .inner_join(answerers.on(answerers.field(users::id).eq(answers.field(comments::user_id))))
        .filter(comments::article_id.eq(article_id))
        .filter(comments::answered_at.is_not_null())
        .filter(comments::status.eq(Published.as_str()))
        .filter(comments::deleted_at.is_null())
        .filter(answers.field(comments::status).eq(Published.as_str()))
        .filter(answers.field(comments::deleted_at).is_null())
        .order((comments::answered_at.desc(), comments::id.desc()))
        .limit(ANSWERED_SHOWN)
        .select((
            Comment::as_select(),
            CommentAuthor::as_select(),
            answers.fields(<Comment as Selectable<crate::db::MultiBackend>>::construct_selection()),
            answerers.fields(<CommentAuthor as Selectable<crate::db::MultiBackend>>::construct_selection()),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(question, asker, answer, answerer)| Answered {
            question: ThreadEntry { comment: question, author: asker },
            answer: ThreadEntry { comment: answer, author: answerer },
        })
        .collect())
}

/// Questions waiting for an answer, oldest first (the Questions queue).
pub fn waiting(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<QueueItem>> {
    let rows: Vec<QueueRow> = queue_rows!(
        queue_query(Queue::Recent, &QueueFilter::default())
            .filter(comments::status.eq(Held.as_str()))
            .filter(comments::is_question.eq(true))
            .filter(comments::answered_at.is_null())
            .order((comments::created_at.asc(), comments::id.asc()))
            .limit(limit)
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|row| QueueItem::new(row, &[])).collect())
}

/// Why a question was not answered.
#[derive(Debug, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// Answered already, removed, deleted, or not a question.
    NotWaiting,
}

/// Answers question `id` as staff member `staff_id`: publishes the
/// question, stores the answer as their reply, links the two, logs it.
/// Returns the question (as published) and the answer's id.
pub fn answer(
    conn: &mut DbConn,
    id: i32,
    staff_id: i32,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(Comment, i32), AnswerRefusal>> {
    let Some(question) = Comment::by_id(conn, id)? else { return Ok(Err(AnswerRefusal::NotWaiting)) };
    let waiting = question.is_question && question.answered_at.is_none() && question.deleted_at.is_none();
    if !waiting || !matches!(question.status, Held | Published) {
        return Ok(Err(AnswerRefusal::NotWaiting));
    }
    // Published first: a held top-level comment has no thread number yet,
    // and the trigger that gives it one runs on this change.
    diesel::update(comments::table.find(id))
        .set((comments::status.eq(Published.as_str()), comments::moderation_reason.eq(None::<String>)))
        .execute(conn)?;
    let question = Comment::by_id(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    let answer_id =
        Comment::insert(conn, question.article_id, staff_id, Placement::reply_to(&question), body, Published, now)?;
    diesel::update(comments::table.find(id))
        .set((comments::answer_id.eq(Some(answer_id)), comments::answered_at.eq(Some(now))))
        .execute(conn)?;
    let entry = LogEntry {
        actor_id: Some(staff_id),
        action: LogAction::Answer,
        comment_id: Some(id),
        target_user_id: Some(question.user_id),
        article_id: Some(question.article_id),
        reason: "",
        details: "",
    };
    moderation::record(conn, &entry, now)?;
    Ok(Ok((question, answer_id)))
}
