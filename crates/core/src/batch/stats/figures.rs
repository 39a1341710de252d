//! Adding the devices' timelines up: rates, time per stage, the slowest devices, the estimate.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::timeline::{secs, timeline, Timeline};
use super::{
    done_stage, timed_stages, BatchHistory, BatchStats, Eta, EtaState, PerHour, SlowDevice,
    StageTime, TechnicianRate,
};
use crate::clock::Clock;
use crate::stage::Stage;

/// The window the recent rate is taken over.
pub const RECENT: Duration = Duration::hours(1);
/// How many slowest devices the figures list.
pub const SLOWEST: usize = 5;
/// How long a device may stay in one stage before it counts as stuck (when that is also three
/// times the stage's median).
pub const STUCK_AFTER: Duration = Duration::minutes(30);
/// The shortest stretch of work the recent rate is taken over.
const MIN_WINDOW: Duration = Duration::minutes(10);
/// Devices that must be done in the window for an estimate.
const MIN_RECENT: u32 = 2;

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn median(sorted: &[u64]) -> Option<u64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// Devices done per hour among `done` (each with its start and done time).
fn rate(done: &[&Timeline]) -> Option<PerHour> {
    let first = done.iter().map(|t| t.start).min()?;
    let last = done.iter().filter_map(|t| t.done_at).max()?;
    PerHour::of(count(done.len()), last - first)
}

fn stage_times(
    timelines: &[Timeline],
    flow_stages: &[Stage],
    now: OffsetDateTime,
) -> Vec<StageTime> {
    flow_stages
        .iter()
        .map(|&stage| {
            let mut finished = Vec::new();
            let mut waiting = Vec::new();
            for span in timelines
                .iter()
                .flat_map(|t| t.spans(now))
                .filter(|s| s.stage == stage)
            {
                if span.ongoing {
                    waiting.push(span.secs);
                } else {
                    finished.push(span.secs);
                }
            }
            finished.sort_unstable();
            StageTime {
                stage,
                label: stage.label().into(),
                finished: count(finished.len()),
                median_secs: median(&finished),
                max_secs: finished.last().copied(),
                now: count(waiting.len()),
                longest_now_secs: waiting.iter().max().copied(),
            }
        })
        .collect()
}

fn slowest(
    timelines: &[Timeline],
    stages: &[StageTime],
    done: Stage,
    now: OffsetDateTime,
) -> Vec<SlowDevice> {
    let mut out: Vec<SlowDevice> = timelines
        .iter()
        .map(|t| {
            let spans = t.spans(now);
            let before_done = spans.iter().filter(|s| s.stage < done);
            let worst = before_done.max_by_key(|s| (s.secs, std::cmp::Reverse(s.stage)));
            let current = spans.last().filter(|s| s.ongoing && s.stage < done);
            let stuck = current.is_some_and(|s| {
                let median = stages
                    .iter()
                    .find(|m| m.stage == s.stage)
                    .and_then(|m| m.median_secs);
                s.secs > secs(STUCK_AFTER) && median.is_none_or(|m| s.secs > m.saturating_mul(3))
            });
            SlowDevice {
                device_id: t.device_id,
                serial: t.serial.clone(),
                slot: t.slot,
                bench_secs: t.bench_secs(now),
                finished: t.done_at.is_some(),
                stage: t.stage(),
                slowest_stage: worst.map_or(t.stage(), |s| s.stage),
                slowest_stage_secs: worst.map_or(0, |s| s.secs),
                stuck,
            }
        })
        .collect();
    out.sort_by_key(|d| (std::cmp::Reverse(d.bench_secs), d.device_id));
    out.truncate(SLOWEST);
    out
}

fn minutes(d: Duration) -> i64 {
    d.whole_minutes()
}

