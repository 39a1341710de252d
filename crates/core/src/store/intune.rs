//! The `intune_devices` table: which Intune managed device is which bench device, and what Intune
//! last said about it.
//!
//! The Intune device id is kept once seen, because the serial leaves the device name at stage 3
//! (`Staging_<serial>_…` becomes `<user>_…`), and Android serials in Intune are "not guaranteed
//! to be unique or present" (reference §3.3). A row with no bench device is a device Intune shows
//! that the bench never saw (issue 5 reconciles those). Each change is also appended to the
//! device's event log (`intune-seen`, `intune-changed`, `intune-gone`), which is its history.
//!
//! Rows are plain: Intune's word on a device is kept as the JSON the sync wrote
//! ([`IntuneLinkRow::status`]); `intune::status` reads it as its own type and says what changed.

use rusqlite::{params, OptionalExtension, Row};
use time::OffsetDateTime;

use super::{events, json_column, Store, StoreError};
use crate::clock::timestamp;
use crate::ids::DeviceId;

/// Schema: the Intune link table.
pub(super) const SCHEMA: &str = "
CREATE TABLE intune_devices (
    intune_id    TEXT PRIMARY KEY CHECK (intune_id <> ''),
    device_id    INTEGER REFERENCES devices(id),
    status       TEXT NOT NULL CHECK (json_valid(status)),
    first_seen   TEXT NOT NULL,
    last_checked TEXT NOT NULL,
    gone_since   TEXT
) STRICT;
CREATE INDEX intune_devices_device ON intune_devices(device_id);
";

/// Event kind: Intune showed the device for the first time.
pub const EVENT_INTUNE_SEEN: &str = "intune-seen";
/// Event kind: what Intune says about the device changed (stage, user, name, state).
pub const EVENT_INTUNE_CHANGED: &str = "intune-changed";
/// Event kind: a device Intune used to show is no longer there (deleted, retired, re-enrolled
/// under a new id).
pub const EVENT_INTUNE_GONE: &str = "intune-gone";

/// A bench device's (or an unmatched) Intune record, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IntuneLinkRow {
    /// The bench device, or `None` when the bench never saw it.
    pub device: Option<DeviceId>,
    /// Intune's last word, as the JSON the sync recorded.
    pub status: serde_json::Value,
    /// When the bench first found it in Intune, RFC 3339.
    pub first_seen: String,
    /// When a sync last looked, RFC 3339.
    pub last_checked: String,
    /// Since when Intune no longer shows it, if so.
    pub gone_since: Option<String>,
}

const COLUMNS: &str = "device_id, status, first_seen, last_checked, gone_since";

fn from_row(row: &Row<'_>) -> rusqlite::Result<IntuneLinkRow> {
    Ok(IntuneLinkRow {
        device: row.get::<_, Option<i64>>(0)?.map(DeviceId),
        status: json_column(row, 1)?,
        first_seen: row.get(2)?,
        last_checked: row.get(3)?,
        gone_since: row.get(4)?,
    })
}

/// What changed between the stored status and a new one, as the domain compares them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusChanges {
    /// Short phrases for the device's history (`stage enrolled → user-assigned`).
    pub phrases: Vec<String>,
    /// Whether the change is worth new notes on the device in Intune (its stage moved, or it
    /// was matched to a bench device).
    pub notable: bool,
}

/// What [`Store::record_intune_row`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntuneChange {
    /// First time seen.
    Seen,
    /// Changed, with what changed.
    Changed(StatusChanges),
    /// Checked; nothing worth logging changed.
    Unchanged,
}

