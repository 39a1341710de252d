//! `stagebench benchmark app`: what the desktop app costs on a simulated bench. It starts
//! Debian's adb server with simulated devices attached, launches the app through
//! WebKitWebDriver (needs an X display: `scripts/measure-app.sh` builds the release app and runs
//! this under Xvfb), and reports:
//!
//! - startup: from launch to the app's page shown (its navigation), and to every device's card
//!   listed (interactive);
//! - after `--idle`: the proportional set size (PSS) of the app and every process below it
//!   (WebKitWebProcess, WebKitNetworkProcess, …), and the CPU each used over `--cpu-window`;
//! - with `--soak`: devices unplugged and plugged back in turn through the adb server for that
//!   long, the PSS read every `--sample-every`, and how much it grew.
//!
//! The targets (issue 14) are judged in the report, not asserted: a loaded machine may miss one.
//! Growth is judged on the processes' private memory: their PSS also moves whenever another
//! program sharing WebKit's libraries starts or ends.

mod procfs;
mod webdriver;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Context};
use clap::Args;
use serde::Serialize;
use serde_json::Value;
use stagebench_adb::server::AdbServer;
use stagebench_core::testing::{free_port, RealAdbServer, SimulatedBench};
use tokio::process::{Child, Command};

use webdriver::Session;

