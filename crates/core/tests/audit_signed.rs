//! The audit chain's head signed by the bench key (issue 13, finding 7). The hash chain alone is
//! unkeyed: someone with an SQLite tool drops the triggers, deletes a row, renumbers the rows
//! after it and recomputes their hashes, and the chain verifies. The heads the bench key signed
//! cannot be recomputed without the key, so the rewritten log fails, naming the first row that
//! no longer matches its signed head.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection};
use serde_json::json;
use stagebench_core::audit::{AuditAction, AuditEntry, HeadVerifier, SignedHead};
use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::store::{AuditCheck, Store, FILE_NAME};
use stagebench_core::testing::tamper::delete_and_rehash;

fn signed_store(dir: &Path, key: &Arc<ReportSigningKey>) -> Store {
    let mut store = Store::open(&dir.join(FILE_NAME)).unwrap();
    store.sign_audit_with(key.clone());
    for i in 0..10 {
        let entry = AuditEntry::new("zoë", AuditAction::LabelPrint).with_detail(json!({"i": i}));
        store.audit(&entry).unwrap();
    }
    store
}

#[test]
fn a_deleted_and_rehashed_log_fails_naming_the_first_row_that_no_longer_matches() {
    let dir = tempfile::tempdir().unwrap();
    let key = Arc::new(ReportSigningKey::generate());
    let mut store = signed_store(dir.path(), &key);
    let public = key.public();
    let before = store.audit_verify_signed(Some(&public)).unwrap();
    assert!(before.check.is_intact(), "{before:?}");
    assert_eq!(before.signed_head.as_ref().map(|h| h.row), Some(10));
    assert_eq!(before.unsigned_rows, 0);
    assert_eq!(
        before.checked_with.as_deref(),
        Some(public.fingerprint.as_str())
    );

    delete_and_rehash(&dir.path().join(FILE_NAME), 4);
    // The unkeyed chain is fooled: that is the finding.
    assert!(matches!(
        store.audit_verify().unwrap(),
        AuditCheck::Intact { rows: 9, .. }
    ));
    let after = store.audit_verify_signed(Some(&public)).unwrap();
    match &after.check {
        AuditCheck::Broken { row, reason } => {
            assert_eq!(*row, 4, "{reason}");
            assert!(reason.contains("no longer matches"), "{reason}");
        }
        intact => panic!("a rewritten log passed: {intact:?}"),
    }
    // Without the key at hand, the heads' hashes still tell.
    assert!(!store.audit_verify_signed(None).unwrap().check.is_intact());
}

#[test]
fn heads_forged_with_another_key_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let key = Arc::new(ReportSigningKey::generate());
    let mut store = signed_store(dir.path(), &key);
    delete_and_rehash(&dir.path().join(FILE_NAME), 6);
    // The attacker re-signs every head from the deleted row on with a key of their own.
    let forger = ReportSigningKey::generate();
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute("DELETE FROM audit_heads WHERE row_id >= 6", [])
        .unwrap();
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT id, hash FROM audit WHERE id >= 6")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, hash) in rows {
        let head = SignedHead::sign(id, &hash, &forger);
        conn.execute(
            "INSERT INTO audit_heads (row_id, hash, signer, signature, at) VALUES (?1, ?2, ?3, ?4, 'x')",
            params![head.row, head.hash, head.signer, head.signature],
        )
        .unwrap();
    }
    let check = store.audit_verify_signed(Some(&key.public())).unwrap();
    assert!(
        matches!(&check.check, AuditCheck::Broken { row: 6, reason } if reason.contains("forged")),
        "{check:?}"
    );
    assert!(check
        .signed_head
        .is_some_and(|h| !h.verified_by(&key.public() as &dyn HeadVerifier)));
}

#[test]
fn rows_appended_without_the_key_are_covered_by_the_next_signed_one() {
    let dir = tempfile::tempdir().unwrap();
    let key = Arc::new(ReportSigningKey::generate());
    let mut signed = signed_store(dir.path(), &key);
    let mut plain = Store::open(&dir.path().join(FILE_NAME)).unwrap();
    for _ in 0..3 {
        plain
            .audit(&AuditEntry::new("cli", AuditAction::QrDisplay))
            .unwrap();
    }
    let check = signed.audit_verify_signed(Some(&key.public())).unwrap();
    assert!(check.check.is_intact());
    assert_eq!(
        (check.signed_head.map(|h| h.row), check.unsigned_rows),
        (Some(10), 3)
    );
    let head = signed.sign_audit_head().unwrap().unwrap();
    assert_eq!(head.row, 13);
    assert!(head.verified_by(&key.public()));
    let check = signed.audit_verify_signed(Some(&key.public())).unwrap();
    assert_eq!(check.unsigned_rows, 0);
}
