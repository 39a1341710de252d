//! `stagebench benchmark devices`: how long reading a bench takes, our direct ADB client against
//! Debian's `adb` binary, on the same fake devices.
//!
//! For each bench size it starts that many fake devices (the simulated bench) and times two
//! reads: every device's serial (`getprop ro.serialno`) and all of every device's facts (one
//! `getprop` and the stage-evidence command, as the bench reads them).
//! Ours runs at most [`READ_CONCURRENCY`] devices at once and is timed twice: with connections
//! already open (as the adb server's are, and as a bench that holds each device from plug-in
//! has them), and cold (TCP + CNXN + AUTH signature per device included). The adb side is what
//! a script does: an adb server already connected to every device, then one
//! `adb -s <addr> shell …` per device and read, one after the other. The devices already trust
//! both keys, as on a bench in daily use. Each figure is the median of `--runs` runs.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use stagebench_adb::host::{AdbDevice, ConnectOptions};
use stagebench_adb::server::parse_getprop;
use stagebench_adb::testing::{adb_command, which_adb, RealAdbServer};
use stagebench_adb::AdbKey;
use stagebench_core::device::evidence::{parse_evidence, EVIDENCE_COMMAND};
use stagebench_core::device::READ_CONCURRENCY;
use stagebench_core::testing::SimulatedBench;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

