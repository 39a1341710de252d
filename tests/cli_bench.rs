//! The bench from the command line, against real peers: `stagebench devices` (table, JSON and
//! `--watch`) with fake devices attached through Debian's adb server, `simulate`, `doctor` with
//! and without an adb server, and `slots`.

use std::process::{Command, Stdio};

use stagebench_core::store::Store;
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::cli::{stagebench, stderr};
use stagebench_e2e::wait::PATIENCE;
use stagebench_e2e::{attach_fakes, built_binary};

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

/// Issue 15 point 5: `doctor --network` passes against loopback listeners standing in for
/// every endpoint (through `--resolve`, never the internet), and with Intune's endpoint closed
/// fails naming the enrollment step that will likely fail and what to open, with its source.
#[test]
fn doctor_network_passes_on_loopback_and_names_the_failing_step_when_one_is_closed() {
    let data = tempfile::tempdir().unwrap();
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let star = format!("*={}", open.local_addr().unwrap());
    let out = stagebench(
        &["doctor", "--network", "--json", "--resolve", &star],
        data.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(checks.len() >= 15, "{checks:?}");
    assert!(checks.iter().all(|c| c["status"] == "ok"), "{checks:#?}");
    assert!(checks.iter().any(|c| c["id"] == "net-fcm.googleapis.com"));

    let shut = format!("manage.microsoft.com:443={closed}");
    let out = stagebench(
        &[
            "doctor",
            "--network",
            "--resolve",
            &star,
            "--resolve",
            &shut,
        ],
        data.path(),
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("[FAIL] net-manage.microsoft.com")
            && text.contains("Likely failing step")
            && text.contains("Staging_<serial>")
            && text.contains("allow TCP 443 and 80 to manage.microsoft.com")
            && text.contains("2026-08-21"),
        "{text}"
    );
    assert_eq!(text.matches("[FAIL]").count(), 1, "{text}");
}

/// A data folder, store and ADB key that others may read are flagged (with the paths, and
/// `doctor --fix` as the fix), and `doctor --fix` makes them owner-only.
#[cfg(unix)]
#[test]
fn doctor_flags_a_readable_data_folder_and_fix_makes_it_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let set = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let port = stagebench_core::testing::free_port().unwrap();
    let out = stagebench(&["doctor", "--json"], &data, Some(port));
    assert!(out.status.success(), "{}", stderr(&out));
    let db = data.join(stagebench_core::store::FILE_NAME);
    assert_eq!(
        (mode(&data), mode(&db)),
        (0o700, 0o600),
        "a new store is owner-only"
    );

    // As an older StageBench (or a umask) left them.
    let key = data.join("adbkey");
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----").unwrap();
    for (path, m) in [(&data, 0o755), (&db, 0o644), (&key, 0o644)] {
        set(path, m);
    }
    let out = stagebench(&["doctor", "--json"], &data, Some(port));
    assert!(out.status.success(), "{}", stderr(&out));
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let modes = checks.iter().find(|c| c["id"] == "data-modes").unwrap();
    assert_eq!(
        (&modes["status"], &modes["fixable"]),
        (&"warn".into(), &true.into())
    );
    let message = modes["message"].as_str().unwrap();
    for path in [&data, &db, &key] {
        assert!(message.contains(path.to_str().unwrap()), "{message}");
    }
    let out = stagebench(&["doctor"], &data, Some(port));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[warn] data-modes") && text.contains("stagebench doctor --fix"),
        "{text}"
    );

    let out = stagebench(&["doctor", "--fix"], &data, Some(port));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("made owner-only: {}", db.display())),
        "{text}"
    );
    assert!(text.contains("[ok  ] data-modes"), "{text}");
    assert_eq!((mode(&data), mode(&db), mode(&key)), (0o700, 0o600, 0o600));
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

