//! Readers' comments: posting and replying, editing, deleting, reporting.
//! Every rule that decides whether a comment is taken lives here, so a
//! post and an edit meet the same word lists, link limit and holds.

use chrono::NaiveDateTime;

use super::announce;
use crate::changes::Change;
use crate::db::DbConn;
use crate::error::AppError;
use crate::mail::notify::NewReply;
use crate::models::article::CommentMode;
use crate::models::comment::{self, Comment, CommentStatus, NewComment, Placement};
use crate::models::discussion::Discussion;
use crate::models::rate_limit::{self, Limited};
use crate::models::report::{Report, ReportOutcome, ReportReason};
use crate::models::settings::{self, SiteSettings};
use crate::models::{Article, Role, User, trust};
use crate::permissions;
use crate::state::{AppState, now};

/// Why a comment (or an edit) was not taken. Each says so in words the
/// reader can act on; the form comes back with their text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The discussion is closed, by hand or by age.
    Closed,
    /// Empty, too long, or holding control characters.
    Unreadable(&'static str),
    BannedWord(String),
    /// The comment being answered was deleted, removed or held meanwhile.
    ParentGone,
    TooFast(Limited),
    /// The author's edit window has passed.
    EditWindowOver,
    /// The comment was deleted or removed while the edit was written.
    Gone,
    /// A reply from a reader on a story in Q&A mode: readers ask, the
    /// newsroom answers.
    QuestionsOnly,
}

/// Why a reader's question waits: the Questions queue, not the Held one.
pub const QUESTION_REASON: &str = "a question for the newsroom";

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Closed => "Comments are closed on this article.".into(),
            Refusal::Unreadable(why) => (*why).into(),
            Refusal::BannedWord(word) => format!(
                "Your comment contains \u{201c}{word}\u{201d}, which is not allowed here. Edit it and post again."
            ),
            Refusal::QuestionsOnly => {
                "This story is a Q&A: readers ask the newsroom questions, and the newsroom answers. \
                Post yours as a new question."
                    .into()
            }
            Refusal::ParentGone => {
                "The comment you are replying to is no longer there. You can post yours as a new comment.".into()
            }
            Refusal::TooFast(limited) => format!(
                "You are posting faster than we allow. Wait {}, then post again: your comment is still here.",
                crate::views::wait_words(limited.retry_after_secs())
            ),
            Refusal::EditWindowOver => "The 15 minutes for editing this comment have passed, so it was not changed. \
                 Your new text is below if you want to copy it."
                .into(),
            Refusal::Gone => "This comment was deleted or removed, so it was not changed. \
                 Your new text is below if you want to copy it."
                .into(),
        }
    }
}

/// Whether the article takes comments now (open, and not closed by age).
fn accepts_comments(settings: &SiteSettings, article: &Article, now: NaiveDateTime) -> bool {
    settings.accepts_comments(article.comments_open, article.published_at, now)
}

/// The checks a comment's text meets, posted or edited: cleaned, no banned
/// word, and the reason to hold it for a moderator (suspect words, links).
fn screen(settings: &SiteSettings, raw: &str) -> Result<(String, Option<String>), Refusal> {
    let body = comment::clean_body(raw).map_err(Refusal::Unreadable)?;
    if let Some(word) = settings::find_listed(&body, &settings.banned_words) {
        return Err(Refusal::BannedWord(word.to_string()));
    }
    if let Some(word) = settings::find_listed(&body, &settings.suspect_words) {
        return Ok((body.clone(), Some(format!("contains \u{201c}{word}\u{201d}"))));
    }
    let links = settings::link_count(&body);
    if links > settings.max_links {
        return Ok((body, Some(format!("{links} links"))));
    }
    Ok((body, None))
}

/// Where a comment is seen: its thread's page of the article, at its anchor.
pub fn permalink(slug: &str, page: i64, comment_id: i32) -> String {
    if page > 1 {
        format!("/articles/{slug}?page={page}#comment-{comment_id}")
    } else {
        format!("/articles/{slug}#comment-{comment_id}")
    }
}

/// A stored comment: its article, and where it can be seen.
pub struct Posted {
    pub article_id: i32,
    pub location: String,
    /// The author of the comment answered, whose count of new replies moved.
    pub answered: Option<i32>,
    /// Held for review before others see it.
    pub held: bool,
    /// A notification by mail was queued (the mail worker is rung).
    pub mailed: bool,
}

