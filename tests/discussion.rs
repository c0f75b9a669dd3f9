//! Long discussions: pages are ranges of thread numbers (oldest or newest
//! first, permalinks included), held threads wait at the newest end, and the
//! figures the triggers keep (counts, threads, picks, per-day counts, new
//! replies, listing dates) stay equal to what counting would give, whatever
//! changes a comment, on both databases.

mod common;

use chrono::TimeDelta;
use common::{Backend, TestApp, attrs, html, location, texts};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use newsdesk::db::DbConn;
use newsdesk::db::schema::{comments, users};
use newsdesk::models::comment::{self, Comment, Placement};
use newsdesk::models::discussion::{Discussion, Figures};
use newsdesk::models::{Article, Role, User, replies};
use newsdesk::state::now;

const STORY: &str = "/articles/sea-wall-repairs-row";

fn article_id(app: &TestApp, path: &str) -> i32 {
    let slug = path.rsplit('/').next().unwrap();
    Article::id_by_slug(&mut app.conn(), slug).unwrap().unwrap()
}

fn make_user(app: &TestApp, name: &str) -> i32 {
    User::create(&mut app.conn(), name, name, "not-a-real-hash", Role::Reader, now()).unwrap().unwrap().id
}

fn insert(
    app: &TestApp,
    article: i32,
    user: i32,
    placement: Placement,
    body: &str,
    status: comment::CommentStatus,
) -> Comment {
    let id = Comment::insert(&mut app.conn(), article, user, placement, body, status, now()).unwrap();
    Comment::by_id(&mut app.conn(), id).unwrap().unwrap()
}

/// The top-level comments a page shows, by their text.
async fn threads_on(app: &TestApp, path: &str) -> Vec<String> {
    let (status, body) = app.browser().page(path).await;
    assert_eq!(status, 200, "{path}");
    texts(&html(&body), "li.depth-1 > article .comment-text")
}

async fn pages_are_ranges_of_thread_numbers_both_ways(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let user = make_user(&app, "long_talker");
    let mut threads = Vec::new();
    for n in 1..=120 {
        let top = insert(
            &app,
            article,
            user,
            Placement::TOP_LEVEL,
            &format!("thread {n}"),
            comment::CommentStatus::Published,
        );
        assert_eq!(top.thread_no, Some(n), "numbered in order");
        if n % 10 == 0 {
            let reply = insert(
                &app,
                article,
                user,
                Placement::reply_to(&top),
                &format!("reply {n}"),
                comment::CommentStatus::Published,
            );
            assert_eq!(reply.thread_no, top.thread_no, "a reply carries its thread's number");
        }
        threads.push(top);
    }
    let oldest = |page: i64| if page == 1 { STORY.to_string() } else { format!("{STORY}?page={page}") };
    let first = threads_on(&app, &oldest(1)).await;
    assert_eq!((first.len(), first[0].as_str(), first[49].as_str()), (50, "thread 1", "thread 50"));
    let third = threads_on(&app, &oldest(3)).await;
    assert_eq!(third, (101..=120).map(|n| format!("thread {n}")).collect::<Vec<_>>());
    let newest = threads_on(&app, &format!("{STORY}?sort=newest")).await;
    assert_eq!((newest[0].as_str(), newest[49].as_str()), ("thread 120", "thread 71"));
    let last_newest = threads_on(&app, &format!("{STORY}?sort=newest&page=3")).await;
    assert_eq!(last_newest, (1..=20).rev().map(|n| format!("thread {n}")).collect::<Vec<_>>());
    assert_eq!(app.get(&format!("{STORY}?page=4")).await.status(), 404);
    assert_eq!(app.get(&format!("{STORY}?sort=newest&page=4")).await.status(), 404);
    // Replies come with their thread, on its page.
    let (_, body) = app.browser().page(&oldest(3)).await;
    assert_eq!(texts(&html(&body), "li.depth-2 .comment-text"), ["reply 110", "reply 120"]);
    // Permalinks find the page by arithmetic.
    let thread_101 = &threads[100];
    let response = app.get(&format!("/comments/{}", thread_101.id)).await;
    assert_eq!(location(&response), format!("{STORY}?page=3#comment-{}", thread_101.id));
    assert_eq!(texts(&html(&app.browser().page(STORY).await.1), ".comment-count"), ["132 comments"]);
}

