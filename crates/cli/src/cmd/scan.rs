//! `stagebench scan`: box and device serials from a barcode scanner join a batch — from a
//! serial-port scanner (`--port`), or from standard input, where a keyboard-wedge scanner types
//! one scan per line. Each scan is cleaned (terminators, AIM identifiers), linked, and printed;
//! a refused scan says why and the next scan carries on.
//!
//! The rule is the app's (`stagebench_core::scanner::into_batch`): with no batch to join (none
//! given and none active) a scan is held in the bench's store, not refused; `--list-held` lists
//! the held scans (the app's too) and `--add-held` adds them to a batch.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use stagebench_core::batch::BatchStore;
use stagebench_core::ids::BatchId;
use stagebench_core::scanner::into_batch::{self, AddHeldError, Taken};
use stagebench_core::scanner::{
    parse_scan, read_scan_line, Scan, ScanResult, ScannerReadError, SerialScanner,
};
use stagebench_core::store::Store;

/// Where scans come from and where they go.
#[derive(Args)]
pub struct ScanArgs {
    /// The batch (default: the bench's active batch; with none, scans are held).
    #[arg(long)]
    batch: Option<String>,
    /// A serial-port scanner (e.g. /dev/ttyACM0, COM3); without it, standard input (keyboard
    /// wedge).
    #[arg(long)]
    port: Option<String>,
    /// The serial port's baud rate.
    #[arg(long, default_value_t = 9600)]
    baud: u32,
    /// Stop after this many scans.
    #[arg(long)]
    count: Option<usize>,
    /// List the scans held while no batch was active (by this command or the app), then stop.
    #[arg(long, conflicts_with_all = ["add_held", "port", "count"])]
    list_held: bool,
    /// Add the held scans to --batch (default: the active batch), then stop.
    #[arg(long, conflicts_with_all = ["port", "count"])]
    add_held: bool,
    /// Print one JSON object per scan (a list for --list-held and --add-held).
    #[arg(long)]
    json: bool,
}

const ADD_HELD_HINT: &str =
    "add the held scans to a batch with `stagebench scan --add-held --batch B`";

/// Runs `stagebench scan`.
pub fn run(args: &ScanArgs, out: &mut dyn Write, input: &mut dyn BufRead) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench history")?;
    scan(&mut store, args, out, input)
}