#[derive(Args)]
pub(super) struct AppBench {
    /// The app to measure [default: stagebench-app beside this stagebench].
    #[arg(long, value_name = "PATH")]
    app: Option<PathBuf>,
    /// Simulated devices on the bench.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=200))]
    devices: u16,
    /// How long the app idles, every card shown, before its memory is read (e.g. 60s, 2m).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    idle: Duration,
    /// How long its idle CPU use is sampled, after the memory was read.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    cpu_window: Duration,
    /// Then unplug and plug back devices in turn for this long (e.g. 1h), reading the memory
    /// every --sample-every.
    #[arg(long, value_parser = parse_duration)]
    soak: Option<Duration>,
    /// During --soak: time between two plug events (one device out, then back in).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    plug_every: Duration,
    /// During --soak: time between two memory readings.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    sample_every: Duration,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Issue 14's targets.
const TARGET_INTERACTIVE_S: f64 = 1.0;
const TARGET_PSS_MIB: f64 = 200.0;
const TARGET_PAGE_CPU_PERCENT: f64 = 2.0;
const TARGET_GROWTH_MIB: f64 = 10.0;
/// How long the app may take to show its page and cards before the benchmark gives up.
const START_WITHIN: Duration = Duration::from_secs(120);
/// The Bench screen's cards (as the end-to-end tests find them).
const CARDS_CSS: &str = "#device-cards li.card";
/// WebKit's page process, by its (15-byte) process name.
const PAGE_PROCESS: &str = "WebKitWebProces";

#[derive(Serialize)]
struct Report {
    app: String,
    devices: usize,
    startup: Startup,
    idle_s: f64,
    cpu_window_s: f64,
    /// The app and every process below it, after the idle time.
    processes: Vec<Process>,
    pss_total_mib: f64,
    private_total_mib: f64,
    /// The busiest WebKit page process, percent of one core.
    page_cpu_percent: Option<f64>,
    /// All the processes together, percent of one core.
    total_cpu_percent: f64,
    soak: Option<Soak>,
    /// WebKit processes of other programs (another app, a test) running meanwhile: they share
    /// WebKit's libraries with the app, so its PSS reads lower than on a bench PC running it alone.
    other_webkit_processes: usize,
    targets: Targets,
    target_met: bool,
}

#[derive(Serialize)]
struct Startup {
    /// Launch to the driver's session (the app's web view answers).
    session_s: f64,
    /// Launch to the page shown: its navigation is there.
    window_s: f64,
    /// Launch to every device's card listed on the Bench screen.
    interactive_s: f64,
}

#[derive(Serialize)]
struct Process {
    pid: u32,
    name: String,
    pss_mib: f64,
    /// Its own pages only: unlike PSS, not lowered by other programs sharing its libraries.
    private_mib: f64,
    rss_mib: f64,
    cpu_percent: f64,
}

#[derive(Serialize)]
struct Soak {
    duration_s: f64,
    /// Plug events: each an unplug or a plug back in.
    plugs: u32,
    /// Total PSS over time, the first right before the soak.
    samples: Vec<Sample>,
    /// Last sample's PSS minus the first's.
    growth_mib: f64,
    /// Last sample's private memory minus the first's: what the target judges, since PSS moves
    /// whenever another program sharing WebKit's libraries starts or ends.
    private_growth_mib: f64,
    /// The least-squares trend of the private memory.
    trend_mib_per_hour: f64,
    /// Every card back on the Bench screen after the last plug.
    cards_back: bool,
}

#[derive(Serialize, Clone, Copy)]
struct Sample {
    at_s: f64,
    pss_mib: f64,
    private_mib: f64,
}

#[derive(Serialize)]
struct Targets {
    interactive_under_1_s: bool,
    pss_under_200_mib: bool,
    page_cpu_under_2_percent: bool,
    /// `None` without --soak.
    soak_growth_under_10_mib: Option<bool>,
}

/// Runs `stagebench benchmark app`.
pub(super) async fn run(args: &AppBench, out: &mut dyn Write) -> anyhow::Result<()> {
    ensure!(
        std::env::var_os("DISPLAY").is_some(),
        "no X display: run this under Xvfb, as scripts/measure-app.sh does"
    );
    let app = app_binary(args.app.as_deref())?;
    let count = usize::from(args.devices);
    let adb = RealAdbServer::start().await.map_err(|e| anyhow!(e))?;
    let bench = SimulatedBench::start(count, None)
        .await
        .context("can't start the simulated devices")?;
    bench.connect_all(&adb.client()).await?;
    adb.wait_for_devices(count, START_WITHIN)
        .await
        .map_err(|e| anyhow!(e))?;
    let data = tempfile::tempdir().context("can't make the app's data folder")?;
    let (driver, port) = start_driver(data.path(), adb.port()).await?;

    let launched = Instant::now();
    let session = Session::start(port, &app.to_string_lossy())
        .await
        .context("WebKitWebDriver could not start the app")?;
    let session_s = launched.elapsed().as_secs_f64();
    until(
        &session,
        "the app's page",
        "return !!document.querySelector('nav')",
        |v| v == &Value::Bool(true),
    )
    .await?;
    let window_s = launched.elapsed().as_secs_f64();
    let all_cards = |v: &Value| v.as_u64().is_some_and(|n| n >= count as u64);
    until(&session, "every card", &cards_script(), all_cards).await?;
    let interactive_s = launched.elapsed().as_secs_f64();

    let proc_dir = Path::new("/proc");
    let driver_pid = driver.id().context("WebKitWebDriver ended")?;
    let app_pid = procfs::find_below(proc_dir, driver_pid, "stagebench-app")
        .context("no stagebench-app process below WebKitWebDriver")?;

    // The measurement itself: the app is left alone this long, then read.
    tokio::time::sleep(args.idle).await;
    let mut processes = read_memory(proc_dir, app_pid);
    let cpu = read_cpu(proc_dir, &processes, args.cpu_window).await;
    for (process, percent) in processes.iter_mut().zip(cpu) {
        process.cpu_percent = percent;
    }
    let other_webkit_processes = others_sharing(proc_dir, app_pid);
    let soak = match args.soak {
        Some(duration) => Some(
            soak(
                args,
                duration,
                &bench,
                &adb.client(),
                &session,
                proc_dir,
                app_pid,
            )
            .await?,
        ),
        None => None,
    };
    let _ = session.end().await;
    drop(driver);

    let report = report(
        args,
        &app,
        count,
        other_webkit_processes,
        Startup {
            session_s,
            window_s,
            interactive_s,
        },
        processes,
        soak,
    );
    if args.json {
        super::super::write_json(out, &report)
    } else {
        write_text(out, &report)
    }
}

fn cards_script() -> String {
    format!("return document.querySelectorAll({CARDS_CSS:?}).length")
}

/// The app to launch: `--app`, else `stagebench-app` beside this program.
fn app_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?
            .with_file_name("stagebench-app")
            .with_extension(std::env::consts::EXE_EXTENSION),
    };
    path.canonicalize().with_context(|| {
        format!(
            "no app at {}: build it (`cargo build --release -p stagebench-app`) or pass --app",
            path.display()
        )
    })
}