async fn held_threads_wait_at_the_newest_end_then_take_the_next_number(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let others = make_user(&app, "other_voices");
    for n in 1..=60 {
        insert(&app, article, others, Placement::TOP_LEVEL, &format!("thread {n}"), comment::CommentStatus::Published);
    }
    let writer = app.reader("held_writer").await;
    let writer_id = User::by_username(&mut app.conn(), "held_writer").unwrap().unwrap().id;
    let held =
        insert(&app, article, writer_id, Placement::TOP_LEVEL, "waiting for a moderator", comment::CommentStatus::Held);
    assert_eq!(held.thread_no, None, "no number while held");
    insert(&app, article, others, Placement::TOP_LEVEL, "thread 61", comment::CommentStatus::Published);

    // Its author sees it where the newest comments are; nobody else does.
    let page_two = format!("{STORY}?page=2");
    let (_, own) = writer.page(&page_two).await;
    let own_threads = texts(&html(&own), "li.depth-1 > article .comment-text");
    assert_eq!(own_threads.last().map(String::as_str), Some("waiting for a moderator"));
    assert_eq!(texts(&html(&own), ".comment-count"), ["62 comments"], "their own held comment counts for them");
    let (_, own_newest) = writer.page(&format!("{STORY}?sort=newest")).await;
    assert_eq!(texts(&html(&own_newest), "li.depth-1 > article .comment-text")[0], "waiting for a moderator");
    assert!(!threads_on(&app, &page_two).await.contains(&"waiting for a moderator".to_string()));
    assert_eq!(texts(&html(&app.browser().page(STORY).await.1), ".comment-count"), ["61 comments"]);
    assert_eq!(
        location(&writer.get(&format!("/comments/{}", held.id)).await),
        format!("{page_two}#comment-{}", held.id)
    );

    // Approved, it takes the next number and shows at the end for everyone.
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'published' WHERE id = {}", held.id)).unwrap();
    let approved = Comment::by_id(&mut app.conn(), held.id).unwrap().unwrap();
    assert_eq!(approved.thread_no, Some(62));
    assert_eq!(threads_on(&app, &page_two).await.last().map(String::as_str), Some("waiting for a moderator"));
    assert_eq!(Discussion::page_of(&mut app.conn(), &approved).unwrap(), 2);
}

/// What the triggers keep, against counting it from the comments.
fn counted(conn: &mut DbConn, article: i32) -> Figures {
    let visible = comments::table
        .filter(comments::article_id.eq(article))
        .filter(comments::status.eq(comment::CommentStatus::Published.as_str()))
        .filter(comments::deleted_at.is_null());
    let figures_comments: i64 = visible.count().get_result(conn).unwrap();
    let featured: i64 = visible.filter(comments::featured_at.is_not_null()).count().get_result(conn).unwrap();
    let threads: Option<i32> = comments::table
        .filter(comments::article_id.eq(article))
        .select(diesel::dsl::max(comments::thread_no))
        .first(conn)
        .unwrap();
    let kept = Figures::of(conn, article).unwrap();
    Figures {
        comments: figures_comments as i32,
        threads: threads.unwrap_or(0),
        featured: featured as i32,
        version: kept.version,
    }
}

fn assert_figures(app: &TestApp, article: i32, step: &str) -> i64 {
    let mut conn = app.conn();
    let kept = Figures::of(&mut conn, article).unwrap();
    assert_eq!(kept, counted(&mut conn, article), "after {step}");
    kept.version
}

