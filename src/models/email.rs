//! Readers' e-mail addresses and the single-use tokens mailed to them
//! (confirm an address, reset a password). One account per address,
//! compared case-insensitively through `users.email_key`, whose unique
//! index decides between two sign-ups racing for one address. A token is
//! kept only as its SHA-256, so the table cannot be used to open links.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::DbConn;
use crate::db::schema::{email_tokens, users};
use crate::models::User;

text_values! {
    /// What a mailed link does.
    pub enum Purpose {
        Confirm = "confirm",
        Reset = "reset",
    }
}

impl Purpose {
    /// How long a link of this kind works.
    pub fn lifetime(self) -> TimeDelta {
        match self {
            Purpose::Confirm => TimeDelta::hours(48),
            // A reset link opens the account: short-lived.
            Purpose::Reset => TimeDelta::hours(1),
        }
    }
}

/// The longest address SMTP carries (RFC 5321's path limit, less the brackets).
pub const MAX_ADDRESS_CHARS: usize = 254;

/// The lookup form of an address: the whole address case-folded. (Strictly
/// the part before the @ may be case-sensitive; no mail provider in use
/// treats it so, and two accounts for Ann@ and ann@ would be one person.)
pub fn email_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Checks an address as typed; returns it trimmed.
pub fn check_address(raw: &str) -> Result<String, &'static str> {
    let address = raw.trim();
    if address.chars().count() > MAX_ADDRESS_CHARS {
        return Err("That e-mail address is too long.");
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("Enter an e-mail address like name@example.org.");
    };
    let plain = |part: &str| !part.is_empty() && !part.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plain(local) || !plain(domain) || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err("Enter an e-mail address like name@example.org.");
    }
    // What the mail library can put in a To header is what we accept.
    if address.parse::<lettre::Address>().is_err() {
        return Err("That e-mail address is not one we can send mail to. Check it for typing mistakes.");
    }
    Ok(address.to_string())
}

/// The address belongs to another account.
#[derive(Debug, PartialEq, Eq)]
pub struct AddressTaken;

fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// Sets (or with None removes) a reader's address, unconfirmed; their
/// earlier confirmation links stop working. Inside the caller's
/// transaction; the change runs in a savepoint, so a lost race for the
/// address leaves the transaction usable.
pub fn set_address(conn: &mut DbConn, user_id: i32, address: Option<&str>) -> QueryResult<Result<(), AddressTaken>> {
    let key = address.map(email_key);
    if let Some(key) = &key {
        let other: Option<i32> = users::table
            .filter(users::email_key.eq(key))
            .filter(users::id.ne(user_id))
            .select(users::id)
            .first(conn)
            .optional()?;
        if other.is_some() {
            return Ok(Err(AddressTaken));
        }
    }
    let updated = conn.transaction(|conn| {
        diesel::update(users::table.find(user_id))
            .set((
                users::email.eq(address),
                users::email_key.eq(key.as_deref()),
                users::email_confirmed_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    });
    match updated {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Ok(Err(AddressTaken)),
        Err(error) => return Err(error),
    }
    diesel::delete(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(Purpose::Confirm.as_str()))
            .filter(email_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    Ok(Ok(()))
}

/// Changes only how the address is written (its case): the same mailbox,
/// so a confirmation stands.
pub fn respell_address(conn: &mut DbConn, user_id: i32, address: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id).filter(users::email_key.eq(email_key(address))))
        .set(users::email.eq(address))
        .execute(conn)
        .map(|_| ())
}

/// Marks the address confirmed, if it is still the account's.
pub fn confirm_address(conn: &mut DbConn, user_id: i32, address: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        users::table.find(user_id).filter(users::email_key.eq(email_key(address))).filter(users::deleted_at.is_null()),
    )
    .set(users::email_confirmed_at.eq(Some(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The account with this address, in any case.
pub fn user_by_address(conn: &mut DbConn, address: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email_key.eq(email_key(address)))
        .filter(users::deleted_at.is_null())
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Chooses the reader's notifications. Choosing the digest starts its
/// day now, so the first one comes a day later.
pub fn set_notifications(
    conn: &mut DbConn,
    user_id: i32,
    choice: Notifications,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if choice.digest {
        // Only when switching to the digest: saving the form again does
        // not put the next digest off.
        diesel::update(users::table.find(user_id).filter(users::notify_digest.eq(false)))
            .set(users::digest_sent_at.eq(Some(now)))
            .execute(conn)?;
    }
    diesel::update(users::table.find(user_id))
        .set((
            users::notify_replies.eq(choice.replies),
            users::notify_featured.eq(choice.featured),
            users::notify_removed.eq(choice.removed),
            users::notify_digest.eq(choice.digest),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Which notifications a reader wants, and how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Notifications {
    pub replies: bool,
    pub featured: bool,
    pub removed: bool,
    /// Gathered into one mail a day rather than sent at once.
    pub digest: bool,
}

impl Notifications {
    pub fn of(user: &User) -> Notifications {
        Notifications {
            replies: user.notify_replies,
            featured: user.notify_featured,
            removed: user.notify_removed,
            digest: user.notify_digest,
        }
    }
}

/// Turns one notification (or all) off: the unsubscribe link.
pub fn turn_off(conn: &mut DbConn, user_id: i32, topic: crate::mail::unsubscribe::Topic) -> QueryResult<bool> {
    use crate::mail::unsubscribe::Topic;
    let target = users::table.find(user_id);
    let changed = match topic {
        Topic::Replies => diesel::update(target).set(users::notify_replies.eq(false)).execute(conn)?,
        Topic::Featured => diesel::update(target).set(users::notify_featured.eq(false)).execute(conn)?,
        Topic::Removed => diesel::update(target).set(users::notify_removed.eq(false)).execute(conn)?,
        Topic::All => diesel::update(target)
            .set((users::notify_replies.eq(false), users::notify_featured.eq(false), users::notify_removed.eq(false)))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// A stored token (never the token itself).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    pub id: i32,
    pub user_id: i32,
    #[diesel(deserialize_as = String)]
    pub purpose: Purpose,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// What a link's token turned out to be.
#[derive(Clone, Debug)]
pub enum TokenState {
    Valid(EmailToken),
    Expired(EmailToken),
    Used(EmailToken),
    Unknown,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Makes a token for a link; returns the token to mail (only its hash is kept).
pub fn issue(
    conn: &mut DbConn,
    user_id: i32,
    purpose: Purpose,
    address: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose.as_str()),
            email_tokens::token_hash.eq(digest(&token)),
            email_tokens::email.eq(address),
            email_tokens::created_at.eq(now),
            email_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Looks a link's token up, without using it.
pub fn look_up(conn: &mut DbConn, purpose: Purpose, token: &str, now: NaiveDateTime) -> QueryResult<TokenState> {
    let found = email_tokens::table
        .filter(email_tokens::token_hash.eq(digest(token)))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .select(EmailToken::as_select())
        .first(conn)
        .optional()?;
    Ok(match found {
        None => TokenState::Unknown,
        Some(found) if found.used_at.is_some() => TokenState::Used(found),
        Some(found) if found.expires_at <= now => TokenState::Expired(found),
        Some(found) => TokenState::Valid(found),
    })
}

/// Uses a token up: true only for the one request that did, even when two
/// race (the UPDATE names the state it expects).
pub fn use_up(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        email_tokens::table.find(id).filter(email_tokens::used_at.is_null()).filter(email_tokens::expires_at.gt(now)),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// A reader's tokens, for their data export.
pub fn tokens_of(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<EmailToken>> {
    email_tokens::table
        .filter(email_tokens::user_id.eq(user_id))
        .order(email_tokens::id)
        .select(EmailToken::as_select())
        .load(conn)
}

/// Account deletion: the address, its confirmation, the notifications
/// chosen and every token go.
pub fn erase_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<()> {
    diesel::delete(email_tokens::table.filter(email_tokens::user_id.eq(user_id))).execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(None::<String>),
            users::email_key.eq(None::<String>),
            users::email_confirmed_at.eq(None::<NaiveDateTime>),
            users::notify_replies.eq(false),
            users::notify_featured.eq(false),
            users::notify_removed.eq(false),
            users::notify_digest.eq(false),
            users::digest_sent_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}
