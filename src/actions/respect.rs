//! A reader marks a comment "Respect", or takes the mark back.

use super::announce;
use super::comments::permalink;
use crate::changes::Change;
use crate::error::AppError;
use crate::models::discussion::Discussion;
use crate::models::rate_limit;
use crate::models::respect::Respect;
use crate::models::{Article, Comment, User};
use crate::permissions;
use crate::state::{AppState, now};

/// Why a mark was not changed.
#[derive(Debug, PartialEq, Eq)]
pub enum RespectRefusal {
    OwnComment,
    /// Removed, deleted or held: nothing others can see to respect.
    NotShown,
    TooFast {
        retry_after_secs: u64,
    },
}

impl RespectRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            RespectRefusal::OwnComment => "You cannot mark your own comment “Respect”.",
            RespectRefusal::NotShown => "That comment is no longer shown, so it cannot be marked.",
            RespectRefusal::TooFast { .. } => "You are marking comments faster than we allow. Please wait a moment.",
        }
    }
}

/// Gives (`give`) or takes back `reader`'s mark on comment `id`, and
/// returns where the comment is. On the writer, like every change to
/// comments: the count moves in the same transaction as the mark.
pub async fn mark(
    state: &AppState,
    reader: &User,
    id: i32,
    give: bool,
) -> Result<Result<String, RespectRefusal>, AppError> {
    let reader = reader.clone();
    let (rule, now) = (state.config.limits.respect_per_user, now());
    let outcome = state
        .db
        .write(move |conn| {
            let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
            let article = Article::published_by_id(conn, comment.article_id, now)??;
            if permissions::is_author(Some(&reader), &comment) {
                return Ok(Err(RespectRefusal::OwnComment));
            }
            if !permissions::may_respect(Some(&reader), &comment) {
                return Ok(Err(RespectRefusal::NotShown));
            }
            if let Err(limited) = rate_limit::check_within(conn, &format!("respect:{}", reader.id), rule, now)? {
                return Ok(Err(RespectRefusal::TooFast { retry_after_secs: limited.retry_after_secs() }));
            }
            let changed = match give {
                true => Respect::give(conn, id, article.id, reader.id, now)?,
                false => Respect::take_back(conn, id, reader.id)?,
            };
            let page = Discussion::page_of(conn, &comment)?;
            Ok(Ok((article.id, permalink(&article.slug, page, id), changed)))
        })
        .await?;
    Ok(outcome.map(|(article_id, location, changed)| {
        // The count shows on the article page (and in its shared copies).
        if changed {
            announce(state, [Change::Discussion { article_id }]);
        }
        location
    }))
}
