//! The admin area at /admin, for moderators and admins. The whole scope sits
//! behind `require_staff`, and every handler also takes the `Staff`
//! extractor, so a route cannot be reached by a reader even by mistake.

pub mod comments;
pub mod site;
pub mod stories;
pub mod users;

use actix_session::Session;
use actix_web::middleware::from_fn;
use actix_web::{Scope, web};

use crate::security::identity::{Staff, require_staff, safe_next};
use crate::security::session_data::SessionData;
use crate::views::admin::AdminNav;

/// Every admin route, mounted under /admin.
pub fn scope() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/admin")
        .wrap(from_fn(require_staff))
        .service(comments::dashboard)
        .service(comments::queue)
        .service(comments::context)
        .service(comments::act_on_one)
        .service(comments::act_on_many)
        .service(users::list)
        .service(users::show)
        .service(users::ban_user)
        .service(users::unban_user)
        .service(users::premoderate_user)
        .service(users::set_role)
        .service(stories::story_form)
        .service(stories::save_story)
        .service(stories::questions_queue)
        .service(stories::answer)
        .service(site::articles)
        .service(site::close)
        .service(site::reopen)
        .service(site::unpublish)
        .service(site::republish)
        .service(site::settings_form)
        .service(site::save_settings)
        .service(site::log)
}

/// A one-time message for the next admin page ("3 comments removed").
pub fn flash(session: &Session, message: impl Into<String>) {
    SessionData(session).set_flash(message.into());
}

pub fn take_flash(session: &Session) -> Option<String> {
    SessionData(session).take_flash()
}

pub fn nav(staff: &Staff, current: &'static str) -> AdminNav {
    AdminNav { current, is_admin: staff.is_admin() }
}

/// Where to go back to after an action: an admin page, never elsewhere.
pub fn admin_return(raw: Option<&str>, fallback: &str) -> String {
    let next = safe_next(raw);
    if next.starts_with("/admin") { next } else { fallback.to_string() }
}

/// Fields of a URL-encoded form, keeping repeated names (checkbox lists).
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &[u8]) -> FormFields {
        FormFields(url::form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}
