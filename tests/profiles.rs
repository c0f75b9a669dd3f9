//! Readers' profiles (`/readers/NAME`): the comments of theirs that an
//! anonymous reader sees on the article pages, newest first and paged, each
//! linked to its place in the discussion; the respect those received; the
//! names linked from every comment; deleted, banned and unknown accounts;
//! on both databases.

mod common;

use chrono::TimeDelta;
use common::{Backend, Browser, PASSWORD, TestApp, attrs, comment_id, html, location, texts};
use diesel::connection::SimpleConnection;
use newsdesk::models::comment::{CommentStatus, Placement};
use newsdesk::models::{Article, Comment, Role, User};
use newsdesk::page_cache::STATUS_HEADER;
use newsdesk::state::now;

const STORY: &str = "/articles/sea-wall-repairs-row";
const THEATRE: &str = "/articles/lantern-theatre-winter-season";

async fn site(backend: Backend) -> Option<TestApp> {
    TestApp::with_demo_configured(backend, common::unlimited).await
}

/// A new browser with a fresh account shown under `display_name`.
async fn reader(app: &TestApp, username: &str, display_name: &str) -> Browser {
    let browser = app.browser();
    let fields =
        [("username", username), ("display_name", display_name), ("password", PASSWORD), ("confirm", PASSWORD)];
    assert_eq!(browser.submit("/signup", "/signup", &fields).await.status(), 303, "sign-up of {username}");
    browser
}

/// The profile as a visitor gets it: status and body.
async fn profile(app: &TestApp, path: &str) -> (u16, String) {
    app.browser().page(path).await
}

/// The comments a profile lists, by their text.
fn listed(page: &str) -> Vec<String> {
    texts(&html(page), ".profile-comments .reply-item .comment-text")
}

/// Where each listed comment's story link leads.
fn links(page: &str) -> Vec<String> {
    attrs(&html(page), ".profile-comments .reply-context a", "href")
}

fn figures(page: &str) -> String {
    texts(&html(page), ".profile-figures").join(" ")
}

fn noindex(page: &str) -> bool {
    attrs(&html(page), "head meta[name=robots]", "content") == ["noindex"]
}

async fn headline(app: &TestApp, path: &str) -> String {
    texts(&html(&app.browser().page(path).await.1), "h1.headline").remove(0)
}

/// Whether an anonymous reader finds comment `id`'s text on the article page.
async fn shown_on_article(app: &TestApp, article: &str, id: i32) -> bool {
    !texts(&html(&app.browser().page(article).await.1), &format!("#comment-{id} .comment-text")).is_empty()
}

async fn lists_shown_comments_newest_first_with_their_stories(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let ana = reader(&app, "ana_reader", "Ana Lind").await;
    let other = app.reader("someone_else").await;
    let first = comment_id(&ana.comment(STORY, "The wall was patched, not rebuilt.").await);
    let second = comment_id(&ana.comment(THEATRE, "The winter season looks good.").await);
    let parent = comment_id(&other.comment(STORY, "When do the repairs start?").await);
    let third = comment_id(&ana.reply(STORY, parent, "In March, the council said.").await);

    let (status, page) = profile(&app, "/readers/ana_reader").await;
    assert_eq!(status, 200);
    let doc = html(&page);
    assert_eq!(texts(&doc, "h1"), ["Ana Lind"]);
    assert!(texts(&doc, "h1 .staff-badge").is_empty(), "a reader has no badge");
    let month = now().format("%B %Y").to_string();
    assert_eq!(texts(&doc, ".list-intro"), [format!("Reader since {month}")]);
    assert_eq!(figures(&page), "3 comments · 0 marks of respect received");
    assert_eq!(
        listed(&page),
        ["In March, the council said.", "The winter season looks good.", "The wall was patched, not rebuilt."],
        "newest first"
    );
    assert_eq!(
        links(&page),
        [format!("{STORY}#comment-{third}"), format!("{THEATRE}#comment-{second}"), format!("{STORY}#comment-{first}")]
    );
    let (story, theatre) = (headline(&app, STORY).await, headline(&app, THEATRE).await);
    assert_eq!(texts(&doc, ".reply-context a"), [story.clone(), theatre, story]);
    assert!(!page.contains("When do the repairs start?"), "nobody else's comment");
    assert!(!noindex(&page), "a profile with comments may be indexed");
    // Each link leads to the comment on its page.
    for (link, id) in links(&page).iter().zip([third, second, first]) {
        let (path, _) = link.split_once('#').unwrap();
        assert!(shown_on_article(&app, path, id).await, "{link}");
    }
    // Staff wear the same badge as on their comments.
    let moderator = app.staff("desk_mod", Role::Moderator).await;
    moderator.comment(STORY, "We will publish the schedule.").await;
    let (_, page) = profile(&app, "/readers/desk_mod").await;
    assert_eq!(texts(&html(&page), "h1 .staff-badge"), ["Moderator"]);
}

