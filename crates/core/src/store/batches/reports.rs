//! The `batch_reports` table: vendor reports imported on the admin's machine, kept as received
//! with their digest and signer.

use rusqlite::params;
use serde::Serialize;

use super::{insert_batch, BatchStoreError, NewBatchRow};
use crate::audit::AuditEntry;
use crate::ids::BatchId;
use crate::store::{audit, Store, StoreError};

/// A report imported on this machine.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredReport {
    /// Row id.
    pub id: i64,
    /// The batch it reports on.
    pub batch_id: String,
    /// SHA-256 of the file, hex.
    pub digest: String,
    /// The signing bench key's fingerprint.
    pub signer: String,
    /// When it was imported, RFC 3339.
    pub imported_at: String,
    /// How many devices it lists.
    pub device_count: u32,
    /// The file as received (the signature can be checked again at any time).
    #[serde(skip)]
    pub body: String,
}

impl Store {
    /// Keeps an imported, verified report with its audit record, in one transaction; with
    /// `new_batch`, the report's batch (unknown here) is added too. The same file twice is
    /// refused.
    pub fn store_report_audited<B: Serialize>(
        &mut self,
        new_batch: Option<NewBatchRow<'_, B>>,
        digest: &str,
        signer: &str,
        device_count: u32,
        body: &str,
        entry: &AuditEntry,
    ) -> Result<i64, BatchStoreError> {
        let (now, head_signer) = (self.now(), self.audit_signer());
        let batch_id = entry
            .batch
            .clone()
            .or_else(|| new_batch.as_ref().map(|b| b.id.clone()))
            .map(|b| b.to_string())
            .unwrap_or_default();
        let result = self.transact(|tx| {
            if let Some(b) = &new_batch {
                insert_batch(tx, b)?;
            }
            audit::append(tx, entry, &now, head_signer.as_deref())?;
            tx.execute(
                "INSERT INTO batch_reports (batch_id, digest, signer, imported_at, device_count, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![batch_id, digest, signer, now, device_count, body],
            )?;
            Ok(tx.last_insert_rowid())
        });
        match result {
            Err(StoreError::Sqlite { source, .. })
                if source.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
            {
                Err(BatchStoreError::ReportExists(digest.to_owned()))
            }
            other => Ok(other?),
        }
    }

    /// The reports imported for a batch, oldest first.
    pub fn reports(&self, batch: &BatchId) -> Result<Vec<StoredReport>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, batch_id, digest, signer, imported_at, device_count, body FROM batch_reports
                 WHERE batch_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([batch.as_str()], |r| {
                Ok(StoredReport {
                    id: r.get(0)?,
                    batch_id: r.get(1)?,
                    digest: r.get(2)?,
                    signer: r.get(3)?,
                    imported_at: r.get(4)?,
                    device_count: r.get(5)?,
                    body: r.get(6)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }
}
