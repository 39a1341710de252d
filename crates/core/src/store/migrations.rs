//! Schema versions, in order. Each table module owns its `SCHEMA`; this list decides when each
//! one ran. A shipped migration is never edited: changes go in a new entry at the end, and
//! `PRAGMA user_version` (kept by rusqlite_migration) says how far a file has come.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use super::{
    audit, audit_heads, batches, classify, devices, events, held_scans, intune, lease, outbox,
    print_jobs, serials, slots, tenant, StoreError,
};

/// `PRAGMA application_id` of a StageBench store ("SBch"), so `file(1)` and we ourselves can
/// tell our database from another application's.
pub(super) const APPLICATION_ID: i32 = 0x5342_6368;

fn migration_list() -> Vec<M<'static>> {
    vec![
        // The application id is set in the same transaction as the first table, so a process
        // opening the file meanwhile never sees our tables without our id.
        M::up_with_hook(devices::SCHEMA, |tx: &rusqlite::Transaction<'_>| {
            Ok(tx.pragma_update(None, "application_id", APPLICATION_ID)?)
        })
        .comment("devices"),
        M::up(serials::SCHEMA).comment("device_serials"),
        M::up(events::SCHEMA).comment("events (append-only)"),
        M::up(slots::SCHEMA).comment("bench_slots"),
        M::up(outbox::SCHEMA).comment("outbox (changes bound for Intune)"),
        M::up(intune::SCHEMA).comment("intune_devices (bench device ↔ Intune managed device)"),
        M::up(tenant::SCHEMA).comment("tenant_settings (sign-in, no secrets)"),
        M::up(batches::SCHEMA).comment("batches, batch_devices, batch_reports, bench_settings"),
        M::up(audit::SCHEMA).comment("audit (append-only, hash-chained)"),
        M::up(print_jobs::SCHEMA).comment("printers, print_jobs (the print queue)"),
        M::up(held_scans::SCHEMA).comment("held_scans (scans that found no batch)"),
        M::up(lease::SCHEMA)
            .comment("claim_owner, lease_until (one owner per print or outbox claim)"),
        M::up(audit_heads::SCHEMA)
            .comment("audit_heads (the chain's head, signed by the bench key)"),
        M::up(print_jobs::SECRET_SCHEMA)
            .comment("print_jobs: secret documents sealed, cleared when their job ends"),
    ]
}

/// Refuses, without writing, a database of another application or of a newer StageBench.
/// An empty file, or one this module created, passes.
pub(super) fn check_owner(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    // One statement, so one snapshot: read separately, another process creating the store
    // meanwhile could show us its tables but not yet its id.
    let (application_id, version, objects): (i32, i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM sqlite_schema)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(|source| classify(path, source))?;
    if application_id != APPLICATION_ID && (application_id != 0 || version != 0 || objects != 0) {
        return Err(StoreError::ForeignDatabase {
            path: path.to_owned(),
            application_id,
        });
    }
    let known = i64::try_from(migration_list().len()).unwrap_or(i64::MAX);
    if version > known {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            known,
        });
    }
    Ok(())
}

/// Brings the schema of `conn` (the file at `path`) to the newest version, after
/// [`check_owner`].
///
/// Two processes opening a new file at once (the app and the CLI) both see version 0; the one
/// that loses the write lock then fails on "table already exists". Such a failure, when the
/// version moved meanwhile, is retried once against the now current version.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    check_owner(conn, path)?;
    let before = user_version(conn, path)?;
    let migrations = Migrations::new(migration_list());
    if let Err(source) = migrations.to_latest(conn) {
        if user_version(conn, path)? == before {
            return Err(StoreError::Migration {
                path: path.to_owned(),
                source,
            });
        }
        check_owner(conn, path)?;
        migrations
            .to_latest(conn)
            .map_err(|source| StoreError::Migration {
                path: path.to_owned(),
                source,
            })?;
    }
    if user_version(conn, path)? != before {
        // What a migration cleared (enrollment labels kept in clear by older versions) must not
        // live on in the WAL's old frames: copy the WAL into the file and empty it. Another
        // process reading meanwhile makes this a partial checkpoint, which is harmless.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|source| classify(path, source))?;
    }
    Ok(())
}

