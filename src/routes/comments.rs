//! Posting, replying to, editing and deleting comments. A comment that is
//! refused comes back in its form with the reader's text and the reason.

use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, get, post, web};
use serde::Deserialize;

use super::stories::{ArticleQuery, article_page, draft_key};
use super::{path_id, render, render_with_status, see_other};
use crate::db::DbConn;
use crate::error::AppError;
use crate::models::comment::{self, Comment, NewComment, Placement, ThreadEntry};
use crate::models::discussion::Discussion;
use crate::models::settings::{self, SiteSettings};
use crate::models::{Article, User};
use crate::security::csrf::{Rejected, Rejection};
use crate::security::identity::Viewer;
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
}

async fn load_context(state: &AppState, id: i32) -> Result<CommentContext, AppError> {
    let now = now();
    state
        .db
        .run(move |conn| {
            let comment = Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?;
            let article = Article::published_by_id(conn, comment.article_id, now)?.ok_or(AppError::NotFound)?;
            let author = User::by_id(conn, comment.user_id)?.ok_or(AppError::NotFound)?;
            Ok(CommentContext { comment, article, author })
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
                role: self.author.role.clone(),
            },
        };
        CommentView::new(&entry, None, false, now())
    }

    /// Held comments are their author's alone until approved.
    fn visible_to(&self, viewer: Option<i32>) -> bool {
        !self.comment.is_held() || viewer == Some(self.comment.user_id)
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
    viewer: Viewer,
    path: web::Path<ArticlePath>,
    fields: web::Form<CommentFields>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner().slug;
    let fields = fields.into_inner();
    let parent_id = match fields.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => Some(raw.parse::<i32>().map_err(|_| AppError::BadRequest("That reply link is broken.".into()))?),
        None => None,
    };
    let refusal = match try_post(&request, &state, &viewer, &slug, parent_id, &fields.body).await {
        Ok(Ok(location)) => return Ok(see_other(&location)),
        Ok(Err(refusal)) => refusal,
        // A failure on our side must not cost the reader their text either.
        Err(error) if error.status_code().is_server_error() => {
            tracing::error!(%error, "a comment could not be stored");
            Refusal::new(StatusCode::SERVICE_UNAVAILABLE, NOT_SAVED)
        }
        Err(error) => return Err(error),
    };
    // Back to the form the comment came from, with its text and the reason.
    let action = format!("/articles/{slug}/comments");
    let form = CommentForm {
        action,
        body: fields.body.replace("\r\n", "\n"),
        error: Some(refusal.message),
        parent_id,
        csrf: viewer.csrf_token(),
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
        Err(error) if error.status_code().is_server_error() => {
            let mut form = form;
            form.error = Some(NOT_SAVED.into());
            let nav = state.cached_nav(false).unwrap_or_default();
            let chrome = state.chrome(nav, Some(&viewer), "Your comment was not posted", "", "/", "");
            render_with_status(StatusCode::SERVICE_UNAVAILABLE, &RetryPage { chrome, form })?
        }
        Err(error) => return Err(error),
    };
    if let Some(seconds) = refusal.retry_after {
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
    }
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
    let Some(user) = viewer.user.clone() else {
        // Logged out while writing (or never logged in): keep the text in this
        // browser's session so it is waiting after logging in.
        let slug_owned = slug.to_string();
        let now = now();
        let article = state.db.run(move |conn| Ok(Article::published_by_slug(conn, &slug_owned, now)?)).await?;
        let (article, _) = article.ok_or(AppError::NotFound)?;
        let _ = viewer.session.insert(draft_key(article.id), raw_body.replace("\r\n", "\n"));
        let mut refusal = Refusal::new(
            StatusCode::FORBIDDEN,
            "Your session has ended, so your comment was not posted yet. Log in and it will be waiting here.",
        );
        refusal.login_url = Some(login_url(&format!("/articles/{slug}")) + "%23comment-form");
        return Ok(Err(refusal));
    };
    if let Some(refusal) = csrf_refusal(request) {
        return Ok(Err(refusal));
    }
    let body = match comment::clean_body(raw_body) {
        Ok(body) => body,
        Err(message) => return Ok(Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message))),
    };
    let slug_owned = slug.to_string();
    let limit = state.config.limits.comment_per_user;
    let now = now();
    // On the writer, in a write transaction from the checks to the insert:
    // what was checked (the discussion open, the parent still there) still
    // holds when the comment is stored, and the answer waits for the commit.
    let outcome = state
        .db
        .write(move |conn| {
            let (article, _) = Article::published_by_slug(conn, &slug_owned, now)?.ok_or(AppError::NotFound)?;
            let settings = SiteSettings::load(conn)?;
            if !settings.accepts_comments(article.comments_open, article.published_at, now) {
                return Ok(Err(Refusal::new(StatusCode::FORBIDDEN, "Comments are closed on this article.")));
            }
            if let Some(word) = settings::find_listed(&body, &settings.banned_words) {
                return Ok(Err(Refusal::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Your comment contains \u{201c}{word}\u{201d}, which is not allowed here. Edit it and post again."),
                )));
            }
            let hold_reason = hold_reason(conn, &settings, &body, user.id)?;
            let placement = match parent_id {
                None => Placement::TOP_LEVEL,
                Some(id) => match Comment::by_id(conn, id)? {
                    Some(parent)
                        if parent.article_id == article.id
                            && !parent.is_deleted()
                            && !parent.is_removed()
                            && !parent.is_held() =>
                    {
                        Placement::reply_to(&parent)
                    }
                    _ => {
                        return Ok(Err(Refusal::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "The comment you are replying to is no longer there. You can post yours as a new comment.",
                        )));
                    }
                },
            };
            let new = NewComment {
                article_id: article.id,
                user_id: user.id,
                placement,
                body: &body,
                status: if hold_reason.is_some() { comment::HELD } else { comment::PUBLISHED },
                hold_reason: hold_reason.as_deref(),
                now,
            };
            match Comment::post_within(conn, new, limit)? {
                Ok((id, thread_no)) => {
                    let thread_no = match thread_no {
                        Some(number) => Some(number),
                        None => Comment::by_id(conn, id)?.ok_or(AppError::NotFound)?.thread_no,
                    };
                    let page = Discussion::page_of_thread(conn, article.id, thread_no)?;
                    Ok(Ok((article.id, permalink(&article.slug, page, id))))
                }
                Err(limited) => {
                    let seconds = limited.retry_after_secs();
                    let mut refusal = Refusal::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        format!(
                            "You are posting faster than we allow. Wait {}, then post again: your comment is still here.",
                            crate::views::wait_words(seconds)
                        ),
                    );
                    refusal.retry_after = Some(seconds);
                    Ok(Err(refusal))
                }
            }
        })
        .await?;
    Ok(outcome.map(|(article_id, location)| {
        // Removing an entry marks the session changed even when it had none,
        // which would cost a write: only forget a draft that is there.
        let key = draft_key(article_id);
        if viewer.session.get::<String>(&key).ok().flatten().is_some() {
            viewer.session.remove(&key);
        }
        location
    }))
}

