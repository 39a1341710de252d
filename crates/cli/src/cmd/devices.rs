//! `stagebench devices`: list attached devices once, or watch them come and go.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use clap::Args;
use stagebench_adb::server::AdbServer;
use stagebench_core::batch::progress::place_of;
use stagebench_core::bench::scanned_cards;
use stagebench_core::device::usb;
use stagebench_core::device::{BenchDevice, BenchEvent, ReadOptions, SharedStore};
use stagebench_core::store::Store;

/// Which adb server to ask and how to print.
#[derive(Args)]
pub struct DevicesArgs {
    /// Keep watching and print the list again on every change (JSON: one line per change).
    #[arg(long)]
    watch: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The adb server [default: 127.0.0.1:$ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037].
    #[arg(long, value_name = "HOST:PORT")]
    adb_server: Option<SocketAddr>,
    /// Don't record the devices in the bench history.
    #[arg(long)]
    no_record: bool,
}

fn open_store(args: &DevicesArgs) -> Option<SharedStore> {
    if args.no_record {
        return None;
    }
    match Store::open_default() {
        Ok(store) => Some(Arc::new(Mutex::new(store))),
        Err(e) => {
            eprintln!("warning: devices are listed but not recorded: {e}");
            None
        }
    }
}

/// Runs `stagebench devices`.
pub async fn run(args: &DevicesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let server = args
        .adb_server
        .map(AdbServer::new)
        .unwrap_or_else(AdbServer::from_env);
    let store = open_store(args);
    // Recorded devices show their batch and stage, and the preflight of the batch's profile.
    let options = ReadOptions {
        stage: Some(place_of),
        ..ReadOptions::default()
    };
    // Devices are read straight over USB too; without libusb, through the adb server only.
    let usb = usb::rusb_bench(&server, !args.watch)
        .inspect_err(|e| tracing::info!("{e}"))
        .ok();
    if !args.watch {
        let mut devices = usb::snapshot_bench(&server, usb.as_ref(), store.as_ref(), options)
            .await
            .with_context(|| {
                format!(
                "can't list devices from the adb server at {}: start it with `adb start-server`",
                server.addr()
            )
            })?;
        // Devices of the active batch known only by a scanned serial (never seen on USB).
        if let Some(store) = &store {
            let store = store.lock().unwrap_or_else(PoisonError::into_inner);
            let scanned = scanned_cards(&store, &devices);
            devices.extend(scanned);
        }
        return if args.json {
            super::write_json(out, &devices)
        } else {
            write_table(out, &devices)
        };
    }
    let json = args.json;
    let mut failed: Option<anyhow::Error> = None;
    usb::watch_bench(server, usb, store, options, |event| {
        let written = if json {
            serde_json::to_writer(&mut *out, &event)
                .map_err(anyhow::Error::from)
                .and_then(|()| Ok(writeln!(out)?))
        } else {
            match &event {
                BenchEvent::Snapshot { devices, unplugged } => {
                    write_table(out, devices).and_then(|()| write_unplugged(out, unplugged))
                }
                BenchEvent::ServerDown { message } | BenchEvent::HistoryOff { message } => {
                    writeln!(out, "{message}").map_err(Into::into)
                }
            }
        };
        let ok = written.and_then(|()| Ok(out.flush()?));
        match ok {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .await;
    match failed {
        // A closed pipe (`stagebench devices --watch | head`) is a normal way to stop.
        Some(e) if is_broken_pipe(&e) => Ok(()),
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The devices that left while watching, one line each: `Slot 8 — unplugged 15:01:07, SERIAL`.
fn write_unplugged(out: &mut dyn Write, tiles: &[BenchDevice]) -> anyhow::Result<()> {
    use super::shown;
    for d in tiles {
        let place = match d.slot_number {
            Some(n) => format!("Slot {n}"),
            None => shown(d.slot.as_deref().unwrap_or(&d.key)).into_owned(),
        };
        let at = d.unplugged_at.as_deref().unwrap_or("-");
        let time = at.get(11..19).unwrap_or(at);
        writeln!(
            out,
            "{place} — unplugged {time} UTC, {}",
            shown(d.serial.as_deref().unwrap_or(&d.key))
        )?;
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The table; every field a device reported goes through [`shown`].
fn write_table(out: &mut dyn Write, devices: &[BenchDevice]) -> anyhow::Result<()> {
    use super::shown;
    if devices.is_empty() {
        writeln!(out, "No devices attached. Plug a device in with USB debugging on, or run `stagebench simulate --devices 3 --connect`.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<6} {:<22} {:<13} {:<18} {:<22} {:<10} PORT",
        "SLOT", "SERIAL", "STATE", "MAKER", "MODEL", "ANDROID"
    )?;
    for d in devices {
        let android = match (&d.android_release, d.sdk) {
            (Some(r), Some(s)) => format!("{r} ({s})"),
            (Some(r), None) => r.clone(),
            (None, Some(s)) => format!("sdk {s}"),
            (None, None) => "-".into(),
        };
        writeln!(
            out,
            "{:<6} {:<22} {:<13} {:<18} {:<22} {:<10} {}",
            d.slot_number
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
            shown(d.serial.as_deref().unwrap_or(&d.key)),
            d.state,
            shown(d.manufacturer.as_deref().unwrap_or("-")),
            shown(d.model.as_deref().unwrap_or("-")),
            shown(&android),
            shown(d.slot.as_deref().unwrap_or("-")),
        )?;
        for p in &d.problems {
            writeln!(
                out,
                "       {}: {} Next: {}",
                p.severity.as_str(),
                shown(&p.message),
                shown(&p.next_step)
            )?;
        }
        for line in d.flags.iter().chain(&d.error) {
            writeln!(out, "       {}", shown(line))?;
        }
        writeln!(
            out,
            "       {}: {}",
            shown(&d.status.word),
            shown(&d.status.next_step)
        )?;
        if let Some(remedy) = d.state.remedy() {
            writeln!(out, "       hint: {}", crate::remedy::command(&remedy))?;
        }
    }
    Ok(())
}
