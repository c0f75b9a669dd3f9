//! Logged-in readers' article pages, assembled from a shared copy with each
//! reader's own parts set in: the same page as one built for that reader
//! alone, nothing of one reader's in another's, fresh after every change,
//! on both databases.

mod common;

use std::io::Read;

use common::{Backend, Browser, TestApp, comment_id, csrf_in};
use newsdesk::models::Role;

const STORY: &str = "/articles/sea-wall-repairs-row";
const STORY_SLUG: &str = "sea-wall-repairs-row";
const FLAGSHIP: &str = "/articles/storm-surge-breaches-callowhaven-harbour-wall";

/// The app assembling pages, and a second server on the same database that
/// builds every page whole (no caching), to compare with.
async fn assembling_and_whole(backend: Backend) -> Option<(TestApp, TestApp)> {
    let assembling = TestApp::with_demo_configured(backend, |config| config.page_cache_bytes = 4 * 1024 * 1024).await?;
    let whole = assembling.second_instance_with(|config| config.page_cache_bytes = 0);
    Some((assembling, whole))
}

/// The page at `url` as this browser gets it, gzipped as browsers ask.
async fn page_at(browser: &Browser, url: &str) -> (reqwest::header::HeaderMap, String) {
    let response = browser.client.get(url).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let text = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
        text
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    (headers, text)
}

/// The page without what the clock changes between two requests: the words
/// inside `<time>` ("5 minutes ago" may turn into "6 minutes ago").
fn comparable(page: &str) -> String {
    let blank = |page: &str, from: &str, to: &str| {
        let mut out = String::with_capacity(page.len());
        let mut rest = page;
        while let Some(start) = rest.find(from) {
            let kept = start + from.len();
            let Some(end) = rest[kept..].find(to) else { break };
            out.push_str(&rest[..kept]);
            rest = &rest[kept + end..];
        }
        out.push_str(rest);
        out
    };
    blank(page, "UTC\">", "</time>")
}

/// Which account the header says is logged in.
fn signed_in_as(page: &str) -> Option<String> {
    let document = common::html(page);
    common::texts(&document, ".signed-in a").into_iter().next()
}

