//! Whole answers for readers without a session, kept in memory.
//!
//! A breaking story is read mostly by people who are not logged in, and
//! building its page for each of them is most of what the server does. So
//! the reading pages (articles, listings, search, feeds, sitemaps, the
//! public moderation log) are answered from here when the request carries
//! no session cookie: before any session or database work, with the bytes,
//! headers (security headers, ETag) and gzip encoding the full stack
//! produced the first time.
//!
//! Freshness: every committed change is announced (`changes`), and each
//! announcement makes every entry stale at once — nothing a change touched
//! can be missed. A stale entry is rebuilt by the first request that finds
//! it while the others are still answered from it (for the few milliseconds
//! a page takes to build); a page nobody holds yet is built by the first of
//! many readers asking at once, and the others wait for it. No entry is
//! used more than 60 seconds after it was built, so relative times ("5
//! minutes ago") are at most a minute behind. Changes committed by other
//! processes, and pages that change with no write (an embargo lifting, a
//! discussion closing by age), reach here as announcements too, through
//! the change relay (`change_relay`).
//!
//! When a page cannot be built (the database is unreachable), the copy
//! held from before is sent instead of the error, marked `stale`.
//!
//! The memory is bounded (`page_cache_bytes`): the least recently used
//! entries go first. Bodies worth compressing are kept gzipped and in
//! brotli, compressed once; the rare client that takes neither gets the
//! gzip unpacked.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use tokio::sync::watch;

use crate::lru::{Lru, Weighed};
use crate::state::AppState;

/// After this an entry is rebuilt by the next request (others use it meanwhile).
const FRESH_FOR: Duration = Duration::from_secs(55);
/// After this an entry is never used.
const USABLE_FOR: Duration = Duration::from_secs(60);
/// A rebuild that has not finished in this long is taken over by another request.
const REBUILD_PATIENCE: Duration = Duration::from_secs(5);
/// Larger answers are not kept.
const LARGEST_ENTRY: usize = 1024 * 1024;

/// The response header that says how the answer was made: `hit` (from
/// memory), `stale` (from memory while another request rebuilds it),
/// `miss` (built now and kept); `assembled` for a logged-in reader's page
/// made from a shared copy (`reader_pages`). Other answers have none.
pub const STATUS_HEADER: &str = "x-newsdesk-cache";

/// An answer as kept.
struct Stored {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    /// Whether `body` is gzip (the Content-Encoding it is sent with).
    gzipped: bool,
    /// The same page in brotli, when it is worth compressing.
    brotli: Option<Bytes>,
    etag: Option<String>,
    /// The route pattern that built it, for the metrics of later copies.
    route: Option<std::sync::Arc<str>>,
}

impl Stored {
    fn size(&self) -> usize {
        self.body.len()
            + self.brotli.as_ref().map_or(0, Bytes::len)
            + self.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 32).sum::<usize>()
            + 128
    }
}

struct Entry {
    stored: std::sync::Arc<Stored>,
    /// The change count when the page was built.
    generation: u64,
    built_at: Instant,
    rebuilding_since: Option<Instant>,
    last_used: u64,
}

#[derive(Default)]
struct Entries {
    held: Lru<Entry>,
    /// Pages not held yet that one request is building: others wait for it
    /// (the sender is dropped when it is done, which wakes them).
    filling: HashMap<String, (Instant, watch::Sender<()>)>,
}

impl Weighed for Entry {
    fn size(&self) -> usize {
        self.stored.size()
    }

    fn last_used(&self) -> u64 {
        self.last_used
    }
}

pub struct PageCache {
    entries: Mutex<Entries>,
    /// Bumped by every committed change: entries built before are stale.
    generation: AtomicU64,
    budget: usize,
}

enum Lookup {
    /// Fresh, or stale while another request rebuilds it.
    Use(std::sync::Arc<Stored>, &'static str),
    /// Build it (and keep it, tagged with this generation).
    Build(u64),
    /// Another request is building it: wait for that, then look again.
    Wait(watch::Receiver<()>),
}

impl PageCache {
    pub fn new(budget: usize) -> PageCache {
        PageCache { entries: Mutex::new(Entries::default()), generation: AtomicU64::new(0), budget }
    }

    /// Every entry is stale from now on (a change was committed).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The count of committed changes seen: a copy built under an older
    /// count is stale.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.entries.lock().map(|e| e.held.bytes).unwrap_or(0)
    }

