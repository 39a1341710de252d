//! A scan tied to a slot: the device in the slot the technician picked gets the scanned code as
//! its **box label** (asset tag), kept in its history (the store's `box-label` event), shown on
//! its card and carried in the batch report. The device's own serial or IMEI scanned at its slot
//! is just that device (into the batch, as any serial); the serial of *another* device is
//! refused, so a box is never tied to the wrong device.
//!
//! Two flows end here, for a handheld scanner: pick the slot, then scan (the card's box field,
//! `stagebench scan --slot N`), or scan first and pick the slot after (the scan waits with the
//! held scans, then [`tie_held`]).

use super::into_batch::{into, is_device_serial, ScanResult, Taken};
use super::Scan;
use crate::ids::BatchId;
use crate::store::{HeldScanRow, Store, StoreError};

/// Why a waiting scan could not be tied.
#[derive(Debug, thiserror::Error)]
pub enum TieError {
    /// No held scan has that id (tied or added elsewhere meanwhile).
    #[error(
        "that scan is no longer waiting (it was tied or added meanwhile): scan the box label again"
    )]
    Gone,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Ties `scan` to the device in slot `slot` (module docs); its own serial goes into `batch`
/// (none: the active one).
pub fn tie(store: &mut Store, batch: Option<&BatchId>, slot: u32, scan: &Scan) -> Taken {
    match tie_checked(store, batch, slot, scan) {
        Ok(taken) => taken,
        Err(e) => Taken::refused(format!("{e}; scan the box label again")),
    }
}

fn tie_checked(
    store: &mut Store,
    batch: Option<&BatchId>,
    slot: u32,
    scan: &Scan,
) -> Result<Taken, StoreError> {
    let code = scan.text.trim().to_ascii_uppercase();
    let Some(device) = store.device_in_slot(slot)? else {
        return Ok(Taken::refused(format!(
            "no device has been read in slot {slot}: plug its device in there first, or pick the slot it is in"
        )));
    };
    let owners = store.devices_with_serial(&code)?;
    if owners.contains(&device) {
        return Ok(into(store, batch, scan));
    }
    if !owners.is_empty() || is_device_serial(store, &code)? {
        return Ok(Taken::refused(format!(
            "{code} is the serial of another device, not a box label: scan it at that device's slot"
        )));
    }
    let actor = store.technician();
    store.record_box_label(device, &code, Some(slot), &actor)?;
    Ok(Taken {
        result: ScanResult::Tied,
        message: None,
        batch: None,
        device: Some(device.0),
        held: None,
        slot: Some(slot),
    })
}

/// Ties the waiting (held) scan `id` to the device in slot `slot`; once tied (or taken into a
/// batch) it leaves the held scans. Returns the held scan and what it did.
pub fn tie_held(store: &mut Store, id: i64, slot: u32) -> Result<(HeldScanRow, Taken), TieError> {
    let row = store
        .held_scans()?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(TieError::Gone)?;
    let scan = Scan {
        text: row.text.clone(),
        symbology: row.symbology.clone(),
    };
    let taken = tie(store, None, slot, &scan);
    if matches!(
        taken.result,
        ScanResult::Tied | ScanResult::Added | ScanResult::AlreadyThere
    ) {
        store.release_held_scan(id)?;
    }
    Ok((row, taken))
}
