use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::media;

/// An image stored in the database by the importer, so that every instance
/// behind a load balancer serves the same files without shared disk.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct MediaFile {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl MediaFile {
    /// The public path of a stored file: its digest makes the URL change
    /// whenever the content does, so it can be cached forever.
    pub fn url(digest: &str, file_name: &str) -> String {
        format!("/media/{digest}/{file_name}")
    }

    pub fn by_digest(conn: &mut DbConn, digest: &str, file_name: &str) -> QueryResult<Option<MediaFile>> {
        media::table
            .filter(media::digest.eq(digest))
            .filter(media::file_name.eq(file_name))
            .select(MediaFile::as_select())
            .first(conn)
            .optional()
    }

    /// Stores a file under its source path (replacing an older version) and
    /// returns its public URL.
    pub fn store(
        conn: &mut DbConn,
        source_path: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
        digest: &str,
        now: NaiveDateTime,
    ) -> QueryResult<String> {
        let existing: Option<(i32, String)> = media::table
            .filter(media::source_path.eq(source_path))
            .select((media::id, media::digest))
            .first(conn)
            .optional()?;
        let values = (
            media::source_path.eq(source_path),
            media::digest.eq(digest),
            media::file_name.eq(file_name),
            media::content_type.eq(content_type),
            media::bytes.eq(bytes),
            media::created_at.eq(now),
        );
        match existing {
            Some((_, old_digest)) if old_digest == digest => {}
            Some((id, _)) => {
                diesel::update(media::table.find(id)).set(values).execute(conn)?;
            }
            None => {
                diesel::insert_into(media::table).values(values).execute(conn)?;
            }
        }
        Ok(MediaFile::url(digest, file_name))
    }
}
