//! The rules every change of data keeps, whichever path it comes by: the
//! holes a security review found, each driven over HTTP (or, for the session
//! store, through the store itself) on both databases. Races are fired in
//! parallel, a bounded number of times, against loopback.

mod common;

use std::collections::HashMap;

use actix_session::storage::{SessionKey, SessionStore};
use common::{Backend, Browser, PASSWORD, TestApp, attrs, comment_id, html, location, texts};
use diesel::prelude::*;
use futures_util::future::join_all;
use newsdesk::changes::Change;
use newsdesk::db::schema::{comments, sessions, users};
use newsdesk::models::session::SessionRow;
use newsdesk::models::{Role, User};
use newsdesk::security::session_store::DbSessionStore;
use newsdesk::state::now;

const STORY: &str = "/articles/sea-wall-repairs-row";
const STORY_SLUG: &str = "sea-wall-repairs-row";
/// A demo story days old, for closing by age.
const OLD_STORY: &str = "/articles/sensor-buoys-for-earlier-surge-warnings";

/// A logged-in moderator or admin.
async fn staff(app: &TestApp, name: &str, role: Role) -> Browser {
    app.staff(name, role).await
}

async fn save_settings(admin: &Browser, fields: &[(&str, &str)]) {
    let response = admin.submit("/admin/settings", "/admin/settings", fields).await;
    assert_eq!(response.status(), 303, "settings saved");
}

type StoredComment = (String, String, Option<chrono::NaiveDateTime>);

/// A comment's body, status and deletion time as stored.
fn stored(app: &TestApp, id: i32) -> StoredComment {
    comments::table
        .find(id)
        .select((comments::body, comments::status, comments::deleted_at))
        .first(&mut *app.conn())
        .expect("the comment is there")
}

fn session_rows(app: &TestApp) -> i64 {
    sessions::table.count().get_result(&mut *app.conn()).expect("sessions count")
}

