//! Moderators' decisions about comments and discussions, and the site
//! settings admins keep. Each is logged in the moderation log in the same
//! transaction as the change it records.

use std::collections::BTreeSet;

use super::announce;
use crate::changes::Change;
use crate::db::write_transaction;
use crate::error::AppError;
use crate::mail::notify;
use crate::models::article::CommentMode;
use crate::models::moderation::{self, CommentAction, LogAction, LogEntry};
use crate::models::settings::SiteSettings;
use crate::models::{Article, User};
use crate::models::{questions, trust};
use crate::permissions;
use crate::state::{AppState, now};

/// Applies a moderator's action to comments; returns how many it changed.
pub async fn act_on_comments(
    state: &AppState,
    actor: &User,
    action: CommentAction,
    ids: Vec<i32>,
    reason: String,
) -> Result<usize, AppError> {
    if !permissions::may_moderate(actor) {
        return Err(AppError::Forbidden);
    }
    let (actor, now, letterhead) = (actor.id, now(), state.mail.letterhead.clone());
    // On the writer, like every change to comments: transactions that
    // change comments also update their discussions' figures rows, and one
    // writer taking them in turn cannot deadlock with itself.
    let (changed, premoderated, mailed) = state
        .db
        .write(move |conn| {
            let changed = moderation::act_on_comments(conn, action, &ids, actor, &reason, now)?;
            // The authors' notifications, in the same transaction as the decision.
            let mut mailed = false;
            for comment in &changed {
                let headline = Article::headline_of(conn, comment.article_id)?.unwrap_or_default();
                mailed |= match action {
                    CommentAction::Feature => notify::featured(conn, &letterhead, comment, &headline, now)?,
                    CommentAction::Remove => notify::removed(conn, &letterhead, comment, &headline, &reason, now)?,
                    // A reply held for review is news to its parent's author
                    // when it is let through.
                    CommentAction::Approve => notify::reply_approved(conn, &letterhead, comment, &headline, now)?,
                    _ => false,
                };
            }
            // A removal may put its author back on pre-moderation, in the
            // same transaction: the next comment they post is held.
            let premoderated = match action {
                CommentAction::Remove if !changed.is_empty() => {
                    let settings = SiteSettings::load(conn)?;
                    let authors: BTreeSet<i32> = changed.iter().map(|c| c.user_id).collect();
                    trust::review_after_removals(conn, &authors.into_iter().collect::<Vec<_>>(), &settings, now)?
                }
                _ => Vec::new(),
            };
            Ok((changed, premoderated, mailed))
        })
        .await?;
    if mailed {
        state.mail.bell.ring();
    }
    let articles: BTreeSet<i32> = changed.iter().map(|c| c.article_id).collect();
    let mut changes: Vec<Change> = articles.into_iter().map(|article_id| Change::Discussion { article_id }).collect();
    if action == CommentAction::Remove && !changed.is_empty() {
        changes.push(Change::ModerationLog);
        let removed = changed.len() as u64;
        state.metrics.counters.comments_removed.fetch_add(removed, std::sync::atomic::Ordering::Relaxed);
    }
    changes.extend(premoderated.into_iter().map(|user_id| Change::Account { user_id }));
    announce(state, changes);
    Ok(changed.len())
}

/// A moderator's change to one story (its discussion opened or closed,
/// its controls), logged in the same transaction and announced after;
/// returns its headline.
async fn change_story<F>(
    state: &AppState,
    actor: &User,
    slug: &str,
    action: LogAction,
    details: String,
    change: F,
) -> Result<String, AppError>
where
    F: FnOnce(&mut crate::db::DbConn, &Article) -> diesel::QueryResult<()> + Send + 'static,
{
    if !permissions::may_moderate(actor) {
        return Err(AppError::Forbidden);
    }
    let (actor, slug, now) = (actor.id, slug.to_string(), now());
    // On the writer: the article's change bumps its discussion's figures row.
    let (article_id, headline) = state
        .db
        .write(move |conn| {
            let article = Article::by_slug_any(conn, &slug)?.ok_or(AppError::NotFound)?;
            change(conn, &article)?;
            let entry = LogEntry {
                actor_id: Some(actor),
                action,
                comment_id: None,
                target_user_id: None,
                article_id: Some(article.id),
                reason: "",
                details: &details,
            };
            moderation::record(conn, &entry, now)?;
            Ok((article.id, article.headline))
        })
        .await?;
    announce(state, [Change::Article { article_id }, Change::Discussion { article_id }]);
    Ok(headline)
}