fn eta(timelines: &[Timeline], target: u32, done: u32, now: OffsetDateTime) -> Eta {
    let remaining = target.saturating_sub(done);
    let not_enough = |reason: String, rate: Option<PerHour>| Eta {
        state: EtaState::NotEnoughData,
        at: None,
        remaining,
        recent_per_hour: rate,
        reason: Some(reason),
    };
    if target == 0 {
        return not_enough("no device has joined the batch yet".into(), None);
    }
    if remaining == 0 {
        return Eta {
            state: EtaState::Done,
            at: timelines.iter().filter_map(|t| t.done_at).max(),
            remaining,
            recent_per_hour: None,
            reason: None,
        };
    }
    let Some(first) = timelines.iter().map(|t| t.start).min() else {
        return not_enough("no device has started yet".into(), None);
    };
    let window = now - first.max(now - RECENT);
    if window < MIN_WINDOW {
        return not_enough(
            format!(
                "the bench has worked on this batch for {} min; an estimate needs {} min",
                minutes(window),
                minutes(MIN_WINDOW)
            ),
            None,
        );
    }
    let recent = count(
        timelines
            .iter()
            .filter_map(|t| t.done_at)
            .filter(|at| now - *at <= RECENT)
            .count(),
    );
    let rate = PerHour::of(recent, window);
    if recent < MIN_RECENT {
        return not_enough(
            format!(
                "{recent} device(s) done in the last {} min; an estimate needs {MIN_RECENT}",
                minutes(window)
            ),
            rate,
        );
    }
    let to_go =
        Duration::seconds(window.whole_seconds() * i64::from(remaining) / i64::from(recent));
    Eta {
        state: EtaState::Estimated,
        at: Some(now + to_go),
        remaining,
        recent_per_hour: rate,
        reason: None,
    }
}

fn notes(timelines: &[Timeline], qr_later: usize) -> Vec<String> {
    let mut notes = Vec::new();
    let later = timelines.iter().map(|t| t.later_than_now).sum::<usize>() + qr_later;
    if later > 0 {
        notes.push(format!(
            "{later} event(s) are dated later than the clock now: the clock was set back (or another machine's clock ran ahead), so they count as now and times near them may be short."
        ));
    }
    let back = timelines
        .iter()
        .map(|t| t.clock_back)
        .max()
        .unwrap_or(Duration::ZERO);
    if back >= Duration::seconds(1) {
        notes.push(format!(
            "The clock went back by up to {} min {} s during the batch: times in a stage across that change may be short.",
            back.whole_minutes(),
            back.whole_seconds() % 60
        ));
    }
    notes
}

/// The figures of a batch's history at `clock`'s now.
pub fn figures(history: &BatchHistory<'_>, clock: &dyn Clock) -> BatchStats {
    let now = clock.now();
    let batch = &history.record.batch;
    let flow = batch.spec.profile.flow;
    let done_stage = done_stage(flow);
    let timelines: Vec<Timeline> = history
        .devices
        .iter()
        .map(|d| timeline(history.record, d, &history.qr_shown, now))
        .collect();
    let devices = count(timelines.len());
    let expected = batch
        .spec
        .expected_count
        .unwrap_or(0)
        .max(count(batch.spec.expected_serials.len()));
    let target = expected.max(devices);
    let finished: Vec<&Timeline> = timelines.iter().filter(|t| t.done_at.is_some()).collect();
    let done = count(finished.len());
    let mut by_tech: BTreeMap<Option<String>, Vec<&Timeline>> = BTreeMap::new();
    for t in &finished {
        by_tech.entry(t.technician.clone()).or_default().push(t);
    }
    let mut technicians: Vec<TechnicianRate> = by_tech
        .into_iter()
        .map(|(technician, devices)| TechnicianRate {
            technician,
            done: count(devices.len()),
            per_hour: rate(&devices),
        })
        .collect();
    technicians.sort_by(|a, b| {
        b.done
            .cmp(&a.done)
            .then_with(|| a.technician.cmp(&b.technician))
    });
    let stages = stage_times(&timelines, &timed_stages(flow), now);
    let qr_later = history
        .qr_shown
        .iter()
        .filter_map(|(at, _)| {
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
        })
        .filter(|at| *at > now)
        .count();
    BatchStats {
        at: now,
        done_stage,
        devices,
        target,
        done,
        per_hour: rate(&finished),
        technicians,
        slowest: slowest(&timelines, &stages, done_stage, now),
        stages,
        eta: eta(&timelines, target, done, now),
        notes: notes(&timelines, qr_later),
    }
}
