//! Article pages for logged-in readers, assembled from a shared copy.
//!
//! A logged-in reader's article page differs from every other logged-in
//! reader's in three places only: the account links in the header (their
//! name, their replies count, the log-out form's token), the comment form
//! (their token and their draft), and the links under their own comments
//! (edit and delete instead of report). So the page is built once per
//! address for "a logged-in reader" with no one's name, token or draft in
//! it, cut at two pairs of markers into three pieces, each gzipped on its
//! own; each request renders only the reader's two small parts and joins
//! the five pieces into one gzip member without compressing the large ones
//! again (`compression::join`).
//!
//! Readers with a comment on the page, who marked one "Respect", or who
//! muted someone with a comment on it, get a shared copy of their own (the
//! same pieces, built with their own links, buttons and folded comments),
//! kept the same way. Readers with
//! a comment held for review in the discussion, which only they see, get a
//! page built for them alone, as before.
//!
//! Freshness is the page cache's: a copy built before the last committed
//! change (here or, through the relay, in another process) is not used, and
//! none is used after 60 seconds, so relative times stay within a minute.
//! The memory is bounded, least recently used first.

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use sha2::{Digest, Sha256};

use crate::compression::{self, Packed};
use crate::error::AppError;
use crate::lru::{Lru, Weighed};
use crate::models::mute::Mute;
use crate::models::{Role, User};
use crate::routes::stories::{ArticleQuery, Audience, article_view};
use crate::security::identity::Viewer;
use crate::security::session_data::SessionData;
use crate::state::AppState;
use crate::views::discussion::CommentForm;
use crate::views::{AccountBarPart, AccountBarView, CommentFormPart, ViewerView};

/// The page cache's status header says this for a page assembled here.
pub const ASSEMBLED: &str = "assembled";

/// No copy is used after this long (relative times, expiry by the clock).
const USABLE_FOR: Duration = Duration::from_secs(60);

/// The shared copy of one page.
struct Shared {
    /// Before the account links, between them and the form, after the form
    /// (or, with no form, before and after the account links).
    pieces: Vec<Packed>,
    article_id: i32,
    form_action: Option<String>,
    commenters: HashSet<i32>,
    held_authors: HashSet<i32>,
    /// Readers who marked a comment here: their buttons say so.
    respecters: HashSet<i32>,
    /// A hash of the shared copy, for the validator.
    tag: String,
}

impl Shared {
    fn size(&self) -> usize {
        self.pieces.iter().map(Packed::size).sum::<usize>()
            + 64 * (self.commenters.len() + self.held_authors.len() + self.respecters.len())
            + 256
    }
}

struct Entry {
    shared: Arc<Shared>,
    generation: u64,
    built_at: Instant,
    last_used: u64,
}

impl Weighed for Entry {
    fn size(&self) -> usize {
        self.shared.size()
    }

    fn last_used(&self) -> u64 {
        self.last_used
    }
}

pub struct ReaderPages {
    entries: Mutex<Lru<Entry>>,
    budget: usize,
    /// Cuts the shared copy; random per process, so no text a reader
    /// writes can pass for it.
    marker: String,
}

impl ReaderPages {
    pub fn new(budget: usize) -> ReaderPages {
        ReaderPages {
            entries: Mutex::default(),
            budget,
            marker: format!("<!--{}-->", hex::encode(rand::random::<[u8; 16]>())),
        }
    }

    fn get(&self, key: &str, generation: u64) -> Option<Arc<Shared>> {
        let mut entries = self.entries.lock().ok()?;
        let clock = entries.tick();
        let entry = entries.map.get_mut(key)?;
        if entry.generation != generation || entry.built_at.elapsed() >= USABLE_FOR {
            return None;
        }
        entry.last_used = clock;
        Some(entry.shared.clone())
    }

    fn keep(&self, key: String, shared: Arc<Shared>, generation: u64) {
        let size = shared.size();
        if size > self.budget {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        let last_used = entries.tick();
        entries.insert(key, Entry { shared, generation, built_at: Instant::now(), last_used }, self.budget);
    }
}

/// Stands for "a logged-in reader" in the shared copy: no real account has
/// id 0, so no comment is theirs.
fn anyone() -> User {
    User {
        id: 0,
        username: String::new(),
        display_name: String::new(),
        password_hash: String::new(),
        role: Role::Reader,
        created_at: chrono::NaiveDateTime::MIN,
        banned_at: None,
        banned_until: None,
        ban_reason: None,
        deleted_at: None,
        replies_seen_at: None,
        unseen_replies: 0,
        muted_count: 0,
        premoderated_at: None,
        premoderation_reason: String::new(),
        email: None,
        email_confirmed_at: None,
        notify_replies: false,
        notify_featured: false,
        notify_removed: false,
        notify_digest: false,
    }
}

/// The reader's article page from the shared copy, or None when it must be
/// built for them alone (caching is off, or they have a held comment here).
pub async fn answer(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    request: &HttpRequest,
    slug: &str,
    query: &ArticleQuery,
) -> Result<Option<HttpResponse>, AppError> {
    let pages = &state.reader_pages;
    if pages.budget == 0 || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return Ok(None);
    }
    let key = crate::page_cache::key_of(request.path(), request.query_string());
    let mut shared = shared_copy(state, viewer, &anyone(), key.clone(), slug, query).await?;
    if shared.held_authors.contains(&user.id) {
        return Ok(None);
    }
    if shared.commenters.contains(&user.id)
        || shared.respecters.contains(&user.id)
        || mutes_someone_here(state, user, &shared).await?
    {
        let own_key = format!("{key}\nreader={}", user.id);
        shared = shared_copy(state, viewer, user, own_key, slug, query).await?;
    }
    let bar = AccountBarPart {
        chrome: AccountBarView {
            viewer: Some(ViewerView::of(user, viewer.unseen_replies)),
            csrf: viewer.csrf_token(),
            login_url: String::new(),
        },
    }
    .render()?;
    let form = match &shared.form_action {
        Some(action) => CommentFormPart {
            form: CommentForm {
                action: action.clone(),
                body: SessionData(&viewer.session).draft(shared.article_id).unwrap_or_default(),
                csrf: viewer.csrf_token(),
                ..CommentForm::default()
            },
        }
        .render()?,
        None => String::new(),
    };
    let own = Sha256::new().chain_update(&bar).chain_update(&form).finalize();
    let tag = format!("W/\"{}{}\"", shared.tag, hex::encode(&own[..6]));
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::ETAG, tag.clone()))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")))
        .insert_header((header::VARY, HeaderValue::from_static("Cookie")))
        .insert_header((crate::page_cache::STATUS_HEADER, HeaderValue::from_static(ASSEMBLED)));
    let held = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if held.is_some_and(|list| crate::caching::matches(list, &tag)) {
        return Ok(Some(response.status(StatusCode::NOT_MODIFIED).finish()));
    }
    let bar = Packed::new(bar.as_bytes()).map_err(AppError::Internal)?;
    let form = Packed::new(form.as_bytes()).map_err(AppError::Internal)?;
    let pieces: Vec<&Packed> = match shared.pieces.as_slice() {
        [before, between, after] => vec![before, &bar, between, &form, after],
        [before, after] => vec![before, &bar, after],
        _ => return Ok(None),
    };
    let gzipped = compression::join(&pieces);
    if compression::accepts_gzip(request.headers()) {
        // (The compression layer adds Vary: Accept-Encoding to the plain answer.)
        response.append_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
        return Ok(Some(response.body(gzipped)));
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut plain)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Some(response.body(plain)))
}

