//! `stagebench benchmark usb`: how soon a device plugged in or pulled out is reported, against
//! the budget of 250 ms from the OS event to ours, on the scripted USB bus: by the USB watcher
//! with OS hotplug (Linux, macOS) and without it (polling, as on Windows), and as a bench card
//! appearing and going (`watch_bench`, hotplug). Each device is plugged at an arbitrary moment
//! of the poll cycle. Then `--devices` devices plugged at once, each taking 40 ms to read its
//! descriptors, read 8 at a time.
//!
//! The tests check which path reports a change and how many reads run at once, never how fast
//! (a loaded machine would miss any budget): these are the numbers they leave out.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::free_port;
use stagebench_adb::usb::{watch, watch_with, ScriptedDevice, ScriptedUsb, UsbEvent, WatchOptions};
use stagebench_adb::AdbKey;
use stagebench_core::device::usb::{watch_bench, AdbHostKey, UsbBench};
use stagebench_core::device::{BenchDevice, BenchEvent, ReadOptions};
use tokio::sync::mpsc;

/// From the OS event to ours.
const BUDGET: Duration = Duration::from_millis(250);

/// How long one descriptor read takes in the many-at-once run.
const DESCRIBE: Duration = Duration::from_millis(40);

/// Past this, an expected event counts as lost and the benchmark stops.
const LOST: Duration = Duration::from_secs(30);

/// Options.
#[derive(Args)]
pub struct UsbEventsBench {
    /// Plug-and-unplug rounds per path.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rounds: u32,
    /// Devices plugged at once for the parallel descriptor reads.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    devices: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One path's latencies, in milliseconds.
#[derive(Serialize)]
struct Path {
    /// `watcher, hotplug`, `watcher, polling`, `bench card, hotplug`.
    path: &'static str,
    arrival: Spread,
    departure: Spread,
}

#[derive(Serialize)]
struct Spread {
    median_ms: f64,
    max_ms: f64,
}

#[derive(Serialize)]
struct Report {
    rounds: u32,
    budget_ms: f64,
    poll_interval_ms: f64,
    paths: Vec<Path>,
    /// Devices plugged at once, their descriptor read time and how many are read at a time.
    many_devices: u32,
    many_describe_ms: f64,
    many_concurrency: usize,
    /// Until every one was reported.
    many_ms: f64,
    /// The same reads one after another.
    many_sequential_ms: f64,
    /// Every arrival and departure within the budget, and the many devices read in parallel
    /// (in under 60 % of the time one after another would take).
    target_met: bool,
}

/// Runs the benchmark.
pub async fn run(args: &UsbEventsBench, out: &mut dyn Write) -> anyhow::Result<()> {
    let rounds = args.rounds;
    let mut paths = Vec::new();
    for (path, bus) in [
        ("watcher, hotplug", ScriptedUsb::new()),
        ("watcher, polling", ScriptedUsb::polling()),
    ] {
        let (arrival, departure) = watcher_rounds(&bus, rounds).await?;
        paths.push(Path {
            path,
            arrival: spread(arrival),
            departure: spread(departure),
        });
    }
    let (arrival, departure) = bench_card_rounds(rounds).await?;
    paths.push(Path {
        path: "bench card, hotplug",
        arrival: spread(arrival),
        departure: spread(departure),
    });
    let options = WatchOptions::default();
    let many = many_at_once(args.devices, options).await?;
    let sequential = DESCRIBE * args.devices;
    let within_budget = paths
        .iter()
        .all(|p| p.arrival.max_ms < millis(BUDGET) && p.departure.max_ms < millis(BUDGET));
    let report = Report {
        rounds,
        budget_ms: millis(BUDGET),
        poll_interval_ms: millis(options.poll_interval),
        paths,
        many_devices: args.devices,
        many_describe_ms: millis(DESCRIBE),
        many_concurrency: options.max_concurrent_reads,
        many_ms: millis(many),
        many_sequential_ms: millis(sequential),
        target_met: within_budget && many.as_secs_f64() < 0.6 * sequential.as_secs_f64(),
    };
    if args.json {
        super::super::write_json(out, &report)
    } else {
        write_text(out, &report)
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn spread(mut times: Vec<Duration>) -> Spread {
    times.sort();
    Spread {
        median_ms: millis(times[times.len() / 2]),
        max_ms: millis(times[times.len() - 1]),
    }
}

/// A moment somewhere in the poll cycle, so polled events are not all met at the same phase.
async fn arbitrary_pause() {
    let cycle = WatchOptions::default().poll_interval;
    tokio::time::sleep(cycle.mul_f64(rand::random::<f64>())).await;
}

/// Waits until a watcher on `bus` has listed it (its first scan), so it is running.
async fn started(bus: &ScriptedUsb) -> anyhow::Result<()> {
    let deadline = Instant::now() + LOST;
    while bus.listings() == 0 {
        if Instant::now() > deadline {
            bail!("the USB watcher did not start within {LOST:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// The next event, or an error after [`LOST`].
async fn next(events: &mut mpsc::Receiver<UsbEvent>, what: &str) -> anyhow::Result<UsbEvent> {
    match tokio::time::timeout(LOST, events.recv()).await {
        Ok(Some(event)) => Ok(event),
        Ok(None) => bail!("the USB watcher stopped before {what}"),
        Err(_) => bail!("no {what} within {LOST:?}"),
    }
}

/// Plug and unplug one device `rounds` times with the watcher running; the time from each plug
/// to its `Arrived` and from each unplug to its `Left`.
async fn watcher_rounds(
    bus: &ScriptedUsb,
    rounds: u32,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let (tx, mut events) = mpsc::channel(16);
    let _watcher = watch(Arc::new(bus.clone()), tx);
    started(bus).await?;
    let (mut arrivals, mut departures) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let port = format!("1-{}", round % 7 + 1);
        arbitrary_pause().await;
        let plugged = Instant::now();
        bus.plug(ScriptedDevice::phone(&port, &format!("B{round:04}")))?;
        match next(&mut events, "arrival").await? {
            UsbEvent::Arrived(info) if info.port_path == port => arrivals.push(plugged.elapsed()),
            other => bail!("expected the arrival at {port}, got {other:?}"),
        }
        arbitrary_pause().await;
        let unplugged = Instant::now();
        bus.unplug(&port);
        match next(&mut events, "departure").await? {
            UsbEvent::Left { port_path } if port_path == port => {
                departures.push(unplugged.elapsed())
            }
            other => bail!("expected the departure from {port}, got {other:?}"),
        }
    }
    Ok((arrivals, departures))
}

/// The same through the whole bench watcher (no adb server): from plug to the snapshot with
/// the device's card (USB debugging off, so nothing is read over ADB), and from unplug to the
/// snapshot without it.
async fn bench_card_rounds(rounds: u32) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let bus = ScriptedUsb::new();
    let server = AdbServer::new(SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?)));
    let key = AdbHostKey::loaded(AdbKey::generate().context("can't make a bench key")?);
    let usb = UsbBench::new(Arc::new(bus.clone()), key, server.clone());
    let (tx, mut snapshots) = mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch_bench(
        server,
        Some(usb),
        None,
        ReadOptions::default(),
        move |event| match event {
            BenchEvent::Snapshot { devices, .. } => tx.send(devices).is_ok(),
            _ => true,
        },
    ));
    let result = async {
        // The bench is watched once it published its first (empty) snapshot.
        snapshot_where(&mut snapshots, |_| true).await?;
        let (mut arrivals, mut departures) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let port = format!("1-{}", round % 7 + 1);
            let shows = |d: &[BenchDevice]| d.iter().any(|d| d.slot.as_deref() == Some(&port));
            arbitrary_pause().await;
            let plugged = Instant::now();
            bus.plug(ScriptedDevice::phone(&port, &format!("C{round:04}")).adb_off())?;
            snapshot_where(&mut snapshots, shows).await?;
            arrivals.push(plugged.elapsed());
            arbitrary_pause().await;
            let unplugged = Instant::now();
            bus.unplug(&port);
            snapshot_where(&mut snapshots, |d| !shows(d)).await?;
            departures.push(unplugged.elapsed());
        }
        anyhow::Ok((arrivals, departures))
    }
    .await;
    watcher.abort();
    result
}

async fn snapshot_where(
    snapshots: &mut mpsc::UnboundedReceiver<Vec<BenchDevice>>,
    done: impl Fn(&[BenchDevice]) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + LOST;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, snapshots.recv()).await {
            Ok(Some(devices)) if done(&devices) => return Ok(()),
            Ok(Some(_)) => {}
            Ok(None) => bail!("the bench watcher stopped"),
            Err(_) => bail!("no such bench snapshot within {LOST:?}"),
        }
    }
}

