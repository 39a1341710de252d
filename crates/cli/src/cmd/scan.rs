//! `stagebench scan`: box and device serials from a barcode scanner join a batch — from a
//! serial-port scanner (`--port`), or from standard input, where a keyboard-wedge scanner types
//! one scan per line. Each scan is cleaned (terminators, AIM identifiers), linked, and printed;
//! a refused scan says why and the next scan carries on.
//!
//! The rule is the app's (`stagebench_core::scanner::into_batch`): a device's serial joins the
//! batch; with no batch to join (none given and none active) it is held in the bench's store, not
//! refused; `--list-held` lists the held scans (the app's too) and `--add-held` adds them to a
//! batch. Any other code is a box label: with `--slot N` it is tied to the device in slot N, and
//! without one it waits until `--tie-held ID --slot N` (or a tap on the app's card) ties it.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use stagebench_core::batch::BatchStore;
use stagebench_core::ids::BatchId;
use stagebench_core::scanner::box_label;
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
    /// The slot whose device the scans belong to: a code that is not its serial is tied to it as
    /// its box label.
    #[arg(long)]
    slot: Option<u32>,
    /// Tie the waiting scan with this id (`--list-held` shows it) to the device in --slot, then
    /// stop.
    #[arg(long, requires = "slot", conflicts_with_all = ["add_held", "list_held", "port", "count"])]
    tie_held: Option<i64>,
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
    if let (Some(id), Some(slot)) = (args.tie_held, args.slot) {
        let (row, taken) = box_label::tie_held(store, id, slot)?;
        return print_taken(&row.text, &taken, args.json, out);
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
                    let taken = into_batch::take(store, given.as_ref(), args.slot, &scan);
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
/// existed), `{error}` when refused, `{serial, held, reason}` when held, `{serial, device,
/// slot, box_label: true}` when tied to a slot's device, `{serial, waiting, reason}` when it
/// waits for a slot (`waiting` is the id for `--tie-held`).
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
        (ScanResult::Tied, true) => writeln!(
            out,
            "{}",
            serde_json::json!({
                "serial": serial,
                "device": taken.device,
                "slot": taken.slot,
                "box_label": true,
            })
        )?,
        (ScanResult::Tied, false) => writeln!(
            out,
            "{serial}  box label of the device in slot {}",
            taken.slot.unwrap_or_default()
        )?,
        (ScanResult::Waiting, true) => writeln!(
            out,
            "{}",
            serde_json::json!({
                "serial": serial,
                "waiting": taken.held.as_ref().map(|h| h.id),
                "reason": message,
            })
        )?,
        (ScanResult::Waiting, false) => match &taken.held {
            Some(h) => writeln!(
                out,
                "{serial}  waiting for a slot: {message}; `stagebench scan --tie-held {} --slot N` ties it",
                h.id
            )?,
            None => writeln!(out, "{serial}  waiting for a slot: {message}")?,
        },
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
        // Serials of devices the bench has read (any other code waits for a slot: see below).
        for serial in ["R5CR0001", "NEWBOX0009"] {
            let serials = [stagebench_core::identity::SerialObservation::new(
                stagebench_core::identity::SerialSource::RoSerialno,
                serial,
            )];
            store
                .record_sighting(&stagebench_core::store::Sighting::new(serials))
                .unwrap();
        }
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

    /// Issue 14: a box label scanned with `stagebench scan` became a device of the batch.
    #[test]
    fn a_box_label_waits_for_its_slot_or_is_tied_to_the_slot_given_never_a_device() {
        use stagebench_core::identity::{SerialObservation, SerialSource};
        use stagebench_core::store::Sighting;

        let mut store = Store::open_in_memory().unwrap();
        let batch = Batch::for_tests("Boxes", &[]);
        store.create_batch(&batch).unwrap();
        store.set_active_batch(Some(&batch.id)).unwrap();
        store.assign_slot("1-5", 5, None).unwrap();
        let serials = [SerialObservation::new(SerialSource::RoSerialno, "R5CR0005")];
        let device = store
            .record_sighting(&Sighting::new(serials).at_slot("1-5"))
            .unwrap();
        let waiting = json_lines(&stagebench_scan(&mut store, &["--json"], "box0042\n"));
        assert_eq!(waiting[0]["serial"], "BOX0042");
        let id = waiting[0]["waiting"]
            .as_i64()
            .expect("the id to tie it with");
        let said = stagebench_scan(&mut store, &[], "box0044\n");
        assert!(
            said.contains("BOX0044  waiting for a slot")
                && said.contains("`stagebench scan --tie-held"),
            "{said}"
        );
        let tied = stagebench_scan(
            &mut store,
            &["--tie-held", &id.to_string(), "--slot", "5"],
            "",
        );
        assert_eq!(tied, "BOX0042  box label of the device in slot 5\n");
        assert_eq!(store.box_label(device).unwrap().as_deref(), Some("BOX0042"));
        let tied = json_lines(&stagebench_scan(
            &mut store,
            &["--slot", "5", "--json"],
            "box0043\n",
        ));
        assert_eq!(
            (tied[0]["slot"].as_u64(), tied[0]["box_label"].as_bool()),
            (Some(5), Some(true))
        );
        assert_eq!(store.box_label(device).unwrap().as_deref(), Some("BOX0043"));
        assert!(
            store.batch_devices(&batch.id).unwrap().is_empty(),
            "no box became a device"
        );
        for code in ["BOX0042", "BOX0043", "BOX0044"] {
            assert!(
                store.devices_with_serial(code).unwrap().is_empty(),
                "{code}"
            );
        }
    }
}