/// The text waiting in the article's comment box.
async fn comment_box(browser: &Browser, path: &str) -> String {
    let (_, page) = browser.page(path).await;
    let doc = html(&page);
    let selector = scraper::Selector::parse("#comment-body").unwrap();
    doc.select(&selector).next().map(|e| e.text().collect()).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// 1. A revoked session stays revoked
// ---------------------------------------------------------------------------

/// A request that loaded its session before a revocation (log-out
/// elsewhere, a password change, a ban) and writes it afterwards gets a new,
/// anonymous session: no user, a new CSRF token.
async fn a_session_revoked_mid_request_is_not_brought_back(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("revoked_reader").await;
    drop(reader);
    let user = User::by_username(&mut app.conn(), "revoked_reader").unwrap().unwrap();
    let store = DbSessionStore::new(app.state.db.clone(), std::time::Duration::from_secs(3600));
    let ttl = actix_web::cookie::time::Duration::hours(1);
    let state: HashMap<String, String> = [
        ("uid".to_string(), user.id.to_string()),
        ("csrf".to_string(), "\"old-token\"".to_string()),
        ("admin_flash".to_string(), "\"Saved.\"".to_string()),
    ]
    .into();
    let key = store.save(state.clone(), &ttl).await.expect("saved");
    // The request loads its session...
    let loaded = store.load(&key).await.expect("loads").expect("live");
    assert_eq!(loaded.get("uid"), Some(&user.id.to_string()));
    // ...every session of the account is revoked meanwhile...
    SessionRow::delete_for_user(&mut app.conn(), user.id).unwrap();
    // ...and the request writes what it loaded.
    let old_key = key.as_ref().to_string();
    let new_key: SessionKey = store.update(key, loaded, &ttl).await.expect("written");
    assert_ne!(new_key.as_ref(), old_key, "a new key");
    let revived = store.load(&new_key).await.expect("loads").unwrap_or_default();
    assert_eq!(revived.get("uid"), None, "not logged in again: {revived:?}");
    assert_ne!(revived.get("csrf"), Some(&"\"old-token\"".to_string()), "the old token does not carry over");
    let rows: Vec<Option<i32>> = sessions::table.select(sessions::user_id).load(&mut *app.conn()).unwrap();
    assert!(rows.iter().all(Option::is_none), "no session row belongs to the account: {rows:?}");
}

// ---------------------------------------------------------------------------
// 2. Edits are moderated like posts, and never revive a removed comment
// ---------------------------------------------------------------------------

/// Banned words refuse an edit (the new text kept in the form); suspect
/// words and too many links hold the edited comment for a moderator.
async fn an_edit_passes_the_same_moderation_as_a_post(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = staff(&app, "edit_admin", Role::Admin).await;
    save_settings(
        &admin,
        &[("banned_words", "brimstone"), ("suspect_words", "lottery"), ("max_links", "1"), ("auto_close_days", "0")],
    )
    .await;
    let writer = app.reader("edit_writer").await;
    let onlooker = app.reader("edit_onlooker").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let response = writer.comment(STORY, &format!("A plain first version, number {n}.")).await;
        assert_eq!(response.status(), 303);
        ids.push(comment_id(&response));
    }

    let edit = |id: i32, text: &'static str| {
        let writer = &writer;
        async move {
            writer.submit(&format!("/comments/{id}/edit"), &format!("/comments/{id}/edit"), &[("body", text)]).await
        }
    };
    let banned = edit(ids[0], "Now with brimstone in it.").await;
    assert_eq!(banned.status(), 422, "a banned word refuses the edit");
    let doc = html(&banned.text().await.unwrap());
    assert_eq!(texts(&doc, "#comment-body"), ["Now with brimstone in it."], "the new text is kept");
    assert!(texts(&doc, "[role=alert]").join(" ").contains("brimstone"), "says which word");
    assert_eq!(stored(&app, ids[0]).0, "A plain first version, number 0.", "the stored text is unchanged");

    let suspect = edit(ids[1], "Now about the lottery.").await;
    assert_eq!(suspect.status(), 303, "a suspect word is taken, for review");
    assert_eq!(stored(&app, ids[1]).1, "held");
    let links = edit(ids[2], "See https://a.example and https://b.example").await;
    assert_eq!(links.status(), 303);
    assert_eq!(stored(&app, ids[2]).1, "held", "too many links hold it");

    let (_, seen) = onlooker.page(STORY).await;
    assert!(!seen.contains("lottery") && !seen.contains("b.example"), "held edits are not shown to others");
    let (_, own) = writer.page(STORY).await;
    assert!(own.contains("Now about the lottery."), "the author still sees their held comment");
    let (_, queue) = admin.page("/admin/queue/held").await;
    assert!(queue.contains("Now about the lottery.") && queue.contains("lottery"), "it waits in the held queue");
}

/// An edit racing its author's deletion or a moderator's removal never
/// writes text into the deleted or removed comment.
async fn an_edit_racing_a_removal_or_deletion_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, common::unlimited).await else { return };
    let writer = app.reader("race_writer").await;
    let moderator = staff(&app, "race_moderator", Role::Moderator).await;
    const ROUNDS: usize = 12;
    let mut ids = Vec::new();
    for n in 0..ROUNDS {
        ids.push(comment_id(&writer.comment(STORY, &format!("Original text {n}.")).await));
    }
    let writer_token = writer.csrf("/account").await;
    let moderator_token = moderator.csrf("/admin").await;
    let races = ids.iter().enumerate().map(|(n, &id)| {
        let (writer, moderator) = (&writer, &moderator);
        let (writer_token, moderator_token) = (writer_token.clone(), moderator_token.clone());
        async move {
            let (edit_path, delete_path, remove_path) = (
                format!("/comments/{id}/edit"),
                format!("/comments/{id}/delete"),
                format!("/admin/comments/{id}/remove"),
            );
            let edit_fields = [("csrf_token", writer_token.as_str()), ("body", "Edited afterwards.")];
            let delete_fields = [("csrf_token", writer_token.as_str())];
            let remove_fields = [("csrf_token", moderator_token.as_str()), ("reason", "Spam")];
            if n % 2 == 0 {
                let (_, deleted) = futures_util::join!(
                    writer.post(&edit_path, &edit_fields),
                    writer.post(&delete_path, &delete_fields)
                );
                assert_eq!(deleted.status(), 303, "the author's delete goes through");
            } else {
                let (_, removed) = futures_util::join!(
                    writer.post(&edit_path, &edit_fields),
                    moderator.post(&remove_path, &remove_fields)
                );
                assert_eq!(removed.status(), 303, "the removal goes through");
            }
        }
    });
    join_all(races).await;
    for (n, &id) in ids.iter().enumerate() {
        let (body, status, deleted) = stored(&app, id);
        if n % 2 == 0 {
            assert!(deleted.is_some() && body.is_empty(), "comment {id}: deleted and empty, not {body:?}");
        } else {
            // Which came first is up to the race; that the removal stands is not.
            assert_eq!(status, "removed", "comment {id}");
            assert!(body == format!("Original text {n}.") || body == "Edited afterwards.", "comment {id}: {body:?}");
        }
    }
}

