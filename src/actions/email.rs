//! A reader's e-mail address and what mail does for them: confirming the
//! address, resetting a forgotten password, choosing notifications and
//! unsubscribing. Every message is queued in the transaction that caused
//! it and sent by the mail worker (`mail`), which is rung after the commit.

use chrono::NaiveDateTime;

use super::announce;
use crate::changes::Change;
use crate::db::{DbConn, write_transaction};
use crate::error::AppError;
use crate::mail::queue::{self, Outgoing};
use crate::mail::unsubscribe::{self, Topic};
use crate::mail::{Letterhead, MailKind, compose};
use crate::models::User;
use crate::models::email::{self, AddressTaken, Notifications, Purpose, TokenState};
use crate::models::rate_limit::{self, Limited};
use crate::security::passwords;
use crate::state::{AppState, now};

fn too_many(limited: Limited) -> AppError {
    AppError::TooManyRequests { retry_after_secs: limited.retry_after_secs() }
}

/// Why an address was not saved. The form comes back with what was typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressRefusal {
    Malformed(&'static str),
    Taken,
    /// Too many new addresses (each is a mail to someone) in a short time.
    TooFast(Limited),
}

impl AddressRefusal {
    pub fn message(&self) -> String {
        match self {
            AddressRefusal::Malformed(why) => (*why).into(),
            AddressRefusal::Taken => {
                "Another account uses that e-mail address. Use another one, or reset that account's password.".into()
            }
            AddressRefusal::TooFast(limited) => format!(
                "You have changed your address several times in a row. Wait {}, then save it again.",
                crate::views::wait_words(limited.retry_after_secs())
            ),
        }
    }
}

/// Checks an address field as typed: None when left empty.
pub fn parse_address(raw: &str) -> Result<Option<String>, AddressRefusal> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    email::check_address(raw).map(Some).map_err(AddressRefusal::Malformed)
}

/// Queues the mail asking the reader to confirm `address` (inside the
/// caller's transaction).
pub fn queue_confirmation(
    conn: &mut DbConn,
    letterhead: &Letterhead,
    user: &User,
    address: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let token = email::issue(conn, user.id, Purpose::Confirm, address, now)?;
    let link = letterhead.link(&format!("/email/confirm?token={token}"));
    let text = compose::confirm(&letterhead.site_name, &user.display_name, address, &link);
    let mail = Outgoing {
        user_id: Some(user.id),
        recipient: address,
        subject: &text.subject,
        body: &text.body,
        kind: MailKind::Confirm,
        unsubscribe_url: None,
    };
    queue::enqueue(conn, &mail, &letterhead.host, now).map(|_| ())
}

/// Sets, changes or (with an empty field) removes the reader's address;
/// a new address is unconfirmed and a confirmation mail is queued.
/// Returns the address now on the account.
pub async fn set_address(
    state: &AppState,
    user: &User,
    raw: &str,
) -> Result<Result<Option<String>, AddressRefusal>, AppError> {
    let address = match parse_address(raw) {
        Ok(address) => address,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // The same address saved again: nothing to confirm anew.
    if address.is_some() && address.as_deref() == user.email.as_deref() {
        return Ok(Ok(address));
    }
    // The same address spelled in another case: the same mailbox, still
    // confirmed if it was.
    if let (Some(new), Some(old)) = (&address, &user.email)
        && email::email_key(new) == email::email_key(old)
    {
        let (id, spelled) = (user.id, new.clone());
        state.db.run(move |conn| Ok(email::respell_address(conn, id, &spelled)?)).await?;
        after_account_change(state, &[id]);
        return Ok(Ok(address));
    }
    let (id, user, letterhead, now) = (user.id, user.clone(), state.mail.letterhead.clone(), now());
    let rule = state.config.limits.confirm_mail_per_user;
    let saved = address.clone();
    let outcome = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                if saved.is_some() {
                    // Each new address is a mail to someone: limited like a resend.
                    let key = format!("confirm-mail:{}", user.id);
                    if let Err(limited) = rate_limit::check_within(conn, &key, rule, now)? {
                        return Ok(Err(AddressRefusal::TooFast(limited)));
                    }
                }
                if email::set_address(conn, user.id, saved.as_deref())? == Err(AddressTaken) {
                    return Ok(Err(AddressRefusal::Taken));
                }
                if let Some(address) = &saved {
                    queue_confirmation(conn, &letterhead, &user, address, now)?;
                }
                Ok::<_, AppError>(Ok(()))
            })
        })
        .await?;
    if outcome.is_ok() {
        after_account_change(state, &[id]);
    }
    Ok(outcome.map(|()| address))
}

