//! The reader's address on the account page, and the pages mailed links
//! open: confirming an address, choosing a new password, unsubscribing.
//! A GET never uses a token up (mail scanners open links): it shows a page
//! whose button POSTs it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::accounts::{AccountForms, account_page};
use super::{render_with_status, see_other};
use crate::actions::email::{self as act, Confirmation, Reset};
use crate::error::AppError;
use crate::mail::unsubscribe as signed;
use crate::models::email::{Notifications, Purpose, TokenState, email_key};
use crate::security::identity::{Viewer, client_network, log_in};
use crate::state::AppState;
use crate::views::pages::{AskAgain, FieldErrors, ForgotPage, LinkButton, MailLinkPage, ResetPage};

#[derive(Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    email: String,
}

/// Saves, changes or removes the reader's address.
#[post("/account/email")]
pub async fn save_address(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<AddressForm>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let typed = form.into_inner().email;
    let (user, forms) = match act::set_address(&state, &user, &typed).await? {
        Ok(saved) => {
            let notice = match &saved {
                // The same mailbox (perhaps written in another case): nothing to confirm.
                Some(address) if user.email.as_deref().map(email_key) == Some(email_key(address)) => {
                    "Your address is saved.".into()
                }
                Some(address) => format!("We sent a link to {address}: open it to confirm the address."),
                None => "Your e-mail address was removed.".to_string(),
            };
            let user = reread(&state, user.id).await?;
            (user, AccountForms { notice: Some(notice), ..AccountForms::default() })
        }
        Err(refusal) => {
            let refused = Some((typed.trim().to_string(), refusal.message()));
            (user, AccountForms { email_refused: refused, ..AccountForms::default() })
        }
    };
    account_page(&state, &viewer, &user, forms).await
}

/// The account as stored now (the viewer's copy is from before the change).
async fn reread(state: &AppState, id: i32) -> Result<crate::models::User, AppError> {
    state.db.run(move |conn| crate::models::User::by_id(conn, id)?.ok_or(AppError::NotFound)).await
}

/// Sends the confirmation link again.
#[post("/account/email/resend")]
pub async fn resend(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let notice = match act::resend_confirmation(&state, &user).await? {
        true => format!("We sent a new link to {}.", user.email.as_deref().unwrap_or_default()),
        false if user.email.is_none() => "Your account has no e-mail address to confirm.".into(),
        false => "Your address is already confirmed.".into(),
    };
    account_page(&state, &viewer, &user, AccountForms { notice: Some(notice), ..AccountForms::default() }).await
}

#[derive(Deserialize)]
pub struct NotificationsForm {
    replies: Option<String>,
    featured: Option<String>,
    removed: Option<String>,
    delivery: Option<String>,
}

/// Saves the reader's choice of notifications.
#[post("/account/notifications")]
pub async fn save_notifications(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<NotificationsForm>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.require_user("/account")?;
    let form = form.into_inner();
    if user.email_confirmed_at.is_none() {
        let notice = Some("Confirm an e-mail address first: notifications go only to a confirmed one.".into());
        return account_page(&state, &viewer, &user, AccountForms { notice, ..AccountForms::default() }).await;
    }
    let choice = Notifications {
        replies: form.replies.is_some(),
        featured: form.featured.is_some(),
        removed: form.removed.is_some(),
        digest: form.delivery.as_deref() == Some("digest"),
    };
    act::set_notifications(&state, &user, choice).await?;
    let user = reread(&state, user.id).await?;
    let notice = Some("Your notifications were saved.".into());
    account_page(&state, &viewer, &user, AccountForms { notice, ..AccountForms::default() }).await
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

async fn link_page(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    title: &str,
    path: &str,
    page: impl FnOnce(crate::views::Chrome, String) -> MailLinkPage,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(viewer, title, "", path, "").await?;
    let mut page = page(chrome, String::new());
    // A token only for a page with a form that needs one: a mail
    // program's unsubscribe POST starts no session.
    if page.button.as_ref().is_some_and(|b| b.with_csrf) || matches!(page.ask_again, Some(AskAgain::Resend)) {
        page.csrf = viewer.csrf_token();
    }
    render_with_status(status, &page)
}

/// How to get a new confirmation link: a button for a logged-in reader,
/// else the way there.
fn confirm_again(viewer: &Viewer) -> AskAgain {
    match viewer.user {
        Some(_) => AskAgain::Resend,
        None => {
            AskAgain::Link { url: "/login?next=/account", label: "Log in to send a new link from your account page" }
        }
    }
}

/// The page a confirmation link opens: a button, nothing used up.
#[get("/email/confirm")]
pub async fn confirm_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    let found = act::look_up(&state, Purpose::Confirm, &token).await?;
    let title = "Confirm your e-mail address";
    let (status, message, button) = match found {
        TokenState::Valid(found) => (
            StatusCode::OK,
            format!("Press the button to confirm {} as the address of your account.", found.email),
            Some(LinkButton {
                action: "/email/confirm".into(),
                label: "Confirm my address",
                fields: vec![("token", token)],
                with_csrf: true,
            }),
        ),
        other => {
            let (status, message) = Problem::of(&other).describe("confirmation");
            (status, message, None)
        }
    };
    let ask_again = button.is_none().then(|| confirm_again(&viewer));
    link_page(&state, &viewer, status, title, "/email/confirm", |chrome, csrf| MailLinkPage {
        chrome,
        heading: title.into(),
        message,
        success: false,
        button,
        ask_again,
        csrf,
    })
    .await
}

