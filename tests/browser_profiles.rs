//! A reader's profile in real Chromium: from an author's name on an
//! article to their profile, and from one of their comments there back to
//! its place in the discussion; screenshots at phone and desktop sizes.
//!
//! Where Chromium is not installed the test says so loudly and passes,
//! unless NEWSDESK_TEST_REQUIRE_BROWSER=1 (CI), where it fails.

mod browser_support;
mod common;

use browser_support::Chrome;
use common::{Backend, PASSWORD, TestApp, comment_id};
use serde_json::json;

const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";
const THEATRE: &str = "/articles/lantern-theatre-winter-season";

#[actix_web::test]
async fn from_an_authors_name_to_their_profile_and_back() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    // A reader with something to show: two comments, one of them respected.
    let writer = app.browser();
    let fields = [
        ("username", "harbour_watcher"),
        ("display_name", "Harbour Watcher"),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    assert_eq!(writer.submit("/signup", "/signup", &fields).await.status(), 303);
    let on_flagship = comment_id(&writer.comment(FLAGSHIP, "The north wall has needed work for years.").await);
    writer.comment(THEATRE, "Looking forward to the winter season at the Lantern.").await;
    let admirer = app.reader("admirer").await;
    let token = admirer.csrf(FLAGSHIP).await;
    let respect = format!("/comments/{on_flagship}/respect");
    assert_eq!(admirer.post(&respect, &[("csrf_token", &token), ("respect", "give")]).await.status(), 303);
    let Some(chrome) = Chrome::start(&app.address).await else { return };

    // A visitor reads the discussion and follows the author's name.
    chrome.visit(FLAGSHIP).await;
    let name = format!("#comment-{on_flagship} a.comment-author");
    assert_eq!(chrome.text(&name).await, "Harbour Watcher");
    chrome.click_and_wait(&name).await;
    assert_eq!(chrome.path().await, "/readers/harbour_watcher");
    assert_eq!(chrome.title().await.unwrap(), "Harbour Watcher – Newsdesk");
    assert_eq!(chrome.text("h1").await, "Harbour Watcher");
    assert!(chrome.text(".list-intro").await.starts_with("Reader since "));
    assert_eq!(chrome.text(".profile-figures").await, "2 comments · 1 mark of respect received");
    let items = chrome.texts(".profile-comments .reply-item .comment-text").await;
    assert_eq!(
        items,
        ["Looking forward to the winter season at the Lantern.", "The north wall has needed work for years."]
    );
    chrome.photograph("profile", None).await;

    // Back to the comment, at its place in the discussion.
    let link = format!(".profile-comments .reply-context a[href$='#comment-{on_flagship}']");
    let headline = chrome.text(&link).await;
    chrome.click_and_wait(&link).await;
    assert_eq!(chrome.path().await, format!("{FLAGSHIP}#comment-{on_flagship}"));
    assert_eq!(chrome.text("h1.headline").await, headline);
    let probe = chrome
        .js(&format!(
            "const e = document.getElementById('comment-{on_flagship}'); const r = e.getBoundingClientRect();\
             return [e.matches(':target'), r.top >= 0 && r.top < window.innerHeight]"
        ))
        .await;
    assert_eq!(probe, json!([true, true]), "the comment is the page's target, in view");
}
