//! Where a batch stands: each device's stage and next instruction, derived from the store's
//! event log by [`crate::stage::derive`], counts per stage, the token's state against the due
//! date, and the problems to raise (a token expired or revoked mid-batch flags every device
//! that had not enrolled; serials that disagree; a device Intune never shows after stage 2; an
//! expected device Intune shows that the bench never saw).
//!
//! The same reading feeds the Bench view (one device), the Batches screen and `batch show`
//! (one batch), and the signed report ([`report_devices`]).
//!
//! Layout: this file holds one device's and one batch's progress ([`device_progress`],
//! [`stage_of`], [`batch_progress`]); `token` checks the batch token against the due date
//! ([`token_check`]); `observations` reads a device's events into what
//! [`crate::stage::derive`] takes ([`observations()`]); `report_devices` lists the devices as a
//! signed report does ([`report_devices()`]).

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Batch, BatchRecord, BatchStore, ReportSerial};
use crate::device::record::BatchPlace;
use crate::identity::SerialSource;
use crate::ids::BatchId;
use crate::ids::DeviceId;
use crate::intune::status::IntuneStatusStore;
use crate::remedy::Remedy;
use crate::stage::{derive, DeviceStage, Stage};
use crate::store::{DeviceRecord, EventRecord, JoinedBy, Store, StoreError};

mod observations;
mod report_devices;
mod token;

pub use observations::observations;
pub use report_devices::report_devices;
pub use token::{token_check, BatchTokenState, TokenCheck, TOKEN_WARN_DAYS};

/// One device of a batch, as the bench sees it now.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DeviceProgress {
    /// The store's device id.
    #[ts(type = "number")]
    pub device_id: i64,
    /// The serial to show.
    pub serial: Option<String>,
    /// Every serial, with its source.
    pub serials: Vec<ReportSerial>,
    /// Its bench slot number, when it has one.
    pub slot: Option<u32>,
    /// Maker.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Android version.
    pub os_version: Option<String>,
    /// How it joined the batch (`expected-serial`, `active-batch`, `scan`, `manual`).
    pub joined_by: String,
    /// Its stage, instruction and problems.
    pub state: DeviceStage,
    /// Last seen on the bench, RFC 3339.
    pub last_seen: String,
}

/// How many devices are at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StageCount {
    /// The stage.
    pub stage: Stage,
    /// Its label.
    pub label: String,
    /// How many devices are there.
    pub count: u32,
}

/// A problem with the batch as a whole, or with some of its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BatchProblem {
    /// Stable id.
    pub id: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The devices concerned (serials).
    pub devices: Vec<String>,
    /// The next step, when the bench can take one.
    pub remedy: Option<Remedy>,
}

/// A batch's progress.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BatchProgress {
    /// The batch.
    pub batch: Batch,
    /// Whether it is closed.
    pub closed: bool,
    /// Whether it is the bench's active batch.
    pub active: bool,
    /// The token against the due date.
    pub token: TokenCheck,
    /// Devices per stage, in the flow's order.
    pub counts: Vec<StageCount>,
    /// The devices.
    pub devices: Vec<DeviceProgress>,
    /// Problems, batch-level first.
    pub problems: Vec<BatchProblem>,
    /// Expected serials not seen on the bench yet.
    pub not_seen: Vec<String>,
}

