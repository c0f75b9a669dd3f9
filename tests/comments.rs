//! The discussion under articles: posting, replying, threading, sorting,
//! paging, editing, deleting, and comments that come back with a problem,
//! on both databases.

mod common;

use common::{Backend, Browser, PASSWORD, TestApp, attrs, comment_id, html, location, texts};
use diesel::connection::SimpleConnection;
use newsdesk::models::comment::{self, Comment, Placement};
use newsdesk::models::{Article, Role, User};
use newsdesk::state::now;

const STORY: &str = "/articles/sea-wall-repairs-row";
const CLOSED: &str = "/articles/obituary-elsie-carnow";

fn article_id(app: &TestApp, path: &str) -> i32 {
    let slug = path.rsplit('/').next().unwrap();
    Article::id_by_slug(&mut app.conn(), slug).unwrap().unwrap()
}

/// The text of the comment with this id as the page shows it.
fn comment_text(body: &str, id: i32) -> String {
    texts(&html(body), &format!("#comment-{id} .comment-text")).join(" ")
}

async fn a_reader_posts_and_finds_the_comment_at_its_permalink(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("first_voice").await;
    let response = reader.comment(STORY, "The north wall has needed work for years.\nGlad it is finally news.").await;
    assert_eq!(response.status(), 303);
    let id = comment_id(&response);
    assert_eq!(location(&response), format!("{STORY}#comment-{id}"));
    // Stored before the redirect: anyone's next request sees it.
    let (_, body) = app.browser().page(STORY).await;
    let doc = html(&body);
    assert_eq!(texts(&doc, ".comment-count"), ["1 comment"]);
    assert_eq!(texts(&doc, &format!("#comment-{id} .comment-author")), ["first_voice"]);
    assert_eq!(texts(&doc, &format!("#comment-{id} .avatar")), ["F"]);
    assert_eq!(texts(&doc, &format!("#comment-{id} .comment-text p")).len(), 2, "each line a paragraph");
    assert!(attrs(&doc, &format!("#comment-{id} time"), "datetime")[0].ends_with('Z'));
    assert_eq!(attrs(&doc, &format!("#comment-{id} a.permalink"), "href"), [format!("#comment-{id}")]);
    // The count shows on cards too, linking to the discussion.
    let (_, home) = app.browser().page("/sections/politics").await;
    assert!(attrs(&html(&home), "a.comment-link", "href").contains(&format!("{STORY}#comments")));
    assert!(texts(&html(&home), "a.comment-link").contains(&"1 comment".to_string()));
}