impl Store {
    /// Records what Intune says (`status`) about the managed device `intune_id` found for
    /// `device` (or for no bench device). Logs `intune-seen` the first time and
    /// `intune-changed` with what changed after that (`changes_since` says what changed from
    /// the status stored before; it fails when that status can't be read); a device that was
    /// gone and is back counts as changed. A link to a bench device is never dropped by a later
    /// sync that found the Intune device without one.
    pub fn record_intune_row(
        &mut self,
        device: Option<DeviceId>,
        intune_id: &str,
        json: &serde_json::Value,
        now: OffsetDateTime,
        changes_since: impl FnOnce(
            &serde_json::Value,
        )
            -> Result<StatusChanges, Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<IntuneChange, StoreError> {
        let at = timestamp(now);
        self.transact(|tx| {
            let old: Option<IntuneLinkRow> = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM intune_devices WHERE intune_id = ?1"
                ))?
                .query_row([intune_id], from_row)
                .optional()?;
            let linked = device.or(old.as_ref().and_then(|o| o.device));
            tx.prepare_cached(
                "INSERT INTO intune_devices (intune_id, device_id, status, first_seen, last_checked)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (intune_id) DO UPDATE SET
                     device_id = ?2, status = ?3, last_checked = ?4, gone_since = NULL",
            )?
            .execute(params![intune_id, linked.map(|d| d.0), json.to_string(), at])?;
            let change = match &old {
                None => IntuneChange::Seen,
                Some(old) => {
                    let mut changes = changes_since(&old.status).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e)
                    })?;
                    if old.gone_since.is_some() {
                        changes.phrases.insert(0, "back in Intune".into());
                    }
                    if old.device.is_none() && linked.is_some() {
                        changes.phrases.push("matched to a bench device".into());
                        changes.notable = true;
                    }
                    if changes.phrases.is_empty() {
                        IntuneChange::Unchanged
                    } else {
                        IntuneChange::Changed(changes)
                    }
                }
            };
            match &change {
                IntuneChange::Seen => {
                    events::append(tx, linked, &at, EVENT_INTUNE_SEEN, json)?;
                }
                IntuneChange::Changed(changes) => {
                    let data = serde_json::json!({"changes": changes.phrases, "status": json});
                    events::append(tx, linked, &at, EVENT_INTUNE_CHANGED, &data)?;
                }
                IntuneChange::Unchanged => {}
            }
            Ok(change)
        })
    }

    /// Records that Intune no longer shows `intune_id` (looked up by id: 404). Logged once.
    pub fn record_intune_gone(
        &mut self,
        intune_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let at = timestamp(now);
        self.transact(|tx| {
            let row: Option<(Option<i64>, Option<String>)> = tx
                .prepare_cached(
                    "SELECT device_id, gone_since FROM intune_devices WHERE intune_id = ?1",
                )?
                .query_row([intune_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((device, None)) = row else {
                return Ok(false);
            };
            tx.prepare_cached(
                "UPDATE intune_devices SET gone_since = ?2, last_checked = ?2 WHERE intune_id = ?1",
            )?
            .execute(params![intune_id, at])?;
            events::append(
                tx,
                device.map(DeviceId),
                &at,
                EVENT_INTUNE_GONE,
                &serde_json::json!({"intune_id": intune_id}),
            )?;
            Ok(true)
        })
    }

    /// The Intune records linked to `device`, most recently checked first (a factory reset and
    /// re-enrollment gives a second id).
    pub fn intune_link_rows(&self, device: DeviceId) -> Result<Vec<IntuneLinkRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM intune_devices WHERE device_id = ?1
                 ORDER BY gone_since IS NOT NULL, last_checked DESC, rowid DESC"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([device.0], from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }

    /// Every Intune record, with its bench device when matched.
    pub fn intune_rows(&self) -> Result<Vec<IntuneLinkRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM intune_devices ORDER BY first_seen, rowid"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_the_caller_cannot_compare_fails_the_record_and_changes_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        let first = serde_json::json!({"intuneId": "md-1", "stage": "enrolled"});
        let change = store
            .record_intune_row(None, "md-1", &first, now, |_| {
                Ok(StatusChanges {
                    phrases: vec!["never".into()],
                    notable: true,
                })
            })
            .unwrap();
        assert_eq!(change, IntuneChange::Seen);
        let next = serde_json::json!({"intuneId": "md-1", "stage": "leaving"});
        let err = store
            .record_intune_row(None, "md-1", &next, now, |old| {
                assert_eq!(old, &first);
                Err("not a status".into())
            })
            .unwrap_err();
        assert!(err.to_string().contains("not a status"), "{err}");
        let rows = store.intune_rows().unwrap();
        assert_eq!((rows.len(), &rows[0].status), (1, &first));
        assert_eq!(
            store.events(None, 10).unwrap().len(),
            1,
            "only the first sighting"
        );
    }
}
