//! Journeys through the site in real Chromium (headless, over WebDriver):
//! reading, commenting, bad input, moderating, browsing with JavaScript off,
//! and screenshots of the key pages at phone and desktop sizes.
//!
//! Each test starts its own app (fresh database) and its own chromedriver;
//! `Chrome` quits the browser even when a test fails. Where Chromium is not
//! installed the tests say so loudly and pass, unless
//! NEWSDESK_TEST_REQUIRE_BROWSER=1 (CI), where they fail.

mod browser_support;
mod common;

use browser_support::Chrome;
use common::{Backend, PASSWORD, TestApp, comment_id};
use diesel::connection::SimpleConnection;
use newsdesk::import::{DirSource, ImportOptions};
use newsdesk::models::{Role, User};
use newsdesk::state::now;
use serde_json::json;

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

/// More stories by the flagship's section and first author, so their list
/// pages have a second page.
fn import_extra_articles(app: &TestApp, count: usize) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    for n in 0..count {
        let text = format!(
            "+++\ntitle = \"Extra local story {n}\"\nsection = \"local\"\nauthors = [\"imogen-tarrant\"]\n\
             tags = [\"extra\"]\npublished = \"2020-01-{:02}T10:00:00Z\"\n+++\nBody of story {n}.\n",
            n % 28 + 1
        );
        std::fs::write(dir.path().join(format!("articles/extra-{n}.md")), text).unwrap();
    }
    let mut conn = app.conn();
    newsdesk::import::import(&mut conn, &DirSource::new(dir.path()), ImportOptions::default(), now()).unwrap();
}

/// An account made directly in the database, with the test password.
fn make_user(app: &TestApp, username: &str, display_name: &str, role: Role) {
    let hash = newsdesk::security::passwords::hash(PASSWORD).unwrap();
    User::create(&mut app.conn(), username, display_name, &hash, role, now()).unwrap().unwrap();
}

/// The comment id in the permalink the browser landed on.
async fn landed_on_comment(chrome: &Chrome) -> i32 {
    let path = chrome.path().await;
    path.rsplit_once("#comment-")
        .and_then(|(_, id)| id.parse().ok())
        .unwrap_or_else(|| panic!("not at a comment's permalink: {path}"))
}

/// The comment is on screen at its permalink: the target of the URL, shown,
/// and scrolled into the window.
async fn assert_at_permalink(chrome: &Chrome, id: i32) {
    let css = format!("#comment-{id}");
    assert!(chrome.visible(&css).await, "{css} is shown");
    let probe = chrome
        .js(&format!(
            "const e = document.getElementById('comment-{id}'); const r = e.getBoundingClientRect();\
             return [e.matches(':target'), r.top >= 0 && r.top < window.innerHeight]"
        ))
        .await;
    assert_eq!(probe, json!([true, true]), "{css} is the URL's target and in view");
}

/// Types a comment into the form on the page and posts it.
async fn post_comment(chrome: &Chrome, text: &str) {
    chrome.type_into("#comment-body", text).await;
    chrome.click_and_wait("form.comment-form button[type=submit]").await;
}

