//! The batch tables: `batches` (one row per batch, the batch as JSON, when its token was seen
//! revoked, when it was closed), `batch_devices` (which bench device belongs to which
//! batch, and how it got there), `batch_reports` (vendor reports imported on the admin's
//! machine, kept as received) and `bench_settings` (the active batch, the technician's name).
//!
//! A device joins a batch when it is first recorded: the open batch whose expected serials hold
//! one of its serials, else the bench's active batch. Technician actions (`powered-off`, …) and
//! QR displays go into the append-only event log like everything else, so a device's stage is
//! always derived from one history (`batch::progress`).
//!
//! Rows are plain: a batch's body is JSON the batch module writes ([`NewBatchRow`]) and reads
//! back ([`BatchRow`]); the queries here read the few fields of it they need with
//! `json_extract`.
//!
//! Layout: this file holds the schema and the `batches` table (a batch's row, closing it, its
//! token); `members` the `batch_devices` table (which batch a device joins, and how);
//! `settings` the `bench_settings` table (the active batch, the technician); `reports` the
//! `batch_reports` table; `actions` the technician actions and QR displays in the event log;
//! `tests` runs them on an in-memory store.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::audit::AuditEntry;
use crate::clock::timestamp;
use crate::ids::BatchId;
use crate::remedy::{HasRemedy, Remedy};

mod actions;
mod members;
mod reports;
mod settings;
#[cfg(test)]
mod tests;

pub use actions::{
    EVENT_DEM_SIGN_IN, EVENT_POWERED_OFF, EVENT_QR_SHOWN, EVENT_SERIAL_IMPORTED,
    EVENT_USER_LOGGED_ON,
};
pub use members::{JoinedBy, EVENT_BATCH_JOINED};
pub use reports::StoredReport;
pub use settings::TECHNICIAN_SETTING;

/// Schema version 8.
pub(super) const SCHEMA: &str = "
CREATE TABLE batches (
    id                TEXT PRIMARY KEY CHECK (length(id) = 32),
    body              TEXT NOT NULL CHECK (json_valid(body)),
    created_at        TEXT NOT NULL,
    token_revoked_at  TEXT,
    closed_at         TEXT
) STRICT;
CREATE TABLE batch_devices (
    batch_id  TEXT NOT NULL REFERENCES batches(id),
    device_id INTEGER NOT NULL REFERENCES devices(id),
    added_at  TEXT NOT NULL,
    how       TEXT NOT NULL CHECK (how IN ('expected-serial', 'active-batch', 'scan', 'manual')),
    PRIMARY KEY (batch_id, device_id)
) STRICT;
CREATE INDEX batch_devices_device ON batch_devices(device_id);
CREATE TABLE batch_reports (
    id           INTEGER PRIMARY KEY,
    batch_id     TEXT NOT NULL,
    digest       TEXT NOT NULL UNIQUE,
    signer       TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    device_count INTEGER NOT NULL,
    body         TEXT NOT NULL
) STRICT;
CREATE INDEX batch_reports_batch ON batch_reports(batch_id, id);
CREATE TABLE bench_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
";

/// A batch to add: its id, when it was created, and the batch itself (`body`), kept as JSON.
#[derive(Debug, Clone, Copy)]
pub struct NewBatchRow<'a, B> {
    /// The batch's id.
    pub id: &'a BatchId,
    /// When it was created (the list is newest first).
    pub created_at: OffsetDateTime,
    /// The batch, written as JSON.
    pub body: &'a B,
}

/// A stored batch: its body as written, with what the bench knows beyond it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// The batch, as the JSON text written when it was added (and updated since by
    /// [`Store::renew_batch_token`]).
    pub body: String,
    /// When the bench learned its token was revoked, RFC 3339.
    pub token_revoked_at: Option<String>,
    /// When it was closed, RFC 3339.
    pub closed_at: Option<String>,
}

fn row_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<BatchRow> {
    Ok(BatchRow {
        body: row.get(0)?,
        token_revoked_at: row.get(1)?,
        closed_at: row.get(2)?,
    })
}

/// Inserts a batch inside a transaction (with its audit record, or a report, in the same one).
/// A batch id already present is refused.
fn insert_batch<B: Serialize>(
    tx: &Transaction<'_>,
    batch: &NewBatchRow<'_, B>,
) -> rusqlite::Result<()> {
    let body = serde_json::to_string(batch.body)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO batches (id, body, created_at) VALUES (?1, ?2, ?3)",
        params![batch.id.as_str(), body, timestamp(batch.created_at)],
    )?;
    Ok(())
}

