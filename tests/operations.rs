//! What operators see: `/metrics` on its own address only, with requests
//! by route pattern (never the raw path), the pool, the page cache and the
//! comments; a request id on every answer; JSON logs that carry it.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestApp};
use newsdesk::models::Role;

const STORY: &str = "/articles/sea-wall-repairs-row";

/// The value of the first series line starting with `series`.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find(|line| line.starts_with(series)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

async fn metrics_tell_what_happened(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, |config| {
        config.page_cache_bytes = 4 * 1024 * 1024;
        common::unlimited(config);
    })
    .await
    else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let server = newsdesk::serve_metrics(app.state.clone(), listener).expect("the metrics server starts");
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let visitor = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(visitor.get(app.url(STORY)).send().await.unwrap().status(), 200);
    }
    assert_eq!(visitor.get(app.url("/articles/no-such-story")).send().await.unwrap().status(), 404);
    let reader = app.reader("metrics_reader").await;
    let posted = reader.comment(STORY, "Counted, one hopes.").await;
    assert_eq!(posted.status(), 303);
    let id = common::comment_id(&posted);
    let moderator = app.staff("metrics_mod", Role::Moderator).await;
    let removed =
        moderator.submit("/admin/queue/recent", &format!("/admin/comments/{id}/remove"), &[("reason", "Spam")]).await;
    assert_eq!(removed.status(), 303);

    let response = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let metrics = response.text().await.unwrap();
    let article = r#"newsdesk_http_requests_total{method="GET",route="/articles/{slug}",status="200"}"#;
    assert!(
        value(&metrics, article).is_some_and(|n| n >= 3.0),
        "the story's requests, cache hits included:\n{metrics}"
    );
    let missing = r#"newsdesk_http_requests_total{method="GET",route="/articles/{slug}",status="404"}"#;
    assert_eq!(value(&metrics, missing), Some(1.0));
    assert!(!metrics.contains("sea-wall-repairs-row"), "labels hold route patterns, never raw paths");
    let post = r#"newsdesk_http_requests_total{method="POST",route="/articles/{slug}/comments",status="303"}"#;
    assert_eq!(value(&metrics, post), Some(1.0));
    let histogram = r#"newsdesk_http_request_duration_seconds_bucket{method="GET",route="/articles/{slug}",le="+Inf"}"#;
    assert!(value(&metrics, histogram).is_some_and(|n| n >= 4.0), "the latency histogram");
    assert!(value(&metrics, r#"newsdesk_page_cache_answers_total{answer="hit"}"#).is_some_and(|n| n >= 1.0));
    assert!(value(&metrics, r#"newsdesk_page_cache_answers_total{answer="miss"}"#).is_some_and(|n| n >= 1.0));
    assert_eq!(value(&metrics, "newsdesk_comments_posted_total"), Some(1.0));
    assert_eq!(value(&metrics, "newsdesk_comments_held_total"), Some(0.0));
    assert_eq!(value(&metrics, "newsdesk_comments_removed_total"), Some(1.0));
    assert!(value(&metrics, "newsdesk_db_pool_connections ").is_some_and(|n| n >= 1.0), "{metrics}");
    assert!(value(&metrics, "newsdesk_db_pool_checkouts_total").is_some_and(|n| n >= 1.0));
    for series in ["newsdesk_db_pool_connections_in_use", "newsdesk_db_pool_waits_total", "newsdesk_requests_in_flight"]
    {
        assert!(value(&metrics, series).is_some(), "{series}");
    }

    // Never on the site's own address.
    assert_eq!(visitor.get(app.url("/metrics")).send().await.unwrap().status(), 404);
    handle.stop(false).await;
}

/// Every answer names its request; an id from a trusted proxy is kept,
/// from anyone else replaced.
async fn every_answer_carries_a_request_id(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let client = reqwest::Client::new();
    let mut seen = std::collections::HashSet::new();
    for path in ["/", STORY, "/no-such-page", "/livez"] {
        let response = client.get(app.url(path)).send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 16, "{path}: {id}");
        assert!(seen.insert(id), "ids differ");
    }
    let sent = client.get(app.url("/")).header("X-Request-Id", "edge-7f3a91").send().await.unwrap();
    assert_ne!(sent.headers()["x-request-id"], "edge-7f3a91", "not from an untrusted client");
    drop(app);

    let Some(behind_proxy) = TestApp::with_demo_configured(backend, |config| config.trust_proxy = true).await else {
        return;
    };
    let sent = client.get(behind_proxy.url("/")).header("X-Request-Id", "edge-7f3a91").send().await.unwrap();
    assert_eq!(sent.headers()["x-request-id"], "edge-7f3a91", "the proxy's id is kept");
    let odd = client.get(behind_proxy.url("/")).header("X-Request-Id", "two words").send().await.unwrap();
    assert_ne!(odd.headers()["x-request-id"], "two words", "an id that could break a log line is replaced");
}

on_both_backends!(metrics_tell_what_happened, every_answer_carries_a_request_id);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The real binary with JSON logs and metrics on their own port: each
/// request's log line is JSON carrying the id the answer was sent with.
#[actix_web::test]
async fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NEWSDESK_BIND", format!("127.0.0.1:{port}"))
        .env("NEWSDESK_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .env("NEWSDESK_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let since = Instant::now();
    let id = loop {
        if let Ok(response) = reqwest::get(format!("{base}/")).await
            && response.status() == 200
        {
            break response.headers()["x-request-id"].to_str().unwrap().to_string();
        }
        assert!(since.elapsed() < Duration::from_secs(60), "the server did not start");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let metrics = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.unwrap().contains(r#"route="/",status="200""#));
    assert_eq!(reqwest::get(format!("{base}/metrics")).await.unwrap().status(), 404, "not on the site's port");
    let _ = child.kill();
    let _ = child.wait();

    let mut found = None;
    for line in received.iter() {
        let json: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        if json["span"]["id"] == id.as_str() && json["fields"]["status"] == 200 {
            found = Some(json);
            break;
        }
    }
    let line = found.expect("the request's access line, with its id");
    assert_eq!(line["fields"]["path"], "/");
    assert_eq!(line["fields"]["method"], "GET");
}

#[test]
fn an_unknown_log_format_is_named() {
    let output = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .env("NEWSDESK_LOG_FORMAT", "xml")
        .arg("session-key")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NEWSDESK_LOG_FORMAT") && stderr.contains("xml"), "{stderr}");
}