/// Another confirmation mail for the reader's current address. False when
/// there is nothing to confirm.
pub async fn resend_confirmation(state: &AppState, user: &User) -> Result<bool, AppError> {
    let (Some(address), None) = (user.email.clone(), user.email_confirmed_at) else { return Ok(false) };
    let (user, letterhead, now) = (user.clone(), state.mail.letterhead.clone(), now());
    let rule = state.config.limits.confirm_mail_per_user;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                rate_limit::check_within(conn, &format!("confirm-mail:{}", user.id), rule, now)?.map_err(too_many)?;
                queue_confirmation(conn, &letterhead, &user, &address, now)?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    state.mail.bell.ring();
    Ok(true)
}

/// What a link's token is, without using it (the page a link opens).
pub async fn look_up(state: &AppState, purpose: Purpose, token: &str) -> Result<TokenState, AppError> {
    let (token, now) = (token.to_string(), now());
    state.db.run(move |conn| Ok(email::look_up(conn, purpose, &token, now)?)).await
}

/// How pressing "Confirm" ended.
#[derive(Clone, Debug)]
pub enum Confirmation {
    Confirmed {
        address: String,
    },
    /// The link was for an address the account no longer has.
    AddressChanged,
    Expired,
    Used,
    Unknown,
}

/// Confirms the address a confirmation link was sent to: the token is
/// used up in the same transaction.
pub async fn confirm(state: &AppState, token: &str) -> Result<Confirmation, AppError> {
    let (token, now) = (token.to_string(), now());
    let (outcome, user_id) = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let found = match email::look_up(conn, Purpose::Confirm, &token, now)? {
                    TokenState::Valid(found) => found,
                    TokenState::Expired(_) => return Ok((Confirmation::Expired, None)),
                    TokenState::Used(_) => return Ok((Confirmation::Used, None)),
                    TokenState::Unknown => return Ok((Confirmation::Unknown, None)),
                };
                if !email::use_up(conn, found.id, now)? {
                    return Ok((Confirmation::Used, None));
                }
                if !email::confirm_address(conn, found.user_id, &found.email, now)? {
                    return Ok((Confirmation::AddressChanged, None));
                }
                Ok::<_, AppError>((Confirmation::Confirmed { address: found.email }, Some(found.user_id)))
            })
        })
        .await?;
    if let Some(user_id) = user_id {
        after_account_change(state, &[user_id]);
    }
    Ok(outcome)
}

/// Asks for a password-reset mail. The answer is the same whether or not
/// an account has the address, and takes the same path: the lookup and
/// the queueing happen on the writer, and nothing is sent inline. Limited
/// per address and per network, counted whether or not the address is
/// known. An unconfirmed address may reset too: the mail reaching it is
/// the proof, and using the link confirms it.
pub async fn request_reset(state: &AppState, network: &str, raw: &str) -> Result<(), AppError> {
    let Ok(address) = email::check_address(raw) else { return Ok(()) };
    let limits = state.config.limits;
    let (by_network, by_address) =
        (format!("reset-ip:{network}"), format!("reset-address:{}", email::email_key(&address)));
    let (letterhead, now) = (state.mail.letterhead.clone(), now());
    let queued = state
        .db
        .write(move |conn| {
            rate_limit::check_within(conn, &by_network, limits.reset_per_ip, now)?.map_err(too_many)?;
            rate_limit::check_within(conn, &by_address, limits.reset_per_address, now)?.map_err(too_many)?;
            let Some(user) = email::user_by_address(conn, &address)? else { return Ok(false) };
            // The address as the account holds it: the mail goes where we
            // were told it may, not to a differently spelled copy.
            let Some(on_account) = user.email.clone() else { return Ok(false) };
            let token = email::issue(conn, user.id, Purpose::Reset, &on_account, now)?;
            let link = letterhead.link(&format!("/password/reset?token={token}"));
            let text = compose::reset(&letterhead.site_name, &user.display_name, &link);
            let mail = Outgoing {
                user_id: Some(user.id),
                recipient: &on_account,
                subject: &text.subject,
                body: &text.body,
                kind: MailKind::Reset,
                unsubscribe_url: None,
            };
            queue::enqueue(conn, &mail, &letterhead.host, now)?;
            Ok(true)
        })
        .await?;
    if queued {
        state.mail.bell.ring();
    }
    Ok(())
}

