//! Where a batch stands: each device's stage and next instruction, derived from the store's
//! event log by [`crate::stage::derive`], counts per stage, the token's state against the due
//! date, and the problems to raise (a token expired or revoked mid-batch flags every device
//! that had not enrolled; serials that disagree; a device Intune never shows after stage 2; an
//! expected device Intune shows that the bench never saw).
//!
//! The same reading feeds the Bench view (one device), the Batches screen and `batch show`
//! (one batch), and the signed report ([`report_devices`]).

use std::collections::BTreeMap;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Batch, BatchRecord, BatchStore, ReportDevice, ReportEvent, ReportSerial};
use crate::identity::{check_identity, SerialObservation, SerialSource};
use crate::ids::BatchId;
use crate::ids::DeviceId;
use crate::intune::status::{IntuneStage, IntuneStatus, IntuneStatusStore};
use crate::remedy::Remedy;
use crate::stage::{derive, DeviceStage, Flow, Observation, Observed, Stage};
use crate::store::{
    DeviceRecord, EventRecord, JoinedBy, Store, StoreError, EVENT_BATCH_JOINED, EVENT_DEM_SIGN_IN,
    EVENT_IDENTITY_CONFLICT, EVENT_INTUNE_CHANGED, EVENT_INTUNE_GONE, EVENT_INTUNE_SEEN,
    EVENT_POWERED_OFF, EVENT_SEEN, EVENT_SERIAL_IMPORTED, EVENT_USER_LOGGED_ON,
};

/// How long before expiry a token is flagged (not blocked) while the batch is open.
pub const TOKEN_WARN_DAYS: i64 = 7;

/// Where the batch token stands against now and the batch's due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum BatchTokenState {
    /// Usable until after the batch is due (or a Windows batch, which has no token).
    Ok,
    /// Usable, but it expires within [`TOKEN_WARN_DAYS`].
    ExpiringSoon,
    /// It expires before the batch is due: printing is blocked.
    ExpiresBeforeDue,
    /// It expired: nothing of the batch may be printed or shown.
    Expired,
    /// It was revoked: nothing of the batch may be printed or shown.
    Revoked,
}

impl BatchTokenState {
    /// The word the wire and the problem ids use (`expires-before-due`).
    pub fn name(self) -> &'static str {
        match self {
            BatchTokenState::Ok => "ok",
            BatchTokenState::ExpiringSoon => "expiring-soon",
            BatchTokenState::ExpiresBeforeDue => "expires-before-due",
            BatchTokenState::Expired => "expired",
            BatchTokenState::Revoked => "revoked",
        }
    }

    /// Whether the token may not be used at all (its QR no longer enrolls, or must not).
    pub fn unusable(self) -> bool {
        matches!(self, BatchTokenState::Expired | BatchTokenState::Revoked)
    }
}

impl std::fmt::Display for BatchTokenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// The batch token's state for printing and showing its QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TokenCheck {
    /// When it expires, RFC 3339 (`None`: it does not expire).
    pub expires: Option<String>,
    /// Where it stands.
    pub state: BatchTokenState,
    /// What to tell people, when it is not `ok`.
    pub message: Option<String>,
    /// The next step, when the bench can take one (replace a token that expires too soon).
    pub remedy: Option<Remedy>,
    /// Whether labels and QR codes for this batch must not be printed.
    pub printing_blocked: bool,
}

/// Checks a batch's token against `now` and its due date: a token that expires before the due
/// date warns at creation and blocks printing for the batch; an expired or revoked one blocks
/// everything.
pub fn token_check(batch: &Batch, revoked_at: Option<&str>, now: OffsetDateTime) -> TokenCheck {
    let expires = batch.spec.profile.token_expires;
    let shown = expires.map(crate::clock::timestamp);
    let check = |state: BatchTokenState, message: Option<String>, blocked: bool| TokenCheck {
        expires: shown.clone(),
        state,
        message,
        remedy: None,
        printing_blocked: blocked,
    };
    if batch.spec.profile.flow == Flow::WindowsDem {
        return check(BatchTokenState::Ok, None, false);
    }
    if let Some(at) = revoked_at {
        return check(
            BatchTokenState::Revoked,
            Some(format!("The batch's token was revoked ({at}): nothing of this batch may be printed or shown. Ask the admin for a new token and a new bench pack.")),
            true,
        );
    }
    let Some(expires) = expires else {
        return check(BatchTokenState::Ok, None, false);
    };
    let day = |t: OffsetDateTime| t.date().to_string();
    if expires <= now {
        return check(
            BatchTokenState::Expired,
            Some(format!("The batch's token expired on {}: its QR no longer enrolls. Ask the admin to replace the token and send a new bench pack.", day(expires))),
            true,
        );
    }
    if let Some(due) = batch.spec.due {
        let end_of_due = due
            .with_hms(23, 59, 59)
            .map(|d| d.assume_utc())
            .unwrap_or(expires);
        if expires < end_of_due {
            let profile = batch.spec.profile.profile_name.clone();
            return TokenCheck {
                remedy: Some(Remedy::ReplaceToken {
                    profile: profile.clone(),
                }),
                ..check(
                    BatchTokenState::ExpiresBeforeDue,
                    Some(format!(
                        "The token expires on {}, before the batch is due ({due}): replace the token of profile \"{profile}\" or move the due date. Printing is blocked for this batch.",
                        day(expires)
                    )),
                    true,
                )
            };
        }
    }
    if expires - now < time::Duration::days(TOKEN_WARN_DAYS) {
        let hours = (expires - now).whole_hours();
        return check(
            BatchTokenState::ExpiringSoon,
            Some(format!(
                "The token expires in {hours} h ({}).",
                day(expires)
            )),
            false,
        );
    }
    check(BatchTokenState::Ok, None, false)
}

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

