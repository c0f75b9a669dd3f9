//! `newsdesk import-comments`: a WordPress export and a Disqus export of our
//! own making (tests/data/comments-*.xml) import with their threads intact,
//! as the article pages show them; importing again adds nothing; a broken
//! file writes nothing and lists every problem with its line; imported
//! readers cannot log in until an operator sets a password.

mod common;

use std::path::PathBuf;

use common::{Backend, PASSWORD, TestApp, attrs, differences, html, texts};
use diesel::prelude::*;
use newsdesk::db::schema::{comments, imported_comments};
use newsdesk::import::comments::{CommentImportError, CommentReport, SkipReason, import_comments};
use newsdesk::models::User;
use newsdesk::state::now;

const WORDPRESS_SOURCE: &str = "wordpress:https://old-harbour-gazette.example";
const DISQUS_SOURCE: &str = "disqus:harbourgazette";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// The import as the command runs it.
fn run(app: &TestApp, name: &str) -> Result<CommentReport, CommentImportError> {
    import_comments(&mut app.conn(), &fixture(name), now())
}

fn skipped(report: &CommentReport) -> Vec<(&'static str, usize)> {
    report.skipped.iter().map(|(reason, count)| (reason.words(), *count)).collect()
}

/// Our id of the comment imported under `external_id`.
fn our_id(app: &TestApp, source: &str, external_id: &str) -> i32 {
    imported_comments::table
        .filter(imported_comments::source.eq(source))
        .filter(imported_comments::external_id.eq(external_id))
        .select(imported_comments::comment_id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{source} {external_id}: {e}"))
}

fn account(app: &TestApp, username: &str) -> User {
    User::by_username(&mut app.conn(), username).unwrap().unwrap_or_else(|| panic!("no account {username}"))
}

/// A comment's text as stored.
fn body(app: &TestApp, id: i32) -> String {
    comments::table.find(id).select(comments::body).first(&mut app.conn()).unwrap()
}

/// Whether the comment sits at that depth of its thread on the page.
fn at_depth(doc: &scraper::Html, id: i32, depth: i32) -> bool {
    texts(doc, &format!("li.depth-{depth} > #comment-{id} .comment-meta, li.depth-{depth} > #comment-{id} .tombstone"))
        .len()
        == 1
}

/// Runs the built binary against the test database, with `input` on stdin.
fn cli(app: &TestApp, args: &[&str], input: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(args)
        .env("NEWSDESK_DATABASE_URL", &app.database.url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

async fn a_wordpress_export_imports_with_its_threads_and_again_adds_nothing(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let report = run(&app, "comments-wordpress.xml").unwrap();
    assert_eq!(report.source, WORDPRESS_SOURCE);
    assert_eq!((report.imported, report.held, report.tombstones), (5, 1, 0), "{report}");
    assert_eq!(
        skipped(&report),
        [("spam", 1), ("trash", 1), ("pingback", 1), ("trackback", 1), ("no matching article", 1)]
    );
    assert_eq!(
        report.unmatched,
        [("https://old-harbour-gazette.example/2019/01/the-old-ferry-timetable/".to_string(), 1)],
        "the page without comments is not listed"
    );
    // Maren signs twice with one address in two cases: one account.
    assert_eq!(report.accounts_created, 4, "{report}");

    let id = |external: &str| our_id(&app, WORDPRESS_SOURCE, external);
    let (status, page) = app.page("/articles/harrowfell-wind-farm-discount-scheme").await;
    assert_eq!(status, 200);
    let doc = html(&page);
    assert!(at_depth(&doc, id("101"), 1) && at_depth(&doc, id("102"), 2) && at_depth(&doc, id("103"), 3));
    // The fourth level joins the third and says whom it answers.
    assert!(at_depth(&doc, id("104"), 3), "{page}");
    assert_eq!(texts(&doc, &format!("#comment-{} .replying-to", id("104"))), ["Replying to @Maren_Quist"]);
    assert_eq!(texts(&doc, &format!("#comment-{} .comment-author", id("103"))), ["Maren Quist"]);
    assert_eq!(
        body(&app, id("101")),
        "Read the tariff sheet (https://example.org/tariffs?year=2024&page=2) before you sign up.\n\n\
         It is cheaper for the villages & dearer for the town."
    );
    assert_eq!(texts(&doc, &format!("#comment-{} .comment-text p", id("101"))).len(), 2);
    assert_eq!(
        attrs(&doc, &format!("#comment-{} .comment-text a", id("101")), "href"),
        ["https://example.org/tariffs?year=2024&page=2"]
    );
    assert_eq!(
        body(&app, id("103")),
        "For households within 5\u{a0}km of the turbines.\n\nSee https://example.org/map"
    );
    assert!(!page.contains("Still waiting for a moderator"), "held comments are not shown");
    assert!(!page.contains("Cheap Pills") && !page.contains("Coastal Energy"), "spam and pingbacks skipped");

    // Matched by its link's /articles/SLUG; the link's words were its address.
    let (_, page) = app.page("/articles/lantern-theatre-winter-season").await;
    let doc = html(&page);
    assert_eq!(body(&app, id("201")), "Tickets: https://tickets.example/lantern");
    assert_eq!(
        attrs(&doc, &format!("#comment-{} .comment-text a", id("201")), "href"),
        ["https://tickets.example/lantern"]
    );
    assert!(!page.contains("alert(&quot;x&quot;)") && !page.contains("alert(\"x\")"));

    // The held one waits in the moderators' queue, with its reason.
    let held: (String, Option<String>) = comments::table
        .find(id("108"))
        .select((comments::status, comments::moderation_reason))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(held.0, "held");
    assert!(held.1.is_some());

    // Never HTML in a stored body.
    let bodies: Vec<String> = comments::table
        .filter(comments::id.eq_any(imported_comments::table.select(imported_comments::comment_id)))
        .select(comments::body)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(bodies.len(), 6);
    assert!(bodies.iter().all(|body| !body.contains('<') && !body.contains("&amp;")), "{bodies:?}");

    // The old replies are not new to the readers they answer.
    for name in ["Maren_Quist", "Tobias_Fenwick", "Isolde_Marsh", "Dmitri_Alder"] {
        let user = account(&app, name);
        assert_eq!(user.unseen_replies, 0, "{name}");
        assert_eq!(user.password_hash, "", "{name} cannot log in until claimed");
    }

    let before = app.snapshot();
    let again = run(&app, "comments-wordpress.xml").unwrap();
    assert_eq!((again.imported, again.held, again.accounts_created), (0, 0, 0), "{again}");
    assert_eq!(again.skipped.get(&SkipReason::AlreadyImported), Some(&6));
    assert_eq!(differences(&before, &app.snapshot()), Vec::<String>::new());
}

async fn a_gzipped_disqus_export_keeps_replies_under_a_deleted_post(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    run(&app, "comments-wordpress.xml").unwrap();
    let report = run(&app, "comments-disqus.xml.gz").unwrap();
    assert_eq!(report.source, DISQUS_SOURCE);
    assert_eq!((report.imported, report.held, report.tombstones), (4, 0, 1), "{report}");
    assert_eq!(skipped(&report), [("spam", 1), ("deleted, without replies", 1), ("no matching article", 1)]);
    assert_eq!(report.unmatched, [("https://harbour-gazette.example/articles/no-such-story".to_string(), 1)]);
    // Petra, Wren (the deleted post's author) and Oskar; Maren's address
    // already has the account the WordPress import made.
    assert_eq!(report.accounts_created, 3, "{report}");

    let id = |external: &str| our_id(&app, DISQUS_SOURCE, external);
    let (status, page) = app.page("/articles/hessock-library-reopens-after-restoration").await;
    assert_eq!(status, 200);
    let doc = html(&page);
    assert!(at_depth(&doc, id("9001"), 1) && at_depth(&doc, id("9002"), 2) && at_depth(&doc, id("9003"), 3));
    assert_eq!(texts(&doc, &format!("#comment-{} .tombstone", id("9002"))), ["Comment deleted"]);
    assert!(!page.contains("I said something I regret"));
    // Written before its parent in the file, it sits under it here.
    assert!(at_depth(&doc, id("9004"), 3));
    assert_eq!(texts(&doc, &format!("#comment-{} .replying-to", id("9004"))), ["Replying to @Oskar_Brandt"]);
    assert_eq!(body(&app, id("9003")), "Whatever it was, the roof looks good & dry.");
    assert_eq!(
        body(&app, id("9001")),
        "The reading room is lovely again.\n\nOpen till 8 on Thursdays: opening hours (https://library.example/hours)"
    );
    assert_eq!(body(&app, id("9002")), "", "a tombstone keeps no text");
    assert_eq!(
        attrs(&doc, &format!("#comment-{} .comment-author", id("9008")), "href"),
        ["/readers/Maren_Quist"],
        "one account per address across both exports"
    );
    assert!(!page.contains("Cheap watches"));

    // The same export unpacked is the same source: nothing new.
    let before = app.snapshot();
    let again = run(&app, "comments-disqus.xml").unwrap();
    assert_eq!((again.imported, again.tombstones, again.accounts_created), (0, 0, 0), "{again}");
    assert_eq!(again.skipped.get(&SkipReason::AlreadyImported), Some(&5));
    assert_eq!(differences(&before, &app.snapshot()), Vec::<String>::new());
    assert_eq!(account(&app, "Petra_Lind").unseen_replies, 0);
}

async fn a_broken_file_writes_nothing_and_lists_every_problem(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let before = app.snapshot();
    let error = run(&app, "comments-broken.xml").unwrap_err();
    let CommentImportError::Problems { problems, .. } = &error else { panic!("{error}") };
    let places: Vec<String> = problems.iter().map(|p| p.at.to_string()).collect();
    assert_eq!(places[..4], ["18:3", "27:4", "31:3", "44:4"], "{error}");
    assert_eq!(problems.len(), 5, "{error}");
    assert_eq!(problems[4].at.line, 48, "{error}");
    let text = error.to_string();
    for words in [
        "5 problem(s)",
        "nothing was written",
        "comments-broken.xml:18:3: a comment without wp:comment_id",
        "\"last Tuesday\" is not a date",
        "answers comment 999, which is not in the file",
        "\"maybe\" is none of 1, 0, spam and trash",
        "not well-formed XML",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert_eq!(differences(&before, &app.snapshot()), Vec::<String>::new());

    // Neither format: said so, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.xml");
    std::fs::write(&page, "<html><body>not an export</body></html>").unwrap();
    let error = import_comments(&mut app.conn(), &page, now()).unwrap_err().to_string();
    assert!(error.contains("1:1") && error.contains("neither a WordPress export"), "{error}");

    // The command says the same and fails.
    let broken = fixture("comments-broken.xml");
    let (ok, _, stderr) = cli(&app, &["import-comments", broken.to_str().unwrap()], "");
    assert!(!ok);
    assert!(stderr.contains("comments-broken.xml:27:4") && stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(differences(&before, &app.snapshot()), Vec::<String>::new());
}

async fn imported_readers_log_in_only_once_an_operator_sets_a_password(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let export = fixture("comments-wordpress.xml");
    let (ok, stdout, stderr) = cli(&app, &["import-comments", export.to_str().unwrap()], "");
    assert!(ok, "{stdout} {stderr}");
    for line in [
        "imported: 5",
        "held for review: 1",
        "skipped: 5",
        "  spam: 1",
        "  pingback: 1",
        "reader accounts created: 4",
        "  ? https://old-harbour-gazette.example/2019/01/the-old-ferry-timetable/ (1 comment(s))",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }

    let browser = app.browser();
    for attempt in ["", PASSWORD] {
        let refused = browser.login("Maren_Quist", attempt).await;
        assert_eq!(refused.status(), 401);
        assert!(refused.text().await.unwrap().contains("That username and password do not match an account"));
    }

    let (ok, stdout, stderr) = cli(&app, &["user", "set-password", "maren_quist"], &format!("{PASSWORD}\n"));
    assert!(ok && stdout.contains("new password set for @Maren_Quist"), "{stdout} {stderr}");
    assert_eq!(browser.login("Maren_Quist", PASSWORD).await.status(), 303);
    assert_eq!(browser.logged_in_as().await.as_deref(), Some("Maren Quist"));
    // Two imported replies answer her; neither counts as new.
    let (_, page) = browser.page("/articles/harrowfell-wind-farm-discount-scheme").await;
    assert!(texts(&html(&page), ".count-badge").is_empty(), "no new replies shown");
    assert_eq!(account(&app, "Maren_Quist").unseen_replies, 0);
}

/// A server already running, with the article page in its page cache,
/// shows the comments the command imported within a second (on
/// PostgreSQL the command tells it; on SQLite it sees the file change).
async fn a_running_server_shows_the_imported_comments(backend: Backend) {
    use std::time::{Duration, Instant};
    let Some(app) = TestApp::with_demo_configured(backend, |config| config.page_cache_bytes = 4 * 1024 * 1024).await
    else {
        return;
    };
    let page = app.url("/articles/hessock-library-reopens-after-restoration");
    let visitor = reqwest::Client::new();
    let kept = Instant::now();
    loop {
        let answer = visitor.get(&page).send().await.unwrap();
        let cache = answer.headers().get(newsdesk::page_cache::STATUS_HEADER).and_then(|v| v.to_str().ok());
        if cache == Some("hit") {
            break;
        }
        assert!(kept.elapsed() < Duration::from_secs(1), "the page is not kept");
    }
    let export = fixture("comments-disqus.xml");
    let (ok, stdout, stderr) = cli(&app, &["import-comments", export.to_str().unwrap()], "");
    assert!(ok, "{stdout} {stderr}");
    let imported = Instant::now();
    loop {
        let text = visitor.get(&page).send().await.unwrap().text().await.unwrap();
        if text.contains("The reading room is") {
            break;
        }
        assert!(imported.elapsed() < Duration::from_secs(1), "the imported comments are not shown after a second");
        // The relay looks every 100 ms: asking again at once would only spin.
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_backends!(
    a_wordpress_export_imports_with_its_threads_and_again_adds_nothing,
    a_gzipped_disqus_export_keeps_replies_under_a_deleted_post,
    a_broken_file_writes_nothing_and_lists_every_problem,
    imported_readers_log_in_only_once_an_operator_sets_a_password,
    a_running_server_shows_the_imported_comments,
);