async fn figures_follow_every_change_to_a_comment(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let user = make_user(&app, "figure_maker");
    let mut version = assert_figures(&app, article, "nothing");
    let top = insert(&app, article, user, Placement::TOP_LEVEL, "a thread", comment::CommentStatus::Published);
    let reply = insert(&app, article, user, Placement::reply_to(&top), "a reply", comment::CommentStatus::Published);
    let held = insert(&app, article, user, Placement::TOP_LEVEL, "held", comment::CommentStatus::Held);
    let steps = [
        ("inserts", String::new()),
        ("a deletion", format!("UPDATE comments SET deleted_at = '2026-01-01 00:00:00' WHERE id = {}", reply.id)),
        ("a removal", format!("UPDATE comments SET status = 'removed' WHERE id = {}", top.id)),
        ("a restore", format!("UPDATE comments SET status = 'published' WHERE id = {}", top.id)),
        ("a feature", format!("UPDATE comments SET featured_at = '2026-01-02 00:00:00' WHERE id = {}", top.id)),
        (
            "an edit",
            format!("UPDATE comments SET body = 'edited', edited_at = '2026-01-03 00:00:00' WHERE id = {}", top.id),
        ),
        ("an approval", format!("UPDATE comments SET status = 'published' WHERE id = {}", held.id)),
        ("a row deleted", format!("DELETE FROM comments WHERE id = {}", reply.id)),
        ("the story changed", format!("UPDATE articles SET comments_open = FALSE WHERE id = {article}")),
    ];
    for (step, sql) in steps {
        if !sql.is_empty() {
            app.conn().batch_execute(&sql).unwrap();
        }
        let now_version = assert_figures(&app, article, step);
        assert!(now_version > version, "{step} moves the version");
        version = now_version;
    }
    // The featured pick shows only while the figures say there is one.
    let (_, body) = app.browser().page(STORY).await;
    assert_eq!(texts(&html(&body), ".featured-comments blockquote"), ["edited"]);
    app.conn()
        .batch_execute(&format!("UPDATE comments SET deleted_at = '2026-01-04 00:00:00' WHERE id = {}", top.id))
        .unwrap();
    assert_figures(&app, article, "deleting the pick");
    let (_, body) = app.browser().page(STORY).await;
    assert!(texts(&html(&body), ".featured-comments").is_empty());
}

/// The header's count of new replies, kept by triggers, equals counting them.
async fn unseen_reply_counts_follow_every_change(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let (asker, answerer) = (make_user(&app, "count_asker"), make_user(&app, "count_answerer"));
    let check = |step: &str| {
        let mut conn = app.conn();
        let user = User::by_id(&mut conn, asker).unwrap().unwrap();
        let since = user.replies_seen_at.unwrap_or(user.created_at);
        assert_eq!(replies::unseen(&user), replies::count_since(&mut conn, &user, since).unwrap(), "after {step}");
        replies::unseen(&user)
    };
    let question = insert(&app, article, asker, Placement::TOP_LEVEL, "question", comment::CommentStatus::Published);
    let answer =
        insert(&app, article, answerer, Placement::reply_to(&question), "answer", comment::CommentStatus::Published);
    let own = insert(
        &app,
        article,
        asker,
        Placement::reply_to(&question),
        "my own follow-up",
        comment::CommentStatus::Published,
    );
    let deeper =
        insert(&app, article, answerer, Placement::reply_to(&own), "deeper", comment::CommentStatus::Published);
    let deepest = insert(
        &app,
        article,
        answerer,
        Placement::reply_to(&deeper),
        "deepest, naming them",
        comment::CommentStatus::Published,
    );
    assert_eq!(deepest.reply_to_user_id, Some(answerer), "past the third level a reply names whom it answers");
    let to_asker =
        insert(&app, article, answerer, Placement::reply_to(&own), "another", comment::CommentStatus::Published);
    // The answer, and the two under their follow-up; not their own, and
    // not the deepest, which names its own author.
    assert_eq!(check("replies"), 3);
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'removed' WHERE id = {}", answer.id)).unwrap();
    assert_eq!(check("a removal"), 2);
    app.conn().batch_execute(&format!("UPDATE comments SET status = 'published' WHERE id = {}", answer.id)).unwrap();
    app.conn()
        .batch_execute(&format!("UPDATE comments SET deleted_at = '2026-01-01 00:00:00' WHERE id = {}", to_asker.id))
        .unwrap();
    assert_eq!(check("a restore and a deletion"), 2);
    replies::mark_seen(&mut app.conn(), asker, now() + TimeDelta::seconds(1)).unwrap();
    assert_eq!(check("marking as read"), 0);
    app.conn().batch_execute(&format!("DELETE FROM comments WHERE id = {}", answer.id)).unwrap();
    assert_eq!(check("deleting a reply read already"), 0);
    Comment::insert(
        &mut app.conn(),
        article,
        answerer,
        Placement::reply_to(&question),
        "a later answer",
        comment::CommentStatus::Published,
        now() + TimeDelta::seconds(5),
    )
    .unwrap();
    assert_eq!(check("a new reply"), 1);
    let stored = users::table.find(asker).select(users::unseen_replies).first::<i32>(&mut *app.conn()).unwrap();
    assert_eq!(stored, 1);
}

