//! Two servers on one database, as behind a load balancer, each keeping
//! whole pages for readers without a session: a change committed through
//! one — or by the command-line tools, another process — shows on the
//! other within a second, on both databases.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp, comment_id, html, texts};
use newsdesk::models::Role;
use newsdesk::page_cache::STATUS_HEADER;

const STORY: &str = "/articles/sea-wall-repairs-row";
/// How soon another instance must show a change.
const WITHIN: Duration = Duration::from_secs(1);

async fn two_instances(backend: Backend) -> Option<(TestApp, TestApp)> {
    let first = TestApp::with_demo_configured(backend, |config| config.page_cache_bytes = 4 * 1024 * 1024).await?;
    let second = first.second_instance();
    Some((first, second))
}

/// A reader without a session.
fn visitor() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Fetches `url` twice so the second answer is the kept copy.
async fn held(client: &reqwest::Client, url: &str) {
    let first = client.get(url).send().await.unwrap();
    let again = client.get(url).send().await.unwrap();
    let how = |r: &reqwest::Response| r.headers().get(STATUS_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(how(&again).as_deref(), Some("hit"), "{url} is held (first answer: {:?})", how(&first));
}

/// Asks for `url` until its page passes `shows`, and fails if that takes
/// longer than `WITHIN` from `since` (the moment the change was committed).
async fn shows_within(client: &reqwest::Client, url: &str, since: Instant, what: &str, shows: impl Fn(&str) -> bool) {
    loop {
        let page = client.get(url).send().await.unwrap().text().await.unwrap();
        if shows(&page) {
            eprintln!("{what}: shown after {} ms", since.elapsed().as_millis());
            return;
        }
        assert!(since.elapsed() < WITHIN, "{what}: not shown on {url} after {} ms", since.elapsed().as_millis());
        // Asking again at once would only spin; the relay looks every 100 ms.
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn comments(page: &str) -> Vec<String> {
    texts(&html(page), ".comment-text")
}

/// A new comment, an edit, a moderator's removal and an account deletion,
/// each made on the first instance, reach the second's readers.
async fn changes_on_one_instance_reach_the_other(backend: Backend) {
    let Some((first, second)) = two_instances(backend).await else { return };
    let client = visitor();
    let url = second.url(STORY);
    held(&client, &url).await;

    let writer = first.reader("relay_writer").await;
    let posted = writer.comment(STORY, "Posted on the first instance.").await;
    let since = Instant::now();
    let id = comment_id(&posted);
    shows_within(&client, &url, since, "a new comment", |page| {
        comments(page).contains(&"Posted on the first instance.".to_string())
    })
    .await;

    let edit = format!("/comments/{id}/edit");
    assert_eq!(writer.submit(&edit, &edit, &[("body", "Edited on the first instance.")]).await.status(), 303);
    let since = Instant::now();
    shows_within(&client, &url, since, "an edit", |page| {
        comments(page).contains(&"Edited on the first instance.".to_string())
    })
    .await;

    let moderator = first.staff("relay_mod", Role::Moderator).await;
    let remove = format!("/admin/comments/{id}/remove");
    assert_eq!(moderator.submit("/admin/queue/recent", &remove, &[("reason", "Spam")]).await.status(), 303);
    let since = Instant::now();
    shows_within(&client, &url, since, "a removal", |page| {
        !page.contains("Edited on the first instance.") && page.contains("Removed by a moderator")
    })
    .await;

    let leaver = first.reader("relay_leaver").await;
    leaver.comment(STORY, "Words from someone about to leave.").await;
    shows_within(&client, &url, Instant::now(), "the leaver's comment", |page| {
        page.contains("Words from someone about to leave.")
    })
    .await;
    let gone = leaver.submit("/account", "/account/delete", &[("password", common::PASSWORD)]).await;
    assert_eq!(gone.status(), 303);
    let since = Instant::now();
    shows_within(&client, &url, since, "an account deletion", |page| {
        !page.contains("Words from someone about to leave.")
    })
    .await;

    // And the other way round: the first instance hears the second.
    let back = first.url(STORY);
    held(&client, &back).await;
    let other_writer = second.reader("relay_back").await;
    other_writer.comment(STORY, "Posted on the second instance.").await;
    let since = Instant::now();
    shows_within(&client, &back, since, "a comment from the second instance", |page| {
        page.contains("Posted on the second instance.")
    })
    .await;
}

fn newsdesk(args: &[&str], database_url: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(args)
        .env("NEWSDESK_DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "newsdesk {args:?}: {} {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `newsdesk import` and `newsdesk user`, run as their own processes beside
/// two running servers, show on both.
async fn the_command_line_tools_reach_running_servers(backend: Backend) {
    let Some((first, second)) = two_instances(backend).await else { return };
    let client = visitor();
    let section = [first.url("/sections/local"), second.url("/sections/local")];
    for url in &section {
        held(&client, url).await;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    std::fs::write(
        dir.path().join("articles/relay-late-edition.md"),
        "+++\ntitle = \"Ferry timetable returns to winter hours\"\nsection = \"local\"\nauthors = [\"news-desk\"]\n\
         published = 2026-11-20T09:00:00Z\n+++\nThe ferry keeps winter hours from Monday.\n",
    )
    .unwrap();
    newsdesk(&["import", &dir.path().to_string_lossy()], &first.database.url);
    let since = Instant::now();
    for url in &section {
        shows_within(&client, url, since, "an imported article", |page| {
            page.contains("Ferry timetable returns to winter hours")
        })
        .await;
    }

    let writer = first.reader("relay_promoted").await;
    writer.comment(STORY, "Soon to be staff.").await;
    let story = second.url(STORY);
    shows_within(&client, &story, Instant::now(), "the comment", |page| page.contains("Soon to be staff.")).await;
    newsdesk(&["user", "set-role", "relay_promoted", "moderator"], &first.database.url);
    let since = Instant::now();
    shows_within(&client, &story, since, "a role given by the command line", |page| {
        page.contains("<span class=\"staff-badge\">Moderator</span>")
    })
    .await;
}

/// A change written straight into the database, with no announcement at
/// all, as an older tool or a hand-made fix would: on SQLite the servers
/// notice the file changed; on PostgreSQL they hear nothing, until their
/// relay connection is cut and comes back, when they drop every page,
/// since what was sent meanwhile is lost.
async fn unannounced_changes_are_caught(backend: Backend) {
    let Some((first, second)) = two_instances(backend).await else { return };
    let client = visitor();
    let url = second.url(STORY);
    let writer = first.reader("relay_silent").await;
    // Held before the comment, so the page that shows it is the one built
    // after its announcement arrived: none is still on its way.
    held(&client, &url).await;
    let id = comment_id(&writer.comment(STORY, "Before the quiet fix.").await);
    shows_within(&client, &url, Instant::now(), "the comment", |page| page.contains("Before the quiet fix.")).await;
    held(&client, &url).await;

    let mut conn = first.conn();
    let fix = format!("UPDATE comments SET body = 'After the quiet fix.' WHERE id = {id}");
    diesel::RunQueryDsl::execute(diesel::sql_query(fix), &mut *conn).unwrap();
    let since = Instant::now();
    if backend == Backend::Postgres {
        // Unannounced, the page stays as held...
        let page = client.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Before the quiet fix."), "nothing was announced");
        // ...until the relay's connection is cut: it connects again a
        // second later and drops every page.
        let cut = "SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity \
                   WHERE application_name = 'newsdesk-relay' AND datname = current_database()";
        diesel::RunQueryDsl::execute(diesel::sql_query(cut), &mut *conn).unwrap();
        let since = Instant::now();
        loop {
            let page = client.get(&url).send().await.unwrap().text().await.unwrap();
            if page.contains("After the quiet fix.") {
                eprintln!("shown {} ms after the relay's connection was cut", since.elapsed().as_millis());
                break;
            }
            // The cut is noticed at the next poll, or at the latest by the
            // heartbeat (5 s); the reconnect comes a second later.
            assert!(since.elapsed() < Duration::from_secs(8), "not dropped after the reconnect");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    } else {
        shows_within(&client, &url, since, "a change by another connection", |page| {
            page.contains("After the quiet fix.")
        })
        .await;
    }
}

on_both_backends!(
    changes_on_one_instance_reach_the_other,
    the_command_line_tools_reach_running_servers,
    unannounced_changes_are_caught,
);