async fn reader_journey(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    import_extra_articles(&app, 12);
    let Some(chrome) = Chrome::start(&app.address).await else { return };

    // Home: the Top Stories lead.
    chrome.visit("/").await;
    assert!(chrome.visible(".top-stories .lead-story").await);
    let lead = chrome.text(".top-stories .lead-headline a").await;
    chrome.click_and_wait(".top-stories .lead-headline a").await;

    // The article, whole: headline, byline, figure, body, comments.
    assert_eq!(chrome.path().await, FLAGSHIP);
    assert_eq!(chrome.text("h1.headline").await, lead);
    assert_eq!(chrome.title().await.unwrap(), format!("{lead} – Newsdesk"));
    for part in [".story-header .kicker a", ".bylines .byline-name a", "figure.hero img", "figure.hero figcaption"] {
        assert!(chrome.visible(part).await, "{part} is on screen");
    }
    assert_eq!(chrome.texts(".bylines .byline-name").await, ["By Imogen Tarrant", "By News Desk"]);
    let image = "const i = document.querySelector('figure.hero img'); return i.complete && i.naturalWidth > 0";
    assert_eq!(chrome.js(image).await, json!(true), "the picture loads");
    assert!(chrome.texts(".story-body p").await.len() > 3, "the body is there");
    assert!(chrome.text(".story-body").await.contains("More than 140 households"));
    assert!(chrome.visible("#comments").await);
    assert_eq!(chrome.text("#comments-heading").await.to_lowercase(), "comments");
    assert_eq!(chrome.text(".comment-prompt a").await, "Log in to comment");

    // Its section, from the kicker.
    // (Kickers and the nav are set in capitals by the style sheet.)
    let section = chrome.text(".story-header .kicker a").await.to_lowercase();
    chrome.click_and_wait(".story-header .kicker a").await;
    assert_eq!(chrome.path().await, "/sections/local");
    assert_eq!(chrome.text("h1").await.to_lowercase(), section);
    assert_eq!(chrome.texts(".story-list .card").await.len(), 10);
    assert!(chrome.text(".pager-position").await.starts_with("Page 1 of "));
    assert_eq!(chrome.text(".site-nav a[aria-current=page]").await.to_lowercase(), section);

    // An author: the section's cards name them; their pages are linked from
    // the stories' bylines.
    let card = chrome.el(".story-list .card-headline a").await;
    let headline = card.text().await.unwrap();
    chrome.click_element_and_wait(&card).await;
    assert_eq!(chrome.text("h1.headline").await, headline);
    chrome.click_and_wait(".bylines .byline-name a").await;
    assert_eq!(chrome.path().await, "/authors/imogen-tarrant");
    assert_eq!(chrome.text("h1").await, "Imogen Tarrant");
    assert_eq!(chrome.texts(".story-list .card").await.len(), 10);

    // Pagination: older stories, and back.
    assert!(chrome.text(".pager-position").await.starts_with("Page 1 of 2"));
    assert!(!chrome.has(".pager a[rel=prev]").await);
    chrome.follow_link("Older stories →").await;
    assert_eq!(chrome.path().await, "/authors/imogen-tarrant?page=2");
    assert_eq!(chrome.text(".pager-position").await, "Page 2 of 2");
    assert!(chrome.texts(".story-list .card-headline").await.iter().any(|h| h.starts_with("Extra local story")));
    assert!(!chrome.has(".pager a[rel=next]").await);
    chrome.follow_link("← Newer stories").await;
    assert_eq!(chrome.path().await, "/authors/imogen-tarrant");
}

on_both_backends!(reader_journey);

