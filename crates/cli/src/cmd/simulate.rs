//! `stagebench simulate`: a bench of fake devices that speak the real ADB protocol, so anyone
//! can try StageBench without hardware.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use stagebench_adb::server::AdbServer;
use stagebench_core::testing::SimulatedBench;

/// How many devices, where, and whether to attach them to the adb server.
#[derive(Args)]
pub struct SimulateArgs {
    /// How many fake devices to run.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=500))]
    devices: u16,
    /// First TCP port (the next devices take the following ports) [default: free ports].
    #[arg(long, value_name = "PORT")]
    base_port: Option<u16>,
    /// Also `adb connect` every device through the adb server.
    #[arg(long)]
    connect: bool,
    /// The adb server for --connect [default: 127.0.0.1:$ANDROID_ADB_SERVER_PORT, else 5037].
    #[arg(long, value_name = "HOST:PORT")]
    adb_server: Option<SocketAddr>,
    /// Print the devices as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct SimulatedDevice {
    addr: SocketAddr,
    serial: String,
    manufacturer: String,
    model: String,
}

/// Runs `stagebench simulate` until Ctrl-C.
pub async fn run(args: &SimulateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let bench = SimulatedBench::start(usize::from(args.devices), args.base_port).await?;
    let devices: Vec<SimulatedDevice> = bench
        .addrs()
        .into_iter()
        .zip(bench.models())
        .map(|(addr, (serial, manufacturer, model))| SimulatedDevice {
            addr,
            serial: serial.clone(),
            manufacturer: manufacturer.clone(),
            model: model.clone(),
        })
        .collect();
    let server = args.adb_server.map(AdbServer::new).unwrap_or_else(AdbServer::from_env);
    if args.connect {
        bench.connect_all(&server).await.with_context(|| {
            format!("can't attach the fake devices to the adb server at {}: start it with `adb start-server`", server.addr())
        })?;
    }
    if args.json {
        super::write_json(out, &devices)?;
    } else {
        for d in &devices {
            writeln!(out, "{}  {}  {} {}", d.addr, d.serial, d.manufacturer, d.model)?;
        }
        if !args.connect {
            writeln!(out, "Attach them with `adb connect <address>`, or run again with --connect.")?;
        }
        writeln!(out, "Press Ctrl-C to stop.")?;
    }
    out.flush()?;
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    if args.connect {
        // Leave the adb server as we found it, so it doesn't keep retrying devices that are gone.
        for addr in bench.addrs() {
            let _ = server.disconnect(&addr.to_string()).await;
        }
    }
    Ok(())
}
