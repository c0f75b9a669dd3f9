//! Moderation on both databases: who may enter /admin, reports and the
//! queues, removals and restores, bans, word lists and holds, closing
//! discussions, the logs, and the `newsdesk user` command.

mod common;

use common::{Backend, Browser, PASSWORD, TestApp, attrs, comment_id, html, location, texts};
use diesel::connection::SimpleConnection;
use newsdesk::models::{Comment, Role, User};
use newsdesk::state::now;

const STORY: &str = "/articles/sea-wall-repairs-row";

/// A logged-in moderator or admin.
async fn staff(app: &TestApp, name: &str, role: Role) -> Browser {
    app.staff(name, role).await
}

fn status_of(app: &TestApp, id: i32) -> String {
    Comment::by_id(&mut app.conn(), id).unwrap().unwrap().status.to_string()
}

/// Every admin route, read from the source with its scope's prefix, its
/// parameters filled in to act on `comment` and `username`.
fn admin_routes(comment: i32, username: &str) -> Vec<(&'static str, String, String)> {
    common::routes()
        .into_iter()
        .filter(|(_, route)| route.starts_with("/admin"))
        .map(|(method, route)| {
            let filled = route
                .replace("{name}", "reported")
                .replace("{id}", &comment.to_string())
                .replace("{action}", "remove")
                .replace("{username}", username)
                .replace("{slug}", "sea-wall-repairs-row");
            assert!(!filled.contains('{'), "{route}: a parameter the test does not fill");
            (method, route, filled)
        })
        .collect()
}

/// The admin routes only admins may use: their handlers ask `require_admin`.
fn admin_only(method: &str, route: &str) -> bool {
    let relative = route.trim_start_matches("/admin");
    let marker = format!("#[{}(\"{relative}\")]", method.to_lowercase());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/admin");
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        source.split_once(&marker).is_some_and(|(_, handler)| {
            let body = handler.split("\n#[").next().unwrap_or_default();
            body.contains("require_admin()")
        })
    })
}

/// Fields that would change something on every admin form.
fn harmful_fields<'a>(token: &'a str, comment: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("csrf_token", token),
        ("reason", "Spam"),
        ("length", "permanent"),
        ("role", "admin"),
        ("action", "remove"),
        ("ids", comment),
        ("banned_words", "harbour"),
        ("max_links", "0"),
        ("auto_close_days", "1"),
    ]
}

