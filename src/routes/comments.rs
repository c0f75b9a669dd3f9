//! Posting, replying to, editing and deleting comments. A comment that is
//! refused comes back in its form with the reader's text and the reason.

use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, get, post, web};
use serde::Deserialize;

use super::stories::{ArticleQuery, article_page};
use super::{path_id, render, render_with_status, see_other};
use crate::actions::comments::{self as act, Refusal as Refused, permalink};
use crate::error::AppError;
use crate::models::comment::{self, Comment, ThreadEntry};
use crate::models::discussion::Discussion;
use crate::models::settings::SiteSettings;
use crate::models::{Article, User};
use crate::permissions;
use crate::security::csrf::{Rejected, Rejection, proven_same_origin};
use crate::security::identity::Viewer;
use crate::security::session_data::SessionData;
use crate::state::{AppState, now};
use crate::views::discussion::{CommentForm, CommentView};
use crate::views::login_url;
use crate::views::pages::{ArticleLink, DeleteCommentPage, EditCommentPage, ReplyPage, RetryPage};

const EXPIRED_FORM: &str = "This form had expired, so your comment was not posted. It is still here: post it again.";
const NOT_SAVED: &str = "We could not save your comment because of a problem on our side. \
     Your text is still here: try posting it again in a moment.";
const CROSS_SITE: &str =
    "This form was sent from another site, so it was not posted. Check your text and post it here.";

#[derive(Deserialize)]
pub struct CommentFields {
    body: String,
    parent_id: Option<String>,
}

/// What a failed post tells the reader, and with which status.
struct Refusal {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
    login_url: Option<String>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal { status, message: message.into(), retry_after: None, login_url: None }
    }

    /// What the reader is told when the write side did not take their text.
    fn from_action(refused: Refused) -> Refusal {
        let status = match &refused {
            Refused::Closed | Refused::EditWindowOver | Refused::Gone | Refused::QuestionsOnly => StatusCode::FORBIDDEN,
            Refused::TooFast(_) => StatusCode::TOO_MANY_REQUESTS,
            Refused::Unreadable(_) | Refused::BannedWord(_) | Refused::ParentGone => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut refusal = Refusal::new(status, refused.message());
        if let Refused::TooFast(limited) = refused {
            refusal.retry_after = Some(limited.retry_after_secs());
        }
        refusal
    }
}

fn csrf_refusal(request: &HttpRequest) -> Option<Refusal> {
    let rejected = request.extensions().get::<Rejected>().copied()?;
    let message = match rejected.0 {
        Rejection::BadToken => EXPIRED_FORM,
        Rejection::CrossOrigin => CROSS_SITE,
    };
    Some(Refusal::new(StatusCode::FORBIDDEN, message))
}

/// A comment with its article, for the pages about one comment.
struct CommentContext {
    comment: Comment,
    article: Article,
    author: User,
    /// Whether the discussion takes comments now (open, not closed by age).
    open: bool,
}

async fn load_context(state: &AppState, id: i32) -> Result<CommentContext, AppError> {
    let now = now();
    state
        .db
        .run(move |conn| {
            let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
            let article = Article::published_by_id(conn, comment.article_id, now)??;
            let author = User::by_id(conn, comment.user_id)?.ok_or(AppError::NotFound)?;
            let open = SiteSettings::load(conn)?.accepts_comments(article.comments_open, article.published_at, now);
            Ok(CommentContext { comment, article, author, open })
        })
        .await
}

impl CommentContext {
    fn link(&self) -> ArticleLink {
        ArticleLink { headline: self.article.headline.clone(), url: format!("/articles/{}", self.article.slug) }
    }

    /// The comment as shown alone on its reply/edit/delete page.
    fn view(&self) -> CommentView {
        let entry = ThreadEntry {
            comment: self.comment.clone(),
            author: comment::CommentAuthor {
                id: self.author.id,
                username: self.author.username.clone(),
                display_name: self.author.display_name.clone(),
                role: self.author.role,
            },
        };
        CommentView::new(&entry, None, false, now())
    }

    /// Held comments are their author's alone until approved.
    fn visible_to(&self, viewer: &Viewer) -> bool {
        permissions::may_see(viewer.user.as_ref(), &self.comment)
    }
}

#[derive(Deserialize)]
pub struct ArticlePath {
    slug: String,
}

