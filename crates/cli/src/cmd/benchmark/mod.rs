//! `stagebench benchmark`: measurements on fake devices and a fake tenant, one benchmark a file.
//!
//! Layout: [`devices`] (reading a bench: our direct ADB client against Debian's `adb`),
//! [`graph`] (refreshing a fleet's Intune status against the fake tenant), [`report`] (a signed
//! batch report of many devices), [`labels`] (many device labels into one PDF), [`custody`] (a
//! batch's chain-of-custody documents), [`usb`] (how soon USB plugs and unplugs are reported)
//! and [`app`] (what the desktop app costs: startup, memory, idle CPU, growth over plugging).
//! Shared here: the peak memory a benchmark reports and the batch the report and custody ones
//! stage.

use std::io::Write;

use clap::{Args, Subcommand};
use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
use stagebench_core::ids::BatchId;
use stagebench_core::stage::Flow;

mod app;
mod custody;
mod devices;
mod graph;
mod labels;
mod report;
mod usb;

/// What to measure.
#[derive(Args)]
pub struct BenchmarkArgs {
    #[command(subcommand)]
    what: BenchmarkWhat,
}

#[derive(Subcommand)]
enum BenchmarkWhat {
    /// Time reading serials and facts from fake devices: direct ADB against the `adb` binary.
    Devices(devices::DevicesBench),
    /// Refresh the Intune status of a fleet against the fake tenant (latency, budgets, 429s).
    Graph(graph::GraphBench),
    /// Export and import a signed batch report of many devices: time and peak memory of each side.
    Report(report::ReportBench),
    /// Render many device labels into one PDF on a sheet template: time and peak memory.
    Labels(labels::LabelsBench),
    /// Make a batch's chain-of-custody PDF and CSV for many devices: time and peak memory.
    Custody(custody::CustodyBench),
    /// How soon USB devices plugged in or pulled out are reported (hotplug, polling, bench cards).
    Usb(usb::UsbEventsBench),
    /// What the desktop app costs on a simulated bench: startup, memory (PSS), idle CPU, growth.
    App(app::AppBench),
}

/// Runs `stagebench benchmark …`.
pub async fn run(args: &BenchmarkArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.what {
        BenchmarkWhat::Devices(args) => devices::run(args, out).await,
        BenchmarkWhat::Graph(args) => graph::run(args, out).await,
        BenchmarkWhat::Report(args) => report::run(args, out),
        BenchmarkWhat::Labels(args) => labels::run(args, out),
        BenchmarkWhat::Custody(args) => custody::run(args, out),
        BenchmarkWhat::Usb(args) => usb::run(args, out).await,
        BenchmarkWhat::App(args) => app::run(args, out).await,
    }
}

/// Peak resident memory of this process, MiB (Linux `/proc/self/status` `VmHWM`).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The batch the report and custody benchmarks stage: `devices` expected, made at `at`.
fn batch_of(devices: u32, at: time::OffsetDateTime) -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: "Benchmark batch".into(),
            profile: ProfileFacts {
                profile_id: "bench-profile".into(),
                profile_name: "Staging — benchmark".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedFullyManaged".into(),
                token_expires: Some(at + time::Duration::days(30)),
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: None,
            },
            vendor: "Acme Staging".into(),
            due: None,
            expected_count: Some(devices),
            expected_serials: vec![],
        },
        created_at: at,
        created_by: "admin@contoso.com".into(),
        origin: BatchOrigin::Local,
    }
}