#[actix_web::test]
async fn commenter_journey() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    let Some(chrome) = Chrome::start(&app.address).await else { return };

    // Sign up from the discussion, and come back to it.
    chrome.visit(FLAGSHIP).await;
    chrome.click_and_wait(".comment-prompt a[href^='/signup']").await;
    assert!(chrome.path().await.starts_with("/signup?next="));
    assert_eq!(chrome.text("h1").await, "Create an account");
    chrome.type_into("#username", "harbour_watcher").await;
    chrome.type_into("#display_name", "Harbour Watcher").await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.type_into("#confirm", PASSWORD).await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert_eq!(chrome.path().await, format!("{FLAGSHIP}#comments"));
    assert_eq!(chrome.text(".account-bar .signed-in").await, "Signed in as Harbour Watcher");
    assert!(chrome.visible("form.comment-form").await);

    // Post a comment: it is at its permalink.
    let text = "The north wall has needed work for years. Glad it is finally news.";
    post_comment(&chrome, text).await;
    let first = landed_on_comment(&chrome).await;
    assert_at_permalink(&chrome, first).await;
    assert_eq!(chrome.text(&format!("#comment-{first} .comment-text")).await, text);
    assert_eq!(chrome.text(&format!("#comment-{first} .comment-author")).await, "Harbour Watcher");
    assert_eq!(chrome.text(".comment-count").await, "1 comment");
    assert_eq!(chrome.value("#comment-body").await, "", "the form is empty again");

    // Reply to it.
    chrome.click_and_wait(&format!("#comment-{first} .comment-actions a[href$='/reply']")).await;
    assert_eq!(chrome.text("h1").await, "Reply to Harbour Watcher");
    assert!(chrome.text(".comment-list").await.contains(text), "the reply page shows what is answered");
    post_comment(&chrome, "And the south wall is next, I hear.").await;
    let reply = landed_on_comment(&chrome).await;
    assert_at_permalink(&chrome, reply).await;
    assert!(chrome.has(&format!("li.depth-2 > #comment-{reply}")).await, "nested under the first");

    // Edit the reply within the window.
    chrome.click_and_wait(&format!("#comment-{reply} .comment-actions a[href$='/edit']")).await;
    assert_eq!(chrome.text("h1").await, "Edit your comment");
    assert_eq!(chrome.value("#comment-body").await, "And the south wall is next, I hear.");
    chrome.type_into("#comment-body", "And the south wall is next, the council says.").await;
    assert_eq!(chrome.text("form.comment-form button[type=submit]").await, "Save changes");
    chrome.click_and_wait("form.comment-form button[type=submit]").await;
    assert_eq!(landed_on_comment(&chrome).await, reply);
    assert_eq!(
        chrome.text(&format!("#comment-{reply} .comment-text")).await,
        "And the south wall is next, the council says."
    );
    assert!(chrome.visible(&format!("#comment-{reply} .edited")).await);

    // Delete the first: a tombstone, the reply stays.
    chrome.click_and_wait(&format!("#comment-{first} .comment-actions a[href$='/delete']")).await;
    assert_eq!(chrome.text("h1").await, "Delete your comment?");
    chrome.click_and_wait("form.inline-form button.button-danger").await;
    assert_eq!(landed_on_comment(&chrome).await, first);
    assert_eq!(chrome.text(&format!("#comment-{first}")).await, "Comment deleted");
    assert!(!chrome.body_text().await.contains("Glad it is finally news"));
    assert!(chrome.visible(&format!("#comment-{reply} .comment-text")).await);

    // Log out, and in again from the article.
    chrome.log_out().await;
    assert_eq!(chrome.path().await, "/");
    chrome.visit(FLAGSHIP).await;
    assert!(chrome.visible(".comment-prompt").await);
    chrome.click_and_wait(".account-bar a[href^='/login']").await;
    chrome.type_into("#username", "harbour_watcher").await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert_eq!(chrome.path().await, FLAGSHIP);
    assert_eq!(chrome.text(".account-bar .signed-in").await, "Signed in as Harbour Watcher");
    assert!(chrome.visible("form.comment-form").await);

    // Leave for good: the account page deletes the account, after the password.
    chrome.visit("/account").await;
    chrome.photograph("account", Some("delete-heading")).await;
    chrome.type_into("#erase-password", PASSWORD).await;
    chrome.click_and_wait("form[action='/account/delete'] button[type=submit]").await;
    assert_eq!(chrome.path().await, "/account/deleted");
    assert_eq!(chrome.text("h1").await, "Your account has been deleted");
    assert!(chrome.visible(".account-bar a[href^='/login']").await, "logged out");
    chrome.visit(FLAGSHIP).await;
    assert!(!chrome.body_text().await.contains("the council says"), "their words are gone");
}

