//! Context for moderators: from a queue row, the comment in its thread and
//! its author's record, with the queue's filters and page kept for the way
//! back.

mod common;

use common::{Backend, TestApp, attrs, comment_id, html, location, texts};
use newsdesk::models::Role;

const STORY: &str = "/articles/sea-wall-repairs-row";

async fn a_queue_row_opens_the_comment_in_its_thread_with_its_authors_record(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let moderator = app.staff("context_mod", Role::Moderator).await;
    let asker = app.reader("context_asker").await;
    let answerer = app.reader("context_answerer").await;
    let third = app.reader("context_third").await;

    let question = comment_id(&asker.comment(STORY, "Who signed off the wall survey?").await);
    let answer = comment_id(&answerer.reply(STORY, question, "Nobody you would trust, obviously.").await);
    third.reply(STORY, answer, "That is unfair to the surveyors.").await;
    // The answerer's record: one comment removed, one ban served and lifted.
    let old = comment_id(&answerer.comment(STORY, "An older, ruder remark.").await);
    let remove = format!("/admin/comments/{old}/remove");
    assert_eq!(moderator.submit("/admin/queue/recent", &remove, &[("reason", "Abuse")]).await.status(), 303);
    let ban = "/admin/users/context_answerer/ban";
    let banned = moderator.submit("/admin/users/context_answerer", ban, &[("reason", "Abuse"), ("length", "1")]).await;
    assert_eq!(banned.status(), 303);
    let unban = "/admin/users/context_answerer/unban";
    assert_eq!(moderator.submit("/admin/users/context_answerer", unban, &[]).await.status(), 303);
    let report = format!("/comments/{answer}/report");
    let filed = asker.submit(&report, &report, &[("reason", "abuse"), ("note", "Needlessly rude")]).await;
    assert!(filed.status().is_success());

    // The filtered queue's row links to the context, carrying the queue.
    let queue = "/admin/queue/reported?user=context_answerer";
    let (status, page) = moderator.page(queue).await;
    assert_eq!(status, 200);
    let links = attrs(&html(&page), &format!("#row-{answer} a.context-link"), "href");
    let expected =
        format!("/admin/comments/{answer}/context?back=%2Fadmin%2Fqueue%2Freported%3Fuser%3Dcontext_answerer");
    assert_eq!(links, vec![expected.clone()]);

    let (status, page) = moderator.page(&expected).await;
    assert_eq!(status, 200);
    let document = html(&page);
    let excerpts = texts(&document, ".context-thread .comment-excerpt");
    assert_eq!(
        excerpts,
        ["Who signed off the wall survey?", "Nobody you would trust, obviously.", "That is unfair to the surveyors."],
        "what it answers, the comment, its replies"
    );
    assert!(page.contains("Reported: Abuse or harassment ×1") && page.contains("Needlessly rude"));
    let record = texts(&document, ".account-details dd");
    assert!(record.contains(&"2 (1 removed, 0 held)".to_string()), "comments: {record:?}");
    assert!(record.contains(&"1 (1 open)".to_string()), "reports: {record:?}");
    assert_eq!(record.last().map(String::as_str), Some("1"), "one ban: {record:?}");
    assert!(page.contains("An older, ruder remark."), "their latest comments");
    assert_eq!(attrs(&document, "a.back-link", "href"), ["/admin/queue/reported?user=context_answerer"]);

    // Acting from here returns to the queue as it was.
    assert_eq!(attrs(&document, ".context-actions input[name=return_to]", "value"), [queue]);
    let remove = format!("/admin/comments/{answer}/remove");
    // (The helper sends only the fields named here, as the form would.)
    let done = moderator.submit(&expected, &remove, &[("reason", "Abuse"), ("return_to", queue)]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), queue);
    let (_, page) = moderator.page(&expected).await;
    assert!(page.contains("status-removed"), "now removed, with a Restore button");
    assert!(page.contains(&format!("/admin/comments/{answer}/restore")));
}

async fn context_is_for_staff_and_stays_on_the_admin_site(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let moderator = app.staff("context_guard", Role::Moderator).await;
    let reader = app.reader("context_nosy").await;
    let id = comment_id(&reader.comment(STORY, "Just a comment.").await);
    let path = format!("/admin/comments/{id}/context");
    let answer = reader.get(&path).await;
    assert!(answer.status() == 403 || answer.status() == 404, "a reader: {}", answer.status());
    let (status, page) = moderator.page(&format!("{path}?back=https%3A%2F%2Fevil.example%2F")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("evil.example"), "no way back outside the admin site");
    assert_eq!(attrs(&html(&page), ".context-actions input[name=return_to]", "value"), ["/admin/queue/recent"]);
    assert_eq!(moderator.get("/admin/comments/999999/context").await.status(), 404);
    // A comment its author deleted has nothing left to moderate.
    let delete = format!("/comments/{id}/delete");
    assert_eq!(reader.submit(&delete, &delete, &[]).await.status(), 303);
    assert_eq!(moderator.get(&path).await.status(), 404);
}

on_both_backends!(
    a_queue_row_opens_the_comment_in_its_thread_with_its_authors_record,
    context_is_for_staff_and_stays_on_the_admin_site,
);
