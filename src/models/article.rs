use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamp};

use super::discussion::Figures;
use super::{Author, Page, page_count};
use crate::db::schema::{article_authors, article_tags, articles, discussions, sections};
use crate::db::{DbConn, MultiBackend};

/// A whole article as stored.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct Article {
    pub id: i32,
    pub slug: String,
    pub headline: String,
    pub dek: String,
    pub body_html: String,
    pub section_id: i32,
    pub image_url: Option<String>,
    pub image_alt: String,
    pub image_caption: String,
    pub image_credit: String,
    pub published_at: NaiveDateTime,
    pub updated_at: Option<NaiveDateTime>,
    pub comments_open: bool,
    pub unpublished_at: Option<NaiveDateTime>,
    /// The newsroom's correction note, and when the import first saw it.
    pub correction: Option<String>,
    pub corrected_at: Option<NaiveDateTime>,
    /// How the story takes comments (set from /admin/articles/SLUG).
    #[diesel(deserialize_as = String)]
    pub comment_mode: CommentMode,
    /// "Our reporter asks: …", shown above the comment form; may be empty.
    pub comment_prompt: String,
}

text_values! {
    /// How a story takes comments.
    pub enum CommentMode {
        /// Readers' comments are published at once (the site's holds apply).
        Open = "open",
        /// Every reader's comment waits for a moderator.
        Premoderated = "premoderated",
        /// Readers ask questions, which wait in the Questions queue until
        /// the newsroom answers them.
        Questions = "questions",
    }
}

impl CommentMode {
    pub fn label(self) -> &'static str {
        match self {
            CommentMode::Open => "Open",
            CommentMode::Premoderated => "Pre-moderated",
            CommentMode::Questions => "Q&A",
        }
    }
}

/// The longest prompt above a story's comment form.
pub const MAX_PROMPT_CHARS: usize = 300;

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = articles)]
#[diesel(treat_none_as_null = true)]
pub struct ArticleFields<'a> {
    pub slug: &'a str,
    pub headline: &'a str,
    pub dek: &'a str,
    pub body_markdown: &'a str,
    pub body_html: &'a str,
    pub body_text: &'a str,
    pub section_id: i32,
    pub image_url: Option<&'a str>,
    pub image_alt: &'a str,
    pub image_caption: &'a str,
    pub image_credit: &'a str,
    pub published_at: NaiveDateTime,
    pub updated_at: Option<NaiveDateTime>,
    pub comments_open: bool,
    pub imported_at: NaiveDateTime,
    pub correction: Option<&'a str>,
    pub corrected_at: Option<NaiveDateTime>,
}

/// An article in the admin list: id, slug, headline, published, comments
/// open, taken down (when).
pub type ArticleSummary = (i32, String, String, NaiveDateTime, bool, Option<NaiveDateTime>, String);

/// What readers may see of a story now: out of its embargo and not taken
/// down. The one condition every query that lists or shows stories uses
/// (the raw SQL ones say the same with `shown_sql!`), so no page, feed,
/// sitemap or search can forget a takedown. The articles' own indexes
/// (`published_at`, `(section_id, published_at)`) still give the order and
/// range; the takedown is a check on each row they yield, and takedowns are
/// few. Bylines' and tags' copies of the time are NULL for a story taken
/// down (migration 000017), so their index ranges never reach it.
pub type Shown = diesel::dsl::And<
    diesel::dsl::LtEq<articles::published_at, NaiveDateTime>,
    diesel::dsl::IsNull<articles::unpublished_at>,
>;

pub fn shown(now: NaiveDateTime) -> Shown {
    articles::published_at.le(now).and(articles::unpublished_at.is_null())
}

/// `shown` for raw SQL over `articles a`, with the placeholder for `now`.
#[macro_export]
macro_rules! shown_sql {
    ($now:literal) => {
        concat!("a.published_at <= ", $now, " AND a.unpublished_at IS NULL")
    };
}

/// Why a reading query found no story: taken down (410 Gone, so readers
/// and search engines learn it was withdrawn) or never there / not out yet
/// (404).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absence {
    Missing,
    TakenDown,
}

/// What a list of stories shows about each one.
#[derive(Clone, Debug)]
pub struct ArticleCard {
    pub id: i32,
    pub slug: String,
    pub headline: String,
    pub dek: String,
    pub image_url: Option<String>,
    pub image_alt: String,
    pub published_at: NaiveDateTime,
    pub section_slug: String,
    pub section_name: String,
    pub section_id: i32,
    pub authors: Vec<Author>,
    pub comment_count: i64,
}

