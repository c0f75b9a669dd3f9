//! Full-text search over published articles: SQLite FTS5 with bm25, or
//! PostgreSQL's tsvector with ts_rank. Headlines weigh most, then the
//! standfirst, then the body.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::{Page, page_count};
use crate::db::DbConn;

/// Marks around matched words in snippets. Control characters cannot occur
/// in article text, so the view can escape the snippet and then swap these
/// for <mark> safely.
pub const MATCH_START: char = '\u{1}';
pub const MATCH_END: char = '\u{2}';

/// Longest query we look at; the rest of a 10 KB paste is ignored.
const MAX_QUERY_CHARS: usize = 300;
const MAX_TERMS: usize = 16;

#[derive(Debug, QueryableByName)]
pub struct SearchHit {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub headline: String,
    #[diesel(sql_type = Text)]
    pub dek: String,
    #[diesel(sql_type = Text)]
    pub section_name: String,
    #[diesel(sql_type = Text)]
    pub section_slug: String,
    #[diesel(sql_type = Timestamp)]
    pub published_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub snippet: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The words of a query: letters and digits only, so no input can be read
/// as search syntax (quotes, operators, `*`, NEAR…).
pub fn query_terms(raw: &str) -> Vec<String> {
    let clipped: String = raw.chars().take(MAX_QUERY_CHARS).collect();
    clipped
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(MAX_TERMS)
        .map(str::to_lowercase)
        .collect()
}

// A story taken down leaves the results at once: the same `shown` condition
// as every listing (models/article.rs).
const SQLITE_COUNT: &str = concat!(
    "SELECT COUNT(*) AS n FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid \
     WHERE articles_fts MATCH ? AND ",
    crate::shown_sql!("?")
);
const SQLITE_PAGE: &str = concat!(
    "SELECT a.slug, a.headline, a.dek, s.name AS section_name, s.slug AS section_slug, \
     a.published_at, snippet(articles_fts, 2, char(1), char(2), '…', 32) AS snippet \
     FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN sections s ON s.id = a.section_id \
     WHERE articles_fts MATCH ? AND ",
    crate::shown_sql!("?"),
    " ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0), a.published_at DESC LIMIT ? OFFSET ?"
);
const POSTGRES_COUNT: &str = concat!(
    "SELECT COUNT(*) AS n FROM articles a \
     WHERE a.search @@ plainto_tsquery('english', $1) AND ",
    crate::shown_sql!("$2")
);
const POSTGRES_PAGE: &str = concat!(
    "SELECT a.slug, a.headline, a.dek, s.name AS section_name, s.slug AS section_slug, \
     a.published_at, ts_headline('english', a.body_text, q, \
     'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
     FROM articles a JOIN sections s ON s.id = a.section_id, plainto_tsquery('english', $1) q \
     WHERE a.search @@ q AND ",
    crate::shown_sql!("$2"),
    " ORDER BY ts_rank(a.search, q) DESC, a.published_at DESC LIMIT $3 OFFSET $4"
);

/// One page of results, best first; None when the page is past the end.
pub fn search(
    conn: &mut DbConn,
    raw_query: &str,
    now: NaiveDateTime,
    number: i64,
    per_page: i64,
) -> QueryResult<Option<Page<SearchHit>>> {
    let terms = query_terms(raw_query);
    if terms.is_empty() {
        return Ok(if number == 1 { Some(Page { items: Vec::new(), number: 1, total_pages: 1 }) } else { None });
    }
    // FTS5 gets every word quoted (all must match); PostgreSQL's
    // plainto_tsquery reads plain words the same way.
    let (count_sql, page_sql, query) = match conn {
        DbConn::Sqlite(_) => {
            let quoted: Vec<String> = terms.iter().map(|t| format!("\"{t}\"")).collect();
            (SQLITE_COUNT, SQLITE_PAGE, quoted.join(" "))
        }
        DbConn::Pg(_) => (POSTGRES_COUNT, POSTGRES_PAGE, terms.join(" ")),
    };
    let total =
        diesel::sql_query(count_sql).bind::<Text, _>(&query).bind::<Timestamp, _>(now).get_result::<Count>(conn)?.n;
    let total_pages = page_count(total, per_page);
    if number < 1 || number > total_pages {
        return Ok(None);
    }
    let items = diesel::sql_query(page_sql)
        .bind::<Text, _>(&query)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(per_page)
        .bind::<BigInt, _>((number - 1) * per_page)
        .load::<SearchHit>(conn)?;
    Ok(Some(Page { items, number, total_pages }))
}

#[cfg(test)]
mod tests {
    use super::query_terms;

    #[test]
    fn queries_become_plain_words() {
        assert_eq!(query_terms("harbour \"wall\" OR -storm* NEAR(x)"), ["harbour", "wall", "or", "storm", "near", "x"]);
        assert!(query_terms("\"*()^:-").is_empty());
        assert_eq!(query_terms(&"tide ".repeat(2000)).len(), 16);
        assert_eq!(query_terms("Café déjà-vu"), ["café", "déjà", "vu"]);
    }
}
