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

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use time::OffsetDateTime;

use super::{events, Store, StoreError};
use crate::audit::AuditEntry;
use crate::clock::timestamp;
use crate::ids::{BatchId, DeviceId};
use crate::remedy::{HasRemedy, Remedy};

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

/// The bench setting that names the technician.
pub const TECHNICIAN_SETTING: &str = "technician";

/// Event kind: the technician showed a batch's enrollment QR (a bench event, `data.batch`).
pub const EVENT_QR_SHOWN: &str = "qr-shown";
/// Event kind: the technician confirmed the device is powered off (end of stage 2).
pub const EVENT_POWERED_OFF: &str = "powered-off";
/// Event kind: Windows — the technician signed in at OOBE with the DEM account.
pub const EVENT_DEM_SIGN_IN: &str = "dem-sign-in";
/// Event kind: Windows — the serial was imported as a corporate identifier.
pub const EVENT_SERIAL_IMPORTED: &str = "serial-imported";
/// Event kind: Windows — a user other than the DEM account signed in.
pub const EVENT_USER_LOGGED_ON: &str = "user-logged-on";
/// Event kind: a device joined a batch.
pub const EVENT_BATCH_JOINED: &str = "batch-joined";

const ACTIVE_BATCH: &str = "active-batch";

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

/// How a device joined a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JoinedBy {
    /// One of its serials is on the batch's expected list.
    ExpectedSerial,
    /// It was seen while the batch was the bench's active one.
    ActiveBatch,
    /// A scanned box or device label linked it.
    Scan,
    /// The technician added it by hand.
    Manual,
}

