//! `stagebench printers`: the bench's printers, the CUPS server's, and serial ports; add, remove,
//! test; whether they are ready. The jobs queued for them are `stagebench print-queue`
//! ([`super::print_queue`]).

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;
use stagebench_core::audit::current_actor;
use stagebench_core::printer::serial::{ports, SerialPortInfo};
use stagebench_core::printer::{
    test_label, IppClient, IppPrinter, PrintTransport, PrinterConfig, PrinterStatus, PrinterStore,
    PrinterTarget, SystemPrinters,
};
use stagebench_core::store::Store;

use super::print_queue::{report_one, send_due};

/// List, add, remove or test printers.
#[derive(Args)]
pub struct PrintersArgs {
    #[command(subcommand)]
    action: Option<PrintersAction>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum PrintersAction {
    /// The bench's printers, the CUPS server's (`CUPS_SERVER`, else localhost:631) and serial ports
    /// (the default).
    List,
    /// Add a printer, or change the one with this name.
    Add {
        /// The name to print to.
        name: String,
        /// An IPP printer or CUPS queue: ipp://host:631/printers/NAME.
        #[arg(long, group = "target")]
        ipp: Option<String>,
        /// A raw TCP printer (Zebra): HOST:PORT, port 9100 when left out.
        #[arg(long, group = "target")]
        raw: Option<String>,
        /// A serial port: /dev/ttyUSB0, COM3, or any path.
        #[arg(long, group = "target", requires = "baud")]
        serial: Option<String>,
        /// Baud rate of the serial port.
        #[arg(long)]
        baud: Option<u32>,
        /// Resolution in dots per inch (203, 300, 600).
        #[arg(long)]
        dpi: Option<u32>,
        /// Media, e.g. 2x1in, 4x6in, 50x30mm, A4.
        #[arg(long)]
        media: Option<String>,
    },
    /// Remove a printer (its queued jobs stay, and fail until a printer of that name is back).
    Remove {
        /// The printer's name.
        name: String,
    },
    /// Print a small test label now: a one-page PDF for IPP printers, a tiny ZPL for raw and serial
    /// ones.
    Test {
        /// The printer's name.
        name: String,
    },
    /// Ask printers whether they are ready: Zebra host status (~HS) for raw and serial ones, the
    /// printer state for IPP ones.
    Status {
        /// Only this printer (all of the bench's when left out).
        name: Option<String>,
    },
}

/// One printer's status with where it is, for `printers status --json`.
#[derive(Serialize)]
struct StatusRow {
    kind: &'static str,
    address: String,
    #[serde(flatten)]
    status: PrinterStatus,
}

#[derive(Serialize)]
struct Listing {
    configured: Vec<PrinterConfig>,
    cups_server: String,
    cups: Vec<IppPrinter>,
    cups_error: Option<String>,
    serial_ports: Vec<SerialPortInfo>,
}

/// Runs `stagebench printers`.
pub async fn run(args: &PrintersArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench history")?;
    match &args.action {
        None | Some(PrintersAction::List) => {
            let cups_server = IppClient::cups_server_from_env();
            let (cups, cups_error) = match IppClient::new()?.cups_printers(&cups_server).await {
                Ok(list) => (list, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            };
            let listing = Listing {
                configured: store.printers()?,
                cups_server,
                cups,
                cups_error,
                serial_ports: ports(),
            };
            if args.json {
                return super::write_json(out, &listing);
            }
            write_listing(out, &listing)?;
        }
        Some(PrintersAction::Add {
            name,
            ipp,
            raw,
            serial,
            baud,
            dpi,
            media,
        }) => {
            let (kind, address) = match (ipp, raw, serial) {
                (Some(url), _, _) => ("ipp", url),
                (_, Some(address), _) => ("raw", address),
                (_, _, Some(path)) => ("serial", path),
                _ => anyhow::bail!(
                    "say how to reach {name}: --ipp URL, --raw HOST:PORT or --serial PATH --baud N"
                ),
            };
            let target =
                PrinterTarget::from_kind(name, kind, address, *baud).map_err(anyhow::Error::msg)?;
            let config = PrinterConfig {
                name: name.trim().to_owned(),
                target,
                dpi: *dpi,
                media: media.clone(),
            };
            store.printer_save(&config)?;
            if args.json {
                return super::write_json(out, &config);
            }
            writeln!(
                out,
                "printer {}: {} {}",
                config.name,
                config.target.kind_name(),
                config.target.address()
            )?;
        }
        Some(PrintersAction::Remove { name }) => {
            let removed = store.printer_remove(name)?;
            if args.json {
                return super::write_json(out, &serde_json::json!({ "removed": removed }));
            }
            if !removed {
                anyhow::bail!("there is no printer {name}: `stagebench printers` lists them");
            }
            writeln!(out, "removed printer {name}")?;
        }
        Some(PrintersAction::Test { name }) => {
            let config = store.printer(name)?.with_context(|| {
                format!(
                    "there is no printer {name}: add it with `stagebench printers add {name} …`"
                )
            })?;
            let job = test_label(&config, current_actor());
            let id = store.print_enqueue(&job)?;
            let report = send_due(&mut store).await?;
            report_one(out, args.json, &store, id, &report)?;
        }
        Some(PrintersAction::Status { name }) => {
            let configured = match name {
                Some(name) => vec![store.printer(name)?.with_context(|| {
                    format!("there is no printer {name}: `stagebench printers` lists them")
                })?],
                None => store.printers()?,
            };
            let rows = statuses(configured).await?;
            if args.json {
                return super::write_json(out, &rows);
            }
            write_statuses(out, &rows)?;
        }
    }
    Ok(())
}

/// Every printer's status, asked all at once (a silent printer costs one wait, not one each).
async fn statuses(printers: Vec<PrinterConfig>) -> anyhow::Result<Vec<StatusRow>> {
    let system = SystemPrinters::new(IppClient::new()?, current_actor());
    let asking: Vec<_> = printers
        .into_iter()
        .map(|printer| {
            let system = system.clone();
            tokio::spawn(async move {
                let status = system.status(&printer).await;
                StatusRow {
                    kind: printer.target.kind_name(),
                    address: printer.target.address(),
                    status,
                }
            })
        })
        .collect();
    let mut rows = Vec::with_capacity(asking.len());
    for task in asking {
        rows.push(task.await.context("a printer status check stopped")?);
    }
    Ok(rows)
}

fn write_statuses(out: &mut dyn Write, rows: &[StatusRow]) -> anyhow::Result<()> {
    if rows.is_empty() {
        writeln!(out, "No printers on this bench; add one with `stagebench printers add NAME --ipp URL | --raw HOST:PORT | --serial PATH --baud N`")?;
    }
    for row in rows {
        writeln!(
            out,
            "{:<14} {:<6} {:<24} {}",
            row.status.printer, row.kind, row.address, row.status
        )?;
        if let Some(hold) = row.status.hold_message() {
            writeln!(out, "{:14} {hold}", "")?;
        }
    }
    Ok(())
}

fn write_listing(out: &mut dyn Write, listing: &Listing) -> anyhow::Result<()> {
    writeln!(out, "Bench printers:")?;
    if listing.configured.is_empty() {
        writeln!(out, "  none; add one with `stagebench printers add NAME --ipp URL | --raw HOST:PORT | --serial PATH --baud N`")?;
    }
    for p in &listing.configured {
        let baud = match p.target {
            PrinterTarget::Serial { baud, .. } => format!(" @{baud}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {:<14} {:<6} {}{baud}  {}{}",
            p.name,
            p.target.kind_name(),
            p.target.address(),
            p.dpi.map(|d| format!("{d} dpi ")).unwrap_or_default(),
            p.media.as_deref().unwrap_or(""),
        )?;
    }
    writeln!(out, "CUPS at {}:", listing.cups_server)?;
    if let Some(error) = &listing.cups_error {
        writeln!(out, "  not reachable: {error}")?;
    } else if listing.cups.is_empty() {
        writeln!(out, "  no printers")?;
    }
    for p in &listing.cups {
        let dpi: Vec<String> = p.resolutions_dpi.iter().map(|d| d.to_string()).collect();
        writeln!(
            out,
            "  {:<14} {:<10} {}{}{}",
            p.name,
            p.state,
            p.uri.as_deref().unwrap_or(""),
            if dpi.is_empty() {
                String::new()
            } else {
                format!("  {} dpi", dpi.join("/"))
            },
            p.make_and_model
                .as_deref()
                .map(|m| format!("  {m}"))
                .unwrap_or_default(),
        )?;
    }
    writeln!(
        out,
        "Serial ports (pseudo-terminals are not listed; any path is accepted):"
    )?;
    for port in &listing.serial_ports {
        writeln!(
            out,
            "  {:<14} {:<8} {}",
            port.path,
            port.kind,
            port.description.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}
