//! `stagebench simulate` as a demo bench and `stagebench simulate control …` driving it from
//! another process: the running simulator lists eight devices of varied makers with its fake
//! tenant's environment; `control list`, `unplug`, `plug`, `fail --how stuck`, `advance` and
//! `env` act on it through the control file in the same data folder; a refused control says
//! why; once the simulator stops, its control file is gone and a control says no simulator runs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use stagebench_e2e::built_binary;
use stagebench_e2e::cli::{ok, refused, stagebench, stdout};
use stagebench_e2e::wait::PATIENCE;

/// The first JSON value `child` prints, read line by line until it parses.
fn first_json(child: &mut Child) -> Value {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            text.push_str(&line);
            text.push('\n');
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                let _ = tx.send(value);
                return;
            }
        }
    });
    rx.recv_timeout(PATIENCE)
        .unwrap_or_else(|e| panic!("the simulator printed no JSON within {PATIENCE:?}: {e}"))
}

fn json_of(args: &[&str], data: &std::path::Path) -> Value {
    let out = stagebench(args, data, None);
    ok(&out, &args.join(" "));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn device(devices: &Value, number: u64) -> &Value {
    devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["number"] == number)
        .unwrap()
}

#[test]
fn simulate_control_drives_the_running_simulator() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(built_binary("stagebench"))
        .args([
            "simulate",
            "--tenant",
            "--seed",
            "42",
            "--step-ms",
            "100",
            "--json",
        ])
        .env("STAGEBENCH_DATA_DIR", data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = first_json(&mut child);
    let devices = &started["devices"];
    assert_eq!(devices.as_array().unwrap().len(), 8, "{started}");
    for maker in ["samsung", "Zebra", "Google", "RealWear", "LENOVO"] {
        assert!(
            devices
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["manufacturer"].as_str().unwrap().starts_with(maker)),
            "{maker}: {devices}"
        );
    }
    let graph = started["tenant"]["env"]["STAGEBENCH_GRAPH_URL"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(graph.starts_with("http://127.0.0.1:"), "{graph}");
    assert!(data.path().join("simulator-control.json").is_file());

    // Another process lists the same devices through the control file.
    let listed = json_of(&["simulate", "control", "list", "--json"], data.path());
    assert_eq!(&listed, devices);

    let after = json_of(
        &["simulate", "control", "unplug", "1", "--json"],
        data.path(),
    );
    assert_eq!(device(&after, 1)["plugged"], false);
    assert_eq!(device(&after, 1)["actions"][0], "plug");
    let out = stagebench(&["simulate", "control", "plug", "1"], data.path(), None);
    ok(&out, "plug 1");
    let line = stdout(&out).lines().next().unwrap().to_owned();
    assert!(
        line.contains("#1") && line.contains(device(devices, 1)["serial"].as_str().unwrap()),
        "{line}"
    );

    let after = json_of(
        &[
            "simulate", "control", "fail", "2", "--how", "stuck", "--json",
        ],
        data.path(),
    );
    assert_eq!(device(&after, 2)["stuck"], true);
    let after = json_of(
        &["simulate", "control", "advance", "2", "--json"],
        data.path(),
    );
    assert_eq!(device(&after, 2)["stuck"], false);
    assert_eq!(device(&after, 2)["phase"], "provisioning");

    let err = refused(&stagebench(
        &["simulate", "control", "allow", "1"],
        data.path(),
        None,
    ));
    assert!(
        err.contains("device 1 is not asking to allow USB debugging"),
        "{err}"
    );

    let out = stagebench(&["simulate", "control", "env"], data.path(), None);
    ok(&out, "env");
    assert!(
        stdout(&out).contains(&format!("export STAGEBENCH_GRAPH_URL='{graph}'")),
        "{}",
        stdout(&out)
    );

    // Stopped as Ctrl-C stops it: the control file goes with it.
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert!(child.wait().unwrap().success());
    assert!(!data.path().join("simulator-control.json").exists());
    let err = refused(&stagebench(
        &["simulate", "control", "list"],
        data.path(),
        None,
    ));
    assert!(
        err.contains("no simulator runs for the data folder"),
        "{err}"
    );
}

/// `make demo`'s script without its window (`--check`): a private adb server, the simulator with
/// its tenant, the bench signed in there and the demo batch active, all in a fresh folder; once
/// checked, the simulator and the adb server stop and the folder is gone.
#[test]
fn the_demo_script_prepares_a_signed_in_bench_and_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let port = stagebench_core::testing::free_port().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.sh");
    let out = Command::new(script)
        .args(["--check", built_binary("stagebench").to_str().unwrap()])
        .env("TMPDIR", tmp.path())
        .env("STAGEBENCH_DEMO_ADB_PORT", port.to_string())
        .env("STAGEBENCH_DEMO_STEP_MS", "100")
        .env_remove("STAGEBENCH_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(&out, "scripts/demo.sh --check");
    let said = stdout(&out);
    assert!(said.contains("account:   tech@contoso.com"), "{said}");
    let batch = said
        .lines()
        .find(|l| l.contains("Demo bench"))
        .unwrap_or_default();
    assert!(batch.contains("[active]"), "{said}");
    assert_eq!(
        said.lines().filter(|l| l.starts_with("127.0.0.1:")).count(),
        8,
        "{said}"
    );
    assert!(said.contains("The demo bench is ready"), "{said}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "the demo folder is removed: {left:?}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the demo's adb server stopped"
    );
}
