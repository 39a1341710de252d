//! `stagebench sync`: bring the bench and Intune in step once. Reads Intune's status of every
//! device in the bench history (queueing each new or changed stage for the device's Intune
//! notes unless `--no-notes`), then sends the outbox of changes bound for Intune.
//!
//! Working offline is normal at a bench: when Intune cannot be reached the command says how
//! many changes wait in the outbox and exits 0. It exits 1 when nobody is signed in or the
//! sign-in is no longer accepted (Graph answered 401 after a token refresh).

use std::io::Write;

use anyhow::Context;
use clap::Args;
use rand::SeedableRng;
use serde::Serialize;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::sync::{
    drain_outbox, refresh_status, OutboxDrainReport, RefreshReport, SyncError,
};
use stagebench_core::store::{OutboxCounts, Store};
use time::OffsetDateTime;

/// What to sync, and how to print.
#[derive(Args)]
pub struct SyncArgs {
    /// Don't queue the bench's stage summaries for the devices' Intune notes.
    #[arg(long)]
    no_notes: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What `sync --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncReport {
    /// The status refresh (absent when Intune was unreachable before it finished).
    refresh: Option<RefreshReport>,
    /// The outbox drain (absent when it did not run).
    outbox: Option<OutboxDrainReport>,
    /// What is still in the outbox afterwards.
    pending: OutboxCounts,
    /// Whether Intune was unreachable.
    offline: bool,
    /// Why, when offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    offline_reason: Option<String>,
}

/// A sync step's failure: offline is reported, anything else stops the command.
fn settle<T>(
    result: Result<T, SyncError>,
    offline: &mut Option<String>,
) -> anyhow::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(SyncError::Offline(why)) => {
            *offline = Some(why);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs `stagebench sync`.
pub async fn run(args: &SyncArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench's history")?;
    let client = super::connect_tenant(&store)?;
    let mut offline = None;
    let refresh = settle(
        refresh_status(
            &mut store,
            &*client,
            OffsetDateTime::now_utc(),
            !args.no_notes,
        )
        .await,
        &mut offline,
    )?;
    let outbox = if offline.is_none() {
        let mut rng = rand::rngs::StdRng::from_entropy();
        // Now again: the notes the refresh just queued are due from the moment they were queued.
        let now = OffsetDateTime::now_utc();
        let drained = settle(
            drain_outbox(&mut store, &*client, &RetryPolicy::default(), &mut rng, now).await,
            &mut offline,
        )?;
        if let Some(OutboxDrainReport { offline: true, .. }) = drained {
            offline.get_or_insert_with(|| "Graph could not be reached while sending".into());
        }
        drained
    } else {
        None
    };
    let report = SyncReport {
        refresh,
        outbox,
        pending: store.outbox_len()?,
        offline: offline.is_some(),
        offline_reason: offline,
    };
    if args.json {
        return super::write_json(out, &report);
    }
    write_text(&report, out)
}

fn write_text(report: &SyncReport, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(r) = &report.refresh {
        writeln!(
            out,
            "Intune status: {} bench devices looked at, {} found in Intune ({} new, {} changed, {} gone).",
            r.devices, r.found, r.new_in_intune, r.changed, r.gone
        )?;
        if r.devices == 0 {
            writeln!(out, "  The bench history has no devices yet: plug devices in and run `stagebench devices` (or use the app).")?;
        }
        if !r.ambiguous.is_empty() {
            writeln!(out, "  ! Serials Intune shows on more than one bench device (not linked; check the devices): {}", r.ambiguous.join(", "))?;
        }
        if r.failed > 0 {
            writeln!(
                out,
                "  ! {} look-ups failed this time; the next sync tries them again.",
                r.failed
            )?;
        }
        if r.unidentifiable > 0 {
            writeln!(
                out,
                "  ! {} bench devices have no serial that tells them apart (not looked up).",
                r.unidentifiable
            )?;
        }
    }
    if let Some(o) = &report.outbox {
        writeln!(
            out,
            "Outbox: {} sent, {} to retry later, {} refused.",
            o.sent, o.retried, o.failed
        )?;
    }
    let p = report.pending;
    let waiting = p.pending + p.in_flight;
    if let Some(why) = &report.offline_reason {
        writeln!(out, "offline: {waiting} changes wait in the outbox ({why}). Run `stagebench sync` again when the bench is online.")?;
    } else {
        writeln!(out, "Waiting in the outbox: {waiting}.")?;
    }
    if p.failed > 0 {
        writeln!(
            out,
            "  ! {} changes were refused by Intune and need a look (they are not resent).",
            p.failed
        )?;
    }
    Ok(())
}