    fn lookup(&self, key: &str) -> Lookup {
        let generation = self.generation.load(Ordering::SeqCst);
        let Ok(mut entries) = self.entries.lock() else { return Lookup::Build(generation) };
        let clock = entries.held.tick();
        let Some(entry) = entries.held.map.get_mut(key) else {
            if let Some((since, building)) = entries.filling.get(key)
                && since.elapsed() < REBUILD_PATIENCE
            {
                return Lookup::Wait(building.subscribe());
            }
            entries.filling.insert(key.to_string(), (Instant::now(), watch::channel(()).0));
            return Lookup::Build(generation);
        };
        entry.last_used = clock;
        let age = entry.built_at.elapsed();
        if entry.generation == generation && age < FRESH_FOR {
            return Lookup::Use(entry.stored.clone(), "hit");
        }
        let someone_rebuilds = entry.rebuilding_since.is_some_and(|since| since.elapsed() < REBUILD_PATIENCE);
        if someone_rebuilds && age < USABLE_FOR {
            return Lookup::Use(entry.stored.clone(), "stale");
        }
        entry.rebuilding_since = Some(Instant::now());
        Lookup::Build(generation)
    }

    fn keep(&self, key: String, stored: Stored, generation: u64) {
        let size = stored.size();
        if size > LARGEST_ENTRY || size > self.budget {
            self.give_up(&key);
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        let entry = Entry {
            stored: std::sync::Arc::new(stored),
            generation,
            built_at: Instant::now(),
            rebuilding_since: None,
            last_used: entries.held.tick(),
        };
        entries.filling.remove(&key);
        entries.held.insert(key, entry, self.budget);
    }

    /// The copy held for `key`, however stale: for when a fresh one cannot be built.
    fn last_copy(&self, key: &str) -> Option<std::sync::Arc<Stored>> {
        self.entries.lock().ok()?.held.map.get(key).map(|entry| entry.stored.clone())
    }

    /// The page no longer exists (a story taken down): its old copy must
    /// not be sent, not even stale to the readers who come while it is
    /// rebuilt, nor in place of an error later.
    fn forget(&self, key: &str) {
        let Ok(mut entries) = self.entries.lock() else { return };
        entries.filling.remove(key);
        entries.held.remove(key);
    }

    /// The rebuild failed or its answer cannot be kept: let the next request try.
    fn give_up(&self, key: &str) {
        let Ok(mut entries) = self.entries.lock() else { return };
        entries.filling.remove(key);
        if let Some(entry) = entries.held.map.get_mut(key) {
            entry.rebuilding_since = None;
        }
    }
}

/// Lets the waiting readers go if the request building a page ends without
/// keeping it (an error, or the client went away mid-build).
struct Building<'a> {
    cache: &'a PageCache,
    key: String,
}

impl Drop for Building<'_> {
    fn drop(&mut self) {
        self.cache.give_up(&self.key);
    }
}

