//! `stagebench benchmark graph`: refreshing the Intune status of a whole fleet against the fake
//! tenant with Graph-like latency and throttling, counting requests against the naive way (one
//! `GET` per device).
//!
//! The tenant enforces Graph's per-app budget for managed devices (2,000 requests per 20 s,
//! each request inside a `$batch` counted on its own: reference §3.6) and answers slowly
//! (`--latency-ms`, default 100). The bench's store holds the same devices (one serial each), and
//! the timed part is one [`refresh_status`] — serial look-ups 20 to a `$batch`, paced by the
//! client's budget so that it does not send into 429s.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::intune::sync::refresh_status;
use stagebench_core::intune::{Endpoints, StaticToken};
use stagebench_core::secret::SecretText;
use stagebench_core::store::{Sighting, Store};
use stagebench_core::testing::graph::FakeGraph;

/// Graph's `$batch` limit.
const PER_BATCH: usize = 20;

/// How big a fleet, how slow a tenant.
#[derive(Args)]
pub struct GraphBench {
    /// Devices in the fleet (all on the bench and in Intune).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    devices: u32,
    /// Latency the tenant adds to every HTTP request, in ms.
    #[arg(long, default_value_t = 100)]
    latency_ms: u64,
    /// Also answer every Nth request 429 without `Retry-After` (on top of the budgets).
    #[arg(long)]
    throttle_every: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    devices: usize,
    latency_ms: u64,
    /// HTTP requests sent (a `$batch` counts once).
    requests: usize,
    /// Requests inside batches.
    inner_requests: usize,
    /// The target: 1.05 × ⌈devices / 20⌉.
    target_requests: usize,
    /// The naive way: one GET per device.
    naive_requests: usize,
    /// 429s the tenant answered.
    throttled: usize,
    /// Bench devices found in Intune.
    found: usize,
    wall_s: f64,
    /// The least time Graph's budget allows for this many look-ups (each inner request counts).
    budget_floor_s: f64,
}

/// Runs the benchmark.
pub async fn run(args: &GraphBench, out: &mut dyn Write) -> anyhow::Result<()> {
    let n = args.devices as usize;
    let graph = FakeGraph::start()
        .await
        .context("can't start the fake tenant")?;
    let mut store = Store::open_in_memory()?;
    for i in 0..n {
        let serial = format!("BENCH{i:06}");
        graph.add_device(json!({
            "deviceName": format!("Staging_{serial}_AndroidEnterprise_11/21/26_9.05 AM"),
            "serialNumber": serial,
            "deviceEnrollmentType": "androidEnterpriseFullyManaged",
        }));
        store.record_sighting(&Sighting::new([SerialObservation::new(
            SerialSource::RoSerialno,
            &serial,
        )]))?;
    }
    graph.faults(|f| {
        f.latency = Duration::from_millis(args.latency_ms);
        f.budgets = true;
        f.throttle_every = args.throttle_every;
        f.retry_after = None;
    });
    let endpoints = Endpoints {
        authority: graph.authority_url(),
        graph: graph.base_url(),
    };
    let client = GraphClient::new(&endpoints, Arc::new(StaticToken(SecretText::new("bench"))))?;
    let started = Instant::now();
    let report =
        refresh_status(&mut store, &client, time::OffsetDateTime::now_utc(), false).await?;
    let wall = started.elapsed();
    graph.assert_no_violations();
    let requests = graph.http_requests();
    let exchanges = graph.exchanges();
    let batches = n.div_ceil(PER_BATCH);
    let r = Report {
        devices: n,
        latency_ms: args.latency_ms,
        requests,
        inner_requests: exchanges.iter().filter(|e| e.in_batch).count(),
        target_requests: (batches as f64 * 1.05).floor() as usize,
        naive_requests: n,
        throttled: graph.throttled(),
        found: report.found,
        wall_s: wall.as_secs_f64(),
        budget_floor_s: ((n as f64 / 2000.0).ceil() - 1.0).max(0.0) * 20.0,
    };
    ensure!(
        r.found == n,
        "only {} of {n} devices were found in Intune",
        r.found
    );
    if args.json {
        return super::super::write_json(out, &r);
    }
    writeln!(
        out,
        "Refreshing the Intune status of {n} devices (tenant latency {} ms, Graph budgets on{}):",
        r.latency_ms,
        args.throttle_every
            .map(|k| format!(", every {k}th request 429"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "  HTTP requests   {:>6}  (target ≤ {}, naive one GET per device: {})",
        r.requests, r.target_requests, r.naive_requests
    )?;
    writeln!(out, "  inner requests  {:>6}", r.inner_requests)?;
    writeln!(out, "  429s received   {:>6}", r.throttled)?;
    writeln!(out, "  found           {:>6}", r.found)?;
    writeln!(
        out,
        "  wall time       {:>8.1} s  (Graph's budget alone needs ≥ {:.0} s for {n} look-ups)",
        r.wall_s, r.budget_floor_s
    )?;
    Ok(())
}
