//! `stagebench restage SERIAL…`: before wiping returned devices, what Intune still holds under
//! their serials and what to do first (the core's [`restage`] rules: Delete, not Retire, for
//! corporate Android; the Entra hint; factory reset protection on Android 15 COPE; the tenant's
//! 1,000 Delete actions a day). Reads Intune only; changes nothing.

use std::io::Write;

use anyhow::bail;
use clap::Args;
use serde::Serialize;
use stagebench_core::intune::restage::{
    self, check_serials, NoteKind, RestageCheck, RestageNote, DELETE_PER_DAY,
};
use stagebench_core::store::Store;

use super::shown;

/// The serials to check.
#[derive(Args)]
pub struct RestageArgs {
    /// The returned devices' serial numbers.
    #[arg(required = true, value_name = "SERIAL")]
    serials: Vec<String>,
    /// The devices' Android version, when known (else Intune's record says).
    #[arg(long, value_name = "MAJOR")]
    android: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What `restage --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    checks: Vec<RestageCheck>,
    /// Intune records to delete (or retire) before re-staging.
    deletes: usize,
    deletes_per_day: usize,
    /// Notes for the whole set (the daily Delete limit).
    notes: Vec<RestageNote>,
}

/// Runs `stagebench restage`; fails (exit 1) when a look-up failed.
pub async fn run(args: &RestageArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = Store::open_default()?;
    let client = super::connect_tenant(&store)?;
    let checks = check_serials(&client, &args.serials, args.android).await;
    let deletes = checks.iter().map(RestageCheck::removals).sum();
    let report = Report {
        deletes,
        deletes_per_day: DELETE_PER_DAY,
        notes: restage::delete_budget(deletes).into_iter().collect(),
        checks,
    };
    if args.json {
        super::write_json(out, &report)?;
    } else {
        write_text(out, &report)?;
    }
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.error.is_some())
        .map(|c| c.serial.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "Intune could not be asked about {}: see above, then run it again",
            failed.join(", ")
        );
    }
    Ok(())
}

fn write_note(out: &mut dyn Write, note: &RestageNote) -> anyhow::Result<()> {
    let kind = match note.kind {
        NoteKind::Warning => "warning",
        NoteKind::Hint => "hint",
    };
    writeln!(out, "  {kind}: {}", shown(&note.message))?;
    writeln!(out, "    Next: {}", shown(&note.next_step))?;
    writeln!(out, "    Source: {}", note.source)?;
    Ok(())
}

fn write_text(out: &mut dyn Write, report: &Report) -> anyhow::Result<()> {
    for c in &report.checks {
        let serial = shown(&c.serial);
        if let Some(error) = &c.error {
            writeln!(out, "{serial}: not checked: {}", shown(error))?;
            continue;
        }
        if c.records.is_empty() {
            writeln!(
                out,
                "{serial}: Intune holds no record under this serial: re-stage it."
            )?;
            continue;
        }
        writeln!(out, "{serial}: {} Intune record(s)", c.records.len())?;
        for note in &c.notes {
            write_note(out, note)?;
        }
    }
    writeln!(
        out,
        "Records to delete before re-staging: {} (a tenant may submit {} Delete actions per day).",
        report.deletes, report.deletes_per_day
    )?;
    for note in &report.notes {
        write_note(out, note)?;
    }
    Ok(())
}
