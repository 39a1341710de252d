//! Reading each bench device's Intune status into its history (see the module docs for the
//! matching rules): by Intune id, else by identifying serial, then the serials open batches
//! expect that no bench device has.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::notes::{queue_notes, stage_summary};
use super::{IntuneDirectory, SyncError, LOOKUP_CHUNK};
use crate::identity::is_identifying_serial;
use crate::ids::DeviceId;
use crate::intune::status::{IntuneStatus, IntuneStatusStore};
use crate::store::{IntuneChange, Store};

/// What a status refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Bench devices looked at.
    pub devices: usize,
    /// Bench devices Intune shows.
    pub found: usize,
    /// Intune devices seen for the first time.
    pub new_in_intune: usize,
    /// Intune devices whose status changed.
    pub changed: usize,
    /// Intune devices that are gone.
    pub gone: usize,
    /// Serials Intune shows on more than one bench device (not linked).
    pub ambiguous: Vec<String>,
    /// Lookups that failed this time (tried again next sync).
    pub failed: usize,
    /// Bench devices with no serial that can tell them apart (not looked up).
    pub unidentifiable: usize,
}

/// Reads Intune's status for every bench device into the store (see the module docs). With
/// `write_notes`, a device that Intune shows for the first time, or whose stage changed, gets
/// the bench's stage summary queued for its Intune notes ([`stage_summary`]).
pub async fn refresh_status(
    store: &mut Store,
    directory: &dyn IntuneDirectory,
    now: OffsetDateTime,
    write_notes: bool,
) -> Result<RefreshReport, SyncError> {
    let mut report = RefreshReport::default();
    let devices = store.devices()?;
    report.devices = devices.len();
    // 1. Devices with a live Intune id: by id.
    let mut by_id: BTreeMap<String, DeviceId> = BTreeMap::new();
    for d in &devices {
        for link in store.intune_links(d.id)? {
            if link.gone_since.is_none() {
                by_id.insert(link.status.intune_id.clone(), d.id);
            }
        }
    }
    let mut found_devices: BTreeSet<DeviceId> = BTreeSet::new();
    let ids: Vec<String> = by_id.keys().cloned().collect();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_ids(chunk).await?;
        report.failed += lookup.failed.len();
        for (id, status) in lookup.found {
            let Some(&device) = by_id.get(&id) else {
                continue;
            };
            match status {
                Some(status) => {
                    let change = store.record_intune_status(Some(device), &status, now)?;
                    settle(
                        store,
                        &mut report,
                        Some(device),
                        &status,
                        change,
                        write_notes,
                    )?;
                    found_devices.insert(device);
                }
                None => {
                    if store.record_intune_gone(&id, now)? {
                        report.gone += 1;
                    }
                }
            }
        }
    }
    // 2. The others: by serial.
    let mut serial_owners: BTreeMap<String, BTreeSet<DeviceId>> = BTreeMap::new();
    for d in &devices {
        if found_devices.contains(&d.id) {
            continue;
        }
        let serials: BTreeSet<&str> = d
            .serials
            .iter()
            .map(|s| s.value.as_str())
            .filter(|s| is_identifying_serial(s))
            .collect();
        if serials.is_empty() {
            report.unidentifiable += 1;
        }
        for s in serials {
            serial_owners.entry(s.to_owned()).or_default().insert(d.id);
        }
    }
    let serials: Vec<String> = serial_owners.keys().cloned().collect();
    let mut seen_ids: BTreeSet<String> = BTreeSet::new();
    for chunk in serials.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_serials(chunk).await?;
        report.failed += lookup.failed.len();
        for (serial, statuses) in lookup.found {
            let owners = serial_owners.get(&serial).cloned().unwrap_or_default();
            for status in statuses {
                // A device found by two of its serials is recorded once.
                if !seen_ids.insert(status.intune_id.clone()) {
                    continue;
                }
                let device = if owners.len() == 1 {
                    owners.iter().next().copied()
                } else {
                    report.ambiguous.push(serial.clone());
                    None
                };
                let change = store.record_intune_status(device, &status, now)?;
                settle(store, &mut report, device, &status, change, write_notes)?;
                if let Some(d) = device {
                    found_devices.insert(d);
                }
            }
        }
    }
    // 3. Serials open batches expect that no bench device has: an expected device Intune shows
    //    but the bench never saw (staged elsewhere, or by someone else) is kept unmatched, so
    //    the batch can raise it.
    let known: BTreeSet<String> = devices
        .iter()
        .flat_map(|d| {
            d.serials
                .iter()
                .map(|s| s.value.trim().to_ascii_uppercase())
        })
        .collect();
    let expected: BTreeSet<String> = store
        .open_batches_expected_serials()?
        .into_iter()
        .filter(|s| !known.contains(s) && is_identifying_serial(s))
        .collect();
    let expected: Vec<String> = expected.into_iter().collect();
    for chunk in expected.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_serials(chunk).await?;
        report.failed += lookup.failed.len();
        for status in lookup.found.into_values().flatten() {
            if seen_ids.insert(status.intune_id.clone()) {
                let change = store.record_intune_status(None, &status, now)?;
                settle(store, &mut report, None, &status, change, write_notes)?;
            }
        }
    }
    report.found = found_devices.len();
    report.ambiguous.sort();
    report.ambiguous.dedup();
    Ok(report)
}

/// Counts a recorded change and queues the notes it calls for.
fn settle(
    store: &mut Store,
    report: &mut RefreshReport,
    device: Option<DeviceId>,
    status: &IntuneStatus,
    change: IntuneChange,
    write_notes: bool,
) -> Result<(), SyncError> {
    let notable = match &change {
        IntuneChange::Seen => {
            report.new_in_intune += 1;
            true
        }
        IntuneChange::Changed(changes) => {
            report.changed += 1;
            changes.notable
        }
        IntuneChange::Unchanged => false,
    };
    if let (true, true, Some(device)) = (write_notes, notable, device) {
        if let Some(record) = store.device(device)? {
            queue_notes(store, &status.intune_id, &stage_summary(&record, status))?;
        }
    }
    Ok(())
}
