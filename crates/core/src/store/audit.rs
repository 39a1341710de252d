//! The `audit` table: the append-only, hash-chained log of what people did with tokens, QR codes,
//! labels, packs and reports (see [`crate::audit`]).
//!
//! Triggers refuse UPDATE and DELETE, as for `events`. That stops StageBench and careless tools,
//! not someone who drops the triggers, so every row also carries `hash`: SHA-256 over a canonical
//! encoding of the previous row's hash and the row's own columns. Editing a row breaks its hash;
//! removing one breaks the link from the row after it; [`Store::audit_verify`] names the first
//! such row. Removing the *newest* rows leaves a shorter chain that still verifies: documents
//! that must prove completeness carry the chain's head (the last hash, [`AuditCheck::Intact`])
//! so it can be compared later.
//!
//! Canonical encoding: the ASCII tag `stagebench-audit-v1`, then for each of prev_hash, id
//! (decimal), at, actor, action, batch_id, token, device, detail (the stored JSON text, byte for
//! byte): `~` for NULL, else the UTF-8 length in decimal, `:`, and the bytes. Lengths make the
//! encoding unambiguous whatever the fields contain.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{json_column, Store, StoreError};
use crate::audit::{AuditAction, AuditEntry, AuditRecord, HeadSigner};
use crate::clock::timestamp;
use crate::ids::BatchId;

/// The audit table (append-only, hash-chained).
pub(super) const SCHEMA: &str = "
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL CHECK (actor <> ''),
    action    TEXT NOT NULL CHECK (action <> ''),
    batch_id  TEXT,
    token     TEXT,
    device    TEXT,
    detail    TEXT NOT NULL CHECK (json_valid(detail)),
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_batch ON audit(batch_id, id);
CREATE INDEX audit_device ON audit(device, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;
";

/// The `prev_hash` of the first row.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which audit rows to list (every field narrows; the default lists everything).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Only rows about this batch.
    pub batch: Option<BatchId>,
    /// Only rows of this action.
    pub action: Option<AuditAction>,
    /// Only rows about the device with this serial (exact match).
    pub device: Option<String>,
    /// Only rows at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only rows before this time.
    pub until: Option<OffsetDateTime>,
    /// At most this many rows (the newest).
    pub limit: Option<usize>,
}

/// What [`Store::audit_verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum AuditCheck {
    /// Every row matches its hash and follows the one before.
    Intact {
        /// How many rows were checked.
        #[ts(type = "number")]
        rows: u64,
        /// The last row's hash (`None` for an empty log): quote it to prove later that nothing
        /// was removed from the end.
        head: Option<String>,
    },
    /// The chain is broken.
    Broken {
        /// The first row found wrong.
        #[ts(type = "number")]
        row: i64,
        /// Why, for people ("row 17's hash does not match its contents").
        reason: String,
    },
}

impl AuditCheck {
    /// Whether the log is intact.
    pub fn is_intact(&self) -> bool {
        matches!(self, AuditCheck::Intact { .. })
    }
}

/// A row as stored, every column as text.
struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    batch: Option<String>,
    token: Option<String>,
    device: Option<String>,
    detail: String,
    prev_hash: String,
}

impl Row {
    /// The hash the row must carry (see the module's canonical encoding).
    fn chain_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"stagebench-audit-v1");
        let id = self.id.to_string();
        for field in [
            Some(self.prev_hash.as_str()),
            Some(id.as_str()),
            Some(self.at.as_str()),
            Some(self.actor.as_str()),
            Some(self.action.as_str()),
            self.batch.as_deref(),
            self.token.as_deref(),
            self.device.as_deref(),
            Some(self.detail.as_str()),
        ] {
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
}

/// Appends `entry` at `at`, chained to the last row. Must run inside an IMMEDIATE transaction, so
/// no other writer slips a row in between reading the last hash and inserting.
/// With a `signer`, the new head is signed in the same transaction ([`super::audit_heads`]).
pub(super) fn append(
    conn: &Connection,
    entry: &AuditEntry,
    at: &str,
    signer: Option<&dyn HeadSigner>,
) -> rusqlite::Result<AuditRecord> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (id, prev_hash) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, AUDIT_GENESIS.to_owned()),
    };
    let row = Row {
        id,
        at: at.to_owned(),
        actor: entry.actor.clone(),
        action: entry.action.name().to_owned(),
        batch: entry.batch.as_ref().map(|b| b.as_str().to_owned()),
        token: entry.token.clone(),
        device: entry.device.clone(),
        detail: entry.detail.to_string(),
        prev_hash,
    };
    let hash = row.chain_hash();
    conn.prepare_cached(
        "INSERT INTO audit (id, at, actor, action, batch_id, token, device, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        row.id,
        row.at,
        row.actor,
        row.action,
        row.batch,
        row.token,
        row.device,
        row.detail,
        row.prev_hash,
        hash
    ])?;
    if let Some(signer) = signer {
        super::audit_heads::sign(conn, signer, row.id, &hash, at)?;
    }
    Ok(AuditRecord {
        id: row.id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        batch: row.batch,
        token: row.token,
        device: row.device,
        detail: entry.detail.clone(),
        hash,
    })
}

