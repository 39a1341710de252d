//! Schema versions, in order. Each table module owns its `SCHEMA`; this list decides when each
//! one ran. A shipped migration is never edited: changes go in a new entry at the end, and
//! `PRAGMA user_version` (kept by rusqlite_migration) says how far a file has come.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use super::{classify, devices, events, serials, StoreError};

/// `PRAGMA application_id` of a StageBench store ("SBch"), so `file(1)` and we ourselves can
/// tell our database from another application's.
pub(super) const APPLICATION_ID: i32 = 0x5342_6368;

fn migration_list() -> Vec<M<'static>> {
    vec![
        M::up(devices::SCHEMA).comment("devices"),
        M::up(serials::SCHEMA).comment("device_serials"),
        M::up(events::SCHEMA).comment("events (append-only)"),
    ]
}

/// Brings the schema of `conn` (the file at `path`) to the newest version. Refuses, without
/// writing, a database of another application or of a newer StageBench.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |source| classify(path, source);
    let application_id: i32 = conn.pragma_query_value(None, "application_id", |row| row.get(0)).map_err(err)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(err)?;
    if application_id != APPLICATION_ID {
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(err)?;
        if application_id != 0 || version != 0 || objects != 0 {
            return Err(StoreError::ForeignDatabase { path: path.to_owned(), application_id });
        }
    }
    let list = migration_list();
    let known = i64::try_from(list.len()).unwrap_or(i64::MAX);
    if version > known {
        return Err(StoreError::TooNew { path: path.to_owned(), found: version, known });
    }
    Migrations::new(list)
        .to_latest(conn)
        .map_err(|source| StoreError::Migration { path: path.to_owned(), source })?;
    if application_id != APPLICATION_ID {
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(err)?;
    }
    Ok(())
}

/// A migrated in-memory connection with foreign keys on, for the table modules' tests.
#[cfg(test)]
pub(super) fn test_connection() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    migrate(&mut conn, Path::new(":memory:")).unwrap();
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_idempotent() {
        Migrations::new(migration_list()).validate().unwrap();
        let mut conn = test_connection();
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, 3);
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        let id: i32 = conn.pragma_query_value(None, "application_id", |row| row.get(0)).unwrap();
        assert_eq!(id, APPLICATION_ID);
    }

    #[test]
    fn refuses_a_foreign_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY);").unwrap();
        let err = migrate(&mut conn, Path::new("other.db")).unwrap_err();
        assert!(matches!(err, StoreError::ForeignDatabase { application_id: 0, .. }), "{err}");
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 1, "nothing was added");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = test_connection();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn, Path::new("new.db")).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, known: 3, .. }), "{err}");
        assert!(err.to_string().contains("update StageBench"));
    }
}
