//! `stagebench print-queue`: the jobs waiting for the bench's printers, with their state;
//! retry a failed one, cancel a queued one, or send what is due now.

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use stagebench_core::audit::current_actor;
use stagebench_core::ids::PrintJobId;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::printer::queue::PRINT_RETRY;
use stagebench_core::printer::{drain_once, sealed, IppClient, PrintDrainReport, SystemPrinters};
use stagebench_core::remedy::HasRemedy;
use stagebench_core::store::Store;

/// Jobs in the queue, with their state; retry failed ones, cancel queued ones, or send the due ones
/// now.
#[derive(Args)]
pub struct PrintQueueArgs {
    #[command(subcommand)]
    action: Option<PrintQueueAction>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum PrintQueueAction {
    /// The newest jobs (the default).
    List {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Put a failed job back in line, with its attempts reset, and send what is due.
    Retry {
        /// The job's id, as `stagebench print-queue` shows it.
        id: i64,
    },
    /// Take a queued job out of line (it stays, failed, until retried).
    Cancel {
        /// The job's id, as `stagebench print-queue` shows it.
        id: i64,
    },
    /// Send the jobs that are due now.
    Send,
}

/// Runs `stagebench print-queue`.
pub async fn run(args: &PrintQueueArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = super::open_signing_store("bench history").await?;
    match &args.action {
        None => list_jobs(out, args.json, &store, 50)?,
        Some(PrintQueueAction::List { limit }) => list_jobs(out, args.json, &store, *limit)?,
        Some(PrintQueueAction::Retry { id }) => {
            let id = PrintJobId(*id);
            store.print_requeue(id)?;
            let report = send_due(&mut store).await?;
            report_one(out, args.json, &store, id, &report)?;
        }
        Some(PrintQueueAction::Cancel { id }) => {
            let job = store.print_cancel(PrintJobId(*id), &store.technician())?;
            // A cancelled enrollment label is cleared; its key leaves the keyring now, not at
            // the next send.
            if let Err(e) = sealed::forget_ended(&mut store, &OsKeyring::new()).await {
                eprintln!("warning: {e}; the next `stagebench print-queue send` tries again");
            }
            if args.json {
                return super::write_json(out, &job);
            }
            writeln!(
                out,
                "job {} for {}: {}",
                job.id,
                job.printer,
                job.last_error.unwrap_or_default()
            )?;
        }
        Some(PrintQueueAction::Send) => {
            let report = send_due(&mut store).await?;
            if args.json {
                return super::write_json(out, &report);
            }
            writeln!(
                out,
                "{} printed, {} to retry, {} failed",
                report.done.len(),
                report.retried.len(),
                report.failed.len()
            )?;
            for (id, error) in report
                .retried
                .iter()
                .chain(&report.failed)
                .chain(&report.lost)
            {
                writeln!(out, "  {id}: {error}")?;
            }
        }
    }
    Ok(())
}

/// Sends the print jobs that are due now, through the system's printers.
pub(crate) async fn send_due(store: &mut Store) -> anyhow::Result<PrintDrainReport> {
    let printers = SystemPrinters::new(IppClient::new()?, current_actor());
    Ok(drain_once(
        store,
        &printers,
        &PRINT_RETRY,
        time::OffsetDateTime::now_utc(),
    )
    .await?)
}

/// Says how job `id` went in `report` (a sending just done), or fails with why it did not print.
pub(crate) fn report_one(
    out: &mut dyn Write,
    json: bool,
    store: &Store,
    id: PrintJobId,
    report: &PrintDrainReport,
) -> anyhow::Result<()> {
    let job = store
        .print_job(id)?
        .with_context(|| format!("print job {id} vanished"))?;
    if json {
        return super::write_json(out, &job);
    }
    if report.done.contains(&id) {
        writeln!(
            out,
            "job {id} printed on {}{}",
            job.printer,
            job.remote_job
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )?;
        return Ok(());
    }
    let remedy = job.remedy();
    let error = job.last_error.unwrap_or_default();
    match job.state {
        stagebench_core::store::PrintJobState::Failed => Err(crate::remedy::error(
            format!("job {id} failed: {error}"),
            remedy,
        )),
        state => anyhow::bail!(
            "job {id} did not print yet ({state}; the queue sends it again from {}): {error}",
            job.next_attempt_at
        ),
    }
}

fn list_jobs(out: &mut dyn Write, json: bool, store: &Store, limit: usize) -> anyhow::Result<()> {
    let jobs = store.print_jobs(limit)?;
    if json {
        return super::write_json(out, &jobs);
    }
    if jobs.is_empty() {
        writeln!(out, "The print queue is empty.")?;
    }
    for job in &jobs {
        writeln!(
            out,
            "{:>6}  {:<7} {:<12} {:<4} x{:<3} {}  tries {}{}{}",
            job.id.0,
            job.state,
            job.printer,
            job.kind,
            job.copies,
            job.created,
            job.attempts,
            job.device_serial
                .as_deref()
                .map(|s| format!("  device {s}"))
                .unwrap_or_default(),
            job.last_error
                .as_deref()
                .map(|e| format!("\n        {e}"))
                .unwrap_or_default(),
        )?;
        if let Some(remedy) = job.remedy() {
            writeln!(out, "        hint: {}", crate::remedy::command(&remedy))?;
        }
    }
    Ok(())
}
