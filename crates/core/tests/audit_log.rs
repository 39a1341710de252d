//! The audit log on real files: appending and filtering, the append-only triggers, tampering by
//! someone with an SQLite tool (triggers dropped, a row edited or removed) found by
//! `audit_verify`, the chain across reopening, and two writers appending at once.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::json;
use stagebench_core::audit::{AuditAction, AuditEntry};
use stagebench_core::clock::{Clock, ManualClock};
use stagebench_core::ids::BatchId;
use stagebench_core::store::{AuditCheck, AuditFilter, Store, FILE_NAME};
use time::Duration;

fn new_store() -> (tempfile::TempDir, PathBuf, Store, ManualClock) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let clock = ManualClock::at_test_epoch();
    let store = Store::open(&path).unwrap().with_clock(clock.clone());
    (dir, path, store, clock)
}

/// Ten entries over two batches, one minute apart: QR displays and label prints for devices,
/// token actions without a device.
fn fill(store: &mut Store, clock: &ManualClock, a: &BatchId, b: &BatchId) {
    for i in 0..10 {
        let batch = if i % 2 == 0 { a } else { b };
        let entry = match i % 3 {
            0 => AuditEntry::new("zoë", AuditAction::QrDisplay).with_device(format!("SN{i}")),
            1 => AuditEntry::new("zoë", AuditAction::LabelPrint)
                .with_device(format!("SN{i}"))
                .with_detail(json!({"copies": 2, "printer": "Zebra ZD421"})),
            _ => AuditEntry::new("admin", AuditAction::TokenExport)
                .with_token("profile 1c9e… ‘Scanners’, token expires 2025-03-01"),
        };
        store.audit(&entry.with_batch(batch)).unwrap();
        clock.advance(Duration::minutes(1));
    }
}

/// A connection that goes around StageBench, as `sqlite3` would.
fn tamper(path: &Path, sql: &str) {
    Connection::open(path).unwrap().execute_batch(sql).unwrap();
}

