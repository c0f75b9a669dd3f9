//! Trust: new accounts' comments wait for a moderator until enough were
//! approved; a reader whose comments keep being removed goes back to
//! pre-moderation by the rule, logged, shown on their admin page and ended
//! by a moderator; moderators may also start it by hand.

mod common;

use common::{Backend, Browser, TestApp, comment_id, html, texts};
use newsdesk::models::{Comment, Role, User};

const STORY: &str = "/articles/sea-wall-repairs-row";

fn status_of(app: &TestApp, id: i32) -> String {
    Comment::by_id(&mut app.conn(), id).unwrap().unwrap().status.to_string()
}

/// Why a held comment waits, as the Held queue shows it.
fn hold_reason_of(app: &TestApp, id: i32) -> Option<String> {
    use diesel::prelude::*;
    use newsdesk::db::schema::comments;
    comments::table.find(id).select(comments::moderation_reason).first(&mut *app.conn()).unwrap()
}

async fn save_settings(admin: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    admin.submit("/admin/settings", "/admin/settings", fields).await
}

async fn moderate(staff: &Browser, id: i32, action: &str) {
    let path = format!("/admin/comments/{id}/{action}");
    let answer = staff.submit("/admin/queue/recent", &path, &[("reason", "Off topic")]).await;
    assert_eq!(answer.status(), 303, "{action} {id}");
}

async fn new_accounts_are_trusted_after_enough_approved_comments(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let admin = app.staff("trust_admin", Role::Admin).await;
    let saved = save_settings(&admin, &[("hold_first_comment", "on"), ("trusted_after", "2")]).await;
    assert_eq!(saved.status(), 303);
    let newcomer = app.reader("slow_to_trust").await;
    let first = comment_id(&newcomer.comment(STORY, "First words here.").await);
    let second = comment_id(&newcomer.comment(STORY, "Second words here.").await);
    assert_eq!((status_of(&app, first), status_of(&app, second)), ("held".into(), "held".into()));
    assert_eq!(hold_reason_of(&app, first).as_deref(), Some("new account: fewer than 2 approved comments"));

    moderate(&admin, first, "approve").await;
    let third = comment_id(&newcomer.comment(STORY, "Third words here.").await);
    assert_eq!(status_of(&app, third), "held", "one approved is not yet two");
    moderate(&admin, second, "approve").await;
    let fourth = comment_id(&newcomer.comment(STORY, "Fourth words here.").await);
    assert_eq!(status_of(&app, fourth), "published", "two approved: trusted");

    // Staff are never held for who they are.
    let moderator = app.staff("fresh_moderator", Role::Moderator).await;
    let staff_comment = comment_id(&moderator.comment(STORY, "From the desk.").await);
    assert_eq!(status_of(&app, staff_comment), "published");
}

async fn repeated_removals_bring_back_pre_moderation(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let admin = app.staff("rule_admin", Role::Admin).await;
    let saved = save_settings(&admin, &[("premoderate_after", "2"), ("removal_window_days", "7")]).await;
    assert_eq!(saved.status(), 303);
    let troublemaker = app.reader("repeat_offender").await;
    let bystander = app.reader("good_citizen").await;
    let one = comment_id(&troublemaker.comment(STORY, "Rude thing one.").await);
    let two = comment_id(&troublemaker.comment(STORY, "Rude thing two.").await);
    let fine = comment_id(&bystander.comment(STORY, "A fair point.").await);

    moderate(&admin, one, "remove").await;
    let after_one = comment_id(&troublemaker.comment(STORY, "Still posting freely.").await);
    assert_eq!(status_of(&app, after_one), "published", "one removal is not two");
    // A bulk removal counts each comment, and leaves others alone.
    let bulk = admin
        .submit(
            "/admin/queue/recent",
            "/admin/comments",
            &[("ids", &two.to_string()), ("action", "remove"), ("reason", "Abuse")],
        )
        .await;
    assert!(bulk.status().is_redirection(), "bulk removal: {}", bulk.status());
    assert_eq!(status_of(&app, two), "removed");
    assert_eq!(status_of(&app, fine), "published");

    let held = comment_id(&troublemaker.comment(STORY, "Now I wait.").await);
    assert_eq!(status_of(&app, held), "held", "back on pre-moderation");
    assert_eq!(hold_reason_of(&app, held).as_deref(), Some("the account is on pre-moderation"));
    let user = User::by_username(&mut app.conn(), "repeat_offender").unwrap().unwrap();
    assert_eq!(user.premoderation_reason, "2 comments removed within 7 days");
    assert_eq!(status_of(&app, comment_id(&bystander.comment(STORY, "Me too.").await)), "published");

    // Shown on their admin page, logged as the rule's doing.
    let (_, page) = admin.page("/admin/users/repeat_offender").await;
    assert!(page.contains("2 comments removed within 7 days"), "the reason on their page");
    let (_, log) = admin.page("/admin/log").await;
    assert!(log.contains("Put an account on pre-moderation"));
    // Not on the public page: it is not a sanction others need to see.
    let (_, public) = app.browser().page("/moderation").await;
    assert!(!public.contains("pre-moderation"));

    // A moderator ends it; their next comment is published again.
    let moderator = app.staff("kind_moderator", Role::Moderator).await;
    let end = "/admin/users/repeat_offender/premoderate";
    let answer = moderator.submit("/admin/users/repeat_offender", end, &[("premoderate", "end")]).await;
    assert_eq!(answer.status(), 303);
    let free = comment_id(&troublemaker.comment(STORY, "Free again.").await);
    assert_eq!(status_of(&app, free), "published");
    let (_, log) = admin.page("/admin/log").await;
    assert!(log.contains("Ended an account&#39;s pre-moderation"), "the end is logged too");
}

