use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{article_authors, authors};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    /// A desk or agency byline rather than a person.
    pub is_organization: bool,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = authors)]
#[diesel(treat_none_as_null = true)]
pub struct AuthorFields<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub bio: &'a str,
    pub avatar_url: Option<&'a str>,
    pub is_organization: bool,
}

impl Author {
    pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Author>> {
        authors::table.filter(authors::slug.eq(slug)).select(Author::as_select()).first(conn).optional()
    }

    /// Every author's slug, for the sitemap.
    pub fn all_slugs(conn: &mut DbConn) -> QueryResult<Vec<String>> {
        authors::table.order(authors::slug).select(authors::slug).load(conn)
    }

    pub fn id_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<i32>> {
        authors::table.filter(authors::slug.eq(slug)).select(authors::id).first(conn).optional()
    }

    /// One article's bylines, in order (a statement SQLite keeps prepared,
    /// unlike the list form below).
    pub fn byline_of(conn: &mut DbConn, article_id: i32) -> QueryResult<Vec<Author>> {
        article_authors::table
            .inner_join(authors::table)
            .filter(article_authors::article_id.eq(article_id))
            .order(article_authors::position)
            .select(Author::as_select())
            .load(conn)
    }

    /// The bylines of many articles in one query, in byline order.
    pub fn bylines_for(conn: &mut DbConn, article_ids: &[i32]) -> QueryResult<HashMap<i32, Vec<Author>>> {
        if article_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i32, Author)> = article_authors::table
            .inner_join(authors::table)
            .filter(article_authors::article_id.eq_any(article_ids))
            .order((article_authors::article_id, article_authors::position))
            .select((article_authors::article_id, Author::as_select()))
            .load(conn)?;
        let mut bylines: HashMap<i32, Vec<Author>> = HashMap::new();
        for (article_id, author) in rows {
            bylines.entry(article_id).or_default().push(author);
        }
        Ok(bylines)
    }

    pub fn upsert(conn: &mut DbConn, fields: &AuthorFields<'_>) -> QueryResult<i32> {
        match Author::id_by_slug(conn, fields.slug)? {
            Some(id) => {
                diesel::update(authors::table.find(id)).set(fields).execute(conn)?;
                Ok(id)
            }
            None => diesel::insert_into(authors::table).values(fields).returning(authors::id).get_result(conn),
        }
    }
}
