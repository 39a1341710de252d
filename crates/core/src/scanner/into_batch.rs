//! The one rule for a scan, in the CLI and the app: a scanned serial joins the batch asked for,
//! else the bench's active batch; with no batch to join (none active, the batch closed, the
//! store not answering) the scan is **held**, not refused: kept in the store's `held_scans` until
//! a technician adds the held scans to a batch ([`add_held`]). A scan that is not a serial (a QR
//! code's contents, garbled text) is refused before it gets here and is never kept.

use serde::Serialize;

use super::Scan;
use crate::audit::{AuditAction, AuditEntry};
use crate::batch::exchange::ExchangeError;
use crate::batch::ops;
use crate::batch::BatchStore;
use crate::ids::BatchId;
use crate::store::{BatchStoreError, HeldScanRow, Store};

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
}

impl Taken {
    fn held(message: String, batch: Option<(BatchId, String)>) -> Taken {
        Taken {
            result: ScanResult::Held,
            message: Some(message),
            batch,
            device: None,
            held: None,
        }
    }
}

/// Why held scans could not be added to a batch.
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

/// Sends one scan into `batch` (none: the active one), or holds it in the store.
pub fn take(store: &mut Store, batch: Option<&BatchId>, scan: &Scan) -> Taken {
    let mut taken = place(store, batch, scan);
    if taken.result == ScanResult::Held {
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

/// Sends one scan into `batch` (none: the active one) and says what became of it, keeping
/// nothing.
fn place(store: &mut Store, batch: Option<&BatchId>, scan: &Scan) -> Taken {
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
        },
        Err(e) => Taken {
            result: ScanResult::Refused,
            message: Some(e.to_string()),
            batch: Some((batch, name)),
            device: None,
            held: None,
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
        if taken.result != ScanResult::Held {
            store
                .release_held_scan(row.id)
                .map_err(BatchStoreError::from)?;
        }
        done.push((row, taken));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Batch;

    fn batch(store: &mut Store, name: &str) -> BatchId {
        let b = Batch::for_tests(name, &[]);
        store.create_batch(&b).unwrap();
        b.id
    }

    fn scan(text: &str) -> Scan {
        Scan {
            text: text.into(),
            symbology: None,
        }
    }

    #[test]
    fn scans_go_into_the_active_batch_and_are_held_without_one() {
        let mut store = Store::open_in_memory().unwrap();
        let held = take(&mut store, None, &scan("r5cr0001"));
        assert_eq!(
            (held.result, held.message.as_deref(), held.batch),
            (ScanResult::Held, Some(NO_ACTIVE_BATCH), None)
        );
        assert_eq!(
            held.held.map(|h| h.text),
            Some("R5CR0001".to_owned()),
            "kept, as the serial"
        );
        let wave = batch(&mut store, "Wave 1");
        store.set_active_batch(Some(&wave)).unwrap();
        let added = take(&mut store, None, &scan("r5cr0001"));
        assert_eq!(
            (added.result, added.batch),
            (ScanResult::Added, Some((wave.clone(), "Wave 1".to_owned())))
        );
        assert_eq!(
            take(&mut store, None, &scan("R5CR0001")).result,
            ScanResult::AlreadyThere
        );
        let other = batch(&mut store, "Wave 2");
        assert_eq!(
            take(&mut store, Some(&other), &scan("R5CR0002")).result,
            ScanResult::Added,
            "held scans go to the batch on screen"
        );
        store.close_batch(&wave).unwrap();
        let after = take(&mut store, None, &scan("R5CR0003"));
        assert_eq!(
            (after.result, after.message.as_deref()),
            (ScanResult::Held, Some(NO_ACTIVE_BATCH)),
            "closing it ended it being active"
        );
        let closed = take(&mut store, Some(&wave), &scan("R5CR0003"));
        assert_eq!(closed.result, ScanResult::Held);
        assert!(closed.message.unwrap().contains("“Wave 1” is closed"));
        assert_eq!(store.held_scans().unwrap().len(), 3);
    }

    #[test]
    fn held_scans_join_the_batch_they_are_added_to_and_leave_the_held_list() {
        let mut store = Store::open_in_memory().unwrap();
        take(&mut store, None, &scan("NEWBOX0009"));
        take(&mut store, None, &scan("R5CR0001"));
        let wave = batch(&mut store, "Wave 1");
        let done = add_held(&mut store, wave.as_str()).unwrap();
        let results: Vec<_> = done
            .iter()
            .map(|(row, t)| (row.text.as_str(), t.result))
            .collect();
        assert_eq!(
            results,
            [
                ("NEWBOX0009", ScanResult::Added),
                ("R5CR0001", ScanResult::Added)
            ]
        );
        assert!(store.held_scans().unwrap().is_empty());
        assert!(add_held(&mut store, wave.as_str()).unwrap().is_empty());
        store.close_batch(&wave).unwrap();
        take(&mut store, None, &scan("LATE1"));
        assert!(matches!(
            add_held(&mut store, wave.as_str()),
            Err(AddHeldError::Closed { name }) if name == "Wave 1"
        ));
        assert_eq!(store.held_scans().unwrap().len(), 1, "still held");
    }
}