#[actix_web::test]
async fn bad_input_comes_back_with_the_typed_text() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    let Some(chrome) = Chrome::start(&app.address).await else { return };
    make_user(&app, "long_winded", "Long Winded", Role::Reader);
    chrome.log_in("long_winded", PASSWORD).await;

    // Too long: refused, said next to the field, the text still there.
    chrome.visit(FLAGSHIP).await;
    let long: String = "word ".repeat(1000) + "!";
    assert_eq!(long.chars().count(), 5001);
    post_comment(&chrome, &long).await;
    assert!(chrome.visible("#comment-error").await);
    assert!(chrome.text("#comment-error").await.contains("at most 5,000"));
    assert_eq!(chrome.el("#comment-error").await.attr("role").await.unwrap().as_deref(), Some("alert"));
    assert_eq!(chrome.el("#comment-body").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    assert_eq!(chrome.value("#comment-body").await, long, "the text is kept exactly");

    // The session ends while writing: the text survives logging in again.
    let text = "A considered thought, written slowly.";
    chrome.type_into("#comment-body", text).await;
    app.conn().batch_execute("DELETE FROM sessions").unwrap();
    chrome.click_and_wait("form.comment-form button[type=submit]").await;
    assert!(chrome.text("#comment-error").await.contains("session has ended"));
    assert_eq!(chrome.value("#comment-body").await, text);
    assert!(!chrome.has(".account-bar .signed-in").await, "logged out");
    chrome.click_and_wait("form.comment-form .notice a").await;
    assert!(chrome.path().await.starts_with("/login?next="));
    chrome.type_into("#username", "long_winded").await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert_eq!(chrome.path().await, format!("{FLAGSHIP}#comment-form"));
    assert_eq!(chrome.value("#comment-body").await, text, "the comment waited");
    chrome.click_and_wait("form.comment-form button[type=submit]").await;
    let id = landed_on_comment(&chrome).await;
    assert_eq!(chrome.text(&format!("#comment-{id} .comment-text")).await, text);
}

#[actix_web::test]
async fn moderator_removes_a_reported_comment_and_bans_its_author() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    make_user(&app, "loud_voice", "Loud Voice", Role::Reader);
    make_user(&app, "duty_mod", "Duty Moderator", Role::Moderator);

    // The author, in their own browser, posts something nasty.
    let Some(author) = Chrome::start(&app.address).await else { return };
    author.log_in("loud_voice", PASSWORD).await;
    author.visit(FLAGSHIP).await;
    post_comment(&author, "Everyone in the Lower Town deserves this.").await;
    let id = landed_on_comment(&author).await;

    // Another reader reports it.
    let reporter = app.reader("fair_minded").await;
    let report = format!("/comments/{id}/report");
    let response = reporter.submit(&report, &report, &[("reason", "abuse"), ("note", "Cruel")]).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "report filed");

    // The author starts another comment and leaves the tab open.
    author.visit(FLAGSHIP).await;
    author.type_into("#comment-body", "And another thing.").await;

    // The moderator works the Reported queue.
    let Some(moderator) = Chrome::start(&app.address).await else { return };
    moderator.log_in("duty_mod", PASSWORD).await;
    moderator.click_and_wait(".account-bar a[href='/admin']").await;
    assert_eq!(moderator.text("h1").await, "Moderation");
    moderator.click_and_wait(".admin-nav a[href='/admin/queue/reported']").await;
    let row = format!("#row-{id}");
    assert!(moderator.visible(&row).await);
    assert!(moderator.text(&row).await.contains("Everyone in the Lower Town"));
    assert!(moderator.text(&row).await.contains("Abuse or harassment ×1"));
    moderator.el("#reason").await.select_by_label("Abuse or harassment").await.unwrap();
    moderator.click_and_wait(&format!("{row} button[formaction$='/remove']")).await;
    moderator.wait_for_text(".notice-success", "1 comment removed").await;

    // The public thread shows the tombstone.
    moderator.visit(FLAGSHIP).await;
    assert_eq!(moderator.text(&format!("#comment-{id}")).await, "Removed by a moderator");
    assert!(!moderator.body_text().await.contains("Everyone in the Lower Town"));

    // Ban the author for a day, from their admin page.
    moderator.visit("/admin/users").await;
    moderator.click_and_wait("a[href='/admin/users/loud_voice']").await;
    assert!(moderator.text("h1").await.contains("Loud Voice"));
    moderator.type_into("#ban-reason", "Abuse of other readers").await;
    moderator.el("#ban-1").await.click().await.unwrap();
    moderator.click_and_wait("form[action$='/ban'] button[type=submit]").await;
    moderator.wait_for_text(".notice-success", "@loud_voice is banned").await;
    assert!(moderator.text(".account-details").await.to_lowercase().contains("banned"));

    // The author's open tab can no longer post.
    author.click_and_wait("form.comment-form button[type=submit]").await;
    assert!(author.text("#comment-error").await.contains("session has ended"));
    assert_eq!(author.value("#comment-body").await, "And another thing.");
    assert!(!author.has(".account-bar .signed-in").await);
    let (_, thread) = app.browser().page(FLAGSHIP).await;
    assert!(!thread.contains("And another thing."), "nothing more was posted");
    // Nor log in again.
    author.click_and_wait("form.comment-form .notice a").await;
    author.type_into("#username", "loud_voice").await;
    author.type_into("#password", PASSWORD).await;
    author.click_and_wait("form.account-form button[type=submit]").await;
    assert!(author.text("#login-error").await.contains("suspended"));
    assert!(!author.has(".account-bar .signed-in").await);
}

