//! A reader mutes another reader (from one of their comments) or unmutes
//! them (from the account page).

use super::announce;
use super::comments::permalink;
use crate::changes::Change;
use crate::db::DbConn;
use crate::error::AppError;
use crate::models::discussion::Discussion;
use crate::models::mute::Mute;
use crate::models::{Article, Comment, Role, User};
use crate::permissions;
use crate::state::{AppState, now};

/// Why a reader cannot be muted from this comment.
#[derive(Debug, PartialEq, Eq)]
pub enum MuteRefusal {
    OwnComment,
    Staff,
    /// Removed, deleted or held: nobody to mute from here.
    NotShown,
}

impl MuteRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            MuteRefusal::OwnComment => "You cannot mute yourself.",
            MuteRefusal::Staff => {
                "Members of the newsroom's staff cannot be muted: their comments carry the newsroom's word on the discussion."
            }
            MuteRefusal::NotShown => "That comment is no longer shown, so its author cannot be muted from it.",
        }
    }
}

/// The comment, its article and its author, when `reader` may mute the
/// author from it; `already` when they have.
pub struct MuteTarget {
    pub comment: Comment,
    pub article: Article,
    pub author: User,
    pub already: bool,
}

fn check(reader: &User, comment: &Comment, author: &User) -> Result<(), MuteRefusal> {
    if permissions::is_author(Some(reader), comment) {
        return Err(MuteRefusal::OwnComment);
    }
    if author.role() != Role::Reader {
        return Err(MuteRefusal::Staff);
    }
    match permissions::may_mute(Some(reader), comment, author.role()) {
        true => Ok(()),
        false => Err(MuteRefusal::NotShown),
    }
}

/// Comment `id` on a story readers can see, its story and its author,
/// when `reader` may mute the author from it.
fn checked(
    conn: &mut DbConn,
    reader: &User,
    id: i32,
    now: chrono::NaiveDateTime,
) -> Result<Result<(Comment, Article, User), MuteRefusal>, AppError> {
    let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
    let article = Article::published_by_id(conn, comment.article_id, now)??;
    let author = User::by_id(conn, comment.user_id)?.ok_or(AppError::NotFound)?;
    Ok(check(reader, &comment, &author).map(|()| (comment, article, author)))
}

/// What the "Mute this reader?" page shows.
pub async fn target(state: &AppState, reader: &User, id: i32) -> Result<Result<MuteTarget, MuteRefusal>, AppError> {
    let reader = reader.clone();
    let now = now();
    state
        .db
        .run(move |conn| {
            let (comment, article, author) = match checked(conn, &reader, id, now)? {
                Ok(found) => found,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let already = reader.muted_count > 0 && Mute::ids_of(conn, reader.id)?.contains(&author.id);
            Ok(Ok(MuteTarget { comment, article, author, already }))
        })
        .await
}

/// Mutes the author of comment `id` for `reader`, and returns where the
/// comment is (it now shows folded there).
pub async fn mute(state: &AppState, reader: &User, id: i32) -> Result<Result<String, MuteRefusal>, AppError> {
    let reader = reader.clone();
    let reader_id = reader.id;
    let now = now();
    let outcome = state
        .db
        .write(move |conn| {
            let (comment, article, author) = match checked(conn, &reader, id, now)? {
                Ok(found) => found,
                Err(refusal) => return Ok(Err(refusal)),
            };
            Mute::add(conn, &reader, author.id, now)?;
            let page = Discussion::page_of(conn, &comment)?;
            Ok(Ok(permalink(&article.slug, page, id)))
        })
        .await?;
    if outcome.is_ok() {
        // Their account (its count of mutes and of new replies) and their
        // own copies of pages; nobody else's page changes.
        announce(state, [Change::Account { user_id: reader_id }]);
    }
    Ok(outcome)
}

/// Unmutes `muted` for `reader`; nothing when they had not muted them.
pub async fn unmute(state: &AppState, reader: &User, muted: i32) -> Result<(), AppError> {
    let reader = reader.clone();
    let reader_id = reader.id;
    let changed = state.db.write(move |conn| Ok(Mute::remove(conn, &reader, muted)?)).await?;
    if changed {
        announce(state, [Change::Account { user_id: reader_id }]);
    }
    Ok(())
}

/// The readers `reader` muted, for their account page.
pub async fn muted_by(state: &AppState, reader: &User) -> Result<Vec<crate::models::mute::Muted>, AppError> {
    if reader.muted_count == 0 {
        return Ok(Vec::new());
    }
    let id = reader.id;
    state.db.run(move |conn| Ok(Mute::list(conn, id)?)).await
}