fn scan(
    store: &mut Store,
    args: &ScanArgs,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> anyhow::Result<()> {
    if args.list_held {
        return list_held(store, args.json, out);
    }
    if args.add_held {
        return add_held(store, args, out);
    }
    let batch = match &args.batch {
        Some(b) => {
            let record = store.find_batch(b)?;
            if record.closed_at.is_some() {
                bail!(
                    "batch “{}” is closed: devices can no longer join it; pick an open batch (stagebench batch list)",
                    record.batch.spec.name
                );
            }
            Some(record.batch)
        }
        None => match store.active_batch()? {
            Some(id) => Some(store.find_batch(id.as_str())?.batch),
            None => None,
        },
    };
    if !args.json {
        match &batch {
            Some(b) => writeln!(
                out,
                "Scanning into {} ({}); Ctrl-C to stop.",
                b.spec.name,
                b.id.short()
            )?,
            None => writeln!(
                out,
                "No active batch: scans are held (make one active with `stagebench batch active B`, then {ADD_HELD_HINT}); Ctrl-C to stop."
            )?,
        }
        out.flush()?;
    }
    // With --batch, that batch; otherwise the batch active at each scan.
    let given = args
        .batch
        .as_ref()
        .and(batch.as_ref())
        .map(|b| b.id.clone());
    let mut done = 0usize;
    let mut handle =
        |scan: Result<Scan, ScannerReadError>, out: &mut dyn Write| -> anyhow::Result<()> {
            match scan {
                Ok(scan) => {
                    let taken = into_batch::take(store, given.as_ref(), &scan);
                    print_taken(&scan.text, &taken, args.json, out)?;
                }
                Err(why) if args.json => {
                    writeln!(out, "{}", serde_json::json!({"error": why.to_string()}))?
                }
                Err(why) => writeln!(out, "refused: {why}")?,
            }
            out.flush()?;
            Ok(())
        };
    match &args.port {
        Some(port) => {
            let scanner = SerialScanner::open(port, args.baud)?;
            while args.count.is_none_or(|c| done < c) {
                if let Some(scan) = scanner.next(Duration::from_millis(500)) {
                    let failed = matches!(&scan, Err(ScannerReadError::Stopped { .. }));
                    handle(scan, out)?;
                    done += 1;
                    if failed {
                        bail!("the scanner on {port} stopped");
                    }
                }
            }
        }
        None => {
            while args.count.is_none_or(|c| done < c) {
                let Some(line) = read_scan_line(input)? else {
                    break;
                };
                if line.trim().is_empty() {
                    continue;
                }
                handle(parse_scan(&line).map_err(ScannerReadError::from), out)?;
                done += 1;
            }
        }
    }
    Ok(())
}

/// One scan's line: `{serial, device, joined}` when it went into the batch (as before holding
/// existed), `{error}` when refused, `{serial, held, reason}` when held.
fn print_taken(text: &str, taken: &Taken, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let serial = text.trim().to_ascii_uppercase();
    let message = taken.message.as_deref().unwrap_or_default();
    match (taken.result, json) {
        (ScanResult::Added | ScanResult::AlreadyThere, true) => writeln!(
            out,
            "{}",
            serde_json::json!({
                "serial": serial,
                "device": taken.device,
                "joined": taken.result == ScanResult::Added,
            })
        )?,
        (ScanResult::Added, false) => writeln!(out, "{serial}  added")?,
        (ScanResult::AlreadyThere, false) => writeln!(out, "{serial}  already in the batch")?,
        (ScanResult::Refused, true) => writeln!(out, "{}", serde_json::json!({"error": message}))?,
        (ScanResult::Refused, false) => writeln!(out, "refused: {message}")?,
        (ScanResult::Held, true) => writeln!(
            out,
            "{}",
            serde_json::json!({
                "serial": serial,
                "held": taken.held.as_ref().map(|h| h.id),
                "reason": message,
            })
        )?,
        (ScanResult::Held, false) => writeln!(out, "{serial}  held: {message}")?,
    }
    Ok(())
}

fn list_held(store: &Store, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let held = store.held_scans()?;
    if json {
        return super::write_json(out, &held);
    }
    if held.is_empty() {
        writeln!(out, "No held scans.")?;
        return Ok(());
    }
    for h in &held {
        writeln!(out, "{}  {}  held: {}", h.at, h.text, h.reason)?;
    }
    writeln!(out, "{} held; {ADD_HELD_HINT}.", held.len())?;
    Ok(())
}

fn add_held(store: &mut Store, args: &ScanArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let batch = match &args.batch {
        Some(b) => b.clone(),
        None => match store.active_batch()? {
            Some(id) => String::from(id),
            None => bail!("no batch to add the held scans to: give --batch, or make one active (stagebench batch active B)"),
        },
    };
    let done = match into_batch::add_held(store, &batch) {
        Ok(done) => done,
        Err(AddHeldError::Closed { name }) => bail!(
            "batch “{name}” is closed: devices can no longer join it; give an open batch with --batch"
        ),
        Err(AddHeldError::Batch(e)) => return Err(e.into()),
    };
    if args.json {
        let rows: Vec<_> = done
            .iter()
            .map(|(row, taken)| {
                serde_json::json!({
                    "serial": row.text,
                    "result": taken.result,
                    "batch": taken.batch.as_ref().map(|(id, _): &(BatchId, String)| id),
                    "message": taken.message,
                })
            })
            .collect();
        return super::write_json(out, &rows);
    }
    for (row, taken) in &done {
        print_taken(&row.text, taken, false, out)?;
    }
    let added = done
        .iter()
        .filter(|(_, t)| t.result == ScanResult::Added)
        .count();
    writeln!(out, "{added} of {} held scans added.", done.len())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use stagebench_core::batch::Batch;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ScanArgs,
    }

    fn stagebench_scan(store: &mut Store, argv: &[&str], input: &str) -> String {
        let cli = Cli::try_parse_from(std::iter::once("scan").chain(argv.iter().copied())).unwrap();
        let mut out = Vec::new();
        scan(store, &cli.args, &mut out, &mut input.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn json_lines(text: &str) -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn without_an_active_batch_scans_are_held_then_listed_and_added() {
        let mut store = Store::open_in_memory().unwrap();
        let said = stagebench_scan(&mut store, &[], "r5cr0001\n");
        assert!(
            said.starts_with("No active batch: scans are held"),
            "{said}"
        );
        assert!(said.contains("R5CR0001  held: no active batch"), "{said}");
        let held = json_lines(&stagebench_scan(
            &mut store,
            &["--json"],
            "NEWBOX0009\n{\"t\":1}\n",
        ));
        assert_eq!(
            (held[0]["serial"].as_str(), held[0]["held"].is_number()),
            (Some("NEWBOX0009"), true)
        );
        assert!(
            held[1]["error"].as_str().unwrap().contains("QR code"),
            "refused, not held"
        );
        let listed: serde_json::Value =
            serde_json::from_str(&stagebench_scan(&mut store, &["--list-held", "--json"], ""))
                .unwrap();
        let texts: Vec<_> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            ["R5CR0001", "NEWBOX0009"],
            "a QR code's contents is never kept"
        );

        let batch = Batch::for_tests("Boxes", &[]);
        store.create_batch(&batch).unwrap();
        let added: serde_json::Value = serde_json::from_str(&stagebench_scan(
            &mut store,
            &["--add-held", "--batch", batch.id.as_str(), "--json"],
            "",
        ))
        .unwrap();
        assert_eq!(added[0]["result"], "added");
        assert_eq!(added[1]["batch"], batch.id.as_str());
        assert_eq!(store.batch_devices(&batch.id).unwrap().len(), 2);
        assert_eq!(
            stagebench_scan(&mut store, &["--list-held"], ""),
            "No held scans.\n"
        );
        store.set_active_batch(Some(&batch.id)).unwrap();
        let again = json_lines(&stagebench_scan(&mut store, &["--json"], "r5cr0001\n"));
        assert_eq!(
            (again[0]["serial"].as_str(), again[0]["joined"].as_bool()),
            (Some("R5CR0001"), Some(false))
        );
    }
}
