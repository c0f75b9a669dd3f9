//! The benchmark's data: the demo newsroom with a 100-comment discussion,
//! then, in bulk SQL (not through HTTP), a big site: 10,000 more articles,
//! 1,000 readers and 1,000,000 comments, one story among them carrying a
//! 100,000-comment discussion.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use newsdesk::db::schema::{article_authors, article_tags, articles, comments};
use newsdesk::db::{Database, DbConn};
use newsdesk::models::comment::{self, Comment, Placement};
use newsdesk::models::{Article, Role, User};
use newsdesk::security::passwords;
use newsdesk::state::now;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const FLAGSHIP: &str = "storm-surge-breaches-callowhaven-harbour-wall";
/// The big site's breaking story: the flagship's text under a new address,
/// with 100,000 comments.
pub const BREAKING: &str = "breaking-callowhaven-harbour-wall-live";
pub const PASSWORD: &str = "bench-password-for-readers";
/// Readers who log in over HTTP (one connection each in the POST run).
pub const READERS: usize = 64;

type Result<T> = std::result::Result<T, String>;

fn sql_error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub fn reader_name(n: usize) -> String {
    format!("bench_reader_{n}")
}

/// Demo content, readers who can log in, and the flagship's discussion:
/// 50 threads of a comment and one reply, 100 comments on one page.
pub fn seed_small(db: &Database) -> Result<()> {
    let mut conn = db.conn().map_err(sql_error)?;
    newsdesk::import::load_demo_if_empty(&mut conn, now()).map_err(sql_error)?;
    let hash = passwords::hash(PASSWORD)?;
    let mut ids = Vec::new();
    for n in 0..READERS + 8 {
        let name = reader_name(n);
        match User::create(&mut conn, &name, &name.replace('_', " "), &hash, Role::Reader, now()).map_err(sql_error)? {
            Ok(user) => ids.push(user.id),
            Err(_) => return Err(format!("{name} already exists: seed a fresh database")),
        }
    }
    // Forty older stories, so every list page (sections, authors, topics,
    // the home page's blocks) is as full here as on the big site: the two
    // are then compared page for page, and only the data behind them grows.
    bulk_articles(&mut conn, now(), &mut StdRng::seed_from_u64(7), SMALL_FILLER, TimeDelta::days(7), "filler-story")?;
    let article = Article::id_by_slug(&mut conn, FLAGSHIP).map_err(sql_error)?.ok_or("the demo has no flagship")?;
    let start = now() - TimeDelta::hours(3);
    for n in 0..50 {
        let at = start + TimeDelta::seconds(n * 120);
        let author = ids[READERS + (n as usize % 8)];
        let body = comment_text(n as u64);
        let top = Comment::insert(
            &mut conn,
            article,
            author,
            Placement::TOP_LEVEL,
            &body,
            comment::CommentStatus::Published,
            at,
        )
        .map_err(sql_error)?;
        let parent = Comment::by_id(&mut conn, top).map_err(sql_error)?.ok_or("comment vanished")?;
        let reply_author = ids[READERS + ((n as usize + 3) % 8)];
        let reply = comment_text(n as u64 + 7_000);
        Comment::insert(
            &mut conn,
            article,
            reply_author,
            Placement::reply_to(&parent),
            &reply,
            comment::CommentStatus::Published,
            at + TimeDelta::seconds(60),
        )
        .map_err(sql_error)?;
    }
    Ok(())
}

const OPENINGS: [&str; 12] = [
    "I walked past the",
    "My grandmother always said the",
    "Nobody on the council seems to understand that the",
    "Having lived here for thirty years, I think the",
    "Good reporting. The",
    "Can someone explain why the",
    "We were flooded in 2019 and the",
    "I disagree with the last comment: the",
    "Worth remembering that the",
    "As a fisherman, I can tell you the",
    "The photos make it clear the",
    "Honestly, the",
];
const SUBJECTS: [&str; 12] = [
    "harbour wall",
    "ferry timetable",
    "library roof",
    "sea defences",
    "bypass plan",
    "fish market",
    "school run",
    "bus shelter",
    "wind farm",
    "old pier",
    "flood barrier",
    "town budget",
];
const ENDINGS: [&str; 10] = [
    "needed work long before this storm.",
    "was a disaster waiting to happen.",
    "deserves more money than it gets.",
    "should be the first thing they fix.",
    "is the best thing about this town.",
    "has been ignored by every administration.",
    "could be rebuilt for less than they claim.",
    "will cost us more if they wait another winter.",
    "needs a proper public meeting, not a press release.",
    "was fine until the contractors got involved.",
];