fn user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|source| classify(path, source))
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
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, migration_list().len() as i64);
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        let id: i32 = conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
    }

    /// Enrollment labels an older StageBench queued were kept readable: the migration clears
    /// every one, fails those still waiting (saying to print again), and leaves other jobs be.
    #[test]
    fn enrollment_labels_kept_in_clear_are_cleared_by_the_upgrade() {
        let list = migration_list();
        let before = list.len() - 1;
        assert!(
            list[before..]
                .iter()
                .any(|m| format!("{m:?}").contains("secret")),
            "the last migration is the print secrets one"
        );
        let mut conn = Connection::open_in_memory().unwrap();
        Migrations::new(list).to_version(&mut conn, before).unwrap();
        for (kind, state, label) in [
            ("enrollment", "queued", "QR-WITH-TOKEN-1"),
            ("enrollment", "done", "QR-WITH-TOKEN-2"),
            ("device", "queued", "DEVICE-LABEL"),
        ] {
            conn.execute(
                "INSERT INTO print_jobs (created, printer, document_kind, data, next_attempt_at,
                                         actor, label_kind, state, updated)
                 VALUES ('2026-01-01T00:00:00.000Z', 'zebra', 'zpl', ?1,
                         '2026-01-01T00:00:00.000Z', 'tech', ?2, ?3, '2026-01-01T00:00:00.000Z')",
                rusqlite::params![label.as_bytes(), kind, state],
            )
            .unwrap();
        }
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        let rows: Vec<(String, String, Vec<u8>, Option<String>)> = conn
            .prepare("SELECT label_kind, state, data, last_error FROM print_jobs ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows[0].1, "failed");
        assert!(rows[0].2.is_empty() && rows[1].2.is_empty(), "{rows:?}");
        assert!(
            rows[0]
                .3
                .as_deref()
                .unwrap()
                .contains("print the label again"),
            "{rows:?}"
        );
        assert_eq!((rows[1].1.as_str(), rows[1].3.as_deref()), ("done", None));
        assert_eq!(
            (rows[2].1.as_str(), rows[2].2.as_slice()),
            ("queued", &b"DEVICE-LABEL"[..]),
            "other labels stay as they were"
        );
    }

    #[test]
    fn claims_taken_before_owners_and_leases_keep_the_lease_they_had() {
        // Schema 12 (`lease::SCHEMA`) added owners and leases; a store at 11 had neither.
        let mut conn = Connection::open_in_memory().unwrap();
        Migrations::new(migration_list())
            .to_version(&mut conn, 11)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO print_jobs (created, printer, document_kind, data, state, next_attempt_at,
                                     claimed_at, actor, updated)
             VALUES ('t', 'zebra', 'zpl', x'00', 'sending', 't', '2025-01-01T00:00:00.000Z', 'a', 't');
             INSERT INTO outbox (created, kind, target, operation_id, payload, next_attempt_at,
                                 claimed_at, state, updated)
             VALUES ('t', 'k', 't', 'op', '{}', 't', '2025-01-01T00:00:00.000Z', 'in-flight', 't');",
        )
        .unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        let lease = |table: &str| -> (String, Option<String>) {
            conn.query_row(
                &format!("SELECT lease_until, claim_owner FROM {table}"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(
            lease("print_jobs"),
            ("2025-01-01T00:02:00.000Z".into(), None)
        );
        assert_eq!(lease("outbox"), ("2025-01-01T00:05:00.000Z".into(), None));
    }

    #[test]
    fn refuses_a_foreign_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY);")
            .unwrap();
        let err = migrate(&mut conn, Path::new("other.db")).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::ForeignDatabase {
                    application_id: 0,
                    ..
                }
            ),
            "{err}"
        );
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1, "nothing was added");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = test_connection();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn, Path::new("new.db")).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::TooNew {
                    found: 99,
                    known,
                    ..
                } if known == migration_list().len() as i64
            ),
            "{err}"
        );
        assert!(err.to_string().contains("update StageBench"));
    }
}