/// WebKitWebDriver on a free port, once it listens; it launches the app with `data` as its data
/// folder and the adb server on `adb_port`.
async fn start_driver(data: &Path, adb_port: u16) -> anyhow::Result<(Child, u16)> {
    let port = free_port()?;
    let mut driver = Command::new("WebKitWebDriver")
        .arg(format!("--port={port}"))
        .env("TAURI_WEBVIEW_AUTOMATION", "true")
        .env("ANDROID_ADB_SERVER_PORT", adb_port.to_string())
        .env("STAGEBENCH_DATA_DIR", data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context(
            "WebKitWebDriver does not run: install it (`apt-get install webkit2gtk-driver`)",
        )?;
    let deadline = Instant::now() + START_WITHIN;
    loop {
        if let Some(status) = driver.try_wait()? {
            anyhow::bail!("WebKitWebDriver exited ({status}) before it listened on port {port}");
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((driver, port));
        }
        ensure!(
            Instant::now() < deadline,
            "WebKitWebDriver did not listen on port {port} within {START_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs `script` in the page until its answer passes `done`; gives up after [`START_WITHIN`].
async fn until(
    session: &Session,
    what: &str,
    script: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_WITHIN;
    loop {
        let last = session.run(script).await;
        if last.as_ref().is_ok_and(&done) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "gave up waiting for {what} after {START_WITHIN:?}; the page last said {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn mib(kib: u64) -> f64 {
    // KiB counts of a process tree stay far below 2^52: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let kib = kib as f64;
    kib / 1024.0
}

/// The PSS of the app and every process below it.
fn read_memory(proc_dir: &Path, app_pid: u32) -> Vec<Process> {
    procfs::tree(proc_dir, app_pid)
        .into_iter()
        .map(|(pid, stat)| {
            let memory = procfs::memory(proc_dir, pid).unwrap_or_default();
            Process {
                pid,
                name: stat.comm,
                pss_mib: mib(memory.pss_kib),
                private_mib: mib(memory.private_kib),
                rss_mib: mib(memory.rss_kib),
                cpu_percent: 0.0,
            }
        })
        .collect()
}

/// Each process's CPU use over `window`, percent of one core.
async fn read_cpu(proc_dir: &Path, processes: &[Process], window: Duration) -> Vec<f64> {
    let ticks = || -> Vec<Option<u64>> {
        processes
            .iter()
            .map(|p| procfs::stat(proc_dir, p.pid).map(|s| s.cpu_ticks))
            .collect()
    };
    let (before, started) = (ticks(), Instant::now());
    tokio::time::sleep(window).await;
    let (after, seconds) = (ticks(), started.elapsed().as_secs_f64());
    let per_second = procfs::TICKS_PER_SECOND;
    before
        .into_iter()
        .zip(after)
        .map(|pair| match pair {
            (Some(b), Some(a)) => procfs::cpu_percent(a.saturating_sub(b), per_second, seconds),
            _ => 0.0,
        })
        .collect()
}

/// WebKit processes outside the app's tree.
fn others_sharing(proc_dir: &Path, app_pid: u32) -> usize {
    let ours: Vec<u32> = procfs::tree(proc_dir, app_pid)
        .iter()
        .map(|(pid, _)| *pid)
        .collect();
    procfs::all_stats(proc_dir)
        .iter()
        .filter(|(pid, stat)| stat.comm.starts_with("WebKit") && !ours.contains(pid))
        .filter(|(_, stat)| stat.comm != "WebKitWebDriver")
        .count()
}

/// The app's total PSS and private memory now, `at_s` into the soak.
fn sample(proc_dir: &Path, app_pid: u32, at_s: f64) -> Sample {
    let processes = read_memory(proc_dir, app_pid);
    Sample {
        at_s,
        pss_mib: processes.iter().map(|p| p.pss_mib).sum(),
        private_mib: processes.iter().map(|p| p.private_mib).sum(),
    }
}

/// Unplugs and plugs back the devices in turn through the adb server for `duration`, reading
/// the total PSS every `--sample-every`; at the end every device is plugged in again and its
/// card must come back.
async fn soak(
    args: &AppBench,
    duration: Duration,
    bench: &SimulatedBench,
    adb: &AdbServer,
    session: &Session,
    proc_dir: &Path,
    app_pid: u32,
) -> anyhow::Result<Soak> {
    let addrs: Vec<String> = bench.addrs().iter().map(ToString::to_string).collect();
    let started = Instant::now();
    let mut samples = vec![sample(proc_dir, app_pid, 0.0)];
    let mut next_sample = args.sample_every;
    let (mut plugs, mut next, mut out): (u32, usize, Option<&String>) = (0, 0, None);
    while started.elapsed() < duration {
        match out.take() {
            Some(addr) => drop(adb.connect(addr).await?),
            None => {
                let addr = &addrs[next % addrs.len()];
                adb.disconnect(addr).await?;
                (next, out) = (next + 1, Some(addr));
            }
        }
        plugs += 1;
        tokio::time::sleep(
            args.plug_every
                .min(duration.saturating_sub(started.elapsed())),
        )
        .await;
        if started.elapsed() >= next_sample {
            samples.push(sample(proc_dir, app_pid, started.elapsed().as_secs_f64()));
            next_sample += args.sample_every;
        }
    }
    if let Some(addr) = out {
        adb.connect(addr).await?;
        plugs += 1;
    }
    let count = addrs.len();
    let cards_back = until(session, "every card back", &cards_script(), |v| {
        v.as_u64().is_some_and(|n| n >= count as u64)
    })
    .await
    .is_ok();
    samples.push(sample(proc_dir, app_pid, started.elapsed().as_secs_f64()));
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    Ok(Soak {
        duration_s: started.elapsed().as_secs_f64(),
        plugs,
        growth_mib: last.pss_mib - first.pss_mib,
        private_growth_mib: last.private_mib - first.private_mib,
        trend_mib_per_hour: trend_per_hour(&samples),
        samples,
        cards_back,
    })
}

/// The least-squares slope of the samples' private memory, MiB per hour (0 with fewer than two
/// times).
fn trend_per_hour(samples: &[Sample]) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = samples.len() as f64;
    let mean_t = samples.iter().map(|s| s.at_s).sum::<f64>() / n;
    let mean_m = samples.iter().map(|s| s.private_mib).sum::<f64>() / n;
    let (num, den) = samples.iter().fold((0.0, 0.0), |(num, den), s| {
        let dt = s.at_s - mean_t;
        (num + dt * (s.private_mib - mean_m), den + dt * dt)
    });
    if den > 0.0 {
        num / den * 3600.0
    } else {
        0.0
    }
}

fn report(
    args: &AppBench,
    app: &Path,
    devices: usize,
    other_webkit_processes: usize,
    startup: Startup,
    processes: Vec<Process>,
    soak: Option<Soak>,
) -> Report {
    let pss_total_mib = processes.iter().map(|p| p.pss_mib).sum();
    let private_total_mib = processes.iter().map(|p| p.private_mib).sum();
    let page_cpu_percent = processes
        .iter()
        .filter(|p| p.name == PAGE_PROCESS)
        .map(|p| p.cpu_percent)
        .reduce(f64::max);
    let targets = Targets {
        interactive_under_1_s: startup.interactive_s < TARGET_INTERACTIVE_S,
        pss_under_200_mib: pss_total_mib < TARGET_PSS_MIB,
        page_cpu_under_2_percent: page_cpu_percent.is_some_and(|c| c < TARGET_PAGE_CPU_PERCENT),
        soak_growth_under_10_mib: soak
            .as_ref()
            .map(|s| s.private_growth_mib < TARGET_GROWTH_MIB && s.cards_back),
    };
    let target_met = targets.interactive_under_1_s
        && targets.pss_under_200_mib
        && targets.page_cpu_under_2_percent
        && targets.soak_growth_under_10_mib != Some(false);
    Report {
        app: app.display().to_string(),
        devices,
        startup,
        idle_s: args.idle.as_secs_f64(),
        cpu_window_s: args.cpu_window.as_secs_f64(),
        total_cpu_percent: processes.iter().map(|p| p.cpu_percent).sum(),
        processes,
        pss_total_mib,
        private_total_mib,
        page_cpu_percent,
        soak,
        other_webkit_processes,
        targets,
        target_met,
    }
}

fn write_text(out: &mut dyn Write, r: &Report) -> anyhow::Result<()> {
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
    writeln!(out, "App: {} with {} simulated devices", r.app, r.devices)?;
    writeln!(
        out,
        "Startup: page shown {:.2} s, every card {:.2} s (target < {TARGET_INTERACTIVE_S} s: {}); driver session {:.2} s",
        r.startup.window_s, r.startup.interactive_s, mark(r.targets.interactive_under_1_s), r.startup.session_s
    )?;
    writeln!(
        out,
        "After {:.0} s idle (CPU over {:.0} s):",
        r.idle_s, r.cpu_window_s
    )?;
    writeln!(
        out,
        "  {:>7}  {:<16} {:>9} {:>11} {:>9} {:>7}",
        "pid", "process", "PSS MiB", "private MiB", "RSS MiB", "CPU %"
    )?;
    for p in &r.processes {
        writeln!(
            out,
            "  {:>7}  {:<16} {:>9.1} {:>11.1} {:>9.1} {:>7.2}",
            p.pid, p.name, p.pss_mib, p.private_mib, p.rss_mib, p.cpu_percent
        )?;
    }
    writeln!(
        out,
        "  total PSS {:.1} MiB (target < {TARGET_PSS_MIB} MiB: {}), private {:.1} MiB; page process CPU {} (target < {TARGET_PAGE_CPU_PERCENT} %: {}); all processes {:.2} %",
        r.pss_total_mib,
        mark(r.targets.pss_under_200_mib),
        r.private_total_mib,
        r.page_cpu_percent.map_or("not found".to_owned(), |c| format!("{c:.2} %")),
        mark(r.targets.page_cpu_under_2_percent),
        r.total_cpu_percent
    )?;
    if let Some(s) = &r.soak {
        writeln!(
            out,
            "Soak: {:.0} s, {} plug events; memory at each sample (s → PSS MiB, private MiB):",
            s.duration_s, s.plugs
        )?;
        for sample in &s.samples {
            writeln!(
                out,
                "  {:>7.0}  {:>7.1}  {:>7.1}",
                sample.at_s, sample.pss_mib, sample.private_mib
            )?;
        }
        writeln!(
            out,
            "  growth: private {:+.1} MiB (trend {:+.1} MiB/h), PSS {:+.1} MiB; every card back: {} (target private growth < {TARGET_GROWTH_MIB} MiB: {})",
            s.private_growth_mib,
            s.trend_mib_per_hour,
            s.growth_mib,
            if s.cards_back { "yes" } else { "no" },
            mark(r.targets.soak_growth_under_10_mib == Some(true))
        )?;
    }
    writeln!(
        out,
        "Targets met: {}",
        if r.target_met { "yes" } else { "no" }
    )?;
    Ok(())
}

/// A duration as `500ms`, `30s`, `5m`, `1h` (a bare number is seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 5m or 1h"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`: use ms, s, m or h"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5 days").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn the_trend_is_the_least_squares_slope_per_hour() {
        let flat = [(0.0, 150.0), (60.0, 150.0), (120.0, 150.0)];
        let growing = [(0.0, 150.0), (60.0, 151.0), (120.0, 152.0)];
        let samples = |pairs: &[(f64, f64)]| -> Vec<Sample> {
            pairs
                .iter()
                .map(|&(at_s, private_mib)| Sample {
                    at_s,
                    pss_mib: 0.0,
                    private_mib,
                })
                .collect()
        };
        assert!(trend_per_hour(&samples(&flat)).abs() < 1e-9);
        assert!(
            (trend_per_hour(&samples(&growing)) - 60.0).abs() < 1e-9,
            "1 MiB a minute"
        );
        assert!(
            trend_per_hour(&samples(&[(5.0, 1.0)])).abs() < 1e-9,
            "one sample"
        );
    }
}