async fn every_admin_route_is_closed_to_visitors_and_readers(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("plain_reader").await;
    let id = comment_id(&reader.comment(STORY, "A comment to act on").await);
    let id_text = id.to_string();
    let routes = admin_routes(id, "plain_reader");
    assert!(routes.len() >= 15, "found {} admin routes", routes.len());
    assert!(routes.iter().any(|(m, _, p)| *m == "GET" && p == "/admin"));
    // Admin-only: what the handlers say, and at least what the site has
    // always kept for admins (so dropping the check cannot hide the route).
    let mut only_admins: Vec<&str> =
        routes.iter().filter(|(m, r, _)| *m == "POST" && admin_only(m, r)).map(|(_, r, _)| r.as_str()).collect();
    only_admins.extend(["/admin/settings", "/admin/users/{username}/role"]);
    let moderator = staff(&app, "mod_one", Role::Moderator).await;
    let admin = staff(&app, "admin_one", Role::Admin).await;
    let visitor = app.browser();
    let visitor_token = visitor.csrf("/login").await;
    let reader_token = reader.csrf("/account").await;
    let moderator_token = moderator.csrf("/account").await;
    let admin_token = admin.csrf("/account").await;
    for (method, route, path) in &routes {
        let send = |who: &Browser, token: &str| {
            let request = if *method == "GET" {
                who.client.get(who.url(path))
            } else {
                who.client.post(who.url(path)).form(&harmful_fields(token, &id_text))
            };
            request.send()
        };
        let before = app.snapshot();
        let answer = send(&visitor, &visitor_token).await.unwrap();
        assert_eq!(answer.status(), 303, "visitor {method} {path}");
        assert!(
            location(&answer).starts_with("/login?next=%2Fadmin"),
            "visitor {method} {path} → {}",
            location(&answer)
        );
        assert_eq!(send(&reader, &reader_token).await.unwrap().status(), 403, "reader {method} {path}");
        let changed = common::differences(&before, &app.snapshot());
        assert!(changed.is_empty(), "a visitor's or reader's {method} {path} changed {changed:#?}");
        if *method == "GET" {
            let expected = if path.ends_with("/settings") { 403 } else { 200 };
            assert_eq!(send(&moderator, &moderator_token).await.unwrap().status(), expected, "moderator GET {path}");
            assert_eq!(send(&admin, &admin_token).await.unwrap().status(), 200, "admin GET {path}");
        } else if only_admins.contains(&route.as_str()) {
            let before = app.snapshot();
            assert_eq!(send(&moderator, &moderator_token).await.unwrap().status(), 403, "moderator POST {path}");
            let changed = common::differences(&before, &app.snapshot());
            assert!(changed.is_empty(), "a moderator's POST {path} changed {changed:#?}");
        }
    }
    assert_eq!(status_of(&app, id), "published");
    let account = User::by_username(&mut app.conn(), "plain_reader").unwrap().unwrap();
    assert!(!account.is_banned(now()) && account.role() == Role::Reader);
    // What a moderator may do, they can: this removal goes through.
    let token = moderator_token;
    let response =
        moderator.post(&format!("/admin/comments/{id}/remove"), &[("csrf_token", &token), ("reason", "Spam")]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(status_of(&app, id), "removed");
}

async fn a_report_goes_through_the_queue_to_a_public_tombstone_and_the_logs(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let troll = app.reader("troll").await;
    let id = comment_id(&troll.comment(STORY, "Everyone here is an idiot, and here is my secret phrase").await);
    let reporter = app.reader("reporter").await;
    let report_page = format!("/comments/{id}/report");
    let response = reporter.submit(&report_page, &report_page, &[("reason", "abuse"), ("note", "Name-calling")]).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("A moderator will look at this comment"));
    let again = reporter.submit(&report_page, &report_page, &[("reason", "spam")]).await;
    assert!(again.text().await.unwrap().contains("already reported"));
    assert_eq!(troll.get(&format!("/comments/{id}/report")).await.status(), 404, "nobody reports themselves");
    let no_reason = reporter.submit(&report_page, &report_page, &[("note", "x")]).await;
    assert_eq!(no_reason.status(), 422);

    let moderator = staff(&app, "moderator", Role::Moderator).await;
    let (_, dashboard) = moderator.page("/admin").await;
    assert!(texts(&html(&dashboard), ".stat-card").iter().any(|c| c == "1 reported comments"));
    let (status, queue) = moderator.page("/admin/queue/reported").await;
    assert_eq!(status, 200);
    let doc = html(&queue);
    assert_eq!(attrs(&doc, "input[name=ids]", "value"), [id.to_string()]);
    assert_eq!(texts(&doc, ".reason-list li"), ["Abuse or harassment ×1"]);
    assert!(queue.contains("Name-calling"));
    let token = common::csrf_in(&queue).unwrap();
    let removed = moderator
        .post(
            &format!("/admin/comments/{id}/remove"),
            &[("csrf_token", &token), ("reason", "Abuse or harassment"), ("return_to", "/admin/queue/reported")],
        )
        .await;
    assert_eq!(location(&removed), "/admin/queue/reported");
    let (_, queue) = moderator.page("/admin/queue/reported").await;
    assert!(queue.contains("1 comment removed.") && queue.contains("Nothing here"));

    // The public thread keeps a tombstone; the words are gone from it.
    let (_, page) = app.browser().page(STORY).await;
    assert_eq!(texts(&html(&page), &format!("#comment-{id}")), ["Removed by a moderator"]);
    assert!(!page.contains("secret phrase"));
    // The log records who did what and why.
    let (_, log) = moderator.page("/admin/log").await;
    let row = texts(&html(&log), ".log-entry")[0].clone();
    assert!(row.contains("@moderator") && row.contains("Removed a comment") && row.contains("@troll"), "{row}");
    assert!(row.contains("Abuse or harassment"));
    // The public page lists it, without the text and without names.
    let (status, public) = app.browser().page("/moderation").await;
    assert_eq!(status, 200);
    let entry = texts(&html(&public), ".log-entry")[0].clone();
    assert!(entry.contains("A comment was removed from") && entry.contains("Abuse or harassment"), "{entry}");
    assert!(!public.contains("secret phrase") && !public.contains("troll") && !public.contains("moderator<"));
    // The removed queue still shows moderators the text, to restore it if wrong.
    let (_, removed) = moderator.page("/admin/queue/removed").await;
    assert!(removed.contains("secret phrase"));
}