/// The pages the same for every reader without a session.
fn kept_path(path: &str) -> bool {
    path == "/"
        || ["/articles/", "/sections/", "/authors/", "/tags/", "/readers/", "/feed.", "/sitemap", "/news-sitemap"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        || matches!(path, "/search" | "/moderation" | "/robots.txt")
}

/// The key: the path and the parameters that change these pages, in a
/// fixed order; any other parameter (a tracking tag) is the same page.
pub fn key_of(path: &str, query: &str) -> String {
    let mut key = path.to_string();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    for wanted in ["page", "sort", "q"] {
        if let Some((_, value)) = pairs.iter().find(|(name, _)| name == wanted) {
            key.push_str(&format!("\n{wanted}={value}"));
        }
    }
    key
}

/// Headers that belong to one sending, not to the page.
fn per_sending(name: &HeaderName) -> bool {
    name == header::CONTENT_LENGTH || name == header::CONTENT_ENCODING || name == header::SET_COOKIE
}

pub async fn serve(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(request).await.map(ServiceResponse::map_into_boxed_body);
    };
    let cookie_name = crate::security::session_store::cookie_name(&state.config);
    let anonymous = request.cookie(cookie_name).is_none();
    if request.method() != Method::GET || !anonymous || !kept_path(request.path()) || state.page_cache.budget == 0 {
        return next.call(request).await.map(ServiceResponse::map_into_boxed_body);
    }
    let key = key_of(request.path(), request.query_string());
    let takes = Encodings {
        gzip: crate::compression::accepts_gzip(request.headers()),
        brotli: crate::compression::accepts_brotli(request.headers()),
    };
    let held = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let cache = &state.page_cache;
    let generation = loop {
        match cache.lookup(&key) {
            Lookup::Use(stored, how) => {
                let response = answer(&stored, takes, held.as_deref(), how)?;
                return Ok(request.into_response(response));
            }
            Lookup::Build(generation) => break generation,
            // Many readers asking for a page nobody holds at the same moment:
            // one builds it, the rest wait (a bounded time) and take it.
            Lookup::Wait(mut building) => {
                let _ = tokio::time::timeout(REBUILD_PATIENCE, building.changed()).await;
            }
        }
    };
    let building = Building { cache, key: key.clone() };
    // Built once, in full and uncompressed: this answer is kept, and each
    // later reader gets it in the encoding they take.
    let headers = request.headers_mut();
    headers.remove(header::ACCEPT_ENCODING);
    headers.remove(header::IF_NONE_MATCH);
    let response = next.call(request).await?.map_into_boxed_body();
    let keepable = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && !response
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("private") || v.contains("no-store"));
    if !keepable {
        if matches!(response.status(), StatusCode::GONE | StatusCode::NOT_FOUND) {
            cache.forget(&key);
        } else {
            cache.give_up(&key);
        }
        // The page could not be built (the database is unreachable, say):
        // a copy held from before, however old, beats an error page.
        if response.status().is_server_error()
            && let Some(stored) = cache.last_copy(&key)
        {
            let (request, _) = response.into_parts();
            return Ok(ServiceResponse::new(request, answer(&stored, takes, held.as_deref(), "stale")?));
        }
        return Ok(response);
    }
    let route = response.request().match_pattern().map(std::sync::Arc::from);
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let plain =
        actix_web::body::to_bytes(body).await.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let compressible = head
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(crate::compression::is_compressible)
        && plain.len() >= crate::compression::MIN_BYTES;
    let brotli = match compressible {
        true => {
            Some(Bytes::from(crate::compression::brotli(&plain).map_err(actix_web::error::ErrorInternalServerError)?))
        }
        false => None,
    };
    let body = match compressible {
        true => Bytes::from(crate::compression::compress(&plain).map_err(actix_web::error::ErrorInternalServerError)?),
        false => plain,
    };
    let stored = Stored {
        status: head.status(),
        headers: head.headers().iter().filter(|(n, _)| !per_sending(n)).map(|(n, v)| (n.clone(), v.clone())).collect(),
        body,
        gzipped: compressible,
        brotli,
        etag: head.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned),
        route,
    };
    let response = answer(&stored, takes, held.as_deref(), "miss")?;
    cache.keep(key, stored, generation);
    drop(building);
    Ok(ServiceResponse::new(request, response))
}

/// The encodings a reader takes.
#[derive(Clone, Copy)]
struct Encodings {
    gzip: bool,
    brotli: bool,
}

/// The kept answer for one reader: 304 when they hold it already, else the
/// body in the encoding they take (brotli before gzip: smaller).
fn answer(stored: &Stored, takes: Encodings, held: Option<&str>, how: &'static str) -> actix_web::Result<HttpResponse> {
    let unchanged = matches!((held, &stored.etag), (Some(list), Some(tag)) if crate::caching::matches(list, tag));
    let mut response = HttpResponse::build(if unchanged { StatusCode::NOT_MODIFIED } else { stored.status });
    for (name, value) in &stored.headers {
        response.append_header((name.clone(), value.clone()));
    }
    response.insert_header((HeaderName::from_static(STATUS_HEADER), HeaderValue::from_static(how)));
    let mut response = sent(&mut response, stored, takes, unchanged)?;
    if let Some(route) = &stored.route {
        response.extensions_mut().insert(crate::access_log::Route(route.clone()));
    }
    Ok(response)
}

