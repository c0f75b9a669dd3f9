//! What every request handler shares: settings, database, assets and the
//! small caches in front of the database.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDateTime, Utc};

use crate::assets::Assets;
use crate::brief::Brief;
use crate::changes::Change;
use crate::config::Config;
use crate::db::Database;
use crate::error::AppError;
use crate::models::Section;
use crate::security::identity::Viewer;
use crate::security::session_data::user_in;
use crate::views::discovery::{FeedLink, SocialMeta};
use crate::views::{Chrome, NavItem, ViewerView, login_url};

/// Sections change rarely; re-reading them at most this often keeps one
/// query off every page view while an import still shows up promptly.
const NAV_TTL: Duration = Duration::from_secs(30);

pub struct AppState {
    pub config: Config,
    pub db: Database,
    pub assets: Assets,
    /// What committed changes touched, for whatever keeps copies of pages.
    pub changes: Arc<crate::changes::Changes>,
    /// Whole pages for readers without a session.
    pub page_cache: Arc<crate::page_cache::PageCache>,
    /// Shared copies logged-in readers' article pages are assembled from.
    pub reader_pages: crate::reader_pages::ReaderPages,
    /// Session states by row id, held under a second (`brief`).
    pub sessions: Arc<Sessions>,
    /// Accounts by id, held under a second.
    pub accounts: Arc<Brief<i32, crate::models::User>>,
    /// Requests being worked on, and the page requests turned away past the limit.
    pub admission: crate::admission::Admission,
    /// Figures for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// The mail worker's bell and what every message needs (`mail`).
    pub mail: crate::mail::Mail,
    /// Set when the server was told to stop: `/readyz` says "stopping".
    pub stopping: std::sync::atomic::AtomicBool,
    nav: NavSlot,
}

/// Session states by row id.
pub type Sessions = Brief<String, std::collections::HashMap<String, String>>;

/// The navigation and when it was read.
type NavSlot = RwLock<Option<(Instant, Arc<Vec<NavItem>>)>>;

/// The current time as stored in the database (UTC, no offset).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl AppState {
    pub fn new(config: Config, db: Database) -> AppState {
        // A quarter of the memory for logged-in readers' shared copies.
        let for_readers = config.page_cache_bytes / 4;
        let page_cache = Arc::new(crate::page_cache::PageCache::new(config.page_cache_bytes - for_readers));
        let reader_pages = crate::reader_pages::ReaderPages::new(for_readers);
        let changes = Arc::new(crate::changes::Changes::default());
        let forget = page_cache.clone();
        changes.listen(move |change| {
            if change.shows_on_pages() {
                forget.forget_all();
            }
        });
        let held = config.page_cache_bytes > 0;
        let sessions: Arc<Sessions> = Arc::new(Brief::new(held));
        let accounts: Arc<Brief<i32, crate::models::User>> = Arc::new(Brief::new(held));
        let (forget_sessions, forget_accounts) = (sessions.clone(), accounts.clone());
        changes.listen(move |change| match change {
            // A ban, a role, a new password, a deletion: the account and
            // every session of it are read again.
            Change::Account { user_id } => {
                forget_accounts.remove(user_id);
                forget_sessions.retain(|state| user_in(state) != Some(*user_id));
            }
            Change::SessionEnded { id } => forget_sessions.remove(id),
            Change::Everything => {
                forget_accounts.clear();
                forget_sessions.clear();
            }
            _ => {}
        });
        let nav = NavSlot::default();
        let admission = crate::admission::Admission::new(config.max_in_flight);
        let mail = crate::mail::Mail::new(&config);
        AppState {
            config,
            db,
            assets: Assets::load(),
            changes,
            page_cache,
            reader_pages,
            sessions,
            accounts,
            admission,
            metrics: crate::metrics::Metrics::default(),
            mail,
            stopping: std::sync::atomic::AtomicBool::new(false),
            nav,
        }
    }

    /// The navigation, from the cache when it is fresh.
    pub async fn nav(&self) -> Result<Arc<Vec<NavItem>>, AppError> {
        if let Some(nav) = self.cached_nav(true) {
            return Ok(nav);
        }
        let sections = self.db.run(|conn| Ok(Section::all_in_order(conn)?)).await?;
        let nav: Arc<Vec<NavItem>> = Arc::new(
            sections
                .into_iter()
                .map(|s| NavItem { url: format!("/sections/{}", s.slug), name: s.name, slug: s.slug })
                .collect(),
        );
        if let Ok(mut slot) = self.nav.write() {
            *slot = Some((Instant::now(), nav.clone()));
        }
        Ok(nav)
    }

    /// Whatever navigation is cached, fresh or not (error pages must not
    /// depend on the database they may be reporting about).
    pub fn cached_nav(&self, fresh_only: bool) -> Option<Arc<Vec<NavItem>>> {
        let slot = self.nav.read().ok()?;
        let (loaded, nav) = slot.as_ref()?;
        if fresh_only && loaded.elapsed() > NAV_TTL {
            return None;
        }
        Some(nav.clone())
    }

    /// The layout data for a page at `path` (used for its canonical URL).
    /// An absolute URL for a path on this site.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    pub fn chrome(
        &self,
        nav: Arc<Vec<NavItem>>,
        viewer: Option<&Viewer>,
        title: &str,
        description: &str,
        path: &str,
        current: &str,
    ) -> Chrome {
        let user = viewer.and_then(|v| v.user.as_ref());
        Chrome {
            site_name: self.config.site_name.clone(),
            title: title.to_string(),
            description: description.to_string(),
            canonical: format!("{}{}", self.config.base_url, path),
            css_url: self.assets.url("css/site.css"),
            icon_url: self.assets.url("favicon.svg"),
            nav,
            current: current.to_string(),
            year: Utc::now().year(),
            viewer: user.map(|u| ViewerView::of(u, viewer.map_or(0, |v| v.unseen_replies))),
            csrf: viewer.map(Viewer::existing_csrf_token).unwrap_or_default(),
            login_url: login_url(path),
            feeds: FeedLink::pair(&self.config.site_name, "/feed"),
            social: SocialMeta { og_type: "website", ..SocialMeta::default() },
            splice: String::new(),
        }
    }

    /// Layout data for a page, loading the navigation if needed.
    pub async fn page_chrome(
        &self,
        viewer: &Viewer,
        title: &str,
        description: &str,
        path: &str,
        current: &str,
    ) -> Result<Chrome, AppError> {
        let nav = self.nav().await?;
        Ok(self.chrome(nav, Some(viewer), title, description, path, current))
    }
}