#[actix_web::test]
async fn a_moderator_reads_context_and_the_trust_rule_takes_over() {
    let Some(app) = TestApp::with_demo_configured(Backend::Sqlite, common::unlimited).await else { return };
    make_user(&app, "repeat_poster", "Repeat Poster", Role::Reader);
    make_user(&app, "chief_editor", "Chief Editor", Role::Admin);
    let poster = app.browser();
    assert_eq!(poster.login("repeat_poster", PASSWORD).await.status(), 303);
    let first = comment_id(&poster.comment(FLAGSHIP, "The harbour board are all crooks.").await);
    let second = comment_id(&poster.comment(FLAGSHIP, "Crooks, every one of them.").await);
    let neighbour = app.reader("calm_neighbour").await;
    neighbour.reply(FLAGSHIP, first, "That is a serious claim to make without evidence.").await;

    let Some(chrome) = Chrome::start(&app.address).await else { return };
    chrome.log_in("chief_editor", PASSWORD).await;
    // Two removals within a week put a reader back on pre-moderation.
    chrome.visit("/admin/settings").await;
    chrome.type_into("#premoderate_after", "2").await;
    chrome.type_into("#removal_window_days", "7").await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    chrome.wait_for_text(".notice-success", "Settings saved").await;

    // From the filtered queue, the first comment in context.
    chrome.visit("/admin/queue/recent?user=repeat_poster").await;
    chrome.click_and_wait(&format!("#row-{first} a.context-link")).await;
    assert_eq!(chrome.text("h1").await, "Comment in context");
    assert!(chrome.text(".context-thread").await.contains("That is a serious claim"), "its reply is shown");
    assert!(chrome.text(".account-details").await.contains("2 (0 removed, 0 held)"));
    chrome.photograph("context", None).await;
    chrome.click_and_wait(".context-actions button.button-danger").await;
    assert_eq!(chrome.path().await, "/admin/queue/recent?user=repeat_poster", "back to the queue as it was");
    chrome.wait_for_text(".notice-success", "1 comment removed").await;
    chrome.click_and_wait(&format!("#row-{second} button[formaction$='/remove']")).await;

    // Their next comment waits; their page says why, and ends it.
    let held = comment_id(&poster.comment(FLAGSHIP, "You cannot silence me.").await);
    chrome.visit("/admin/queue/held").await;
    assert!(chrome.visible(&format!("#row-{held}")).await, "held for review");
    chrome.visit("/admin/users/repeat_poster").await;
    assert!(chrome.text(".account-details").await.contains("2 comments removed within 7 days"));
    chrome.photograph("premoderation", Some("premoderation-heading")).await;
    chrome.click_and_wait("button[name=premoderate][value=end]").await;
    chrome.wait_for_text(".notice-success", "no longer on pre-moderation").await;
    let free = comment_id(&poster.comment(FLAGSHIP, "A calmer word, then.").await);
    chrome.visit(FLAGSHIP).await;
    assert!(chrome.visible(&format!("#comment-{free}")).await, "published at once again");
}

