//! Trust: a reader's record decides whether their comments wait for a
//! moderator. A new account's comments are held until it has
//! `trusted_after` approved ones (when the site holds new accounts); a
//! reader with `premoderate_after` removals within `removal_window_days`
//! goes back to pre-moderation (every comment held) until a moderator ends
//! it. Staff are the newsroom's own and never held for who they are.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::comment::CommentStatus::{Published, Removed};
use super::moderation::{self, LogAction, LogEntry};
use super::settings::SiteSettings;
use super::{Role, User};
use crate::db::DbConn;
use crate::db::schema::{comments, users};

/// Why a new comment by `author` is held for who wrote it, if it is.
pub fn hold_reason(conn: &mut DbConn, author: &User, settings: &SiteSettings) -> QueryResult<Option<String>> {
    if author.role() != Role::Reader {
        return Ok(None);
    }
    if author.premoderated_at.is_some() {
        return Ok(Some("the account is on pre-moderation".into()));
    }
    if settings.hold_first_comment && approved_up_to(conn, author.id, settings.trusted_after)? < settings.trusted_after
    {
        return Ok(Some(match settings.trusted_after {
            1 => "first comment of a new account".into(),
            n => format!("new account: fewer than {n} approved comments"),
        }));
    }
    Ok(None)
}

/// Why an edit by `author` is held for who wrote it: only pre-moderation
/// (a new account's approved comment stays approved when edited).
pub fn edit_hold_reason(author: &User) -> Option<String> {
    (author.role() == Role::Reader && author.premoderated_at.is_some())
        .then(|| "the account is on pre-moderation".into())
}

/// How many of the reader's comments were approved (published), counting
/// no further than `enough`: the question is only whether they reach it.
fn approved_up_to(conn: &mut DbConn, user_id: i32, enough: i64) -> QueryResult<i64> {
    let ids: Vec<i32> = comments::table
        .filter(comments::user_id.eq(user_id))
        .filter(comments::status.eq(Published.as_str()))
        .select(comments::id)
        .limit(enough)
        .load(conn)?;
    Ok(ids.len() as i64)
}

/// After a removal of comments by `authors`: puts each reader who now has
/// too many removals within the window on pre-moderation, logged as the
/// rule's doing. Returns who changed, so their accounts can be announced.
pub fn review_after_removals(
    conn: &mut DbConn,
    authors: &[i32],
    settings: &SiteSettings,
    now: NaiveDateTime,
) -> QueryResult<Vec<i32>> {
    if settings.premoderate_after == 0 {
        return Ok(Vec::new());
    }
    let since = now - TimeDelta::days(settings.removal_window_days);
    let mut changed = Vec::new();
    for &id in authors {
        let Some(user) = User::by_id(conn, id)? else { continue };
        if user.role() != Role::Reader || user.premoderated_at.is_some() || user.deleted_at.is_some() {
            continue;
        }
        let removals: i64 = comments::table
            .filter(comments::user_id.eq(id))
            .filter(comments::status.eq(Removed.as_str()))
            .filter(comments::moderated_at.ge(since))
            .count()
            .get_result(conn)?;
        if removals < settings.premoderate_after {
            continue;
        }
        let reason = format!("{removals} comments removed within {} days", settings.removal_window_days);
        set(conn, id, Some(&reason), None, now)?;
        changed.push(id);
    }
    Ok(changed)
}

/// Puts a reader on pre-moderation (`reason`) or ends it (None), logged
/// with the moderator who did it, or none when the rule did.
pub fn set(
    conn: &mut DbConn,
    user_id: i32,
    reason: Option<&str>,
    actor_id: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::premoderated_at.eq(reason.map(|_| now)),
            users::premoderation_reason.eq(reason.unwrap_or_default()),
        ))
        .execute(conn)?;
    let entry = LogEntry {
        actor_id,
        action: if reason.is_some() { LogAction::Premoderate } else { LogAction::EndPremoderation },
        comment_id: None,
        target_user_id: Some(user_id),
        article_id: None,
        reason: reason.unwrap_or_default(),
        details: "",
    };
    moderation::record(conn, &entry, now)
}