#[post("/articles/{slug}/comments")]
pub async fn post_comment(
    request: HttpRequest,
    state: web::Data<AppState>,
    viewer: Result<Viewer, actix_web::Error>,
    path: web::Path<ArticlePath>,
    fields: web::Form<CommentFields>,
) -> Result<HttpResponse, actix_web::Error> {
    let slug = path.into_inner().slug;
    let fields = fields.into_inner();
    let parent_id = match fields.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => Some(raw.parse::<i32>().map_err(|_| AppError::BadRequest("That reply link is broken.".into()))?),
        None => None,
    };
    let action = format!("/articles/{slug}/comments");
    let viewer = match viewer {
        Ok(viewer) => viewer,
        // Who is posting cannot be known (the database is out of reach):
        // the text goes back in its form all the same.
        Err(error) if error.as_response_error().status_code().is_server_error() => {
            tracing::warn!(%error, "a comment arrived while its author could not be looked up");
            let body = fields.body.replace("\r\n", "\n");
            let form = CommentForm { action, body, error: None, parent_id, csrf: String::new(), login_url: None };
            return Ok(retry_page(&state, None, form)?);
        }
        Err(error) => return Err(error),
    };
    let refusal = match try_post(&request, &state, &viewer, &slug, parent_id, &fields.body).await {
        Ok(Ok(location)) => return Ok(see_other(&location)),
        Ok(Err(refusal)) => refusal,
        // A failure on our side must not cost the reader their text either.
        Err(error) if error.status_code().is_server_error() => {
            tracing::error!(error = %error.chain(), "a comment could not be stored");
            let mut refusal = Refusal::new(StatusCode::SERVICE_UNAVAILABLE, NOT_SAVED);
            refusal.retry_after = Some(crate::error::RETRY_AFTER_SECS);
            refusal
        }
        Err(error) => return Err(error.into()),
    };
    // Back to the form the comment came from, with its text and the reason.
    let form = CommentForm {
        action,
        body: fields.body.replace("\r\n", "\n"),
        error: Some(refusal.message),
        parent_id,
        // A visitor who is not logged in gets no new session for this.
        csrf: viewer.existing_csrf_token(),
        login_url: refusal.login_url,
    };
    let page = match parent_id {
        Some(parent) => reply_page(&state, &viewer, parent, form.clone(), refusal.status).await,
        None => article_page(&state, &viewer, slug, ArticleQuery::default(), Some(form.clone()), refusal.status).await,
    };
    let mut response = match page {
        Ok(response) => response,
        // The page around the form could not be built (the database is
        // down): show the form alone, still holding the text.
        Err(error) if error.status_code().is_server_error() => retry_page(&state, Some(&viewer), form)?,
        Err(error) => return Err(error.into()),
    };
    if let Some(seconds) = refusal.retry_after {
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
    }
    Ok(response)
}

/// The comment form alone, still holding the text, for when the page
/// around it cannot be built: the database is out of reach. It needs
/// nothing from the database.
fn retry_page(state: &AppState, viewer: Option<&Viewer>, mut form: CommentForm) -> Result<HttpResponse, AppError> {
    form.error = Some(NOT_SAVED.into());
    let nav = state.cached_nav(false).unwrap_or_default();
    let chrome = state.chrome(nav, viewer, "Your comment was not posted", "", "/", "");
    let mut response = render_with_status(StatusCode::SERVICE_UNAVAILABLE, &RetryPage { chrome, form })?;
    response.headers_mut().insert(RETRY_AFTER, crate::error::RETRY_AFTER_SECS.into());
    Ok(response)
}

/// Stores the comment and returns where it can be seen, or why not.
async fn try_post(
    request: &HttpRequest,
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    parent_id: Option<i32>,
    raw_body: &str,
) -> Result<Result<String, Refusal>, AppError> {
    let Some(user) = viewer.user.as_ref() else {
        return Ok(Err(logged_out(request, state, viewer, slug, raw_body).await?));
    };
    if let Some(refusal) = csrf_refusal(request) {
        return Ok(Err(refusal));
    }
    let posted = match act::post(state, user, slug, parent_id, raw_body).await? {
        Ok(posted) => posted,
        Err(refused) => return Ok(Err(Refusal::from_action(refused))),
    };
    SessionData(&viewer.session).forget_draft(posted.article_id);
    Ok(Ok(posted.location))
}

/// A comment from someone not logged in: their session ended while they
/// wrote (or they never logged in). The text comes back in the form either
/// way. It is also kept in the session, to wait for them after they log in,
/// only for the browser's own session and a form proven to come from this
/// site: no other site can plant text in a reader's comment box, and a
/// request without a cookie creates no session.
async fn logged_out(
    request: &HttpRequest,
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    raw_body: &str,
) -> Result<Refusal, AppError> {
    let slug_owned = slug.to_string();
    let now = now();
    let (article, _) = state.db.run(move |conn| Ok(Article::published_by_slug(conn, &slug_owned, now)??)).await?;
    let has_cookie = request.cookie(crate::security::session_store::cookie_name(&state.config)).is_some();
    let keep = has_cookie
        && proven_same_origin(request, &state.config.base_url)
        && raw_body.chars().count() <= comment::MAX_BODY_CHARS;
    let message = if keep {
        SessionData(&viewer.session).keep_draft(article.id, &raw_body.replace("\r\n", "\n"));
        "Your session has ended, so your comment was not posted yet. Log in and it will be waiting here."
    } else {
        "You are not logged in, so your comment was not posted. Copy your text, log in, and post it again."
    };
    let mut refusal = Refusal::new(StatusCode::FORBIDDEN, message);
    refusal.login_url = Some(login_url(&format!("/articles/{slug}")) + "%23comment-form");
    Ok(refusal)
}