#[actix_web::test]
async fn a_story_runs_as_a_q_and_a_with_the_newsroom() {
    let Some(app) = TestApp::with_demo_configured(Backend::Sqlite, common::unlimited).await else { return };
    make_user(&app, "science_desk", "Science Desk", Role::Admin);
    make_user(&app, "tide_watcher", "Tide Watcher", Role::Reader);
    let story = "/articles/seagrass-returning-to-ommel-estuary";

    let Some(editor) = Chrome::start(&app.address).await else { return };
    editor.log_in("science_desk", PASSWORD).await;
    editor.visit("/admin/articles").await;
    editor.click_and_wait("a[href='/admin/articles/seagrass-returning-to-ommel-estuary/discussion']").await;
    editor.el("#mode-questions").await.click().await.expect("the Q&A choice");
    editor.type_into("#prompt", "Ask our science desk about the estuary.").await;
    editor.photograph("story-settings", None).await;
    editor.click_and_wait("form.account-form button[type=submit]").await;
    editor.wait_for_text(".notice-success", "Q&A").await;

    let Some(reader) = Chrome::start(&app.address).await else { return };
    reader.log_in("tide_watcher", PASSWORD).await;
    reader.visit(story).await;
    // (The label is set in capitals and on a line of its own by the style sheet.)
    assert_eq!(reader.text(".newsroom-prompt").await, "FROM THE NEWSROOM\nAsk our science desk about the estuary.");
    post_comment(&reader, "How fast is the seagrass spreading?").await;
    let asked = landed_on_comment(&reader).await;
    assert!(reader.has(&format!("#comment-{asked} .held-badge")).await, "the asker sees it waiting");

    editor.click_and_wait(".admin-nav a[href='/admin/questions']").await;
    assert!(editor.text(&format!("#question-{asked}")).await.contains("How fast is the seagrass spreading?"));
    editor.type_into(&format!("#answer-{asked}"), "About a metre a month along the south bank.").await;
    editor.photograph("questions", None).await;
    editor.click_and_wait(&format!("#question-{asked} button[type=submit]")).await;
    editor.wait_for_text(".notice-success", "Answered").await;

    reader.visit(story).await;
    let answered = reader.text(".answered-questions").await;
    assert!(answered.contains("How fast is the seagrass spreading?") && answered.contains("About a metre a month"));
    reader.photograph("qa", Some("answered-heading")).await;
}

