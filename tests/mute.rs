//! Mute: a reader mutes another reader from one of their comments; that
//! reader's comments then show to them folded (and can be opened), their
//! replies stop counting as new, and nobody else sees any difference.

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

async fn mute(reader: &Browser, id: i32) -> reqwest::Response {
    let path = format!("/comments/{id}/mute");
    reader.submit(&path, &path, &[]).await
}

/// The summary line of comment `id` when it shows folded.
fn folded(page: &str, id: i32) -> Option<String> {
    texts(&html(page), &format!("#comment-{id} details.muted-comment > summary")).into_iter().next()
}

fn mute_links(page: &str, id: i32) -> Vec<String> {
    attrs(&html(page), &format!("#comment-{id} .comment-actions a[href$='/mute']"), "href")
}

/// The header's count of new replies (0 when no badge shows).
fn badge(page: &str) -> i64 {
    texts(&html(page), ".count-badge").first().and_then(|t| t.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

async fn a_reader_mutes_another_and_unmutes_them(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let noisy = app.reader("noisy_neighbour").await;
    let id = comment_id(&noisy.comment(STORY, "The sea wall is a plot by the gulls.").await);
    let reader = app.reader("quiet_reader").await;
    let bystander = app.reader("unbothered").await;

    let (_, page) = reader.page(STORY).await;
    assert_eq!(mute_links(&page, id), vec![format!("/comments/{id}/mute")], "a Mute link under the comment");
    assert_eq!(folded(&page, id), None);

    // The link opens a page that asks first; a GET changes nothing.
    let (status, ask) = reader.page(&format!("/comments/{id}/mute")).await;
    assert_eq!(status, 200);
    assert!(ask.contains("Mute noisy_neighbour?") && ask.contains("The sea wall is a plot by the gulls."));
    let (_, page) = reader.page(STORY).await;
    assert_eq!(folded(&page, id), None, "looking at the question mutes nobody");

    let answer = mute(&reader, id).await;
    assert_eq!(answer.status(), 303);
    assert!(common::location(&answer).ends_with(&format!("#comment-{id}")), "back to the same comment");
    let (_, page) = reader.page(STORY).await;
    assert_eq!(folded(&page, id).as_deref(), Some("Comment from a reader you muted (noisy_neighbour)"));
    assert!(page.contains("The sea wall is a plot by the gulls."), "still there, to open");
    assert!(mute_links(&page, id).is_empty(), "no second mute");

    // Their later comments fold too; nobody else's page changes.
    let later = comment_id(&noisy.comment(STORY, "And the pier is next.").await);
    let (_, page) = reader.page(STORY).await;
    assert!(folded(&page, later).is_some(), "a comment after the mute");
    let (_, page) = bystander.page(STORY).await;
    assert!(folded(&page, id).is_none() && !page.contains("muted-comment"), "another reader sees it all");
    assert_eq!(mute_links(&page, id).len(), 1);
    let (_, page) = app.browser().page(STORY).await;
    assert!(!page.contains("muted-comment") && mute_links(&page, id).is_empty(), "the anonymous copy");

    let (_, ask) = reader.page(&format!("/comments/{id}/mute")).await;
    assert!(ask.contains("You have muted noisy_neighbour"), "asked again, it says so");

    // The account page lists them, and unmutes them.
    let (_, account) = reader.page("/account").await;
    let document = html(&account);
    let listed = texts(&document, ".muted-list li strong");
    assert_eq!(listed, vec!["noisy_neighbour".to_string()]);
    let noisy_id = attrs(&document, ".muted-list form", "action")[0]
        .trim_start_matches("/account/muted/")
        .trim_end_matches("/unmute")
        .to_string();
    let unmute = format!("/account/muted/{noisy_id}/unmute");
    let answer = reader.submit("/account", &unmute, &[]).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(common::location(&answer), "/account#muted");
    let (_, account) = reader.page("/account").await;
    assert!(texts(&html(&account), ".muted-list li").is_empty() && account.contains("You have not muted anyone"));
    let (_, page) = reader.page(STORY).await;
    assert!(folded(&page, id).is_none() && folded(&page, later).is_none(), "shown whole again");

    // A forged mute (no token) does nothing.
    let forged = reader.post(&format!("/comments/{id}/mute"), &[]).await;
    assert_eq!(forged.status(), 403);
    let (_, page) = reader.page(STORY).await;
    assert!(folded(&page, id).is_none());
}

async fn staff_and_oneself_cannot_be_muted(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let moderator = app.staff("mute_mod", Role::Moderator).await;
    let staff_comment = comment_id(&moderator.comment(STORY, "A note from the newsroom.").await);
    let reader = app.reader("would_be_muter").await;
    let own = comment_id(&reader.comment(STORY, "My own opinion.").await);

    let (_, page) = reader.page(STORY).await;
    assert!(mute_links(&page, staff_comment).is_empty(), "no Mute link under staff");
    assert!(mute_links(&page, own).is_empty(), "nor under one's own comment");

    let (status, refusal) = reader.page(&format!("/comments/{staff_comment}/mute")).await;
    assert_eq!(status, 403);
    assert!(refusal.contains("cannot be muted"));
    let token = reader.csrf(STORY).await;
    let answer = reader.post(&format!("/comments/{staff_comment}/mute"), &[("csrf_token", token.as_str())]).await;
    assert_eq!(answer.status(), 403);
    let answer = reader.post(&format!("/comments/{own}/mute"), &[("csrf_token", token.as_str())]).await;
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("You cannot mute yourself."));
    let (_, account) = reader.page("/account").await;
    assert!(account.contains("You have not muted anyone"));

    // Logged out: to the log-in page first.
    let visitor = app.browser();
    let answer = visitor.get(&format!("/comments/{own}/mute")).await;
    assert_eq!(answer.status(), 303);
    assert!(common::location(&answer).starts_with("/login"));
}

async fn replies_from_muted_readers_are_not_news(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let reader = app.reader("thread_starter").await;
    let mine = comment_id(&reader.comment(STORY, "Who pays for the repairs?").await);
    let pest = app.reader("reply_pest").await;
    let friend = app.reader("reply_friend").await;
    let first = comment_id(&pest.reply(STORY, mine, "Not me, for sure.").await);

    let (_, page) = reader.page(STORY).await;
    assert_eq!(badge(&page), 1, "one new reply");
    assert_eq!(mute(&reader, first).await.status(), 303);
    let (_, page) = reader.page(STORY).await;
    assert_eq!(badge(&page), 0, "the muted reader's reply is not news");
    let (_, replies) = reader.page("/account/replies").await;
    assert!(!replies.contains("Not me, for sure."), "nor listed among the replies");

    pest.reply(STORY, mine, "Still not me.").await;
    friend.reply(STORY, mine, "The council, in the end.").await;
    let (_, page) = reader.page(STORY).await;
    assert_eq!(badge(&page), 1, "only the friend's reply");
    let (_, replies) = reader.page("/account/replies").await;
    assert!(replies.contains("The council, in the end.") && !replies.contains("Still not me."));

    let (_, account) = reader.page("/account").await;
    let action = attrs(&html(&account), ".muted-list form", "action")[0].clone();
    assert_eq!(reader.submit("/account", &action, &[]).await.status(), 303);
    let (_, page) = reader.page(STORY).await;
    assert_eq!(badge(&page), 3, "unmuted: their replies count again");
    let (_, replies) = reader.page("/account/replies").await;
    assert!(replies.contains("Still not me.") && replies.contains("Not me, for sure."));
}

async fn export_and_erasure_cover_mutes(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let muted = app.reader("soon_gone").await;
    let id = comment_id(&muted.comment(STORY, "I will not be here long.").await);
    let reader = app.reader("keeps_records").await;
    assert_eq!(mute(&reader, id).await.status(), 303);

    let export: serde_json::Value =
        serde_json::from_str(&reader.get("/account/export").await.text().await.unwrap()).unwrap();
    assert_eq!(export["muted"][0]["username"], "soon_gone");
    assert!(export["muted"][0]["since"].is_string());

    // The muted reader deletes their account: the mute goes with it.
    let answer = muted.submit("/account", "/account/delete", &[("password", common::PASSWORD)]).await;
    assert_eq!(answer.status(), 303);
    let (_, account) = reader.page("/account").await;
    assert!(account.contains("You have not muted anyone"));
    let export: serde_json::Value =
        serde_json::from_str(&reader.get("/account/export").await.text().await.unwrap()).unwrap();
    assert_eq!(export["muted"], serde_json::json!([]));
}

on_both_backends!(
    a_reader_mutes_another_and_unmutes_them,
    staff_and_oneself_cannot_be_muted,
    replies_from_muted_readers_are_not_news,
    export_and_erasure_cover_mutes,
);
