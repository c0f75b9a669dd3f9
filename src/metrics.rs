//! What operators watch, in Prometheus' text format: requests by route
//! pattern (never the raw path, which would make a series per article)
//! and status, their latency, the database pool, the page cache, and the
//! comments posted, held and removed.
//!
//! Served only on its own address (`NEWSDESK_METRICS_BIND`), never on the
//! site's: behind a reverse proxy every request looks local, so "only from
//! loopback" would protect nothing.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::state::AppState;

/// Latency buckets' upper bounds, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// One route and status: how many, and how long they took.
#[derive(Default)]
struct Series {
    count: AtomicU64,
    micros: AtomicU64,
    /// Requests at or under each bucket's bound (not cumulative here).
    buckets: [AtomicU64; BUCKETS.len()],
}

/// One route's series, by method and status.
type ByAnswer = HashMap<(&'static str, u16), Series>;

/// Counters that are not per route.
#[derive(Default)]
pub struct Counters {
    pub comments_posted: AtomicU64,
    pub comments_held: AtomicU64,
    pub comments_removed: AtomicU64,
    pub turned_away: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    /// By route pattern, then method and status. Read-locked on every
    /// request: a new key (a route's first answer with a status) is rare.
    requests: RwLock<HashMap<String, ByAnswer>>,
    /// By how the page cache answered (`hit`, `stale`, `miss`, `assembled`).
    cache: RwLock<HashMap<String, AtomicU64>>,
    pub counters: Counters,
    /// Route patterns by path, so the router's patterns run once per path.
    routes: RwLock<HashMap<String, Arc<str>>>,
}

/// Paths whose route pattern is kept.
const ROUTES_KEPT: usize = 4096;

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, method: &'static str, route: &str, status: u16, took: Duration) {
        let micros = took.as_micros().min(u128::from(u64::MAX)) as u64;
        let seconds = took.as_secs_f64();
        let record = |series: &Series| {
            series.count.fetch_add(1, Ordering::Relaxed);
            series.micros.fetch_add(micros, Ordering::Relaxed);
            if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
                series.buckets[bucket].fetch_add(1, Ordering::Relaxed);
            }
        };
        if let Ok(requests) = self.requests.read()
            && let Some(series) = requests.get(route).and_then(|by| by.get(&(method, status)))
        {
            record(series);
            return;
        }
        if let Ok(mut requests) = self.requests.write() {
            record(requests.entry(route.to_string()).or_default().entry((method, status)).or_default());
        }
    }

    /// The route pattern a request matched ("unmatched" for none).
    pub fn route_of(&self, request: &actix_web::HttpRequest) -> Arc<str> {
        if let Ok(known) = self.routes.read()
            && let Some(route) = known.get(request.path())
        {
            return route.clone();
        }
        let route: Arc<str> = request.match_pattern().map_or_else(|| Arc::from("unmatched"), Arc::from);
        if let Ok(mut known) = self.routes.write() {
            // Bounded: a crawler asking for endless missing paths empties
            // it now and then instead of growing it.
            if known.len() >= ROUTES_KEPT {
                known.clear();
            }
            known.insert(request.path().to_string(), route.clone());
        }
        route
    }

    /// Counts how the page cache answered a request.
    pub fn cache(&self, how: &str) {
        if let Ok(cache) = self.cache.read()
            && let Some(count) = cache.get(how)
        {
            count.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Ok(mut cache) = self.cache.write() {
            cache.entry(how.to_string()).or_default().fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The text a scrape gets.
pub fn render(state: &AppState) -> String {
    let metrics = &state.metrics;
    let mut out = String::with_capacity(8 * 1024);
    out.push_str("# HELP newsdesk_http_requests_total Requests answered, by route pattern and status.\n");
    out.push_str("# TYPE newsdesk_http_requests_total counter\n");
    let requests = metrics.requests.read().map(|r| snapshot(&r)).unwrap_or_default();
    for (method, route, status, series) in &requests {
        let _ = writeln!(
            out,
            "newsdesk_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
            escape(route),
            series.0
        );
    }
    out.push_str("# HELP newsdesk_http_request_duration_seconds Time from a request's arrival to its answer.\n");
    out.push_str("# TYPE newsdesk_http_request_duration_seconds histogram\n");
    // One histogram per route (statuses folded together).
    let mut by_route: std::collections::BTreeMap<(&str, &str), (u64, u64, [u64; BUCKETS.len()])> = Default::default();
    for (method, route, _, (count, micros, buckets)) in &requests {
        let entry = by_route.entry((method, route.as_str())).or_insert((0, 0, [0; BUCKETS.len()]));
        entry.0 += count;
        entry.1 += micros;
        for (total, more) in entry.2.iter_mut().zip(buckets) {
            *total += more;
        }
    }
    for ((method, route), (count, micros, buckets)) in &by_route {
        let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
        let mut cumulative = 0;
        for (bound, in_bucket) in BUCKETS.iter().zip(buckets) {
            cumulative += in_bucket;
            let _ =
                writeln!(out, "newsdesk_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "newsdesk_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "newsdesk_http_request_duration_seconds_sum{{{labels}}} {}", *micros as f64 / 1e6);
        let _ = writeln!(out, "newsdesk_http_request_duration_seconds_count{{{labels}}} {count}");
    }

    let pool = state.db.pool_figures();
    gauge(&mut out, "newsdesk_db_pool_connections", "Connections the pool holds open.", pool.open);
    gauge(&mut out, "newsdesk_db_pool_connections_idle", "Open connections not lent out.", pool.idle);
    gauge(&mut out, "newsdesk_db_pool_connections_in_use", "Connections lent out to requests now.", pool.in_use());
    counter(&mut out, "newsdesk_db_pool_checkouts_total", "Connections lent out.", pool.checkouts);
    counter(&mut out, "newsdesk_db_pool_waits_total", "Checkouts that had to wait for a connection.", pool.waits);
    counter(&mut out, "newsdesk_db_pool_wait_seconds_total", "Time spent waiting for connections.", pool.wait_seconds);
    counter(&mut out, "newsdesk_db_pool_timeouts_total", "Checkouts that gave up waiting.", pool.timeouts);

    out.push_str("# HELP newsdesk_page_cache_answers_total Requests by how the page cache answered them.\n");
    out.push_str("# TYPE newsdesk_page_cache_answers_total counter\n");
    let cache: Vec<(String, u64)> = metrics
        .cache
        .read()
        .map(|c| {
            let mut all: Vec<(String, u64)> = c.iter().map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed))).collect();
            all.sort();
            all
        })
        .unwrap_or_default();
    for (how, count) in cache {
        let _ = writeln!(out, "newsdesk_page_cache_answers_total{{answer=\"{}\"}} {count}", escape(&how));
    }
    gauge(&mut out, "newsdesk_page_cache_bytes", "Memory the page cache holds.", state.page_cache.bytes() as f64);

    let counters = &metrics.counters;
    let load = |count: &AtomicU64| count.load(Ordering::Relaxed) as f64;
    counter(&mut out, "newsdesk_comments_posted_total", "Comments stored.", load(&counters.comments_posted));
    counter(
        &mut out,
        "newsdesk_comments_held_total",
        "Comments stored held for review.",
        load(&counters.comments_held),
    );
    counter(
        &mut out,
        "newsdesk_comments_removed_total",
        "Comments moderators removed.",
        load(&counters.comments_removed),
    );
    gauge(&mut out, "newsdesk_requests_in_flight", "Requests being worked on now.", state.admission.in_flight() as f64);
    counter(
        &mut out,
        "newsdesk_requests_turned_away_total",
        "Page requests answered 503 because too many were in flight.",
        load(&counters.turned_away),
    );
    out
}

type Row = (&'static str, String, u16, (u64, u64, [u64; BUCKETS.len()]));

fn snapshot(requests: &HashMap<String, ByAnswer>) -> Vec<Row> {
    let mut rows: Vec<Row> = requests
        .iter()
        .flat_map(|(route, by)| by.iter().map(move |(key, series)| (route, key, series)))
        .map(|(route, (method, status), series)| {
            let buckets = std::array::from_fn(|i| series.buckets[i].load(Ordering::Relaxed));
            let figures = (series.count.load(Ordering::Relaxed), series.micros.load(Ordering::Relaxed), buckets);
            (*method, route.clone(), *status, figures)
        })
        .collect();
    rows.sort_by(|a, b| (a.1.as_str(), a.0, a.2).cmp(&(b.1.as_str(), b.0, b.2)));
    rows
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

fn counter(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_into_buckets() {
        let metrics = Metrics::default();
        metrics.request("GET", "/articles/{slug}", 200, Duration::from_micros(800));
        metrics.request("GET", "/articles/{slug}", 200, Duration::from_millis(30));
        metrics.request("GET", "/articles/{slug}", 404, Duration::from_millis(2));
        let rows = snapshot(&metrics.requests.read().unwrap());
        assert_eq!(rows.len(), 2);
        let (_, _, _, (count, micros, buckets)) = &rows[0];
        assert_eq!((*count, *micros), (2, 30_800));
        assert_eq!(buckets[0], 1, "0.8 ms is within the first bucket");
        assert_eq!(buckets[5], 1, "30 ms within the 50 ms bucket");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
