//! The `stagebench` command line run the way the README says, against real peers: Debian's adb
//! server with fake devices attached, and Debian's zbarimg as the "standard scanner".

use std::path::Path;
use std::process::{Command, Output, Stdio};

use stagebench_core::store::Store;
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::qr::decode_qr_png;
use stagebench_e2e::wait::PATIENCE;
use stagebench_e2e::{artifacts_dir, built_binary};

const SSID: &str = "Bench \"5\"; café";
const PASSWORD: &str = "p@ss;\\word\"";

fn stagebench(args: &[&str], data_dir: &Path, adb_port: Option<u16>) -> Output {
    let mut cmd = Command::new(built_binary("stagebench"));
    cmd.args(args)
        .env("STAGEBENCH_DATA_DIR", data_dir)
        .env_remove("ANDROID_ADB_SERVER_PORT");
    if let Some(port) = adb_port {
        cmd.env("ANDROID_ADB_SERVER_PORT", port.to_string());
    }
    cmd.stdin(Stdio::null()).output().expect("stagebench runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn zbarimg(path: &Path) -> String {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(path)
        .output()
        .expect("zbarimg runs (package zbar-tools; `make test` installs it)");
    assert!(
        out.status.success(),
        "zbarimg found no code in {}: {}",
        path.display(),
        stderr(&out)
    );
    String::from_utf8(out.stdout)
        .expect("zbarimg prints UTF-8")
        .trim_end_matches('\n')
        .to_string()
}

#[test]
fn qr_with_awkward_wifi_scans_to_exactly_those_strings() {
    let dir = tempfile::tempdir().unwrap();
    let png = artifacts_dir("cli").join("qr-wifi.png");
    let png_arg = png.to_str().unwrap();
    let out = stagebench(
        &[
            "qr",
            "--token",
            "T0K3N",
            "--wifi-ssid",
            SSID,
            "--wifi-security",
            "WPA",
            "--wifi-password",
            PASSWORD,
            "--out",
            png_arg,
        ],
        dir.path(),
        None,
    );
    assert!(
        out.status.success(),
        "stagebench qr failed: {}",
        stderr(&out)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        !printed.contains(PASSWORD),
        "the Wi-Fi password is not printed: {printed}"
    );
    assert!(
        printed.contains("plain text"),
        "warns that the QR holds a Wi-Fi password: {printed}"
    );

    for text in [
        zbarimg(&png),
        decode_qr_png(&std::fs::read(&png).unwrap())
            .pop()
            .expect("rqrr decodes it"),
    ] {
        let json: serde_json::Value = serde_json::from_str(&text).expect("the QR holds valid JSON");
        assert_eq!(json["android.app.extra.PROVISIONING_WIFI_SSID"], SSID);
        assert_eq!(
            json["android.app.extra.PROVISIONING_WIFI_PASSWORD"],
            PASSWORD
        );
        assert_eq!(
            json["android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE"],
            "WPA"
        );
        assert_eq!(
            json["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
                ["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
            "T0K3N"
        );
    }
}

#[test]
fn qr_svg_and_json_output() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("qr.svg");
    let out = stagebench(
        &[
            "qr",
            "--token",
            "T0K3N",
            "--out",
            svg.to_str().unwrap(),
            "--json",
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(report["summary"]["kind"], "android-enterprise");
    assert!(report["qr"]["version"].as_i64().unwrap() >= 1);
    assert!(
        report.get("payload").is_none(),
        "the payload (with its token) is printed only with --reveal"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("T0K3N"),
        "token masked in --json output"
    );
    assert!(
        std::fs::read_to_string(&svg).unwrap().starts_with("<?xml")
            || std::fs::read_to_string(&svg).unwrap().contains("<svg")
    );

    let out = stagebench(
        &["qr", "--token", "T0K3N", "--json", "--reveal"],
        dir.path(),
        None,
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["payload"].as_str().unwrap().contains("T0K3N"));
}

#[test]
fn bad_qr_inputs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("export.json");
    std::fs::write(
        &corrupt,
        "{\"qrCodeContent\": {\"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME\": ",
    )
    .unwrap();
    let long_ssid = "x".repeat(80);
    let missing = dir.path().join("missing.json");
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "qr",
                "--token",
                "T",
                "--wifi-ssid",
                &long_ssid,
                "--wifi-password",
                "password1",
            ],
            "80",
        ),
        (
            &[
                "qr",
                "--token",
                "T",
                "--wifi-ssid",
                "Bench",
                "--wifi-security",
                "WPA",
                "--wifi-password",
                "1234567",
            ],
            "7",
        ),
        (
            &["qr", "--export-file", corrupt.to_str().unwrap()],
            "export",
        ),
        (
            &["qr", "--export-file", missing.to_str().unwrap()],
            "missing.json",
        ),
        (
            &[
                "qr",
                "--token",
                "T",
                "--wifi-ssid",
                "Bench",
                "--wifi-security",
                "WPA3",
                "--wifi-password",
                "password1",
            ],
            "WPA3",
        ),
    ];
    for (args, must_mention) in cases {
        let out = stagebench(args, dir.path(), None);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            err.contains("error:") && err.contains(must_mention),
            "{args:?}: message names the problem: {err}"
        );
        assert!(
            !err.contains("password1") && !err.contains("1234567\""),
            "no secret in the error: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_lists_and_records_fake_devices_through_the_real_adb_server() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(3, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(3, PATIENCE).await.unwrap();
    let data = tempfile::tempdir().unwrap();

    let out = stagebench(&["devices", "--json"], data.path(), Some(adb.port()));
    assert!(out.status.success(), "{}", stderr(&out));
    let devices: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(devices.len(), 3);
    for (serial, maker, model) in bench.models() {
        let d = devices
            .iter()
            .find(|d| d["serial"] == serial.as_str())
            .unwrap_or_else(|| panic!("{serial} listed: {devices:?}"));
        assert_eq!(d["manufacturer"], maker.as_str());
        assert_eq!(d["model"], model.as_str());
        assert_eq!(d["state"], "device");
        assert!(d["android_release"].is_string() && d["sdk"].is_u64());
        let sources: Vec<&str> = d["serials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["source"].as_str().unwrap())
            .collect();
        assert!(
            sources.contains(&"ro-serialno") && sources.contains(&"adb-transport"),
            "{sources:?}"
        );
    }
    assert!(
        devices.iter().any(|d| d["manufacturer"] == "RealWear inc."),
        "the simulated bench has a RealWear"
    );

    let table = stagebench(&["devices"], data.path(), Some(adb.port()));
    let table = String::from_utf8_lossy(&table.stdout);
    for (serial, _, _) in bench.models() {
        assert!(
            table.contains(serial.as_str()),
            "table lists {serial}: {table}"
        );
    }

    // Both runs recorded the same three physical devices, not six.
    let store = Store::open(&data.path().join("stagebench.sqlite3")).unwrap();
    assert_eq!(store.devices().unwrap().len(), 3);
}

#[test]
fn devices_without_an_adb_server_says_how_to_start_it() {
    let data = tempfile::tempdir().unwrap();
    let port = stagebench_core::testing::free_port().unwrap();
    let out = stagebench(&["devices"], data.path(), Some(port));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&port.to_string()) && err.contains("adb start-server"),
        "{err}"
    );
}

