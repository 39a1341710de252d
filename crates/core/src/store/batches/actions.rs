//! Technician actions on a device (powered off, DEM sign-in, …) and QR displays: events in the
//! append-only log, so a device's stage is always derived from one history.

use rusqlite::params;

use crate::ids::{BatchId, DeviceId};
use crate::store::{Store, StoreError};

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

impl Store {
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
}
