//! One device's timeline: when it started at the bench, the stages it entered and when, when it
//! was done, who finished it, and what its times say about the clock.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::{done_stage, DeviceHistory};
use crate::batch::progress::observations;
use crate::batch::BatchRecord;
use crate::stage::{derive, Observed, Stage};
use crate::store::{EventRecord, EVENT_SEEN};

fn parse(at: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(at, &Rfc3339).ok()
}

/// A device's timeline, every time at most the clock's now.
#[derive(Debug, Clone)]
pub(super) struct Timeline {
    /// The store's device id.
    pub device_id: i64,
    /// The serial to show.
    pub serial: Option<String>,
    /// Its slot number.
    pub slot: Option<u32>,
    /// When it started at the bench.
    pub start: OffsetDateTime,
    /// The stages it entered, in order, with when (none skipped over is listed).
    pub entered: Vec<(Stage, OffsetDateTime)>,
    /// When it reached the flow's done stage.
    pub done_at: Option<OffsetDateTime>,
    /// Who finished it (or, not done, who worked on it last).
    pub technician: Option<String>,
    /// Its events dated later than now.
    pub later_than_now: usize,
    /// The largest step back in time between two of its events in the order they were written.
    pub clock_back: Duration,
}

/// A span of time a device spent in one stage.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub stage: Stage,
    pub secs: u64,
    /// Still there now.
    pub ongoing: bool,
}

/// Whole seconds, none when negative.
pub(super) fn secs(d: Duration) -> u64 {
    u64::try_from(d.whole_seconds()).unwrap_or(0)
}

impl Timeline {
    /// Where it stands now.
    pub fn stage(&self) -> Stage {
        self.entered.last().map_or(Stage::New, |(s, _)| *s)
    }

    /// Its time in each stage it entered; the last one runs to `now`.
    pub fn spans(&self, now: OffsetDateTime) -> Vec<Span> {
        let mut out = Vec::with_capacity(self.entered.len());
        for (i, (stage, from)) in self.entered.iter().enumerate() {
            let (to, ongoing) = match self.entered.get(i + 1) {
                Some((_, next)) => (*next, false),
                None => (now, true),
            };
            out.push(Span {
                stage: *stage,
                secs: secs(to - *from),
                ongoing,
            });
        }
        out
    }

    /// Time at the bench: from its start to done, or to `now`.
    pub fn bench_secs(&self, now: OffsetDateTime) -> u64 {
        secs(self.done_at.unwrap_or(now) - self.start)
    }
}

/// When the device started: its first reading in a slot, else its first event, else when it
/// was first seen; at most `now`.
fn start_of(history: &DeviceHistory, now: OffsetDateTime) -> OffsetDateTime {
    let in_slot = history
        .events
        .iter()
        .filter(|e| e.kind == EVENT_SEEN && e.data.get("slot").is_some_and(|s| !s.is_null()))
        .filter_map(|e| parse(&e.at))
        .min();
    let any = || history.events.iter().filter_map(|e| parse(&e.at)).min();
    in_slot
        .or_else(any)
        .or_else(|| parse(&history.device.first_seen))
        .unwrap_or(now)
        .min(now)
}

/// The technician on the latest event (of the device, else the batch's QR displays) at or
/// before `until`; else the first one recorded at all.
fn technician_of(
    events: &[EventRecord],
    qr_shown: &[(String, Option<String>)],
    until: OffsetDateTime,
) -> Option<String> {
    let named = events.iter().filter_map(|e| {
        let who = e.data.get("technician")?.as_str()?;
        Some((parse(&e.at)?, who.to_owned()))
    });
    let shown = qr_shown
        .iter()
        .filter_map(|(at, who)| Some((parse(at)?, who.clone()?)));
    let latest = |all: Vec<(OffsetDateTime, String)>| {
        all.into_iter()
            .filter(|(at, _)| *at <= until)
            .max_by_key(|(at, _)| *at)
            .map(|(_, who)| who)
    };
    let named: Vec<_> = named.collect();
    let shown: Vec<_> = shown.collect();
    latest(named.clone())
        .or_else(|| latest(shown.clone()))
        .or_else(|| named.into_iter().chain(shown).next().map(|(_, who)| who))
}

/// The stages `observations` (sorted) enter, and the prefix length at which each is entered.
/// Milestones are never undone, so the stage of a prefix only grows with its length: each
/// stage's first prefix is found by bisection.
fn entered(
    record: &BatchRecord,
    sorted: &[Observed],
    now: OffsetDateTime,
) -> Vec<(Stage, OffsetDateTime)> {
    let flow = record.batch.spec.profile.flow;
    let stage_at = |k: usize| derive(flow, &sorted[..k], now).stage;
    let last = stage_at(sorted.len());
    let mut out = Vec::new();
    for &stage in flow
        .stages()
        .iter()
        .filter(|s| **s > Stage::New && **s <= last)
    {
        let (mut lo, mut hi) = (1, sorted.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if stage_at(mid) >= stage {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // Entered only if the device stood there, not when a later stage was reached at once.
        if stage_at(lo) == stage {
            out.push((stage, sorted[lo - 1].at));
        }
    }
    out
}

/// The timeline of one device of the batch `record` at `now`.
pub(super) fn timeline(
    record: &BatchRecord,
    history: &DeviceHistory,
    qr_shown: &[(String, Option<String>)],
    now: OffsetDateTime,
) -> Timeline {
    let flow = record.batch.spec.profile.flow;
    let start = start_of(history, now);
    let mut sorted = observations(record, &history.device, &history.events, qr_shown, now);
    sorted.sort();
    let mut stages = vec![(Stage::New, start)];
    for (stage, at) in entered(record, &sorted, now) {
        // Before its start (a QR shown earlier) counts from its start; after now, as now.
        let at = at.clamp(start, now);
        // A stage left the instant it was entered (New, when the QR was up before the device
        // was plugged in) was passed through, not stood in.
        if stages.last().is_some_and(|(_, last)| *last == at) {
            stages.pop();
        }
        stages.push((stage, at));
    }
    let done_at = stages
        .iter()
        .find(|(s, _)| *s >= done_stage(flow))
        .map(|(_, at)| *at);
    let times: Vec<Option<OffsetDateTime>> = history.events.iter().map(|e| parse(&e.at)).collect();
    let later_than_now = times.iter().flatten().filter(|t| **t > now).count();
    let clock_back = times
        .iter()
        .flatten()
        .zip(times.iter().flatten().skip(1))
        .map(|(before, after)| *before - *after)
        .max()
        .unwrap_or(Duration::ZERO)
        .max(Duration::ZERO);
    Timeline {
        device_id: history.device.id.0,
        serial: history.serial.clone(),
        slot: history.slot,
        start,
        technician: technician_of(&history.events, qr_shown, done_at.unwrap_or(now)),
        entered: stages,
        done_at,
        later_than_now,
        clock_back,
    }
}
