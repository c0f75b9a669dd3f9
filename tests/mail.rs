//! E-mail against a real SMTP server (aiosmtpd, started per test): the
//! confirmation of an address, password reset, notifications and one-click
//! unsubscribe, the .eml fallback, and a message retried until the server
//! is up — on both databases.

mod common;
mod mail_support;

use std::time::{Duration, Instant};

use common::{Backend, Browser, PASSWORD, TestApp, html, location, texts};
use diesel::prelude::*;
use mail_support::{Mail, SmtpServer};
use newsdesk::db::schema::{email_tokens, mail_queue, users};
use newsdesk::state::now;

const STORY: &str = "/articles/sea-wall-repairs-row";

/// The app with demo content, sending mail to `smtp`.
async fn app_mailing_to(backend: Backend, smtp: &str) -> Option<TestApp> {
    let smtp = smtp.to_string();
    TestApp::with_demo_configured(backend, move |config| {
        common::unlimited(config);
        config.mail.smtp_url = Some(smtp);
        config.mail.first_retry = Duration::from_millis(200);
        config.mail.poll = Duration::from_millis(500);
    })
    .await
}

/// The path and query of an absolute link on the app.
fn path_of(app: &TestApp, link: &str) -> String {
    link.strip_prefix(&app.address).unwrap_or_else(|| panic!("{link} is not on {}", app.address)).to_string()
}

async fn sign_up_with_address(browser: &Browser, username: &str, address: &str) -> reqwest::Response {
    browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", username),
                ("display_name", username),
                ("email", address),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await
}

fn user_row(app: &TestApp, username: &str) -> newsdesk::models::User {
    newsdesk::models::User::by_username(&mut app.conn(), username).unwrap().expect("the account exists")
}