/// Why a batch operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchStoreError {
    /// No batch matches.
    #[error("no batch {0:?} on this bench: pick one of the batches here")]
    NotFound(String),
    /// A prefix matches more than one batch.
    #[error(
        "{prefix:?} matches {count} batches: give more of the id, or pick one of the batches here"
    )]
    Ambiguous {
        /// What was given.
        prefix: String,
        /// How many matched.
        count: usize,
    },
    /// The batch is already on this bench.
    #[error(
        "batch {0} is already on this bench (imported or created before); nothing was changed"
    )]
    Exists(BatchId),
    /// The report was imported before.
    #[error("this report (sha256 {0}) was imported before; nothing was changed")]
    ReportExists(String),
    /// The batch is closed.
    #[error("batch {0} is closed: devices can no longer join it")]
    Closed(BatchId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HasRemedy for BatchStoreError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            BatchStoreError::NotFound(_) | BatchStoreError::Ambiguous { .. } => {
                Some(Remedy::PickBatch)
            }
            BatchStoreError::Exists(_)
            | BatchStoreError::ReportExists(_)
            | BatchStoreError::Closed(_)
            | BatchStoreError::Store(_) => None,
        }
    }
}

impl Store {
    /// Adds a batch, with its audit record in the same transaction when there is one (a pack
    /// import: both or neither). A batch id already present is refused.
    pub fn create_batch_row<B: Serialize>(
        &mut self,
        batch: NewBatchRow<'_, B>,
        audit: Option<&AuditEntry>,
    ) -> Result<(), BatchStoreError> {
        if self.batch_row(batch.id)?.is_some() {
            return Err(BatchStoreError::Exists(batch.id.clone()));
        }
        let (now, signer) = (self.now(), self.audit_signer());
        self.transact(|tx| {
            insert_batch(tx, &batch)?;
            if let Some(entry) = audit {
                super::audit::append(tx, entry, &now, signer.as_deref())?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The batch with exactly this id.
    pub fn batch_row(&self, id: &BatchId) -> Result<Option<BatchRow>, StoreError> {
        self.conn
            .query_row(
                "SELECT body, token_revoked_at, closed_at FROM batches WHERE id = ?1",
                [id.as_str()],
                row_from,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every batch, newest first.
    pub fn batch_rows(&self) -> Result<Vec<BatchRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body, token_revoked_at, closed_at FROM batches ORDER BY created_at DESC, id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], row_from)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }

    /// Closes a batch: it stays for reports and audits, but devices no longer join it.
    pub fn close_batch(&mut self, id: &BatchId) -> Result<(), BatchStoreError> {
        let now = self.now();
        let changed = self.transact(|tx| {
            tx.execute(
                "UPDATE batches SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL",
                params![id.as_str(), now],
            )
        })?;
        if changed == 0 && self.batch_row(id)?.is_none() {
            return Err(BatchStoreError::NotFound(id.to_string()));
        }
        if self.active_batch()?.as_ref() == Some(id) {
            self.set_active_batch(None)?;
        }
        Ok(())
    }

    /// Notes that the token of every open batch using `profile_id` was revoked (now), so their
    /// devices that had not enrolled yet are flagged. Returns how many batches were marked.
    pub fn mark_token_revoked(&mut self, profile_id: &str) -> Result<usize, StoreError> {
        let now = self.now();
        self.transact(|tx| {
            tx.execute(
                "UPDATE batches SET token_revoked_at = ?2
                 WHERE token_revoked_at IS NULL AND closed_at IS NULL
                   AND json_extract(body, '$.profile.profile_id') = ?1",
                params![profile_id, now],
            )
        })
    }

    /// A new token for `profile_id`: the open batches created here that use it take over its
    /// expiry, and a revocation noted earlier no longer applies. Returns how many changed.
    pub fn renew_batch_token(
        &mut self,
        profile_id: &str,
        expires: Option<OffsetDateTime>,
    ) -> Result<usize, StoreError> {
        let expires = expires.map(|e| {
            e.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        });
        self.transact(|tx| {
            tx.execute(
                "UPDATE batches SET token_revoked_at = NULL,
                        body = json_set(body, '$.profile.token_expires', ?2)
                 WHERE closed_at IS NULL AND json_extract(body, '$.origin.kind') = 'local'
                   AND json_extract(body, '$.profile.profile_id') = ?1",
                params![profile_id, expires],
            )
        })
    }

    /// The serials the open batches expect, as their lists hold them (upper-case, trimmed).
    pub fn open_batches_expected_serials(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.value FROM batches b, json_each(b.body, '$.expected_serials') e
                 WHERE b.closed_at IS NULL ORDER BY b.created_at DESC, b.id, e.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }
}
