//! `stagebench scan`: box serials from a serial-port scanner and a keyboard wedge join the
//! active batch.

use std::path::Path;
use std::process::{Command, Stdio};

use stagebench_core::scanner::pty::PtyPair;
use stagebench_e2e::cli::CliBench;
use stagebench_e2e::wait::until_blocking;
use stagebench_e2e::{built_binary, holds_open, read_lines};

/// Box serials from a serial-port scanner (a socat PTY pair stands in for the USB CDC port) and
/// from a keyboard wedge (one scan per line on standard input) join the active batch; a garbled
/// scan is refused and the next one carries on; each device added is in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_from_a_serial_scanner_and_a_keyboard_wedge_join_the_batch() {
    use std::io::Write;
    let bench = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: None,
    };
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .date()
        .to_string();
    let created = bench
        .json(&[
            "batch",
            "new",
            "--name",
            "Boxes",
            "--vendor",
            "Dock 4",
            "--flow",
            "staging-token",
            "--token-expires",
            &expires,
            // The serials scanned below are the batch's devices (a code that is no device's
            // serial would wait for a slot: box labels are tied to a slot's device).
            "--serial",
            "R5CR0001,PF3WK2X9,NEWBOX0009",
            "--activate",
            "--json",
        ])
        .await;
    let id = created["batch"]["id"].as_str().unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let pair = PtyPair::start(dir.path());
    let host = pair.host();
    let mut child = Command::new(built_binary("stagebench"))
        .args([
            "scan", "--port", &host, "--baud", "9600", "--count", "3", "--json",
        ])
        .env("STAGEBENCH_DATA_DIR", bench.data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Scan once the command has the port open (what it reads from then on).
    until_blocking("`stagebench scan` to open the port", || {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("`stagebench scan` ended before opening {host}: {status}");
        }
        holds_open(child.id(), Path::new(&host))
    });
    pair.scan(b"R5CR0001\r\n]C0pf3wk2x9\r\nAB\x1bCD\r\n");
    let got: Vec<serde_json::Value> = read_lines(
        child.stdout.take().unwrap(),
        3,
        "three scans from `stagebench scan`",
    )
    .iter()
    .map(|line| serde_json::from_str(line).unwrap())
    .collect();
    let status = child.wait().unwrap();
    assert!(status.success());
    drop(pair);
    assert_eq!(
        (got[0]["serial"].as_str(), got[0]["joined"].as_bool()),
        (Some("R5CR0001"), Some(true))
    );
    assert_eq!(
        got[1]["serial"], "PF3WK2X9",
        "AIM identifier split off, upper-cased"
    );
    assert!(
        got[2]["error"]
            .as_str()
            .unwrap()
            .contains("control characters"),
        "{}",
        got[2]
    );

    // A keyboard wedge types into standard input.
    let mut wedge = Command::new(built_binary("stagebench"))
        .args(["scan", "--batch", &id, "--count", "2", "--json"])
        .env("STAGEBENCH_DATA_DIR", bench.data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wedge
        .stdin
        .take()
        .unwrap()
        .write_all(b"r5cr0001\nNEWBOX0009\n")
        .unwrap();
    let out = wedge.wait_with_output().unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["joined"], false, "already in the batch");
    assert_eq!(
        (rows[1]["serial"].as_str(), rows[1]["joined"].as_bool()),
        (Some("NEWBOX0009"), Some(true))
    );

    let show = bench.json(&["batch", "show", &id, "--json"]).await;
    assert_eq!(show["devices"].as_array().unwrap().len(), 3);
    let added = bench
        .json(&["audit", "--action", "device-added", "--json"])
        .await;
    assert_eq!(added.as_array().unwrap().len(), 3);
}