async fn pages_of_twenty_follow_the_discussion_pages(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let user =
        User::create(&mut app.conn(), "prolific", "Prolific", "not-a-hash", Role::Reader, now()).unwrap().unwrap();
    let article = Article::id_by_slug(&mut app.conn(), "sea-wall-repairs-row").unwrap().unwrap();
    // 55 threads, a minute apart: the newest five are on the discussion's
    // second page (fifty threads a page).
    let start = now() - TimeDelta::hours(2);
    let mut ids = Vec::new();
    for n in 1..=55 {
        let at = start + TimeDelta::minutes(n);
        let body = format!("Thought number {n}");
        let published = CommentStatus::Published;
        ids.push(
            Comment::insert(&mut app.conn(), article, user.id, Placement::TOP_LEVEL, &body, published, at).unwrap(),
        );
    }
    let numbers = |page: &str| -> Vec<i32> {
        listed(page).iter().map(|t| t.trim_start_matches("Thought number ").parse().unwrap()).collect()
    };

    let (status, first) = profile(&app, "/readers/prolific").await;
    assert_eq!(status, 200);
    assert_eq!(numbers(&first), (36..=55).rev().collect::<Vec<_>>());
    assert_eq!(figures(&first), "55 comments · 0 marks of respect received");
    assert_eq!(texts(&html(&first), ".pager-position"), ["Page 1 of 3"]);
    assert_eq!(attrs(&html(&first), ".pager a[rel=next]", "href"), ["/readers/prolific?page=2"]);
    // Threads past the fiftieth are on the discussion's second page.
    assert_eq!(links(&first)[0], format!("{STORY}?page=2#comment-{}", ids[54]));
    assert_eq!(links(&first)[19], format!("{STORY}#comment-{}", ids[35]));
    assert!(shown_on_article(&app, &format!("{STORY}?page=2"), ids[54]).await);

    let (_, second) = profile(&app, "/readers/prolific?page=2").await;
    assert_eq!(numbers(&second), (16..=35).rev().collect::<Vec<_>>());
    assert_eq!(attrs(&html(&second), ".pager a[rel=prev]", "href"), ["/readers/prolific"]);
    assert_eq!(attrs(&html(&second), "link[rel=canonical]", "href"), [app.url("/readers/prolific?page=2")]);
    let (_, third) = profile(&app, "/readers/prolific?page=3").await;
    assert_eq!(numbers(&third), (1..=15).rev().collect::<Vec<_>>());
    assert!(attrs(&html(&third), ".pager a[rel=next]", "href").is_empty());
    for missing in ["?page=4", "?page=0", "?page=two"] {
        assert_eq!(profile(&app, &format!("/readers/prolific{missing}")).await.0, 404, "{missing}");
    }
}

