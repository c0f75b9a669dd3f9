//! "Respect": a logged-in reader marks someone else's comment once and may
//! take it back; every reader sees the count; the mark shows on the
//! reader's own page only, never in the copy anonymous readers get.

mod common;

use common::{Backend, Browser, TestApp, attrs, comment_id, html, texts};
use newsdesk::models::Role;

const STORY: &str = "/articles/sea-wall-repairs-row";

/// The demo site with the page cache (and logged-in readers' shared copies) on.
async fn site(backend: Backend) -> Option<TestApp> {
    TestApp::with_demo_configured(backend, |config| {
        config.page_cache_bytes = 4 * 1024 * 1024;
        common::unlimited(config);
    })
    .await
}

/// The respect line of comment `id` on `page`: the button's value (None
/// when there is no button) and the count's text.
fn respect_of(page: &str, id: i32) -> (Option<String>, Option<String>) {
    let document = html(page);
    let scope = format!("#comment-{id} .respect");
    let button = attrs(&document, &format!("{scope} button"), "value").into_iter().next();
    let count = texts(&document, &format!("{scope} .respect-count")).into_iter().next();
    (button, count)
}

async fn mark(reader: &Browser, id: i32, what: &str) -> reqwest::Response {
    let token = reader.csrf(STORY).await;
    reader.post(&format!("/comments/{id}/respect"), &[("csrf_token", token.as_str()), ("respect", what)]).await
}

