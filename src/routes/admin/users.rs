//! Accounts: the list, one user's record, bans and roles.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::{FormFields, flash, nav, take_flash};
use crate::actions;
use crate::actions::users::AccountChange;
use crate::error::AppError;
use crate::models::moderation;
use crate::models::user::BanLength;
use crate::models::{Role, User};
use crate::permissions;
use crate::routes::{page_number, render_with_status, see_other};
use crate::security::identity::Staff;
use crate::state::{AppState, now};
use crate::views::admin::{CommentRow, ReportRow, UserPage, UserRow, UsersPage};
use crate::views::{Moment, Pager};

const USERS_PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct UsersQuery {
    page: Option<String>,
    q: Option<String>,
}

#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, AppError> {
    let number = page_number(query.page.as_deref())?;
    let prefix = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_string);
    let wanted = prefix.clone();
    let page = state
        .db
        .run(move |conn| User::page(conn, wanted.as_deref(), number, USERS_PER_PAGE)?.ok_or(AppError::NotFound))
        .await?;
    let base = match &prefix {
        Some(q) => format!("/admin/users?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()),
        None => "/admin/users".to_string(),
    };
    let chrome = state.page_chrome(&staff.viewer, "Users", "", "/admin/users", "").await?;
    let now = now();
    render_with_status(
        StatusCode::OK,
        &UsersPage {
            chrome,
            nav: nav(&staff, "users"),
            rows: page.items.iter().map(|u| UserRow::new(u, now)).collect(),
            pager: Pager::linked(page.number, page.total_pages, &base, "").labelled("Previous page", "Next page"),
            query: prefix.unwrap_or_default(),
            flash: take_flash(&staff.viewer.session),
        },
    )
}

async fn user_page(
    state: &AppState,
    staff: &Staff,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let lookup = username.clone();
    let (user, comments, reports) = state
        .db
        .run(move |conn| {
            let user = User::by_username(conn, &lookup)?.ok_or(AppError::NotFound)?;
            let comments = moderation::comments_by_user(conn, user.id, 50)?;
            let reports = moderation::reports_against(conn, user.id, 50)?;
            Ok((user, comments, reports))
        })
        .await?;
    let now = now();
    let path = format!("/admin/users/{}", user.username);
    let chrome = state.page_chrome(&staff.viewer, &format!("@{}", user.username), "", &path, "").await?;
    let ban_note = user.is_banned(now).then(|| {
        let until = match user.banned_until {
            Some(until) => format!("until {}", until.format("%-d %B %Y at %H:%M UTC")),
            None => "permanently".into(),
        };
        format!("{until}: {}", user.ban_reason.clone().unwrap_or_default())
    });
    render_with_status(
        status,
        &UserPage {
            chrome,
            nav: nav(staff, "users"),
            role: user.role().as_str(),
            roles: UserPage::role_options(user.role()),
            joined: user.created_at.format("%-d %B %Y").to_string(),
            ban: ban_note,
            deleted: user.deleted_at.map(|at| at.format("%-d %B %Y").to_string()),
            comments: comments.iter().map(|c| CommentRow::new(c, now)).collect(),
            reports: reports
                .iter()
                .map(|r| ReportRow {
                    comment_id: r.comment_id,
                    reason: r.reason.label(),
                    note: r.note.clone(),
                    when: Moment::new(r.created_at, now),
                    open: r.resolved_at.is_none(),
                })
                .collect(),
            premoderation: user.premoderated_at.map(|since| {
                format!("since {}: {}", since.format("%-d %B %Y at %H:%M UTC"), user.premoderation_reason)
            }),
            can_premoderate: permissions::may_premoderate(&staff.user, &user),
            can_ban: permissions::may_ban(&staff.user, &user),
            can_change_role: permissions::may_change_role(&staff.user, &user),
            error,
            flash: take_flash(&staff.viewer.session),
            csrf: staff.viewer.csrf_token(),
            username: user.username,
            display_name: user.display_name,
        },
    )
}

#[get("/users/{username}")]
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    user_page(&state, &staff, username.into_inner(), None, StatusCode::OK).await
}

#[post("/users/{username}/ban")]
pub async fn ban_user(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let username = username.into_inner();
    let fields = FormFields::parse(&body);
    let reason = fields.get("reason").unwrap_or_default().trim().chars().take(200).collect::<String>();
    let length = match fields.get("length") {
        Some("1") => BanLength::Days(1),
        Some("7") => BanLength::Days(7),
        Some("permanent") => BanLength::Permanent,
        _ => {
            return user_page(
                &state,
                &staff,
                username,
                Some("Choose how long the ban lasts.".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if reason.is_empty() {
        let error = Some("Give a reason for the ban: they and the public moderation page will see it.".into());
        return user_page(&state, &staff, username, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match actions::users::ban(&state, &staff.user, &username, length, &reason).await? {
        AccountChange::Done => {}
        refused => return refused_change(&state, &staff, username, refused, "banning").await,
    }
    flash(&staff.viewer.session, format!("@{username} is banned and has been logged out."));
    Ok(see_other(&format!("/admin/users/{username}")))
}

/// The user's page again, saying why a ban or a role change was refused.
async fn refused_change(
    state: &AppState,
    staff: &Staff,
    username: String,
    refused: AccountChange,
    doing: &str,
) -> Result<HttpResponse, AppError> {
    let message = match refused {
        AccountChange::LastAdmin => {
            format!(
                "This is the last admin: make another admin before {doing} this one, so someone can still run the site."
            )
        }
        _ => "Its owner deleted this account, so there is nothing to change.".to_string(),
    };
    user_page(state, staff, username, Some(message), StatusCode::CONFLICT).await
}

#[post("/users/{username}/unban")]
pub async fn unban_user(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let username = username.into_inner();
    actions::users::unban(&state, &staff.user, &username).await?;
    flash(&staff.viewer.session, format!("The ban on @{username} is lifted."));
    Ok(see_other(&format!("/admin/users/{username}")))
}

/// Starts pre-moderation (`premoderate=start`, with a reason) or ends it
/// (`premoderate=end`).
#[post("/users/{username}/premoderate")]
pub async fn premoderate_user(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let username = username.into_inner();
    let fields = FormFields::parse(&body);
    let reason = fields.get("reason").unwrap_or_default().trim().chars().take(200).collect::<String>();
    let (reason, done) = match fields.get("premoderate") {
        Some("start") if reason.is_empty() => {
            let error = Some("Give a reason for holding their comments: other moderators will see it.".into());
            return user_page(&state, &staff, username, error, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Some("start") => (Some(reason), "is on pre-moderation: each new comment waits for a moderator"),
        Some("end") => (None, "is no longer on pre-moderation"),
        _ => return Err(AppError::BadRequest("That button sent something we do not understand.".into())),
    };
    actions::users::set_premoderation(&state, &staff.user, &username, reason).await?;
    flash(&staff.viewer.session, format!("@{username} {done}."));
    Ok(see_other(&format!("/admin/users/{username}")))
}

#[post("/users/{username}/role")]
pub async fn set_role(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    staff.require_admin()?;
    let username = username.into_inner();
    let fields = FormFields::parse(&body);
    let Some(role) = fields.get("role").and_then(Role::parse) else {
        return user_page(&state, &staff, username, Some("Choose a role.".into()), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    match actions::users::change_role(&state, &staff.user, &username, role).await? {
        AccountChange::Done => {}
        refused => return refused_change(&state, &staff, username, refused, "demoting").await,
    }
    flash(&staff.viewer.session, format!("@{username} is now {}.", role.as_str()));
    Ok(see_other(&format!("/admin/users/{username}")))
}
