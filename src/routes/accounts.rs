//! Signing up, logging in and out, and changing a password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::{render, render_with_status, see_other};
use crate::actions::accounts::{self as act, LogIn};
use crate::actions::email::{AddressRefusal, parse_address};
use crate::error::AppError;
use crate::models::User;
use crate::models::email::Notifications;
use crate::models::user::{CreateError, Erasure, check_display_name, check_username};
use crate::security::identity::{Viewer, client_network, log_in, log_out, safe_next};
use crate::security::passwords;
use crate::state::{AppState, now};
use crate::views::pages::{AccountDeletedPage, AccountPage, FieldErrors, LoginPage, MutedView, SignupPage};
use crate::views::with_next;

const LOGIN_FAILED: &str = "That username and password do not match an account. Check them and try again.";

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

#[get("/login")]
pub async fn login_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if viewer.user.is_some() {
        return Ok(see_other(&next));
    }
    login_page(&state, &viewer, next, String::new(), None, StatusCode::OK).await
}

async fn login_page(
    state: &AppState,
    viewer: &Viewer,
    next: String,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(viewer, "Log in", "", "/login", "").await?;
    let page =
        LoginPage { chrome, signup_url: with_next("/signup", &next), csrf: viewer.csrf_token(), next, username, error };
    render_with_status(status, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_string();
    let network = client_network(&request, state.config.trust_proxy);
    let (status, error) = match act::log_in(&state, &network, &username, form.password).await? {
        LogIn::Banned(user) => (StatusCode::FORBIDDEN, ban_message(&user)),
        LogIn::Welcome(user) => {
            log_in(&viewer.session, &user)?;
            return Ok(see_other(&next));
        }
        LogIn::Failed => (StatusCode::UNAUTHORIZED, LOGIN_FAILED.to_string()),
    };
    login_page(&state, &viewer, next, username, Some(error), status).await
}

/// What a banned reader is told when they try to log in.
fn ban_message(user: &User) -> String {
    let until = match user.banned_until {
        Some(until) => format!("until {}", until.format("%-d %B %Y at %H:%M UTC")),
        None => "permanently".to_string(),
    };
    let reason = user.ban_reason.as_deref().filter(|r| !r.is_empty()).unwrap_or("breaking the community rules");
    format!("This account is suspended {until} for {reason}.")
}

#[post("/logout")]
pub async fn logout(viewer: Viewer) -> Result<HttpResponse, AppError> {
    log_out(&viewer.session);
    Ok(see_other("/"))
}

#[get("/signup")]
pub async fn signup_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if viewer.user.is_some() {
        return Ok(see_other(&next));
    }
    let blank = SignupFields::default();
    signup_page(&state, &viewer, next, blank, FieldErrors::default()).await
}

/// What the sign-up form keeps when it comes back (never the password).
#[derive(Default)]
struct SignupFields {
    username: String,
    display_name: String,
    email: String,
}

/// The sign-up form; with errors, it is answered with 422.
async fn signup_page(
    state: &AppState,
    viewer: &Viewer,
    next: String,
    fields: SignupFields,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(viewer, "Create an account", "", "/signup", "").await?;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let login_url = with_next("/login", &next);
    let SignupFields { username, display_name, email } = fields;
    let page = SignupPage { chrome, login_url, csrf: viewer.csrf_token(), next, username, display_name, email, errors };
    render_with_status(status, &page)
}

#[derive(Deserialize)]
pub struct SignupForm {
    username: String,
    display_name: String,
    password: String,
    confirm: String,
    /// Optional; an older form without it signs up without an address.
    #[serde(default)]
    email: String,
    next: Option<String>,
}

#[post("/signup")]
pub async fn signup(
    request: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_string();
    let display_name = form.display_name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut errors = FieldErrors {
        username: check_username(&username).err().map(String::from),
        display_name: check_display_name(&display_name).err().map(String::from),
        password: passwords::check_new(&form.password, &username).err().map(String::from),
        ..FieldErrors::default()
    };
    if errors.password.is_none() && form.password != form.confirm {
        errors.confirm = Some("The two passwords do not match.".into());
    }
    let address = parse_address(&form.email).unwrap_or_else(|refusal| {
        errors.email = Some(refusal.message());
        None
    });
    if !errors.any() {
        let network = client_network(&request, state.config.trust_proxy);
        match act::sign_up(&state, &network, &username, &display_name, address, form.password.clone()).await? {
            Ok(user) => {
                log_in(&viewer.session, &user)?;
                return Ok(see_other(&next));
            }
            Err(CreateError::UsernameTaken) => {
                errors.username = Some("That username is taken. Choose another.".into());
            }
            Err(CreateError::EmailTaken) => {
                errors.email = Some(AddressRefusal::Taken.message());
            }
        }
    }
    let fields = SignupFields { username, display_name, email: form.email.trim().to_string() };
    signup_page(&state, &viewer, next, fields, errors).await
}