/// Readers with and without comments on the page, staff, a reader whose
/// comment waits for review, on open and closed discussions and in both
/// orders: each assembled page is the page built for them alone.
async fn assembled_pages_are_the_pages_built_whole(backend: Backend) {
    let Some((assembling, whole)) = assembling_and_whole(backend).await else { return };
    let commenter = assembling.reader("layer_commenter").await;
    let own = comment_id(&commenter.comment(STORY, "My own words on the sea wall.").await);
    let bystander = assembling.reader("layer_bystander").await;
    let respecter = assembling.reader("layer_respecter").await;
    let token = respecter.csrf(STORY).await;
    let marked =
        respecter.post(&format!("/comments/{own}/respect"), &[("csrf_token", &token), ("respect", "give")]).await;
    assert_eq!(marked.status(), 303, "a mark of respect");
    let muter = assembling.reader("layer_muter").await;
    let mute = format!("/comments/{own}/mute");
    assert_eq!(muter.submit(&mute, &mute, &[]).await.status(), 303, "a mute of the commenter");
    let admin = assembling.staff("layer_admin", Role::Admin).await;
    let waiting = assembling.reader("layer_waiting").await;
    let held = comment_id(&waiting.comment(STORY, "Words waiting for a moderator.").await);
    let hold = format!("UPDATE comments SET status = 'held' WHERE id = {held}");
    diesel::RunQueryDsl::execute(diesel::sql_query(hold), &mut *assembling.conn()).unwrap();
    // Behind the app's back, as another process would: it says so.
    assembling.state.changes.announce([newsdesk::changes::Change::Everything]);

    let readers = [
        ("commenter", &commenter),
        ("bystander", &bystander),
        ("respecter", &respecter),
        ("muter", &muter),
        ("admin", &admin),
        ("waiting", &waiting),
    ];
    let paths = [STORY.to_string(), format!("{STORY}?sort=newest"), FLAGSHIP.to_string()];
    for round in ["open", "closed"] {
        for (name, browser) in readers {
            for path in &paths {
                let (headers, assembled) = page_at(browser, &assembling.url(path)).await;
                let how = headers.get(newsdesk::page_cache::STATUS_HEADER).and_then(|v| v.to_str().ok());
                // Only the reader with a held comment here gets a page built for them alone.
                let expected = if name == "waiting" && path.starts_with(STORY) { None } else { Some("assembled") };
                assert_eq!(how, expected, "{round} discussion, {name}, {path}");
                let (_, built) = page_at(browser, &whole.url(path)).await;
                // Not assert_eq!: a page is too long to print twice.
                // Each server names itself in absolute links.
                let assembled = comparable(&assembled.replace(&assembling.address, "http://site"));
                let built = comparable(&built.replace(&whole.address, "http://site"));
                if assembled != built {
                    let at = assembled.bytes().zip(built.bytes()).take_while(|(a, b)| a == b).count();
                    let near = |page: &str| {
                        page.get(at.saturating_sub(200)..(at + 200).min(page.len())).unwrap_or("").to_string()
                    };
                    panic!(
                        "{round} discussion, {name}, {path}: differs at byte {at}:\n{}\n---\n{}",
                        near(&assembled),
                        near(&built)
                    );
                }
            }
        }
        let close = format!("/admin/articles/{STORY_SLUG}/close");
        assert_eq!(admin.submit("/admin/articles", &close, &[]).await.status(), 303);
    }

    // And what each one sees is theirs.
    let (_, mine) = page_at(&commenter, &assembling.url(STORY)).await;
    assert!(mine.contains(&format!("/comments/{own}/delete")), "the author's own links");
    let (_, marked) = page_at(&respecter, &assembling.url(STORY)).await;
    assert!(marked.contains(r#"aria-pressed="true""#), "the respecter's own mark");
    let (_, unmarked) = page_at(&bystander, &assembling.url(STORY)).await;
    assert!(!unmarked.contains(r#"aria-pressed="true""#), "nobody else's");
    assert!(!unmarked.contains("muted-comment"), "nobody else's mutes");
    let (_, folded) = page_at(&muter, &assembling.url(STORY)).await;
    assert!(folded.contains("Comment from a reader you muted"), "the muter's own folded comment");
    let (_, theirs) = page_at(&waiting, &assembling.url(STORY)).await;
    assert!(theirs.contains("Words waiting for a moderator."), "their held comment, to them");
}

/// Nothing personal crosses from one reader's page to another's: not the
/// name, not the form token, not the draft, not the own-comment links.
async fn one_readers_parts_never_reach_another(backend: Backend) {
    let Some((assembling, _whole)) = assembling_and_whole(backend).await else { return };
    let first = assembling.reader("layer_first").await;
    let own = comment_id(&first.comment(STORY, "First reader's comment.").await);
    let second = assembling.reader("layer_second").await;
    let (_, first_page) = page_at(&first, &assembling.url(STORY)).await;
    let (_, second_page) = page_at(&second, &assembling.url(STORY)).await;
    let first_token = csrf_in(&first_page).expect("a form token");
    let second_token = csrf_in(&second_page).expect("a form token");
    assert_ne!(first_token, second_token);
    assert!(!second_page.contains(&first_token), "not the other reader's token");
    assert_eq!(signed_in_as(&second_page).as_deref(), Some("layer_second"));
    assert_eq!(signed_in_as(&first_page).as_deref(), Some("layer_first"));
    assert!(!second_page.contains(&format!("/comments/{own}/edit")), "not the other reader's links");
    assert!(second_page.contains(&format!("/comments/{own}/report")), "theirs to report");
    assert!(first_page.contains(&format!("/comments/{own}/edit")));
    assert!(!first_page.contains(&format!("/comments/{own}/report")));
    let (_, anonymous) = page_at(&Browser::new(&assembling.address), &assembling.url(STORY)).await;
    assert!(!anonymous.contains(&first_token) && !anonymous.contains(&second_token));
    assert_eq!(signed_in_as(&anonymous), None);
}

/// A comment shows at once to every logged-in reader; validators answer 304
/// until something changes; a logged-out reader's cookie gets the page for
/// visitors.
async fn assembled_pages_are_fresh(backend: Backend) {
    let Some((assembling, _whole)) = assembling_and_whole(backend).await else { return };
    let reader = assembling.reader("layer_reader").await;
    let writer = assembling.reader("layer_writer").await;
    let (headers, _) = page_at(&reader, &assembling.url(STORY)).await;
    let tag = headers.get("etag").unwrap().to_str().unwrap().to_string();
    assert_eq!(headers.get("cache-control").unwrap(), "private, no-cache");
    let again = reader.client.get(assembling.url(STORY)).header("If-None-Match", &tag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    writer.comment(STORY, "Fresh words for every reader.").await;
    let (headers, page) = page_at(&reader, &assembling.url(STORY)).await;
    assert!(page.contains("Fresh words for every reader."), "shown at once");
    assert_ne!(headers.get("etag").unwrap().to_str().unwrap(), tag);

    let cookies = reader.cookies();
    assert_eq!(reader.logout().await.status(), 303);
    let (_, after) = page_at(&Browser::with_cookies(&assembling.address, &cookies), &assembling.url(STORY)).await;
    assert!(signed_in_as(&after).is_none() && after.contains("Log in to comment"), "the old cookie is nobody's");
}

on_both_backends!(
    assembled_pages_are_the_pages_built_whole,
    one_readers_parts_never_reach_another,
    assembled_pages_are_fresh,
);
