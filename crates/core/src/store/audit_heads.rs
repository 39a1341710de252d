//! The `audit_heads` table: the audit chain's head, signed by the bench key at each append made
//! while a signer is attached ([`Store::sign_audit_with`]).
//!
//! The hash chain alone is unkeyed: whoever drops the triggers, deletes a row and recomputes
//! the hashes of the rows after it has a chain that verifies. A signed head cannot be recomputed
//! without the bench key, which lives in the OS keyring, not in the store: once the log is
//! rewritten, the first row whose signed head no longer matches its hash is named
//! ([`Store::audit_verify_signed`]). A row's signature vouches for every row before it (its hash
//! chains them), so rows appended by a process without the key are covered by the next signed
//! append; until then they are reported as unsigned, not as broken.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::audit::AuditCheck;
use super::{Store, StoreError};
use crate::audit::{HeadSigner, HeadVerifier, SignedHead};

/// The audit_heads table (append-only, like the log).
pub(super) const SCHEMA: &str = "
CREATE TABLE audit_heads (
    row_id    INTEGER PRIMARY KEY,
    hash      TEXT NOT NULL CHECK (length(hash) = 64),
    signer    TEXT NOT NULL CHECK (signer <> ''),
    signature TEXT NOT NULL CHECK (signature <> ''),
    at        TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN SELECT RAISE(ABORT, 'the audit heads are append-only: UPDATE refused'); END;
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN SELECT RAISE(ABORT, 'the audit heads are append-only: DELETE refused'); END;
";

/// Signs row `row`'s `hash` with `signer` and keeps the signature, in the append's transaction.
pub(super) fn sign(
    conn: &Connection,
    signer: &dyn HeadSigner,
    row: i64,
    hash: &str,
    at: &str,
) -> rusqlite::Result<()> {
    let head = SignedHead::sign(row, hash, signer);
    conn.prepare_cached(
        "INSERT INTO audit_heads (row_id, hash, signer, signature, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        head.row,
        head.hash,
        head.signer,
        head.signature,
        at
    ])?;
    Ok(())
}

fn head_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<SignedHead> {
    Ok(SignedHead {
        row: r.get(0)?,
        hash: r.get(1)?,
        signer: r.get(2)?,
        signature: r.get(3)?,
    })
}

fn all(conn: &Connection) -> rusqlite::Result<BTreeMap<i64, SignedHead>> {
    let mut stmt =
        conn.prepare("SELECT row_id, hash, signer, signature FROM audit_heads ORDER BY row_id")?;
    let heads = stmt.query_map([], head_from)?;
    heads.map(|h| h.map(|h| (h.row, h))).collect()
}

/// The rows' `(id, hash)` in order, for matching against the heads.
fn hashes(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare("SELECT id, hash FROM audit ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// What [`Store::audit_verify_signed`] found beside the chain itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SignedAuditCheck {
    /// The chain, or the first row that no longer matches a signed head.
    #[serde(flatten)]
    #[ts(flatten)]
    pub check: AuditCheck,
    /// The fingerprint of the bench key the signatures were checked with (`None`: no key was
    /// at hand, so only the heads' hashes were compared).
    pub checked_with: Option<String>,
    /// The newest signed head (quote it: custody documents and reports carry it).
    pub signed_head: Option<SignedHead>,
    /// Rows after the newest signed head (appended without the bench key; the next signed
    /// append covers them).
    #[ts(type = "number")]
    pub unsigned_rows: u64,
}

/// The first row that does not match the head signed for it: a head whose row is gone or whose
/// hash changed, or (given the bench's key) a head the key did not sign.
fn first_mismatch(
    rows: &[(i64, String)],
    heads: &BTreeMap<i64, SignedHead>,
    key: Option<&dyn HeadVerifier>,
) -> Option<(i64, String)> {
    let by_id: BTreeMap<i64, &str> = rows.iter().map(|(id, h)| (*id, h.as_str())).collect();
    for (row, head) in heads {
        let reason = match by_id.get(row) {
            None => format!("row {row} was signed by the bench key but is missing from the log"),
            Some(hash) if *hash != head.hash => format!(
                "row {row} no longer matches the head the bench key signed for it: the log was \
                 rewritten from this row on"
            ),
            Some(_) => match key {
                Some(key) if !head.verified_by(key) => format!(
                    "row {row}'s signed head is not signed by this bench's key {}: it was forged",
                    key.fingerprint()
                ),
                _ => continue,
            },
        };
        return Some((*row, reason));
    }
    None
}

impl Store {
    /// Signs the audit chain's head with `signer` (the bench key) at every append from now on.
    pub fn sign_audit_with(&mut self, signer: Arc<dyn HeadSigner>) {
        self.signer = Some(signer);
    }

    /// The signer attached with [`Store::sign_audit_with`], to attach to another connection.
    pub fn audit_signer(&self) -> Option<Arc<dyn HeadSigner>> {
        self.signer.clone()
    }

    /// The newest signed head of the audit chain.
    pub fn audit_signed_head(&self) -> Result<Option<SignedHead>, StoreError> {
        self.conn
            .query_row(
                "SELECT row_id, hash, signer, signature FROM audit_heads ORDER BY row_id DESC LIMIT 1",
                [],
                head_from,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Signs the current head now (when the newest row is not signed yet and a signer is
    /// attached), so a document quoting the head covers every row.
    pub fn sign_audit_head(&mut self) -> Result<Option<SignedHead>, StoreError> {
        let Some(signer) = self.signer.clone() else {
            return self.audit_signed_head();
        };
        let at = self.now();
        self.transact(|tx| {
            let last: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((row, hash)) = last {
                let signed: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM audit_heads WHERE row_id = ?1)",
                    [row],
                    |r| r.get(0),
                )?;
                if !signed {
                    sign(tx, signer.as_ref(), row, &hash, &at)?;
                }
            }
            Ok(())
        })?;
        self.audit_signed_head()
    }

    /// Checks the chain ([`Store::audit_verify`]) and every signed head: a head must match its
    /// row's hash, and with the bench's key (`key`) must be that key's signature. The first row
    /// that fails is named; one read transaction sees one snapshot.
    pub fn audit_verify_signed(
        &mut self,
        key: Option<&dyn HeadVerifier>,
    ) -> Result<SignedAuditCheck, StoreError> {
        // One deferred read transaction: one snapshot, without taking the write lock.
        let read = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .and_then(|tx| Ok((super::audit::verify(&tx)?, hashes(&tx)?, all(&tx)?)));
        let (chain, rows, heads) = read.map_err(|e| self.err(e))?;
        let check = match (chain, first_mismatch(&rows, &heads, key)) {
            (AuditCheck::Broken { row, .. }, Some((signed, reason))) if signed < row => {
                AuditCheck::Broken {
                    row: signed,
                    reason,
                }
            }
            (broken @ AuditCheck::Broken { .. }, _) => broken,
            (_, Some((row, reason))) => AuditCheck::Broken { row, reason },
            (intact, None) => intact,
        };
        let signed_head = heads.values().next_back().cloned();
        let last_signed = signed_head.as_ref().map_or(0, |h| h.row);
        let unsigned_rows = rows.iter().filter(|(id, _)| *id > last_signed).count() as u64;
        Ok(SignedAuditCheck {
            check,
            checked_with: key.map(HeadVerifier::fingerprint),
            signed_head,
            unsigned_rows,
        })
    }
}
