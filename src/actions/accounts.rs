//! Readers' own accounts: signing up, logging in, a new password, leaving,
//! and marking replies as read. Password hashing is slow by design, so it
//! runs on the blocking pool and never inside a transaction other writes
//! would wait for.

use super::announce;
use crate::changes::Change;
use crate::db::DbConn;
use crate::error::AppError;
use crate::models::rate_limit::{self, Limited};
use crate::models::user::{CreateError, Erasure, Role};
use crate::models::{User, email, replies};
use crate::security::passwords;
use crate::state::{AppState, now};

fn too_many(limited: Limited) -> AppError {
    AppError::TooManyRequests { retry_after_secs: limited.retry_after_secs() }
}

/// The rate-limit key for guesses at one account's password: log-in, and
/// the forms that ask a logged-in reader for theirs, share it, so a stolen
/// session cannot be used to guess the password faster than log-in allows.
fn password_attempts_key(username: &str) -> String {
    format!("login-account:{}", crate::models::user::username_key(username))
}

/// How a log-in attempt ended (over a rate limit, it is an error: 429).
pub enum LogIn {
    Welcome(User),
    Banned(User),
    /// No such account, a deleted one, or the wrong password: the same
    /// answer, at the same cost.
    Failed,
}

/// Checks a username and password. Both limits count every attempt: the
/// account's guards a password, the address's stops one machine trying
/// many accounts.
pub async fn log_in(state: &AppState, network: &str, username: &str, password: String) -> Result<LogIn, AppError> {
    let limits = state.config.limits;
    let (by_address, by_account, lookup, now) =
        (format!("login-ip:{network}"), password_attempts_key(username), username.to_string(), now());
    let user = state
        .db
        .run(move |conn| {
            rate_limit::check(conn, &by_address, limits.login_per_ip, now)?.map_err(too_many)?;
            rate_limit::check(conn, &by_account, limits.login_per_account, now)?.map_err(too_many)?;
            // A deleted account is an unknown one, checked at the same cost.
            let user = User::by_username(conn, &lookup)?.filter(|u| u.deleted_at.is_none());
            let valid = passwords::verify(&password, user.as_ref().map(|u| u.password_hash.as_str()));
            Ok(user.filter(|_| valid))
        })
        .await?;
    Ok(match user {
        Some(user) if user.is_banned(now) => LogIn::Banned(user),
        Some(user) => LogIn::Welcome(user),
        None => LogIn::Failed,
    })
}

/// Creates a reader's account (the fields already checked by the form),
/// with their e-mail address if they gave one: a confirmation mail is
/// queued in the same transaction. A name or an address taken (in any
/// case, even by a sign-up racing this one) refuses the whole sign-up.
pub async fn sign_up(
    state: &AppState,
    network: &str,
    username: &str,
    display_name: &str,
    email: Option<String>,
    password: String,
) -> Result<Result<User, CreateError>, AppError> {
    let (key, rule, now) = (format!("signup-ip:{network}"), state.config.limits.signup_per_ip, now());
    let (name, shown, letterhead) = (username.to_string(), display_name.to_string(), state.mail.letterhead.clone());
    let with_address = email.is_some();
    let created = state
        .db
        .run(move |conn| {
            rate_limit::check(conn, &key, rule, now)?.map_err(too_many)?;
            let hash = passwords::hash(&password).map_err(AppError::Internal)?;
            let created = crate::db::write_transaction(conn, |conn| {
                let user = User::create(conn, &name, &shown, &hash, Role::Reader, now)?.map_err(Refused::Taken)?;
                if let Some(address) = &email {
                    if email::set_address(conn, user.id, Some(address))?.is_err() {
                        return Err(Refused::Taken(CreateError::EmailTaken));
                    }
                    super::email::queue_confirmation(conn, &letterhead, &user, address, now)?;
                }
                Ok(user)
            });
            match created {
                Ok(user) => Ok(Ok(user)),
                Err(Refused::Taken(why)) => Ok(Err(why)),
                Err(Refused::Failed(error)) => Err(error.into()),
            }
        })
        .await?;
    if created.is_ok() && with_address {
        state.mail.bell.ring();
    }
    Ok(created)
}

/// Why a sign-up's transaction was rolled back.
enum Refused {
    Taken(CreateError),
    Failed(diesel::result::Error),
}

impl From<diesel::result::Error> for Refused {
    fn from(error: diesel::result::Error) -> Self {
        Refused::Failed(error)
    }
}

/// Runs `work` only when `password` is the logged-in reader's own (None
/// when it is not). Each try counts against the account's log-in limit.
async fn with_own_password<T: Send + 'static>(
    state: &AppState,
    user: &User,
    password: String,
    work: impl FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
) -> Result<Option<T>, AppError> {
    let (key, rule, now) = (password_attempts_key(&user.username), state.config.limits.login_per_account, now());
    let stored = user.password_hash.clone();
    state
        .db
        .run(move |conn| {
            rate_limit::check(conn, &key, rule, now)?.map_err(too_many)?;
            match passwords::verify(&password, Some(&stored)) {
                true => work(conn).map(Some),
                false => Ok(None),
            }
        })
        .await
}

/// Sets a new password when `current` is right; every session the account
/// had ends (the caller starts a new one for this browser). False when
/// `current` is wrong.
pub async fn change_password(state: &AppState, user: &User, current: String, new: String) -> Result<bool, AppError> {
    let (id, now) = (user.id, now());
    let changed = with_own_password(state, user, current, move |conn| {
        let hash = passwords::hash(&new).map_err(AppError::Internal)?;
        Ok(User::replace_password(conn, id, &hash, now)?)
    })
    .await?;
    if changed.is_some() {
        announce(state, [Change::Account { user_id: id }]);
    }
    Ok(changed.is_some())
}

/// The reader deletes their own account, confirming with their password;
/// None when the password is wrong.
pub async fn delete_account(state: &AppState, user: &User, password: String) -> Result<Option<Erasure>, AppError> {
    let (id, now) = (user.id, now());
    if with_own_password(state, user, password, |_| Ok(())).await?.is_none() {
        return Ok(None);
    }
    // On the writer: erasing turns every comment of theirs into a tombstone,
    // which updates the figures of every discussion they joined.
    let outcome = state.db.write(move |conn| Ok(User::erase(conn, id, now)?)).await?;
    if outcome == Erasure::Done {
        // Their name leaves every comment they wrote, and the text with it.
        announce(state, [Change::Account { user_id: id }]);
    }
    Ok(Some(outcome))
}

/// Marks every reply to the reader as read.
pub async fn mark_replies_seen(state: &AppState, user: &User) -> Result<(), AppError> {
    let (id, now) = (user.id, now());
    state.db.run(move |conn| Ok(replies::mark_seen(conn, id, now)?)).await?;
    // Only the header's count changes, and only for them: no page is stale,
    // but the account held in memory is (other instances read it again
    // within a second).
    state.accounts.remove(&id);
    Ok(())
}
