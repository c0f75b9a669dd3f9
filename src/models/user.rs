use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::users;

/// What a person may do on the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Reader,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "reader" => Some(Role::Reader),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Reader)
    }

    pub fn is_staff(&self) -> bool {
        self.role() >= Role::Moderator
    }
}

/// The lookup form of a username: usernames are unique whatever their case.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    UsernameTaken,
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

    pub fn set_role(conn: &mut DbConn, id: i32, role: Role) -> QueryResult<()> {
        diesel::update(users::table.find(id)).set(users::role.eq(role.as_str())).execute(conn).map(|_| ())
    }
}