async fn readers_not_logged_in_see_the_thread_and_a_way_in(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    app.reader("talker").await.comment(STORY, "Visible to everyone.").await;
    let visitor = app.browser();
    let (_, body) = visitor.page(STORY).await;
    let doc = html(&body);
    assert!(body.contains("Visible to everyone."));
    assert!(texts(&doc, "form.comment-form").is_empty(), "no form for visitors");
    let login = attrs(&doc, ".comment-prompt a", "href");
    assert_eq!(login[0], "/login?next=%2Farticles%2Fsea-wall-repairs-row%23comments");
    assert_eq!(texts(&doc, ".comment-prompt a")[0], "Log in to comment");
    // Following it, logging in comes back to the discussion.
    app.reader("returning").await.logout().await;
    let token = visitor.csrf(&login[0]).await;
    let response = visitor
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", "returning"),
                ("password", PASSWORD),
                ("next", "/articles/sea-wall-repairs-row#comments"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/articles/sea-wall-repairs-row#comments");
}

async fn replies_nest_three_deep_then_name_who_they_answer(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let ana = app.reader("ana").await;
    let ben = app.reader("ben").await;
    let top = comment_id(&ana.comment(STORY, "Level one").await);
    let second = comment_id(&ben.reply(STORY, top, "Level two").await);
    let third = comment_id(&ana.reply(STORY, second, "Level three").await);
    let fourth = ben.reply(STORY, third, "Answering level three").await;
    assert_eq!(fourth.status(), 303);
    let fourth = comment_id(&fourth);
    let (_, body) = app.browser().page(STORY).await;
    let doc = html(&body);
    assert_eq!(attrs(&doc, "li.depth-1 > article", "id"), [format!("comment-{top}")]);
    assert_eq!(attrs(&doc, "li.depth-2 > article", "id"), [format!("comment-{second}")]);
    assert_eq!(
        attrs(&doc, "li.depth-3 > article", "id"),
        [format!("comment-{third}"), format!("comment-{fourth}")],
        "the fourth level joins the third"
    );
    assert_eq!(texts(&doc, &format!("#comment-{fourth} .replying-to")), ["Replying to @ana"]);
    assert_eq!(texts(&doc, ".comment-count"), ["4 comments"]);
    // The reply page shows what is being answered.
    let (status, reply) = ben.page(&format!("/comments/{top}/reply")).await;
    assert_eq!(status, 200);
    assert!(reply.contains("Level one") && reply.contains("Reply to ana"));
    // A reply to a comment of another article is refused, text kept.
    let other = comment_id(&ana.comment("/articles/lantern-theatre-winter-season", "Elsewhere").await);
    let token = ben.csrf(STORY).await;
    let wrong = ben
        .post(
            &format!("{STORY}/comments"),
            &[("csrf_token", &token), ("body", "Misplaced reply"), ("parent_id", &other.to_string())],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("Misplaced reply"));
}

async fn comments_sort_oldest_first_or_newest_first(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let user = make_user(&app, "sorter");
    let base = now() - chrono::TimeDelta::hours(3);
    for (n, minutes) in [("first", 0), ("second", 10), ("third", 20)] {
        Comment::insert(
            &mut app.conn(),
            article,
            user,
            Placement::TOP_LEVEL,
            n,
            comment::CommentStatus::Published,
            base + chrono::TimeDelta::minutes(minutes),
        )
        .unwrap();
    }
    let (_, oldest) = app.browser().page(STORY).await;
    assert_eq!(texts(&html(&oldest), "li.depth-1 .comment-text"), ["first", "second", "third"]);
    let (_, newest) = app.browser().page(&format!("{STORY}?sort=newest")).await;
    let doc = html(&newest);
    assert_eq!(texts(&doc, "li.depth-1 .comment-text"), ["third", "second", "first"]);
    assert_eq!(attrs(&doc, ".comment-sort a[aria-current]", "href"), [format!("{STORY}?sort=newest#comments")]);
}

/// An account made directly in the database (for tests that need many comments).
fn make_user(app: &TestApp, name: &str) -> i32 {
    User::create(&mut app.conn(), name, name, "not-a-real-hash", Role::Reader, now()).unwrap().unwrap().id
}

async fn top_level_comments_page_at_fifty(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let user = make_user(&app, "prolific");
    let start = now() - chrono::TimeDelta::days(1);
    let mut ids = Vec::new();
    for n in 0..120 {
        let at = start + chrono::TimeDelta::seconds(n);
        ids.push(
            Comment::insert(
                &mut app.conn(),
                article,
                user,
                Placement::TOP_LEVEL,
                &format!("Comment {n}"),
                comment::CommentStatus::Published,
                at,
            )
            .unwrap(),
        );
    }
    let (_, first) = app.browser().page(STORY).await;
    let doc = html(&first);
    assert_eq!(texts(&doc, "li.depth-1").len(), 50);
    assert_eq!(texts(&doc, ".comment-count"), ["120 comments"]);
    assert_eq!(attrs(&doc, ".comments .pager a[rel=next]", "href"), [format!("{STORY}?page=2#comments")]);
    let (status, third) = app.browser().page(&format!("{STORY}?page=3")).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&html(&third), "li.depth-1").len(), 20);
    assert_eq!(app.browser().page(&format!("{STORY}?page=4")).await.0, 404);
    // A comment's own link finds its page.
    let response = app.browser().get(&format!("/comments/{}", ids[110])).await;
    assert_eq!(location(&response), format!("{STORY}?page=3#comment-{}", ids[110]));
}

