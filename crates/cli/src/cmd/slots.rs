//! `stagebench slots`: the numbers technicians see on the bench, one per USB port (or TCP
//! address). Set up once; kept in the bench history.

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use stagebench_core::store::Store;

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
    },
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
        }) => {
            let slot = store.assign_slot(port, *number, label.as_deref())?;
            if args.json {
                return super::write_json(out, &slot);
            }
            writeln!(out, "slot {} is port {}", slot.number, slot.port_path)?;
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
