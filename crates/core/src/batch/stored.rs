//! Batches as the store keeps them: a [`Batch`] goes in as the body of a plain batch row and
//! comes back as a [`BatchRecord`], with what the bench learned since (a revoked token, the
//! batch closed). [`BatchStore`] is the store seen this way.

use serde::Serialize;

use super::Batch;
use crate::audit::AuditEntry;
use crate::ids::BatchId;
use crate::store::{BatchRow, BatchStoreError, NewBatchRow, Store, StoreError};

/// A stored batch with what the bench knows beyond what was asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchRecord {
    /// The batch.
    pub batch: Batch,
    /// When the bench learned its token was revoked, RFC 3339.
    pub token_revoked_at: Option<String>,
    /// When it was closed, RFC 3339.
    pub closed_at: Option<String>,
}

impl Batch {
    /// The row that adds this batch to the store.
    pub fn new_row(&self) -> NewBatchRow<'_, Batch> {
        NewBatchRow {
            id: &self.id,
            created_at: self.created_at,
            body: self,
        }
    }
}

/// The batches the store keeps, as [`BatchRecord`]s.
pub trait BatchStore {
    /// Adds a batch.
    fn create_batch(&mut self, batch: &Batch) -> Result<(), BatchStoreError>;

    /// Adds a batch and its audit record in one transaction (a pack import: both or neither).
    fn create_batch_audited(
        &mut self,
        batch: &Batch,
        entry: &AuditEntry,
    ) -> Result<(), BatchStoreError>;

    /// The batch with exactly this id.
    fn batch(&self, id: &BatchId) -> Result<Option<BatchRecord>, StoreError>;

    /// Every batch, newest first.
    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError>;

    /// The batch whose id is or starts with `prefix` (at least 4 digits), or its name exactly.
    fn find_batch(&self, prefix: &str) -> Result<BatchRecord, BatchStoreError>;
}

impl BatchStore for Store {
    fn create_batch(&mut self, batch: &Batch) -> Result<(), BatchStoreError> {
        self.create_batch_row(batch.new_row(), None)
    }

    fn create_batch_audited(
        &mut self,
        batch: &Batch,
        entry: &AuditEntry,
    ) -> Result<(), BatchStoreError> {
        self.create_batch_row(batch.new_row(), Some(entry))
    }

    fn batch(&self, id: &BatchId) -> Result<Option<BatchRecord>, StoreError> {
        self.batch_row(id)?.map(|row| record(self, row)).transpose()
    }

    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        let rows = self.batch_rows()?;
        rows.into_iter().map(|row| record(self, row)).collect()
    }

    fn find_batch(&self, prefix: &str) -> Result<BatchRecord, BatchStoreError> {
        let p = prefix.trim().to_ascii_lowercase();
        let all = self.batches()?;
        let by_name: Vec<&BatchRecord> = all
            .iter()
            .filter(|b| b.batch.spec.name == prefix.trim())
            .collect();
        let by_id: Vec<&BatchRecord> = all
            .iter()
            .filter(|b| p.len() >= 4 && b.batch.id.as_str().starts_with(&p))
            .collect();
        let found = if by_id.is_empty() { by_name } else { by_id };
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(BatchStoreError::NotFound(prefix.to_owned())),
            many => Err(BatchStoreError::Ambiguous {
                prefix: prefix.to_owned(),
                count: many.len(),
            }),
        }
    }
}

/// The record a stored row holds; a body this build cannot read is the store's error.
fn record(store: &Store, row: BatchRow) -> Result<BatchRecord, StoreError> {
    Ok(BatchRecord {
        batch: serde_json::from_str(&row.body).map_err(|e| store.unreadable(e))?,
        token_revoked_at: row.token_revoked_at,
        closed_at: row.closed_at,
    })
}