/// Whether `user` muted a commenter on the page: their copy folds those
/// comments. Readers who muted nobody (nearly all) cost no query here.
async fn mutes_someone_here(state: &AppState, user: &User, shared: &Shared) -> Result<bool, AppError> {
    if user.muted_count == 0 {
        return Ok(false);
    }
    let id = user.id;
    let muted = state.db.run(move |conn| Ok(Mute::ids_of(conn, id)?)).await?;
    Ok(!muted.is_disjoint(&shared.commenters))
}

/// The shared copy for `key`, built for `user` (anyone, or a reader with
/// comments on the page) if none is fresh.
async fn shared_copy(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    key: String,
    slug: &str,
    query: &ArticleQuery,
) -> Result<Arc<Shared>, AppError> {
    let pages = &state.reader_pages;
    let generation = state.page_cache.generation();
    if let Some(shared) = pages.get(&key, generation) {
        return Ok(shared);
    }
    let audience = Audience::Shared { user, marker: &pages.marker };
    let (page, facts) = article_view(state, viewer, slug.to_string(), query.clone(), None, &audience).await?;
    let html = page.render()?;
    let parts: Vec<&str> = html.split(pages.marker.as_str()).collect();
    // The reader's own parts (odd places) are dropped; the rest is shared.
    let pieces = match parts.as_slice() {
        [before, _, between, _, after] if facts.form_action.is_some() => vec![*before, *between, *after],
        [before, _, after] if facts.form_action.is_none() => vec![*before, *after],
        _ => return Err(AppError::Internal(format!("the article page has {} parts, not 3 or 5", parts.len()))),
    };
    let packed =
        pieces.iter().map(|p| Packed::new(p.as_bytes())).collect::<Result<Vec<_>, _>>().map_err(AppError::Internal)?;
    let digest = Sha256::digest(html.as_bytes());
    let shared = Arc::new(Shared {
        pieces: packed,
        article_id: facts.article_id,
        form_action: facts.form_action,
        commenters: facts.commenters,
        held_authors: facts.held_authors,
        respecters: facts.respecters,
        tag: hex::encode(&digest[..9]),
    });
    pages.keep(key, shared.clone(), generation);
    Ok(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Arc<Shared> {
        Arc::new(Shared {
            pieces: vec![Packed::new(b"<p>before</p>").unwrap(), Packed::new(b"<p>after</p>").unwrap()],
            article_id: 1,
            form_action: None,
            commenters: HashSet::new(),
            held_authors: HashSet::new(),
            respecters: HashSet::new(),
            tag: "t".into(),
        })
    }

    #[test]
    fn copies_go_stale_with_a_change_or_after_a_minute_and_fit_the_budget() {
        let pages = ReaderPages::new(shared().size() * 2);
        pages.keep("/a".into(), shared(), 7);
        assert!(pages.get("/a", 7).is_some());
        assert!(pages.get("/a", 8).is_none(), "a change since");
        let old = Instant::now().checked_sub(USABLE_FOR).expect("the clock has run that long");
        pages.entries.lock().unwrap().map.get_mut("/a").unwrap().built_at = old;
        assert!(pages.get("/a", 7).is_none(), "a minute old");
        for key in ["/b", "/c", "/d"] {
            pages.keep(key.into(), shared(), 7);
        }
        assert!(pages.entries.lock().unwrap().bytes <= shared().size() * 2);
        assert!(pages.get("/d", 7).is_some() && pages.get("/b", 7).is_none(), "the least recently used went");
    }

    #[test]
    fn markers_differ_between_processes_and_cannot_be_typed() {
        let (one, two) = (ReaderPages::new(1), ReaderPages::new(1));
        assert_ne!(one.marker, two.marker);
        // Readers' text is escaped: "<!--" never reaches a page from them.
        assert!(one.marker.starts_with("<!--") && one.marker.len() == 4 + 32 + 3);
    }
}