/// Closes or reopens an article's discussion; returns its headline.
pub async fn set_discussion_open(state: &AppState, actor: &User, slug: &str, open: bool) -> Result<String, AppError> {
    let action = if open { LogAction::Reopen } else { LogAction::Close };
    change_story(state, actor, slug, action, String::new(), move |conn, article| {
        Article::set_comments_open(conn, article.id, open)
    })
    .await
}

/// Saves the site settings (admins only).
pub async fn save_settings(state: &AppState, actor: &User, settings: SiteSettings) -> Result<(), AppError> {
    if !permissions::may_administer(actor) {
        return Err(AppError::Forbidden);
    }
    let (actor, now) = (actor.id, now());
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                settings.save(conn)?;
                let details = format!(
                    "{} banned, {} suspect words; {} links; first comments {}; close after {} days",
                    settings.banned_words.len(),
                    settings.suspect_words.len(),
                    settings.max_links,
                    if settings.hold_first_comment { "held" } else { "not held" },
                    settings.auto_close_days
                );
                let entry = LogEntry {
                    actor_id: Some(actor),
                    action: LogAction::Settings,
                    comment_id: None,
                    target_user_id: None,
                    article_id: None,
                    reason: "",
                    details: &details,
                };
                moderation::record(conn, &entry, now)?;
                Ok::<(), AppError>(())
            })
        })
        .await?;
    announce(state, [Change::Settings]);
    Ok(())
}

/// Sets how a story takes comments and the prompt above its form; returns
/// its headline. Logged, and the story's pages change at once.
pub async fn set_story_controls(
    state: &AppState,
    actor: &User,
    slug: &str,
    mode: CommentMode,
    prompt: String,
) -> Result<String, AppError> {
    let details = format!("{}; prompt: {}", mode.label(), if prompt.is_empty() { "none" } else { &prompt });
    change_story(state, actor, slug, LogAction::StoryControls, details, move |conn, article| {
        Article::set_comment_controls(conn, article.id, mode, &prompt)
    })
    .await
}

/// Why an answer was not posted.
#[derive(Debug, PartialEq, Eq)]
pub enum AnswerRefusal {
    Unreadable(&'static str),
    /// Answered already, deleted or removed meanwhile.
    NotWaiting,
}

/// A member of staff answers a reader's question: the answer is their
/// reply, the question is published with it, the asker is told by mail
/// when they asked to be. Returns where the pair is on the story.
pub async fn answer_question(
    state: &AppState,
    actor: &User,
    id: i32,
    raw: &str,
) -> Result<Result<String, AnswerRefusal>, AppError> {
    if !permissions::may_moderate(actor) {
        return Err(AppError::Forbidden);
    }
    let body = match crate::models::comment::clean_body(raw) {
        Ok(body) => body,
        Err(why) => return Ok(Err(AnswerRefusal::Unreadable(why))),
    };
    let (actor, now, letterhead) = (actor.clone(), now(), state.mail.letterhead.clone());
    let outcome = state
        .db
        .write(move |conn| {
            let (question, answer_id) = match questions::answer(conn, id, actor.id, &body, now)? {
                Ok(done) => done,
                Err(questions::AnswerRefusal::NotWaiting) => return Ok(Err(AnswerRefusal::NotWaiting)),
            };
            let article = Article::by_id_any(conn, question.article_id)?.ok_or(AppError::NotFound)?;
            let reply = notify::NewReply {
                id: answer_id,
                author_id: actor.id,
                author_name: &actor.display_name,
                text: &body,
                headline: &article.headline,
            };
            let mailed = notify::reply_posted(conn, &letterhead, &question, &reply, now)?;
            let page = crate::models::discussion::Discussion::page_of(conn, &question)?;
            Ok(Ok((article.id, super::comments::permalink(&article.slug, page, question.id), mailed)))
        })
        .await?;
    Ok(outcome.map(|(article_id, location, mailed)| {
        if mailed {
            state.mail.bell.ring();
        }
        announce(state, [Change::Discussion { article_id }]);
        location
    }))
}
