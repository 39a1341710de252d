//! The outbox survives a kill: a writer process queues changes and claims some of them (as a
//! drain does before sending), is SIGKILLed, and when the store is opened again every change it
//! reported is there, the claimed ones still in flight, and they go back in line once the lease
//! has run out, with nothing else disturbed.
//!
//! The writer is this test binary itself, re-run with `--exact writer_child` and
//! [`WRITER_DB_ENV`] set (as in `store_crash.rs`); it prints `committed enqueue <id> <target>`
//! and `committed claim <id>` only after the commit returned.

mod support;

use support::crash::{integrity, run_and_kill, Reports};

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use rusqlite::Connection;
use serde_json::json;
use stagebench_core::clock::ManualClock;
use stagebench_core::ids::OutboxId;
use stagebench_core::store::{OutboxState, Store, EVENT_OUTBOX_ENQUEUED, FILE_NAME, OUTBOX_LEASE};

const WRITER_DB_ENV: &str = "STAGEBENCH_OUTBOX_WRITER_DB";
const WRITER_ROUND_ENV: &str = "STAGEBENCH_OUTBOX_WRITER_ROUND";

fn epoch() -> time::OffsetDateTime {
    use stagebench_core::clock::Clock;
    ManualClock::at_test_epoch().now()
}

/// The child: queues and claims until killed. Every other change is claimed right away.
#[test]
fn writer_child() {
    let Some(path) = std::env::var_os(WRITER_DB_ENV) else {
        return;
    };
    let round = std::env::var(WRITER_ROUND_ENV).unwrap_or_default();
    let mut store = Store::open(Path::new(&path))
        .unwrap()
        .with_clock(ManualClock::at_test_epoch());
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let target = format!("R{round}N{i}");
        let id = store
            .outbox_enqueue(
                "device-notes",
                &target,
                Some(&format!("notes:{target}")),
                &json!({"notes": format!("stage 2 for {target}"), "pad": "x".repeat(256)}),
            )
            .unwrap();
        writeln!(out, "committed enqueue {} {target}", id.0).unwrap();
        out.flush().unwrap();
        if i % 2 == 1 {
            let claimed = store.outbox_claim(&[id]).unwrap();
            assert_eq!(claimed.items.len(), 1);
            writeln!(out, "committed claim {}", id.0).unwrap();
            out.flush().unwrap();
        }
    }
}

#[derive(Default)]
struct Reported {
    enqueued: BTreeMap<OutboxId, String>,
    claimed: BTreeSet<OutboxId>,
}

impl Reports for Reported {
    fn len(&self) -> usize {
        self.enqueued.len() + self.claimed.len()
    }

    fn take(&mut self, line: &str) {
        let Some(at) = line.find("committed ") else {
            return;
        };
        let words: Vec<&str> = line[at..].split_whitespace().skip(1).collect();
        match words.as_slice() {
            ["enqueue", id, target] => {
                self.enqueued
                    .insert(OutboxId(id.parse().unwrap()), (*target).to_owned());
            }
            ["claim", id] => {
                self.claimed.insert(OutboxId(id.parse().unwrap()));
            }
            _ => {}
        }
    }
}

#[test]
fn killed_writer_loses_no_change_and_lost_claims_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let lease = time::Duration::try_from(OUTBOX_LEASE).unwrap();
    let mut all = Reported::default();
    for (round, kill_after) in [1, 8, 41, 150, 33].into_iter().enumerate() {
        let reported =
            run_and_kill::<Reported>(&path, round, kill_after, WRITER_DB_ENV, WRITER_ROUND_ENV);
        assert_eq!(integrity(&path), "ok", "round {round}");

        let mut store = Store::open(&path)
            .unwrap()
            .with_clock(ManualClock::at_test_epoch());
        for (id, target) in &reported.enqueued {
            let item = store
                .outbox_item(*id)
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: change {id} lost"));
            assert_eq!(&item.target, target);
            assert_eq!(
                item.payload["notes"],
                json!(format!("stage 2 for {target}"))
            );
        }
        for id in &reported.claimed {
            let item = store.outbox_item(*id).unwrap().unwrap();
            assert_eq!(item.state, OutboxState::InFlight, "round {round}: {id}");
            assert_eq!(item.attempts, 1);
        }
        let in_flight: BTreeSet<OutboxId> = {
            let conn = Connection::open(&path).unwrap();
            let mut stmt = conn
                .prepare("SELECT id FROM outbox WHERE state = 'in-flight'")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(|id| OutboxId(id.unwrap()))
                .collect()
        };
        assert!(reported.claimed.is_subset(&in_flight));

        // Within the lease the claims are left alone, as a live drain would need.
        let early = store
            .outbox_due(epoch() + lease - time::Duration::seconds(1), usize::MAX)
            .unwrap();
        assert!(
            early.iter().all(|i| !in_flight.contains(&i.id)),
            "round {round}"
        );
        // After it, every claim is back in line, its lost attempt counted.
        let due = store.outbox_due(epoch() + lease, usize::MAX).unwrap();
        let due_ids: BTreeSet<OutboxId> = due.iter().map(|i| i.id).collect();
        assert!(
            in_flight.is_subset(&due_ids),
            "round {round}: claims recovered"
        );
        assert!(due
            .iter()
            .filter(|i| in_flight.contains(&i.id))
            .all(|i| i.attempts == 1));
        assert_eq!(store.outbox_len().unwrap().in_flight, 0);
        // Every queued change is still waiting to be sent; nothing was sent or dropped.
        assert!(reported.enqueued.keys().all(|id| due_ids.contains(id)));
        assert_eq!(store.outbox_len().unwrap().pending as usize, due.len());

        // The log has every reported change.
        let enqueue_events: BTreeSet<i64> = store
            .events(None, usize::MAX)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EVENT_OUTBOX_ENQUEUED)
            .map(|e| e.data["outbox_id"].as_i64().unwrap())
            .collect();
        assert!(reported
            .enqueued
            .keys()
            .all(|id| enqueue_events.contains(&id.0)));

        // The store takes new changes after the crash.
        store
            .outbox_enqueue("device-notes", &format!("AFTER{round}"), None, &json!({}))
            .unwrap();
        drop(store);
        assert_eq!(integrity(&path), "ok", "round {round}, after new writes");
        all.enqueued.extend(reported.enqueued);
        all.claimed.extend(reported.claimed);
    }
    let store = Store::open(&path).unwrap();
    for id in all.enqueued.keys() {
        assert!(
            store.outbox_item(*id).unwrap().is_some(),
            "{id} lost in a later round"
        );
    }
}