/// Posts a comment or a reply. On the writer, in one transaction from the
/// checks to the insert: what was checked (the discussion open, the parent
/// still there) still holds when the comment is stored, and the answer
/// waits for the commit.
pub async fn post(
    state: &AppState,
    author: &User,
    slug: &str,
    parent_id: Option<i32>,
    raw: &str,
) -> Result<Result<Posted, Refusal>, AppError> {
    let (slug, raw, author_id, author) = (slug.to_string(), raw.to_string(), author.id, author.clone());
    let (author_name, letterhead) = (author.display_name.clone(), state.mail.letterhead.clone());
    let limit = state.config.limits.comment_per_user;
    let now = now();
    let outcome = state
        .db
        .write(move |conn| {
            let (article, _) = Article::published_by_slug(conn, &slug, now)??;
            let settings = SiteSettings::load(conn)?;
            if !accepts_comments(&settings, &article, now) {
                return Ok(Err(Refusal::Closed));
            }
            let (body, mut hold_reason) = match screen(&settings, &raw) {
                Ok(screened) => screened,
                Err(refusal) => return Ok(Err(refusal)),
            };
            if hold_reason.is_none() {
                hold_reason = trust::hold_reason(conn, &author, &settings)?;
            }
            // The story's own controls, for readers (staff answer and post freely).
            let mut question = false;
            if author.role() == Role::Reader {
                match article.comment_mode {
                    CommentMode::Open => {}
                    CommentMode::Premoderated => {
                        hold_reason.get_or_insert_with(|| "this story's comments are pre-moderated".into());
                    }
                    CommentMode::Questions if parent_id.is_some() => return Ok(Err(Refusal::QuestionsOnly)),
                    CommentMode::Questions => {
                        question = true;
                        hold_reason = Some(QUESTION_REASON.into());
                    }
                }
            }
            let parent = match parent_id {
                None => None,
                Some(id) => match Comment::by_id(conn, id)? {
                    Some(parent) if parent.article_id == article.id && accepts_replies(&parent) => Some(parent),
                    _ => return Ok(Err(Refusal::ParentGone)),
                },
            };
            let (placement, answered) = match &parent {
                None => (Placement::TOP_LEVEL, None),
                Some(parent) => (Placement::reply_to(parent), Some(parent.user_id).filter(|&user| user != author_id)),
            };
            let new = NewComment {
                article_id: article.id,
                user_id: author_id,
                placement,
                body: &body,
                status: if hold_reason.is_some() { CommentStatus::Held } else { CommentStatus::Published },
                hold_reason: hold_reason.as_deref(),
                now,
            };
            match Comment::post_within(conn, new, limit)? {
                Ok((id, thread_no)) => {
                    if question {
                        Comment::mark_question(conn, id)?;
                    }
                    let thread_no = match thread_no {
                        Some(number) => Some(number),
                        None => Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?.thread_no,
                    };
                    let page = Discussion::page_of_thread(conn, article.id, thread_no)?;
                    let location = permalink(&article.slug, page, id);
                    let held = hold_reason.is_some();
                    // In this transaction: the mail exists exactly when the
                    // reply does. A held reply is not news yet.
                    let mailed = match (&parent, held) {
                        (Some(parent), false) => {
                            let reply = NewReply {
                                id,
                                author_id,
                                author_name: &author_name,
                                text: &body,
                                headline: &article.headline,
                            };
                            crate::mail::notify::reply_posted(conn, &letterhead, parent, &reply, now)?
                        }
                        _ => false,
                    };
                    Ok(Ok(Posted { article_id: article.id, location, answered, held, mailed }))
                }
                Err(limited) => Ok(Err(Refusal::TooFast(limited))),
            }
        })
        .await?;
    if let Ok(posted) = &outcome {
        let counters = &state.metrics.counters;
        counters.comments_posted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if posted.held {
            counters.comments_held.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if posted.mailed {
            state.mail.bell.ring();
        }
        let answered = posted.answered.map(|user_id| Change::Account { user_id });
        announce(state, std::iter::once(Change::Discussion { article_id: posted.article_id }).chain(answered));
    }
    Ok(outcome)
}

/// A comment others can see and answer (the discussion being open is
/// checked with the article).
fn accepts_replies(parent: &Comment) -> bool {
    !parent.is_deleted() && !parent.is_removed() && !parent.is_held()
}

/// The author's own comment on a published story: anyone else is refused.
fn own_comment(conn: &mut DbConn, author: &User, id: i32, now: NaiveDateTime) -> Result<(Comment, Article), AppError> {
    let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
    if !permissions::is_author(Some(author), &comment) {
        return Err(AppError::Forbidden);
    }
    let article = Article::published_by_id(conn, comment.article_id, now)??;
    Ok((comment, article))
}

/// Replaces the text of the author's comment, if they may still edit it.
/// The new text meets the same checks as a new comment: a banned word
/// refuses it, a suspect word or too many links hold it for review.
pub async fn edit(state: &AppState, author: &User, id: i32, raw: &str) -> Result<Result<String, Refusal>, AppError> {
    let (author, raw) = (author.clone(), raw.to_string());
    let now = now();
    let outcome = state
        .db
        .write(move |conn| {
            let (comment, article) = own_comment(conn, &author, id, now)?;
            let settings = SiteSettings::load(conn)?;
            let open = accepts_comments(&settings, &article, now);
            if !permissions::may_edit(Some(&author), &comment, open, now) {
                let refusal = if comment.is_deleted() || comment.is_removed() {
                    Refusal::Gone
                } else if !open {
                    Refusal::Closed
                } else {
                    Refusal::EditWindowOver
                };
                return Ok(Err(refusal));
            }
            let (body, hold_reason) = match screen(&settings, &raw) {
                Ok(screened) => screened,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let hold_reason = hold_reason.or_else(|| trust::edit_hold_reason(&author));
            // Only a comment still there is changed: one its author deleted
            // or a moderator removed since it was read stays as it is.
            if !Comment::edit(conn, id, &body, hold_reason.as_deref(), now)? {
                return Ok(Err(Refusal::Gone));
            }
            let page = Discussion::page_of(conn, &comment)?;
            Ok(Ok((article.id, permalink(&article.slug, page, id))))
        })
        .await?;
    Ok(outcome.map(|(article_id, location)| {
        announce(state, [Change::Discussion { article_id }]);
        location
    }))
}

/// The author deletes their comment: its text goes, a tombstone keeps the
/// replies in place. Allowed after the discussion closes. Returns where the
/// tombstone is seen.
pub async fn delete(state: &AppState, author: &User, id: i32) -> Result<String, AppError> {
    let author = author.clone();
    let now = now();
    let (article_id, location, changed) = state
        .db
        .write(move |conn| {
            let (comment, article) = own_comment(conn, &author, id, now)?;
            let changed = permissions::may_delete(Some(&author), &comment) && Comment::delete_by_author(conn, id, now)?;
            let page = Discussion::page_of(conn, &comment)?;
            Ok((article.id, permalink(&article.slug, page, id), changed))
        })
        .await?;
    if changed {
        announce(state, [Change::Discussion { article_id }]);
    }
    Ok(location)
}

/// The comment a reader wants to report, with its article, if they may.
pub async fn reportable(state: &AppState, reporter: &User, id: i32) -> Result<(Comment, Article), AppError> {
    let reporter = reporter.clone();
    let now = now();
    state
        .db
        .run(move |conn| {
            let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
            if !permissions::may_report(Some(&reporter), &comment) {
                return Err(AppError::NotFound);
            }
            let article = Article::published_by_id(conn, comment.article_id, now)??;
            Ok((comment, article))
        })
        .await
}

/// What a report form may carry.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why a report was not filed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportRefusal {
    NoReason,
    NoteTooLong,
    NoteUnreadable,
}

impl ReportRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            ReportRefusal::NoReason => "Choose why you are reporting this comment.",
            ReportRefusal::NoteTooLong => "Keep the note to 500 characters.",
            ReportRefusal::NoteUnreadable => "The note contains invisible control characters.",
        }
    }
}

