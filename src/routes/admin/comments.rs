//! The dashboard, the queues, and actions on comments.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::{FormFields, admin_return, flash, nav, take_flash};
use crate::actions;
use crate::error::AppError;
use crate::models::User;
use crate::models::moderation::{self, CommentAction, Dashboard, Queue, QueueFilter, QueueItem};
use crate::models::record::{AuthorRecord, CommentContext};
use crate::routes::{page_number, render, see_other};
use crate::security::identity::Staff;
use crate::state::{AppState, now};
use crate::views::Pager;
use crate::views::admin::{CommentRow, ContextPage, DashboardPage, QueuePage, REMOVAL_REASONS};

#[get("")]
pub async fn dashboard(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, AppError> {
    let now = now();
    let counts = state.db.run(move |conn| Ok(Dashboard::load(conn, now)?)).await?;
    let chrome = state.page_chrome(&staff.viewer, "Moderation", "", "/admin", "").await?;
    let flash = take_flash(&staff.viewer.session);
    render(&DashboardPage { chrome, nav: nav(&staff, "dashboard"), counts, flash })
}

#[derive(Deserialize)]
pub struct QueueQuery {
    page: Option<String>,
    article: Option<String>,
    user: Option<String>,
    q: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

#[get("/queue/{name}")]
pub async fn queue(
    request: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    name: web::Path<String>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let queue = Queue::parse(&name).ok_or(AppError::NotFound)?;
    let number = page_number(query.page.as_deref())?;
    let filter = QueueFilter {
        article_slug: non_empty(&query.article),
        username: non_empty(&query.user),
        text: non_empty(&query.q),
    };
    let wanted = filter.clone();
    let page =
        state.db.run(move |conn| QueueItem::page(conn, queue, &wanted, number)?.ok_or(AppError::NotFound)).await?;
    let path = format!("/admin/queue/{}", queue.slug());
    // The pager keeps the filters; the page number is added to them.
    let mut base = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in [("article", &filter.article_slug), ("user", &filter.username), ("q", &filter.text)] {
        if let Some(value) = value {
            base.append_pair(key, value);
        }
    }
    let filters = base.finish();
    let list_url = if filters.is_empty() { path.clone() } else { format!("{path}?{filters}") };
    let chrome = state.page_chrome(&staff.viewer, queue.title(), "", &path, "").await?;
    let now = now();
    let return_to = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or(path);
    render(&QueuePage {
        chrome,
        nav: nav(&staff, queue.slug()),
        queue,
        rows: page.items.iter().map(|item| CommentRow::new(item, now)).collect(),
        pager: Pager::linked(page.number, page.total_pages, &list_url, "").labelled("Previous page", "Next page"),
        filter_article: filter.article_slug.unwrap_or_default(),
        filter_user: filter.username.unwrap_or_default(),
        filter_text: filter.text.unwrap_or_default(),
        reasons: REMOVAL_REASONS.to_vec(),
        back: format!("?back={}", url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()),
        return_to,
        csrf: staff.viewer.csrf_token(),
        flash: take_flash(&staff.viewer.session),
    })
}

/// Runs an action on comments and reports what changed.
async fn apply(
    state: &AppState,
    staff: &Staff,
    action: CommentAction,
    ids: Vec<i32>,
    fields: &FormFields,
) -> Result<HttpResponse, AppError> {
    let reason = match action {
        CommentAction::Remove => {
            let chosen = fields.get("reason").unwrap_or_default();
            REMOVAL_REASONS.iter().find(|r| **r == chosen).copied().unwrap_or(REMOVAL_REASONS[0]).to_string()
        }
        _ => String::new(),
    };
    let changed = actions::moderation::act_on_comments(state, &staff.user, action, ids, reason).await?;
    let done = match action {
        CommentAction::Remove => "removed",
        CommentAction::Restore => "restored",
        CommentAction::Approve => "approved",
        CommentAction::Dismiss => "cleared of reports",
        CommentAction::Feature => "featured above the discussion",
        CommentAction::Unfeature => "no longer featured",
    };
    let noun = if changed == 1 { "comment" } else { "comments" };
    flash(&staff.viewer.session, format!("{changed} {noun} {done}."));
    Ok(see_other(&admin_return(fields.get("return_to"), "/admin/queue/reported")))
}

#[post("/comments/{id}/{action}")]
pub async fn act_on_one(
    state: web::Data<AppState>,
    staff: Staff,
    params: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (id, action) = params.into_inner();
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let action = CommentAction::parse(&action).ok_or(AppError::NotFound)?;
    apply(&state, &staff, action, vec![id], &FormFields::parse(&body)).await
}

#[post("/comments")]
pub async fn act_on_many(state: web::Data<AppState>, staff: Staff, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let fields = FormFields::parse(&body);
    let action = fields
        .get("action")
        .and_then(CommentAction::parse)
        .ok_or_else(|| AppError::BadRequest("Choose what to do with the selected comments.".into()))?;
    let ids: Vec<i32> = fields.all("ids").iter().filter_map(|id| id.parse().ok()).collect();
    if ids.is_empty() {
        flash(&staff.viewer.session, "No comments were selected, so nothing changed.");
        return Ok(see_other(&admin_return(fields.get("return_to"), "/admin/queue/reported")));
    }
    apply(&state, &staff, action, ids, &fields).await
}

#[derive(Deserialize)]
pub struct ContextQuery {
    back: Option<String>,
}

/// A comment in its thread (what it answers, its replies) with its
/// author's record, opened from a queue row; the buttons act as the
/// queue's do and return to the queue as it was (filters, page).
#[get("/comments/{id}/context")]
pub async fn context(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    query: web::Query<ContextQuery>,
) -> Result<HttpResponse, AppError> {
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let back = admin_return(query.back.as_deref(), "/admin/queue/recent");
    let (context, author, record, recent) = state
        .db
        .run(move |conn| {
            let context = CommentContext::load(conn, id)?.ok_or(AppError::NotFound)?;
            let author_id = context.item.author.id;
            let author = User::by_id(conn, author_id)?.ok_or(AppError::NotFound)?;
            let record = AuthorRecord::load(conn, author_id)?;
            let recent = moderation::comments_by_user(conn, author_id, 10)?;
            Ok((context, author, record, recent))
        })
        .await?;
    let now = now();
    let path = format!("/admin/comments/{id}/context");
    let chrome = state.page_chrome(&staff.viewer, "Comment in context", "", &path, "").await?;
    let mut author_status = Vec::new();
    if author.is_banned(now) {
        let until = match author.banned_until {
            Some(until) => format!("until {}", until.format("%-d %B %Y")),
            None => "permanently".into(),
        };
        author_status.push(format!("Banned {until}: {}", author.ban_reason.clone().unwrap_or_default()));
    }
    if author.premoderated_at.is_some() {
        author_status.push(format!("On pre-moderation: {}", author.premoderation_reason));
    }
    if author.deleted_at.is_some() {
        author_status.push("Deleted their account".into());
    }
    render(&ContextPage {
        chrome,
        nav: nav(&staff, "context"),
        row: CommentRow::new(&context.item, now),
        parent: context.parent.as_ref().map(|item| CommentRow::new(item, now)),
        parent_deleted: context.parent_deleted,
        replies: context.replies.iter().map(|item| CommentRow::new(item, now)).collect(),
        more_replies: context.more_replies,
        author_joined: author.created_at.format("%-d %B %Y").to_string(),
        author_role: author.role().as_str(),
        author_status,
        record,
        recent: recent.iter().filter(|item| item.comment.id != id).map(|item| CommentRow::new(item, now)).collect(),
        reasons: REMOVAL_REASONS.to_vec(),
        back,
        csrf: staff.viewer.csrf_token(),
        flash: take_flash(&staff.viewer.session),
    })
}
