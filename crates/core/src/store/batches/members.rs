//! The `batch_devices` table: which batch each bench device belongs to, and how it got there.
//! A device joins when it is first recorded: the open batch whose expected serials hold one of
//! its serials, else the bench's active batch; a scan or the technician can add it too.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::BatchStoreError;
use crate::ids::{BatchId, DeviceId};
use crate::store::{events, Store, StoreError};

/// Event kind: a device joined a batch.
pub const EVENT_BATCH_JOINED: &str = "batch-joined";

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

    /// The value [`JoinedBy::as_str`] wrote (the table allows no other; anything else reads as
    /// a manual join).
    fn from_stored(s: &str) -> Self {
        [
            JoinedBy::ExpectedSerial,
            JoinedBy::ActiveBatch,
            JoinedBy::Scan,
        ]
        .into_iter()
        .find(|how| how.as_str() == s)
        .unwrap_or(JoinedBy::Manual)
    }
}

impl Store {
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
            if let Some((id, _)) = current_batch(tx, device)? {
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
                let how = JoinedBy::from_stored(&r.get::<_, String>(1)?);
                Ok((DeviceId(r.get(0)?), how, r.get(2)?))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }

    /// The batch `device` belongs to (an open one first), if any.
    pub fn batch_of(&self, device: DeviceId) -> Result<Option<BatchId>, StoreError> {
        Ok(self.joined_batch(device)?.map(|(id, _)| id))
    }

    /// The batch `device` belongs to (as [`Store::batch_of`]) and when it joined it (RFC 3339),
    /// in one indexed read, not a walk through the batch's members.
    pub fn joined_batch(&self, device: DeviceId) -> Result<Option<(BatchId, String)>, StoreError> {
        let found = current_batch(&self.conn, device).map_err(|e| self.err(e))?;
        Ok(found.and_then(|(id, at)| Some((BatchId::try_from(id).ok()?, at))))
    }
}

/// The batch `device` is in, as stored (an open one first, else the one it joined last), and
/// when it joined.
fn current_batch(
    conn: &Connection,
    device: DeviceId,
) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row(
        "SELECT bd.batch_id, bd.added_at FROM batch_devices bd JOIN batches b ON b.id = bd.batch_id
         WHERE bd.device_id = ?1 ORDER BY b.closed_at IS NOT NULL, bd.added_at DESC LIMIT 1",
        [device.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
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
