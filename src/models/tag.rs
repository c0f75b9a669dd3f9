use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{article_tags, tags};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub slug: String,
    pub name: String,
}

impl Tag {
    pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Tag>> {
        tags::table.filter(tags::slug.eq(slug)).select(Tag::as_select()).first(conn).optional()
    }

    /// Every tag's slug, for the sitemap.
    pub fn all_slugs(conn: &mut DbConn) -> QueryResult<Vec<String>> {
        tags::table.order(tags::slug).select(tags::slug).load(conn)
    }

    pub fn for_article(conn: &mut DbConn, article_id: i32) -> QueryResult<Vec<Tag>> {
        article_tags::table
            .inner_join(tags::table)
            .filter(article_tags::article_id.eq(article_id))
            .order(tags::slug)
            .select(Tag::as_select())
            .load(conn)
    }

    /// Finds or creates the tag with this slug; returns its id.
    pub fn ensure(conn: &mut DbConn, slug: &str, name: &str) -> QueryResult<i32> {
        let existing = tags::table.filter(tags::slug.eq(slug)).select(tags::id).first(conn).optional()?;
        match existing {
            Some(id) => Ok(id),
            None => diesel::insert_into(tags::table)
                .values((tags::slug.eq(slug), tags::name.eq(name)))
                .returning(tags::id)
                .get_result(conn),
        }
    }
}
