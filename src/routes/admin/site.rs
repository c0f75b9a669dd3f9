//! Articles' discussions, the site settings and the moderation log.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::{FormFields, flash, nav, take_flash};
use crate::actions;
use crate::error::AppError;
use crate::models::Article;
use crate::models::moderation;
use crate::models::settings::{SiteSettings, word_list};
use crate::models::takedown::Takedown;
use crate::permissions;
use crate::routes::{PageQuery, page_number, render, render_with_status, see_other};
use crate::security::identity::Staff;
use crate::state::{AppState, now};
use crate::views::admin::{ArticleRow, ArticlesPage, LogPage, LogRow, SettingsPage};
use crate::views::{Moment, Pager};

const ARTICLES_PER_PAGE: i64 = 30;

#[get("/articles")]
pub async fn articles(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = page_number(query.page.as_deref())?;
    let (page, counts, settings) = state
        .db
        .run(move |conn| {
            let page = Article::admin_page(conn, number, ARTICLES_PER_PAGE)?.ok_or(AppError::NotFound)?;
            let ids: Vec<i32> = page.items.iter().map(|a| a.0).collect();
            let counts = crate::models::discussion::counts_for(conn, &ids)?;
            Ok((page, counts, SiteSettings::load(conn)?))
        })
        .await?;
    let now = now();
    let rows = page
        .items
        .iter()
        .map(|(id, slug, headline, published, open, unpublished)| ArticleRow {
            slug: slug.clone(),
            headline: headline.clone(),
            published: Moment::new(*published, now),
            comments: counts.get(id).copied().unwrap_or(0),
            open: *open,
            auto_closed: *open && !settings.accepts_comments(*open, *published, now),
            taken_down: unpublished.is_some(),
        })
        .collect();
    let chrome = state.page_chrome(&staff.viewer, "Articles", "", "/admin/articles", "").await?;
    render(&ArticlesPage {
        chrome,
        nav: nav(&staff, "articles"),
        rows,
        pager: Pager::linked(page.number, page.total_pages, "/admin/articles", "")
            .labelled("Previous page", "Next page"),
        csrf: staff.viewer.csrf_token(),
        flash: take_flash(&staff.viewer.session),
        may_take_down: permissions::may_take_down(&staff.user),
    })
}

/// Takes a story down or puts it back, then back to the list with a note.
async fn set_down(state: &AppState, staff: &Staff, slug: String, down: bool) -> Result<HttpResponse, AppError> {
    let message = match actions::takedowns::set_down(state, &staff.user, &slug, down).await? {
        Takedown::Done { headline, .. } if down => {
            format!("“{headline}” was taken down: it is off every page, and its address says it was withdrawn.")
        }
        Takedown::Done { headline, .. } => format!("“{headline}” is back on the site."),
        Takedown::Unchanged { headline } if down => format!("“{headline}” was already taken down."),
        Takedown::Unchanged { headline } => format!("“{headline}” is already on the site."),
        Takedown::NoSuchStory => return Err(AppError::NotFound),
    };
    flash(&staff.viewer.session, message);
    Ok(see_other("/admin/articles"))
}

#[post("/articles/{slug}/unpublish")]
pub async fn unpublish(
    state: web::Data<AppState>,
    staff: Staff,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_down(&state, &staff, slug.into_inner(), true).await
}

#[post("/articles/{slug}/republish")]
pub async fn republish(
    state: web::Data<AppState>,
    staff: Staff,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_down(&state, &staff, slug.into_inner(), false).await
}

async fn set_open(state: &AppState, staff: &Staff, slug: String, open: bool) -> Result<HttpResponse, AppError> {
    let headline = actions::moderation::set_discussion_open(state, &staff.user, &slug, open).await?;
    let state_word = if open { "reopened" } else { "closed" };
    flash(&staff.viewer.session, format!("Comments {state_word} on “{headline}”."));
    Ok(see_other("/admin/articles"))
}

#[post("/articles/{slug}/close")]
pub async fn close(
    state: web::Data<AppState>,
    staff: Staff,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_open(&state, &staff, slug.into_inner(), false).await
}

#[post("/articles/{slug}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    staff: Staff,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_open(&state, &staff, slug.into_inner(), true).await
}

async fn settings_page(
    state: &AppState,
    staff: &Staff,
    settings: SiteSettings,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let chrome = state.page_chrome(&staff.viewer, "Settings", "", "/admin/settings", "").await?;
    render_with_status(
        status,
        &SettingsPage {
            chrome,
            nav: nav(staff, "settings"),
            banned_words: settings.banned_words.join("\n"),
            suspect_words: settings.suspect_words.join("\n"),
            settings,
            error,
            flash: take_flash(&staff.viewer.session),
            csrf: staff.viewer.csrf_token(),
        },
    )
}

#[get("/settings")]
pub async fn settings_form(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, AppError> {
    staff.require_admin()?;
    let settings = state.db.run(|conn| Ok(SiteSettings::load(conn)?)).await?;
    settings_page(&state, &staff, settings, None, StatusCode::OK).await
}

#[post("/settings")]
pub async fn save_settings(
    state: web::Data<AppState>,
    staff: Staff,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    staff.require_admin()?;
    let fields = FormFields::parse(&body);
    let number = |name: &str, max: i64| {
        fields.get(name).map(str::trim).unwrap_or("0").parse::<i64>().ok().filter(|n| (0..=max).contains(n))
    };
    let (Some(max_links), Some(auto_close_days)) = (number("max_links", 50), number("auto_close_days", 3650)) else {
        let typed = SiteSettings {
            banned_words: word_list(fields.get("banned_words").unwrap_or_default()),
            suspect_words: word_list(fields.get("suspect_words").unwrap_or_default()),
            hold_first_comment: fields.get("hold_first_comment").is_some(),
            ..SiteSettings::default()
        };
        let error = Some("Links must be a number from 0 to 50 and closing days from 0 to 3650.".into());
        return settings_page(&state, &staff, typed, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let settings = SiteSettings {
        auto_close_days,
        max_links: max_links as usize,
        hold_first_comment: fields.get("hold_first_comment").is_some(),
        banned_words: word_list(fields.get("banned_words").unwrap_or_default()),
        suspect_words: word_list(fields.get("suspect_words").unwrap_or_default()),
    };
    actions::moderation::save_settings(&state, &staff.user, settings).await?;
    flash(&staff.viewer.session, "Settings saved.");
    Ok(see_other("/admin/settings"))
}

#[get("/log")]
pub async fn log(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = page_number(query.page.as_deref())?;
    let page = state.db.run(move |conn| moderation::log_page(conn, number, false)?.ok_or(AppError::NotFound)).await?;
    let now = now();
    let chrome = state.page_chrome(&staff.viewer, "Moderation log", "", "/admin/log", "").await?;
    render(&LogPage {
        chrome,
        nav: nav(&staff, "log"),
        rows: page.items.iter().map(|line| LogRow::new(line, now)).collect(),
        pager: Pager::linked(page.number, page.total_pages, "/admin/log", "").labelled("Previous page", "Next page"),
        flash: take_flash(&staff.viewer.session),
    })
}
