//! Tampering with a store as an attacker with an SQLite tool would (issue 13, finding 7): the
//! audit log rewritten so that its unkeyed hash chain verifies again. Tests of the signed heads
//! (core and CLI) use it.

use std::path::Path;

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use crate::store::AUDIT_GENESIS;

/// The chain hash of a row, as the store's module documents it (what an attacker recomputes).
fn chain_hash(prev: &str, id: i64, cols: &[Option<String>; 7]) -> String {
    let mut h = Sha256::new();
    h.update(b"stagebench-audit-v1");
    let id = id.to_string();
    let fields = [Some(prev), Some(id.as_str())]
        .into_iter()
        .chain(cols.iter().map(Option::as_deref));
    for field in fields {
        match field {
            None => h.update(b"~"),
            Some(text) => {
                h.update(text.len().to_string().as_bytes());
                h.update(b":");
                h.update(text.as_bytes());
            }
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Drops the triggers, deletes audit row `gone`, renumbers the rows after it and recomputes every hash
/// from there: a chain that verifies on its own.
pub fn delete_and_rehash(path: &Path, gone: i64) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
         DROP TRIGGER audit_heads_no_update; DROP TRIGGER audit_heads_no_delete;",
    )
    .unwrap();
    conn.execute("DELETE FROM audit WHERE id = ?1", [gone])
        .unwrap();
    conn.execute("UPDATE audit SET id = id - 1 WHERE id > ?1", [gone])
        .unwrap();
    let mut prev: String = if gone == 1 {
        AUDIT_GENESIS.to_owned()
    } else {
        conn.query_row("SELECT hash FROM audit WHERE id = ?1", [gone - 1], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let rows: Vec<(i64, [Option<String>; 7])> = conn
        .prepare(
            "SELECT id, at, actor, action, batch_id, token, device, detail FROM audit
             WHERE id >= ?1 ORDER BY id",
        )
        .unwrap()
        .query_map([gone], |r| {
            Ok((
                r.get(0)?,
                [
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ],
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, cols) in rows {
        let hash = chain_hash(&prev, id, &cols);
        conn.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            params![id, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
}