/// Exactly what an anonymous reader sees on the article pages: not held,
/// removed or deleted comments, nor comments under an embargoed story; and
/// the respect received counts only the comments shown.
async fn only_shown_comments_are_listed_and_counted(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let ana = reader(&app, "ana_reader", "Ana Lind").await;
    let shown = comment_id(&ana.comment(STORY, "Shown and respected twice.").await);
    let also_shown = comment_id(&ana.comment(THEATRE, "Shown and respected once.").await);
    let held = comment_id(&ana.comment(STORY, "Held for review.").await);
    let removed = comment_id(&ana.comment(STORY, "Removed by a moderator.").await);
    let deleted = comment_id(&ana.comment(STORY, "Deleted by its author.").await);
    let embargoed_story = "/articles/seagrass-returning-to-ommel-estuary";
    let embargoed = comment_id(&ana.comment(embargoed_story, "Under a story moved to the future.").await);

    let markers = [app.reader("marker_one").await, app.reader("marker_two").await];
    for (id, times) in [(shown, 2), (also_shown, 1), (held, 2), (removed, 2), (deleted, 1), (embargoed, 2)] {
        for marker in &markers[..times] {
            let token = marker.csrf(STORY).await;
            let answer =
                marker.post(&format!("/comments/{id}/respect"), &[("csrf_token", &token), ("respect", "give")]).await;
            assert_eq!(answer.status(), 303);
        }
    }
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'held' WHERE id = {held}")).unwrap();
    let moderator = app.staff("shown_mod", Role::Moderator).await;
    let remove = format!("/admin/comments/{removed}/remove");
    assert_eq!(moderator.submit("/admin/queue/recent", &remove, &[("reason", "Spam")]).await.status(), 303);
    let delete = format!("/comments/{deleted}/delete");
    assert_eq!(ana.submit(&delete, &delete, &[]).await.status(), 303);
    let future = (now() + TimeDelta::days(2)).format("%Y-%m-%d %H:%M:%S");
    app.conn()
        .batch_execute(&format!(
            "UPDATE articles SET published_at = '{future}' WHERE slug = 'seagrass-returning-to-ommel-estuary'"
        ))
        .unwrap();

    let (_, page) = profile(&app, "/readers/ana_reader").await;
    assert_eq!(listed(&page), ["Shown and respected once.", "Shown and respected twice."]);
    assert_eq!(figures(&page), "2 comments · 3 marks of respect received");
    let counts = texts(&html(&page), ".profile-comments .respect-count");
    assert_eq!(counts, ["1 reader respects this", "2 readers respect this"]);
    // The same as the article page shows anonymous readers.
    for (id, expected) in [(shown, true), (held, false), (removed, false), (deleted, false)] {
        assert_eq!(shown_on_article(&app, STORY, id).await, expected, "comment {id} on the article");
    }
    assert_eq!(app.browser().page(embargoed_story).await.0, 404, "the embargoed story is hidden");
    // The author sees their held comment on the article; the profile is
    // everyone's, so it still does not list it.
    let (_, own) = ana.page("/readers/ana_reader").await;
    assert_eq!(listed(&own), listed(&page));
}

async fn unknown_names_are_not_found_and_other_spellings_move(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let ana = reader(&app, "Ana_Reader", "Ana Lind").await;
    ana.comment(STORY, "Spelled my way.").await;
    let (status, page) = profile(&app, "/readers/nobody_at_all").await;
    assert_eq!(status, 404);
    assert!(page.contains("<main") && page.contains("Page not found"), "the site's error page");

    for (asked, moved_to) in
        [("/readers/ana_reader", "/readers/Ana_Reader"), ("/readers/ANA_READER?page=1", "/readers/Ana_Reader?page=1")]
    {
        let response = app.browser().get(asked).await;
        assert_eq!(response.status(), 301, "{asked}");
        assert_eq!(location(&response), moved_to);
    }
    let (status, page) = profile(&app, "/readers/Ana_Reader").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&page), ["Spelled my way."]);
}