async fn authors_edit_within_fifteen_minutes(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let author = app.reader("editor_of_own").await;
    let other = app.reader("someone_else").await;
    let id = comment_id(&author.comment(STORY, "Frist!").await);
    let (_, page) = author.page(STORY).await;
    assert_eq!(
        attrs(&html(&page), &format!("#comment-{id} .comment-actions a"), "href")[1],
        format!("/comments/{id}/edit")
    );
    let edit_page = format!("/comments/{id}/edit");
    let response = author.submit(&edit_page, &edit_page, &[("body", "First, I meant.")]).await;
    assert_eq!(response.status(), 303);
    let (_, page) = app.browser().page(STORY).await;
    assert_eq!(comment_text(&page, id), "First, I meant.");
    assert_eq!(texts(&html(&page), &format!("#comment-{id} .edited")), ["edited"]);
    // Someone else cannot.
    let token = other.csrf(STORY).await;
    assert_eq!(other.post(&edit_page, &[("csrf_token", &token), ("body", "hijacked")]).await.status(), 403);
    assert_eq!(other.get(&edit_page).await.status(), 403);
    // Once the window has passed, the edit is refused and the text kept.
    app.conn()
        .batch_execute(&format!("UPDATE comments SET created_at = '2020-01-01 00:00:00' WHERE id = {id}"))
        .unwrap();
    let token = author.csrf(STORY).await;
    let late = author.post(&edit_page, &[("csrf_token", &token), ("body", "Too late to change")]).await;
    assert_eq!(late.status(), 403);
    let body = late.text().await.unwrap();
    assert!(body.contains("15 minutes"));
    assert_eq!(texts(&html(&body), "#comment-body"), ["Too late to change"]);
    assert_eq!(comment_text(&app.browser().page(STORY).await.1, id), "First, I meant.");
}

async fn deleting_leaves_a_tombstone_and_the_replies(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let author = app.reader("regretful").await;
    let replier = app.reader("replier").await;
    let id = comment_id(&author.comment(STORY, "Something I regret").await);
    let reply = comment_id(&replier.reply(STORY, id, "I saw it").await);
    let delete = format!("/comments/{id}/delete");
    assert_eq!(replier.submit(STORY, &delete, &[]).await.status(), 403, "not theirs to delete");
    let (status, confirm) = author.page(&delete).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Delete your comment?") && confirm.contains("Something I regret"));
    let response = author.submit(&delete, &delete, &[]).await;
    assert_eq!(location(&response), format!("{STORY}#comment-{id}"));
    let (_, page) = app.browser().page(STORY).await;
    let doc = html(&page);
    assert_eq!(texts(&doc, &format!("#comment-{id}")), ["Comment deleted"]);
    assert!(!page.contains("Something I regret"));
    assert_eq!(texts(&doc, &format!("#comment-{reply} .comment-text")), ["I saw it"]);
    assert_eq!(texts(&doc, ".comment-count"), ["1 comment"]);
    let stored = Comment::by_id(&mut app.conn(), id).unwrap().unwrap();
    assert!(stored.body.is_empty(), "the text is gone from the database too");
}

async fn closed_articles_keep_their_thread_but_take_no_comments(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, CLOSED);
    let user = make_user(&app, "earlier");
    Comment::insert(
        &mut app.conn(),
        article,
        user,
        Placement::TOP_LEVEL,
        "Posted before closing",
        comment::CommentStatus::Published,
        now(),
    )
    .unwrap();
    let reader = app.reader("too_late").await;
    let (_, page) = reader.page(CLOSED).await;
    assert!(page.contains("Posted before closing"));
    assert!(page.contains("Comments are closed on this article."));
    assert!(texts(&html(&page), "form.comment-form").is_empty());
    let token = reader.csrf("/account").await;
    let response = reader.post(&format!("{CLOSED}/comments"), &[("csrf_token", &token), ("body", "Let me in")]).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("Comments are closed"));
}

async fn a_refused_comment_comes_back_with_its_text(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("wordy").await;
    let long = "é".repeat(5001);
    let cases = [
        (long.as_str(), 422, "at most 5,000"),
        ("   \n  ", 422, "Write something"),
        ("ding\u{7}dong", 422, "control characters"),
    ];
    for (text, status, says) in cases {
        let response = reader.comment(STORY, text).await;
        assert_eq!(response.status(), status);
        let body = response.text().await.unwrap();
        let doc = html(&body);
        assert!(texts(&doc, "#comment-error")[0].contains(says), "{says}");
        assert_eq!(attrs(&doc, "#comment-body", "aria-invalid"), ["true"]);
        let kept: String =
            doc.select(&scraper::Selector::parse("#comment-body").unwrap()).next().unwrap().text().collect();
        assert_eq!(kept, text, "the text comes back exactly as typed");
    }
    // A stale form token: the comment comes back to be posted again.
    let stale = reader.post(&format!("{STORY}/comments"), &[("csrf_token", "stale"), ("body", "Keep me")]).await;
    assert_eq!(stale.status(), 403);
    let body = stale.text().await.unwrap();
    assert!(body.contains("had expired") && texts(&html(&body), "#comment-body") == ["Keep me"]);
    let again = reader.submit(STORY, &format!("{STORY}/comments"), &[("body", "Keep me")]).await;
    assert_eq!(again.status(), 303);
}