#[test]
fn simulate_prints_addresses_of_varied_devices_until_stopped() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(built_binary("stagebench"))
        .args(["simulate", "--devices", "4"])
        .env("STAGEBENCH_DATA_DIR", data.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut devices = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("Press Ctrl-C") {
            break;
        }
        devices.push(line);
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running until stopped"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let addrs: Vec<&str> = devices
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|a| a.starts_with("127.0.0.1:"))
        .collect();
    assert_eq!(addrs.len(), 4, "{devices:?}");
    assert!(
        devices.iter().any(|l| l.contains("RealWear")),
        "{devices:?}"
    );
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/core/tests/fixtures/provisioning")
        .join(name)
}

#[test]
fn qr_from_an_intune_export_drops_expiration_date_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("export.png");
    let export = fixture("export-wrapped-object.json");
    let out = stagebench(
        &[
            "qr",
            "--export-file",
            export.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("expirationDate"),
        "the dropped key is reported: {printed}"
    );
    let json: serde_json::Value = serde_json::from_str(&zbarimg(&png)).unwrap();
    assert!(
        json.get("expirationDate").is_none() && json.get("qrCodeContent").is_none(),
        "{json}"
    );
    assert!(json["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"].is_object());
}

#[test]
fn qr_from_aosp_content_keeps_the_bytes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("aosp.png");
    let content = fixture("aosp-userless-wpa.json");
    let arg = format!("@{}", content.display());
    let out = stagebench(
        &["qr", "--aosp-content", &arg, "--out", png.to_str().unwrap()],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let original = std::fs::read_to_string(&content).unwrap();
    let decoded = decode_qr_png(&std::fs::read(&png).unwrap())
        .pop()
        .expect("decodes");
    assert_eq!(
        decoded, original,
        "AOSP content is encoded verbatim, never rebuilt"
    );

    let refused = stagebench(
        &["qr", "--aosp-content", &arg, "--wifi-ssid", "Bench"],
        dir.path(),
        None,
    );
    assert!(
        !refused.status.success() && stderr(&refused).contains("AOSP"),
        "{}",
        stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_watch_prints_a_new_snapshot_when_a_device_arrives() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(2, None).await.unwrap();
    let addrs = bench.addrs();
    adb.client().connect(&addrs[0].to_string()).await.unwrap();
    adb.wait_for_devices(1, PATIENCE).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(built_binary("stagebench"))
        .args(["devices", "--watch", "--json"])
        .env("STAGEBENCH_DATA_DIR", data.path())
        .env("ANDROID_ADB_SERVER_PORT", adb.port().to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;
    async fn next_snapshot(lines: &mut Lines) -> Vec<String> {
        loop {
            let line = tokio::time::timeout(PATIENCE, lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!("gave up after {PATIENCE:?} waiting for the watcher's next line")
                })
                .unwrap()
                .expect("the watcher keeps running");
            let event: serde_json::Value = serde_json::from_str(&line).unwrap();
            if event["kind"] == "snapshot" {
                let devices = event["devices"].as_array().unwrap();
                return devices
                    .iter()
                    .map(|d| d["serial"].as_str().unwrap_or("").to_string())
                    .collect();
            }
        }
    }
    let first = next_snapshot(&mut lines).await;
    assert_eq!(first, vec![bench.models()[0].0.clone()]);

    adb.client().connect(&addrs[1].to_string()).await.unwrap();
    // The new card shows at once (still authorizing, no serial read yet), then fills in.
    let mut seen = next_snapshot(&mut lines).await;
    while seen.len() < 2 || seen.iter().any(String::is_empty) {
        seen = next_snapshot(&mut lines).await;
    }
    seen.sort();
    let mut expected: Vec<String> = bench.models().iter().map(|m| m.0.clone()).collect();
    expected.sort();
    assert_eq!(
        seen, expected,
        "the watcher reports the device that arrived"
    );
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_each_check_with_its_fix() {
    let data = tempfile::tempdir().unwrap();
    let adb = RealAdbServer::start().await.expect("real adb server");
    let out = stagebench(&["doctor", "--json"], data.path(), Some(adb.port()));
    assert!(out.status.success(), "{}", stderr(&out));
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by_id = |id: &str| {
        checks
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("check {id}: {checks:?}"))
            .clone()
    };
    assert_eq!(by_id("data")["status"], "ok");
    assert_eq!(by_id("usb.adb-server")["status"], "ok");
    assert!(by_id("usb.adb-server")["message"]
        .as_str()
        .unwrap()
        .contains(&adb.port().to_string()));
    for usb in ["usb.libusb", "usb.device-nodes", "usb.udev-rules"] {
        let check = by_id(usb);
        assert!(
            check["status"] == "ok" || check["fix"].is_string(),
            "a USB problem comes with its fix: {check}"
        );
    }
    drop(adb);

    // No server: fine, USB devices are read directly.
    let port = stagebench_core::testing::free_port().unwrap();
    let out = stagebench(&["doctor"], data.path(), Some(port));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("usb.adb-server")
            && text.contains(&format!("no adb server on 127.0.0.1:{port}")),
        "{text}"
    );

    // A data folder that can't be used fails, names the path, and exits non-zero.
    let not_a_dir = data.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let out = stagebench(&["doctor"], &not_a_dir, None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("[FAIL] data") && text.contains(not_a_dir.to_str().unwrap()),
        "{text}"
    );
}