/// A deleted account's comments read "Comment deleted"; its profile says
/// it is gone (410) and lists nothing.
async fn a_deleted_account_is_gone(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let leaver = reader(&app, "leaving_reader", "Leaving Reader").await;
    let id = comment_id(&leaver.comment(STORY, "My last words here.").await);
    assert_eq!(profile(&app, "/readers/leaving_reader").await.0, 200);
    let response = leaver.submit("/account", "/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(response.status(), 303);

    for path in ["/readers/leaving_reader", "/readers/LEAVING_READER"] {
        let (status, page) = profile(&app, path).await;
        assert_eq!(status, 410, "{path}");
        let doc = html(&page);
        assert_eq!(texts(&doc, "main h1"), ["Account deleted"]);
        assert!(page.contains("deleted their account"));
        assert!(texts(&doc, ".reply-item").is_empty() && !page.contains("My last words"), "nothing listed");
    }
    let (_, article) = app.browser().page(STORY).await;
    let doc = html(&article);
    assert_eq!(texts(&doc, &format!("#comment-{id} .tombstone")), ["Comment deleted"]);
    assert!(!article.contains("/readers/leaving_reader"), "no name shown, so none linked");
}

/// A banned reader's comments stay on the article pages; so they stay on
/// the profile.
async fn a_banned_readers_profile_shows_what_the_articles_show(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let troll = reader(&app, "banned_one", "Banned One").await;
    let id = comment_id(&troll.comment(STORY, "Said before the ban.").await);
    let moderator = app.staff("ban_desk", Role::Moderator).await;
    let user_page = "/admin/users/banned_one";
    let ban = format!("{user_page}/ban");
    let response = moderator.submit(user_page, &ban, &[("reason", "Abuse"), ("length", "7")]).await;
    assert_eq!(response.status(), 303);

    assert!(shown_on_article(&app, STORY, id).await, "the article still shows the comment");
    let (status, page) = profile(&app, "/readers/banned_one").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&page), ["Said before the ban."]);
    assert_eq!(texts(&html(&page), "h1"), ["Banned One"]);
}

async fn only_a_profile_with_nothing_shown_asks_not_to_be_indexed(backend: Backend) {
    let Some(app) = site(backend).await else { return };
    let quiet = reader(&app, "quiet_one", "Quiet One").await;
    let (status, page) = profile(&app, "/readers/quiet_one").await;
    assert_eq!(status, 200);
    assert!(noindex(&page));
    assert_eq!(figures(&page), "0 comments · 0 marks of respect received");
    assert_eq!(texts(&html(&page), ".empty-state"), ["Quiet One has no comments to show."]);

    let held = comment_id(&quiet.comment(STORY, "Waiting for a look.").await);
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'held' WHERE id = {held}")).unwrap();
    assert!(noindex(&profile(&app, "/readers/quiet_one").await.1), "a held comment is not shown");

    quiet.comment(STORY, "Now something everyone sees.").await;
    let (_, page) = profile(&app, "/readers/quiet_one").await;
    assert!(!noindex(&page));
    assert!(!page.contains("noindex"));
    assert_eq!(listed(&page), ["Now something everyone sees."]);
}