async fn moderators_start_pre_moderation_by_hand(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let moderator = app.staff("hand_moderator", Role::Moderator).await;
    let reader = app.reader("watched_reader").await;
    let page = "/admin/users/watched_reader";
    let action = "/admin/users/watched_reader/premoderate";

    // A reason is needed; the page says so.
    let refused = moderator.submit(page, action, &[("premoderate", "start"), ("reason", "  ")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Give a reason"));
    let answer = moderator.submit(page, action, &[("premoderate", "start"), ("reason", "Heated threads")]).await;
    assert_eq!(answer.status(), 303);
    let held = comment_id(&reader.comment(STORY, "Waiting my turn.").await);
    assert_eq!(status_of(&app, held), "held");
    // Editing an approved comment while on pre-moderation holds it too.
    moderate(&moderator, held, "approve").await;
    let edit = format!("/comments/{held}/edit");
    let answer = reader.submit(&edit, &edit, &[("body", "Waiting my turn, edited.")]).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(status_of(&app, held), "held");

    let (_, shown) = moderator.page(page).await;
    let document = html(&shown);
    assert_eq!(texts(&document, "#premoderation-heading"), ["End pre-moderation"]);

    // Staff accounts and readers cannot be pre-moderated by readers or at all.
    let other = app.staff("other_moderator", Role::Moderator).await;
    drop(other);
    let staff_action = "/admin/users/other_moderator/premoderate";
    let answer = moderator
        .submit("/admin/users/other_moderator", staff_action, &[("premoderate", "start"), ("reason", "x")])
        .await;
    assert_eq!(answer.status(), 403);
    let token = reader.csrf(STORY).await;
    let answer = reader.post(action, &[("csrf_token", token.as_str()), ("premoderate", "end"), ("reason", "")]).await;
    assert!(answer.status() == 403 || answer.status() == 404, "a reader: {}", answer.status());
    let user = User::by_username(&mut app.conn(), "watched_reader").unwrap().unwrap();
    assert!(user.premoderated_at.is_some(), "still on pre-moderation");
}

async fn trust_settings_are_checked_and_kept(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = app.staff("numbers_admin", Role::Admin).await;
    let answer = save_settings(
        &admin,
        &[
            ("trusted_after", "0"),
            ("premoderate_after", "3"),
            ("removal_window_days", "400"),
            ("suspect_words", "kept"),
        ],
    )
    .await;
    assert_eq!(answer.status(), 422);
    let page = answer.text().await.unwrap();
    let document = html(&page);
    assert!(page.contains("Approved comments before trust must be a whole number from 1 to 100"));
    assert!(page.contains("Days counted for removals must be a whole number from 1 to 365"));
    let value = |id: &str| common::attrs(&document, &format!("#{id}"), "value");
    assert_eq!(value("trusted_after"), ["0"], "the typed value comes back");
    assert_eq!(value("premoderate_after"), ["3"]);
    assert_eq!(value("removal_window_days"), ["400"]);
    assert!(page.contains("kept"));
    let answer = save_settings(&admin, &[("trusted_after", "5"), ("premoderate_after", "3")]).await;
    assert_eq!(answer.status(), 303);
    let (_, page) = admin.page("/admin/settings").await;
    let document = html(&page);
    assert_eq!(common::attrs(&document, "#trusted_after", "value"), ["5"]);
    assert_eq!(common::attrs(&document, "#premoderate_after", "value"), ["3"]);
    assert_eq!(common::attrs(&document, "#removal_window_days", "value"), ["30"]);
}

on_both_backends!(
    new_accounts_are_trusted_after_enough_approved_comments,
    repeated_removals_bring_back_pre_moderation,
    moderators_start_pre_moderation_by_hand,
    trust_settings_are_checked_and_kept,
);
