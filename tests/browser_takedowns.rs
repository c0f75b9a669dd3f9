//! Takedowns and corrections in real Chromium: an editor takes a story down
//! from /admin/articles, a reader who still has a link to it follows it and
//! is told the story was taken down, the editor puts it back; a corrected
//! story shows its dated note. Screenshots at phone and desktop sizes.
//!
//! Where Chromium is not installed the test says so loudly and passes,
//! unless NEWSDESK_TEST_REQUIRE_BROWSER=1 (CI), where it fails.

mod browser_support;
mod common;

use browser_support::Chrome;
use common::{Backend, PASSWORD, TestApp};
use newsdesk::models::{Role, User};
use newsdesk::state::now;

const SLUG: &str = "storm-surge-breaches-callowhaven-harbour-wall";
const STORY: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";
const CORRECTED: &str = "/articles/fennick-bay-seafoods-to-create-85-jobs";

#[actix_web::test]
async fn an_editor_takes_a_story_down_and_puts_it_back() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    let hash = newsdesk::security::passwords::hash(PASSWORD).unwrap();
    User::create(&mut app.conn(), "night_editor", "Night Editor", &hash, Role::Admin, now()).unwrap().unwrap();

    // A reader has the section page open, with its link to the story.
    let Some(reader) = Chrome::start(&app.address).await else { return };
    reader.visit("/sections/local").await;
    let link = format!(".card-headline a[href='{STORY}']");
    let headline = reader.text(&link).await;

    // The editor takes it down from the articles list.
    let Some(editor) = Chrome::start(&app.address).await else { return };
    editor.log_in("night_editor", PASSWORD).await;
    editor.visit("/admin/articles").await;
    editor.click_and_wait(&format!("form[action='/admin/articles/{SLUG}/unpublish'] button")).await;
    assert_eq!(editor.path().await, "/admin/articles");
    let notice = editor.text(".notice-success").await;
    assert!(notice.contains(&headline) && notice.contains("was taken down"), "{notice}");
    let republish = format!("form[action='/admin/articles/{SLUG}/republish'] button");
    assert!(editor.text(&republish).await.starts_with("Republish"));

    // The reader's link now says what happened, in the site's own page.
    reader.click_and_wait(&link).await;
    assert_eq!(reader.path().await, STORY);
    assert_eq!(reader.text("h1").await, "This story has been taken down");
    // (The kicker is set in capitals by the style sheet.)
    assert_eq!(reader.text(".error-page .kicker").await.to_lowercase(), "error 410");
    assert!(reader.text(".error-page").await.contains("The newsroom has withdrawn this story"));
    assert!(!reader.has("#comments").await, "nothing of the story or its comments");
    reader.photograph("takedown", None).await;
    reader.visit("/sections/local").await;
    assert!(!reader.has(&link).await, "gone from the section");

    // The editor puts it back, and the same link works again.
    editor.click_and_wait(&republish).await;
    assert!(editor.text(".notice-success").await.contains("is back on the site"));
    reader.visit("/sections/local").await;
    reader.click_and_wait(&link).await;
    assert_eq!(reader.text("h1.headline").await, headline);
}

#[actix_web::test]
async fn a_corrected_story_shows_its_dated_note() {
    let Some(app) = TestApp::with_demo(Backend::Sqlite).await else { return };
    let Some(reader) = Chrome::start(&app.address).await else { return };
    reader.visit(CORRECTED).await;
    assert_eq!(reader.text(".correction h2").await, "Correction");
    assert!(reader.text(".correction").await.contains("It was 1958."));
    assert!(reader.text(".correction-date").await.starts_with("Corrected "));
    assert!(reader.text(".story-times").await.contains("Updated"), "the story shows it changed");
    assert!(reader.visible(".correction").await);
    reader.photograph("correction", Some("correction")).await;
}
