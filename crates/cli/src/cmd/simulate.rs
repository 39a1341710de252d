//! `stagebench simulate`: a bench of fake devices that speak the real ADB protocol, so anyone
//! can try StageBench without hardware; with `--tenant`, also a fake Intune tenant (Graph and
//! its sign-in, on 127.0.0.1 only) where the simulated devices enroll by themselves.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{ensure, Context};
use clap::Args;
use serde::Serialize;
use stagebench_adb::server::AdbServer;
use stagebench_core::intune::auth::{ALLOW_HTTP_LOOPBACK_ENV, AUTHORITY_ENV, GRAPH_URL_ENV};
use stagebench_core::testing::graph::{FakeEnrollmentFlow, FakeGraph, Lifecycle};
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
    /// Also run a fake Intune tenant (demo profiles and users; sign-ins approved automatically)
    /// where the devices enroll by themselves.
    #[arg(long)]
    tenant: bool,
    /// Print the devices (and the tenant) as JSON.
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

/// The fake tenant's name, and the app registration to sign in with (the fake accepts any).
const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT_ID: &str = "00000000-5ba6-4000-8000-000000000001";
/// Who approves the device-code sign-ins.
const TECHNICIAN: &str = "tech@contoso.com";
/// Who signs in on staged devices (stage 3).
const END_USER: &str = "ana@contoso.com";

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

/// Starts the fake tenant with the demo profiles and schedules each simulated device's
/// enrollment: ~20 s after start plus 5 s per device; RealWear headsets through AOSP userless,
/// the others with the staging token, their user signing in two minutes after enrollment.
async fn start_tenant(bench: &SimulatedBench) -> anyhow::Result<(FakeGraph, TenantInfo)> {
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
    fake.approve_all_as(TECHNICIAN, 1);
    for (i, (serial, manufacturer, model)) in bench.models().iter().enumerate() {
        let realwear = manufacturer.to_lowercase().contains("realwear");
        let steps = u64::try_from(i).unwrap_or(u64::MAX).saturating_mul(5);
        fake.schedule(Lifecycle {
            serial: serial.clone(),
            manufacturer: manufacturer.clone(),
            model: model.clone(),
            flow: if realwear {
                FakeEnrollmentFlow::AospUserless
            } else {
                FakeEnrollmentFlow::Staging
            },
            enrolls_after: Duration::from_secs(20u64.saturating_add(steps)),
            user: (!realwear).then(|| (END_USER.to_owned(), Duration::from_secs(120))),
        });
    }
    let env = [
        (AUTHORITY_ENV, fake.authority_url()),
        (GRAPH_URL_ENV, fake.base_url()),
        (ALLOW_HTTP_LOOPBACK_ENV, "1".to_owned()),
    ]
    .into_iter()
    .collect();
    let login = format!("stagebench login --tenant {TENANT} --client-id {CLIENT_ID}");
    Ok((
        fake,
        TenantInfo {
            tenant: TENANT,
            client_id: CLIENT_ID,
            approves_as: TECHNICIAN,
            env,
            login,
        },
    ))
}

fn write_tenant(info: &TenantInfo, out: &mut dyn Write) -> anyhow::Result<()> {
    let exports: Vec<String> = info.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(
        out,
        "\nFake Intune tenant {} on 127.0.0.1 (sign-ins are approved as {}). In another terminal:",
        info.tenant, info.approves_as
    )?;
    for e in &exports {
        writeln!(out, "  export {e}")?;
    }
    writeln!(out, "  {}", info.login)?;
    writeln!(out, "  stagebench profiles list; stagebench sync")?;
    writeln!(out, "The app: {} make run", exports.join(" "))?;
    writeln!(out, "Devices enroll in Intune from 20 s on (one every 5 s); users sign in on staged devices 2 min later.")?;
    Ok(())
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
    let server = args
        .adb_server
        .map(AdbServer::new)
        .unwrap_or_else(AdbServer::from_env);
    if args.connect {
        bench.connect_all(&server).await.with_context(|| {
            format!("can't attach the fake devices to the adb server at {}: start it with `adb start-server`", server.addr())
        })?;
    }
    // Kept until Ctrl-C: dropping it stops the tenant.
    let tenant = if args.tenant {
        Some(start_tenant(&bench).await?)
    } else {
        None
    };
    if args.json {
        match &tenant {
            Some((_, info)) => super::write_json(
                out,
                &serde_json::json!({"devices": devices, "tenant": info}),
            )?,
            None => super::write_json(out, &devices)?,
        }
    } else {
        for d in &devices {
            writeln!(
                out,
                "{}  {}  {} {}",
                d.addr, d.serial, d.manufacturer, d.model
            )?;
        }
        if !args.connect {
            writeln!(
                out,
                "Attach them with `adb connect <address>`, or run again with --connect."
            )?;
        }
        if let Some((_, info)) = &tenant {
            write_tenant(info, out)?;
        }
        writeln!(out, "Press Ctrl-C to stop.")?;
    }
    out.flush()?;
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    if args.connect {
        // Leave the adb server as we found it, so it doesn't keep retrying devices that are gone.
        for addr in bench.addrs() {
            let _ = server.disconnect(&addr.to_string()).await;
        }
    }
    Ok(())
}