/// Why a link cannot be used.
enum Problem {
    Expired,
    Used,
    Unknown,
}

impl Problem {
    fn of(found: &TokenState) -> Problem {
        match found {
            TokenState::Expired(_) => Problem::Expired,
            TokenState::Used(_) => Problem::Used,
            TokenState::Valid(_) | TokenState::Unknown => Problem::Unknown,
        }
    }

    /// What the page says, and its status.
    fn describe(&self, what: &str) -> (StatusCode, String) {
        match self {
            Problem::Expired => (StatusCode::GONE, format!("This {what} link has expired.")),
            Problem::Used => (StatusCode::GONE, format!("This {what} link was already used: each one works once.")),
            // Not 404: the page exists, the link's token is what is wrong.
            Problem::Unknown => (
                StatusCode::BAD_REQUEST,
                format!("This {what} link is not one we know. Check that the whole link was copied from the mail."),
            ),
        }
    }
}

/// The confirmation link's button.
#[post("/email/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let title = "Confirm your e-mail address";
    let outcome = act::confirm(&state, &form.into_inner().token).await?;
    let (status, message, success) = match &outcome {
        Confirmation::Confirmed { address } => {
            (StatusCode::OK, format!("Thank you: {address} is confirmed as your address."), true)
        }
        Confirmation::AddressChanged => (
            StatusCode::GONE,
            "This link was for an address that is no longer on the account, so nothing changed.".into(),
            false,
        ),
        Confirmation::Expired => failed(Problem::Expired.describe("confirmation")),
        Confirmation::Used => failed(Problem::Used.describe("confirmation")),
        Confirmation::Unknown => failed(Problem::Unknown.describe("confirmation")),
    };
    let ask_again = match outcome {
        Confirmation::Confirmed { .. } => None,
        _ => Some(confirm_again(&viewer)),
    };
    link_page(&state, &viewer, status, title, "/email/confirm", |chrome, csrf| MailLinkPage {
        chrome,
        heading: title.into(),
        message,
        success,
        button: None,
        ask_again,
        csrf,
    })
    .await
}