/// The edit's moment of truth, taken apart: the edit has read the comment
/// and is about to write it when a moderator's removal commits. The edit
/// must then change nothing. PostgreSQL shows a statement waiting for a
/// row lock, which lets the test hold the removal until the edit waits.
async fn an_edit_that_waits_behind_a_removal_changes_nothing(backend: Backend) {
    use diesel::connection::SimpleConnection;
    if backend != Backend::Postgres {
        // SQLite runs one write transaction at a time and the edit reads
        // inside its own: there is no moment between its read and its write.
        return;
    }
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let writer = app.reader("waiting_writer").await;
    let id = comment_id(&writer.comment(STORY, "Text the moderator removes.").await);
    let token = writer.csrf("/account").await;
    let mut moderator = diesel::PgConnection::establish(&app.database.url).unwrap();
    moderator.batch_execute(&format!("BEGIN; SELECT id FROM comments WHERE id = {id} FOR UPDATE;")).unwrap();
    let edit = {
        let path = format!("{}/comments/{id}/edit", app.address);
        let client = writer.client.clone();
        let fields = [("csrf_token", token.clone()), ("body", "Written into a removed comment?".to_string())];
        actix_web::rt::spawn(async move { client.post(path).form(&fields).send().await.unwrap().status().as_u16() })
    };
    // Wait (bounded) until the edit's UPDATE is queued behind the lock.
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut probe = diesel::PgConnection::establish(&app.database.url).unwrap();
    let mut waiting = false;
    for _ in 0..500 {
        let found: Waiting = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE%comments%'",
        )
        .get_result(&mut probe)
        .unwrap();
        if found.n > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(waiting, "the edit reached its write and waits for the row");
    moderator
        .batch_execute(&format!(
            "UPDATE comments SET status = 'removed', moderation_reason = 'Spam' WHERE id = {id}; COMMIT;"
        ))
        .unwrap();
    let status = edit.await.unwrap();
    assert_eq!(status, 403, "the edit is refused");
    let (body, stored_status, _) = stored(&app, id);
    assert_eq!((body.as_str(), stored_status.as_str()), ("Text the moderator removes.", "removed"));
}

// ---------------------------------------------------------------------------
// 3. Rate limits hold under parallel requests
// ---------------------------------------------------------------------------

/// Twenty password guesses at one account at once: exactly the burst of
/// ten is checked, the rest wait, none fails.
async fn parallel_password_guesses_get_exactly_the_burst(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    drop(app.reader("guess_target").await);
    let guessers: Vec<Browser> = (0..20).map(|_| app.browser()).collect();
    let tokens = join_all(guessers.iter().map(|g| g.csrf("/login"))).await;
    let guesses = guessers.iter().zip(&tokens).enumerate().map(|(n, (guesser, token))| async move {
        let password = format!("wrong guess {n}");
        guesser
            .post(
                "/login",
                &[("csrf_token", token.as_str()), ("username", "guess_target"), ("password", password.as_str())],
            )
            .await
            .status()
            .as_u16()
    });
    let mut statuses = join_all(guesses).await;
    statuses.sort();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let waiting = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, waiting), (10, 10), "{statuses:?}");
}