async fn bulk_actions_remove_restore_approve_and_dismiss(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let writer = app.reader("writer").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(comment_id(&writer.comment(STORY, &format!("Comment number {n}")).await));
    }
    let moderator = staff(&app, "bulk_mod", Role::Moderator).await;
    let token = moderator.csrf("/admin/queue/recent").await;
    let id_text: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("action", "remove"),
        ("reason", "Spam"),
        ("return_to", "/admin/queue/recent"),
    ];
    fields.extend(id_text.iter().map(|id| ("ids", id.as_str())));
    let response = moderator.post("/admin/comments", &fields).await;
    assert_eq!(location(&response), "/admin/queue/recent");
    assert!(ids.iter().all(|id| status_of(&app, *id) == "removed"));
    let (_, page) = moderator.page("/admin/queue/removed").await;
    assert!(page.contains("3 comments removed."));
    assert_eq!(attrs(&html(&page), "input[name=ids]", "value").len(), 3);

    let restore = vec![
        ("csrf_token", token.as_str()),
        ("action", "restore"),
        ("ids", id_text[0].as_str()),
        ("ids", id_text[1].as_str()),
    ];
    moderator.post("/admin/comments", &restore).await;
    assert_eq!(
        [status_of(&app, ids[0]), status_of(&app, ids[1]), status_of(&app, ids[2])],
        ["published", "published", "removed"]
    );

    // Held comments are approved; reports are dismissed without removing.
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'held' WHERE id = {}", ids[0])).unwrap();
    let reporter = app.reader("noticer").await;
    let report = format!("/comments/{}/report", ids[1]);
    reporter.submit(&report, &report, &[("reason", "spam")]).await;
    let both = vec![("csrf_token", token.as_str()), ("action", "approve"), ("ids", id_text[0].as_str())];
    moderator.post("/admin/comments", &both).await;
    assert_eq!(status_of(&app, ids[0]), "published");
    let dismiss = vec![("csrf_token", token.as_str()), ("action", "dismiss"), ("ids", id_text[1].as_str())];
    moderator.post("/admin/comments", &dismiss).await;
    assert_eq!(status_of(&app, ids[1]), "published");
    let (_, reported) = moderator.page("/admin/queue/reported").await;
    assert!(reported.contains("Nothing here"));
    // Nothing selected: nothing happens, and the moderator is told.
    let none = moderator.post("/admin/comments", &[("csrf_token", &token), ("action", "remove")]).await;
    assert_eq!(none.status(), 303);
    assert!(moderator.page("/admin/queue/reported").await.1.contains("No comments were selected"));
    // Filters narrow a queue by author and by words.
    let (_, filtered) = moderator.page("/admin/queue/recent?user=writer&q=NUMBER%202").await;
    assert_eq!(attrs(&html(&filtered), "input[name=ids]", "value"), [id_text[2].clone()]);
    let (_, filtered) = moderator.page("/admin/queue/recent?article=lantern-theatre-winter-season").await;
    assert!(filtered.contains("Nothing here"));
}

