//! Readers reporting comments to the moderators.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::{path_id, render_with_status};
use crate::actions::comments as act;
use crate::error::AppError;
use crate::models::report::{ReportOutcome, ReportReason};
use crate::models::{Article, Comment};
use crate::security::identity::Viewer;
use crate::state::AppState;
use crate::views::pages::{ArticleLink, ReportPage};

struct Reportable {
    comment: Comment,
    article: Article,
}

/// The comment, if it is one this reader may report.
async fn reportable(state: &AppState, viewer: &Viewer, id: i32) -> Result<Reportable, AppError> {
    let user = viewer.require_user(&format!("/comments/{id}/report"))?;
    let (comment, article) = act::reportable(state, &user, id).await?;
    Ok(Reportable { comment, article })
}
async fn page(
    state: &AppState,
    viewer: &Viewer,
    target: &Reportable,
    form: ReportForm,
    outcome: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = target.comment.id;
    let chrome = state.page_chrome(viewer, "Report a comment", "", &format!("/comments/{id}/report"), "").await?;
    render_with_status(
        status,
        &ReportPage {
            chrome,
            article: ArticleLink {
                headline: target.article.headline.clone(),
                url: format!("/articles/{}", target.article.slug),
            },
            comment_id: id,
            excerpt: target.comment.body.chars().take(280).collect(),
            reasons: ReportReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            chosen: form.reason.unwrap_or_default(),
            note: form.note.unwrap_or_default(),
            error: form.error,
            outcome,
            csrf: viewer.csrf_token(),
        },
    )
}

#[derive(Deserialize, Default)]
pub struct ReportForm {
    reason: Option<String>,
    note: Option<String>,
    #[serde(skip)]
    error: Option<String>,
}

#[get("/comments/{id}/report")]
pub async fn report_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    viewer.require_user(&format!("/comments/{id}/report"))?;
    let target = reportable(&state, &viewer, id).await?;
    page(&state, &viewer, &target, ReportForm::default(), None, StatusCode::OK).await
}

#[post("/comments/{id}/report")]
pub async fn report(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let user = viewer.require_user(&format!("/comments/{id}/report"))?;
    let target = reportable(&state, &viewer, id).await?;
    let mut form = form.into_inner();
    let reason = form.reason.clone().unwrap_or_default();
    let note = form.note.clone().unwrap_or_default();
    let outcome = match act::report(&state, &user, id, &reason, &note).await? {
        Ok(outcome) => outcome,
        Err(refused) => {
            form.error = Some(refused.message().into());
            return page(&state, &viewer, &target, form, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let message = match outcome {
        ReportOutcome::Filed => "Thank you. A moderator will look at this comment.",
        ReportOutcome::AlreadyReported => "You have already reported this comment. A moderator will look at it.",
    };
    page(&state, &viewer, &target, form, Some(message), StatusCode::OK).await
}
