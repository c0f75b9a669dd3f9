use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::users;

text_values! {
    /// What a person may do on the site, least to most.
    pub enum Role {
        Reader = "reader",
        Moderator = "moderator",
        Admin = "admin",
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub created_at: NaiveDateTime,
    pub banned_at: Option<NaiveDateTime>,
    pub banned_until: Option<NaiveDateTime>,
    pub ban_reason: Option<String>,
    /// Set when the reader deleted their account (see `User::erase`).
    pub deleted_at: Option<NaiveDateTime>,
    /// When they last marked the replies to their comments as read.
    pub replies_seen_at: Option<NaiveDateTime>,
    /// Replies to them since then, kept by triggers (see the
    /// `unseen_reply_counts` migration).
    pub unseen_replies: i32,
    /// How many readers they muted, kept by triggers (see the `mutes`
    /// migration): pages look the list up only when it is not zero.
    pub muted_count: i32,
    /// Every comment of theirs is held for review from then on, until a
    /// moderator ends it (see models/trust.rs).
    pub premoderated_at: Option<NaiveDateTime>,
    pub premoderation_reason: String,
    /// Their e-mail address, if they gave one (`models::email`).
    pub email: Option<String>,
    /// When they proved the address is theirs; mail other than the
    /// confirmation itself goes only to a confirmed address.
    pub email_confirmed_at: Option<NaiveDateTime>,
    /// The notifications they chose, and whether as a daily digest.
    pub notify_replies: bool,
    pub notify_featured: bool,
    pub notify_removed: bool,
    pub notify_digest: bool,
}

/// How long a ban lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BanLength {
    Days(i64),
    Permanent,
}

impl User {
    /// Whether this account may hold a session: not banned, not deleted.
    pub fn may_sign_in(&self, now: NaiveDateTime) -> bool {
        !self.is_banned(now) && self.deleted_at.is_none()
    }

    /// Banned now: a permanent ban, or a timed one not yet over.
    pub fn is_banned(&self, now: NaiveDateTime) -> bool {
        self.banned_at.is_some() && self.banned_until.is_none_or(|until| until > now)
    }

    pub fn role(&self) -> Role {
        self.role
    }
}

/// The lookup form of a username: usernames are unique whatever their case.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// Checks a username: 3–30 letters, digits, `_` or `-`.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    let length = username.chars().count();
    if !(3..=30).contains(&length) {
        return Err("Choose a username of 3 to 30 characters.");
    }
    if !username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err("Use only letters, digits, _ and - in your username.");
    }
    Ok(())
}

/// Checks a display name: 1–50 visible characters.
pub fn check_display_name(name: &str) -> Result<(), &'static str> {
    let length = name.chars().count();
    if length == 0 {
        return Err("Enter the name to show with your comments.");
    }
    if length > 50 {
        return Err("Choose a display name of at most 50 characters.");
    }
    if name.chars().any(char::is_control) {
        return Err("Your display name contains invisible control characters.");
    }
    Ok(())
}

/// The name a deleted account shows wherever it still appears.
pub const DELETED_NAME: &str = "Deleted account";

#[derive(Debug, PartialEq, Eq)]
pub enum Erasure {
    Done,
    /// Refused: the site would be left without an admin.
    LastAdmin,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    UsernameTaken,
    /// Another account has this e-mail address (in any case).
    EmailTaken,
}

impl User {
    pub fn by_id(conn: &mut DbConn, id: i32) -> QueryResult<Option<User>> {
        users::table.find(id).select(User::as_select()).first(conn).optional()
    }