async fn an_expired_session_keeps_the_comment_for_after_log_in(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("slow_writer").await;
    let token = reader.csrf(STORY).await;
    // The session ends while the reader is still writing.
    app.conn().batch_execute("DELETE FROM sessions").unwrap();
    let text = "A long considered thought\nover two lines";
    // Sent from the site's own page, as a browser says in its Origin header:
    // only then is the text kept for later.
    let response = reader
        .client
        .post(reader.url(&format!("{STORY}/comments")))
        .header("Origin", app.address.as_str())
        .form(&[("csrf_token", token.as_str()), ("body", text)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    let doc = html(&body);
    assert!(texts(&doc, "#comment-error")[0].contains("session has ended"));
    assert_eq!(texts(&doc, "#comment-body"), [text.replace('\n', " ")]);
    let login = attrs(&doc, "form.comment-form .notice a", "href")[0].clone();
    assert_eq!(login, "/login?next=%2Farticles%2Fsea-wall-repairs-row%23comment-form");
    // After logging in, the text is waiting in the form.
    let token = reader.csrf(&login).await;
    let response = reader
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", "slow_writer"),
                ("password", PASSWORD),
                ("next", "/articles/sea-wall-repairs-row#comment-form"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, page) = reader.page(STORY).await;
    let form_text: String =
        html(&page).select(&scraper::Selector::parse("#comment-body").unwrap()).next().unwrap().text().collect();
    assert_eq!(form_text, text);
    assert_eq!(reader.comment(STORY, text).await.status(), 303);
    let (_, page) = reader.page(STORY).await;
    assert!(attrs(&html(&page), "#comment-body", "id").len() == 1);
    let emptied: String =
        html(&page).select(&scraper::Selector::parse("#comment-body").unwrap()).next().unwrap().text().collect();
    assert!(emptied.is_empty(), "the draft is cleared once posted");
}

async fn a_failure_on_our_side_keeps_the_comment(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("unlucky").await;
    // The database refuses new comments (a full disk, say).
    let refuse = match backend {
        Backend::Sqlite => "CREATE TRIGGER refuse BEFORE INSERT ON comments BEGIN SELECT RAISE(ABORT, 'disk is full'); END;",
        Backend::Postgres => {
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk is full'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse BEFORE INSERT ON comments FOR EACH ROW EXECUTE FUNCTION refuse();"
        }
    };
    app.conn().batch_execute(refuse).unwrap();
    let text = "This took me twenty minutes to write.";
    let response = reader.comment(STORY, text).await;
    assert_eq!(response.status(), 503);
    let body = response.text().await.unwrap();
    assert!(texts(&html(&body), "#comment-error")[0].contains("problem on our side"));
    assert_eq!(texts(&html(&body), "#comment-body"), [text]);
    assert!(texts(&html(&body), "h1")[0].starts_with("Opposition demands"), "the article page, form and all");
    assert!(!body.contains("disk is full"), "no internals leak");
    // Worse: the discussion cannot even be read. The form still comes back.
    let gone = match backend {
        Backend::Sqlite => "DROP TABLE comments",
        Backend::Postgres => "DROP TABLE comments CASCADE",
    };
    app.conn().batch_execute(gone).unwrap();
    let response = reader.submit("/account", &format!("{STORY}/comments"), &[("body", text)]).await;
    assert_eq!(response.status(), 503);
    let body = response.text().await.unwrap();
    assert_eq!(texts(&html(&body), "h1"), ["Your comment was not posted"]);
    assert_eq!(texts(&html(&body), "#comment-body"), [text]);
}

async fn posting_too_fast_is_limited_with_the_text_kept(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("rapid").await;
    for n in 0..3 {
        assert_eq!(reader.comment(STORY, &format!("Burst {n}")).await.status(), 303);
    }
    let response = reader.comment(STORY, "One too many").await;
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait));
    let body = response.text().await.unwrap();
    assert!(texts(&html(&body), "#comment-error")[0].contains("Wait"));
    assert_eq!(texts(&html(&body), "#comment-body"), ["One too many"]);
    // Another reader is not held back by the first one's pace.
    assert_eq!(app.reader("patient").await.comment(STORY, "My turn").await.status(), 303);
}

