//! `stagebench simulate`: a bench of fake devices that speak the real ADB protocol and react to
//! the bench as real ones do (the demo bench of `stagebench_core::testing::demo`), so anyone
//! can try StageBench without hardware; with `--tenant`, also a fake Intune tenant (Graph and
//! its sign-in, on 127.0.0.1 only) where the devices enroll once powered off.
//! `stagebench simulate control …` drives a running simulator: plug, unplug, advance, fail,
//! allow, power-on.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stagebench_adb::server::AdbServer;
use stagebench_core::demo::{DemoAction, DemoControl, DemoDevice, DemoFailure, CONTROL_FILE};
use stagebench_core::store::Store;
use stagebench_core::testing::demo::{tenant_env, DemoBench, DemoOptions};
use stagebench_core::testing::graph::FakeGraph;

use super::shown;

/// How many devices, where, and whether to attach them to the adb server; or a control.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SimulateArgs {
    #[command(subcommand)]
    command: Option<SimulateCommand>,
    /// How many fake devices to run [default: 8].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=500))]
    devices: Option<u16>,
    /// First TCP port (the next devices take the following ports) [default: free ports].
    #[arg(long, value_name = "PORT")]
    base_port: Option<u16>,
    /// Also `adb connect` every device through the adb server (needed for the bench to see a
    /// device's evidence change: it is re-attached at each step).
    #[arg(long)]
    connect: bool,
    /// The adb server for --connect [default: 127.0.0.1:$ANDROID_ADB_SERVER_PORT, else 5037].
    #[arg(long, value_name = "HOST:PORT")]
    adb_server: Option<SocketAddr>,
    /// Also run a fake Intune tenant (demo profiles and users; sign-ins approved automatically)
    /// where the devices enroll once the technician powered them off.
    #[arg(long)]
    tenant: bool,
    /// Only devices that go from the QR to their user (stage 3): no quirks (placeholder serial,
    /// "Allow USB debugging?" prompt, USB debugging off) and no RealWear headsets (AOSP
    /// userless).
    #[arg(long)]
    plain: bool,
    /// Serials from this seed, the same every run [default: fresh serials each run].
    #[arg(long)]
    seed: Option<u64>,
    /// How long each automatic step takes, in milliseconds: provisioning, device owner, setup;
    /// Intune's enrollment and the user's sign-in after power-off.
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    step_ms: u64,
    /// Print the devices (and the tenant) as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SimulateCommand {
    /// Drive the simulator running for this data folder ($STAGEBENCH_DATA_DIR).
    Control(ControlArgs),
}

/// A control and its device.
#[derive(Args)]
struct ControlArgs {
    #[command(subcommand)]
    action: ControlAction,
    /// Print the devices after the control (or the env) as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum ControlAction {
    /// The simulated devices: number, address, serial, model, what each is doing, its controls.
    List,
    /// Plug device N's cable back in.
    Plug { device: u32 },
    /// Pull device N's cable.
    Unplug { device: u32 },
    /// Device N takes its next step now (USB debugging on, the QR scanned, device owner, setup
    /// done, powered off, in Intune, its user).
    Advance { device: u32 },
    /// Device N goes wrong: restarts (during enrollment: a problem on its card) or gets stuck
    /// until advanced [default: reboot while enrolling, else stuck].
    Fail {
        device: u32,
        #[arg(long, value_enum)]
        how: Option<How>,
    },
    /// Tap "Allow" on device N's "Allow USB debugging?" prompt.
    Allow { device: u32 },
    /// Switch device N on again after it was powered off: back on adb, its card shows what
    /// Intune says.
    PowerOn { device: u32 },
    /// The environment for the CLI and the app to use the simulator's fake tenant, as `export`
    /// lines for a shell.
    Env,
}

#[derive(Clone, Copy, ValueEnum)]
enum How {
    Reboot,
    Stuck,
}

/// The fake tenant's name, and the app registration to sign in with (the fake accepts any).
const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT_ID: &str = "00000000-5ba6-4000-8000-000000000001";
/// Who approves the device-code sign-ins.
const TECHNICIAN: &str = "tech@contoso.com";

/// How to use the fake tenant (`--json`: the `tenant` object).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantInfo {
    tenant: &'static str,
    client_id: &'static str,
    approves_as: &'static str,
    /// The environment for the CLI and the app, e.g. `STAGEBENCH_GRAPH_URL`.
    env: std::collections::BTreeMap<&'static str, String>,
    /// A ready sign-in command.
    login: String,
}

/// Starts the fake tenant with the demo profiles; sign-ins are approved at the first poll.
async fn start_tenant() -> anyhow::Result<(Arc<FakeGraph>, TenantInfo)> {
    let fake = FakeGraph::start()
        .await
        .context("can't start the fake tenant on 127.0.0.1")?;
    // The fake binds 127.0.0.1 itself; refuse to go on if that ever changes.
    ensure!(
        fake.addr().ip().is_loopback(),
        "the fake tenant must only listen on 127.0.0.1, not {}",
        fake.addr()
    );
    fake.seed_demo();
    fake.approve_all_as(TECHNICIAN, 0);
    let info = TenantInfo {
        tenant: TENANT,
        client_id: CLIENT_ID,
        approves_as: TECHNICIAN,
        env: tenant_env(&fake),
        login: format!("stagebench login --tenant {TENANT} --client-id {CLIENT_ID}"),
    };
    Ok((Arc::new(fake), info))
}