// ---------------------------------------------------------------------------
// 4. Nothing is stored for a request that fails the CSRF check
// ---------------------------------------------------------------------------

/// A logged-out comment POST from another site, or from a client that sent
/// no cookie, stores no draft and creates no session; a reader's own form
/// whose session ran out still keeps its text for after log-in.
async fn forged_or_cookieless_comment_posts_store_nothing(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    drop(app.reader("draft_victim").await);
    let victim = app.browser();
    let token = victim.csrf("/login").await;
    let before = session_rows(&app);

    // Another site's form, posted with the victim's cookie.
    let forged = victim
        .client
        .post(victim.url(&format!("{STORY}/comments")))
        .header("Origin", "https://evil.example")
        .form(&[("body", "Planted by another site")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // A client with no cookie at all, many times over.
    for n in 0..5 {
        let cookieless = app
            .browser()
            .client
            .post(app.url(&format!("{STORY}/comments")))
            .header("Origin", app.address.as_str())
            .form(&[("body", format!("Filler {n} ").repeat(500))])
            .send()
            .await
            .unwrap();
        assert_eq!(cookieless.status(), 403);
        assert!(cookieless.headers().get("set-cookie").is_none(), "no session is started for it");
    }
    assert_eq!(session_rows(&app), before, "no session row was created or filled");

    let login = victim
        .post("/login", &[("csrf_token", token.as_str()), ("username", "draft_victim"), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status(), 303);
    assert_eq!(comment_box(&victim, STORY).await, "", "nothing was planted in the victim's comment box");
}

// ---------------------------------------------------------------------------
// 5. Smaller holes
// ---------------------------------------------------------------------------

/// A closed discussion (by hand or by age) takes no replies or edits; the
/// author may still delete their comment.
async fn a_closed_discussion_takes_no_edits_or_replies(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = staff(&app, "close_admin", Role::Admin).await;
    let writer = app.reader("close_writer").await;
    let by_hand = comment_id(&writer.comment(STORY, "Said before closing.").await);
    let by_age = comment_id(&writer.comment(OLD_STORY, "Said on an old story.").await);

    let closed = admin.submit("/admin/articles", &format!("/admin/articles/{STORY_SLUG}/close"), &[]).await;
    assert_eq!(closed.status(), 303);
    save_settings(&admin, &[("auto_close_days", "2"), ("max_links", "2")]).await;

    for id in [by_hand, by_age] {
        let edit_path = format!("/comments/{id}/edit");
        let edit = writer.submit("/account", &edit_path, &[("body", "Changed after closing.")]).await;
        assert_eq!(edit.status(), 403, "comment {id}: no edits once closed");
        let doc = html(&edit.text().await.unwrap());
        assert_eq!(texts(&doc, "#comment-body"), ["Changed after closing."], "the text comes back");
        assert!(texts(&doc, "[role=alert]").join(" ").contains("closed"), "says why");
        assert_ne!(stored(&app, id).0, "Changed after closing.");
        assert_eq!(writer.get(&edit_path).await.status(), 303, "comment {id}: the edit form goes back to the comment");
        let reply = writer.get(&format!("/comments/{id}/reply")).await;
        assert_eq!(reply.status(), 303, "comment {id}: the reply form goes back to the comment");
        let (_, page) = writer.page(&location(&reply)).await;
        let links = attrs(&html(&page), &format!("#comment-{id} a"), "href");
        assert!(!links.iter().any(|l| l.ends_with("/reply") || l.ends_with("/edit")), "comment {id}: {links:?}");
        assert!(links.iter().any(|l| l.ends_with("/delete")), "comment {id}: delete is offered");
    }
    let reply = writer
        .submit(
            "/account",
            &format!("{OLD_STORY}/comments"),
            &[("body", "A reply too late."), ("parent_id", &by_age.to_string())],
        )
        .await;
    assert_eq!(reply.status(), 403, "no replies by age");
    for id in [by_hand, by_age] {
        let delete = writer.submit(&format!("/comments/{id}/delete"), &format!("/comments/{id}/delete"), &[]).await;
        assert_eq!(delete.status(), 303, "comment {id}: the author may still delete");
        assert!(stored(&app, id).2.is_some());
    }
}

/// Two admins demoting (or banning) each other at the same moment leave at
/// least one admin, every time.
async fn concurrent_demotions_never_leave_the_site_without_an_admin(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let first = staff(&app, "admin_first", Role::Admin).await;
    let second = staff(&app, "admin_second", Role::Admin).await;
    let (first_token, second_token) = (first.csrf("/account").await, second.csrf("/account").await);
    for round in 0..6 {
        // Both are admins again at the start of a round.
        for name in ["admin_first", "admin_second"] {
            diesel::update(users::table.filter(users::username.eq(name)))
                .set(users::role.eq("admin"))
                .execute(&mut *app.conn())
                .unwrap();
        }
        let first_fields = [("csrf_token", first_token.as_str()), ("role", "reader")];
        let second_fields = [("csrf_token", second_token.as_str()), ("role", "reader")];
        let (demote_second, demote_first) = futures_util::join!(
            first.post("/admin/users/admin_second/role", &first_fields),
            second.post("/admin/users/admin_first/role", &second_fields),
        );
        let statuses = [demote_second.status().as_u16(), demote_first.status().as_u16()];
        let admins = User::active_admin_count(&mut app.conn(), now()).unwrap();
        assert!(admins >= 1, "round {round}: {statuses:?} left {admins} admins");
    }
    // Bans race the same way.
    for name in ["admin_first", "admin_second"] {
        diesel::update(users::table.filter(users::username.eq(name)))
            .set(users::role.eq("admin"))
            .execute(&mut *app.conn())
            .unwrap();
    }
    let (first_token, second_token) = (first.csrf("/account").await, second.csrf("/account").await);
    let first_fields = [("csrf_token", first_token.as_str()), ("reason", "coup"), ("length", "permanent")];
    let second_fields = [("csrf_token", second_token.as_str()), ("reason", "coup"), ("length", "permanent")];
    let (a, b) = futures_util::join!(
        first.post("/admin/users/admin_second/ban", &first_fields),
        second.post("/admin/users/admin_first/ban", &second_fields),
    );
    let admins = User::active_admin_count(&mut app.conn(), now()).unwrap();
    assert!(admins >= 1, "bans {:?} left {admins} admins", [a.status(), b.status()]);
}

/// An account its owner deleted cannot be banned by a crafted POST.
async fn a_deleted_account_cannot_be_banned(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let moderator = staff(&app, "ban_moderator", Role::Moderator).await;
    let leaver = app.reader("leaver").await;
    let gone = leaver.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(gone.status(), 303);
    let token = moderator.csrf("/admin").await;
    let ban = moderator
        .post(
            "/admin/users/leaver/ban",
            &[("csrf_token", token.as_str()), ("reason", "spite"), ("length", "permanent")],
        )
        .await;
    assert_eq!(ban.status(), 409, "refused");
    assert!(ban.text().await.unwrap().contains("deleted"), "says why");
    let user = User::by_username(&mut app.conn(), "leaver").unwrap().unwrap();
    assert!(user.ban_reason.is_none() && user.banned_until.is_none(), "no ban was stored");
}

/// Logging in gives the session a new CSRF token; the one from before no
/// longer works.
async fn the_csrf_token_changes_at_log_in(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    drop(app.reader("token_reader").await);
    let browser = app.browser();
    let before = browser.csrf("/login").await;
    let login = browser
        .post("/login", &[("csrf_token", before.as_str()), ("username", "token_reader"), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status(), 303);
    let after = browser.csrf("/account").await;
    assert_ne!(before, after, "a new token after log-in");
    assert_eq!(browser.post("/logout", &[("csrf_token", before.as_str())]).await.status(), 403, "the old one fails");
    assert_eq!(browser.logged_in_as().await.as_deref(), Some("token_reader"));
}

/// Per-address limits count a whole IPv6 /64 as one address.
async fn an_ipv6_network_shares_one_allowance(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, |config| config.trust_proxy = true).await else { return };
    let mut statuses = Vec::new();
    for n in 1..=6 {
        let browser = app.browser();
        let token = browser.csrf("/signup").await;
        let name = format!("v6_reader_{n}");
        let address = format!("2001:db8:7:9:{n:x}::{n:x}");
        let response = browser
            .client
            .post(browser.url("/signup"))
            .header("X-Forwarded-For", address)
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", name.as_str()),
                ("display_name", name.as_str()),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [303, 303, 303, 303, 303, 429], "five sign-ups from one /64, then a wait");
}

// ---------------------------------------------------------------------------
// 6. Every committed change is announced once; a refused one is not
// ---------------------------------------------------------------------------

/// What has been announced since the last call.
fn announced(changes: &mut tokio::sync::broadcast::Receiver<Change>) -> Vec<Change> {
    std::iter::from_fn(|| changes.try_recv().ok()).collect()
}

/// The caches in front of the pages learn what each committed change
/// touched, once, after the commit; refused and forged requests announce
/// nothing.
async fn committed_changes_are_announced_once(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = staff(&app, "signal_admin", Role::Admin).await;
    save_settings(&admin, &[("banned_words", "brimstone"), ("max_links", "2"), ("auto_close_days", "0")]).await;
    let writer = app.reader("signal_writer").await;
    let mut changes = app.state.changes.subscribe();
    let article = newsdesk::models::Article::id_by_slug(&mut app.conn(), STORY_SLUG).unwrap().unwrap();

    let id = comment_id(&writer.comment(STORY, "A comment worth announcing.").await);
    assert_eq!(announced(&mut changes), [Change::Discussion { article_id: article }]);
    assert_eq!(writer.comment(STORY, "Full of brimstone.").await.status(), 422);
    let forged = writer.post(&format!("{STORY}/comments"), &[("csrf_token", "forged"), ("body", "Forged.")]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(announced(&mut changes), [], "refused and forged posts change nothing");

    let edit_path = format!("/comments/{id}/edit");
    assert_eq!(writer.submit(&edit_path, &edit_path, &[("body", "Edited.")]).await.status(), 303);
    assert_eq!(announced(&mut changes), [Change::Discussion { article_id: article }]);
    let remove_path = format!("/admin/comments/{id}/remove");
    assert_eq!(admin.submit("/admin/queue/recent", &remove_path, &[("reason", "Spam")]).await.status(), 303);
    assert_eq!(announced(&mut changes), [Change::Discussion { article_id: article }, Change::ModerationLog]);
    assert_eq!(admin.submit("/admin/queue/recent", &remove_path, &[("reason", "Spam")]).await.status(), 303);
    assert_eq!(announced(&mut changes), [], "removing a removed comment changes nothing");

    let writer_id = User::by_username(&mut app.conn(), "signal_writer").unwrap().unwrap().id;
    let ban = admin.submit(
        "/admin/users/signal_writer",
        "/admin/users/signal_writer/ban",
        &[("reason", "Spam"), ("length", "1")],
    );
    assert_eq!(ban.await.status(), 303);
    assert_eq!(announced(&mut changes), [Change::Account { user_id: writer_id }, Change::ModerationLog]);
    let close_path = format!("/admin/articles/{STORY_SLUG}/close");
    assert_eq!(admin.submit("/admin/articles", &close_path, &[]).await.status(), 303);
    assert_eq!(
        announced(&mut changes),
        [Change::Article { article_id: article }, Change::Discussion { article_id: article }]
    );
}

on_both_backends!(
    a_session_revoked_mid_request_is_not_brought_back,
    an_edit_passes_the_same_moderation_as_a_post,
    an_edit_racing_a_removal_or_deletion_writes_nothing,
    an_edit_that_waits_behind_a_removal_changes_nothing,
    parallel_password_guesses_get_exactly_the_burst,
    forged_or_cookieless_comment_posts_store_nothing,
    a_closed_discussion_takes_no_edits_or_replies,
    concurrent_demotions_never_leave_the_site_without_an_admin,
    a_deleted_account_cannot_be_banned,
    the_csrf_token_changes_at_log_in,
    an_ipv6_network_shares_one_allowance,
    committed_changes_are_announced_once,
);
