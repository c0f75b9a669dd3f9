//! Articles' discussions, the site settings and the moderation log.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::{FormFields, flash, nav, take_flash};
use crate::actions;
use crate::error::AppError;
use crate::models::Article;
use crate::models::article::CommentMode;
use crate::models::moderation;
use crate::models::settings::{SiteSettings, word_list};
use crate::models::takedown::Takedown;
use crate::permissions;
use crate::routes::{PageQuery, page_number, render, render_with_status, see_other};
use crate::security::identity::Staff;
use crate::state::{AppState, now};
use crate::views::admin::{ArticleRow, ArticlesPage, LogPage, LogRow, SettingsNumbers, SettingsPage};
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
        .map(|(id, slug, headline, published, open, unpublished, mode)| ArticleRow {
            slug: slug.clone(),
            headline: headline.clone(),
            published: Moment::new(*published, now),
            comments: counts.get(id).copied().unwrap_or(0),
            open: *open,
            auto_closed: *open && !settings.accepts_comments(*open, *published, now),
            taken_down: unpublished.is_some(),
            mode: CommentMode::parse(mode).unwrap_or(CommentMode::Open).label(),
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
    numbers: SettingsNumbers,
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
            numbers,
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
    let numbers = SettingsNumbers::of(&settings);
    settings_page(&state, &staff, settings, numbers, None, StatusCode::OK).await
}

#[post("/settings")]
pub async fn save_settings(
    state: web::Data<AppState>,
    staff: Staff,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    staff.require_admin()?;
    let fields = FormFields::parse(&body);
    // A field the form did not send (an older page still open) keeps its default.
    let defaults = SettingsNumbers::of(&SiteSettings::default());
    let typed = |name: &str, default: &str| fields.get(name).map_or(default, str::trim).to_string();
    let numbers = SettingsNumbers {
        max_links: typed("max_links", &defaults.max_links),
        auto_close_days: typed("auto_close_days", &defaults.auto_close_days),
        trusted_after: typed("trusted_after", &defaults.trusted_after),
        premoderate_after: typed("premoderate_after", &defaults.premoderate_after),
        removal_window_days: typed("removal_window_days", &defaults.removal_window_days),
    };
    // Each number with its allowed range and the words for a refusal.
    let mut wrong = Vec::new();
    let mut number = |text: &str, range: std::ops::RangeInclusive<i64>, what: &str| {
        let parsed = text.parse::<i64>().ok().filter(|n| range.contains(n));
        if parsed.is_none() {
            wrong.push(format!("{what} must be a whole number from {} to {}", range.start(), range.end()));
        }
        parsed.unwrap_or(*range.start())
    };
    let max_links = number(&numbers.max_links, 0..=50, "Links allowed");
    let auto_close_days = number(&numbers.auto_close_days, 0..=3650, "Closing days");
    let trusted_after = number(&numbers.trusted_after, 1..=100, "Approved comments before trust");
    let premoderate_after = number(&numbers.premoderate_after, 0..=100, "Removals before pre-moderation");
    let removal_window_days = number(&numbers.removal_window_days, 1..=365, "Days counted for removals");
    let settings = SiteSettings {
        auto_close_days,
        max_links: max_links as usize,
        hold_first_comment: fields.get("hold_first_comment").is_some(),
        trusted_after,
        premoderate_after,
        removal_window_days,
        banned_words: word_list(fields.get("banned_words").unwrap_or_default()),
        suspect_words: word_list(fields.get("suspect_words").unwrap_or_default()),
    };
    if !wrong.is_empty() {
        let error = Some(format!("Nothing was saved. {}.", wrong.join("; ")));
        return settings_page(&state, &staff, settings, numbers, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
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