/// Files a reader's report about a comment (once per reader and comment).
pub async fn report(
    state: &AppState,
    reporter: &User,
    id: i32,
    reason: &str,
    note: &str,
) -> Result<Result<ReportOutcome, ReportRefusal>, AppError> {
    let note = note.trim().to_string();
    let Some(reason) = ReportReason::parse(reason) else {
        return Ok(Err(ReportRefusal::NoReason));
    };
    if note.chars().count() > MAX_NOTE_CHARS {
        return Ok(Err(ReportRefusal::NoteTooLong));
    }
    if note.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Ok(Err(ReportRefusal::NoteUnreadable));
    }
    let reporter = reporter.clone();
    let (rule, now) = (state.config.limits.report_per_user, now());
    let outcome = state
        .db
        .run(move |conn| {
            let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
            if !permissions::may_report(Some(&reporter), &comment) {
                return Err(AppError::NotFound);
            }
            if let Err(limited) = rate_limit::check(conn, &format!("report:{}", reporter.id), rule, now)? {
                return Err(AppError::TooManyRequests { retry_after_secs: limited.retry_after_secs() });
            }
            // Reports show only in the admin area, which nothing caches:
            // there is no change to announce.
            Ok(Report::file(conn, id, reporter.id, reason, &note, now)?)
        })
        .await?;
    Ok(Ok(outcome))
}
