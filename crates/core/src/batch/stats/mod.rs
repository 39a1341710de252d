//! Where the time goes in a batch (issue 14): devices finished per hour, overall and per
//! technician; how long devices spend in each stage; the slowest devices and the stage they are
//! slow in; and when the batch will be done at the recent rate.
//!
//! The figures come from the same history as the batch's progress: each device's events read
//! as observations ([`super::progress::observations()`]) and replayed through
//! [`crate::stage::derive`] to find when the device entered each stage. A device **starts**
//! when the bench first read it in a slot (else at its first event) and is **done** when it
//! reaches the flow's bench-done stage ([`done_stage`]: powered off for a staging token, in
//! Intune for the other flows). Its technician is the one on its latest technician action
//! before it was done, else the one who last showed the batch's QR before then.
//!
//! Clocks move: a time later than the clock's now (the clock was set back, or another machine
//! ran ahead) counts as now, and a history whose times go backwards is noted in
//! [`BatchStats::notes`], so no figure is negative and none is silently wrong.
//!
//! The same [`BatchStats`] goes to `batch show`, the Batches screen and the signed report.
//!
//! Layout: this file holds the figures' types and reads a batch from the store
//! ([`batch_stats`]); `timeline` turns one device's events into the stages it entered and
//! when; `figures` adds the devices up ([`figures()`]); `tests` walks hand-made histories.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use super::progress::device_progress;
use super::BatchRecord;
use crate::clock::ManualClock;
use crate::stage::{Flow, Stage};
use crate::store::{DeviceRecord, EventRecord, Store, StoreError};

mod figures;
#[cfg(test)]
mod tests;
mod timeline;

pub use figures::{figures, RECENT, SLOWEST, STUCK_AFTER};

/// The stage at which a device of `flow` is done at the bench: powered off (bench done) for a
/// staging token, in Intune for the other flows (ready to hand over).
pub fn done_stage(flow: Flow) -> Stage {
    match flow {
        Flow::StagingToken => Stage::BenchDone,
        _ => Stage::InIntune,
    }
}

/// The stages whose times the figures give: those before Intune shows the device (the bench's
/// own, and for a staging token the wait for Intune after powering off).
pub fn timed_stages(flow: Flow) -> Vec<Stage> {
    flow.stages()
        .iter()
        .copied()
        .filter(|s| *s < Stage::InIntune)
        .collect()
}

/// Devices per hour, kept in tenths so that every surface shows the same number (`12.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PerHour(u32);

impl PerHour {
    /// `count` devices over `over`, or `None` when `over` is under a minute (too short to say).
    pub fn of(count: u32, over: time::Duration) -> Option<PerHour> {
        let secs = over.whole_seconds();
        if secs < 60 {
            return None;
        }
        let tenths = (f64::from(count) * 36_000.0 / secs as f64).round();
        Some(PerHour(tenths.min(f64::from(u32::MAX)) as u32))
    }

    /// The rate in tenths of a device per hour.
    pub fn tenths(self) -> u32 {
        self.0
    }

    /// The rate as a number (`12.5`).
    pub fn value(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for PerHour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl Serialize for PerHour {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.value())
    }
}

impl<'de> Deserialize<'de> for PerHour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PerHour, D::Error> {
        let value = f64::deserialize(d)?;
        if !(0.0..=f64::from(u32::MAX) / 10.0).contains(&value) {
            return Err(serde::de::Error::custom(format!(
                "{value} is not a rate of devices per hour"
            )));
        }
        Ok(PerHour((value * 10.0).round() as u32))
    }
}

/// Devices one technician finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TechnicianRate {
    /// Who (`None`: no technician was recorded for these devices).
    pub technician: Option<String>,
    /// Devices they finished.
    pub done: u32,
    /// Per hour, from the first of those devices' start to the last one done (`None`: under a
    /// minute).
    #[ts(type = "number | null")]
    pub per_hour: Option<PerHour>,
}

/// How long devices spend in one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StageTime {
    /// The stage.
    pub stage: Stage,
    /// Its label.
    pub label: String,
    /// Devices that entered the stage and left it (their time there is known).
    pub finished: u32,
    /// The median time those spent there, in seconds.
    #[ts(type = "number | null")]
    pub median_secs: Option<u64>,
    /// The longest time one of those spent there, in seconds.
    #[ts(type = "number | null")]
    pub max_secs: Option<u64>,
    /// Devices in the stage now.
    pub now: u32,
    /// The longest any of those has been there so far, in seconds.
    #[ts(type = "number | null")]
    pub longest_now_secs: Option<u64>,
}