/// How a reset ended.
#[derive(Clone, Debug)]
pub enum Reset {
    /// The new password is set, every session ended; log this browser in.
    Done(Box<User>),
    Expired,
    Used,
    Unknown,
}

/// Sets a new password from a reset link (the password already checked
/// by the form). The token is used up, the password replaced and every
/// session of the account ended in one transaction; the address the link
/// reached counts as confirmed.
pub async fn reset_password(state: &AppState, token: &str, password: String) -> Result<Reset, AppError> {
    let (token, now) = (token.to_string(), now());
    let outcome = state
        .db
        .run(move |conn| {
            match email::look_up(conn, Purpose::Reset, &token, now)? {
                TokenState::Valid(_) => {}
                TokenState::Expired(_) => return Ok(Reset::Expired),
                TokenState::Used(_) => return Ok(Reset::Used),
                TokenState::Unknown => return Ok(Reset::Unknown),
            }
            // Slow by design: outside the transaction.
            let hash = passwords::hash(&password).map_err(AppError::Internal)?;
            write_transaction(conn, |conn| {
                let TokenState::Valid(found) = email::look_up(conn, Purpose::Reset, &token, now)? else {
                    return Ok(Reset::Used);
                };
                if !email::use_up(conn, found.id, now)? {
                    return Ok(Reset::Used);
                }
                User::replace_password(conn, found.user_id, &hash, now)?;
                email::confirm_address(conn, found.user_id, &found.email, now)?;
                let user = User::by_id(conn, found.user_id)?.ok_or(AppError::NotFound)?;
                Ok::<_, AppError>(Reset::Done(Box::new(user)))
            })
        })
        .await?;
    if let Reset::Done(user) = &outcome {
        // Every session of the account is gone: copies held anywhere go too.
        announce(state, [Change::Account { user_id: user.id }]);
    }
    Ok(outcome)
}

/// Saves the reader's choice of notifications.
pub async fn set_notifications(state: &AppState, user: &User, choice: Notifications) -> Result<(), AppError> {
    let (id, now) = (user.id, now());
    state
        .db
        .run(move |conn| write_transaction(conn, |conn| Ok(email::set_notifications(conn, id, choice, now)?)))
        .await?;
    after_account_change(state, &[id]);
    Ok(())
}

/// One-click unsubscribe: the signed token says who and from what. None
/// when the token is not one we signed.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<Option<Topic>, AppError> {
    let Some((user_id, topic)) = unsubscribe::verify(&state.mail.letterhead.unsubscribe_key, token) else {
        return Ok(None);
    };
    state.db.run(move |conn| write_transaction(conn, |conn| Ok(email::turn_off(conn, user_id, topic)?))).await?;
    after_account_change(state, &[user_id]);
    Ok(Some(topic))
}

/// The account held in memory is stale (no page shows an address or a
/// choice of notifications; other instances read it again within a
/// second). A queued message rings the worker.
fn after_account_change(state: &AppState, ids: &[i32]) {
    for id in ids {
        state.accounts.remove(id);
    }
    state.mail.bell.ring();
}
