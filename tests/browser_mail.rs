//! A password reset in real Chromium, with the mail delivered by a real
//! SMTP server (aiosmtpd): forgot password → mail → link → new password →
//! logged in; screenshots of the new-password page at phone and desktop
//! sizes (target/screenshots/reset-360.png, reset-1280.png).

mod browser_support;
mod common;
mod mail_support;

use std::time::Duration;

use browser_support::Chrome;
use common::{Backend, PASSWORD, TestApp};
use mail_support::SmtpServer;

async fn a_forgotten_password_is_reset_through_the_mail(backend: Backend) {
    let Some(smtp) = SmtpServer::start() else { return };
    let url = smtp.url();
    let Some(app) = TestApp::with_demo_configured(backend, move |config| {
        config.mail.smtp_url = Some(url);
        config.mail.poll = Duration::from_millis(500);
    })
    .await
    else {
        return;
    };
    // An account with an address, made over HTTP (its confirmation mail is the first).
    let browser = app.browser();
    let response = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", "forgetful"),
                ("display_name", "Forgetful Fran"),
                ("email", "fran@example.org"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    smtp.wait_for(1).await;
    let Some(chrome) = Chrome::start(&app.address).await else { return };

    chrome.visit("/login").await;
    chrome.follow_link("Forgot your password?").await;
    assert_eq!(chrome.path().await, "/password/forgot");
    chrome.type_into("#email", "fran@example.org").await;
    chrome.click_and_wait("form.account-form button[type=submit]").await;
    let said = chrome.wait_for_text("[role=status]", "a link to choose a new password is on its way").await;
    drop(said);

    let mail = smtp.wait_for(2).await.pop().unwrap();
    assert_eq!(mail.recipient(), "fran@example.org");
    let link = mail.link(&format!("{}/password/reset?token=", app.address)).expect("a reset link in the mail");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    chrome.visit(&path).await;
    assert!(chrome.text("h1").await.contains("Choose a new password"));
    chrome.photograph("reset", None).await;

    let new_password = "tide tables and lanterns 9";
    chrome.type_into("#password", new_password).await;
    chrome.type_into("#confirm", new_password).await;
    chrome.click_and_wait("form[action='/password/reset'] button[type=submit]").await;
    assert_eq!(chrome.path().await, "/account?reset=1");
    chrome.wait_for(".account-bar .signed-in").await;
    assert!(chrome.text("[role=status]").await.contains("Your new password is saved"));
    assert_eq!(browser.logged_in_as().await, None, "the other session ended");
    // Using the link confirmed the address: notifications can be chosen.
    assert!(chrome.text("#email-status").await.contains("fran@example.org is confirmed"));
    chrome.photograph("account-email", Some("email-heading")).await;

    // The new password is the one that works now.
    chrome.log_out().await;
    chrome.log_in("forgetful", new_password).await;
}

on_both_backends!(a_forgotten_password_is_reset_through_the_mail);