impl JoinedBy {
    fn as_str(self) -> &'static str {
        match self {
            JoinedBy::ExpectedSerial => "expected-serial",
            JoinedBy::ActiveBatch => "active-batch",
            JoinedBy::Scan => "scan",
            JoinedBy::Manual => "manual",
        }
    }
}

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
        let now = self.now();
        self.transact(|tx| {
            insert_batch(tx, &batch)?;
            if let Some(entry) = audit {
                super::audit::append(tx, entry, &now)?;
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

    /// The bench's active batch: devices seen that belong to no other batch join it.
    pub fn active_batch(&self) -> Result<Option<BatchId>, StoreError> {
        let value = self.bench_setting(ACTIVE_BATCH)?;
        Ok(value.and_then(|v| BatchId::try_from(v).ok()))
    }

    /// Sets (or clears) the active batch.
    pub fn set_active_batch(&mut self, id: Option<&BatchId>) -> Result<(), BatchStoreError> {
        if let Some(id) = id {
            let record = self
                .batch_row(id)?
                .ok_or_else(|| BatchStoreError::NotFound(id.to_string()))?;
            if record.closed_at.is_some() {
                return Err(BatchStoreError::Closed(id.clone()));
            }
        }
        self.set_bench_setting(ACTIVE_BATCH, id.map(BatchId::as_str))?;
        Ok(())
    }

    /// Who is working the bench: the [`TECHNICIAN_SETTING`] bench setting, else
    /// `STAGEBENCH_TECHNICIAN`, else the OS user ([`crate::audit::actor_from`]).
    pub fn technician(&self) -> String {
        let setting = self.bench_setting(TECHNICIAN_SETTING).ok().flatten();
        crate::audit::actor_from(setting, |name| std::env::var(name).ok())
    }

    /// A bench setting (`technician`, …).
    pub fn bench_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM bench_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets (or, with `None`, removes) a bench setting.
    pub fn set_bench_setting(&mut self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.transact(|tx| match value {
            Some(v) => tx.execute(
                "INSERT INTO bench_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, v],
            ),
            None => tx.execute("DELETE FROM bench_settings WHERE key = ?1", [key]),
        })?;
        Ok(())
    }

    /// Puts `device` into `batch` (once; joining again changes nothing). Returns whether it
    /// joined now.
    pub fn add_to_batch(
        &mut self,
        batch: &BatchId,
        device: DeviceId,
        how: JoinedBy,
    ) -> Result<bool, BatchStoreError> {
        let record = self
            .batch_row(batch)?
            .ok_or_else(|| BatchStoreError::NotFound(batch.to_string()))?;
        if record.closed_at.is_some() {
            return Err(BatchStoreError::Closed(batch.clone()));
        }
        let now = self.now();
        let joined = self.transact(|tx| join(tx, batch, device, how, &now))?;
        Ok(joined)
    }

    /// After a sighting: puts `device` into a batch when it is in none yet — the open batch
    /// that expects one of its serials, else the active batch. Returns the batch it is in.
    pub fn assign_batch(&mut self, device: DeviceId) -> Result<Option<BatchId>, StoreError> {
        let now = self.now();
        let active = self.active_batch()?;
        self.transact(|tx| {
            let current: Option<String> = tx
                .query_row(
                    "SELECT bd.batch_id FROM batch_devices bd JOIN batches b ON b.id = bd.batch_id
                     WHERE bd.device_id = ?1 ORDER BY b.closed_at IS NOT NULL, bd.added_at DESC LIMIT 1",
                    [device.0],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = current {
                return Ok(BatchId::try_from(id).ok());
            }
            let expected: Option<String> = tx
                .query_row(
                    "SELECT b.id FROM batches b, json_each(b.body, '$.expected_serials') e, device_serials s
                     WHERE b.closed_at IS NULL AND s.device_id = ?1 AND upper(trim(s.value)) = e.value
                     ORDER BY b.created_at DESC LIMIT 1",
                    [device.0],
                    |r| r.get(0),
                )
                .optional()?;
            let (id, how) = match (expected, active.clone()) {
                (Some(id), _) => (id, JoinedBy::ExpectedSerial),
                (None, Some(active)) => (active.to_string(), JoinedBy::ActiveBatch),
                (None, None) => return Ok(None),
            };
            let Ok(id) = BatchId::try_from(id) else { return Ok(None) };
            let open: bool = tx
                .query_row("SELECT closed_at IS NULL FROM batches WHERE id = ?1", [id.as_str()], |r| r.get(0))
                .optional()?
                .unwrap_or(false);
            if !open {
                return Ok(None);
            }
            join(tx, &id, device, how, &now)?;
            Ok(Some(id))
        })
    }

    /// The devices of a batch with how and when each joined, in joining order.
    pub fn batch_devices(
        &self,
        batch: &BatchId,
    ) -> Result<Vec<(DeviceId, JoinedBy, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT device_id, how, added_at FROM batch_devices WHERE batch_id = ?1 ORDER BY added_at, device_id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([batch.as_str()], |r| {
                let how: String = r.get(1)?;
                let how = match how.as_str() {
                    "expected-serial" => JoinedBy::ExpectedSerial,
                    "active-batch" => JoinedBy::ActiveBatch,
                    "scan" => JoinedBy::Scan,
                    _ => JoinedBy::Manual,
                };
                Ok((DeviceId(r.get(0)?), how, r.get(2)?))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }

    /// The batch `device` belongs to (an open one first), if any.
    pub fn batch_of(&self, device: DeviceId) -> Result<Option<BatchId>, StoreError> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT bd.batch_id FROM batch_devices bd JOIN batches b ON b.id = bd.batch_id
                 WHERE bd.device_id = ?1 ORDER BY b.closed_at IS NOT NULL, bd.added_at DESC LIMIT 1",
                [device.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(id.and_then(|id| BatchId::try_from(id).ok()))
    }

    /// Records a technician action on a device: an event of `kind` (the domain's
    /// `batch::action::TechnicianAction` names the kinds) with who did it.
    pub fn record_action(
        &mut self,
        device: DeviceId,
        kind: &str,
        technician: &str,
    ) -> Result<(), StoreError> {
        self.append_event(
            Some(device),
            kind,
            &serde_json::json!({ "technician": technician }),
        )?;
        Ok(())
    }

    /// Records that the batch's QR was shown on the bench.
    pub fn record_qr_shown(&mut self, batch: &BatchId, technician: &str) -> Result<(), StoreError> {
        self.append_event(
            None,
            EVENT_QR_SHOWN,
            &serde_json::json!({ "batch": batch, "technician": technician }),
        )?;
        Ok(())
    }

    /// When the batch's QR was shown (oldest first).
    pub fn qr_shown_times(
        &self,
        batch: &BatchId,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, json_extract(data, '$.technician') FROM events
                 WHERE device_id IS NULL AND kind = ?1 AND json_extract(data, '$.batch') = ?2 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![EVENT_QR_SHOWN, batch.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }

    /// Every event of `device`, oldest first.
    pub fn device_events(&self, device: DeviceId) -> Result<Vec<super::EventRecord>, StoreError> {
        self.events(Some(device), usize::MAX)
    }

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
        let now = self.now();
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
            super::audit::append(tx, entry, &now)?;
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

    /// The store clock's current time.
    pub fn clock_now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

fn join(
    tx: &Transaction<'_>,
    batch: &BatchId,
    device: DeviceId,
    how: JoinedBy,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = tx.execute(
        "INSERT INTO batch_devices (batch_id, device_id, added_at, how) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
        params![batch.as_str(), device.0, now, how.as_str()],
    )?;
    if n > 0 {
        events::append(
            tx,
            Some(device),
            now,
            EVENT_BATCH_JOINED,
            &serde_json::json!({ "batch": batch, "how": how.as_str() }),
        )?;
    }
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
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
}