async fn the_page_query_count_stays_bounded_with_200_comments(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let users: Vec<i32> = (0..5).map(|n| make_user(&app, &format!("crowd{n}"))).collect();
    let viewer = app.reader("counting").await;
    let count = |app: &TestApp| app.queries();
    // Warm caches, then measure with a few comments.
    viewer.page(STORY).await;
    let mut parent: Option<Comment> = None;
    let mut add = |n: usize| {
        let placement = match (&parent, n % 4) {
            (Some(p), 1..=2) => Placement::reply_to(p),
            _ => Placement::TOP_LEVEL,
        };
        let id = Comment::insert(
            &mut app.conn(),
            article,
            users[n % 5],
            placement,
            &format!("Crowd {n}"),
            comment::CommentStatus::Published,
            now(),
        )
        .unwrap();
        parent = Comment::by_id(&mut app.conn(), id).unwrap();
    };
    for n in 0..10 {
        add(n);
    }
    let before = count(&app);
    assert_eq!(viewer.page(STORY).await.0, 200);
    let few = count(&app) - before;
    for n in 10..200 {
        add(n);
    }
    let before = count(&app);
    let (_, body) = viewer.page(STORY).await;
    let many = count(&app) - before;
    assert!(texts(&html(&body), ".comment-text").len() >= 100, "the page shows a long discussion");
    assert_eq!(many, few, "queries for 200 comments ({many}) equal those for 10 ({few})");
    // Session, viewer (the account, whose row carries the new-replies
    // count), and the article: the story with its discussion figures, the
    // settings, byline, tags, one range of threads and the reader's own held
    // comments. Eight on SQLite; PostgreSQL adds the pool's connection check
    // for each of the three hand-offs. (It was 17: the counts, the replies
    // count and the session's expiry write were queries on every view.)
    assert!(many <= 11, "article page with comments ran {many} queries");
}

async fn the_header_and_form_follow_the_reader(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let reader = app.reader("header_check").await;
    let (_, page) = reader.page(STORY).await;
    let doc = html(&page);
    assert_eq!(texts(&doc, ".signed-in a"), ["header_check"]);
    assert_eq!(attrs(&doc, "form.comment-form", "action"), [format!("{STORY}/comments")]);
    assert_eq!(attrs(&doc, "label[for=comment-body]", "for").len(), 1);
    let other = Browser::new(&app.address);
    let (_, page) = other.page(STORY).await;
    assert!(texts(&html(&page), ".signed-in").is_empty());
}

/// The home page lists the week's most discussed stories, counting only
/// comments readers can see that were posted in the past seven days.
async fn the_home_page_lists_the_most_discussed_stories(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let (_, home) = app.page("/").await;
    assert!(texts(&html(&home), ".most-discussed").is_empty(), "no list before anyone comments");

    let theatre = "/articles/lantern-theatre-winter-season";
    let library = "/articles/hessock-library-reopens-after-restoration";
    // Three readers, as each may post three comments in a row.
    let (one, two, three) =
        (app.reader("talker_one").await, app.reader("talker_two").await, app.reader("talker_three").await);
    for n in 1..=2 {
        one.comment(STORY, &format!("Sea wall thought {n}")).await;
        two.comment(theatre, &format!("Theatre thought {n}")).await;
    }
    one.comment(STORY, "Sea wall thought 3").await;
    three.comment(library, "A library comment").await;
    let deleted = comment_id(&three.comment(library, "A library comment taken back").await);
    let delete = format!("/comments/{deleted}/delete");
    assert_eq!(three.submit(&delete, &delete, &[]).await.status(), 303);
    // The theatre's third comment is years old: outside the week.
    let old = comment_id(&three.comment(theatre, "Theatre thought from long ago").await);
    app.conn()
        .batch_execute(&format!("UPDATE comments SET created_at = '2020-01-01 00:00:00' WHERE id = {old}"))
        .unwrap();

    let (_, home) = app.page("/").await;
    let doc = html(&home);
    assert_eq!(
        texts(&doc, ".most-discussed li > a"),
        [
            "Opposition demands sea wall repairs be brought forward after inspection report",
            "Lantern Theatre opens winter season with a new play about the herring girls",
            "Hessock library reopens after two-year restoration",
        ]
    );
    assert_eq!(
        texts(&doc, ".most-discussed .meta a[href$='#comments']"),
        ["3 comments this week", "2 comments this week", "1 comment this week"]
    );
    assert_eq!(texts(&doc, ".most-discussed .meta a[href^='/sections/']")[0], "Politics");
    assert_eq!(attrs(&doc, ".most-discussed li > a", "href")[0], STORY);
}

