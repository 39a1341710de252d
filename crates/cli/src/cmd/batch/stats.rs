//! `batch show`'s "where the time goes": devices per hour (overall and per technician), time in
//! each stage, the slowest devices and when the batch will be done, from
//! `stagebench_core::batch::stats`.

use std::io::Write;

use serde::Serialize;
use stagebench_core::batch::progress::BatchProgress;
use stagebench_core::batch::stats::{BatchStats, EtaState, PerHour};

/// `batch show --json`: the progress with its figures beside it (`stats`).
#[derive(Serialize)]
pub(super) struct Shown<'a> {
    #[serde(flatten)]
    pub progress: &'a BatchProgress,
    pub stats: &'a BatchStats,
}

/// `95` → `1 min 35 s`; `3900` → `1 h 05 min`.
pub(super) fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

fn rate(r: Option<PerHour>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r}/h"))
}

/// The figures as `batch show` prints them.
pub(super) fn show(s: &BatchStats, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "  done      {} of {} ({}) · {} devices per hour",
        s.done,
        s.target,
        s.done_stage.label(),
        s.per_hour.map_or_else(|| "–".into(), |r| r.to_string())
    )?;
    for t in &s.technicians {
        writeln!(
            out,
            "            {}: {} done · {}",
            t.technician
                .as_deref()
                .unwrap_or("(no technician recorded)"),
            t.done,
            rate(t.per_hour)
        )?;
    }
    for t in &s.stages {
        let median = t.median_secs.map_or_else(|| "–".into(), duration);
        let mut line = format!(
            "  {:<9} median {median} over {} device(s)",
            t.label, t.finished
        );
        if let Some(longest) = t.longest_now_secs {
            line.push_str(&format!(
                " · {} there now, longest {}",
                t.now,
                duration(longest)
            ));
        }
        writeln!(out, "{line}")?;
    }
    for d in &s.slowest {
        writeln!(
            out,
            "  slow      {} (slot {}) {} at the bench, {} in {}{}{}",
            d.serial.as_deref().unwrap_or("?"),
            d.slot.map_or_else(|| "–".into(), |n| n.to_string()),
            duration(d.bench_secs),
            duration(d.slowest_stage_secs),
            d.slowest_stage.label(),
            if d.finished { "" } else { ", not done" },
            if d.stuck { " — STUCK: check it" } else { "" },
        )?;
    }
    let eta = &s.eta;
    match (eta.state, eta.at) {
        (EtaState::Done, Some(at)) => writeln!(out, "  finished  {}", utc(at))?,
        (EtaState::Estimated, Some(at)) => writeln!(
            out,
            "  eta       {} ({} to go at {})",
            utc(at),
            eta.remaining,
            rate(eta.recent_per_hour)
        )?,
        _ => writeln!(
            out,
            "  eta       not enough data: {}",
            eta.reason.as_deref().unwrap_or("no estimate")
        )?,
    }
    for note in &s.notes {
        writeln!(out, "  note      {note}")?;
    }
    Ok(())
}

fn utc(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}
