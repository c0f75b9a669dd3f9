//! Readers' accounts: sign-up, log-in, log-out and password changes, and
//! the server-side sessions behind them, on both databases.

mod common;

use common::{Backend, Browser, PASSWORD, TestApp, attrs, comment_id, html, location, texts};
use diesel::connection::SimpleConnection;
use newsdesk::models::session::SessionRow;
use newsdesk::models::{Role, User};

async fn sign_up_log_out_and_log_in_again(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let browser = app.browser();
    let response = browser
        .submit(
            "/signup?next=/articles/sea-wall-repairs-row%23comments",
            "/signup",
            &[
                ("username", "Tide_Watcher"),
                ("display_name", "  Tide   Watcher "),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
                ("next", "/articles/sea-wall-repairs-row#comments"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/articles/sea-wall-repairs-row#comments", "back where they came from");
    assert_eq!(browser.logged_in_as().await.as_deref(), Some("Tide Watcher"));
    let (status, account) = browser.page("/account").await;
    assert_eq!(status, 200);
    assert!(account.contains("@Tide_Watcher"));

    let response = browser.logout().await;
    assert_eq!((response.status().as_u16(), location(&response).as_str()), (303, "/"));
    assert_eq!(browser.logged_in_as().await, None);
    assert_eq!(location(&browser.get("/account").await), "/login?next=%2Faccount");

    // Usernames are case-insensitive for logging in.
    let response = browser.login("tide_watcher", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(browser.logged_in_as().await.as_deref(), Some("Tide Watcher"));
}

async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    app.reader("marina").await;
    let browser = app.browser();
    let wrong = browser.login("marina", "not the password at all").await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = browser.login("nobody_here", "not the password at all").await;
    let unknown_status = unknown.status();
    let unknown_body = unknown.text().await.unwrap();
    assert_eq!(wrong_status, 401);
    assert_eq!(unknown_status, 401);
    let message = |body: &str| texts(&html(body), "#login-error");
    assert_eq!(message(&wrong_body), message(&unknown_body));
    assert!(message(&wrong_body)[0].contains("do not match an account"));
    // The username typed is kept; the password never comes back.
    assert_eq!(attrs(&html(&wrong_body), "#username", "value"), ["marina"]);
    assert!(!wrong_body.contains("not the password at all"));
    assert_eq!(browser.logged_in_as().await, None);
}

async fn sign_up_explains_every_problem_and_keeps_what_was_typed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    app.reader("Taken-Name").await;
    let cases: [(&str, &str, &str, &str, &str, &str); 8] = [
        ("ab", "Ab", PASSWORD, PASSWORD, "#username-error", "3 to 30"),
        ("has space", "X", PASSWORD, PASSWORD, "#username-error", "letters, digits"),
        ("taken-name", "X", PASSWORD, PASSWORD, "#username-error", "taken"),
        ("fresh_one", "", PASSWORD, PASSWORD, "#display-name-error", "name to show"),
        ("fresh_one", "Fresh", "short", "short", "#password-error", "at least 8"),
        ("fresh_one", "Fresh", "Fresh_One", "Fresh_One", "#password-error", "not be your username"),
        ("fresh_one", "Fresh", "password123", "password123", "#password-error", "most common"),
        ("fresh_one", "Fresh", PASSWORD, "something else", "#confirm-error", "do not match"),
    ];
    let browser = app.browser();
    for (username, display, password, confirm, field, says) in cases {
        let response = browser
            .submit(
                "/signup",
                "/signup",
                &[("username", username), ("display_name", display), ("password", password), ("confirm", confirm)],
            )
            .await;
        assert_eq!(response.status(), 422, "{username}/{display}");
        let body = response.text().await.unwrap();
        let doc = html(&body);
        let error = texts(&doc, field);
        assert!(error.len() == 1 && error[0].contains(says), "{field} should say {says}: {error:?}");
        assert_eq!(attrs(&doc, "#username", "value"), [username]);
        assert_eq!(attrs(&doc, "#display_name", "value"), [display.trim()]);
        assert!(attrs(&doc, "#password", "value").is_empty(), "passwords are not sent back");
        assert!(texts(&doc, "[role=alert]").iter().any(|t| t.contains("correct the fields")));
    }
    let response = browser.signup("x".repeat(31).as_str(), PASSWORD).await;
    assert_eq!(response.status(), 422);
    assert_eq!(browser.logged_in_as().await, None);
}

/// The value of the session cookie in a Cookie header string.
fn session_value(cookies: &str) -> Option<String> {
    cookies.split("; ").find_map(|c| c.strip_prefix("newsdesk_session=")).map(str::to_string)
}

async fn the_session_id_changes_at_log_in(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    app.reader("fixated").await.logout().await;
    let browser = app.browser();
    browser.page("/login").await;
    let before = session_value(&browser.cookies()).expect("the log-in form starts a session");
    assert_eq!(browser.login("fixated", PASSWORD).await.status(), 303);
    let after = session_value(&browser.cookies()).expect("still a session");
    assert_ne!(before, after, "a new session id at log-in");
    // Whoever planted the pre-login id does not get the account.
    let attacker = Browser::with_cookies(&app.address, &format!("newsdesk_session={before}"));
    assert_eq!(attacker.logged_in_as().await, None);
    assert_eq!(browser.logged_in_as().await.as_deref(), Some("fixated"));
}

async fn log_out_revokes_the_session_on_the_server(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let browser = app.reader("revoked").await;
    let stolen = browser.cookies();
    let user_id = newsdesk::models::User::by_username(&mut app.conn(), "revoked").unwrap().unwrap().id;
    assert_eq!(SessionRow::count_for_user(&mut app.conn(), user_id).unwrap(), 1);
    browser.logout().await;
    assert_eq!(SessionRow::count_for_user(&mut app.conn(), user_id).unwrap(), 0, "the row is gone");
    let replay = Browser::with_cookies(&app.address, &stolen);
    assert_eq!(replay.logged_in_as().await, None, "an old cookie replayed is logged out");
}

async fn changing_the_password_ends_the_other_sessions(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let laptop = app.reader("two_devices").await;
    let phone = app.browser();
    phone.login("two_devices", PASSWORD).await;
    assert!(phone.logged_in_as().await.is_some());

    let new_password = "a brand new passphrase";
    let wrong = laptop
        .submit(
            "/account",
            "/account/password",
            &[("current", "not it at all"), ("password", new_password), ("confirm", new_password)],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(texts(&html(&wrong.text().await.unwrap()), "#current-error")[0].contains("not your current password"));
    assert!(phone.logged_in_as().await.is_some(), "nothing changed");

    let changed = laptop
        .submit(
            "/account",
            "/account/password",
            &[("current", PASSWORD), ("password", new_password), ("confirm", new_password)],
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert!(changed.text().await.unwrap().contains("logged out on every other device"));
    assert!(laptop.logged_in_as().await.is_some(), "the device that changed it stays in");
    assert_eq!(phone.logged_in_as().await, None, "the other device is out");
    let fresh = app.browser();
    assert_eq!(fresh.login("two_devices", PASSWORD).await.status(), 401, "old password refused");
    assert_eq!(fresh.login("two_devices", new_password).await.status(), 303);
}

async fn idle_and_too_old_sessions_end_and_are_swept(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let idle = app.reader("idle_reader").await;
    let old = app.reader("old_reader").await;
    let fresh = app.reader("fresh_reader").await;
    let ids = |name: &str| newsdesk::models::User::by_username(&mut app.conn(), name).unwrap().unwrap().id;
    let (idle_id, old_id) = (ids("idle_reader"), ids("old_reader"));
    // Age the rows as time would: one idle past its expiry, one past its lifetime.
    app.conn()
        .batch_execute(&format!(
            "UPDATE sessions SET expires_at = '2000-01-01 00:00:00' WHERE user_id = {idle_id};
             UPDATE sessions SET absolute_expires_at = '2000-01-01 00:00:00' WHERE user_id = {old_id};"
        ))
        .unwrap();
    assert_eq!(idle.logged_in_as().await, None);
    assert_eq!(old.logged_in_as().await, None);
    assert!(fresh.logged_in_as().await.is_some());
    let swept = SessionRow::delete_expired(&mut app.conn(), newsdesk::state::now()).unwrap();
    assert_eq!(swept, 2);
    assert!(fresh.logged_in_as().await.is_some());
}

/// Reading pages writes nothing and sends no cookie; once an hour the next
/// page pushes the session's idle expiry forward and sends the cookie again.
async fn page_views_write_nothing_until_the_hourly_renewal(backend: Backend) {
    use diesel::prelude::*;
    use newsdesk::db::schema::sessions;
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("quiet_reader").await;
    let id = User::by_username(&mut app.conn(), "quiet_reader").unwrap().unwrap().id;
    let row = || -> (String, chrono::NaiveDateTime) {
        sessions::table
            .filter(sessions::user_id.eq(id))
            .select((sessions::state, sessions::expires_at))
            .first(&mut *app.conn())
            .unwrap()
    };
    let before = row();
    for path in ["/", "/articles/sea-wall-repairs-row", "/account", "/sections/local"] {
        let response = reader.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().get("set-cookie").is_none(), "{path}: the cookie is not sent again");
    }
    assert_eq!(row(), before, "the session row was not written");

    // As if the last renewal were long ago and the session near its idle end.
    let mut state: std::collections::HashMap<String, String> = serde_json::from_str(&before.0).unwrap();
    assert!(state.contains_key("renewed"), "log-in marks the renewal: {state:?}");
    state.insert("renewed".into(), "0".into());
    let soon = newsdesk::state::now() + chrono::TimeDelta::hours(1);
    diesel::update(sessions::table.filter(sessions::user_id.eq(id)))
        .set((sessions::state.eq(serde_json::to_string(&state).unwrap()), sessions::expires_at.eq(soon)))
        .execute(&mut *app.conn())
        .unwrap();
    let response = reader.get("/").await;
    let cookie = response.headers().get("set-cookie").expect("renewed: the cookie again").to_str().unwrap();
    assert!(cookie.to_lowercase().contains("max-age="), "{cookie}");
    let (_, expires) = row();
    assert!(expires > newsdesk::state::now() + chrono::TimeDelta::days(13), "a new idle expiry: {expires}");
    assert!(reader.get("/").await.headers().get("set-cookie").is_none(), "then quiet again");
    assert_eq!(reader.logged_in_as().await.as_deref(), Some("quiet_reader"));
}

async fn log_in_returns_to_a_same_site_path_only(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    app.reader("traveller").await;
    for (next, expected) in [
        ("/articles/sea-wall-repairs-row#comments", "/articles/sea-wall-repairs-row#comments"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ] {
        let browser = app.browser();
        let response = browser
            .submit("/login", "/login", &[("username", "traveller"), ("password", PASSWORD), ("next", next)])
            .await;
        assert_eq!(location(&response), expected, "next={next}");
    }
}

async fn the_header_offers_log_in_that_comes_back(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let browser = app.browser();
    let (_, body) = browser.page("/sections/local").await;
    assert_eq!(attrs(&html(&body), ".account-bar a", "href"), ["/login?next=%2Fsections%2Flocal", "/signup"]);
    // Reading does not start a session: nothing is stored for anonymous readers.
    assert!(browser.cookies().is_empty(), "no cookie for reading: {}", browser.cookies());
}

async fn a_reader_deletes_their_account(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let story = "/articles/sea-wall-repairs-row";
    let leaving = app.reader("leaving_soon").await;
    let phone = app.browser();
    phone.login("leaving_soon", PASSWORD).await;
    let own = comment_id(&leaving.comment(story, "My own words about the sea wall").await);
    let neighbour = app.reader("stays_on").await;
    let reply = comment_id(&neighbour.reply(story, own, "A reply that outlives the account").await);

    let refused = leaving.submit("/account", "/account/delete", &[("password", "not my password")]).await;
    assert_eq!(refused.status(), 422);
    let page = html(&refused.text().await.unwrap());
    assert!(texts(&page, "#erase-error")[0].contains("not your password"));
    assert_eq!(attrs(&page, "#erase-password", "aria-describedby"), ["erase-error"]);
    assert!(phone.logged_in_as().await.is_some(), "a wrong password deletes nothing");

    let deleted = leaving.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(location(&deleted), "/account/deleted");
    let (status, goodbye) = leaving.page("/account/deleted").await;
    assert_eq!(status, 200);
    assert_eq!(texts(&html(&goodbye), "h1"), ["Your account has been deleted"]);
    assert_eq!(leaving.logged_in_as().await, None);
    assert_eq!(phone.logged_in_as().await, None, "every device is logged out");
    assert_eq!(SessionRow::count_for_user(&mut app.conn(), user_id(&app, "leaving_soon")).unwrap(), 0);

    let (_, thread) = app.browser().page(story).await;
    let thread = html(&thread);
    assert_eq!(texts(&thread, &format!("#comment-{own} .tombstone")), ["Comment deleted"]);
    assert!(!texts(&thread, ".comment-text").concat().contains("My own words"));
    assert!(texts(&thread, &format!("#comment-{reply} .comment-text"))[0].contains("outlives the account"));

    let again = app.browser().login("leaving_soon", PASSWORD).await;
    assert_eq!(again.status(), 401, "the account cannot log in");
    assert!(again.text().await.unwrap().contains("do not match an account"), "the same answer as an unknown name");
    let impostor = app.browser().signup("Leaving_Soon", PASSWORD).await;
    assert_eq!(impostor.status(), 422, "the name stays reserved");
    let user = User::by_username(&mut app.conn(), "leaving_soon").unwrap().unwrap();
    assert_eq!((user.display_name.as_str(), user.password_hash.as_str()), ("Deleted account", ""));
}

async fn the_last_admin_cannot_delete_their_account(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = app.reader("only_admin").await;
    User::set_role(&mut app.conn(), user_id(&app, "only_admin"), Role::Admin).unwrap();
    let refused = admin.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(refused.status(), 422);
    assert!(texts(&html(&refused.text().await.unwrap()), "#erase-error")[0].contains("last admin"));
    assert_eq!(admin.logged_in_as().await.as_deref(), Some("only_admin"));
}

async fn a_reader_downloads_their_data(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let story = "/articles/sea-wall-repairs-row";
    let reader = app.reader("keeps_records").await;
    let first = comment_id(&reader.comment(story, "First <b>thoughts</b> on the wall").await);
    let second = comment_id(&reader.comment(story, "Second thoughts").await);
    let delete = format!("/comments/{second}/delete");
    assert_eq!(reader.submit(&delete, &delete, &[]).await.status(), 303);
    app.reader("someone_else").await.comment(story, "Not theirs to take").await;

    let (_, account) = reader.page("/account").await;
    assert_eq!(attrs(&html(&account), "a[download]", "href"), ["/account/export"]);
    let response = reader.get("/account/export").await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("content-disposition"), "attachment; filename=\"newsdesk-keeps_records.json\"");
    assert_eq!(header("cache-control"), "private, no-store");
    let body = response.text().await.unwrap();
    assert!(!body.contains("Not theirs"), "only their own comments");
    let data: serde_json::Value = serde_json::from_str(&body).expect("the file is JSON");
    assert_eq!(data["account"]["username"], "keeps_records");
    let comments = data["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["text"], "First <b>thoughts</b> on the wall", "their words as written");
    assert_eq!(comments[0]["url"], format!("{}/comments/{first}", app.address));
    assert_eq!(
        comments[0]["article"]["headline"],
        "Opposition demands sea wall repairs be brought forward after inspection report"
    );
    assert!(comments[0]["deleted_at"].is_null());
    assert!(comments[1]["deleted_at"].is_string(), "a deleted comment says so");
    assert_eq!(comments[1]["text"], "");

    let visitor = app.browser().get("/account/export").await;
    assert_eq!(visitor.status(), 303);
    assert!(location(&visitor).starts_with("/login?next="));
}

fn user_id(app: &TestApp, username: &str) -> i32 {
    User::by_username(&mut app.conn(), username).unwrap().unwrap().id
}

on_both_backends!(
    a_reader_downloads_their_data,
    a_reader_deletes_their_account,
    the_last_admin_cannot_delete_their_account,
    sign_up_log_out_and_log_in_again,
    wrong_password_and_unknown_user_get_the_same_answer,
    sign_up_explains_every_problem_and_keeps_what_was_typed,
    the_session_id_changes_at_log_in,
    log_out_revokes_the_session_on_the_server,
    changing_the_password_ends_the_other_sessions,
    idle_and_too_old_sessions_end_and_are_swept,
    page_views_write_nothing_until_the_hourly_renewal,
    log_in_returns_to_a_same_site_path_only,
    the_header_offers_log_in_that_comes_back,
);
