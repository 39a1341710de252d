//! `stagebench benchmark` on fake devices and a fake tenant: each benchmark runs small and
//! reports its figures as JSON (measured, not judged: a loaded machine may miss a budget).

use stagebench_e2e::cli::{stagebench, stderr};

#[test]
fn benchmark_devices_times_ours_against_the_adb_loop() {
    let data = tempfile::tempdir().unwrap();
    let out = stagebench(
        &[
            "benchmark",
            "devices",
            "--devices",
            "2",
            "--runs",
            "1",
            "--json",
        ],
        data.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        2,
        "serials and facts for one bench size: {report}"
    );
    for row in rows {
        assert_eq!(row["devices"], 2);
        for key in ["ours_ms", "ours_cold_ms", "adb_ms"] {
            assert!(
                row[key].as_f64().is_some_and(|ms| ms > 0.0),
                "{key} measured: {row}"
            );
        }
    }
}

#[test]
fn benchmark_graph_refreshes_a_fleet_in_batches_of_20_without_429s() {
    let dir = tempfile::tempdir().unwrap();
    let out = stagebench(
        &[
            "benchmark",
            "graph",
            "--devices",
            "130",
            "--latency-ms",
            "5",
            "--json",
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["devices"], 130);
    assert_eq!(r["found"], 130);
    assert_eq!(r["naive_requests"], 130);
    // ⌈130/20⌉ = 7 batches; the target allows 1.05 × that.
    assert_eq!(r["requests"], 7, "{r}");
    assert_eq!(r["inner_requests"], 130);
    assert_eq!(r["throttled"], 0);
}

#[test]
fn benchmark_usb_measures_every_path_and_many_devices_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = stagebench(
        &[
            "benchmark",
            "usb",
            "--rounds",
            "2",
            "--devices",
            "10",
            "--json",
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The figures are measured, not judged: a loaded machine may miss the budget.
    assert_eq!(r["budget_ms"], 250.0);
    let paths: Vec<&str> = r["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "watcher, hotplug",
            "watcher, polling",
            "bench card, hotplug"
        ]
    );
    for path in r["paths"].as_array().unwrap() {
        for side in ["arrival", "departure"] {
            let (median, max) = (&path[side]["median_ms"], &path[side]["max_ms"]);
            assert!(
                median
                    .as_f64()
                    .zip(max.as_f64())
                    .is_some_and(|(m, x)| 0.0 < m && m <= x),
                "{side} measured: {path}"
            );
        }
    }
    assert_eq!(r["many_devices"], 10);
    assert_eq!(r["many_sequential_ms"], 400.0);
    assert!(r["many_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{r}");
    assert!(r["target_met"].is_boolean(), "{r}");
}

#[test]
fn benchmark_custody_makes_both_documents() {
    let dir = tempfile::tempdir().unwrap();
    let out = stagebench(
        &["benchmark", "custody", "--devices", "25", "--json"],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["devices"], 25);
    // A label print audited for every tenth device.
    assert_eq!(r["audit_records"], 3);
    for key in ["pdf_bytes", "csv_bytes", "pdf_ms", "csv_ms"] {
        assert!(r[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {r}");
    }
}

/// `benchmark app` in a short run on the debug app (under Xvfb): the startup times, every
/// process's memory and CPU, and a soak's samples are read and reported (figures, not judged).
#[test]
fn benchmark_app_reports_startup_memory_cpu_and_soak_of_the_real_app() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run the end-to-end tests under Xvfb (scripts/test-env.sh)"
    );
    let data = tempfile::tempdir().unwrap();
    let out = stagebench(
        &[
            "benchmark",
            "app",
            "--devices",
            "2",
            "--idle",
            "1s",
            "--cpu-window",
            "2s",
            "--soak",
            "4s",
            "--plug-every",
            "1s",
            "--sample-every",
            "2s",
            "--json",
        ],
        data.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["devices"], 2);
    let startup = &r["startup"];
    let secs = |key: &str| startup[key].as_f64().unwrap_or(-1.0);
    assert!(
        0.0 < secs("session_s")
            && secs("session_s") <= secs("window_s")
            && secs("window_s") <= secs("interactive_s"),
        "launch, then page, then cards: {startup}"
    );
    let processes = r["processes"].as_array().unwrap();
    let named = |name: &str| processes.iter().find(|p| p["name"] == name);
    for name in ["stagebench-app", "WebKitWebProces", "WebKitNetworkPr"] {
        let p = named(name).unwrap_or_else(|| panic!("{name} measured: {r}"));
        assert!(p["pss_mib"].as_f64().unwrap() > 1.0, "{name}'s PSS: {p}");
        let private = p["private_mib"].as_f64().unwrap();
        assert!(
            0.0 < private && private <= p["rss_mib"].as_f64().unwrap(),
            "{name}'s own pages: {p}"
        );
        assert!(p["cpu_percent"].as_f64().unwrap() >= 0.0, "{p}");
    }
    assert_eq!(processes[0]["name"], "stagebench-app", "the app first");
    let total: f64 = processes
        .iter()
        .map(|p| p["pss_mib"].as_f64().unwrap())
        .sum();
    assert!((r["pss_total_mib"].as_f64().unwrap() - total).abs() < 0.01);
    assert!(r["page_cpu_percent"].as_f64().is_some(), "{r}");
    let soak = &r["soak"];
    assert!(soak["plugs"].as_u64().unwrap() >= 2, "{soak}");
    assert_eq!(
        soak["cards_back"], true,
        "every card back after the plugging: {soak}"
    );
    assert!(soak["samples"].as_array().unwrap().len() >= 2, "{soak}");
    assert!(soak["private_growth_mib"].as_f64().is_some(), "{soak}");
    assert!(r["targets"]["soak_growth_under_10_mib"].is_boolean());
}
