//! The batch tables on an in-memory store.

use serde_json::json;

use super::*;
use crate::audit::AuditAction;

fn body(id: &BatchId, expected: &[&str]) -> serde_json::Value {
    json!({"id": id, "name": "wave", "expected_serials": expected, "origin": {"kind": "local"}})
}

#[test]
fn batch_rows_keep_the_body_as_written_and_answer_the_queries() {
    let mut store = Store::open_in_memory().unwrap();
    let (old, new) = (BatchId::random(), BatchId::random());
    let t0 = OffsetDateTime::UNIX_EPOCH;
    let old_body = body(&old, &["R58N1", "R58N2"]);
    let row = |id, at, body| NewBatchRow {
        id,
        created_at: at,
        body,
    };
    store
        .create_batch_row(row(&old, t0, &old_body), None)
        .unwrap();
    let entry = AuditEntry::new("ana", AuditAction::BatchCreate).with_batch(&new);
    let new_body = body(&new, &["ZZ9"]);
    let later = t0 + time::Duration::days(1);
    store
        .create_batch_row(row(&new, later, &new_body), Some(&entry))
        .unwrap();
    assert!(matches!(
        store.create_batch_row(row(&new, later, &new_body), None),
        Err(BatchStoreError::Exists(id)) if id == new
    ));
    let read = store.batch_row(&old).unwrap().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&read.body).unwrap(),
        old_body
    );
    assert_eq!((read.token_revoked_at, read.closed_at), (None, None));
    let bodies: Vec<serde_json::Value> = store
        .batch_rows()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, [new_body, old_body], "newest first");
    assert_eq!(
        store.open_batches_expected_serials().unwrap(),
        ["ZZ9", "R58N1", "R58N2"]
    );
    store.close_batch(&new).unwrap();
    assert_eq!(
        store.open_batches_expected_serials().unwrap(),
        ["R58N1", "R58N2"]
    );
    assert_eq!(store.audit_log(&Default::default()).unwrap().len(), 1);
}