#[actix_web::test]
async fn the_site_works_with_javascript_disabled() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    let neighbour = app.reader("neighbour").await;
    let theirs = comment_id(&neighbour.comment(FLAGSHIP, "The tide tables were right all along.").await);
    let Some(chrome) = Chrome::without_javascript(&app.address).await else { return };
    // Scripts really are off in this profile.
    chrome.goto("data:text/html,<title>off</title><script>document.title = 'on'</script>").await.unwrap();
    assert_eq!(chrome.title().await.unwrap(), "off");

    chrome.visit("/").await;
    chrome.click_and_wait(".top-stories .lead-headline a").await;
    assert_eq!(chrome.path().await, FLAGSHIP);
    chrome.click_and_wait(".comment-prompt a[href^='/signup']").await;
    chrome.type_into("#username", "no_scripts").await;
    chrome.type_into("#display_name", "No Scripts").await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.type_into("#confirm", "not the same").await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert!(chrome.visible("#confirm-error").await, "mistakes are shown without scripts");
    chrome.type_into("#password", PASSWORD).await;
    chrome.type_into("#confirm", PASSWORD).await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert_eq!(chrome.path().await, format!("{FLAGSHIP}#comments"));

    post_comment(&chrome, "Posted with scripts off.").await;
    let id = landed_on_comment(&chrome).await;
    assert_at_permalink(&chrome, id).await;
    assert_eq!(chrome.text(&format!("#comment-{id} .comment-text")).await, "Posted with scripts off.");

    chrome.click_and_wait(&format!("#comment-{id} .comment-actions a[href$='/reply']")).await;
    post_comment(&chrome, "Replying, still without scripts.").await;
    let reply = landed_on_comment(&chrome).await;
    assert!(chrome.has(&format!("li.depth-2 > #comment-{reply}")).await);

    chrome.click_and_wait(&format!("#comment-{reply} .comment-actions a[href$='/delete']")).await;
    chrome.click_and_wait("form.inline-form button.button-danger").await;
    assert_eq!(chrome.text(&format!("#comment-{reply}")).await, "Comment deleted");

    // "Respect" on someone else's comment, and back: a button in the
    // comment that posts the reader's own hidden form, no script needed.
    chrome.click_and_wait(&format!("#comment-{theirs} .respect-button")).await;
    assert_eq!(landed_on_comment(&chrome).await, theirs, "back at the same comment");
    assert!(chrome.has(&format!("#comment-{theirs} .respect-button.is-respected[aria-pressed='true']")).await);
    assert_eq!(chrome.text(&format!("#comment-{theirs} .respect-count")).await, "1 reader respects this");
    chrome.click_and_wait(&format!("#comment-{theirs} .respect-button")).await;
    assert!(chrome.has(&format!("#comment-{theirs} .respect-button[aria-pressed='false']")).await, "taken back");
    assert!(!chrome.has(&format!("#comment-{theirs} .respect-count")).await);

    // Mute the neighbour: a page asks first, then their comment shows as
    // one line that opens without scripts; the account page unmutes.
    chrome.click_and_wait(&format!("#comment-{theirs} .comment-actions a[href$='/mute']")).await;
    assert_eq!(chrome.text("h1").await, "Mute neighbour?");
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert_eq!(landed_on_comment(&chrome).await, theirs, "back at the same comment");
    let summary = format!("#comment-{theirs} details.muted-comment > summary");
    assert!(chrome.text(&summary).await.starts_with("Comment from a reader you muted"));
    assert!(!chrome.visible(&format!("#comment-{theirs} .comment-text")).await, "folded");
    chrome.el(&summary).await.click().await.expect("the summary opens");
    assert!(chrome.visible(&format!("#comment-{theirs} .comment-text")).await, "opened on request");
    chrome.visit("/account").await;
    chrome.click_and_wait(".muted-list button[type=submit]").await;
    assert_eq!(chrome.path().await, "/account#muted");
    assert!(!chrome.has(".muted-list").await);
    chrome.visit(FLAGSHIP).await;
    assert!(!chrome.has(&format!("#comment-{theirs} details")).await, "unmuted");

    chrome.log_out().await;
    chrome.log_in("no_scripts", PASSWORD).await;
    assert_eq!(chrome.text(".account-bar .signed-in").await, "Signed in as No Scripts");
}

