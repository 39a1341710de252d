//! The one rule for a scan, in the CLI and the app.
//!
//! - A scan **with a slot** (the technician picked the slot, `--slot N`, or tapped the card)
//!   belongs to the device in that slot: its own serial or IMEI puts it in the batch as below;
//!   any other code is that device's **box label** ([`super::box_label`]).
//! - A scan **without a slot** that is a serial the bench knows (a device it has read, or one a
//!   batch expects) joins the batch asked for, else the bench's active batch; with no batch to
//!   join (none active, the batch closed, the store not answering) it is **held** until a
//!   technician adds the held scans to a batch ([`add_held`]).
//! - Any other code **waits for a slot**: it is kept with the held scans until the technician
//!   picks the slot of its device ([`tie_held`]). It never becomes a device of its own (a box
//!   label scanned at the bench once did: a phantom device in the batch).
//!
//! A scan that is not a serial (a QR code's contents, garbled text) is refused before it gets
//! here and is never kept. A device known only by a typed serial (a Windows device) is added with
//! the batch's explicit add (`batch::ops::link_serial`), never by a scan.

use serde::Serialize;

use super::Scan;
use crate::audit::{AuditAction, AuditEntry};
use crate::batch::exchange::ExchangeError;
use crate::batch::ops;
use crate::batch::BatchStore;
use crate::ids::BatchId;
use crate::store::{BatchStoreError, HeldScanRow, Store, StoreError};

/// What a scan did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ScanOutcome {
    /// The serial, as linked (upper-case).
    pub serial: String,
    /// The store's device id.
    #[ts(type = "number")]
    pub device: i64,
    /// Whether it joined the batch now (false: it was in it already).
    pub joined: bool,
}

/// A scanned (or typed) box or device serial joins `batch` (see
/// [`ops::link_serial`]); a device joining is recorded in the audit log.
pub fn scan_into_batch(
    store: &mut Store,
    batch: &BatchId,
    scan: &Scan,
    actor: &str,
) -> Result<ScanOutcome, ExchangeError> {
    let record = store.find_batch(batch.as_str())?;
    let (device, joined) = ops::link_serial(store, batch, &scan.text)?;
    let serial = scan.text.trim().to_ascii_uppercase();
    if joined {
        store.audit(&AuditEntry {
            actor: actor.to_owned(),
            action: AuditAction::DeviceAdded,
            batch: Some(record.batch.id.clone()),
            token: None,
            device: Some(serial.clone()),
            detail: serde_json::json!({"how": "scan", "symbology": scan.symbology}),
        })?;
    }
    Ok(ScanOutcome {
        serial,
        device: device.0,
        joined,
    })
}

/// Why a scan with no active batch is held.
pub const NO_ACTIVE_BATCH: &str =
    "no active batch: the scan is kept until the held scans are added to a batch";

/// Why a code no device has waits.
pub const WAITING_FOR_SLOT: &str =
    "not a serial of any device here: a box label waits until you pick the slot of its device";

/// What became of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum ScanResult {
    /// The device joined the batch.
    Added,
    /// It was in the batch already.
    AlreadyThere,
    /// Not a serial, or the batch would not take it: see the message.
    Refused,
    /// No batch to put it in: kept until it is added to one.
    Held,
    /// Tied to the device in the slot picked, as its box label.
    Tied,
    /// Not a serial of any device: kept until the slot of its device is picked.
    Waiting,
}

/// What one scan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// What became of it.
    pub result: ScanResult,
    /// Why it was refused or held, and what to do.
    pub message: Option<String>,
    /// The batch it went into (or was refused by), with its name.
    pub batch: Option<(BatchId, String)>,
    /// The store's device id, when it joined or was in the batch already.
    pub device: Option<i64>,
    /// The kept scan, when it was held (and could be kept).
    pub held: Option<HeldScanRow>,
    /// The slot it was tied to, as a box label.
    pub slot: Option<u32>,
}

impl Taken {
    fn held(message: String, batch: Option<(BatchId, String)>) -> Taken {
        Taken {
            result: ScanResult::Held,
            message: Some(message),
            batch,
            device: None,
            held: None,
            slot: None,
        }
    }

    /// Refused, with why.
    pub(super) fn refused(message: String) -> Taken {
        Taken {
            result: ScanResult::Refused,
            message: Some(message),
            batch: None,
            device: None,
            held: None,
            slot: None,
        }
    }
}

/// What one scan did, as the app shows it and the CLI prints it with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScanReply {
    /// The scanned code, cleaned and upper-case.
    pub serial: String,
    /// What became of it.
    pub result: ScanResult,
    /// Why it was refused, held or is waiting, and what to do.
    pub message: Option<String>,
    /// The store's device id (the device it joined as, or was tied to).
    #[ts(type = "number | null")]
    pub device: Option<i64>,
    /// The slot it was tied to, as a box label.
    pub slot: Option<u32>,
    /// The batch it went into.
    pub batch: Option<BatchId>,
    /// The kept scan's id, while it is held or waiting (to tie it to a slot).
    #[ts(type = "number | null")]
    pub held: Option<i64>,
}

impl Taken {
    /// What the scan of `text` did, as a reply.
    pub fn reply(&self, text: &str) -> ScanReply {
        ScanReply {
            serial: text.trim().to_ascii_uppercase(),
            result: self.result,
            message: self.message.clone(),
            device: self.device,
            slot: self.slot,
            batch: self.batch.as_ref().map(|(id, _)| id.clone()),
            held: self.held.as_ref().map(|h| h.id),
        }
    }
}

