use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sections;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sections)]
pub struct Section {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = sections)]
pub struct SectionFields<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub position: i32,
}

impl Section {
    /// All sections in navigation order.
    pub fn all_in_order(conn: &mut DbConn) -> QueryResult<Vec<Section>> {
        sections::table.order((sections::position.asc(), sections::name.asc())).select(Section::as_select()).load(conn)
    }

    pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Section>> {
        sections::table.filter(sections::slug.eq(slug)).select(Section::as_select()).first(conn).optional()
    }

    pub fn id_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<i32>> {
        sections::table.filter(sections::slug.eq(slug)).select(sections::id).first(conn).optional()
    }

    /// Inserts or updates the section with this slug; returns its id.
    pub fn upsert(conn: &mut DbConn, fields: &SectionFields<'_>) -> QueryResult<i32> {
        match Section::id_by_slug(conn, fields.slug)? {
            Some(id) => {
                diesel::update(sections::table.find(id)).set(fields).execute(conn)?;
                Ok(id)
            }
            None => diesel::insert_into(sections::table).values(fields).returning(sections::id).get_result(conn),
        }
    }
}