/// What the account page shows besides the account: the outcome of the
/// form just sent, with its errors and what was typed.
#[derive(Default)]
pub struct AccountForms {
    pub errors: FieldErrors,
    pub notice: Option<String>,
    pub erase_error: Option<&'static str>,
    /// A refused address as typed, and why.
    pub email_refused: Option<(String, String)>,
}

pub async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    forms: AccountForms,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(viewer, "Your account", "", "/account", "").await?;
    let muted = crate::actions::mute::muted_by(state, user).await?;
    let refused = forms.errors.any() || forms.erase_error.is_some() || forms.email_refused.is_some();
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let address = user.email.clone().unwrap_or_default();
    let (email, email_error) = match forms.email_refused {
        Some((typed, why)) => (typed, Some(why)),
        None => (address.clone(), None),
    };
    render_with_status(
        status,
        &AccountPage {
            chrome,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            member_since: user.created_at.format("%-d %B %Y").to_string(),
            errors: forms.errors,
            notice: forms.notice,
            erase_error: forms.erase_error,
            muted: muted.iter().map(MutedView::of).collect(),
            csrf: viewer.csrf_token(),
            email,
            email_error,
            email_unconfirmed: user.email.is_some() && user.email_confirmed_at.is_none(),
            email_confirmed: user.email.is_some() && user.email_confirmed_at.is_some(),
            address,
            notifications: Notifications::of(user),
        },
    )
}

#[derive(Deserialize)]
pub struct AccountQuery {
    /// Set after a password reset, which lands here logged in.
    reset: Option<String>,
}

#[get("/account")]
pub async fn account(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let notice = query.reset.is_some().then(|| {
        "Your new password is saved and you are logged in. Every other session of your account has ended.".to_string()
    });
    account_page(&state, &viewer, &user, AccountForms { notice, ..AccountForms::default() }).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    password: String,
    confirm: String,
}

#[post("/account/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let form = form.into_inner();
    let mut errors = FieldErrors::for_new_password(&form.password, &form.confirm, &user.username);
    if errors.any() {
        return account_page(&state, &viewer, &user, AccountForms { errors, ..AccountForms::default() }).await;
    }
    if !act::change_password(&state, &user, form.current, form.password).await? {
        errors.current = Some("That is not your current password.".into());
        return account_page(&state, &viewer, &user, AccountForms { errors, ..AccountForms::default() }).await;
    }
    log_in(&viewer.session, &user)?;
    let notice = Some("Your password was changed. You have been logged out on every other device.".into());
    account_page(&state, &viewer, &user, AccountForms { notice, ..AccountForms::default() }).await
}

#[derive(Deserialize)]
pub struct DeleteAccountForm {
    password: String,
}

/// The reader deletes their own account, confirming with their password.
#[post("/account/delete")]
pub async fn delete_account(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<DeleteAccountForm>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let outcome = act::delete_account(&state, &user, form.into_inner().password).await?;
    let error = match outcome {
        Some(Erasure::Done) => {
            log_out(&viewer.session);
            return Ok(see_other("/account/deleted"));
        }
        Some(Erasure::LastAdmin) => "You are the site's last admin: make someone else an admin before you leave.",
        None => "That is not your password, so your account was not deleted.",
    };
    account_page(&state, &viewer, &user, AccountForms { erase_error: Some(error), ..AccountForms::default() }).await
}

#[get("/account/deleted")]
pub async fn account_deleted(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(&viewer, "Account deleted", "", "/account/deleted", "").await?;
    render(&AccountDeletedPage { chrome })
}

/// The reader's own data as a JSON file: their account and every comment
/// they wrote, in whatever state it is now.
#[get("/account/export")]
pub async fn export(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let id = user.id;
    let (comments, respected, muted, mail) = state
        .db
        .run(move |conn| {
            let mail = crate::views::export::MailData {
                tokens: crate::models::email::tokens_of(conn, id)?,
                messages: crate::mail::queue::for_user(conn, id)?,
                waiting: crate::mail::notify::waiting_for(conn, id)?,
            };
            Ok((
                crate::models::Comment::all_by_user(conn, id)?,
                crate::models::respect::Respect::given_by(conn, id)?,
                crate::models::mute::Mute::list(conn, id)?,
                mail,
            ))
        })
        .await?;
    let data =
        crate::views::export::account_data(&user, &comments, &respected, &muted, &mail, &state.config.base_url, now());
    let body = serde_json::to_string_pretty(&data)
        .map_err(|e| AppError::failed("could not write the reader's data as JSON", e))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"newsdesk-{}.json\"", user.username)))
        // Personal data: no cache keeps a copy.
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body))
}