#[test]
fn entries_are_listed_newest_first_with_filters() {
    let (_dir, _path, mut store, clock) = new_store();
    let start = clock.now();
    let (a, b) = (BatchId::random(), BatchId::random());
    fill(&mut store, &clock, &a, &b);

    let all = store.audit_log(&AuditFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        (1..=10).rev().collect::<Vec<_>>()
    );
    assert_eq!(all[9].at, "2025-01-01T00:00:00.000Z");
    assert_eq!(all[9].actor, "zoë");
    assert_eq!(all[9].action, "qr-display");
    assert_eq!(
        all[8].detail,
        json!({"copies": 2, "printer": "Zebra ZD421"})
    );
    assert_eq!(all[7].device, None);
    assert!(all[7].token.as_deref().unwrap().contains("Scanners"));

    let of_a = store
        .audit_log(&AuditFilter {
            batch: Some(a.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        of_a.iter().map(|r| r.id).collect::<Vec<_>>(),
        [9, 7, 5, 3, 1]
    );
    assert!(of_a.iter().all(|r| r.batch.as_deref() == Some(a.as_str())));

    let prints = store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::LabelPrint),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(prints.iter().map(|r| r.id).collect::<Vec<_>>(), [8, 5, 2]);

    let device = store
        .audit_log(&AuditFilter {
            device: Some("SN4".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(device.len(), 1);
    assert_eq!(device[0].action, "label-print");

    // Minutes 3 to 5 inclusive: since is inclusive, until exclusive.
    let window = store
        .audit_log(&AuditFilter {
            since: Some(start + Duration::minutes(3)),
            until: Some(start + Duration::minutes(6)),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.iter().map(|r| r.id).collect::<Vec<_>>(), [6, 5, 4]);

    let newest = store
        .audit_log(&AuditFilter {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(newest.iter().map(|r| r.id).collect::<Vec<_>>(), [10, 9]);

    let check = store.audit_verify().unwrap();
    assert_eq!(
        check,
        AuditCheck::Intact {
            rows: 10,
            head: Some(all[0].hash.clone())
        }
    );
    assert!(check.is_intact());
}

#[test]
fn an_empty_log_verifies() {
    let (_dir, _path, store, _clock) = new_store();
    assert_eq!(
        store.audit_verify().unwrap(),
        AuditCheck::Intact {
            rows: 0,
            head: None
        }
    );
}

#[test]
fn the_triggers_refuse_update_and_delete() {
    let (_dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    let conn = Connection::open(&path).unwrap();
    for sql in [
        "UPDATE audit SET detail = '{\"copies\": 200}' WHERE id = 2",
        "DELETE FROM audit WHERE id = 3",
        "DELETE FROM audit",
    ] {
        let e = conn.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    assert!(store.audit_verify().unwrap().is_intact());
}

#[test]
fn an_edited_row_is_found_even_without_triggers() {
    let (_dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    tamper(
        &path,
        "DROP TRIGGER audit_no_update; UPDATE audit SET detail = '{\"copies\":1}' WHERE id = 5;",
    );
    assert_eq!(
        store.audit_verify().unwrap(),
        AuditCheck::Broken {
            row: 5,
            reason: "row 5's hash does not match its contents".into()
        }
    );
}

#[test]
fn a_row_replaced_by_a_consistent_one_breaks_the_link() {
    // A row whose hash matches its contents but that was made for another chain (or after the
    // row before it was rewritten) does not link to its predecessor.
    let (_dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    let other = tempfile::tempdir().unwrap();
    let other_path = other.path().join(FILE_NAME);
    let mut forger = Store::open(&other_path).unwrap();
    for _ in 0..7 {
        forger
            .audit(&AuditEntry::new("mallory", AuditAction::TechnicianAction))
            .unwrap();
    }
    let forged: Vec<String> = Connection::open(&other_path)
        .unwrap()
        .query_row(
            "SELECT at, actor, action, detail, prev_hash, hash FROM audit WHERE id = 7",
            [],
            |r| (0..6).map(|i| r.get(i)).collect(),
        )
        .unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_update;").unwrap();
    conn.execute(
        "UPDATE audit SET at = ?1, actor = ?2, action = ?3, detail = ?4, prev_hash = ?5, hash = ?6,
             batch_id = NULL, token = NULL, device = NULL WHERE id = 7",
        rusqlite::params_from_iter(&forged),
    )
    .unwrap();
    assert_eq!(
        store.audit_verify().unwrap(),
        AuditCheck::Broken {
            row: 7,
            reason:
                "row 7 does not follow row 6: one of them was replaced or had its hash rewritten"
                    .into()
        }
    );
}

#[test]
fn a_removed_row_is_found() {
    let (_dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    tamper(
        &path,
        "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 4;",
    );
    assert_eq!(
        store.audit_verify().unwrap(),
        AuditCheck::Broken {
            row: 5,
            reason: "row 5 follows a missing row".into()
        }
    );
}

#[test]
fn a_removed_first_row_is_found() {
    let (_dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    tamper(
        &path,
        "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 1;",
    );
    assert_eq!(
        store.audit_verify().unwrap(),
        AuditCheck::Broken {
            row: 2,
            reason: "row 2 follows a missing row".into()
        }
    );
}

#[test]
fn removing_the_newest_rows_changes_the_head() {
    // The chain alone cannot tell a shortened log from a younger one; the head quoted earlier can.
    let (_dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    let before = store.audit_verify().unwrap();
    tamper(
        &path,
        "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > 8;",
    );
    let after = store.audit_verify().unwrap();
    assert!(matches!(after, AuditCheck::Intact { rows: 8, .. }));
    assert_ne!(before, after);
}

#[test]
fn the_chain_continues_after_reopening() {
    let (dir, path, mut store, clock) = new_store();
    fill(&mut store, &clock, &BatchId::random(), &BatchId::random());
    drop(store);
    let mut store = Store::open(&path).unwrap().with_clock(clock);
    let record = store
        .audit(&AuditEntry::new("zoë", AuditAction::Reconcile))
        .unwrap();
    assert_eq!(record.id, 11);
    assert_eq!(
        store.audit_verify().unwrap(),
        AuditCheck::Intact {
            rows: 11,
            head: Some(record.hash)
        }
    );
    drop(dir);
}

#[test]
fn two_writers_keep_one_chain() {
    let (_dir, path, store, _clock) = new_store();
    drop(store);
    let writers: Vec<_> = ["ana", "ben"]
        .into_iter()
        .map(|actor| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for i in 0..40 {
                    store
                        .audit(
                            &AuditEntry::new(actor, AuditAction::TechnicianAction)
                                .with_detail(json!({"i": i})),
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(matches!(
        store.audit_verify().unwrap(),
        AuditCheck::Intact { rows: 80, .. }
    ));
    let log = store.audit_log(&AuditFilter::default()).unwrap();
    for actor in ["ana", "ben"] {
        let mine: Vec<i64> = log
            .iter()
            .rev()
            .filter(|r| r.actor == actor)
            .map(|r| r.detail["i"].as_i64().unwrap())
            .collect();
        assert_eq!(
            mine,
            (0..40).collect::<Vec<_>>(),
            "{actor}'s entries in order"
        );
    }
}