async fn a_ban_ends_the_live_session_at_once(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let troll = app.reader("banned_troll").await;
    let token_before = troll.csrf(STORY).await;
    let moderator = staff(&app, "ban_mod", Role::Moderator).await;
    let page = "/admin/users/banned_troll";
    let missing = moderator.submit(page, &format!("{page}/ban"), &[("length", "7")]).await;
    assert_eq!(missing.status(), 422, "a ban needs a reason");
    let response =
        moderator.submit(page, &format!("{page}/ban"), &[("reason", "Repeated abuse"), ("length", "7")]).await;
    assert_eq!(location(&response), page);
    // The troll's very next request is logged out, and posting is refused.
    assert_eq!(troll.logged_in_as().await, None);
    let post =
        troll.post(&format!("{STORY}/comments"), &[("csrf_token", &token_before), ("body", "Still here?")]).await;
    assert_eq!(post.status(), 403);
    assert!(!app.browser().page(STORY).await.1.contains("Still here?"));
    let login = troll.login("banned_troll", PASSWORD).await;
    assert_eq!(login.status(), 403);
    assert!(login.text().await.unwrap().contains("suspended until"));
    let (_, profile) = moderator.page(page).await;
    assert!(profile.contains("Repeated abuse") && profile.contains("Unban"));
    let (_, dashboard) = moderator.page("/admin").await;
    assert!(texts(&html(&dashboard), ".stat-card").contains(&"1 active bans".to_string()));
    let (_, public) = app.browser().page("/moderation").await;
    assert!(public.contains("An account was suspended (7 days)") && public.contains("Repeated abuse"));
    assert!(!public.contains("banned_troll"));

    // When the ban runs out, they can come back.
    app.conn()
        .batch_execute("UPDATE users SET banned_until = '2000-01-01 00:00:00' WHERE username = 'banned_troll'")
        .unwrap();
    assert_eq!(troll.login("banned_troll", PASSWORD).await.status(), 303);
    // An unban lifts a permanent ban at once.
    moderator.submit(page, &format!("{page}/ban"), &[("reason", "Again"), ("length", "permanent")]).await;
    assert_eq!(troll.logged_in_as().await, None);
    moderator.submit(page, &format!("{page}/unban"), &[]).await;
    assert_eq!(troll.login("banned_troll", PASSWORD).await.status(), 303);
}

async fn moderators_cannot_touch_admins_and_the_last_admin_stays(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = staff(&app, "chief", Role::Admin).await;
    let moderator = staff(&app, "deputy", Role::Moderator).await;
    app.reader("someone").await;
    let ban =
        moderator.submit("/admin/users/chief", "/admin/users/chief/ban", &[("reason", "coup"), ("length", "1")]).await;
    assert_eq!(ban.status(), 403);
    let role = moderator.submit("/admin/users/someone", "/admin/users/someone/role", &[("role", "admin")]).await;
    assert_eq!(role.status(), 403, "only admins change roles");
    // The last admin can neither be demoted nor banned, even by an admin.
    let demote = admin.submit("/admin/users/chief", "/admin/users/chief/role", &[("role", "reader")]).await;
    assert_eq!(demote.status(), 409);
    assert!(demote.text().await.unwrap().contains("last admin"));
    let promote = admin.submit("/admin/users/someone", "/admin/users/someone/role", &[("role", "admin")]).await;
    assert_eq!(promote.status(), 303);
    assert_eq!(User::by_username(&mut app.conn(), "someone").unwrap().unwrap().role(), Role::Admin);
    // With a second admin, the first may step down.
    let demote = admin.submit("/admin/users/chief", "/admin/users/chief/role", &[("role", "moderator")]).await;
    assert_eq!(demote.status(), 303);
    assert!(admin.page("/admin/log").await.1.contains("admin → moderator"));
    // Nobody bans themselves out of the site.
    let own = app.browser();
    own.login("someone", PASSWORD).await;
    let self_ban =
        own.submit("/admin/users/someone", "/admin/users/someone/ban", &[("reason", "x"), ("length", "1")]).await;
    assert_eq!(self_ban.status(), 403);
}

/// Saves the site settings as an admin would.
async fn save_settings(admin: &Browser, fields: &[(&str, &str)]) {
    let response = admin.submit("/admin/settings", "/admin/settings", fields).await;
    assert_eq!(response.status(), 303, "settings saved");
}

