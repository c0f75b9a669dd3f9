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

/// Fetches `url` until the answer is the kept copy. (On SQLite any write,
/// a sign-up's session included, drops every page within the relay's next
/// poll, so the first copy kept may be dropped before it is used.)
async fn held(client: &reqwest::Client, url: &str) {
    let since = Instant::now();
    loop {
        let response = client.get(url).send().await.unwrap();
        if response.headers().get(STATUS_HEADER).and_then(|v| v.to_str().ok()) == Some("hit") {
            return;
        }
        assert!(since.elapsed() < WITHIN, "{url} is not held after {} ms", since.elapsed().as_millis());
    }
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

/// The same reader's session used on the other instance too.
fn there(browser: &common::Browser, other: &TestApp) -> common::Browser {
    common::Browser::with_cookies(&other.address, &browser.cookies())
}

/// Asks who the header says is logged in until `expected`, and fails if
/// that takes longer than `WITHIN` from `since`.
async fn signed_in_within(browser: &common::Browser, since: Instant, what: &str, expected: Option<&str>) {
    loop {
        if browser.logged_in_as().await.as_deref() == expected {
            eprintln!("{what}: after {} ms", since.elapsed().as_millis());
            return;
        }
        assert!(since.elapsed() < WITHIN, "{what}: not seen after {} ms", since.elapsed().as_millis());
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sessions and accounts are held in memory briefly; a log-out, a new
/// password and a ban made on one instance still end the session on the
/// other within a second, and at once on the instance that made them.
async fn revocations_reach_the_other_instance_within_a_second(backend: Backend) {
    let Some((first, second)) = two_instances(backend).await else { return };
    let leaving = first.reader("relay_leaving").await;
    let elsewhere = there(&leaving, &second);
    assert_eq!(elsewhere.logged_in_as().await.as_deref(), Some("relay_leaving"), "one session, both instances");
    assert_eq!(leaving.logout().await.status(), 303);
    let since = Instant::now();
    assert_eq!(leaving.logged_in_as().await, None, "at once where it was made");
    signed_in_within(&elsewhere, since, "a log-out", None).await;

    let careful = first.reader("relay_careful").await;
    let other_device = there(&careful, &second);
    assert_eq!(other_device.logged_in_as().await.as_deref(), Some("relay_careful"));
    let new = "a brand new lantern 2027";
    let fields = [("current", common::PASSWORD), ("password", new), ("confirm", new)];
    let changed = careful.submit("/account", "/account/password", &fields).await;
    assert!(changed.text().await.unwrap().contains("Your password was changed"));
    let since = Instant::now();
    signed_in_within(&other_device, since, "a new password", None).await;

    let troll = first.reader("relay_troll").await;
    let troll_there = there(&troll, &second);
    assert_eq!(troll_there.logged_in_as().await.as_deref(), Some("relay_troll"));
    let moderator = first.staff("relay_banner", Role::Moderator).await;
    let page = "/admin/users/relay_troll";
    let ban = moderator.submit(page, &format!("{page}/ban"), &[("reason", "Abuse"), ("length", "7")]).await;
    assert_eq!(ban.status(), 303);
    let since = Instant::now();
    assert_eq!(troll.logged_in_as().await, None, "at once where it was made");
    signed_in_within(&troll_there, since, "a ban", None).await;
}

on_both_backends!(
    changes_on_one_instance_reach_the_other,
    the_command_line_tools_reach_running_servers,
    unannounced_changes_are_caught,
    revocations_reach_the_other_instance_within_a_second,
);