fn failed((status, message): (StatusCode, String)) -> (StatusCode, String, bool) {
    (status, message, false)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn forgot_page(
    state: &AppState,
    viewer: &Viewer,
    email: String,
    error: Option<&'static str>,
    sent: bool,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(viewer, "Forgot your password?", "", "/password/forgot", "").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with_status(status, &ForgotPage { chrome, email, error, sent, csrf: viewer.csrf_token() })
}

#[get("/password/forgot")]
pub async fn forgot_form(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    forgot_page(&state, &viewer, String::new(), None, false).await
}

/// Asks for a reset link. The answer is the same whether or not an account
/// has the address; only a malformed one is sent back to be corrected.
#[post("/password/forgot")]
pub async fn forgot(
    request: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.into_inner().email.trim().to_string();
    if let Err(why) = crate::models::email::check_address(&typed) {
        return forgot_page(&state, &viewer, typed, Some(why), false).await;
    }
    let network = client_network(&request, state.config.trust_proxy);
    act::request_reset(&state, &network, &typed).await?;
    forgot_page(&state, &viewer, typed, None, true).await
}

/// The way to a new reset link, on every unusable one.
const ASK_AGAIN_RESET: AskAgain = AskAgain::Link { url: "/password/forgot", label: "Ask for a new link" };

async fn unusable_reset(state: &AppState, viewer: &Viewer, problem: Problem) -> Result<HttpResponse, AppError> {
    let (status, message) = problem.describe("password reset");
    let title = "Choose a new password";
    link_page(state, viewer, status, title, "/password/reset", |chrome, csrf| MailLinkPage {
        chrome,
        heading: title.into(),
        message,
        success: false,
        button: None,
        ask_again: Some(ASK_AGAIN_RESET),
        csrf,
    })
    .await
}

async fn reset_page(
    state: &AppState,
    viewer: &Viewer,
    token: String,
    username: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(viewer, "Choose a new password", "", "/password/reset", "").await?;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with_status(status, &ResetPage { chrome, token, username, errors, csrf: viewer.csrf_token() })
}

/// The page a reset link opens: the new-password form; nothing used up.
#[get("/password/reset")]
pub async fn reset_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    match act::look_up(&state, Purpose::Reset, &token).await? {
        TokenState::Valid(found) => {
            let user = reread(&state, found.user_id).await?;
            reset_page(&state, &viewer, token, user.username, FieldErrors::default()).await
        }
        other => unusable_reset(&state, &viewer, Problem::of(&other)).await,
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    password: String,
    confirm: String,
}

/// Sets the new password, ends every session of the account and logs this
/// browser in.
#[post("/password/reset")]
pub async fn reset(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let user = match act::look_up(&state, Purpose::Reset, &form.token).await? {
        TokenState::Valid(found) => reread(&state, found.user_id).await?,
        other => return unusable_reset(&state, &viewer, Problem::of(&other)).await,
    };
    let errors = FieldErrors::for_new_password(&form.password, &form.confirm, &user.username);
    if errors.any() {
        return reset_page(&state, &viewer, form.token, user.username, errors).await;
    }
    match act::reset_password(&state, &form.token, form.password).await? {
        // A banned account gets its new password but no session: log-in
        // tells them of the ban.
        Reset::Done(user) if !user.may_sign_in(crate::state::now()) => Ok(see_other("/login")),
        Reset::Done(user) => {
            log_in(&viewer.session, &user)?;
            Ok(see_other("/account?reset=1"))
        }
        Reset::Expired => unusable_reset(&state, &viewer, Problem::Expired).await,
        Reset::Used => unusable_reset(&state, &viewer, Problem::Used).await,
        Reset::Unknown => unusable_reset(&state, &viewer, Problem::Unknown).await,
    }
}

#[derive(Deserialize)]
pub struct UnsubscribeQuery {
    #[serde(default)]
    token: String,
}

/// The page an unsubscribe link opens in a browser: a button; a GET
/// changes nothing.
#[get("/unsubscribe")]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<UnsubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    let title = "Unsubscribe";
    let verified = signed::verify(&state.mail.letterhead.unsubscribe_key, &token);
    let (status, message, button) = match verified {
        Some((_, topic)) => (
            StatusCode::OK,
            format!("Press the button to stop {}.", topic.describe()),
            Some(LinkButton {
                // The address the mail program POSTs to, token and all (RFC 8058).
                action: format!("/unsubscribe?token={token}"),
                label: "Unsubscribe",
                fields: vec![("List-Unsubscribe", "One-Click".to_string())],
                with_csrf: false,
            }),
        ),
        None => (StatusCode::BAD_REQUEST, UNKNOWN_UNSUBSCRIBE.to_string(), None),
    };
    let ask_again = button.is_none().then_some(ACCOUNT_SETTINGS);
    link_page(&state, &viewer, status, title, "/unsubscribe", |chrome, csrf| MailLinkPage {
        chrome,
        heading: title.into(),
        message,
        success: false,
        button,
        ask_again,
        csrf,
    })
    .await
}

const UNKNOWN_UNSUBSCRIBE: &str =
    "This unsubscribe link is not one we know. Check that the whole link was copied from the mail.";
const ACCOUNT_SETTINGS: AskAgain =
    AskAgain::Link { url: "/account", label: "Choose your notifications on your account page" };

/// One-click unsubscribe (RFC 8058): mail programs POST here with the
/// link's token and `List-Unsubscribe=One-Click`, carrying no cookie and
/// no form token — the signed token is the proof (`csrf::EXEMPT`).
#[post("/unsubscribe")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<UnsubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    let title = "Unsubscribe";
    let (status, message, success) = match act::unsubscribe(&state, &query.into_inner().token).await? {
        Some(topic) => (
            StatusCode::OK,
            format!("Done: we stopped {}. You can turn it back on from your account page.", topic.describe()),
            true,
        ),
        None => (StatusCode::BAD_REQUEST, UNKNOWN_UNSUBSCRIBE.to_string(), false),
    };
    link_page(&state, &viewer, status, title, "/unsubscribe", |chrome, csrf| MailLinkPage {
        chrome,
        heading: title.into(),
        message,
        success,
        button: None,
        ask_again: Some(ACCOUNT_SETTINGS),
        csrf,
    })
    .await
}
