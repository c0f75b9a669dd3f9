//! An editor takes a story off the site or puts it back (`/admin/articles`).
//! The same change as `newsdesk unpublish` / `republish`
//! (`models::takedown`), here on the writer with the caches told at once.

use super::announce;
use crate::changes::Change;
use crate::error::AppError;
use crate::models::User;
use crate::models::takedown::{self, Takedown};
use crate::permissions;
use crate::state::{AppState, now};

/// Takes the story down (`down`) or republishes it; returns what happened.
pub async fn set_down(state: &AppState, actor: &User, slug: &str, down: bool) -> Result<Takedown, AppError> {
    if !permissions::may_take_down(actor) {
        return Err(AppError::Forbidden);
    }
    let (actor, slug, now) = (actor.id, slug.to_string(), now());
    // On the writer (inside its transaction): the article's change bumps
    // its discussion's figures row, which every comment also writes.
    let outcome = state.db.write(move |conn| Ok(takedown::set_down(conn, &slug, down, Some(actor), now)?)).await?;
    if let Takedown::Done { article_id, .. } = outcome {
        // Every page that lists or shows the story, its comments' pages and
        // feeds, and the public log that records it.
        announce(state, [Change::Article { article_id }, Change::Discussion { article_id }, Change::ModerationLog]);
    }
    Ok(outcome)
}