/// Why a comment should wait for a moderator before others see it, if it should.
fn hold_reason(
    conn: &mut DbConn,
    settings: &SiteSettings,
    body: &str,
    user_id: i32,
) -> Result<Option<String>, AppError> {
    if let Some(word) = settings::find_listed(body, &settings.suspect_words) {
        return Ok(Some(format!("contains \u{201c}{word}\u{201d}")));
    }
    let links = settings::link_count(body);
    if links > settings.max_links {
        return Ok(Some(format!("{links} links")));
    }
    if settings.hold_first_comment && !Comment::has_published(conn, user_id)? {
        return Ok(Some("first comment of a new account".into()));
    }
    Ok(None)
}

/// Where a comment is seen: its thread's page of the article, at its anchor.
pub fn permalink(slug: &str, page: i64, comment_id: i32) -> String {
    if page > 1 {
        format!("/articles/{slug}?page={page}#comment-{comment_id}")
    } else {
        format!("/articles/{slug}#comment-{comment_id}")
    }
}

#[get("/comments/{id}")]
pub async fn show(state: web::Data<AppState>, viewer: Viewer, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let context = load_context(&state, path_id(&id)?).await?;
    if !context.visible_to(viewer.user_id()) {
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
    if !context.visible_to(viewer.user_id()) {
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
    if !context.article.comments_open || context.comment.is_deleted() || context.comment.is_removed() {
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
    let user_id = viewer.user_id().ok_or(AppError::Forbidden)?;
    let context = load_context(state, id).await?;
    if context.comment.user_id != user_id {
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
    let user_id = context.comment.user_id;
    if !context.comment.editable_by(user_id, now()) {
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
    viewer.require_user(&format!("/comments/{id}/edit"))?;
    let context = own_comment(&state, &viewer, id).await?;
    let refusal = if let Some(refusal) = csrf_refusal(&request) {
        Some(refusal)
    } else if !context.comment.editable_by(context.comment.user_id, now()) {
        Some(Refusal::new(
            StatusCode::FORBIDDEN,
            "The 15 minutes for editing this comment have passed, so it was not changed. Your new text is below if you want to copy it.",
        ))
    } else {
        match comment::clean_body(&typed) {
            Ok(body) => {
                let now = now();
                let comment = context.comment.clone();
                let page = state
                    .db
                    .run(move |conn| {
                        Comment::edit(conn, comment.id, &body, now)?;
                        Ok(Discussion::page_of(conn, &comment)?)
                    })
                    .await?;
                return Ok(see_other(&permalink(&context.article.slug, page, id)));
            }
            Err(message) => Some(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message)),
        }
    };
    let refusal = refusal.unwrap_or_else(|| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, ""));
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
    if context.comment.is_deleted() {
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
    let context = own_comment(&state, &viewer, id).await?;
    let comment = context.comment.clone();
    let now = now();
    let page = state
        .db
        .run(move |conn| {
            Comment::delete_by_author(conn, comment.id, now)?;
            Ok(Discussion::page_of(conn, &comment)?)
        })
        .await?;
    Ok(see_other(&permalink(&context.article.slug, page, id)))
}