/// Issue 14: renumbering refused and named another command. `slots assign --move` renumbers in
/// one step, as the app's card does: the old number is freed, a number held by a port with
/// nothing attached moves, and only one held by an attached device (the adb server says which)
/// is refused, naming the lowest free number; `slots next` prints it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_assign_move_renumbers_in_one_step_and_refuses_only_an_attached_devices_number() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(1, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(1, PATIENCE).await.unwrap();
    let attached = bench.addrs()[0].to_string();
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| stagebench(args, data.path(), Some(adb.port()));
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    ok(&["slots", "assign", &attached, "2"]);
    ok(&["slots", "assign", "1-4.3", "7"]);
    assert_eq!(ok(&["slots", "next"]), "1\n");

    let moved = ok(&["slots", "assign", "1-4.3", "9", "--move"]);
    assert!(
        moved.contains("slot 9 is port 1-4.3") && moved.contains("freed slot 7"),
        "{moved}"
    );
    let refused = run(&["slots", "assign", "1-4.3", "2", "--move", "--json"]);
    assert!(!refused.status.success());
    let said: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(
        said["remedy"],
        serde_json::json!({"step": "use-slot", "number": 1}),
        "{said}"
    );
    assert!(
        said["error"]
            .as_str()
            .unwrap()
            .contains("where another device is attached"),
        "{said}"
    );
    // Nothing is attached at 1-4.3: its number moves to 1-4.4 in one step.
    let taken: serde_json::Value =
        serde_json::from_str(&ok(&["slots", "assign", "1-4.4", "9", "--move", "--json"])).unwrap();
    assert_eq!(
        (
            taken["slot"]["number"].as_u64(),
            taken["taken_from"].as_str()
        ),
        (Some(9), Some("1-4.3"))
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(&ok(&["slots", "--json"])).unwrap();
    let numbers: Vec<(u64, &str)> = listed
        .iter()
        .map(|s| {
            (
                s["number"].as_u64().unwrap(),
                s["port_path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(numbers, [(2, attached.as_str()), (9, "1-4.4")]);
}

/// Issue 15, points 1 and 2, through `devices --json`: an Android 9 phone expected by a staging
/// batch carries the Android 10 warning naming both of Microsoft's pages, and a headset model
/// Microsoft's AOSP list doesn't name, expected by an AOSP batch, carries the list's finding
/// with the list's date, before either device has scanned a QR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_json_checks_each_device_against_its_batchs_profile() {
    use stagebench_core::testing::simulated_device;
    use stagebench_e2e::cli::CliBench;

    let adb = RealAdbServer::start().await.expect("real adb server");
    let phone = simulated_device(0).android("9", 28);
    let headset = simulated_device(1).manufacturer("Vuzix").model("M4100");
    let serials: Vec<String> = [&phone, &headset]
        .iter()
        .map(|c| c.properties["ro.serialno"].clone())
        .collect();
    let _fakes = attach_fakes(&adb, vec![phone, headset]).await; // alive until the end
    let bench = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: Some(adb.port()),
    };
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .date()
        .to_string();
    for (name, flow, serial) in [
        ("Phones", "staging-token", &serials[0]),
        ("Headsets", "aosp-userless", &serials[1]),
    ] {
        bench
            .json(&[
                "batch",
                "new",
                "--name",
                name,
                "--vendor",
                "Dock 4",
                "--flow",
                flow,
                "--token-expires",
                &expires,
                "--serial",
                serial,
                "--json",
            ])
            .await;
    }
    let devices = bench.json(&["devices", "--json"]).await;
    let card = |serial: &str| {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["serial"] == serial)
            .unwrap_or_else(|| panic!("{serial} listed: {devices}"))
            .clone()
    };
    let rules = |card: &serde_json::Value| -> Vec<String> {
        card["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    let phone = card(&serials[0]);
    assert!(phone["batch"].is_string(), "in its batch: {phone}");
    assert_eq!(rules(&phone), ["android-10"], "{phone}");
    let warning = &phone["problems"][0];
    assert_eq!(warning["severity"], "warning");
    let message = warning["message"].as_str().unwrap();
    for cited in [
        "Android 10",
        "2026-05-19",
        "Device staging overview",
        "Android 8",
    ] {
        assert!(message.contains(cited), "{cited}: {message}");
    }
    let headset = card(&serials[1]);
    assert!(headset["batch"].is_string(), "in its batch: {headset}");
    assert_eq!(rules(&headset), ["aosp-device-list"], "{headset}");
    let message = headset["problems"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("M4100") && message.contains("ms.date 2026-05-13"),
        "{message}"
    );
}