/// Waits until every queued message is marked sent: just after the SMTP
/// server took it, so a test that saw it arrive may be a moment early.
async fn wait_until_sent(app: &TestApp) {
    let deadline = Instant::now() + mail_support::PATIENCE;
    loop {
        let waiting: i64 =
            mail_queue::table.filter(mail_queue::sent_at.is_null()).count().get_result(&mut *app.conn()).unwrap();
        if waiting == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{waiting} message(s) not marked sent");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Follows a confirmation mail's link as a person would: the page, then its button.
async fn confirm_from(app: &TestApp, browser: &Browser, mail: &Mail) -> (u16, String) {
    let link = mail.link(&format!("{}/email/confirm?token=", app.address)).expect("a confirmation link");
    let path = path_of(app, &link);
    let (status, body) = browser.page(&path).await;
    assert_eq!(status, 200, "{body}");
    let token = common::attrs(&html(&body), "form[action='/email/confirm'] input[name=token]", "value");
    let csrf = common::csrf_in(&body).expect("the page's form has a token");
    let response = browser.post("/email/confirm", &[("csrf_token", csrf.as_str()), ("token", token[0].as_str())]).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A reader with a confirmed address (through the mail), logged in.
async fn confirmed_reader(app: &TestApp, smtp: &SmtpServer, username: &str, address: &str) -> Browser {
    let before = smtp.messages().len();
    let browser = app.browser();
    assert_eq!(sign_up_with_address(&browser, username, address).await.status(), 303);
    let mail = smtp.wait_for(before + 1).await.pop().unwrap();
    assert_eq!(mail.recipient(), address);
    let (status, body) = confirm_from(app, &browser, &mail).await;
    assert_eq!(status, 200, "{body}");
    browser
}

async fn a_confirmation_link_opens_a_page_and_only_its_button_confirms(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    let browser = app.browser();
    let response = sign_up_with_address(&browser, "ines", "Ines.Okafor@Example.org").await;
    assert_eq!(response.status(), 303, "the account is made at once");
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.recipient(), "Ines.Okafor@Example.org");
    for header in ["Message-ID", "Date", "From", "To", "Subject"] {
        assert!(mail.header(header).is_some_and(|v| !v.is_empty()), "{header} in {:?}", mail.headers);
    }
    assert!(mail.header("Content-Type").unwrap().contains("charset=utf-8"), "{:?}", mail.header("Content-Type"));
    assert!(mail.header("List-Unsubscribe").is_none(), "a confirmation is no mailing");
    let stored: String = mail_queue::table.select(mail_queue::message_id).first(&mut *app.conn()).unwrap();
    assert_eq!(mail.header("Message-ID"), Some(stored.as_str()), "the Message-ID made when it was queued");
    wait_until_sent(&app).await;
    // The token is kept only as its hash.
    let link = mail.link(&format!("{}/email/confirm?token=", app.address)).expect("an absolute link");
    let token = link.rsplit('=').next().unwrap().to_string();
    let hashes: Vec<String> = email_tokens::table.select(email_tokens::token_hash).load(&mut *app.conn()).unwrap();
    assert!(!hashes.contains(&token) && hashes.len() == 1);

    // Opening the link (a mail scanner, or the reader twice) uses nothing up.
    for _ in 0..2 {
        let (status, body) = app.browser().page(&path_of(&app, &link)).await;
        assert_eq!(status, 200);
        assert!(body.contains("Ines.Okafor@Example.org"), "the page names the address");
    }
    assert!(user_row(&app, "ines").email_confirmed_at.is_none(), "a GET confirms nothing");
    let (status, body) = confirm_from(&app, &browser, &mail).await;
    assert_eq!(status, 200);
    assert!(texts(&html(&body), "[role=status]").join(" ").contains("is confirmed"), "{body}");
    assert!(user_row(&app, "ines").email_confirmed_at.is_some());
    // Written in another case it is the same mailbox: still confirmed, no new mail.
    let response = browser.submit("/account", "/account/email", &[("email", "ines.okafor@example.org")]).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Your address is saved."));
    let ines = user_row(&app, "ines");
    assert_eq!(ines.email.as_deref(), Some("ines.okafor@example.org"));
    assert!(ines.email_confirmed_at.is_some());
    let queued: i64 = mail_queue::table.count().get_result(&mut *app.conn()).unwrap();
    assert_eq!(queued, 1);

    // Used once: the link now says so, and offers a new one.
    let (status, body) = browser.page(&path_of(&app, &link)).await;
    assert_eq!(status, 410);
    assert!(body.contains("already used"), "{body}");
    assert!(body.contains("action=\"/account/email/resend\""), "a logged-in reader gets a button for a new link");

    // An expired link says so too; a visitor is shown the way to ask again.
    let browser = app.browser();
    assert_eq!(sign_up_with_address(&browser, "tomas", "tomas@example.org").await.status(), 303);
    let mail = smtp.wait_for(2).await.pop().unwrap();
    diesel::update(email_tokens::table.filter(email_tokens::used_at.is_null()))
        .set(email_tokens::expires_at.eq(now() - chrono::TimeDelta::minutes(1)))
        .execute(&mut *app.conn())
        .unwrap();
    let link = mail.link(&format!("{}/email/confirm?token=", app.address)).unwrap();
    let (status, body) = app.browser().page(&path_of(&app, &link)).await;
    assert_eq!(status, 410);
    assert!(body.contains("has expired") && body.contains("/login?next=/account"), "{body}");
    // Asking again from the account page sends a new link that works.
    let response = browser.submit("/account", "/account/email/resend", &[]).await;
    assert_eq!(response.status(), 200);
    let mail = smtp.wait_for(3).await.pop().unwrap();
    assert_eq!(confirm_from(&app, &browser, &mail).await.0, 200);
    assert!(user_row(&app, "tomas").email_confirmed_at.is_some());
}

async fn an_address_taken_in_any_case_is_refused_and_the_form_kept(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    assert_eq!(sign_up_with_address(&app.browser(), "first", "Shared@Example.org").await.status(), 303);
    let browser = app.browser();
    let response = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", "second"),
                ("display_name", "Second Reader"),
                ("email", "shared@EXAMPLE.org"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    let doc = html(&body);
    assert!(texts(&doc, "#email-error").join(" ").contains("Another account uses that e-mail address"), "{body}");
    assert_eq!(common::attrs(&doc, "#username", "value"), ["second"]);
    assert_eq!(common::attrs(&doc, "#display_name", "value"), ["Second Reader"]);
    assert_eq!(common::attrs(&doc, "#email", "value"), ["shared@EXAMPLE.org"]);
    assert!(!body.contains(PASSWORD), "the password is never sent back");
    assert!(newsdesk::models::User::by_username(&mut app.conn(), "second").unwrap().is_none(), "no account made");

    // A malformed address: the same, with its own message.
    let response = sign_up_with_address(&browser, "second", "not an address").await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(texts(&html(&body), "#email-error").join(" ").contains("like name@example.org"), "{body}");

    // On the account page too: the typed address comes back with the reason.
    let reader = app.reader("third").await;
    let response = reader.submit("/account", "/account/email", &[("email", "SHARED@example.org")]).await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    let doc = html(&body);
    assert_eq!(common::attrs(&doc, "#email", "value"), ["SHARED@example.org"]);
    assert!(texts(&doc, "#email-error").join(" ").contains("Another account uses"), "{body}");
    assert!(user_row(&app, "third").email.is_none());
    // Removing an address frees it.
    let first = app.browser();
    assert_eq!(first.login("first", PASSWORD).await.status(), 303);
    assert_eq!(first.submit("/account", "/account/email", &[("email", "")]).await.status(), 200);
    assert!(user_row(&app, "first").email.is_none());
    let response = reader.submit("/account", "/account/email", &[("email", "shared@example.org")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(user_row(&app, "third").email.as_deref(), Some("shared@example.org"));
}

async fn a_password_reset_works_once_and_ends_every_session(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    let elsewhere = confirmed_reader(&app, &smtp, "marta", "marta@example.org").await;
    assert_eq!(elsewhere.logged_in_as().await.as_deref(), Some("marta"));
    let (status, login) = app.browser().page("/login").await;
    assert_eq!(status, 200);
    assert!(login.contains("href=\"/password/forgot\""), "the log-in page links to the reset");

    // The same answer whether or not an account has the address.
    let visitor = app.browser();
    let unknown = visitor.submit("/password/forgot", "/password/forgot", &[("email", "nobody@example.org")]).await;
    assert_eq!(unknown.status(), 200);
    let unknown = unknown.text().await.unwrap().replace("nobody@example.org", "ADDRESS");
    let known = visitor.submit("/password/forgot", "/password/forgot", &[("email", "MARTA@example.org")]).await;
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap().replace("MARTA@example.org", "ADDRESS");
    let status_of = |body: &str| texts(&html(body), "[role=status]");
    assert_eq!(status_of(&unknown), status_of(&known));
    let mail = smtp.wait_for(2).await.pop().unwrap();
    assert_eq!(mail.recipient(), "marta@example.org", "sent to the address as the account holds it");
    assert_eq!(smtp.messages().len(), 2, "none for the unknown address");

    let link = mail.link(&format!("{}/password/reset?token=", app.address)).expect("a reset link");
    let path = path_of(&app, &link);
    let (status, body) = visitor.page(&path).await;
    assert_eq!(status, 200);
    assert!(body.contains("@marta"));
    let (status, _) = visitor.page(&path).await;
    assert_eq!(status, 200, "opening it again uses nothing up");
    let token = link.rsplit('=').next().unwrap().to_string();

    // The same rules as sign-up; a refusal keeps the link usable.
    let response = visitor
        .submit(&path, "/password/reset", &[("token", &token), ("password", "short"), ("confirm", "short")])
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("password-error") && !body.contains("value=\"short\""), "{body}");
    let new_password = "new lighthouse keeper 7";
    let response = visitor
        .submit(
            &path,
            "/password/reset",
            &[("token", &token), ("password", new_password), ("confirm", "different one")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let response = visitor
        .submit(&path, "/password/reset", &[("token", &token), ("password", new_password), ("confirm", new_password)])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account?reset=1");
    assert_eq!(visitor.logged_in_as().await.as_deref(), Some("marta"), "logged in with the new password");
    assert_eq!(elsewhere.logged_in_as().await, None, "every other session ended");
    assert_eq!(app.browser().login("marta", PASSWORD).await.status(), 401, "the old password is gone");
    assert_eq!(app.browser().login("marta", new_password).await.status(), 303);

    // Once only.
    let (status, body) = app.browser().page(&path).await;
    assert_eq!(status, 410);
    assert!(body.contains("already used") && body.contains("href=\"/password/forgot\""), "{body}");
    let response = app
        .browser()
        .submit(
            "/password/forgot",
            "/password/reset",
            &[("token", &token), ("password", "x y z w 1 2"), ("confirm", "x y z w 1 2")],
        )
        .await;
    assert_eq!(response.status(), 410);
    assert_eq!(app.browser().login("marta", new_password).await.status(), 303, "unchanged");

    // An expired link is refused.
    visitor.submit("/password/forgot", "/password/forgot", &[("email", "marta@example.org")]).await;
    let mail = smtp.wait_for(3).await.pop().unwrap();
    diesel::update(email_tokens::table.filter(email_tokens::used_at.is_null()))
        .set(email_tokens::expires_at.eq(now() - chrono::TimeDelta::seconds(1)))
        .execute(&mut *app.conn())
        .unwrap();
    let path = path_of(&app, &mail.link(&format!("{}/password/reset?token=", app.address)).unwrap());
    let (status, body) = app.browser().page(&path).await;
    assert_eq!(status, 410);
    assert!(body.contains("has expired") && body.contains("Ask for a new link"), "{body}");
    let token = path.rsplit('=').next().unwrap().to_string();
    let response = app
        .browser()
        .submit(
            "/password/forgot",
            "/password/reset",
            &[("token", &token), ("password", "x y z w 1 2"), ("confirm", "x y z w 1 2")],
        )
        .await;
    assert_eq!(response.status(), 410);
}

async fn without_smtp_mail_is_written_as_eml_files(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("outbox");
    let target = folder.clone();
    let Some(app) = TestApp::with_demo_configured(backend, move |config| {
        config.mail.smtp_url = None;
        config.mail.dir = target;
    })
    .await
    else {
        return;
    };
    assert_eq!(sign_up_with_address(&app.browser(), "offline", "offline@example.org").await.status(), 303);
    let deadline = Instant::now() + mail_support::PATIENCE;
    let files = loop {
        let files: Vec<_> = std::fs::read_dir(&folder)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break files;
        }
        assert!(Instant::now() < deadline, "no .eml file in {}", folder.display());
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(files.len(), 1);
    assert!(files[0].extension().is_some_and(|e| e == "eml"), "{files:?}");
    let mail = Mail::parse(&std::fs::read(&files[0]).unwrap());
    assert_eq!(mail.header("To"), Some("offline@example.org"));
    assert!(mail.link(&format!("{}/email/confirm?token=", app.address)).is_some(), "{}", mail.body);
}

async fn a_message_that_failed_is_retried_until_the_server_is_up(backend: Backend) {
    if !mail_support::available() {
        return;
    }
    let port = mail_support::free_port();
    let Some(app) = app_mailing_to(backend, &format!("smtp://127.0.0.1:{port}")).await else { return };
    assert_eq!(sign_up_with_address(&app.browser(), "patient", "patient@example.org").await.status(), 303);
    // Nothing listens yet: the try fails and is counted.
    let deadline = Instant::now() + mail_support::PATIENCE;
    loop {
        let (attempts, error): (i32, String) =
            mail_queue::table.select((mail_queue::attempts, mail_queue::last_error)).first(&mut *app.conn()).unwrap();
        if attempts >= 1 {
            assert!(!error.is_empty(), "the failure is kept");
            break;
        }
        assert!(Instant::now() < deadline, "no failed try recorded");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(smtp) = SmtpServer::start_on(port) else { return };
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.recipient(), "patient@example.org");
    let (message_id, sent): (String, Option<chrono::NaiveDateTime>) =
        mail_queue::table.select((mail_queue::message_id, mail_queue::sent_at)).first(&mut *app.conn()).unwrap();
    assert_eq!(mail.header("Message-ID"), Some(message_id.as_str()), "the retry is the same message");
    if sent.is_none() {
        wait_until_sent(&app).await;
    }
    assert_eq!(smtp.messages().len(), 1, "sent once");
}

/// Opts a reader in to reply notifications from the account page.
async fn choose_notifications(browser: &Browser, fields: &[(&str, &str)]) {
    let response = browser.submit("/account", "/account/notifications", fields).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Your notifications were saved."));
}

async fn reply_notifications_go_to_those_who_asked_and_unsubscribe_in_one_click(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    let keen = confirmed_reader(&app, &smtp, "keen", "keen@example.org").await;
    let quiet = confirmed_reader(&app, &smtp, "quiet", "quiet@example.org").await;
    choose_notifications(&keen, &[("replies", "on"), ("delivery", "immediate")]).await;
    let keen_comment = common::comment_id(&keen.comment(STORY, "The harbour wall needs stone, not concrete.").await);
    let quiet_comment = common::comment_id(&quiet.comment(STORY, "I would rather hear from the engineers.").await);
    let replier = app.reader("replier").await;
    assert_eq!(replier.reply(STORY, quiet_comment, "They spoke at the last meeting.").await.status(), 303);
    let quiet_id = user_row(&app, "quiet").id;
    let queued: i64 = mail_queue::table
        .filter(mail_queue::user_id.eq(quiet_id))
        .filter(mail_queue::kind.ne("confirm"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(queued, 0, "nothing for a reader who did not ask");
    assert_eq!(keen.reply(STORY, keen_comment, "Replying to myself is no news.").await.status(), 303);
    assert_eq!(replier.reply(STORY, keen_comment, "Stone costs three times as much.").await.status(), 303);
    let mail = smtp.wait_for(3).await.pop().unwrap();
    assert_eq!(mail.recipient(), "keen@example.org");
    assert!(mail.body.contains("replier replied to your comment"), "{}", mail.body);
    assert!(mail.body.contains("Stone costs three times as much."));
    assert!(mail.link(&format!("{}/comments/", app.address)).is_some(), "an absolute link to the reply");
    assert_eq!(smtp.messages().len(), 3, "two confirmations and this one");
    assert_eq!(mail.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    let unsubscribe = mail.header("List-Unsubscribe").unwrap().trim_matches(['<', '>']).to_string();
    assert!(unsubscribe.starts_with(&format!("{}/unsubscribe?token=", app.address)), "{unsubscribe}");

    // A GET (a mail scanner) only shows the button.
    let path = path_of(&app, &unsubscribe);
    let (status, body) = app.browser().page(&path).await;
    assert_eq!(status, 200);
    assert!(body.contains("Unsubscribe"));
    assert!(user_row(&app, "keen").notify_replies, "a GET unsubscribes nobody");
    // A forged token changes nothing.
    let forged = path.replace("replies.", "all.");
    let mail_client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = mail_client
        .post(app.url(&forged))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(user_row(&app, "keen").notify_replies);
    // The mail program's POST: no cookie, no form token, no Origin.
    let response = mail_client
        .post(&unsubscribe)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none(), "no session started for a mail program");
    assert!(!user_row(&app, "keen").notify_replies, "unsubscribed");
    assert_eq!(replier.reply(STORY, keen_comment, "One more thought.").await.status(), 303);
    let keen_id = user_row(&app, "keen").id;
    let replies: i64 = mail_queue::table
        .filter(mail_queue::user_id.eq(keen_id))
        .filter(mail_queue::kind.eq("reply"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(replies, 1, "no mail after unsubscribing");
}

async fn the_export_holds_the_mail_data_and_deletion_erases_it(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    let reader = confirmed_reader(&app, &smtp, "leaving", "leaving@example.org").await;
    choose_notifications(&reader, &[("replies", "on"), ("featured", "on"), ("delivery", "digest")]).await;
    let response = reader.get("/account/export").await;
    let data: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(data["account"]["email"], "leaving@example.org");
    assert_eq!(data["account"]["notifications"]["replies"], true);
    assert_eq!(data["account"]["notifications"]["daily_digest"], true);
    assert_eq!(data["email_links"][0]["purpose"], "confirm");
    assert!(data["email_links"][0]["used_at"].is_string());
    assert_eq!(data["messages"][0]["to"], "leaving@example.org");
    let id = user_row(&app, "leaving").id;
    let response = reader.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(response.status(), 303);
    let user = newsdesk::models::User::by_id(&mut app.conn(), id).unwrap().unwrap();
    assert!(user.email.is_none() && user.email_confirmed_at.is_none() && !user.notify_replies);
    let key: Option<String> = users::table.find(id).select(users::email_key).first(&mut *app.conn()).unwrap();
    assert!(key.is_none());
    let tokens: i64 =
        email_tokens::table.filter(email_tokens::user_id.eq(id)).count().get_result(&mut *app.conn()).unwrap();
    let messages: i64 =
        mail_queue::table.filter(mail_queue::user_id.eq(id)).count().get_result(&mut *app.conn()).unwrap();
    assert_eq!((tokens, messages), (0, 0));
    // The address is free for someone else.
    assert_eq!(sign_up_with_address(&app.browser(), "newcomer", "leaving@example.org").await.status(), 303);
}

async fn picks_removals_and_the_daily_digest_are_mailed_to_those_who_asked(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    let noted = confirmed_reader(&app, &smtp, "noted", "noted@example.org").await;
    choose_notifications(&noted, &[("featured", "on"), ("removed", "on"), ("delivery", "immediate")]).await;
    let picked = common::comment_id(&noted.comment(STORY, "The old sluice gates could be restored.").await);
    let removed = common::comment_id(&noted.comment(STORY, "Something a moderator will not like.").await);
    let moderator = app.staff("moddy", newsdesk::models::Role::Moderator).await;
    let feature = format!("/admin/comments/{picked}/feature");
    assert_eq!(moderator.submit("/admin/queue/recent", &feature, &[]).await.status(), 303);
    let mail = smtp.wait_for(2).await.pop().unwrap();
    assert_eq!(mail.header("Subject"), Some("Your comment is an editors' pick"));
    assert!(mail.link(&format!("{}/comments/{picked}", app.address)).is_some(), "{}", mail.body);
    let remove = format!("/admin/comments/{removed}/remove");
    let response = moderator.submit("/admin/queue/recent", &remove, &[("reason", "Off-topic")]).await;
    assert_eq!(response.status(), 303);
    let mail = smtp.wait_for(3).await.pop().unwrap();
    assert_eq!(mail.header("Subject"), Some("A moderator removed your comment"));
    assert!(mail.body.contains("Reason: Off-topic"), "{}", mail.body);
    assert!(mail.body.contains("Something a moderator will not like."), "the comment is quoted");
    assert!(mail.header("List-Unsubscribe").unwrap().contains("removed."), "unsubscribes from removals only");

    // A reply held for review is news only once a moderator lets it through.
    choose_notifications(&noted, &[("replies", "on"), ("delivery", "immediate")]).await;
    let mut settings = newsdesk::models::settings::SiteSettings::load(&mut app.conn()).unwrap();
    settings.suspect_words = vec!["gravel".into()];
    settings.save(&mut app.conn()).unwrap();
    let held_replier = app.reader("gritty").await;
    let response = held_replier.reply(STORY, picked, "Gravel would do for the path.").await;
    assert_eq!(response.status(), 303);
    let held: i32 = newsdesk::db::schema::comments::table
        .filter(newsdesk::db::schema::comments::status.eq("held"))
        .select(newsdesk::db::schema::comments::id)
        .first(&mut *app.conn())
        .unwrap();
    let replies = || -> i64 {
        mail_queue::table.filter(mail_queue::kind.eq("reply")).count().get_result(&mut *app.conn()).unwrap()
    };
    assert_eq!(replies(), 0, "no mail for a held reply");
    let approve = format!("/admin/comments/{held}/approve");
    assert_eq!(moderator.submit("/admin/queue/held", &approve, &[]).await.status(), 303);
    let mail = smtp.wait_for(4).await.pop().unwrap();
    assert_eq!(mail.header("Subject"), Some("gritty replied to your comment"));
    assert!(mail.body.contains("Gravel would do for the path."));

    // The digest: replies wait, then go out together once the day is over.
    choose_notifications(&noted, &[("replies", "on"), ("delivery", "digest")]).await;
    let replier = app.reader("chatty").await;
    assert_eq!(replier.reply(STORY, picked, "Restored gates would need a keeper.").await.status(), 303);
    assert_eq!(replier.reply(STORY, picked, "And a budget for the keeper.").await.status(), 303);
    let id = user_row(&app, "noted").id;
    let waiting: i64 = newsdesk::db::schema::mail_digest_items::table
        .filter(newsdesk::db::schema::mail_digest_items::user_id.eq(id))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(waiting, 2, "kept for the digest, not mailed");
    // A day passes.
    diesel::update(users::table.find(id))
        .set(users::digest_sent_at.eq(Some(now() - chrono::TimeDelta::days(1))))
        .execute(&mut *app.conn())
        .unwrap();
    app.state.mail.bell.ring();
    let mail = smtp.wait_for(5).await.pop().unwrap();
    assert_eq!(mail.header("Subject"), Some("2 notifications from Newsdesk"));
    assert!(mail.body.contains("Restored gates would need a keeper.") && mail.body.contains("And a budget"));
    assert!(mail.header("List-Unsubscribe").unwrap().contains("all."), "the digest's link stops everything");
    assert_eq!(smtp.messages().len(), 5, "one digest for both replies");
    let waiting: i64 = newsdesk::db::schema::mail_digest_items::table.count().get_result(&mut *app.conn()).unwrap();
    assert_eq!(waiting, 0);
}

/// The queue on its own, with no worker running: what a claim takes, and
/// what a worker that died leaves for the next.
async fn a_claimed_message_is_left_alone_until_its_lease_ends(backend: Backend) {
    use newsdesk::mail::MailKind;
    use newsdesk::mail::queue::{self, LEASE, Outgoing};
    let Some(database) = common::TestDatabase::create(backend) else { return };
    let url = newsdesk::config::DatabaseUrl::parse(&database.url).unwrap();
    let db = newsdesk::db::Database::open(&url, 4).unwrap();
    let mut conn = db.conn().unwrap();
    let start = now();
    for n in 0..25 {
        let subject = format!("message {n}");
        let mail = Outgoing {
            user_id: None,
            recipient: "someone@example.org",
            subject: &subject,
            body: "text",
            kind: MailKind::Confirm,
            unsubscribe_url: None,
        };
        queue::enqueue(&mut conn, &mail, "example.org", start).unwrap();
    }
    // Two workers claiming at once take different messages.
    let (first, second) = std::thread::scope(|scope| {
        let claim = || {
            let db = &db;
            scope.spawn(move || queue::claim(&mut db.conn().unwrap(), start).unwrap())
        };
        let (a, b) = (claim(), claim());
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut ids: Vec<i32> = first.iter().chain(&second).map(|m| m.id).collect();
    assert_eq!(ids.len(), 25, "a batch is at most {} and both found work", queue::BATCH);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no message claimed twice");
    // Both "die": nothing is due again until their leases end.
    assert!(queue::claim(&mut conn, start + LEASE - chrono::TimeDelta::seconds(1)).unwrap().is_empty());
    let again =
        queue::claim(&mut conn, start + LEASE).unwrap().len() + queue::claim(&mut conn, start + LEASE).unwrap().len();
    assert_eq!(again, 25, "every message is taken again once its lease is over");
    // A sent message is never claimed again; a failed one waits for its backoff.
    let taken = queue::claim(&mut conn, start + LEASE * 3).unwrap();
    queue::mark_sent(&mut conn, taken[0].id, start + LEASE * 3).unwrap();
    let backoff = chrono::TimeDelta::seconds(30);
    queue::mark_failed(&mut conn, &taken[1], "421 try later", backoff, start + LEASE * 3).unwrap();
    let mut later = queue::claim(&mut conn, start + LEASE * 5).unwrap();
    later.extend(queue::claim(&mut conn, start + LEASE * 5).unwrap());
    assert!(later.iter().all(|m| m.id != taken[0].id), "sent stays sent");
    assert!(later.iter().any(|m| m.id == taken[1].id && m.attempts == 1), "retried after its backoff");
    assert_eq!(queue::backoff(backoff, 1), backoff);
    assert_eq!(queue::backoff(backoff, 3), backoff * 4);
    assert_eq!(queue::backoff(backoff, 30), queue::MAX_BACKOFF);
}

async fn reset_requests_are_limited_per_address_and_per_network(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_path_buf();
    let Some(app) = TestApp::with_demo_configured(backend, move |config| config.mail.dir = folder).await else {
        return;
    };
    let visitor = app.browser();
    let ask = async |address: &str| {
        visitor.submit("/password/forgot", "/password/forgot", &[("email", address)]).await.status().as_u16()
    };
    // Known or not, an address gets three, then waits.
    for _ in 0..3 {
        assert_eq!(ask("someone@example.org").await, 200);
    }
    assert_eq!(ask("SOMEONE@example.org").await, 429, "the same address in another case");
    // One network gets ten, whatever the addresses.
    for n in 0..7 {
        assert_eq!(ask(&format!("reader{n}@example.org")).await, 200);
    }
    assert_eq!(ask("one.more@example.org").await, 429);

    // Each new address is a confirmation mail: five, then the form says wait.
    let reader = app.reader("restless").await;
    for n in 0..5 {
        let response = reader.submit("/account", "/account/email", &[("email", &format!("r{n}@example.org"))]).await;
        assert_eq!(response.status(), 200);
    }
    let response = reader.submit("/account", "/account/email", &[("email", "r5@example.org")]).await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert_eq!(common::attrs(&html(&body), "#email", "value"), ["r5@example.org"], "what was typed comes back");
    assert!(texts(&html(&body), "#email-error").join(" ").contains("then save it again"), "{body}");
}

/// A reader whose comments came from a WordPress export, with their
/// address, claims the account by resetting its password by mail.
async fn an_imported_reader_claims_their_account_through_a_reset(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let Some(app) = app_mailing_to(backend, &smtp.url()).await else { return };
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/comments-wordpress.xml");
    newsdesk::import::comments::import_comments(&mut app.conn(), &file, now()).expect("the fixture imports");
    assert_eq!(app.browser().login("maren_quist", PASSWORD).await.status(), 401, "not claimed yet");

    let visitor = app.browser();
    let asked = visitor.submit("/password/forgot", "/password/forgot", &[("email", "Maren.Quist@example.org")]).await;
    assert_eq!(asked.status(), 200);
    let mail = smtp.wait_for(1).await.pop().unwrap();
    assert_eq!(mail.recipient(), "maren.quist@example.org", "the address the export gave");
    let link = mail.link(&format!("{}/password/reset?token=", app.address)).expect("a reset link");
    let path = path_of(&app, &link);
    let token = link.rsplit('=').next().unwrap().to_string();
    let password = "quayside lantern 2027";
    let answer = visitor
        .submit(&path, "/password/reset", &[("token", &token), ("password", password), ("confirm", password)])
        .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(visitor.logged_in_as().await.as_deref(), Some("Maren Quist"), "claimed and logged in (by display name)");
    assert_eq!(app.browser().login("maren_quist", password).await.status(), 303);
}

on_both_backends!(
    an_imported_reader_claims_their_account_through_a_reset,
    reset_requests_are_limited_per_address_and_per_network,
    a_claimed_message_is_left_alone_until_its_lease_ends,
    picks_removals_and_the_daily_digest_are_mailed_to_those_who_asked,
    a_confirmation_link_opens_a_page_and_only_its_button_confirms,
    an_address_taken_in_any_case_is_refused_and_the_form_kept,
    a_password_reset_works_once_and_ends_every_session,
    without_smtp_mail_is_written_as_eml_files,
    a_message_that_failed_is_retried_until_the_server_is_up,
    reply_notifications_go_to_those_who_asked_and_unsubscribe_in_one_click,
    the_export_holds_the_mail_data_and_deletion_erases_it,
);