fn list(conn: &Connection, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditRecord>> {
    // SQLite reads a negative LIMIT as "no limit".
    let limit = filter
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, batch_id, token, device, detail, hash FROM audit
         WHERE (?1 IS NULL OR batch_id = ?1) AND (?2 IS NULL OR action = ?2)
           AND (?3 IS NULL OR device = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)
         ORDER BY id DESC LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![
            filter.batch.as_ref().map(BatchId::as_str),
            filter.action.map(AuditAction::name),
            filter.device.as_deref(),
            filter.since.map(timestamp),
            filter.until.map(timestamp),
            limit
        ],
        |r| {
            Ok(AuditRecord {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                batch: r.get(4)?,
                token: r.get(5)?,
                device: r.get(6)?,
                detail: json_column(r, 7)?,
                hash: r.get(8)?,
            })
        },
    )?;
    rows.collect()
}

/// Walks the chain from the first row. One statement reads one snapshot (in WAL mode without
/// blocking writers), and only one row is held in memory at a time.
pub(super) fn verify(conn: &Connection) -> rusqlite::Result<AuditCheck> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, batch_id, token, device, detail, prev_hash, hash
         FROM audit ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut previous: Option<(i64, String)> = None;
    let mut count = 0u64;
    while let Some(r) = rows.next()? {
        let row = Row {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            batch: r.get(4)?,
            token: r.get(5)?,
            device: r.get(6)?,
            detail: r.get(7)?,
            prev_hash: r.get(8)?,
        };
        let hash: String = r.get(9)?;
        let id = row.id;
        if row.chain_hash() != hash {
            return Ok(broken(
                id,
                format!("row {id}'s hash does not match its contents"),
            ));
        }
        let (expected_id, expected_prev) = match &previous {
            Some((prev_id, prev_hash)) => (prev_id + 1, prev_hash.as_str()),
            None => (1, AUDIT_GENESIS),
        };
        if row.prev_hash != expected_prev {
            let reason = if id != expected_id {
                format!("row {id} follows a missing row")
            } else if id == 1 {
                "row 1 does not start the chain".to_owned()
            } else {
                format!(
                    "row {id} does not follow row {}: one of them was replaced or had its hash rewritten",
                    id - 1
                )
            };
            return Ok(broken(id, reason));
        }
        count += 1;
        previous = Some((id, hash));
    }
    Ok(AuditCheck::Intact {
        rows: count,
        head: previous.map(|(_, hash)| hash),
    })
}

fn broken(row: i64, reason: String) -> AuditCheck {
    AuditCheck::Broken { row, reason }
}

impl Store {
    /// Appends an entry to the audit log, stamped with the store's clock and chained to the row
    /// before it, in one IMMEDIATE transaction (so appends from several processes keep one
    /// chain). Entries are never changed or deleted.
    ///
    /// The entry must reference tokens, never contain them (see [`crate::audit`]); an empty
    /// actor is refused.
    pub fn audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        let (at, signer) = (self.now(), self.signer.clone());
        self.transact(|tx| append(tx, entry, &at, signer.as_deref()))
    }

    /// Audit rows matching `filter`, newest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        list(&self.conn, filter).map_err(|e| self.err(e))
    }

    /// Checks the whole audit chain and says whether it is intact, or which row is the first
    /// one edited, removed or out of place.
    pub fn audit_verify(&self) -> Result<AuditCheck, StoreError> {
        verify(&self.conn).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::test_connection;
    use serde_json::json;

    fn entry(action: AuditAction) -> AuditEntry {
        AuditEntry::new("zoë", action).with_detail(json!({"copies": 2}))
    }

    #[test]
    fn the_chain_links_each_row_to_the_one_before() {
        let conn = test_connection();
        let a = append(&conn, &entry(AuditAction::QrDisplay), "t1", None).unwrap();
        let b = append(&conn, &entry(AuditAction::LabelPrint), "t2", None).unwrap();
        assert_eq!((a.id, b.id), (1, 2));
        let prev: String = conn
            .query_row("SELECT prev_hash FROM audit WHERE id = 2", [], |r| r.get(0))
            .unwrap();
        assert_eq!(prev, a.hash);
        assert_eq!(
            verify(&conn).unwrap(),
            AuditCheck::Intact {
                rows: 2,
                head: Some(b.hash)
            }
        );
    }

    #[test]
    fn the_encoding_separates_fields() {
        // The same characters split differently between fields must hash differently.
        let row = |actor: &str, action: &str, token: Option<&str>| Row {
            id: 1,
            at: "t".into(),
            actor: actor.into(),
            action: action.into(),
            batch: None,
            token: token.map(str::to_owned),
            device: None,
            detail: "null".into(),
            prev_hash: AUDIT_GENESIS.into(),
        };
        assert_ne!(
            row("ab", "c", None).chain_hash(),
            row("a", "bc", None).chain_hash()
        );
        assert_ne!(
            row("a", "b", None).chain_hash(),
            row("a", "b", Some("")).chain_hash()
        );
        assert_eq!(row("a", "b", None).chain_hash().len(), 64);
    }

    #[test]
    fn update_and_delete_are_refused() {
        let conn = test_connection();
        append(&conn, &entry(AuditAction::TokenCreate), "t", None).unwrap();
        for sql in ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"] {
            let e = conn.execute(sql, []).unwrap_err();
            assert!(e.to_string().contains("append-only"), "{e}");
        }
    }

    #[test]
    fn an_empty_actor_is_refused() {
        let conn = test_connection();
        assert!(append(
            &conn,
            &AuditEntry::new("", AuditAction::QrReveal),
            "t",
            None
        )
        .is_err());
    }
}