    pub fn by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username_key.eq(username_key(username)))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Creates an account; a name taken in any case is refused, even when two
    /// sign-ups race (the unique index decides).
    pub fn create(
        conn: &mut DbConn,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        now: NaiveDateTime,
    ) -> QueryResult<Result<User, CreateError>> {
        let inserted = diesel::insert_into(users::table)
            .values((
                users::username.eq(username),
                users::username_key.eq(username_key(username)),
                users::display_name.eq(display_name),
                users::password_hash.eq(password_hash),
                users::role.eq(role.as_str()),
                users::created_at.eq(now),
                users::password_changed_at.eq(now),
            ))
            .returning(users::id)
            .get_result::<i32>(conn);
        match inserted {
            Ok(id) => Ok(Ok(User::by_id(conn, id)?.ok_or(diesel::result::Error::NotFound)?)),
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                Ok(Err(CreateError::UsernameTaken))
            }
            Err(other) => Err(other),
        }
    }

    pub fn set_password(conn: &mut DbConn, id: i32, password_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(password_hash), users::password_changed_at.eq(now)))
            .execute(conn)
            .map(|_| ())
    }

    /// A new password ends every session the account has, so a stolen
    /// cookie dies with the old password. Returns how many sessions ended.
    pub fn replace_password(conn: &mut DbConn, id: i32, password_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
        crate::db::write_transaction(conn, |conn| {
            User::set_password(conn, id, password_hash, now)?;
            super::session::SessionRow::delete_for_user(conn, id)
        })
    }

    /// Deletes an account at its owner's request. What identifies them
    /// goes: the display name, the password, every session, and the text of
    /// every comment (each becomes a "comment deleted" tombstone, so replies
    /// by others stay in place). The username stays reserved so nobody can
    /// pose as them. The last admin cannot leave: the site needs one.
    pub fn erase(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<Erasure> {
        use crate::db::schema::comments;
        crate::db::write_transaction(conn, |conn| {
            let Some(user) = User::by_id(conn, id)? else { return Ok(Erasure::Done) };
            if super::moderation::protects_last_admin(conn, &user, now)? {
                return Ok(Erasure::LastAdmin);
            }
            diesel::update(comments::table.filter(comments::user_id.eq(id)).filter(comments::deleted_at.is_null()))
                .set((comments::body.eq(""), comments::deleted_at.eq(now)))
                .execute(conn)?;
            diesel::update(users::table.find(id))
                .set((
                    users::display_name.eq(DELETED_NAME),
                    // No argon2 hash parses from an empty string, so no
                    // password can ever match it.
                    users::password_hash.eq(""),
                    users::role.eq(Role::Reader.as_str()),
                    users::deleted_at.eq(now),
                ))
                .execute(conn)?;
            super::respect::Respect::take_back_all(conn, id)?;
            super::mute::Mute::forget(conn, id)?;
            // The address, its tokens, the notifications chosen, and every
            // message to them, sent or waiting.
            super::email::erase_for_user(conn, id)?;
            crate::mail::queue::erase_for_user(conn, id)?;
            crate::mail::notify::erase_for_user(conn, id)?;
            super::session::SessionRow::delete_for_user(conn, id)?;
            Ok(Erasure::Done)
        })
    }

    pub fn set_role(conn: &mut DbConn, id: i32, role: Role) -> QueryResult<()> {
        diesel::update(users::table.find(id)).set(users::role.eq(role.as_str())).execute(conn).map(|_| ())
    }

    pub fn ban(conn: &mut DbConn, id: i32, length: BanLength, reason: &str, now: NaiveDateTime) -> QueryResult<()> {
        let until = match length {
            BanLength::Days(days) => Some(now + chrono::TimeDelta::days(days)),
            BanLength::Permanent => None,
        };
        diesel::update(users::table.find(id))
            .set((users::banned_at.eq(Some(now)), users::banned_until.eq(until), users::ban_reason.eq(Some(reason))))
            .execute(conn)
            .map(|_| ())
    }

    pub fn unban(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::banned_at.eq(None::<NaiveDateTime>),
                users::banned_until.eq(None::<NaiveDateTime>),
                users::ban_reason.eq(None::<String>),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Locks every admin's row until the transaction ends (PostgreSQL), so
    /// two transactions that each check "another admin remains" before
    /// demoting, banning or erasing one cannot both pass. On SQLite a
    /// write transaction already runs alone.
    pub fn lock_admins(conn: &mut DbConn) -> QueryResult<()> {
        if let DbConn::Pg(pg) = conn {
            diesel::sql_query("SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE").execute(pg)?;
        }
        Ok(())
    }

    /// Admins who can act now (not banned): the site must always keep one.
    pub fn active_admin_count(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<i64> {
        users::table
            .filter(users::role.eq(Role::Admin.as_str()))
            .filter(users::banned_at.is_null().or(users::banned_until.le(now)))
            .count()
            .get_result(conn)
    }

    /// Accounts newest first, optionally those whose name starts with `prefix`.
    pub fn page(
        conn: &mut DbConn,
        prefix: Option<&str>,
        number: i64,
        per_page: i64,
    ) -> QueryResult<Option<super::Page<User>>> {
        let filtered = || {
            let mut query = users::table.into_boxed();
            if let Some(prefix) = prefix {
                let escaped = username_key(prefix).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                query = query.filter(users::username_key.like(format!("{escaped}%")).escape('\\'));
            }
            query
        };
        let total: i64 = filtered().count().get_result(conn)?;
        let total_pages = super::page_count(total, per_page);
        if number < 1 || number > total_pages {
            return Ok(None);
        }
        let items = filtered()
            .order((users::created_at.desc(), users::id.desc()))
            .offset((number - 1) * per_page)
            .limit(per_page)
            .select(User::as_select())
            .load(conn)?;
        Ok(Some(super::Page { items, number, total_pages }))
    }

    /// Bans in force now.
    pub fn active_ban_count(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<i64> {
        users::table
            .filter(users::banned_at.is_not_null())
            .filter(users::banned_until.is_null().or(users::banned_until.gt(now)))
            .count()
            .get_result(conn)
    }
}