#[get("/comments/{id}")]
pub async fn show(state: web::Data<AppState>, viewer: Viewer, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let context = load_context(&state, path_id(&id)?).await?;
    if !context.visible_to(&viewer) {
        return Err(AppError::NotFound);
    }
    let comment = context.comment.clone();
    let page = state.db.run(move |conn| Ok(Discussion::page_of(conn, &comment)?)).await?;
    Ok(see_other(&permalink(&context.article.slug, page, context.comment.id)))
}

async fn reply_page(
    state: &AppState,
    viewer: &Viewer,
    parent_id: i32,
    form: CommentForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let context = load_context(state, parent_id).await?;
    if !context.visible_to(viewer) {
        return Err(AppError::NotFound);
    }
    let path = format!("/comments/{parent_id}/reply");
    let chrome = state.page_chrome(viewer, "Reply", "", &path, "").await?;
    let page = ReplyPage { chrome, article: context.link(), parent: context.view(), form };
    render_with_status(status, &page)
}

#[get("/comments/{id}/reply")]
pub async fn reply_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    viewer.require_user(&format!("/comments/{id}/reply"))?;
    let context = load_context(&state, id).await?;
    if !context.visible_to(&viewer) {
        return Err(AppError::NotFound);
    }
    if !permissions::may_reply(viewer.user.as_ref(), &context.comment, context.open) {
        return Ok(see_other(&permalink(&context.article.slug, 1, id)));
    }
    let form = CommentForm {
        action: format!("/articles/{}/comments", context.article.slug),
        parent_id: Some(id),
        csrf: viewer.csrf_token(),
        ..CommentForm::default()
    };
    reply_page(&state, &viewer, id, form, StatusCode::OK).await
}

/// The comment if the viewer wrote it, or the right refusal.
async fn own_comment(state: &AppState, viewer: &Viewer, id: i32) -> Result<CommentContext, AppError> {
    viewer.user.as_ref().ok_or(AppError::Forbidden)?;
    let context = load_context(state, id).await?;
    if !permissions::is_author(viewer.user.as_ref(), &context.comment) {
        return Err(AppError::Forbidden);
    }
    Ok(context)
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    context: &CommentContext,
    form: CommentForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let left = comment::EDIT_WINDOW - (now() - context.comment.created_at);
    let path = format!("/comments/{}/edit", context.comment.id);
    let chrome = state.page_chrome(viewer, "Edit your comment", "", &path, "").await?;
    let minutes_left = left.num_minutes().max(0) + 1;
    render_with_status(status, &EditCommentPage { chrome, article: context.link(), form, minutes_left })
}

#[get("/comments/{id}/edit")]
pub async fn edit_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    viewer.require_user(&format!("/comments/{id}/edit"))?;
    let context = own_comment(&state, &viewer, id).await?;
    if !permissions::may_edit(viewer.user.as_ref(), &context.comment, context.open, now()) {
        return Ok(see_other(&permalink(&context.article.slug, 1, id)));
    }
    let form = CommentForm {
        action: format!("/comments/{id}/edit"),
        body: context.comment.body.clone(),
        csrf: viewer.csrf_token(),
        ..CommentForm::default()
    };
    edit_page(&state, &viewer, &context, form, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EditFields {
    body: String,
}

#[post("/comments/{id}/edit")]
pub async fn edit(
    request: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    fields: web::Form<EditFields>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let typed = fields.into_inner().body.replace("\r\n", "\n");
    let user = viewer.require_user(&format!("/comments/{id}/edit"))?;
    let context = own_comment(&state, &viewer, id).await?;
    let refusal = match csrf_refusal(&request) {
        Some(refusal) => refusal,
        None => match act::edit(&state, &user, id, &typed).await? {
            Ok(location) => return Ok(see_other(&location)),
            Err(refused) => Refusal::from_action(refused),
        },
    };
    let form = CommentForm {
        action: format!("/comments/{id}/edit"),
        body: typed,
        error: Some(refusal.message),
        csrf: viewer.csrf_token(),
        ..CommentForm::default()
    };
    edit_page(&state, &viewer, &context, form, refusal.status).await
}

#[get("/comments/{id}/delete")]
pub async fn delete_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    viewer.require_user(&format!("/comments/{id}/delete"))?;
    let context = own_comment(&state, &viewer, id).await?;
    if !permissions::may_delete(viewer.user.as_ref(), &context.comment) {
        return Ok(see_other(&permalink(&context.article.slug, 1, id)));
    }
    let chrome = state.page_chrome(&viewer, "Delete your comment", "", &format!("/comments/{id}/delete"), "").await?;
    let mut comment = context.view();
    comment.can_edit = false;
    comment.can_delete = false;
    render(&DeleteCommentPage {
        chrome,
        article: context.link(),
        comment,
        action: format!("/comments/{id}/delete"),
        csrf: viewer.csrf_token(),
    })
}

#[post("/comments/{id}/delete")]
pub async fn delete(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let user = viewer.user.as_ref().ok_or(AppError::Forbidden)?;
    Ok(see_other(&act::delete(&state, user, id).await?))
}