fn write_tenant(info: &TenantInfo, out: &mut dyn Write) -> anyhow::Result<()> {
    let exports: Vec<String> = info.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(
        out,
        "\nFake Intune tenant {} on 127.0.0.1 (sign-ins are approved as {}). In another terminal:",
        info.tenant, info.approves_as
    )?;
    writeln!(out, "  eval \"$(stagebench simulate control env)\"")?;
    writeln!(out, "  {}", info.login)?;
    writeln!(out, "  stagebench profiles list; stagebench sync")?;
    writeln!(out, "The app: {} make run", exports.join(" "))?;
    writeln!(out, "Devices enroll in Intune once the technician recorded them as Powered off; their users sign in a step later.")?;
    Ok(())
}

/// Runs `stagebench simulate` until Ctrl-C, or one control.
pub async fn run(args: &SimulateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(SimulateCommand::Control(control)) = &args.command {
        return run_control(control, out).await;
    }
    let data_dir = Store::data_dir()?;
    let server = args
        .adb_server
        .map(AdbServer::new)
        .unwrap_or_else(AdbServer::from_env);
    if args.connect {
        server.version().await.with_context(|| {
            format!("can't attach the fake devices to the adb server at {}: start it with `adb start-server`", server.addr())
        })?;
    }
    // Kept until Ctrl-C: dropping it stops the tenant.
    let tenant = if args.tenant {
        Some(start_tenant().await?)
    } else {
        None
    };
    let options = DemoOptions {
        devices: args.devices.map_or(8, usize::from),
        plain: args.plain,
        seed: args.seed,
        step: Duration::from_millis(args.step_ms),
        base_port: args.base_port,
        adb: args.connect.then(|| server.clone()),
        data_dir: Some(data_dir.clone()),
    };
    let bench = DemoBench::start(options, tenant.as_ref().map(|(fake, _)| fake.clone())).await?;
    let devices = bench.devices().await;
    if args.json {
        let control = data_dir.join(CONTROL_FILE);
        let mut value = serde_json::json!({"devices": devices, "control": control});
        if let Some((_, info)) = &tenant {
            value["tenant"] = serde_json::to_value(info)?;
        }
        super::write_json(out, &value)?;
    } else {
        write_devices(&devices, out)?;
        if !args.connect {
            writeln!(
                out,
                "Attach them with `adb connect <address>`, or run again with --connect."
            )?;
        }
        if let Some((_, info)) = &tenant {
            write_tenant(info, out)?;
        }
        writeln!(out, "Show the batch's QR on the bench and they enroll; drive them with `stagebench simulate control list|plug|unplug|advance|fail|allow|power-on N`.")?;
        writeln!(out, "Press Ctrl-C to stop.")?;
    }
    out.flush()?;
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    if args.connect {
        // Leave the adb server as we found it, so it doesn't keep retrying devices that are gone.
        for d in bench.devices().await {
            let _ = server.disconnect(&d.addr).await;
        }
    }
    Ok(())
}

fn write_devices(devices: &[DemoDevice], out: &mut dyn Write) -> anyhow::Result<()> {
    for d in devices {
        writeln!(
            out,
            "{}  #{}  {}  {} {}  {}",
            d.addr,
            d.number,
            shown(&d.serial),
            shown(&d.manufacturer),
            shown(&d.model),
            d.doing
        )?;
    }
    Ok(())
}

async fn run_control(args: &ControlArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let dir = Store::data_dir()?;
    let control = DemoControl::find(&dir)?.with_context(|| {
        format!(
            "no simulator runs for the data folder {}: start one with `stagebench simulate` (the same STAGEBENCH_DATA_DIR)",
            dir.display()
        )
    })?;
    let (device, action, failure) = match args.action {
        ControlAction::List => (None, None, None),
        ControlAction::Env => return write_env(&control, args.json, out),
        ControlAction::Plug { device } => (Some(device), Some(DemoAction::Plug), None),
        ControlAction::Unplug { device } => (Some(device), Some(DemoAction::Unplug), None),
        ControlAction::Advance { device } => (Some(device), Some(DemoAction::Advance), None),
        ControlAction::Allow { device } => (Some(device), Some(DemoAction::Allow), None),
        ControlAction::PowerOn { device } => (Some(device), Some(DemoAction::PowerOn), None),
        ControlAction::Fail { device, how } => (
            Some(device),
            Some(DemoAction::Fail),
            how.map(|h| match h {
                How::Reboot => DemoFailure::Reboot,
                How::Stuck => DemoFailure::Stuck,
            }),
        ),
    };
    let devices = match (device, action) {
        (Some(device), Some(action)) => control.act(device, action, failure).await?,
        _ => control.list().await?,
    };
    if args.json {
        return super::write_json(out, &devices);
    }
    write_devices(&devices, out)
}

fn write_env(control: &DemoControl, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if json {
        return super::write_json(out, control.env());
    }
    ensure!(
        !control.env().is_empty(),
        "the simulator runs no fake tenant: start it again with --tenant"
    );
    for (key, value) in control.env() {
        // Loopback URLs and "1": single quotes keep a shell from reading anything into them.
        writeln!(out, "export {key}='{}'", value.replace('\'', "'\\''"))?;
    }
    Ok(())
}
