//! `stagebench slots`: the numbers technicians see on the bench, one per USB port (or TCP
//! address). Set up once; kept in the bench history.
//!
//! `assign` refuses a number another port has and a port that has a number; `assign --move`
//! renumbers in one step, as the app's card does (`Store::move_slot`): the port's old number is
//! freed, and a number held by a port with no device attached (as the adb server says) moves
//! here; one held by an attached device is refused, naming the lowest free number. `next`
//! prints the lowest free number.

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use stagebench_adb::server::AdbServer;
use stagebench_core::identity::is_network_address;
use stagebench_core::store::{Attached, Store};

/// List, assign or free bench slots.
#[derive(Args)]
pub struct SlotsArgs {
    #[command(subcommand)]
    action: Option<SlotsAction>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum SlotsAction {
    /// List the slots (the default).
    List,
    /// Give a port a slot number, e.g. `stagebench slots assign 1-4.3 7 --label "rack A, top"`.
    Assign {
        /// USB port path as `stagebench devices` shows it (`1-4.3`), or a TCP address.
        port: String,
        /// The number on the bench (1–9999).
        number: u32,
        /// A name for the slot.
        #[arg(long)]
        label: Option<String>,
        /// Renumber in one step: free the port's old number, and take NUMBER from a port with
        /// no device attached.
        #[arg(long = "move")]
        move_: bool,
    },
    /// Print the lowest free slot number.
    Next,
    /// Free a slot number so it can be given to another port.
    Free {
        /// The slot number.
        number: u32,
    },
}

/// Runs `stagebench slots`.
pub fn run(args: &SlotsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench history")?;
    match &args.action {
        None | Some(SlotsAction::List) => {
            let slots = store.slots()?;
            if args.json {
                return super::write_json(out, &slots);
            }
            if slots.is_empty() {
                writeln!(out, "No slots yet: a USB port gets the next free number when a device is first read there, or assign one with `stagebench slots assign PORT N`.")?;
            }
            for s in &slots {
                writeln!(
                    out,
                    "{:>4}  {:<24} {}",
                    s.number,
                    s.port_path,
                    s.label.as_deref().unwrap_or("")
                )?;
            }
        }
        Some(SlotsAction::Assign {
            port,
            number,
            label,
            move_: true,
        }) => {
            let ports = attached_ports();
            let attached = match &ports {
                Some(ports) => Attached::Ports(ports),
                None => Attached::Unknown,
            };
            let moved = store.move_slot(port, *number, label.as_deref(), attached)?;
            if args.json {
                return super::write_json(out, &moved);
            }
            let slot = &moved.slot;
            writeln!(out, "slot {} is port {}", slot.number, slot.port_path)?;
            if let Some(from) = moved.from {
                writeln!(out, "freed slot {from} (its old number)")?;
            }
            if let Some(other) = &moved.taken_from {
                writeln!(
                    out,
                    "port {other} (nothing attached) no longer has a number"
                )?;
            }
        }
        Some(SlotsAction::Assign {
            port,
            number,
            label,
            move_: false,
        }) => {
            let slot = store.assign_slot(port, *number, label.as_deref())?;
            if args.json {
                return super::write_json(out, &slot);
            }
            writeln!(out, "slot {} is port {}", slot.number, slot.port_path)?;
        }
        Some(SlotsAction::Next) => {
            let next = store.next_free_slot()?;
            if args.json {
                return super::write_json(out, &next);
            }
            match next {
                Some(n) => writeln!(out, "{n}")?,
                None => anyhow::bail!(
                    "all slot numbers are in use: free some with `stagebench slots free N`"
                ),
            }
        }
        Some(SlotsAction::Free { number }) => {
            let freed = store.free_slot(*number)?;
            if args.json {
                return super::write_json(out, &freed);
            }
            match freed {
                Some(s) => writeln!(out, "freed slot {} (was port {})", s.number, s.port_path)?,
                None => anyhow::bail!("there is no slot {number}: `stagebench slots` lists them"),
            }
        }
    }
    Ok(())
}

/// The ports (USB port paths, TCP addresses) the adb server has a device at; `None` when it does
/// not answer.
fn attached_ports() -> Option<Vec<String>> {
    let listed = super::runtime()
        .ok()?
        .block_on(AdbServer::from_env().devices());
    match listed {
        Ok(devices) => Some(
            devices
                .into_iter()
                .filter_map(|d| {
                    d.usb
                        .or_else(|| is_network_address(&d.serial).then_some(d.serial))
                })
                .collect(),
        ),
        Err(e) => {
            tracing::info!(error = %e, "the adb server did not answer");
            None
        }
    }
}