async fn word_lists_and_link_counts_refuse_or_hold_comments(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = staff(&app, "settings_admin", Role::Admin).await;
    save_settings(
        &admin,
        &[
            ("banned_words", "Scoundrel\nfree money"),
            ("suspect_words", "lawyer"),
            ("max_links", "2"),
            ("auto_close_days", "0"),
        ],
    )
    .await;
    let (_, settings) = admin.page("/admin/settings").await;
    assert!(settings.contains("Settings saved.") && settings.contains("free money"));
    let writer = app.reader("word_writer").await;
    let refused = writer.comment(STORY, "The mayor is a SCOUNDREL.").await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(texts(&html(&body), "#comment-error")[0].contains("“scoundrel”"));
    assert_eq!(texts(&html(&body), "#comment-body"), ["The mayor is a SCOUNDREL."]);
    assert_eq!(writer.comment(STORY, "Get FREE money here").await.status(), 422);

    // Suspect words and too many links are held: only the writer sees them.
    let held = comment_id(&writer.comment(STORY, "Ask a lawyer about the wall.").await);
    let links = comment_id(
        &writer.comment(STORY, "See https://a.example/1 and https://b.example/2 and https://c.example/3").await,
    );
    assert_eq!(status_of(&app, held), "held");
    assert_eq!(status_of(&app, links), "held");
    let (_, own_view) = writer.page(STORY).await;
    assert_eq!(texts(&html(&own_view), &format!("#comment-{held} .held-badge")), ["Awaiting review"]);
    let (_, public_view) = app.browser().page(STORY).await;
    assert!(!public_view.contains("Ask a lawyer"));
    assert_eq!(app.browser().get(&format!("/comments/{held}")).await.status(), 404);
    let moderator = staff(&app, "held_mod", Role::Moderator).await;
    let (_, queue) = moderator.page("/admin/queue/held").await;
    assert!(queue.contains("contains “lawyer”") && queue.contains("3 links"));
    let token = common::csrf_in(&queue).unwrap();
    moderator.post(&format!("/admin/comments/{held}/approve"), &[("csrf_token", &token)]).await;
    assert!(app.browser().page(STORY).await.1.contains("Ask a lawyer"));

    // New accounts' first comments can be held too.
    save_settings(&admin, &[("hold_first_comment", "on"), ("max_links", "2"), ("auto_close_days", "0")]).await;
    let newcomer = app.reader("newcomer").await;
    let first = comment_id(&newcomer.comment(STORY, "Hello, first time here").await);
    assert_eq!(status_of(&app, first), "held");
    assert_eq!(status_of(&app, comment_id(&writer.comment(STORY, "Known writer").await)), "published");
    // Bad numbers are refused with the page kept.
    let bad =
        admin.submit("/admin/settings", "/admin/settings", &[("max_links", "-4"), ("banned_words", "keepme")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("keepme"));
}

async fn discussions_close_by_hand_and_by_age(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let moderator = staff(&app, "closer", Role::Moderator).await;
    let reader = app.reader("latecomer").await;
    let response = moderator.submit("/admin/articles", "/admin/articles/sea-wall-repairs-row/close", &[]).await;
    assert_eq!(location(&response), "/admin/articles");
    let (_, page) = reader.page(STORY).await;
    assert!(page.contains("Comments are closed on this article."));
    let refused = reader.submit("/account", &format!("{STORY}/comments"), &[("body", "Too late")]).await;
    assert_eq!(refused.status(), 403);
    moderator.submit("/admin/articles", "/admin/articles/sea-wall-repairs-row/reopen", &[]).await;
    assert_eq!(reader.comment(STORY, "Open again").await.status(), 303);
    let (_, log) = moderator.page("/admin/log").await;
    assert!(log.contains("Closed comments") && log.contains("Reopened comments"));

    // Closing by age: the demo's oldest stories are days old.
    let admin = staff(&app, "age_admin", Role::Admin).await;
    save_settings(&admin, &[("auto_close_days", "2"), ("max_links", "2")]).await;
    let (_, old) = reader.page("/articles/sensor-buoys-for-earlier-surge-warnings").await;
    assert!(old.contains("Comments are closed on this article."));
    let (_, fresh) = reader.page("/articles/storm-surge-breaches-callowhaven-harbour-wall").await;
    assert!(!fresh.contains("Comments are closed"));
}

async fn staff_comments_carry_a_badge(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let moderator = staff(&app, "badge_mod", Role::Moderator).await;
    let id = comment_id(&moderator.comment(STORY, "Please keep it civil.").await);
    let (_, page) = app.browser().page(STORY).await;
    assert_eq!(texts(&html(&page), &format!("#comment-{id} .staff-badge")), ["Moderator"]);
    let reader_id = comment_id(&app.reader("no_badge").await.comment(STORY, "Sure.").await);
    let (_, page) = app.browser().page(STORY).await;
    assert!(texts(&html(&page), &format!("#comment-{reader_id} .staff-badge")).is_empty());
    assert_eq!(
        attrs(&html(&page), ".account-bar a", "href"),
        ["/login?next=%2Farticles%2Fsea-wall-repairs-row", "/signup"]
    );
    let (_, own) = moderator.page("/").await;
    assert!(attrs(&html(&own), ".account-bar a", "href").contains(&"/admin".to_string()));
}

/// Runs `newsdesk user …` against the test database, with `input` on stdin.
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

async fn the_user_command_creates_staff_and_changes_roles(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (ok, out, err) = cli(&app, &["user", "create", "night_editor", "--role", "admin"], &format!("{PASSWORD}\n"));
    assert!(ok, "{out} {err}");
    assert!(out.contains("created admin @night_editor"));
    let browser = app.browser();
    assert_eq!(browser.login("night_editor", PASSWORD).await.status(), 303);
    assert_eq!(browser.get("/admin/settings").await.status(), 200);

    let (ok, _, err) = cli(&app, &["user", "create", "weak_one", "--role", "moderator"], "password1\n");
    assert!(!ok && err.contains("most common"), "{err}");
    let (ok, _, err) = cli(&app, &["user", "create", "x", "--role", "moderator"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("3 to 30"), "{err}");
    let (ok, _, err) = cli(&app, &["user", "create", "someone_new", "--role", "boss"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = cli(&app, &["user", "create", "NIGHT_editor"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("taken"), "{err}");

    let (ok, _, err) = cli(&app, &["user", "set-role", "night_editor", "reader"], "");
    assert!(!ok && err.contains("last admin"), "{err}");
    let (ok, out, err) = cli(&app, &["user", "create", "helper", "--role", "reader"], &format!("{PASSWORD}\n"));
    assert!(ok && out.contains("created reader @helper"), "{out} {err}");
    let (ok, out, err) = cli(&app, &["user", "set-role", "helper", "moderator"], "");
    assert!(ok && out.contains("@helper is now moderator"), "{out} {err}");
    let (ok, _, err) = cli(&app, &["user", "set-role", "ghost", "moderator"], "");
    assert!(!ok && err.contains("no user"), "{err}");
    assert!(!err.contains("panicked"));
}

/// A reader who forgot their password asks the newsroom; an operator sets a
/// new one, which also ends every session the old one opened.
async fn the_user_command_resets_a_forgotten_password(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("forgetful").await;
    assert_eq!(reader.logged_in_as().await.as_deref(), Some("forgetful"));

    let fresh = "a brand-new passphrase";
    let (ok, out, err) = cli(&app, &["user", "set-password", "forgetful"], &format!("{fresh}\n"));
    assert!(ok && out.contains("new password set for @forgetful; 1 session(s) ended"), "{out} {err}");
    assert_eq!(reader.logged_in_as().await, None, "the old session is over");
    assert_eq!(app.browser().login("forgetful", PASSWORD).await.status(), 401);
    assert_eq!(app.browser().login("forgetful", fresh).await.status(), 303);

    let (ok, _, err) = cli(&app, &["user", "set-password", "forgetful"], "forgetful\n");
    assert!(!ok && err.contains("must not be your username"), "{err}");
    let (ok, _, err) = cli(&app, &["user", "set-password", "nobody_at_all"], &format!("{fresh}\n"));
    assert!(!ok && err.contains("no user \"nobody_at_all\""), "{err}");
    assert_eq!(app.browser().login("forgetful", fresh).await.status(), 303, "a refused reset changes nothing");
}

/// Staff see a deleted account for what it is, and nothing revives it.
async fn a_deleted_account_stays_deleted(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let admin = staff(&app, "chief_editor", Role::Admin).await;
    let gone = app.reader("gone_reader").await;
    assert_eq!(gone.submit("/account", "/account/delete", &[("password", PASSWORD)]).await.status(), 303);

    let (_, page) = admin.page("/admin/users/gone_reader").await;
    let page = html(&page);
    assert_eq!(texts(&page, ".account-details .status-pill"), ["Deleted"]);
    let actions = attrs(&page, "form", "action");
    assert!(!actions.iter().any(|a| a.contains("/ban") || a.contains("/role")), "{actions:?}");
    let (_, list) = admin.page("/admin/users?q=gone").await;
    assert_eq!(texts(&html(&list), "tbody .status-pill"), ["Deleted"]);

    let promoted =
        admin.submit("/admin/users/chief_editor", "/admin/users/gone_reader/role", &[("role", "admin")]).await;
    assert_eq!(promoted.status(), 409);
    let (ok, _, err) = cli(&app, &["user", "set-role", "gone_reader", "moderator"], "");
    assert!(!ok && err.contains("@gone_reader deleted their account"), "{err}");
    let (ok, _, err) = cli(&app, &["user", "set-password", "gone_reader"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("@gone_reader deleted their account"), "{err}");
    assert_eq!(app.browser().login("gone_reader", PASSWORD).await.status(), 401);
}

/// Editors' picks: a moderator features a comment, the article shows it
/// above the discussion, and it stops being featured when it is taken back,
/// removed or deleted.
async fn editors_feature_comments_above_the_discussion(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let moderator = staff(&app, "picks_editor", Role::Moderator).await;
    let reader = app.reader("insightful").await;
    let pick = comment_id(&reader.comment(STORY, "A thoughtful point about the spring tides.").await);
    let other = comment_id(&reader.comment(STORY, "A second, ordinary comment.").await);
    let featured = |page: &str| texts(&html(page), ".featured-comments blockquote");
    assert!(featured(&app.browser().page(STORY).await.1).is_empty(), "no box until there is a pick");

    let token = moderator.csrf("/admin/queue/recent").await;
    let act = |id: i32, action: &str| format!("/admin/comments/{id}/{action}");
    let response = moderator.post(&act(pick, "feature"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), 303);
    let (_, page) = app.browser().page(STORY).await;
    assert_eq!(featured(&page), ["A thoughtful point about the spring tides."]);
    let doc = html(&page);
    let links = attrs(&doc, ".featured-comments a", "href");
    assert_eq!(links, ["/readers/insightful".to_string(), format!("/comments/{pick}")], "its author, then its place");
    assert_eq!(texts(&doc, &format!("#comment-{pick} .featured-badge")), ["Featured"]);
    assert!(texts(&doc, &format!("#comment-{other} .featured-badge")).is_empty());

    let (_, queue) = moderator.page("/admin/queue/recent").await;
    assert!(queue.contains("1 comment featured above the discussion."));
    let buttons = attrs(&html(&queue), "button[formaction]", "formaction");
    assert!(buttons.contains(&act(pick, "unfeature")) && buttons.contains(&act(other, "feature")), "{buttons:?}");
    let (_, log) = moderator.page("/admin/log").await;
    assert!(log.contains("Featured a comment"));
    let (_, public) = app.browser().page("/moderation").await;
    assert!(!public.contains("Featured"), "the public record lists removals and bans only");

    // Taken back in bulk; a removal also ends a pick, and restoring does not bring it back.
    let other_text = other.to_string();
    let bulk = [("csrf_token", token.as_str()), ("action", "feature"), ("ids", other_text.as_str())];
    moderator.post("/admin/comments", &bulk).await;
    assert_eq!(featured(&app.browser().page(STORY).await.1).len(), 2);
    let bulk = [("csrf_token", token.as_str()), ("action", "unfeature"), ("ids", other_text.as_str())];
    moderator.post("/admin/comments", &bulk).await;
    assert_eq!(featured(&app.browser().page(STORY).await.1), ["A thoughtful point about the spring tides."]);
    moderator.post(&act(pick, "remove"), &[("csrf_token", &token), ("reason", "Spam")]).await;
    assert!(featured(&app.browser().page(STORY).await.1).is_empty());
    moderator.post(&act(pick, "restore"), &[("csrf_token", &token)]).await;
    assert!(featured(&app.browser().page(STORY).await.1).is_empty());

    // A pick its author deletes leaves the box too.
    moderator.post(&act(other, "feature"), &[("csrf_token", &token)]).await;
    assert_eq!(featured(&app.browser().page(STORY).await.1).len(), 1);
    let delete = format!("/comments/{other}/delete");
    assert_eq!(reader.submit(&delete, &delete, &[]).await.status(), 303);
    assert!(featured(&app.browser().page(STORY).await.1).is_empty());
}

on_both_backends!(
    editors_feature_comments_above_the_discussion,
    a_deleted_account_stays_deleted,
    the_user_command_resets_a_forgotten_password,
    every_admin_route_is_closed_to_visitors_and_readers,
    a_report_goes_through_the_queue_to_a_public_tombstone_and_the_logs,
    bulk_actions_remove_restore_approve_and_dismiss,
    a_ban_ends_the_live_session_at_once,
    moderators_cannot_touch_admins_and_the_last_admin_stays,
    word_lists_and_link_counts_refuse_or_hold_comments,
    discussions_close_by_hand_and_by_age,
    staff_comments_carry_a_badge,
    the_user_command_creates_staff_and_changes_roles,
);