/// A scan typed into open batch `batch`'s scan field (a keyboard wedge), by the rule: a
/// device's serial joins it, any other code waits for a slot. A closed batch is refused.
pub fn scan_into_open_batch(
    store: &mut Store,
    batch: &str,
    scan: &Scan,
) -> Result<ScanReply, AddHeldError> {
    let record = store.find_batch(batch)?;
    if record.closed_at.is_some() {
        return Err(AddHeldError::Closed {
            name: record.batch.spec.name,
        });
    }
    Ok(take(store, Some(&record.batch.id), None, scan).reply(&scan.text))
}

/// Why held scans could not be added to a batch (or a scan typed into a closed one).
#[derive(Debug, thiserror::Error)]
pub enum AddHeldError {
    /// The batch is closed.
    #[error("batch “{name}” is closed: devices can no longer join it")]
    Closed {
        /// Its name.
        name: String,
    },
    /// No such batch, or the store failed.
    #[error(transparent)]
    Batch(#[from] BatchStoreError),
}

/// Takes one scan by the rule (module docs): tied to the device in `slot`, or into `batch`
/// (none: the active one), or held in the store (no batch, or waiting for a slot).
pub fn take(store: &mut Store, batch: Option<&BatchId>, slot: Option<u32>, scan: &Scan) -> Taken {
    let mut taken = match slot {
        Some(slot) => super::box_label::tie(store, batch, slot, scan),
        None => place(store, batch, scan),
    };
    if matches!(taken.result, ScanResult::Held | ScanResult::Waiting) {
        let reason = taken.message.clone().unwrap_or_default();
        match store.hold_scan(
            &scan.text.to_ascii_uppercase(),
            scan.symbology.as_deref(),
            &reason,
        ) {
            Ok(row) => taken.held = Some(row),
            Err(e) => {
                tracing::warn!(error = %e, "a held scan could not be kept in the store");
                taken.message = Some(format!("{reason} (it could not be kept: {e})"));
            }
        }
    }
    taken
}

/// A scan without a slot: a known serial into `batch` (none: the active one), any other code
/// waiting for a slot; says what became of it, keeping nothing.
fn place(store: &mut Store, batch: Option<&BatchId>, scan: &Scan) -> Taken {
    match is_device_serial(store, &scan.text) {
        Ok(true) => into(store, batch, scan),
        Ok(false) => Taken {
            result: ScanResult::Waiting,
            ..Taken::held(WAITING_FOR_SLOT.into(), None)
        },
        Err(e) => Taken::held(format!("{e}; the scan is kept"), None),
    }
}

/// Whether `text` is a serial of a device the bench has read, or one an open batch expects.
pub(super) fn is_device_serial(store: &Store, text: &str) -> Result<bool, StoreError> {
    let serial = text.trim().to_ascii_uppercase();
    Ok(!store.devices_with_serial(&serial)?.is_empty()
        || store
            .open_batches_expected_serials()?
            .iter()
            .any(|s| s.trim().eq_ignore_ascii_case(&serial)))
}

/// A device's serial into `batch` (none: the active one), or held without one.
pub(super) fn into(store: &mut Store, batch: Option<&BatchId>, scan: &Scan) -> Taken {
    let batch = match batch
        .cloned()
        .map(Ok)
        .or_else(|| store.active_batch().transpose())
    {
        Some(Ok(id)) => id,
        Some(Err(e)) => return Taken::held(format!("{e}; the scan is kept"), None),
        None => return Taken::held(NO_ACTIVE_BATCH.into(), None),
    };
    let record = match store.find_batch(batch.as_str()) {
        Ok(record) => record,
        Err(e) => return Taken::held(format!("{e}; the scan is kept"), None),
    };
    let name = record.batch.spec.name.clone();
    if record.closed_at.is_some() {
        let message = format!(
            "batch “{name}” is closed: devices can no longer join it; make another batch active"
        );
        return Taken::held(message, Some((batch, name)));
    }
    let actor = store.technician();
    match scan_into_batch(store, &batch, scan, &actor) {
        Ok(outcome) => Taken {
            result: if outcome.joined {
                ScanResult::Added
            } else {
                ScanResult::AlreadyThere
            },
            message: None,
            batch: Some((batch, name)),
            device: Some(outcome.device),
            held: None,
            slot: None,
        },
        Err(e) => Taken {
            batch: Some((batch, name)),
            ..Taken::refused(e.to_string())
        },
    }
}

/// Adds every held scan to `batch` (a closed batch is refused); each one that joined, was in
/// it already or was refused there leaves the held scans. Returns each held scan with what it
/// did, oldest first.
pub fn add_held(store: &mut Store, batch: &str) -> Result<Vec<(HeldScanRow, Taken)>, AddHeldError> {
    let record = store.find_batch(batch)?;
    if record.closed_at.is_some() {
        return Err(AddHeldError::Closed {
            name: record.batch.spec.name,
        });
    }
    let mut done = Vec::new();
    for row in store.held_scans().map_err(BatchStoreError::from)? {
        let scan = Scan {
            text: row.text.clone(),
            symbology: row.symbology.clone(),
        };
        let taken = place(store, Some(&record.batch.id), &scan);
        if !matches!(taken.result, ScanResult::Held | ScanResult::Waiting) {
            store
                .release_held_scan(row.id)
                .map_err(BatchStoreError::from)?;
        }
        done.push((row, taken));
    }
    Ok(done)
}

#[cfg(test)]
mod tests;