type CardRow = (i32, String, String, String, Option<String>, String, NaiveDateTime, String, String, i32);

/// Which published articles a list shows.
#[derive(Clone, Debug)]
pub enum CardFilter {
    All,
    Section(i32),
    Author(i32),
    Tag(i32),
}

type CardQuery<'a> = diesel::dsl::IntoBoxed<'a, diesel::dsl::InnerJoin<articles::table, sections::table>, MultiBackend>;

/// For an author's or a topic's list, the ids of its newest published
/// stories, read in order from the byline's or tag's own index (see the
/// `listing_dates` migration): a page costs the same however many stories
/// the list holds. None for the lists that `published_cards` reads directly.
fn newest_listed(
    conn: &mut DbConn,
    filter: &CardFilter,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Option<Vec<i32>>> {
    // The same read on either link table: its rows for one author or tag,
    // published by now, newest first.
    macro_rules! newest {
        ($table:ident, $key:ident, $id:expr) => {
            $table::table
                .filter($table::$key.eq($id))
                .filter($table::published_at.le(now))
                .order(($table::published_at.desc(), $table::article_id.desc()))
                .offset(offset)
                .limit(limit)
                .select($table::article_id)
                .load(conn)
                .map(Some)
        };
    }
    match *filter {
        CardFilter::Author(id) => newest!(article_authors, author_id, id),
        CardFilter::Tag(id) => newest!(article_tags, tag_id, id),
        CardFilter::All | CardFilter::Section(_) => Ok(None),
    }
}

/// How many published stories a list holds (an index count).
fn listed_count(conn: &mut DbConn, filter: &CardFilter, now: NaiveDateTime) -> QueryResult<i64> {
    match *filter {
        CardFilter::Author(id) => article_authors::table
            .filter(article_authors::author_id.eq(id))
            .filter(article_authors::published_at.le(now))
            .count()
            .get_result(conn),
        CardFilter::Tag(id) => article_tags::table
            .filter(article_tags::tag_id.eq(id))
            .filter(article_tags::published_at.le(now))
            .count()
            .get_result(conn),
        // Counted on the articles' own (section, published) index; joining
        // the sections here made it visit every row.
        CardFilter::Section(id) => {
            articles::table.filter(articles::section_id.eq(id)).filter(shown(now)).count().get_result(conn)
        }
        CardFilter::All => articles::table.filter(shown(now)).count().get_result(conn),
    }
}

fn published_cards<'a>(filter: &CardFilter, now: NaiveDateTime) -> CardQuery<'a> {
    let query = articles::table.inner_join(sections::table).into_boxed().filter(shown(now));
    match *filter {
        CardFilter::All => query,
        CardFilter::Section(id) => query.filter(articles::section_id.eq(id)),
        // Subqueries rather than joins, so an article never appears twice.
        CardFilter::Author(id) => query.filter(articles::id.eq_any(
            article_authors::table.filter(article_authors::author_id.eq(id)).select(article_authors::article_id),
        )),
        CardFilter::Tag(id) => query.filter(
            articles::id
                .eq_any(article_tags::table.filter(article_tags::tag_id.eq(id)).select(article_tags::article_id)),
        ),
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// An id that may be missing (a section with fewer stories than asked for).
#[derive(QueryableByName)]
struct MaybeIdRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    id: Option<i32>,
}

impl Article {
    /// A published article with its section, or why there is none.
    pub fn published_by_slug(
        conn: &mut DbConn,
        slug: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Result<(Article, super::Section), Absence>> {
        let found = articles::table
            .inner_join(sections::table)
            .filter(articles::slug.eq(slug))
            .filter(shown(now))
            .select((Article::as_select(), super::Section::as_select()))
            .first(conn)
            .optional()?;
        match found {
            Some(found) => Ok(Ok(found)),
            None => Ok(Err(Article::absence_by_slug(conn, slug)?)),
        }
    }

    /// A published article with its section and discussion figures, or
    /// why there is none.
    pub fn published_with_figures(
        conn: &mut DbConn,
        slug: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Result<(Article, super::Section, Figures), Absence>> {
        let found = articles::table
            .inner_join(sections::table)
            .inner_join(discussions::table)
            .filter(articles::slug.eq(slug))
            .filter(shown(now))
            .select((Article::as_select(), super::Section::as_select(), Figures::as_select()))
            .first(conn)
            .optional()?;
        match found {
            Some(found) => Ok(Ok(found)),
            None => Ok(Err(Article::absence_by_slug(conn, slug)?)),
        }
    }

    /// A published article by id (for pages about one of its comments), or
    /// why there is none: a comment under a story taken down answers 410.
    pub fn published_by_id(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<Result<Article, Absence>> {
        let found = articles::table.find(id).filter(shown(now)).select(Article::as_select()).first(conn).optional()?;
        match found {
            Some(found) => Ok(Ok(found)),
            None => Ok(Err(Article::absence_by_id(conn, id)?)),
        }
    }

    /// The newest published articles of a list, whole, for feeds.
    pub fn latest_full(
        conn: &mut DbConn,
        filter: &CardFilter,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<(Article, super::Section)>> {
        let query = match newest_listed(conn, filter, now, 0, limit)? {
            Some(ids) => published_cards(&CardFilter::All, now).filter(articles::id.eq_any(ids)),
            None => published_cards(filter, now),
        };
        query
            .order((articles::published_at.desc(), articles::id.desc()))
            .limit(limit)
            .select((Article::as_select(), super::Section::as_select()))
            .load(conn)
    }

    pub fn published_count(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<i64> {
        articles::table.filter(shown(now)).count().get_result(conn)
    }

    /// A slice of published articles for a sitemap, oldest first so slices
    /// stay stable as news arrives: (slug, published, last changed — an
    /// update or a correction, whichever is later).
    pub fn sitemap_slice(
        conn: &mut DbConn,
        now: NaiveDateTime,
        offset: i64,
        limit: i64,
    ) -> QueryResult<Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>> {
        let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>)> = articles::table
            .filter(shown(now))
            .order((articles::published_at.asc(), articles::id.asc()))
            .offset(offset)
            .limit(limit)
            .select((articles::slug, articles::published_at, articles::updated_at, articles::corrected_at))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(slug, published, updated, corrected)| (slug, published, updated.max(corrected)))
            .collect())
    }

    /// Articles published since `since` (the news sitemap's 48 hours):
    /// (slug, headline, published), newest first.
    pub fn published_since(
        conn: &mut DbConn,
        since: NaiveDateTime,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
        articles::table
            .filter(articles::published_at.gt(since))
            .filter(shown(now))
            .order(articles::published_at.desc())
            .limit(1000)
            .select((articles::slug, articles::headline, articles::published_at))
            .load(conn)
    }

    /// The first publication moment after `after`, if any: with `after`
    /// shifted back by a window, when the first article still inside that
    /// window leaves it.
    /// A story taken down does not count: it comes out of no embargo and
    /// leaves no window while it is down.
    pub fn first_published_after(conn: &mut DbConn, after: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
        articles::table
            .filter(articles::published_at.gt(after))
            .filter(articles::unpublished_at.is_null())
            .select(diesel::dsl::min(articles::published_at))
            .first(conn)
    }

    /// Why no story readers may see has this slug (see `Absence`).
    pub fn absence_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Absence> {
        let taken_down = articles::table
            .filter(articles::slug.eq(slug))
            .select(articles::unpublished_at.is_not_null())
            .first::<bool>(conn)
            .optional()?;
        Ok(if taken_down == Some(true) { Absence::TakenDown } else { Absence::Missing })
    }

    /// Why no story readers may see has this id (see `Absence`).
    pub fn absence_by_id(conn: &mut DbConn, id: i32) -> QueryResult<Absence> {
        let taken_down =
            articles::table.find(id).select(articles::unpublished_at.is_not_null()).first::<bool>(conn).optional()?;
        Ok(if taken_down == Some(true) { Absence::TakenDown } else { Absence::Missing })
    }

    /// Takes a story down (`Some(now)`) or puts it back (`None`); whether
    /// it changed anything (taking down a story already down keeps the
    /// first time).
    pub fn set_unpublished(conn: &mut DbConn, id: i32, at: Option<NaiveDateTime>) -> QueryResult<bool> {
        let target = articles::table.find(id);
        let changed = match at {
            Some(at) => diesel::update(target.filter(articles::unpublished_at.is_null()))
                .set(articles::unpublished_at.eq(Some(at)))
                .execute(conn)?,
            None => diesel::update(target.filter(articles::unpublished_at.is_not_null()))
                .set(articles::unpublished_at.eq(None::<NaiveDateTime>))
                .execute(conn)?,
        };
        Ok(changed > 0)
    }

    /// When the story last changed for its readers: the later of its
    /// update and its correction, else its publication (for `dateModified`,
    /// the feeds' `updated` and the page's "Updated").
    pub fn modified_at(&self) -> NaiveDateTime {
        [self.updated_at, self.corrected_at].into_iter().flatten().max().unwrap_or(self.published_at)
    }

    /// The correction stored for this slug, with its date: the import keeps
    /// the date while the text stays the same.
    pub fn correction_of(conn: &mut DbConn, slug: &str) -> QueryResult<Option<(String, NaiveDateTime)>> {
        let row: Option<(Option<String>, Option<NaiveDateTime>)> = articles::table
            .filter(articles::slug.eq(slug))
            .select((articles::correction, articles::corrected_at))
            .first(conn)
            .optional()?;
        Ok(row.and_then(|(text, at)| text.zip(at)))
    }

    /// Opens or closes an article's discussion.
    pub fn set_comments_open(conn: &mut DbConn, id: i32, open: bool) -> QueryResult<()> {
        diesel::update(articles::table.find(id)).set(articles::comments_open.eq(open)).execute(conn).map(|_| ())
    }

    /// Sets how a story takes comments and the prompt above its form.
    pub fn set_comment_controls(conn: &mut DbConn, id: i32, mode: CommentMode, prompt: &str) -> QueryResult<()> {
        diesel::update(articles::table.find(id))
            .set((articles::comment_mode.eq(mode.as_str()), articles::comment_prompt.eq(prompt)))
            .execute(conn)
            .map(|_| ())
    }

    pub fn by_id_any(conn: &mut DbConn, id: i32) -> QueryResult<Option<Article>> {
        articles::table.find(id).select(Article::as_select()).first(conn).optional()
    }

    /// Articles newest first for the admin list.
    pub fn admin_page(conn: &mut DbConn, number: i64, per_page: i64) -> QueryResult<Option<Page<ArticleSummary>>> {
        let total: i64 = articles::table.count().get_result(conn)?;
        let total_pages = page_count(total, per_page);
        if number < 1 || number > total_pages {
            return Ok(None);
        }
        let items = articles::table
            .order((articles::published_at.desc(), articles::id.desc()))
            .offset((number - 1) * per_page)
            .limit(per_page)
            .select((
                articles::id,
                articles::slug,
                articles::headline,
                articles::published_at,
                articles::comments_open,
                articles::unpublished_at,
                articles::comment_mode,
            ))
            .load(conn)?;
        Ok(Some(Page { items, number, total_pages }))
    }

    /// A story's headline, published or not (for mail about its comments).
    pub fn headline_of(conn: &mut DbConn, id: i32) -> QueryResult<Option<String>> {
        articles::table.find(id).select(articles::headline).first(conn).optional()
    }

    pub fn by_slug_any(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Article>> {
        articles::table.filter(articles::slug.eq(slug)).select(Article::as_select()).first(conn).optional()
    }

    pub fn id_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<i32>> {
        articles::table.filter(articles::slug.eq(slug)).select(articles::id).first(conn).optional()
    }

    /// Inserts or updates the article with this slug and replaces its bylines
    /// and tags; returns its id and whether it was new.
    pub fn upsert(
        conn: &mut DbConn,
        fields: &ArticleFields<'_>,
        author_ids: &[i32],
        tag_ids: &[i32],
    ) -> QueryResult<(i32, bool)> {
        let (id, created) = match Article::id_by_slug(conn, fields.slug)? {
            Some(id) => {
                diesel::update(articles::table.find(id)).set(fields).execute(conn)?;
                (id, false)
            }
            None => {
                let id =
                    diesel::insert_into(articles::table).values(fields).returning(articles::id).get_result(conn)?;
                (id, true)
            }
        };
        // Row by row: the multi-backend connection cannot batch inserts, and
        // an article has a handful of bylines and tags at most.
        diesel::delete(article_authors::table.filter(article_authors::article_id.eq(id))).execute(conn)?;
        for (position, author_id) in author_ids.iter().enumerate() {
            diesel::insert_into(article_authors::table)
                .values((
                    article_authors::article_id.eq(id),
                    article_authors::author_id.eq(*author_id),
                    article_authors::position.eq(position as i32),
                ))
                .execute(conn)?;
        }
        diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id))).execute(conn)?;
        for tag_id in tag_ids {
            diesel::insert_into(article_tags::table)
                .values((article_tags::article_id.eq(id), article_tags::tag_id.eq(*tag_id)))
                .execute(conn)?;
        }
        Ok((id, created))
    }

    pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
        articles::table.count().get_result(conn)
    }
}

impl ArticleCard {
    /// One page of published stories, newest first, with their bylines and
    /// comment counts: four queries whatever the page size.
    pub fn page(
        conn: &mut DbConn,
        filter: &CardFilter,
        now: NaiveDateTime,
        number: i64,
        per_page: i64,
    ) -> QueryResult<Option<Page<ArticleCard>>> {
        let total = listed_count(conn, filter, now)?;
        let total_pages = page_count(total, per_page);
        if number < 1 || number > total_pages {
            return Ok(None);
        }
        let offset = (number - 1) * per_page;
        let items = match newest_listed(conn, filter, now, offset, per_page)? {
            Some(ids) => {
                let query = published_cards(&CardFilter::All, now).filter(articles::id.eq_any(ids));
                ArticleCard::load(conn, query, 0, per_page)?
            }
            None => ArticleCard::load(conn, published_cards(filter, now), offset, per_page)?,
        };
        Ok(Some(Page { items, number, total_pages }))
    }

    /// The newest `limit` published stories.
    pub fn latest(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<ArticleCard>> {
        ArticleCard::load(conn, published_cards(&CardFilter::All, now), 0, limit)
    }

    /// The newest `per_section` stories of every section: each section's
    /// read from its (section, published) index, so the cost follows the
    /// sections, not the archive (a window over every article took 23 ms at
    /// 10,000 stories). PostgreSQL says it with LATERAL; SQLite, which has
    /// none, with one correlated lookup per section and rank.
    pub fn latest_per_section(
        conn: &mut DbConn,
        now: NaiveDateTime,
        per_section: i32,
    ) -> QueryResult<Vec<ArticleCard>> {
        let ids: Vec<i32> = match conn {
            DbConn::Pg(_) => diesel::sql_query(concat!(
                "SELECT newest.id FROM sections s CROSS JOIN LATERAL \
                 (SELECT a.id FROM articles a WHERE a.section_id = s.id AND ",
                crate::shown_sql!("$1"),
                " ORDER BY a.published_at DESC, a.id DESC LIMIT $2) AS newest",
            ))
            .bind::<Timestamp, _>(now)
            .bind::<Integer, _>(per_section)
            .load::<IdRow>(conn)?
            .into_iter()
            .map(|row| row.id)
            .collect(),
            DbConn::Sqlite(_) => {
                let ranks: Vec<String> = (0..per_section.max(0))
                    .map(|rank| {
                        format!(
                            "SELECT (SELECT a.id FROM articles a WHERE a.section_id = s.id AND {} \
                             ORDER BY a.published_at DESC, a.id DESC LIMIT 1 OFFSET {rank}) AS id FROM sections s",
                            crate::shown_sql!("?1")
                        )
                    })
                    .collect();
                if ranks.is_empty() {
                    return Ok(Vec::new());
                }
                diesel::sql_query(ranks.join(" UNION ALL "))
                    .bind::<Timestamp, _>(now)
                    .load::<MaybeIdRow>(conn)?
                    .into_iter()
                    .filter_map(|row| row.id)
                    .collect()
            }
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = published_cards(&CardFilter::All, now).filter(articles::id.eq_any(ids));
        ArticleCard::load(conn, query, 0, i64::MAX)
    }

    fn load(conn: &mut DbConn, query: CardQuery<'_>, offset: i64, limit: i64) -> QueryResult<Vec<ArticleCard>> {
        let rows: Vec<CardRow> = query
            .order((articles::published_at.desc(), articles::id.desc()))
            .offset(offset)
            .limit(limit)
            .select((
                articles::id,
                articles::slug,
                articles::headline,
                articles::dek,
                articles::image_url,
                articles::image_alt,
                articles::published_at,
                sections::slug,
                sections::name,
                sections::id,
            ))
            .load(conn)?;
        let ids: Vec<i32> = rows.iter().map(|row| row.0).collect();
        let mut bylines = Author::bylines_for(conn, &ids)?;
        let counts = super::discussion::counts_for(conn, &ids)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    slug,
                    headline,
                    dek,
                    image_url,
                    image_alt,
                    published_at,
                    section_slug,
                    section_name,
                    section_id,
                )| {
                    ArticleCard {
                        authors: bylines.remove(&id).unwrap_or_default(),
                        comment_count: counts.get(&id).copied().unwrap_or(0),
                        id,
                        slug,
                        headline,
                        dek,
                        image_url,
                        image_alt,
                        published_at,
                        section_slug,
                        section_name,
                        section_id,
                    }
                },
            )
            .collect())
    }
}