/// Every comment's author name links to their profile: in the thread (for
/// visitors and logged-in readers alike), in the editors' and readers'
/// picks, and on the replies page.
async fn author_names_link_to_their_profiles(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, |config| {
        config.page_cache_bytes = 4 * 1024 * 1024;
        common::unlimited(config);
    })
    .await
    else {
        return;
    };
    let ana = reader(&app, "ana_reader", "Ana Lind").await;
    let ben = reader(&app, "ben_reader", "Ben Moor").await;
    let top = comment_id(&ana.comment(STORY, "The wall needs more than a patch.").await);
    let answer = comment_id(&ben.reply(STORY, top, "Agreed, and soon.").await);
    let author_link = |page: &str, id: i32| attrs(&html(page), &format!("#comment-{id} a.comment-author"), "href");

    let visitor = app.browser();
    for (who, browser) in [("visitor", &visitor), ("ana", &ana), ("ben", &ben)] {
        let (_, page) = browser.page(STORY).await;
        assert_eq!(author_link(&page, top), ["/readers/ana_reader"], "{who}");
        assert_eq!(author_link(&page, answer), ["/readers/ben_reader"], "{who}");
        assert_eq!(texts(&html(&page), &format!("#comment-{top} a.comment-author")), ["Ana Lind"], "{who}");
    }
    let (_, replies) = ana.page("/account/replies").await;
    assert_eq!(attrs(&html(&replies), ".reply-item a.comment-author", "href"), ["/readers/ben_reader"]);

    let moderator = app.staff("picks_mod", Role::Moderator).await;
    let feature = format!("/admin/comments/{top}/feature");
    assert_eq!(moderator.submit("/admin/queue/recent", &feature, &[]).await.status(), 303);
    let (_, page) = app.browser().page(STORY).await;
    assert_eq!(attrs(&html(&page), ".featured-comments a.comment-author", "href"), ["/readers/ana_reader"]);
}

/// Anonymous readers get the profile from the page cache, and a new
/// comment shows at once.
async fn anonymous_profiles_are_kept_and_follow_changes(backend: Backend) {
    let Some(app) = TestApp::with_demo_configured(backend, |config| {
        config.page_cache_bytes = 4 * 1024 * 1024;
        common::unlimited(config);
    })
    .await
    else {
        return;
    };
    let ana = reader(&app, "ana_reader", "Ana Lind").await;
    ana.comment(STORY, "Before.").await;
    let visitor = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = app.url("/readers/ana_reader");
    let cache_state = |response: &reqwest::Response| {
        response.headers().get(STATUS_HEADER).map(|v| v.to_str().unwrap_or_default().to_string())
    };
    let first = visitor.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = visitor.get(&url).send().await.unwrap();
    assert_eq!(cache_state(&second).as_deref(), Some("hit"), "the second answer comes from memory");
    assert_eq!(listed(&second.text().await.unwrap()), ["Before."]);

    ana.comment(STORY, "After.").await;
    let third = visitor.get(&url).send().await.unwrap();
    assert_ne!(cache_state(&third).as_deref(), Some("hit"));
    assert_eq!(listed(&third.text().await.unwrap()), ["After.", "Before."], "the new comment shows at once");
}

/// The "Reader since" line names the month the account was made.
#[test]
fn reader_since_is_the_month_of_the_account() {
    let at = chrono::NaiveDate::from_ymd_opt(2025, 3, 9).unwrap().and_hms_opt(8, 0, 0).unwrap();
    let user = User {
        id: 1,
        username: "ana".into(),
        display_name: "Ana Lind".into(),
        password_hash: String::new(),
        role: Role::Admin,
        created_at: at,
        banned_at: None,
        banned_until: None,
        ban_reason: None,
        deleted_at: None,
        replies_seen_at: None,
        unseen_replies: 0,
        muted_count: 0,
        premoderated_at: None,
        premoderation_reason: String::new(),
        email: None,
        email_confirmed_at: None,
        notify_replies: false,
        notify_featured: false,
        notify_removed: false,
        notify_digest: false,
    };
    let view = newsdesk::views::profile::ReaderView::new(&user, Default::default());
    assert_eq!((view.since.as_str(), view.since_iso.as_str()), ("March 2025", "2025-03"));
    assert_eq!(view.staff_badge, Some("Editor"));
}

on_both_backends!(
    lists_shown_comments_newest_first_with_their_stories,
    pages_of_twenty_follow_the_discussion_pages,
    only_shown_comments_are_listed_and_counted,
    unknown_names_are_not_found_and_other_spellings_move,
    a_deleted_account_is_gone,
    a_banned_readers_profile_shows_what_the_articles_show,
    only_a_profile_with_nothing_shown_asks_not_to_be_indexed,
    author_names_link_to_their_profiles,
    anonymous_profiles_are_kept_and_follow_changes,
);
