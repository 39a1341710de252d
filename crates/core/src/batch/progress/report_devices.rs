//! The devices of a batch as a signed report lists them: serials, slot, stage, problems, and
//! their history as human lines.

use time::OffsetDateTime;

use super::device_progress;
use super::observations::{intune_status, parse_time};
use crate::batch::{BatchRecord, ReportDevice, ReportEvent};
use crate::intune::status::IntuneStage;
use crate::store::{
    EventRecord, Store, StoreError, EVENT_BATCH_JOINED, EVENT_DEM_SIGN_IN, EVENT_IDENTITY_CONFLICT,
    EVENT_INTUNE_CHANGED, EVENT_INTUNE_GONE, EVENT_INTUNE_SEEN, EVENT_POWERED_OFF, EVENT_SEEN,
    EVENT_SERIAL_IMPORTED, EVENT_USER_LOGGED_ON,
};

/// A human line for an event in a report, or `None` for events a report leaves out (a `seen`
/// that repeats the previous one, outbox bookkeeping).
fn report_event(e: &EventRecord, last_seen_detail: &mut Option<String>) -> Option<ReportEvent> {
    let at = parse_time(&e.at)?;
    let technician = e
        .data
        .get("technician")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let detail = match e.kind.as_str() {
        EVENT_SEEN => {
            let mut parts = Vec::new();
            if let Some(slot) = e
                .data
                .pointer("/facts/slot_number")
                .and_then(|v| v.as_u64())
            {
                parts.push(format!("slot {slot}"));
            }
            if let Some(ev) = e.data.pointer("/facts/evidence").filter(|v| !v.is_null()) {
                if let Ok(ev) = serde_json::from_value::<crate::device::StageEvidence>(ev.clone()) {
                    parts.push(
                        if ev.device_provisioned == Some(true) {
                            "provisioned"
                        } else {
                            "not provisioned"
                        }
                        .into(),
                    );
                    if ev.owned_by_intune() {
                        parts.push("Intune owner".into());
                    }
                    if let Some(b) = ev.boot_count {
                        parts.push(format!("boot count {b}"));
                    }
                }
            }
            let detail = if parts.is_empty() {
                "seen".to_owned()
            } else {
                parts.join(", ")
            };
            if last_seen_detail.as_deref() == Some(detail.as_str()) {
                return None;
            }
            *last_seen_detail = Some(detail.clone());
            detail
        }
        EVENT_INTUNE_SEEN | EVENT_INTUNE_CHANGED => {
            let status = intune_status(&e.data, &e.kind)?;
            let stage = match status.stage {
                IntuneStage::Enrolled => "enrolled",
                IntuneStage::UserAssigned => "user assigned",
                IntuneStage::Leaving => "leaving",
            };
            format!(
                "Intune: {stage} as {} ({})",
                status.device_name, status.intune_id
            )
        }
        EVENT_INTUNE_GONE => "Intune no longer shows it".into(),
        EVENT_BATCH_JOINED => format!(
            "joined the batch ({})",
            e.data.get("how").and_then(|v| v.as_str()).unwrap_or("?")
        ),
        EVENT_IDENTITY_CONFLICT => "serials matched more than one device".into(),
        EVENT_POWERED_OFF => "powered off by the technician".into(),
        EVENT_DEM_SIGN_IN => "signed in with the DEM account".into(),
        EVENT_SERIAL_IMPORTED => "serial imported as a corporate identifier".into(),
        EVENT_USER_LOGGED_ON => "the user signed in".into(),
        _ => return None,
    };
    Some(ReportEvent {
        at,
        kind: e.kind.clone(),
        detail,
        technician,
    })
}

/// The devices of a batch as a report lists them (one device's history in memory at a time).
pub fn report_devices(
    store: &Store,
    record: &BatchRecord,
    now: OffsetDateTime,
) -> Result<Vec<ReportDevice>, StoreError> {
    let qr = store.qr_shown_times(&record.batch.id)?;
    let mut out = Vec::new();
    for (id, how, _) in store.batch_devices(&record.batch.id)? {
        let Some(device) = store.device(id)? else {
            continue;
        };
        let (d, events) = device_progress(store, record, &device, how, &qr, now)?;
        let mut last = None;
        out.push(ReportDevice {
            serials: d.serials,
            slot: d.slot,
            manufacturer: d.manufacturer,
            model: d.model,
            os_version: d.os_version,
            stage: d.state.stage,
            events: events
                .iter()
                .filter_map(|e| report_event(e, &mut last))
                .collect(),
            problems: d.state.problems.iter().map(|p| p.id.to_owned()).collect(),
            box_label: store.box_label(id)?,
        });
    }
    Ok(out)
}