/// `devices` devices plugged at once on a hotplug bus, each read in [`DESCRIBE`]: the time
/// until the watcher reported every one.
async fn many_at_once(devices: u32, options: WatchOptions) -> anyhow::Result<Duration> {
    let bus = ScriptedUsb::new();
    let (tx, mut events) = mpsc::channel(devices as usize + 8);
    let _watcher = watch_with(Arc::new(bus.clone()), tx, options);
    started(&bus).await?;
    let started = Instant::now();
    for i in 0..devices {
        let port = format!("{}-{}.{}", i / 49 + 1, i / 7 % 7 + 1, i % 7 + 1);
        bus.plug(ScriptedDevice::phone(&port, &format!("M{i:03}")).describe_delay(DESCRIBE))?;
    }
    let mut arrived = 0;
    while arrived < devices {
        if let UsbEvent::Arrived(_) = next(&mut events, "arrival").await? {
            arrived += 1;
        }
    }
    Ok(started.elapsed())
}

fn write_text(out: &mut dyn Write, report: &Report) -> anyhow::Result<()> {
    writeln!(
        out,
        "USB arrivals and departures on the scripted bus, {} rounds per path, plugged at arbitrary moments (poll every {:.0} ms without hotplug)",
        report.rounds, report.poll_interval_ms
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<22} {:>15} {:>15} {:>15} {:>15}",
        "path", "arrival median", "arrival max", "left median", "left max"
    )?;
    let ms = |v: f64| format!("{v:.1} ms");
    for path in &report.paths {
        writeln!(
            out,
            "{:<22} {:>15} {:>15} {:>15} {:>15}",
            path.path,
            ms(path.arrival.median_ms),
            ms(path.arrival.max_ms),
            ms(path.departure.median_ms),
            ms(path.departure.max_ms),
        )?;
    }
    writeln!(
        out,
        "\n{} devices plugged at once, {:.0} ms of descriptor reads each, {} at a time: all reported in {:.0} ms (one after another: {:.0} ms)",
        report.many_devices,
        report.many_describe_ms,
        report.many_concurrency,
        report.many_ms,
        report.many_sequential_ms
    )?;
    let verdict = if report.target_met { "met" } else { "NOT met" };
    writeln!(
        out,
        "\ntarget (every arrival and departure < {:.0} ms; the many devices in < 60 % of one after another): {verdict}",
        report.budget_ms
    )?;
    Ok(())
}