#[actix_web::test]
async fn key_pages_fit_a_phone_and_a_desktop() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    make_user(&app, "duty_mod", "Duty Moderator", Role::Moderator);
    let ana = app.reader("ana_lowe").await;
    let ben = app.reader("ben_marsh").await;
    let first =
        comment_id(&ana.comment(FLAGSHIP, "The north wall has needed work for years. Glad it is finally news.").await);
    let answer = comment_id(&ben.reply(FLAGSHIP, first, "The south wall is next, the council says: https://example.com/a/very/long/link/that/should/wrap/on/phones/without/pushing/the/page/sideways").await);
    let other = comment_id(&ben.comment(FLAGSHIP, "Anyone know if the ferry is running tomorrow? Supercalifragilisticexpialidociouslylongwordwithoutanybreaks").await);
    let report = format!("/comments/{other}/report");
    ana.submit(&report, &report, &[("reason", "off_topic"), ("note", "Not about the wall")]).await;

    let Some(chrome) = Chrome::start(&app.address).await else { return };
    chrome.visit("/").await;
    chrome.photograph("home", None).await;
    chrome.visit(FLAGSHIP).await;
    chrome.photograph("article", None).await;
    chrome.visit("/sections/local").await;
    chrome.photograph("section", None).await;
    chrome.visit("/login").await;
    chrome.photograph("login", None).await;
    chrome.visit("/signup").await;
    chrome.photograph("signup", None).await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    chrome.photograph("signup-errors", None).await;
    chrome.visit("/no-such-page").await;
    chrome.photograph("not-found", None).await;

    chrome.log_in("ana_lowe", PASSWORD).await;
    chrome.visit(FLAGSHIP).await;
    chrome.photograph("comments", Some("comments")).await;
    // Readers whose system is dark get the dark colours.
    chrome.prefer_dark(true).await;
    chrome.photograph("comments-dark", Some("comments")).await;
    chrome.prefer_dark(false).await;
    // Ana marks Ben's answer "Respect": back at it, the button pressed, the count shown.
    chrome.click_and_wait(&format!("#comment-{answer} .respect-button")).await;
    assert_eq!(landed_on_comment(&chrome).await, answer);
    assert_eq!(chrome.text(&format!("#comment-{answer} .respect-count")).await, "1 reader respects this");
    chrome.photograph("respect", Some(&format!("comment-{answer}"))).await;
    chrome.prefer_dark(true).await;
    chrome.visit("/").await;
    chrome.photograph("home-dark", None).await;
    chrome.prefer_dark(false).await;
    // Ben answered Ana: the header counts it, the replies page lists it.
    let badge = chrome.text(".account-bar .count-badge").await;
    assert_eq!(badge.split_whitespace().collect::<Vec<_>>(), ["1", "new"], "read out as \"1 new\"");
    chrome.click_and_wait(".account-bar a[href='/account/replies']").await;
    assert!(chrome.text(".reply-item").await.contains("The south wall is next"));
    chrome.photograph("replies", None).await;
    // Ana mutes Ben from his other comment: asked first, then it folds.
    chrome.visit(FLAGSHIP).await;
    chrome.click_and_wait(&format!("#comment-{other} .comment-actions a[href$='/mute']")).await;
    chrome.photograph("mute-ask", None).await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    assert_eq!(landed_on_comment(&chrome).await, other);
    chrome.photograph("mute", Some(&format!("comment-{other}"))).await;
    chrome.visit("/account").await;
    assert_eq!(chrome.texts(".muted-list li strong").await, ["ben_marsh"]);
    chrome.photograph("account-muted", Some("muted")).await;
    chrome.log_out().await;

    chrome.log_in("duty_mod", PASSWORD).await;
    chrome.visit("/admin").await;
    chrome.photograph("admin-dashboard", None).await;
    chrome.visit("/admin/queue/reported").await;
    chrome.photograph("admin-queue", None).await;
    chrome.click_and_wait(&format!("#row-{other} button[formaction$='/remove']")).await;
    // An editor's pick, from the Recent queue, heads the discussion.
    chrome.visit("/admin/queue/recent").await;
    chrome.click_and_wait(&format!("#row-{first} button[formaction$='/feature']")).await;
    chrome.wait_for_text(".notice-success", "1 comment featured").await;
    chrome.visit(FLAGSHIP).await;
    assert!(chrome.text(".featured-comments").await.contains("The north wall has needed work"));
    chrome.photograph("featured", Some("featured-heading")).await;
    chrome.visit("/moderation").await;
    chrome.photograph("moderation", None).await;
}