/// An author's and a topic's page read their stories' times from copies the
/// triggers keep: a story moved in time moves on those pages too.
async fn author_and_topic_pages_follow_a_story_moved_in_time(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let author_page = "/authors/imogen-tarrant";
    let (_, before) = app.browser().page(author_page).await;
    let first_before = attrs(&html(&before), ".card-headline a", "href");
    assert!(!first_before.is_empty());
    let oldest = first_before.last().unwrap().clone();
    let slug = oldest.rsplit('/').next().unwrap();
    let later = (now() - TimeDelta::minutes(1)).format("%Y-%m-%d %H:%M:%S");
    app.conn().batch_execute(&format!("UPDATE articles SET published_at = '{later}' WHERE slug = '{slug}'")).unwrap();
    let (_, after) = app.browser().page(author_page).await;
    assert_eq!(attrs(&html(&after), ".card-headline a", "href")[0], oldest, "the moved story now leads");
    let future = (now() + TimeDelta::days(2)).format("%Y-%m-%d %H:%M:%S");
    app.conn().batch_execute(&format!("UPDATE articles SET published_at = '{future}' WHERE slug = '{slug}'")).unwrap();
    let (_, embargoed) = app.browser().page(author_page).await;
    assert!(!attrs(&html(&embargoed), ".card-headline a", "href").contains(&oldest), "an embargoed story leaves");
}

/// Writes queued together share a transaction; each piece still stands
/// alone: one that fails leaves nothing behind and does not take the others
/// with it, and every answer comes after the commit.
async fn shared_write_transactions_keep_each_piece_apart(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let article = article_id(&app, STORY);
    let user = make_user(&app, "batched_writer");
    let db = app.state.db.clone();
    let pieces = (0..30).map(|n| {
        let db = db.clone();
        async move {
            db.write(move |conn| {
                let id = Comment::insert(
                    conn,
                    article,
                    user,
                    Placement::TOP_LEVEL,
                    &format!("piece {n}"),
                    comment::CommentStatus::Published,
                    now(),
                )?;
                if n % 10 == 3 {
                    return Err(newsdesk::error::AppError::Internal(format!("piece {n} gives up after writing")));
                }
                Ok(id)
            })
            .await
        }
    });
    let outcomes = futures_util::future::join_all(pieces).await;
    let stored: Vec<String> = comments::table
        .filter(comments::article_id.eq(article))
        .filter(comments::user_id.eq(user))
        .select(comments::body)
        .load(&mut *app.conn())
        .unwrap();
    for (n, outcome) in outcomes.iter().enumerate() {
        let text = format!("piece {n}");
        match outcome {
            Ok(id) => {
                assert!(stored.contains(&text), "{text} was acknowledged, so it is stored");
                assert!(Comment::by_id(&mut app.conn(), *id).unwrap().is_some());
            }
            Err(_) => assert!(!stored.contains(&text), "{text} failed, so nothing of it stays"),
        }
    }
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 3);
    assert_eq!(stored.len(), 27);
    assert_figures(&app, article, "the shared transactions");
}

/// Many readers posting at once: every comment answered 303 is stored and
/// found at its permalink.
async fn a_burst_of_comments_is_all_stored(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    // Five sign-ups (the most one address may make), three comments each
    // (a reader's burst).
    let mut readers = Vec::new();
    for n in 0..5 {
        readers.push(app.reader(&format!("burst_{n}")).await);
    }
    let posts = readers.iter().enumerate().flat_map(|(r, reader)| {
        (0..3).map(move |n| async move { reader.comment(STORY, &format!("burst {r}-{n}")).await })
    });
    let responses = futures_util::future::join_all(posts).await;
    let (_, body) = app.browser().page(STORY).await;
    for response in &responses {
        assert_eq!(response.status(), 303);
        let id = common::comment_id(response);
        assert_eq!(texts(&html(&body), &format!("#comment-{id} .comment-author")).len(), 1, "comment {id}");
    }
    assert_eq!(texts(&html(&body), ".comment-count"), ["15 comments"]);
}

on_both_backends!(
    shared_write_transactions_keep_each_piece_apart,
    a_burst_of_comments_is_all_stored,
    pages_are_ranges_of_thread_numbers_both_ways,
    held_threads_wait_at_the_newest_end_then_take_the_next_number,
    figures_follow_every_change_to_a_comment,
    unseen_reply_counts_follow_every_change,
    author_and_topic_pages_follow_a_story_moved_in_time,
);
