//! Staff acting on accounts: bans, roles and pre-moderation. The site always keeps an
//! admin who can act: the check and the change share one transaction, with
//! the admins' rows locked, so two at once cannot both pass it.

use super::announce;
use crate::changes::Change;
use crate::db::{DbConn, write_transaction};
use crate::error::AppError;
use crate::models::moderation::{self, LogAction, LogEntry, RoleChange};
use crate::models::session::SessionRow;
use crate::models::user::BanLength;
use crate::models::{Role, User, trust};
use crate::permissions;
use crate::state::{AppState, now};

/// What became of a ban (or a role change) that was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountChange {
    Done,
    /// Refused: it would leave the site without an admin who can act.
    LastAdmin,
    /// Refused: its owner deleted the account.
    Deleted,
}

/// The account a ban or role change is for: refused outright (403) if the
/// actor may not touch it, or `Deleted` (with its id) if its owner left.
fn live_target(
    conn: &mut DbConn,
    actor: &User,
    username: &str,
    allowed: fn(&User, &User) -> bool,
) -> Result<Result<User, (AccountChange, i32)>, AppError> {
    let target = User::by_username(conn, username)?.ok_or(AppError::NotFound)?;
    if target.deleted_at.is_some() {
        return Ok(Err((AccountChange::Deleted, target.id)));
    }
    if !allowed(actor, &target) {
        return Err(AppError::Forbidden);
    }
    Ok(Ok(target))
}

/// Bans an account for a while or for good, and ends its sessions at once.
pub async fn ban(
    state: &AppState,
    actor: &User,
    username: &str,
    length: BanLength,
    reason: &str,
) -> Result<AccountChange, AppError> {
    let (actor, username, reason, now) = (actor.clone(), username.to_string(), reason.to_string(), now());
    let (outcome, target) = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let target = match live_target(conn, &actor, &username, permissions::may_ban)? {
                    Ok(target) => target,
                    Err(deleted) => return Ok(deleted),
                };
                if moderation::protects_last_admin(conn, &target, now)? {
                    return Ok((AccountChange::LastAdmin, target.id));
                }
                User::ban(conn, target.id, length, &reason, now)?;
                // Their open sessions end now, not at their next log-in.
                SessionRow::delete_for_user(conn, target.id)?;
                let details = match length {
                    BanLength::Days(1) => "1 day".to_string(),
                    BanLength::Days(days) => format!("{days} days"),
                    BanLength::Permanent => "permanent".to_string(),
                };
                let entry = LogEntry {
                    actor_id: Some(actor.id),
                    action: LogAction::Ban,
                    comment_id: None,
                    target_user_id: Some(target.id),
                    article_id: None,
                    reason: &reason,
                    details: &details,
                };
                moderation::record(conn, &entry, now)?;
                Ok((AccountChange::Done, target.id))
            })
        })
        .await?;
    if outcome == AccountChange::Done {
        announce(state, [Change::Account { user_id: target }, Change::ModerationLog]);
    }
    Ok(outcome)
}

/// A staff member's change to an account that `may` allows: in one
/// transaction with the check, then the account is announced so every
/// instance's held copy of it goes at once.
async fn change_account<F>(
    state: &AppState,
    actor: &User,
    username: &str,
    may: fn(&User, &User) -> bool,
    change: F,
) -> Result<(), AppError>
where
    F: FnOnce(&mut DbConn, &User, &User) -> diesel::QueryResult<()> + Send + 'static,
{
    let (actor, username) = (actor.clone(), username.to_string());
    let target = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let target = User::by_username(conn, &username)?.ok_or(AppError::NotFound)?;
                if !may(&actor, &target) {
                    return Err(AppError::Forbidden);
                }
                change(conn, &actor, &target)?;
                Ok(target.id)
            })
        })
        .await?;
    announce(state, [Change::Account { user_id: target }]);
    Ok(())
}

/// Lifts a ban.
pub async fn unban(state: &AppState, actor: &User, username: &str) -> Result<(), AppError> {
    let now = now();
    change_account(state, actor, username, permissions::may_unban, move |conn, actor, target| {
        User::unban(conn, target.id)?;
        let entry = LogEntry {
            actor_id: Some(actor.id),
            action: LogAction::Unban,
            comment_id: None,
            target_user_id: Some(target.id),
            article_id: None,
            reason: "",
            details: "",
        };
        moderation::record(conn, &entry, now)
    })
    .await
}

/// Gives an account another role (admins only).
pub async fn change_role(
    state: &AppState,
    actor: &User,
    username: &str,
    role: Role,
) -> Result<AccountChange, AppError> {
    let (actor, username, now) = (actor.clone(), username.to_string(), now());
    let (outcome, target) = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let target = match live_target(conn, &actor, &username, permissions::may_change_role)? {
                    Ok(target) => target,
                    Err(deleted) => return Ok(deleted),
                };
                let outcome = match moderation::change_role(conn, &username, role, Some(actor.id), now)? {
                    RoleChange::Done => AccountChange::Done,
                    RoleChange::LastAdmin => AccountChange::LastAdmin,
                    RoleChange::Deleted => AccountChange::Deleted,
                    RoleChange::NoSuchUser => return Err(AppError::NotFound),
                };
                Ok((outcome, target.id))
            })
        })
        .await?;
    if outcome == AccountChange::Done {
        announce(state, [Change::Account { user_id: target }]);
    }
    Ok(outcome)
}

/// Puts a reader on pre-moderation with a moderator's reason, or ends it
/// (`reason` None). Logged; the reader's account is announced, so their
/// next comment is held (or not) on every instance at once.
pub async fn set_premoderation(
    state: &AppState,
    actor: &User,
    username: &str,
    reason: Option<String>,
) -> Result<(), AppError> {
    let now = now();
    change_account(state, actor, username, permissions::may_premoderate, move |conn, actor, target| {
        match target.premoderated_at.is_some() == reason.is_some() {
            true => Ok(()),
            false => trust::set(conn, target.id, reason.as_deref(), Some(actor.id), now),
        }
    })
    .await
}