async fn a_reader_marks_a_comment_and_takes_it_back(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let author = app.reader("respected_author").await;
    let id = comment_id(&author.comment(STORY, "The wall was patched, not rebuilt.").await);
    let reader = app.reader("respecting_reader").await;
    let bystander = app.reader("bystander").await;
    let visitor = app.browser();

    let (_, page) = reader.page(STORY).await;
    assert_eq!(respect_of(&page, id), (Some("give".into()), None), "a button, no count yet");
    assert!(page.contains(r#"id="respect-form""#), "the reader's own form for the buttons, with their token");

    let answer = mark(&reader, id, "give").await;
    assert_eq!(answer.status(), 303);
    assert!(common::location(&answer).ends_with(&format!("#comment-{id}")), "back to the same comment");
    let (_, page) = reader.page(STORY).await;
    assert_eq!(respect_of(&page, id), (Some("take".into()), Some("1 reader respects this".into())));
    assert!(page.contains(r#"aria-pressed="true""#));

    // Everyone else sees the count, and their own button.
    let (_, page) = bystander.page(STORY).await;
    assert_eq!(respect_of(&page, id), (Some("give".into()), Some("1 reader respects this".into())));
    let (_, page) = visitor.page(STORY).await;
    assert_eq!(respect_of(&page, id), (None, Some("1 reader respects this".into())), "no button when logged out");
    assert!(!page.contains("respect-form") && !page.contains("csrf_token"), "the anonymous copy holds no form");
    // The author sees the count on their own comment, and no button.
    let (_, page) = author.page(STORY).await;
    assert_eq!(respect_of(&page, id), (None, Some("1 reader respects this".into())));

    // Once only, however often it is sent.
    assert_eq!(mark(&reader, id, "give").await.status(), 303);
    assert_eq!(mark(&bystander, id, "give").await.status(), 303);
    let (_, page) = visitor.page(STORY).await;
    assert_eq!(respect_of(&page, id).1.as_deref(), Some("2 readers respect this"));

    assert_eq!(mark(&reader, id, "take").await.status(), 303);
    let (_, page) = reader.page(STORY).await;
    assert_eq!(respect_of(&page, id), (Some("give".into()), Some("1 reader respects this".into())));
    let (_, page) = visitor.page(STORY).await;
    assert_eq!(respect_of(&page, id).1.as_deref(), Some("1 reader respects this"), "the cached copy follows");
}

async fn only_others_shown_comments_can_be_marked(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let author = app.reader("self_admirer").await;
    let id = comment_id(&author.comment(STORY, "My own words, admired by me.").await);
    let answer = mark(&author, id, "give").await;
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("your own comment"));

    let reader = app.reader("late_admirer").await;
    let token = reader.csrf(STORY).await;
    let moderator = app.staff("respect_mod", Role::Moderator).await;
    let removed =
        moderator.submit("/admin/queue/recent", &format!("/admin/comments/{id}/remove"), &[("reason", "Spam")]).await;
    assert_eq!(removed.status(), 303);
    let answer =
        reader.post(&format!("/comments/{id}/respect"), &[("csrf_token", token.as_str()), ("respect", "give")]).await;
    assert_eq!(answer.status(), 404, "a removed comment cannot be marked");
    let (_, page) = reader.page(STORY).await;
    assert_eq!(respect_of(&page, id), (None, None));

    let odd =
        reader.post(&format!("/comments/{id}/respect"), &[("csrf_token", token.as_str()), ("respect", "x")]).await;
    assert_eq!(odd.status(), 400);
    let forged = reader.post(&format!("/comments/{id}/respect"), &[("respect", "give")]).await;
    assert_eq!(forged.status(), 403, "no token, no mark");
}

async fn marks_are_rate_limited(backend: Backend) {
    // Default limits: thirty marks in a row, then one every 2 s.
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let author = app.reader("prolific").await;
    let id = comment_id(&author.comment(STORY, "Mark me, then unmark me.").await);
    let reader = app.reader("restless").await;
    let token = reader.csrf(STORY).await;
    let path = format!("/comments/{id}/respect");
    for n in 0..30 {
        let what = if n % 2 == 0 { "give" } else { "take" };
        let answer = reader.post(&path, &[("csrf_token", token.as_str()), ("respect", what)]).await;
        assert_eq!(answer.status(), 303, "mark {n}");
    }
    let answer = reader.post(&path, &[("csrf_token", token.as_str()), ("respect", "give")]).await;
    assert_eq!(answer.status(), 429);
    assert!(answer.headers().contains_key("retry-after"));
}

/// The export lists a reader's marks; erasing the account takes them back.
async fn marks_are_in_the_export_and_leave_with_the_account(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let author = app.reader("exported_author").await;
    let id = comment_id(&author.comment(STORY, "Worth a mark, perhaps.").await);
    let reader = app.reader("leaving_reader").await;
    assert_eq!(mark(&reader, id, "give").await.status(), 303);
    let text = reader.get("/account/export").await.text().await.unwrap();
    let export: serde_json::Value = serde_json::from_str(&text).unwrap();
    let respected = export["respected"].as_array().expect("a list of marks");
    assert_eq!(respected.len(), 1);
    assert!(respected[0]["comment"].as_str().unwrap().ends_with(&format!("/comments/{id}")));

    let gone = reader.submit("/account", "/account/delete", &[("password", common::PASSWORD)]).await;
    assert_eq!(gone.status(), 303);
    let (_, page) = app.browser().page(STORY).await;
    assert_eq!(respect_of(&page, id), (None, None), "the mark left with the account");
}

/// Top-level comments of a page, in the order shown.
fn thread_order(page: &str) -> Vec<i32> {
    attrs(&html(page), ".comment-list > li > article", "id")
        .iter()
        .filter_map(|id| id.strip_prefix("comment-")?.parse().ok())
        .collect()
}

/// "Most respected" puts the threads readers marked most first; a comment
/// marked by three readers becomes a reader pick above the discussion.
async fn most_respected_first_and_reader_picks(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let author = app.reader("sorted_author").await;
    let first = comment_id(&author.comment(STORY, "First, and nobody marks it.").await);
    let second = comment_id(&author.comment(STORY, "Second, marked once.").await);
    let third = comment_id(&author.comment(STORY, "Third, and the readers' favourite.").await);
    for n in 0..3 {
        let reader = app.reader(&format!("sorter_{n}")).await;
        assert_eq!(mark(&reader, third, "give").await.status(), 303);
        if n == 0 {
            assert_eq!(mark(&reader, second, "give").await.status(), 303);
        }
    }
    let visitor = app.browser();
    let (_, oldest) = visitor.page(STORY).await;
    let oldest = thread_order(&oldest);
    assert!(oldest.iter().position(|id| *id == first) < oldest.iter().position(|id| *id == third));

    let (status, page) = visitor.page(&format!("{STORY}?sort=respected")).await;
    assert_eq!(status, 200);
    let order = thread_order(&page);
    assert_eq!(&order[..2], &[third, second], "the most respected first: {order:?}");
    assert!(order.contains(&first), "the rest follow");
    let document = html(&page);
    assert_eq!(texts(&document, ".comment-sort a[aria-current]"), ["Most respected"]);

    let picks = texts(&document, ".reader-picks blockquote");
    assert_eq!(picks, ["Third, and the readers' favourite."], "three marks make a reader pick, one does not");
    assert!(texts(&document, ".reader-picks .meta").iter().any(|m| m.contains("3 readers respect this")));
    // The picks show whatever the order.
    let (_, page) = visitor.page(STORY).await;
    assert_eq!(texts(&html(&page), ".reader-picks blockquote"), ["Third, and the readers' favourite."]);
}

on_both_backends!(
    a_reader_marks_a_comment_and_takes_it_back,
    only_others_shown_comments_can_be_marked,
    marks_are_rate_limited,
    marks_are_in_the_export_and_leave_with_the_account,
    most_respected_first_and_reader_picks
);