/// A reader sees who answered their comments: a count of new replies in the
/// header, and a page listing them that can be marked as read.
async fn readers_see_the_replies_to_their_comments(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let asker = app.reader("asker").await;
    let answerer = app.reader("answerer").await;
    let badge = |page: &str| texts(&html(page), ".account-bar .count-badge");
    let question = comment_id(&asker.comment(STORY, "Does anyone know when the repairs start?").await);
    let (_, home) = asker.page("/").await;
    assert_eq!(texts(&html(&home), ".account-bar a[href='/account/replies']"), ["Replies"]);
    assert!(badge(&home).is_empty());
    let (status, empty) = asker.page("/account/replies").await;
    assert_eq!(status, 200);
    assert!(empty.contains("Nobody has replied to your comments yet"));

    // A reply, a reply to that (third level), and one deeper that attaches at
    // the third level but answers the asker; their own reply and a deleted
    // one do not count.
    let first = comment_id(&answerer.reply(STORY, question, "In the spring, the council says.").await);
    asker.reply(STORY, question, "Talking to myself here.").await;
    let third_level = comment_id(&asker.reply(STORY, first, "Which spring, this one?").await);
    let deep = comment_id(&answerer.reply(STORY, third_level, "This one, from March.").await);
    let taken_back = comment_id(&answerer.reply(STORY, question, "Actually, ignore me.").await);
    let delete = format!("/comments/{taken_back}/delete");
    assert_eq!(answerer.submit(&delete, &delete, &[]).await.status(), 303);

    let (_, article) = asker.page(STORY).await;
    assert_eq!(badge(&article), ["2 new"]);
    let (_, page) = asker.page("/account/replies").await;
    let doc = html(&page);
    assert_eq!(texts(&doc, ".reply-item .comment-text"), ["This one, from March.", "In the spring, the council says."]);
    assert_eq!(texts(&doc, ".reply-item.is-new").len(), 2);
    assert_eq!(
        attrs(&doc, ".reply-item .comment-actions a", "href"),
        [format!("/comments/{deep}"), format!("/comments/{first}")]
    );
    assert!(texts(&doc, ".reply-context")[1].contains("answering “Does anyone know when the repairs start?”"));
    assert!(texts(&doc, ".reply-context")[0].contains("Opposition demands sea wall repairs"));
    let (_, theirs) = answerer.page("/account/replies").await;
    assert_eq!(texts(&html(&theirs), ".reply-item .comment-text"), ["Which spring, this one?"]);

    // Marked as read: the count goes, the list stays.
    let seen = asker.submit("/account/replies", "/account/replies/seen", &[]).await;
    assert_eq!(seen.status(), 303);
    assert_eq!(location(&seen), "/account/replies");
    let (_, page) = asker.page("/account/replies").await;
    let doc = html(&page);
    assert!(badge(&page).is_empty());
    assert!(texts(&doc, ".reply-item.is-new").is_empty());
    assert_eq!(texts(&doc, ".reply-item").len(), 2);
    assert!(page.contains("No new replies since you last looked."));

    let (status, _) = app.browser().page("/account/replies").await;
    assert_eq!(status, 303, "visitors are sent to log in");
    assert_eq!(asker.page("/account/replies?page=2").await.0, 404);
}

on_both_backends!(
    readers_see_the_replies_to_their_comments,
    the_home_page_lists_the_most_discussed_stories,
    a_reader_posts_and_finds_the_comment_at_its_permalink,
    readers_not_logged_in_see_the_thread_and_a_way_in,
    replies_nest_three_deep_then_name_who_they_answer,
    comments_sort_oldest_first_or_newest_first,
    top_level_comments_page_at_fifty,
    authors_edit_within_fifteen_minutes,
    deleting_leaves_a_tombstone_and_the_replies,
    closed_articles_keep_their_thread_but_take_no_comments,
    a_refused_comment_comes_back_with_its_text,
    an_expired_session_keeps_the_comment_for_after_log_in,
    a_failure_on_our_side_keeps_the_comment,
    posting_too_fast_is_limited_with_the_text_kept,
    the_page_query_count_stays_bounded_with_200_comments,
    the_header_and_form_follow_the_reader,
);