fn parse_time(at: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(at, &Rfc3339).ok()
}

fn intune_status(data: &serde_json::Value, kind: &str) -> Option<IntuneStatus> {
    let status = if kind == EVENT_INTUNE_CHANGED {
        data.get("status")?
    } else {
        data
    };
    serde_json::from_value(status.clone()).ok()
}

/// The observations in a device's events (plus the batch's QR displays and token state).
pub fn observations(
    batch: &BatchRecord,
    device: &DeviceRecord,
    events: &[EventRecord],
    qr_shown: &[(String, Option<String>)],
    now: OffsetDateTime,
) -> Vec<Observed> {
    let flow = batch.batch.spec.profile.flow;
    let dem = batch
        .batch
        .spec
        .profile
        .dem_account
        .as_deref()
        .map(str::to_ascii_lowercase);
    let mut out = Vec::new();
    for (at, _) in qr_shown {
        if let Some(at) = parse_time(at) {
            out.push(Observed {
                at,
                what: Observation::QrShown,
            });
        }
    }
    for e in events {
        let Some(at) = parse_time(&e.at) else {
            continue;
        };
        let what = match e.kind.as_str() {
            EVENT_SEEN => {
                let ev = e.data.pointer("/facts/evidence");
                let Some(ev) = ev.filter(|v| !v.is_null()) else {
                    continue;
                };
                let evidence: crate::device::StageEvidence =
                    match serde_json::from_value(ev.clone()) {
                        Ok(ev) => ev,
                        Err(_) => continue,
                    };
                Observation::Adb {
                    provisioned: evidence.device_provisioned == Some(true),
                    intune_owner: evidence.owned_by_intune(),
                    boot_count: evidence.boot_count,
                }
            }
            EVENT_POWERED_OFF => Observation::PoweredOff,
            EVENT_DEM_SIGN_IN => Observation::DemSignIn,
            EVENT_SERIAL_IMPORTED => Observation::SerialImported,
            EVENT_USER_LOGGED_ON => Observation::UserLoggedOn,
            EVENT_INTUNE_SEEN | EVENT_INTUNE_CHANGED => {
                let Some(status) = intune_status(&e.data, &e.kind) else {
                    continue;
                };
                match status.stage {
                    IntuneStage::Leaving => Observation::IntuneLeaving,
                    IntuneStage::Enrolled => Observation::IntuneEnrolled,
                    IntuneStage::UserAssigned if flow == Flow::WindowsDem => {
                        let upn = status
                            .user_principal_name
                            .as_deref()
                            .map(str::to_ascii_lowercase);
                        if upn.is_some() && upn == dem {
                            Observation::IntuneEnrolled
                        } else {
                            Observation::IntuneUser
                        }
                    }
                    IntuneStage::UserAssigned => Observation::IntuneUser,
                }
            }
            _ => continue,
        };
        out.push(Observed { at, what });
    }
    // Serials that disagree, noted when the device was first seen.
    let observed: Vec<SerialObservation> = device
        .serials
        .iter()
        .map(|s| SerialObservation::new(s.source, s.value.clone()))
        .collect();
    if !check_identity(&observed).is_clean() {
        if let Some(at) = parse_time(&device.first_seen) {
            out.push(Observed {
                at,
                what: Observation::SerialsDisagree,
            });
        }
    }
    // The token: expired at its expiry, revoked when the bench learned it.
    if let Some(at) = batch.token_revoked_at.as_deref().and_then(parse_time) {
        out.push(Observed {
            at,
            what: Observation::TokenUnusable { revoked: true },
        });
    }
    if let Some(expires) = batch.batch.spec.profile.token_expires.filter(|e| *e <= now) {
        out.push(Observed {
            at: expires,
            what: Observation::TokenUnusable { revoked: false },
        });
    }
    out
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
        slot: facts
            .get("slot_number")
            .and_then(|v| v.as_u64())
            .and_then(|n| u32::try_from(n).ok()),
        manufacturer: facts_str(facts, "manufacturer"),
        model: facts_str(facts, "model"),
        os_version: facts_str(facts, "android_release").or_else(|| facts_str(facts, "os_version")),
        joined_by: joined_name(joined_by),
        state,
        last_seen: device.last_seen.clone(),
    };
    Ok((progress, events))
}

/// The stage of the device with this id in its batch, if it is in one (for the Bench view).
pub fn stage_of(
    store: &Store,
    device: DeviceId,
    now: OffsetDateTime,
) -> Result<Option<(BatchId, DeviceStage)>, StoreError> {
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
    Ok(Some((
        batch_id,
        derive(record.batch.spec.profile.flow, &obs, now),
    )))
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
        });
    }
    Ok(out)
}
