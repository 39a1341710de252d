//! Committed means durable: a writer process is SIGKILLed in the middle of writing, and every
//! id it reported as committed must be in the store when it is opened again.
//!
//! The writer is this test binary itself, re-run with `--exact writer_child` and
//! [`WRITER_DB_ENV`] set; without the variable `writer_child` does nothing, so a plain
//! `cargo test` run passes it. It prints `committed event <id>` or `committed device <id> <serial>` only after the
//! commit returned, and flushes each line.

mod support;

use support::crash::{integrity, run_and_kill, Reports};

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::{DeviceId, EventId};
use stagebench_core::store::{Sighting, Store, FILE_NAME};

const WRITER_DB_ENV: &str = "STAGEBENCH_CRASH_WRITER_DB";
const WRITER_ROUND_ENV: &str = "STAGEBENCH_CRASH_WRITER_ROUND";

fn sighting(serial: &str, slot: usize) -> Sighting {
    Sighting::new([
        SerialObservation::new(SerialSource::UsbDescriptor, serial),
        SerialObservation::new(SerialSource::RoSerialno, serial),
    ])
    .at_slot(format!("usb:1-{slot}"))
    .with_facts(json!({"model": "SM-A525F", "android": "14"}))
}

/// The child: writes until killed.
#[test]
fn writer_child() {
    let Some(path) = std::env::var_os(WRITER_DB_ENV) else {
        return;
    };
    let round = std::env::var(WRITER_ROUND_ENV).unwrap_or_default();
    let mut store = Store::open(Path::new(&path)).unwrap();
    let mut out = std::io::stdout().lock();
    let padding = "x".repeat(512);
    for i in 0u64.. {
        let event = store
            .append_event(
                None,
                "crash-test",
                &json!({"round": round, "i": i, "pad": padding}),
            )
            .unwrap();
        writeln!(out, "committed event {}", event.0).unwrap();
        out.flush().unwrap();
        let serial = format!("R{round}N{i}");
        let device = store
            .record_sighting(&sighting(&serial, (i % 50) as usize))
            .unwrap();
        writeln!(out, "committed device {} {serial}", device.0).unwrap();
        out.flush().unwrap();
    }
}

#[derive(Default)]
struct Committed {
    events: BTreeSet<EventId>,
    devices: Vec<(DeviceId, String)>,
}

impl Reports for Committed {
    fn len(&self) -> usize {
        self.events.len() + self.devices.len()
    }

    /// Takes one complete output line. libtest's own output is ignored; with one test thread it
    /// prints `test writer_child ... ` without a newline, so a report may follow it on a line.
    fn take(&mut self, line: &str) {
        let Some(at) = line.find("committed ") else {
            return;
        };
        let words: Vec<&str> = line[at..].split_whitespace().skip(1).collect();
        match words.as_slice() {
            ["event", id] => {
                self.events.insert(EventId(id.parse().unwrap()));
            }
            ["device", id, serial] => self
                .devices
                .push((DeviceId(id.parse().unwrap()), (*serial).to_owned())),
            _ => {}
        }
    }
}

fn wal_of(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

#[test]
fn killed_writer_loses_nothing_it_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let mut reported = Committed::default();
    for (round, kill_after) in [1, 7, 40, 150, 400, 33].into_iter().enumerate() {
        let committed =
            run_and_kill::<Committed>(&path, round, kill_after, WRITER_DB_ENV, WRITER_ROUND_ENV);
        assert!(committed.len() >= kill_after);
        assert!(
            wal_of(&path).exists(),
            "round {round}: the writer died without closing the store"
        );
        assert_eq!(integrity(&path), "ok", "round {round}");

        let mut store = Store::open(&path).unwrap();
        let events = store.events(None, usize::MAX).unwrap();
        let stored: BTreeSet<EventId> = events.iter().map(|e| e.id).collect();
        let lost: Vec<&EventId> = committed.events.difference(&stored).collect();
        // Equal counts: the kill interrupted the next write; more stored than reported: it came
        // between a commit and its report. Both must lose nothing reported.
        let this_round = events
            .iter()
            .filter(|e| {
                e.kind == "crash-test"
                    && e.data["round"].as_str() == Some(round.to_string().as_str())
            })
            .count();
        println!(
            "round {round}: {} events reported, {this_round} stored",
            committed.events.len()
        );
        assert!(
            lost.is_empty(),
            "round {round}: reported events missing after the kill: {lost:?}"
        );
        for (id, serial) in &committed.devices {
            let device = store
                .device(*id)
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: device {id} lost"));
            assert!(
                device.serials.iter().any(|s| &s.value == serial),
                "round {round}: {serial} lost from {id}"
            );
        }
        // The store takes new writes after the crash.
        let after = store
            .append_event(None, "after-crash", &json!({"round": round}))
            .unwrap();
        assert!(after > *committed.events.iter().max().unwrap());
        store
            .record_sighting(&sighting(&format!("AFTER{round}"), 99))
            .unwrap();
        drop(store);
        assert_eq!(integrity(&path), "ok", "round {round}, after new writes");

        reported.events.extend(committed.events);
        reported.devices.extend(committed.devices);
    }
    // Nothing reported in an earlier round went missing in a later one.
    let store = Store::open(&path).unwrap();
    let stored: BTreeSet<EventId> = store
        .events(None, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert!(reported.events.is_subset(&stored));
    let devices = store.devices().unwrap();
    assert!(reported
        .devices
        .iter()
        .all(|(id, _)| devices.iter().any(|d| d.id == *id)));
}
