//! Instances that start together against one empty database.

mod common;

use std::sync::{Arc, Barrier};

use common::{Backend, TestDatabase};
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use newsdesk::config::DatabaseUrl;
use newsdesk::db::{Database, DbConn};

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// The versions of the PostgreSQL migrations in the source tree.
fn postgres_versions_in_source() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut versions: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap().split('_').next().unwrap().replace('-', ""))
        .collect();
    versions.sort();
    versions
}

/// Instances started together against an empty database: one migrates,
/// the others wait for it and find nothing left to do. Without the lock
/// the second `CREATE TABLE` fails and that instance does not start.
#[test]
fn instances_starting_together_migrate_an_empty_database_once() {
    let Some(database) = TestDatabase::create(Backend::Postgres) else { return };
    let url = DatabaseUrl::Postgres(database.url.clone());
    let instances = 4;
    let start = Arc::new(Barrier::new(instances));
    let opening: Vec<_> = (0..instances)
        .map(|_| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                Database::open(&url, 1).map_err(|e| e.to_string())
            })
        })
        .collect();
    let opened: Vec<Database> =
        opening.into_iter().map(|thread| thread.join().unwrap().expect("every instance starts")).collect();
    let mut versions: Vec<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load::<Version>(&mut *opened[0].conn().unwrap())
            .unwrap()
            .into_iter()
            .map(|row| row.version)
            .collect();
    versions.dedup();
    assert_eq!(versions, postgres_versions_in_source(), "each migration once");
}

/// A migration that fails lets go of the lock at once, not when its
/// connection closes (which the server notices only some time later): the
/// next instance to start must not wait on it.
#[test]
fn a_failed_migration_releases_the_lock() {
    use diesel::Connection;
    let Some(database) = TestDatabase::create(Backend::Postgres) else { return };
    let mut migrating = DbConn::Pg(diesel::PgConnection::establish(&database.url).unwrap());
    // The first migration creates `sections`: make it fail.
    migrating.batch_execute("CREATE TABLE sections (in_the_way INTEGER)").unwrap();
    assert!(newsdesk::db::migrate(&mut migrating).is_err(), "the migration fails");
    // `migrating` is still open, so only an unlock can have freed the lock.
    let mut other = diesel::PgConnection::establish(&database.url).unwrap();
    let free = diesel::sql_query(format!("SELECT pg_try_advisory_lock({}) AS locked", newsdesk::db::MIGRATION_LOCK))
        .get_result::<Locked>(&mut other)
        .unwrap();
    assert!(free.locked, "the migration lock was released");
}