#[derive(Args)]
pub(super) struct DevicesBench {
    /// Bench sizes to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,50", value_parser = clap::value_parser!(u16).range(1..=500))]
    devices: Vec<u16>,
    /// Runs per measurement; the median is shown.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=50))]
    runs: u16,
    /// Measure only our client (no Debian `adb` needed).
    #[arg(long)]
    no_adb: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One timed read, in milliseconds.
#[derive(Serialize)]
struct Row {
    devices: usize,
    /// `serials` or `facts`.
    read: &'static str,
    /// Ours, connections already open.
    ours_ms: f64,
    /// Ours, connecting and authenticating each device within the time.
    ours_cold_ms: f64,
    /// The `adb` binary loop.
    adb_ms: Option<f64>,
    /// How many times faster ours is with connections open (adb / ours).
    ratio: Option<f64>,
    /// How many times faster ours is even when connecting cold (adb / ours cold).
    ratio_cold: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    concurrency: usize,
    runs: usize,
    key_already_trusted: bool,
    adb_version: Option<String>,
    rows: Vec<Row>,
    /// All facts for 50 devices in under 3 s (cold), and at least 3× faster than the adb loop.
    target_met: Option<bool>,
}

const TARGET_DEVICES: usize = 50;
const TARGET_FACTS: Duration = Duration::from_secs(3);
const TARGET_RATIO: f64 = 3.0;

/// Runs `stagebench benchmark devices`.
pub(super) async fn run(args: &DevicesBench, out: &mut dyn Write) -> anyhow::Result<()> {
    let with_adb = !args.no_adb;
    if with_adb && which_adb().is_none() {
        bail!("Debian's `adb` is not on PATH: install it (`apt-get install adb`) or pass --no-adb");
    }
    let runs = usize::from(args.runs);
    let key = Arc::new(AdbKey::generate().context("can't make a bench key")?);
    let mut rows = Vec::new();
    for &count in &args.devices {
        let count = usize::from(count);
        let bench = SimulatedBench::start(count, None)
            .await
            .context("can't start the fake devices")?;
        let expected: Vec<String> = bench
            .models()
            .iter()
            .map(|(serial, _, _)| serial.clone())
            .collect();
        let addrs = bench.addrs();
        // Connecting once makes the simulated devices trust the key (they accept the prompt).
        let connected = connect_all(&addrs, &key).await?;
        let adb = if with_adb {
            Some(time_adb(&addrs, &expected, runs).await?)
        } else {
            None
        };
        for (i, read) in [Read::Serials, Read::Facts].into_iter().enumerate() {
            let mut warm = Vec::with_capacity(runs);
            let mut cold = Vec::with_capacity(runs);
            for _ in 0..runs {
                warm.push(time_ours(&connected, read, &expected).await?);
                let started = Instant::now();
                let fresh = connect_all(&addrs, &key).await?;
                time_ours(&fresh, read, &expected).await?;
                cold.push(started.elapsed());
            }
            rows.push(row(
                count,
                read,
                median(warm),
                median(cold),
                adb.as_ref().map(|a| a[i]),
            ));
        }
    }
    let report = Report {
        concurrency: READ_CONCURRENCY,
        runs,
        key_already_trusted: true,
        adb_version: if with_adb { adb_version().await } else { None },
        target_met: target_met(&rows),
        rows,
    };
    if args.json {
        super::super::write_json(out, &report)
    } else {
        write_text(out, &report)
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    Serials,
    Facts,
}

impl Read {
    fn name(self) -> &'static str {
        match self {
            Read::Serials => "serials",
            Read::Facts => "facts",
        }
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn row(devices: usize, read: Read, ours: Duration, cold: Duration, adb: Option<Duration>) -> Row {
    let ratio = |ours: Duration| adb.map(|adb| adb.as_secs_f64() / ours.as_secs_f64().max(1e-9));
    Row {
        devices,
        read: read.name(),
        ours_ms: millis(ours),
        ours_cold_ms: millis(cold),
        adb_ms: adb.map(millis),
        ratio: ratio(ours),
        ratio_cold: ratio(cold),
    }
}

fn target_met(rows: &[Row]) -> Option<bool> {
    let facts = rows
        .iter()
        .find(|r| r.devices == TARGET_DEVICES && r.read == "facts")?;
    let fast = facts.ours_cold_ms < millis(TARGET_FACTS);
    Some(fast && facts.ratio.is_none_or(|r| r >= TARGET_RATIO))
}

/// Connect to every device at once, at most READ_CONCURRENCY at a time.
async fn connect_all(addrs: &[SocketAddr], key: &Arc<AdbKey>) -> anyhow::Result<Vec<AdbDevice>> {
    let permits = Arc::new(Semaphore::new(READ_CONCURRENCY));
    let mut connects = JoinSet::new();
    for (index, &addr) in addrs.iter().enumerate() {
        let (key, permits) = (key.clone(), permits.clone());
        connects.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let device = AdbDevice::connect_tcp(addr, &key, ConnectOptions::default()).await?;
            anyhow::Ok((index, device))
        });
    }
    let mut devices = Vec::with_capacity(addrs.len());
    while let Some(done) = connects.join_next().await {
        devices.push(done??);
    }
    devices.sort_by_key(|(index, _)| *index);
    Ok(devices.into_iter().map(|(_, device)| device).collect())
}

/// Our direct client: read every (connected) device, at most READ_CONCURRENCY at once.
async fn time_ours(
    devices: &[AdbDevice],
    read: Read,
    expected: &[String],
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(READ_CONCURRENCY));
    let mut reads = JoinSet::new();
    for (index, device) in devices.iter().enumerate() {
        let (device, permits) = (device.clone(), permits.clone());
        reads.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let serial = match read {
                Read::Serials => {
                    let output = device.shell("getprop ro.serialno").await?;
                    String::from_utf8_lossy(&output.stdout).trim().to_owned()
                }
                Read::Facts => {
                    // All facts, as the bench reads them: properties and the stage evidence.
                    let (facts, evidence) =
                        tokio::join!(device.read_facts(), device.shell(EVIDENCE_COMMAND));
                    check_evidence("direct client", &String::from_utf8_lossy(&evidence?.stdout))?;
                    facts?.transport_serial
                }
            };
            anyhow::Ok((index, serial))
        });
    }
    let mut serials = vec![String::new(); devices.len()];
    while let Some(done) = reads.join_next().await {
        let (index, serial) = done??;
        serials[index] = serial;
    }
    let elapsed = started.elapsed();
    check_serials("direct client", read, &serials, expected)?;
    Ok(elapsed)
}

/// The evidence answer must be a real one (the fake devices answer the exact command).
fn check_evidence(who: &str, text: &str) -> anyhow::Result<()> {
    let evidence = parse_evidence(text);
    if evidence.device_provisioned.is_none() {
        bail!("{who} got no stage evidence back: {text:?}");
    }
    Ok(())
}

fn check_serials(who: &str, read: Read, got: &[String], expected: &[String]) -> anyhow::Result<()> {
    if got != expected {
        bail!(
            "{who} read the wrong {}: {got:?}, expected {expected:?}",
            read.name()
        );
    }
    Ok(())
}

