//! Per-story controls: a story may hold every reader's comment for a
//! moderator, show the newsroom's prompt above its form, or run as a Q&A
//! whose questions wait in a queue of their own until staff answer them.

mod common;

use common::{Backend, Browser, TestApp, comment_id, html, texts};
use newsdesk::models::{Comment, Role};

const SLUG: &str = "seagrass-returning-to-ommel-estuary";
const STORY: &str = "/articles/seagrass-returning-to-ommel-estuary";

fn status_of(app: &TestApp, id: i32) -> String {
    Comment::by_id(&mut app.conn(), id).unwrap().unwrap().status.to_string()
}

async fn set_controls(staff: &Browser, mode: &str, prompt: &str) -> reqwest::Response {
    let page = format!("/admin/articles/{SLUG}/discussion");
    staff.submit(&page, &page, &[("mode", mode), ("prompt", prompt)]).await
}

async fn a_story_can_hold_every_comment_and_ask_its_readers(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let moderator = app.staff("story_mod", Role::Moderator).await;
    let answer = set_controls(&moderator, "premoderated", "Our reporter asks:\nhave you seen the seagrass?").await;
    assert_eq!(answer.status(), 303);

    let (_, page) = app.browser().page(STORY).await;
    let prompt = texts(&html(&page), ".newsroom-prompt");
    assert_eq!(prompt, ["From the newsroom Our reporter asks: have you seen the seagrass?"]);
    let reader = app.reader("estuary_walker").await;
    let held = comment_id(&reader.comment(STORY, "Yes, by the old jetty.").await);
    assert_eq!(status_of(&app, held), "held", "every reader's comment waits");
    let (_, queue) = moderator.page("/admin/queue/held").await;
    assert!(queue.contains("this story&#39;s comments are pre-moderated"), "with its reason");
    let staff_comment = comment_id(&moderator.comment(STORY, "Thanks, all, keep them coming.").await);
    assert_eq!(status_of(&app, staff_comment), "published", "staff are not held");

    // Bad input: the page says so and keeps what was typed.
    let long = "x".repeat(301);
    let refused = set_controls(&moderator, "open", &long).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("The prompt is too long") && body.contains(&long));
    let refused = set_controls(&moderator, "sideways", "A prompt").await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Choose how the story takes comments"));

    // Back to open, no prompt: published at once, and no prompt shown.
    assert_eq!(set_controls(&moderator, "open", "").await.status(), 303);
    let free = comment_id(&reader.comment(STORY, "Seen again today.").await);
    assert_eq!(status_of(&app, free), "published");
    let (_, page) = app.browser().page(STORY).await;
    assert!(!page.contains("newsroom-prompt"));
    let (_, log) = moderator.page("/admin/log").await;
    assert!(log.contains("Changed a story&#39;s discussion settings"));

    // Only staff change them.
    let token = reader.csrf(STORY).await;
    let page = format!("/admin/articles/{SLUG}/discussion");
    let forbidden = reader.post(&page, &[("csrf_token", token.as_str()), ("mode", "open"), ("prompt", "")]).await;
    assert!(forbidden.status() == 403 || forbidden.status() == 404, "a reader: {}", forbidden.status());
}

async fn questions_wait_for_the_newsroom_and_show_with_their_answers(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let editor = app.staff("qa_editor", Role::Admin).await;
    assert_eq!(set_controls(&editor, "questions", "Ask our science desk about the estuary.").await.status(), 303);
    let reader = app.reader("curious_reader").await;
    let (_, page) = reader.page(STORY).await;
    assert!(page.contains("This story is a Q&amp;A with the newsroom"));

    let question = comment_id(&reader.comment(STORY, "How fast is the seagrass spreading?").await);
    assert_eq!(status_of(&app, question), "held");
    let (_, page) = app.browser().page(STORY).await;
    assert!(!page.contains("How fast is the seagrass spreading?"), "not shown before its answer");
    let (_, held) = editor.page("/admin/queue/held").await;
    assert!(!held.contains("How fast is the seagrass spreading?"), "not in the Held queue");
    let (_, queue) = editor.page("/admin/questions").await;
    assert!(queue.contains("How fast is the seagrass spreading?"), "in the Questions queue");

    // Readers ask; they do not reply in the thread.
    let other = app.reader("other_reader").await;
    let staff_comment = comment_id(&editor.comment(STORY, "Welcome to the Q&A.").await);
    let refused = other.reply(STORY, staff_comment, "Replying anyway.").await;
    assert_eq!(refused.status(), 403);
    let body = refused.text().await.unwrap();
    assert!(body.contains("readers ask the newsroom questions") && body.contains("Replying anyway."), "the text kept");

    // An empty answer is refused with the queue kept; a real one publishes both.
    let path = format!("/admin/questions/{question}/answer");
    let empty = editor.submit("/admin/questions", &path, &[("body", "   ")]).await;
    assert_eq!(empty.status(), 422);
    let answered =
        editor.submit("/admin/questions", &path, &[("body", "About a metre a month along the south bank.")]).await;
    assert_eq!(answered.status(), 303);
    assert_eq!(status_of(&app, question), "published");
    let (_, page) = app.browser().page(STORY).await;
    let document = html(&page);
    let box_text = texts(&document, ".answered-questions li").join(" ");
    assert!(box_text.contains("How fast is the seagrass spreading?"), "{box_text}");
    assert!(box_text.contains("About a metre a month along the south bank."), "{box_text}");
    assert!(box_text.contains("The newsroom’s answer"));
    assert!(
        texts(&document, ".comment-list .comment-text")
            .iter()
            .any(|t| t == "About a metre a month along the south bank.")
    );
    let (_, queue) = editor.page("/admin/questions").await;
    assert!(queue.contains("No questions are waiting."));

    // Answering again posts nothing.
    let again = editor.submit("/admin/questions", &path, &[("body", "A second answer.")]).await;
    assert_eq!(again.status(), 303);
    let (_, page) = app.browser().page(STORY).await;
    assert!(!page.contains("A second answer."));
    let (_, log) = editor.page("/admin/log").await;
    assert!(log.contains("Answered a reader&#39;s question"));
    let forbidden = reader.submit(STORY, &path, &[("body", "I answer myself.")]).await;
    assert!(forbidden.status() == 403 || forbidden.status() == 404);
}

on_both_backends!(
    a_story_can_hold_every_comment_and_ask_its_readers,
    questions_wait_for_the_newsroom_and_show_with_their_answers,
);