fn facts_str(facts: &serde_json::Value, key: &str) -> Option<String> {
    facts.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

fn display_serial(device: &DeviceRecord) -> Option<String> {
    let pick = |src: SerialSource| {
        device
            .serials
            .iter()
            .find(|s| s.source == src)
            .map(|s| s.value.clone())
    };
    pick(SerialSource::RoSerialno)
        .or_else(|| pick(SerialSource::UsbDescriptor))
        .or_else(|| device.serials.first().map(|s| s.value.clone()))
}

fn joined_name(j: JoinedBy) -> String {
    serde_json::to_value(j)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The number of the slot the device was last seen in, as the bench's slots are now (a slot
/// renumbered or freed since shows so, not the number the sighting noted).
fn slot_number(store: &Store, device: &DeviceRecord) -> Option<u32> {
    let port = device.slot.as_deref()?;
    match store.slot_for(port) {
        Ok(slot) => slot.map(|s| s.number),
        Err(e) => {
            tracing::warn!(device = %device.id, error = %e, "could not look up the bench slot");
            None
        }
    }
}

/// One device's progress in `batch`.
pub fn device_progress(
    store: &Store,
    batch: &BatchRecord,
    device: &DeviceRecord,
    joined_by: JoinedBy,
    qr_shown: &[(String, Option<String>)],
    now: OffsetDateTime,
) -> Result<(DeviceProgress, Vec<EventRecord>), StoreError> {
    let events = store.device_events(device.id)?;
    let obs = observations(batch, device, &events, qr_shown, now);
    let state = derive(batch.batch.spec.profile.flow, &obs, now);
    let facts = &device.facts;
    let progress = DeviceProgress {
        device_id: device.id.0,
        serial: display_serial(device),
        serials: device
            .serials
            .iter()
            .map(|s| ReportSerial {
                value: s.value.clone(),
                source: s.source,
            })
            .collect(),
        slot: slot_number(store, device),
        manufacturer: facts_str(facts, "manufacturer"),
        model: facts_str(facts, "model"),
        os_version: facts_str(facts, "android_release").or_else(|| facts_str(facts, "os_version")),
        joined_by: joined_name(joined_by),
        state,
        last_seen: device.last_seen.clone(),
    };
    Ok((progress, events))
}

/// The stage of the device with this id in its batch, if it is in one.
pub fn stage_of(
    store: &Store,
    device: DeviceId,
    now: OffsetDateTime,
) -> Result<Option<(BatchId, DeviceStage)>, StoreError> {
    Ok(place_of(store, device, now)?.map(|place| (place.batch, place.stage)))
}

/// Where the device with this id stands in its batch, if it is in one, with the batch's profile
/// for the preflight rules (for the Bench view).
pub fn place_of(
    store: &Store,
    device: DeviceId,
    now: OffsetDateTime,
) -> Result<Option<BatchPlace>, StoreError> {
    let Some(batch_id) = store.batch_of(device)? else {
        return Ok(None);
    };
    let Some(record) = store.batch(&batch_id)? else {
        return Ok(None);
    };
    let Some(dev) = store.device(device)? else {
        return Ok(None);
    };
    let qr = store.qr_shown_times(&batch_id)?;
    let events = store.device_events(device)?;
    let obs = observations(&record, &dev, &events, &qr, now);
    let profile = &record.batch.spec.profile;
    Ok(Some(BatchPlace {
        batch: batch_id,
        stage: derive(profile.flow, &obs, now),
        profile: profile.preflight_profile(),
    }))
}

/// Everything about a batch, for `batch show` and the Batches screen.
pub fn batch_progress(
    store: &Store,
    record: &BatchRecord,
    now: OffsetDateTime,
) -> Result<BatchProgress, StoreError> {
    let batch = &record.batch;
    let flow = batch.spec.profile.flow;
    let qr = store.qr_shown_times(&batch.id)?;
    let mut devices = Vec::new();
    for (id, how, _) in store.batch_devices(&batch.id)? {
        let Some(device) = store.device(id)? else {
            continue;
        };
        devices.push(device_progress(store, record, &device, how, &qr, now)?.0);
    }
    let mut counts: BTreeMap<Stage, u32> = flow.stages().iter().map(|s| (*s, 0)).collect();
    for d in &devices {
        *counts.entry(d.state.stage).or_default() += 1;
    }
    let counts = counts
        .into_iter()
        .map(|(stage, count)| StageCount {
            stage,
            label: stage.label().into(),
            count,
        })
        .collect();
    let token = token_check(batch, record.token_revoked_at.as_deref(), now);
    let mut problems = Vec::new();
    if let Some(message) = token.message.clone().filter(|_| token.printing_blocked) {
        problems.push(BatchProblem {
            id: format!("token-{}", token.state),
            message,
            devices: vec![],
            remedy: token.remedy.clone(),
        });
    }
    // Device problems, grouped by id.
    let mut grouped: BTreeMap<&str, (String, Vec<String>)> = BTreeMap::new();
    for d in &devices {
        for p in &d.state.problems {
            let entry = grouped
                .entry(p.id)
                .or_insert_with(|| (p.message.clone(), Vec::new()));
            entry.1.push(
                d.serial
                    .clone()
                    .unwrap_or_else(|| format!("device {}", d.device_id)),
            );
        }
    }
    for (id, (message, serials)) in grouped {
        problems.push(BatchProblem {
            id: id.into(),
            message,
            devices: serials,
            remedy: None,
        });
    }
    // Expected serials: not seen on the bench; and those Intune shows that the bench never saw.
    let seen: std::collections::BTreeSet<String> = devices
        .iter()
        .flat_map(|d| {
            d.serials
                .iter()
                .map(|s| s.value.trim().to_ascii_uppercase())
        })
        .collect();
    let not_seen: Vec<String> = batch
        .spec
        .expected_serials
        .iter()
        .filter(|s| !seen.contains(*s))
        .cloned()
        .collect();
    if !not_seen.is_empty() {
        let in_intune: Vec<String> = store
            .intune_all()?
            .into_iter()
            .filter(|l| l.device.is_none() && l.gone_since.is_none())
            .map(|l| l.status.serial_number.trim().to_ascii_uppercase())
            .filter(|s| not_seen.contains(s))
            .collect();
        if !in_intune.is_empty() {
            problems.push(BatchProblem {
                id: "in-intune-not-on-bench".into(),
                message: format!(
                    "Intune shows {} expected device(s) that this bench never saw: staged elsewhere, or enrolled by someone else — check them in Intune before closing the batch.",
                    in_intune.len()
                ),
                devices: in_intune,
                remedy: None,
            });
        }
    }
    if let Some(expected) = batch.spec.expected_count {
        let have = u32::try_from(devices.len()).unwrap_or(u32::MAX);
        if have > expected {
            problems.push(BatchProblem {
                id: "more-than-expected".into(),
                message: format!("{have} devices in a batch of {expected}: check that no device from another batch joined this one."),
                devices: vec![],
                remedy: None,
            });
        }
    }
    let active = store.active_batch()?.as_ref() == Some(&batch.id);
    Ok(BatchProgress {
        batch: batch.clone(),
        closed: record.closed_at.is_some(),
        active,
        token,
        counts,
        devices,
        problems,
        not_seen,
    })
}