/// One of the slowest devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SlowDevice {
    /// The store's device id.
    #[ts(type = "number")]
    pub device_id: i64,
    /// The serial to show.
    pub serial: Option<String>,
    /// Its bench slot number, when it has one.
    pub slot: Option<u32>,
    /// Time at the bench: from its start to done, or to now when not done.
    #[ts(type = "number")]
    pub bench_secs: u64,
    /// Whether it is done.
    pub finished: bool,
    /// Where it stands now.
    pub stage: Stage,
    /// The stage it spent longest in before done (counting the time so far, when still there).
    pub slowest_stage: Stage,
    /// Its time there, in seconds.
    #[ts(type = "number")]
    pub slowest_stage_secs: u64,
    /// Not done, and in its stage for longer than [`STUCK_AFTER`] and three times the stage's
    /// median: someone should look at it.
    pub stuck: bool,
}

/// Whether the batch's end could be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum EtaState {
    /// Every device is done.
    Done,
    /// Estimated from the recent rate.
    Estimated,
    /// Not enough data to say (the reason says why).
    NotEnoughData,
}

/// When the batch will be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Eta {
    /// Done, estimated, or not enough data.
    pub state: EtaState,
    /// When it will be done (estimated) or was (done).
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub at: Option<OffsetDateTime>,
    /// Devices still to finish: the batch's expected count (or its devices, when more joined)
    /// less those done.
    pub remaining: u32,
    /// Devices done per hour over the last [`RECENT`] (or since the first device started, when
    /// later).
    #[ts(type = "number | null")]
    pub recent_per_hour: Option<PerHour>,
    /// Why there is no estimate, in words.
    pub reason: Option<String>,
}

/// Where the time goes in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BatchStats {
    /// When the figures were made (the clock's now).
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    /// The stage at which a device counts as done ([`done_stage`]).
    pub done_stage: Stage,
    /// Devices in the batch.
    pub devices: u32,
    /// Devices the batch is for: its expected count or serials, or its devices when more joined.
    pub target: u32,
    /// Devices done.
    pub done: u32,
    /// Devices done per hour, from the first done device's start to the last one done
    /// (`None`: none done, or under a minute).
    #[ts(type = "number | null")]
    pub per_hour: Option<PerHour>,
    /// The same per technician, most devices first.
    pub technicians: Vec<TechnicianRate>,
    /// Time in each stage before Intune ([`timed_stages`]), in the flow's order.
    pub stages: Vec<StageTime>,
    /// The slowest devices (at most [`SLOWEST`]), slowest first.
    pub slowest: Vec<SlowDevice>,
    /// When the batch will be done.
    pub eta: Eta,
    /// What may make the figures off (the clock was set back, …).
    pub notes: Vec<String>,
}

/// One device's history, as the figures take it.
#[derive(Debug, Clone)]
pub struct DeviceHistory {
    /// The device.
    pub device: DeviceRecord,
    /// The serial to show.
    pub serial: Option<String>,
    /// Its bench slot number.
    pub slot: Option<u32>,
    /// Its events, oldest first (in the order the store appended them).
    pub events: Vec<EventRecord>,
}

/// A batch's history: its record, each device's history, and when its QR was shown (and by
/// whom), as [`Store::qr_shown_times`] gives them.
#[derive(Debug, Clone)]
pub struct BatchHistory<'a> {
    /// The batch.
    pub record: &'a BatchRecord,
    /// Its devices.
    pub devices: Vec<DeviceHistory>,
    /// Its QR displays: when, and the technician.
    pub qr_shown: Vec<(String, Option<String>)>,
}

/// The figures of the batch `record` from the store's history, at the store's clock.
pub fn batch_stats(store: &Store, record: &BatchRecord) -> Result<BatchStats, StoreError> {
    let now = store.clock_now();
    let qr_shown = store.qr_shown_times(&record.batch.id)?;
    let mut devices = Vec::new();
    for (id, how, _) in store.batch_devices(&record.batch.id)? {
        let Some(device) = store.device(id)? else {
            continue;
        };
        let (progress, events) = device_progress(store, record, &device, how, &qr_shown, now)?;
        devices.push(DeviceHistory {
            device,
            serial: progress.serial,
            slot: progress.slot,
            events,
        });
    }
    let history = BatchHistory {
        record,
        devices,
        qr_shown,
    };
    Ok(figures(&history, &ManualClock::new(now)))
}