/// The body part of [`answer`].
fn sent(
    response: &mut actix_web::HttpResponseBuilder,
    stored: &Stored,
    takes: Encodings,
    unchanged: bool,
) -> actix_web::Result<HttpResponse> {
    if unchanged {
        return Ok(response.finish());
    }
    if let Some(brotli) = stored.brotli.as_ref().filter(|_| takes.brotli) {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("br")));
        return Ok(response.body(brotli.clone()));
    }
    if !stored.gzipped {
        return Ok(response.body(stored.body.clone()));
    }
    if takes.gzip {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
        return Ok(response.body(stored.body.clone()));
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&stored.body[..])
        .read_to_end(&mut plain)
        .map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(response.body(plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_the_parameters_that_change_a_page_and_nothing_else() {
        assert_eq!(
            key_of("/articles/a", "sort=newest&page=2"),
            key_of("/articles/a", "page=2&utm_source=x&sort=newest")
        );
        assert_ne!(key_of("/articles/a", "page=2"), key_of("/articles/a", "page=3"));
        assert_eq!(key_of("/search", "q=harbour+wall"), "/search\nq=harbour wall");
        assert_eq!(key_of("/", ""), "/");
    }

    #[test]
    fn only_reading_pages_are_kept() {
        for kept in ["/", "/articles/a", "/articles/a/comments.atom", "/sections/local", "/feed.atom", "/sitemap.xml"] {
            assert!(kept_path(kept), "{kept}");
        }
        for not in ["/login", "/signup", "/account", "/admin", "/comments/1/reply", "/static/site.css", "/media/x"] {
            assert!(!kept_path(not), "{not}");
        }
    }

    fn page(text: &str) -> Stored {
        Stored {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Bytes::from(text.to_string()),
            gzipped: false,
            brotli: None,
            etag: None,
            route: None,
        }
    }

    #[test]
    fn a_change_makes_every_entry_stale_and_one_reader_rebuilds() {
        let cache = PageCache::new(1024 * 1024);
        let Lookup::Build(generation) = cache.lookup("/a") else { panic!("empty cache") };
        cache.keep("/a".into(), page("old"), generation);
        assert!(matches!(cache.lookup("/a"), Lookup::Use(_, "hit")));
        cache.forget_all();
        let Lookup::Build(generation) = cache.lookup("/a") else { panic!("stale after a change") };
        assert!(matches!(cache.lookup("/a"), Lookup::Use(_, "stale")), "others use it while one rebuilds");
        cache.keep("/a".into(), page("new"), generation);
        match cache.lookup("/a") {
            Lookup::Use(stored, "hit") => assert_eq!(&stored.body[..], b"new"),
            _ => panic!("fresh again"),
        }
    }

    #[test]
    fn a_page_built_while_a_change_was_made_is_stale_at_once() {
        let cache = PageCache::new(1024 * 1024);
        let Lookup::Build(generation) = cache.lookup("/a") else { panic!("empty cache") };
        cache.forget_all();
        cache.keep("/a".into(), page("maybe old"), generation);
        assert!(matches!(cache.lookup("/a"), Lookup::Build(_)));
    }

    /// Makes the entry for `key` look built `age` ago.
    fn age(cache: &PageCache, key: &str, age: Duration) {
        let mut entries = cache.entries.lock().unwrap();
        let entry = entries.held.map.get_mut(key).unwrap();
        entry.built_at = Instant::now().checked_sub(age).expect("the clock has run that long");
    }

    #[test]
    fn an_old_page_is_rebuilt_by_one_reader_and_never_used_after_a_minute() {
        let cache = PageCache::new(1024 * 1024);
        let Lookup::Build(generation) = cache.lookup("/a") else { panic!("empty cache") };
        cache.keep("/a".into(), page("built a while ago"), generation);
        age(&cache, "/a", Duration::from_secs(56));
        assert!(matches!(cache.lookup("/a"), Lookup::Build(_)), "one reader rebuilds it");
        assert!(matches!(cache.lookup("/a"), Lookup::Use(_, "stale")), "the others use it meanwhile");
        age(&cache, "/a", USABLE_FOR);
        assert!(matches!(cache.lookup("/a"), Lookup::Build(_)), "after a minute, nobody uses it");
        assert!(matches!(cache.lookup("/a"), Lookup::Build(_)));
    }

    #[test]
    fn memory_stays_within_the_budget() {
        let one = page(&"x".repeat(1000)).size();
        let cache = PageCache::new(one * 3);
        for n in 0..10 {
            let key = format!("/p{n}");
            let Lookup::Build(generation) = cache.lookup(&key) else { panic!() };
            cache.keep(key, page(&"x".repeat(1000)), generation);
            assert!(cache.bytes() <= one * 3);
        }
        assert!(matches!(cache.lookup("/p9"), Lookup::Use(_, "hit")), "the newest stays");
        assert!(matches!(cache.lookup("/p0"), Lookup::Build(_)), "the oldest went");
    }
}
