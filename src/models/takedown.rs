//! Taking a story down and putting it back: the article's `unpublished_at`
//! and the moderation-log line, in one transaction. Used by the admin
//! button (through `actions::takedowns`, on the writer) and by
//! `newsdesk unpublish` / `republish` alike.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Article;
use super::moderation::{self, LogAction, LogEntry};
use crate::db::DbConn;

/// What taking down or republishing did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Takedown {
    /// Changed: the story's id and headline.
    Done {
        article_id: i32,
        headline: String,
    },
    /// It was already that way (down, or up): nothing written, nothing logged.
    Unchanged {
        headline: String,
    },
    NoSuchStory,
}

/// Takes the story down (`down`) or republishes it, logging it as done by
/// `actor` (None for the command line). Call inside a write transaction
/// (the writer's, or `from_command_line`'s).
pub fn set_down(
    conn: &mut DbConn,
    slug: &str,
    down: bool,
    actor: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<Takedown> {
    let Some(article) = Article::by_slug_any(conn, slug)? else {
        return Ok(Takedown::NoSuchStory);
    };
    if !Article::set_unpublished(conn, article.id, down.then_some(now))? {
        return Ok(Takedown::Unchanged { headline: article.headline });
    }
    let entry = LogEntry {
        actor_id: actor,
        action: if down { LogAction::Unpublish } else { LogAction::Republish },
        comment_id: None,
        target_user_id: None,
        article_id: Some(article.id),
        reason: "",
        details: "",
    };
    moderation::record(conn, &entry, now)?;
    Ok(Takedown::Done { article_id: article.id, headline: article.headline })
}

/// `newsdesk unpublish` / `republish`: the same change in a transaction of
/// its own. The caller then tells running servers
/// (`change_relay::tell_running_servers`).
pub fn from_command_line(conn: &mut DbConn, slug: &str, down: bool, now: NaiveDateTime) -> QueryResult<Takedown> {
    crate::db::write_transaction(conn, |conn| set_down(conn, slug, down, None, now))
}