#[test]
fn slots_are_assigned_listed_refused_when_taken_and_freed() {
    let data = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let out = stagebench(args, data.path(), None);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    ok(&[
        "slots",
        "assign",
        "usb:1-4.3",
        "7",
        "--label",
        "rack A, top",
    ]);
    ok(&["slots", "assign", "1-4.4", "8"]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&ok(&["slots", "--json"])).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["number"], 7);
    assert_eq!(
        listed[0]["port_path"], "1-4.3",
        "the usb: prefix adb shows is accepted"
    );
    assert_eq!(listed[0]["label"], "rack A, top");

    let taken = stagebench(&["slots", "assign", "1-4.5", "7"], data.path(), None);
    assert!(!taken.status.success());
    assert!(
        stderr(&taken).contains("slot 7 is already port 1-4.3")
            && stderr(&taken).contains("stagebench slots free 7"),
        "{}",
        stderr(&taken)
    );

    assert!(ok(&["slots", "free", "7"]).contains("freed slot 7"));
    ok(&["slots", "assign", "1-4.5", "7"]);
    assert!(ok(&["slots"]).contains("1-4.5"));
    let missing = stagebench(&["slots", "free", "99"], data.path(), None);
    assert!(
        !missing.status.success() && stderr(&missing).contains("no slot 99"),
        "{}",
        stderr(&missing)
    );
}

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