/// A reader's comment, varied by `n`, about 120 characters.
fn comment_text(n: u64) -> String {
    let pick =
        |list: &[&'static str], salt: u64| list[((n.wrapping_mul(2654435761) >> salt) % list.len() as u64) as usize];
    format!(
        "{} {} {} (comment {n}) https://example.org/notes/{}",
        pick(&OPENINGS, 3),
        pick(&SUBJECTS, 7),
        pick(&ENDINGS, 11),
        n % 997
    )
}

/// What the big site added, for the report.
pub struct BigSite {
    pub articles: usize,
    pub comments: u64,
    pub recent_comments: u64,
    pub breaking_comments: u64,
    /// The slug of a typical generated story (about 90 comments).
    pub typical_slug: String,
    pub author_slug: String,
    pub tag_slug: String,
    pub seconds: f64,
}

const BIG_ARTICLES: usize = 10_000;
const SMALL_FILLER: usize = 40;
const BIG_READERS: usize = 1_000;
const BIG_COMMENTS: u64 = 1_000_000;
const BREAKING_COMMENTS: u64 = 100_000;
/// Rows per INSERT statement.
const BATCH: usize = 500;

/// Adds the big site to a seeded database, in bulk.
pub fn grow_big(db: &Database) -> Result<BigSite> {
    let started = std::time::Instant::now();
    let mut conn = db.conn().map_err(sql_error)?;
    let conn = &mut *conn;
    // Bulk statements here run far longer than a request's may.
    if db.backend() == newsdesk::db::Backend::Postgres {
        conn.batch_execute("SET statement_timeout = 0").map_err(sql_error)?;
    }
    let now = now();
    let mut rng = StdRng::seed_from_u64(20261202);

    let first_reader = bulk_readers(conn, now)?;
    let (first_article, author_slug, tag_slug) =
        bulk_articles(conn, now, &mut rng, BIG_ARTICLES, TimeDelta::zero(), "bench-story")?;
    let breaking = copy_flagship(conn, now)?;

    // Comments: the breaking story's 100,000 over the last 20 hours, then
    // 900,000 over the generated stories, each story's within three days of
    // its publication (so only the last week's stories get recent ones).
    let mut next_id: i64 = conn_max_id(conn, "comments")? + 1;
    let mut written = 0u64;
    let mut recent = 0u64;
    let week_ago = now - TimeDelta::days(7);
    let mut rows: Vec<String> = Vec::with_capacity(BATCH);
    let breaking_start = now - TimeDelta::hours(20);
    let step_ms = (20 * 3600 * 1000) / BREAKING_COMMENTS as i64;
    let flush = |conn: &mut DbConn, rows: &mut Vec<String>| -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // A transaction a batch: the triggers update one story's figures
        // row per comment, and PostgreSQL slows to a crawl updating one row
        // many thousand times inside a single transaction.
        let sql = format!(
            "BEGIN; INSERT INTO comments (id, article_id, user_id, parent_id, root_id, depth, body, status, created_at, deleted_at) VALUES {}; COMMIT",
            rows.join(",")
        );
        rows.clear();
        conn.batch_execute(&sql).map_err(sql_error)
    };
    for pair in 0..BREAKING_COMMENTS / 2 {
        let at = breaking_start + TimeDelta::milliseconds(step_ms * 2 * pair as i64);
        let (top, reply) = (next_id, next_id + 1);
        next_id += 2;
        let user = first_reader + (pair as i32 % (BIG_READERS as i32 - 1));
        rows.push(comment_row(top, breaking, user, None, 1, &comment_text(pair * 2), &mut rng, at));
        rows.push(comment_row(
            reply,
            breaking,
            user + 1,
            Some(top),
            2,
            &comment_text(pair * 2 + 1),
            &mut rng,
            at + TimeDelta::milliseconds(step_ms),
        ));
        written += 2;
        recent += 2;
        if rows.len() >= BATCH {
            flush(conn, &mut rows)?;
        }
    }
    let per_article = (BIG_COMMENTS - BREAKING_COMMENTS) / BIG_ARTICLES as u64;
    let published: Vec<(i32, NaiveDateTime)> = articles::table
        .filter(articles::id.ge(first_article))
        .filter(articles::slug.ne(BREAKING))
        .order(articles::id)
        .select((articles::id, articles::published_at))
        .load(conn)
        .map_err(sql_error)?;
    for (article, published_at) in &published {
        let span_ms = ((now - *published_at).num_milliseconds()).clamp(60_000, 3 * 24 * 3600 * 1000);
        for pair in 0..per_article / 2 {
            let offset = span_ms * (2 * pair as i64 + 1) / (per_article as i64 + 1);
            let at = *published_at + TimeDelta::milliseconds(offset);
            let (top, reply) = (next_id, next_id + 1);
            next_id += 2;
            let user = first_reader + rng.random_range(0..BIG_READERS as i32 - 1);
            let n = written;
            rows.push(comment_row(top, *article, user, None, 1, &comment_text(n), &mut rng, at));
            rows.push(comment_row(
                reply,
                *article,
                user + 1,
                Some(top),
                2,
                &comment_text(n + 1),
                &mut rng,
                at + TimeDelta::seconds(30),
            ));
            written += 2;
            if at >= week_ago {
                recent += 2;
            }
            if rows.len() >= BATCH {
                flush(conn, &mut rows)?;
            }
        }
    }
    flush(conn, &mut rows)?;
    if let DbConn::Pg(_) = conn {
        for table in ["comments", "articles", "users"] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .map_err(sql_error)?;
        }
        // What autovacuum does after a load this size: statistics, and the
        // visibility map that lets a count read an index alone.
        conn.batch_execute("VACUUM ANALYZE").map_err(sql_error)?;
    }
    // No ANALYZE on SQLite: an operator who never runs it is the common
    // case, and with its STAT4 samples SQLite re-plans every statement with
    // a range on an indexed column whenever the bound value changes (every
    // `published_at <= now`), which costs more than it saves here.
    let typical_slug = articles::table
        .filter(articles::id.eq(published.get(published.len() / 2).map_or(0, |p| p.0)))
        .select(articles::slug)
        .first(conn)
        .map_err(sql_error)?;
    Ok(BigSite {
        articles: published.len() + 1,
        comments: written,
        recent_comments: recent,
        breaking_comments: BREAKING_COMMENTS,
        typical_slug,
        author_slug,
        tag_slug,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[allow(clippy::too_many_arguments)]
fn comment_row(
    id: i64,
    article: i32,
    user: i32,
    parent: Option<i64>,
    depth: i32,
    body: &str,
    rng: &mut StdRng,
    at: NaiveDateTime,
) -> String {
    // One comment in a hundred removed by a moderator, one deleted by its
    // author: the thread shows both as tombstones.
    let roll: u32 = rng.random_range(0..100);
    let (status, deleted) = match roll {
        0 => ("removed", "NULL".to_string()),
        1 => ("published", format!("'{}'", stamp(at + TimeDelta::minutes(5)))),
        _ => ("published", "NULL".to_string()),
    };
    let body = if roll == 1 { String::new() } else { body.replace('\'', "''") };
    let parent_sql = parent.map_or("NULL".to_string(), |p| p.to_string());
    format!(
        "({id}, {article}, {user}, {parent_sql}, {parent_sql}, {depth}, '{body}', '{status}', '{}', {deleted})",
        stamp(at)
    )
}

fn stamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn conn_max_id(conn: &mut DbConn, table: &str) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let row: Max = diesel::sql_query(format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM {table}"))
        .get_result(conn)
        .map_err(sql_error)?;
    Ok(row.n)
}

/// 1,000 readers who comment (they cannot log in): returns the first id.
fn bulk_readers(conn: &mut DbConn, now: NaiveDateTime) -> Result<i32> {
    let first = conn_max_id(conn, "users")? + 1;
    let created = stamp(now - TimeDelta::days(400));
    let rows: Vec<String> = (0..BIG_READERS as i64)
        .map(|n| {
            let id = first + n;
            format!("({id}, 'crowd{n}', 'crowd{n}', 'Crowd Reader {n}', '!', 'reader', '{created}', '{created}')")
        })
        .collect();
    for chunk in rows.chunks(BATCH) {
        conn.batch_execute(&format!(
            "INSERT INTO users (id, username, username_key, display_name, password_hash, role, created_at, password_changed_at) VALUES {}",
            chunk.join(",")
        ))
        .map_err(sql_error)?;
    }
    Ok(first as i32)
}

const PLACES: [&str; 16] = [
    "Callowhaven",
    "Hessock",
    "Brindle Quay",
    "Fennick Bay",
    "Harrowfell",
    "Ommel",
    "Sorrel",
    "Tarn Cross",
    "Wexley Down",
    "Marrow Point",
    "Gullsend",
    "Pellow",
    "Rookwater",
    "Ashby Stray",
    "Quillon",
    "Dunmere",
];
/// Forty subjects: a story names three of them, so any one word of a
/// search matches a few per cent of the archive, as in a real one.
const TOPICS: [&str; 40] = [
    "council vote",
    "school expansion",
    "ferry service",
    "harbour works",
    "bus route",
    "housing plan",
    "hospital wing",
    "cycle lane",
    "market hall",
    "winter festival",
    "fishing quota",
    "sea wall",
    "library hours",
    "wind turbines",
    "road closure",
    "museum exhibit",
    "county budget",
    "rail timetable",
    "care home",
    "youth club",
    "allotment rents",
    "beach clean",
    "parking charges",
    "lifeboat appeal",
    "quarry plan",
    "choir concert",
    "village fete",
    "football ground",
    "broadband rollout",
    "dental practice",
    "bridge repairs",
    "post office",
    "recycling centre",
    "tourist tax",
    "grain store",
    "swimming pool",
    "planning appeal",
    "arts grant",
    "police station",
    "bakery closure",
];
const GENERIC: [&str; 6] = [
    "Officials say a fuller answer will come after the next review, which several groups have asked to see in draft.",
    "Residents who spoke at the last public meeting said they had heard the same promises before.",
    "A spokesperson said the figures would be published once the accounts had been checked.",
    "Opposition members called for an independent review and a vote before the spring.",
    "Local businesses say the uncertainty has made it hard to plan for the season ahead.",
    "The consultation closes at the end of the month, and responses can be sent by post.",
];

/// `count` stories, ten a day back from `newest` ago, with the demo's
/// sections, bylines and tags in turn: returns the first id, an author's
/// slug and a tag's slug.
fn bulk_articles(
    conn: &mut DbConn,
    now: NaiveDateTime,
    rng: &mut StdRng,
    count: usize,
    newest: TimeDelta,
    slug_prefix: &str,
) -> Result<(i32, String, String)> {
    use newsdesk::db::schema::{authors, sections, tags};
    let section_ids: Vec<i32> = sections::table.select(sections::id).load(conn).map_err(sql_error)?;
    let author_rows: Vec<(i32, String)> =
        authors::table.select((authors::id, authors::slug)).order(authors::id).load(conn).map_err(sql_error)?;
    let tag_rows: Vec<(i32, String)> =
        tags::table.select((tags::id, tags::slug)).order(tags::id).load(conn).map_err(sql_error)?;
    let first = conn_max_id(conn, "articles")? + 1;
    conn.batch_execute("BEGIN").map_err(sql_error)?;
    for n in 0..count {
        let id = first as i32 + n as i32;
        let place = PLACES[rng.random_range(0..PLACES.len())];
        let topic = TOPICS[rng.random_range(0..TOPICS.len())];
        let other = TOPICS[rng.random_range(0..TOPICS.len())];
        let headline = format!("{place} {topic}: what the latest decision means ({n})");
        let dek = format!("Residents of {place} weigh in on the {topic} and the {other}.");
        let paragraphs: Vec<String> = (0..8)
            .map(|p| {
                let place = PLACES[rng.random_range(0..PLACES.len())];
                let generic = GENERIC[rng.random_range(0..GENERIC.len())];
                match p {
                    0 => format!("People in {place} have followed the {topic} closely this year. {generic}"),
                    4 => format!("The {other} came up too, and the questions have not changed much. {generic}"),
                    _ => format!("{generic} Several people in {place} said they would keep asking."),
                }
            })
            .collect();
        let markdown = paragraphs.join("\n\n");
        let html: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
        // Ten a day, newest last: the last week holds about seventy.
        let published = now - newest - TimeDelta::minutes(((count - n) as i64) * 144);
        diesel::insert_into(articles::table)
            .values((
                articles::id.eq(id),
                articles::slug.eq(format!("{slug_prefix}-{n}")),
                articles::headline.eq(&headline),
                articles::dek.eq(&dek),
                articles::body_markdown.eq(&markdown),
                articles::body_html.eq(&html),
                articles::body_text.eq(&markdown),
                articles::section_id.eq(section_ids[n % section_ids.len()]),
                articles::image_alt.eq(""),
                articles::image_caption.eq(""),
                articles::image_credit.eq(""),
                articles::published_at.eq(published),
                articles::comments_open.eq(true),
                articles::imported_at.eq(now),
            ))
            .execute(conn)
            .map_err(sql_error)?;
        let (author, _) = &author_rows[n % author_rows.len()];
        diesel::insert_into(article_authors::table)
            .values((
                article_authors::article_id.eq(id),
                article_authors::author_id.eq(author),
                article_authors::position.eq(0),
            ))
            .execute(conn)
            .map_err(sql_error)?;
        let (tag, _) = &tag_rows[n % tag_rows.len()];
        diesel::insert_into(article_tags::table)
            .values((article_tags::article_id.eq(id), article_tags::tag_id.eq(tag)))
            .execute(conn)
            .map_err(sql_error)?;
    }
    conn.batch_execute("COMMIT").map_err(sql_error)?;
    Ok((first as i32, author_rows[0].1.clone(), tag_rows[0].1.clone()))
}

/// The flagship's text as the breaking story, published a day ago.
fn copy_flagship(conn: &mut DbConn, now: NaiveDateTime) -> Result<i32> {
    let source = Article::id_by_slug(conn, FLAGSHIP).map_err(sql_error)?.ok_or("no flagship")?;
    let id = conn_max_id(conn, "articles")? as i32 + 1;
    let published = stamp(now - TimeDelta::hours(22));
    conn.batch_execute(&format!(
        "INSERT INTO articles (id, slug, headline, dek, body_markdown, body_html, body_text, section_id, image_url, \
         image_alt, image_caption, image_credit, published_at, updated_at, comments_open, imported_at) \
         SELECT {id}, '{BREAKING}', 'Live: ' || headline, dek, body_markdown, body_html, body_text, section_id, \
         image_url, image_alt, image_caption, image_credit, '{published}', NULL, comments_open, imported_at \
         FROM articles WHERE id = {source};
         INSERT INTO article_authors (article_id, author_id, position) \
         SELECT {id}, author_id, position FROM article_authors WHERE article_id = {source};
         INSERT INTO article_tags (article_id, tag_id) SELECT {id}, tag_id FROM article_tags WHERE article_id = {source};"
    ))
    .map_err(sql_error)?;
    Ok(id)
}

/// Comments whose text starts with `prefix` (what the POST run stored).
pub fn count_with_prefix(db: &Database, prefix: &str) -> Result<i64> {
    let mut conn = db.conn().map_err(sql_error)?;
    comments::table.filter(comments::body.like(format!("{prefix}%"))).count().get_result(&mut *conn).map_err(sql_error)
}

/// Top-level comments readers can see under a story (for its last page).
pub fn threads_of(db: &Database, slug: &str) -> Result<i64> {
    let mut conn = db.conn().map_err(sql_error)?;
    let article = Article::id_by_slug(&mut conn, slug).map_err(sql_error)?.ok_or("no such story")?;
    comments::table
        .filter(comments::article_id.eq(article))
        .filter(comments::parent_id.is_null())
        .filter(comments::status.ne(comment::CommentStatus::Held.as_str()))
        .count()
        .get_result(&mut *conn)
        .map_err(sql_error)
}
