//! `stagebench scan`: box and device serials from a barcode scanner join a batch — from a
//! serial-port scanner (`--port`), or from standard input, where a keyboard-wedge scanner types
//! one scan per line. Each scan is cleaned (terminators, AIM identifiers), linked, and printed;
//! a refused scan says why and the next scan carries on.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use stagebench_core::batch::exchange::scan_into_batch;
use stagebench_core::batch::ops;
use stagebench_core::batch::BatchStore;
use stagebench_core::scanner::{parse_scan, Scan, SerialScanner};
use stagebench_core::store::Store;

/// Where scans come from and where they go.
#[derive(Args)]
pub struct ScanArgs {
    /// The batch (default: the bench's active batch).
    #[arg(long)]
    batch: Option<String>,
    /// A serial-port scanner (e.g. /dev/ttyACM0, COM3); without it, standard input (keyboard wedge).
    #[arg(long)]
    port: Option<String>,
    /// The serial port's baud rate.
    #[arg(long, default_value_t = 9600)]
    baud: u32,
    /// Stop after this many scans.
    #[arg(long)]
    count: Option<usize>,
    /// Print one JSON object per scan.
    #[arg(long)]
    json: bool,
}

/// Runs `stagebench scan`.
pub fn run(args: &ScanArgs, out: &mut dyn Write, input: &mut dyn BufRead) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench history")?;
    let batch = match &args.batch {
        Some(b) => store.find_batch(b)?.batch,
        None => match store.active_batch()? {
            Some(id) => store.find_batch(id.as_str())?.batch,
            None => bail!("no batch to scan into: give --batch, or make one active (stagebench batch active B)"),
        },
    };
    let actor = ops::technician(&store);
    if !args.json {
        writeln!(
            out,
            "Scanning into {} ({}); Ctrl-C to stop.",
            batch.spec.name,
            batch.id.short()
        )?;
        out.flush()?;
    }
    let mut done = 0usize;
    let mut handle = |scan: Result<Scan, String>, out: &mut dyn Write| -> anyhow::Result<()> {
        match scan {
            Ok(scan) => {
                let outcome = scan_into_batch(&mut store, &batch.id, &scan, &actor)?;
                if args.json {
                    writeln!(out, "{}", serde_json::to_string(&outcome)?)?;
                } else {
                    writeln!(
                        out,
                        "{}  {}",
                        outcome.serial,
                        if outcome.joined {
                            "added"
                        } else {
                            "already in the batch"
                        }
                    )?;
                }
            }
            Err(why) if args.json => writeln!(out, "{}", serde_json::json!({"error": why}))?,
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
                    let failed = matches!(&scan, Err(m) if m.contains("stopped"));
                    handle(scan, out)?;
                    done += 1;
                    if failed {
                        bail!("the scanner on {port} stopped");
                    }
                }
            }
        }
        None => {
            let mut line = String::new();
            while args.count.is_none_or(|c| done < c) {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    break;
                }
                if line.trim().is_empty() {
                    continue;
                }
                handle(parse_scan(&line).map_err(|e| e.to_string()), out)?;
                done += 1;
            }
        }
    }
    Ok(())
}
