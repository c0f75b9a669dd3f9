//! Readers' profiles: `/readers/NAME`, the comments of theirs every reader
//! sees, newest first, twenty a page.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{PageQuery, page_number, render, render_with_status};
use crate::error::AppError;
use crate::models::profile::{self, ProfileComment, ProfileFigures};
use crate::models::{Page, User};
use crate::security::identity::Viewer;
use crate::state::{AppState, now};
use crate::views::Pager;
use crate::views::pages::ErrorPage;
use crate::views::profile::{COMMENTS_PER_PAGE, ProfileCommentView, ProfilePage, ReaderView, profile_path};

/// What the name in the address leads to.
enum Found {
    /// Shown: the reader, their figures and a page of comments.
    Reader(Box<User>, ProfileFigures, Page<ProfileComment>),
    /// The name in another case: the address with the name as they spell it.
    Elsewhere(String),
    /// The account was deleted: its name stays reserved, nothing is shown.
    Deleted,
}

#[get("/readers/{name}")]
pub async fn show(
    request: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    name: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    let number = page_number(query.page.as_deref())?;
    let now = now();
    let found = state
        .db
        .run(move |conn| {
            // Found whatever the case (username_key); one spelling is the address.
            let user = User::by_username(conn, &name)?.ok_or(AppError::NotFound)?;
            if user.deleted_at.is_some() {
                return Ok(Found::Deleted);
            }
            if user.username != name {
                return Ok(Found::Elsewhere(profile_path(&user.username)));
            }
            let figures = ProfileFigures::of(conn, user.id, now)?;
            let page = profile::comments_page(conn, user.id, figures, now, number, COMMENTS_PER_PAGE)?
                .ok_or(AppError::NotFound)?;
            Ok(Found::Reader(Box::new(user), figures, page))
        })
        .await?;
    let (user, figures, page) = match found {
        Found::Reader(user, figures, page) => (user, figures, page),
        Found::Elsewhere(path) => {
            let location = match request.query_string() {
                "" => path,
                query => format!("{path}?{query}"),
            };
            return Ok(HttpResponse::MovedPermanently().insert_header((LOCATION, location)).finish());
        }
        Found::Deleted => return deleted(&state, &viewer, request.path()).await,
    };
    let path = profile_path(&user.username);
    let reader = ReaderView::new(&user, figures);
    let (title, canonical) = if page.number > 1 {
        (format!("{} (page {})", reader.display_name, page.number), format!("{path}?page={}", page.number))
    } else {
        (reader.display_name.clone(), path.clone())
    };
    let description = format!("Comments by {} (@{}).", reader.display_name, reader.username);
    let chrome = state.page_chrome(&viewer, &title, &description, &canonical, "").await?;
    render(&ProfilePage {
        chrome,
        comments: page.items.iter().map(|item| ProfileCommentView::new(item, now)).collect(),
        pager: Pager::new(&page, &path).labelled("Newer comments", "Older comments"),
        noindex: figures.comments == 0,
        reader,
    })
}

/// 410 Gone: the account existed and was deleted, as its comments read
/// "Comment deleted" where they were. Nothing of theirs is listed.
async fn deleted(state: &AppState, viewer: &Viewer, path: &str) -> Result<HttpResponse, AppError> {
    let title = "Account deleted";
    let chrome = state.page_chrome(viewer, title, "", path, "").await?;
    render_with_status(
        StatusCode::GONE,
        &ErrorPage {
            chrome,
            status: StatusCode::GONE.as_u16(),
            title: title.into(),
            message: "This reader deleted their account, and their comments with it.".into(),
        },
    )
}