/// Debian's adb: connect the server to every device (not timed), then one `adb … shell` per
/// device in sequence, as a script would; the median of `runs` for serials and for facts.
async fn time_adb(
    addrs: &[SocketAddr],
    expected: &[String],
    runs: usize,
) -> anyhow::Result<[Duration; 2]> {
    let server = RealAdbServer::start().await.map_err(anyhow::Error::msg)?;
    let client = server.client();
    for addr in addrs {
        client
            .connect(&addr.to_string())
            .await
            .context("adb connect")?;
    }
    server
        .wait_for_devices(addrs.len(), Duration::from_secs(60))
        .await
        .map_err(anyhow::Error::msg)?;
    let mut medians = [Duration::ZERO; 2];
    for (i, read) in [Read::Serials, Read::Facts].into_iter().enumerate() {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let mut serials = Vec::with_capacity(addrs.len());
            for addr in addrs {
                let serial = addr.to_string();
                serials.push(match read {
                    Read::Serials => adb_shell(&server, &serial, "getprop ro.serialno")
                        .await?
                        .trim()
                        .to_owned(),
                    Read::Facts => {
                        let props = adb_shell(&server, &serial, "getprop").await?;
                        check_evidence(
                            "adb",
                            &adb_shell(&server, &serial, EVIDENCE_COMMAND).await?,
                        )?;
                        parse_getprop(&props)
                            .remove("ro.serialno")
                            .unwrap_or_default()
                    }
                });
            }
            times.push(started.elapsed());
            check_serials("adb", read, &serials, expected)?;
        }
        medians[i] = median(times);
    }
    Ok(medians)
}

async fn adb_shell(server: &RealAdbServer, serial: &str, command: &str) -> anyhow::Result<String> {
    let mut adb = tokio::process::Command::from(adb_command(server.home()));
    adb.arg("-P")
        .arg(server.port().to_string())
        .args(["-s", serial, "shell", command]);
    let output = adb
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .context("can't run adb")?;
    if !output.status.success() {
        bail!(
            "`adb -s {serial} shell {command}` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

async fn adb_version() -> Option<String> {
    let home = std::env::temp_dir();
    let output = tokio::process::Command::from(adb_command(&home))
        .arg("version")
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines()
        .find(|l| l.starts_with("Version"))
        .map(|l| l.trim().to_owned())
}

fn write_text(out: &mut dyn Write, report: &Report) -> anyhow::Result<()> {
    writeln!(out, "Reading fake devices on 127.0.0.1; the devices already trust both keys; median of {} runs.", report.runs)?;
    writeln!(
        out,
        "ours:      direct ADB, {} devices at a time, connections already open",
        report.concurrency
    )?;
    writeln!(
        out,
        "ours cold: the same, connecting and authenticating every device within the time"
    )?;
    if let Some(version) = &report.adb_version {
        writeln!(out, "adb loop:  `adb -s <addr> shell …` per device and read (facts: getprop + evidence) in sequence, server already connected ({version})")?;
    }
    writeln!(out)?;
    let ms = |v: f64| format!("{v:.1} ms");
    let times =
        |v: Option<f64>, unit: &dyn Fn(f64) -> String| v.map_or_else(|| "-".to_owned(), unit);
    let ratio = |r: f64| format!("{r:.1}x");
    writeln!(
        out,
        "{:>7}  {:<8} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "devices", "read", "ours", "ours cold", "adb loop", "adb/ours", "adb/cold"
    )?;
    for row in &report.rows {
        writeln!(
            out,
            "{:>7}  {:<8} {:>11} {:>11} {:>11} {:>9} {:>9}",
            row.devices,
            row.read,
            ms(row.ours_ms),
            ms(row.ours_cold_ms),
            times(row.adb_ms, &ms),
            times(row.ratio, &ratio),
            times(row.ratio_cold, &ratio),
        )?;
    }
    if let Some(met) = report.target_met {
        let verdict = if met { "met" } else { "NOT met" };
        writeln!(
            out,
            "\ntarget (all facts for {TARGET_DEVICES} devices < {TARGET_FACTS:?} cold, >= {TARGET_RATIO}x the adb loop): {verdict}"
        )?;
    }
    Ok(())
}
