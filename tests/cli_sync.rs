//! `stagebench sync`: Intune's status of the bench's devices read into the history and the notes
//! in the outbox written, offline without losing the outbox, and a sign-in asked for when there is
//! none or Graph refuses it; against a fresh fake demo tenant per test that the CLI signed in to.
//! Secrets go to the real OS keyring: run these under `scripts/test-env.sh`.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::sync::{queue_notes, NOTES_BEGIN};
use stagebench_core::store::{Sighting, Store};
use stagebench_core::testing::graph::{FakeGraph, GraphClock, Lifecycle};
use stagebench_e2e::built_binary;
use stagebench_e2e::cli::{ok, refused, stdout};
use stagebench_e2e::tenant::TenantBench;
use time::OffsetDateTime;

const MINUTE: Duration = Duration::from_secs(60);

/// Records a bench device with this serial in the CLI's store, as `stagebench devices` would.
fn record(store: &mut Store, serial: &str) {
    let facts = json!({"manufacturer": "samsung", "model": "SM-G991B", "android_release": "14"});
    store
        .record_sighting(
            &Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)])
                .with_facts(facts),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reads_staged_devices_into_the_history_and_writes_their_notes() {
    let b = TenantBench::start_with(
        FakeGraph::start_with_clock(GraphClock::manual(OffsetDateTime::now_utc()))
            .await
            .unwrap(),
    )
    .await;
    {
        let mut store = b.store();
        record(&mut store, "R5CRSYNC01");
        record(&mut store, "R5CRSYNC02");
    }
    b.fake.schedule(
        Lifecycle::staged("R5CRSYNC01", MINUTE).then_user("ana@contoso.com", 60 * MINUTE),
    );
    b.fake.schedule(Lifecycle::staged("R5CRSYNC02", 2 * MINUTE));
    let first = b.json(&["sync", "--json"]).await;
    assert_eq!(
        (
            first["refresh"]["devices"].as_u64(),
            first["refresh"]["found"].as_u64()
        ),
        (Some(2), Some(0)),
        "{first}"
    );

    b.fake.clock().advance(3 * MINUTE);
    let second = b.json(&["sync", "--json"]).await;
    assert_eq!(second["refresh"]["found"], 2, "{second}");
    assert_eq!(second["refresh"]["newInIntune"], 2, "{second}");
    assert_eq!(
        (
            second["outbox"]["sent"].as_u64(),
            second["pending"]["pending"].as_u64(),
            second["offline"].as_bool()
        ),
        (Some(2), Some(0), Some(false)),
        "{second}"
    );
    for serial in ["R5CRSYNC01", "R5CRSYNC02"] {
        let id = b.fake.scheduled_device_id(serial).unwrap();
        let notes = b.fake.device(&id).unwrap()["notes"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            notes.starts_with(NOTES_BEGIN)
                && notes.contains("stage 2 confirmed")
                && notes.contains(serial),
            "{notes}"
        );
    }

    b.fake.clock().advance(60 * MINUTE);
    let text = b.run(&["sync"]).await;
    ok(&text, "sync");
    let shown = stdout(&text);
    assert!(
        shown.contains("2 found in Intune (0 new, 1 changed, 0 gone)") && shown.contains("1 sent"),
        "{shown}"
    );
    let id = b.fake.scheduled_device_id("R5CRSYNC01").unwrap();
    assert!(b.fake.device(&id).unwrap()["notes"]
        .as_str()
        .unwrap()
        .contains("user signed in (stage 3)"));
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_offline_exits_0_and_the_outbox_keeps_its_items() {
    let b = TenantBench::start().await;
    {
        let mut store = b.store();
        record(&mut store, "R5CROFFLINE");
        queue_notes(
            &mut store,
            "00000000-0000-0000-0000-0000000000d1",
            "Bench: staged",
        )
        .unwrap();
    }
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let graph = format!("http://{closed}/beta");
    let out = b.run_at(&graph, &["sync"]).await;
    ok(&out, "offline sync");
    assert!(
        stdout(&out).contains("offline: 1 changes wait in the outbox"),
        "{}",
        stdout(&out)
    );
    let out = b.run_at(&graph, &["sync", "--json"]).await;
    ok(&out, "offline sync --json");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            json["offline"].as_bool(),
            json["pending"]["pending"].as_u64()
        ),
        (Some(true), Some(1)),
        "{json}"
    );
    assert_eq!(b.store().outbox_len().unwrap().pending, 1, "nothing lost");
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_asks_for_a_sign_in_when_there_is_none_or_graph_refuses_it() {
    let b = TenantBench::start().await;
    record(&mut b.store(), "R5CRAUTH01");
    b.fake.faults(|f| f.reject_auth = true);
    let err = refused(&b.run(&["sync"]).await);
    assert!(
        err.contains("sign in again") && err.contains("stagebench login"),
        "{err}"
    );

    let nobody = tempfile::tempdir().unwrap();
    let out = Command::new(built_binary("stagebench"))
        .arg("sync")
        .env("STAGEBENCH_DATA_DIR", nobody.path())
        .env("STAGEBENCH_GRAPH_URL", b.fake.base_url())
        .env("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1")
        .output()
        .unwrap();
    let err = refused(&out);
    assert!(
        err.contains("not signed in") && err.contains("stagebench login"),
        "{err}"
    );
    b.fake.assert_no_violations();
}
