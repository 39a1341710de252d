//! A kill in the middle of a sync loses nothing and resends only what was in flight.
//!
//! The parent runs the fake tenant and queues a stage summary for 60 devices (5 of them twice,
//! so 5 items are superseded before any send). A child process — this test binary re-run with
//! `--exact drain_child` and [`CHILD_DB_ENV`] set — drains the outbox through the real Graph
//! client; the parent SIGKILLs it as soon as the first `$batch` of notes has landed. Then the
//! parent drains again after the claim lease has run out and checks: every change is done,
//! none failed; every device's Intune notes hold the newest summary once; devices whose change
//! was recorded as done before the kill were written exactly once; only items that were in
//! flight at the kill were written twice; superseded summaries never went out.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use serde_json::json;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::intune::sync::{drain_outbox, queue_notes, NOTES_BEGIN};
use stagebench_core::intune::{Endpoints, StaticToken};
use stagebench_core::secret::SecretText;
use stagebench_core::store::{OutboxState, Store, FILE_NAME, OUTBOX_LEASE};
use stagebench_core::testing::graph::FakeGraph;
use support::crash::integrity;

const CHILD_DB_ENV: &str = "STAGEBENCH_SYNC_CHILD_DB";
const CHILD_GRAPH_ENV: &str = "STAGEBENCH_SYNC_CHILD_GRAPH";
const DEVICES: usize = 60;

fn client(graph_base: &str) -> GraphClient {
    let endpoints = Endpoints {
        authority: "http://127.0.0.1:9".into(),
        graph: graph_base.into(),
    };
    GraphClient::new(&endpoints, Arc::new(StaticToken(SecretText::new("t")))).unwrap()
}

/// The child: drains until done (it is killed long before).
#[tokio::test]
async fn drain_child() {
    let (Some(db), Some(graph)) = (
        std::env::var_os(CHILD_DB_ENV),
        std::env::var(CHILD_GRAPH_ENV).ok(),
    ) else {
        return;
    };
    let mut store = Store::open(Path::new(&db)).unwrap();
    let client = client(&graph);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let now = time::OffsetDateTime::now_utc();
    drain_outbox(&mut store, &client, &RetryPolicy::default(), &mut rng, now)
        .await
        .unwrap();
}

fn patches(graph: &FakeGraph) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in graph
        .exchanges()
        .iter()
        .filter(|e| e.method == "PATCH" && e.status == 204)
    {
        *out.entry(e.url.clone()).or_default() += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_mid_sync_loses_nothing_and_resends_only_what_was_in_flight() {
    let graph = FakeGraph::start().await.unwrap();
    // Slow enough that the kill lands mid-drain, fast enough for a short test.
    graph.faults(|f| f.latency = Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let mut store = Store::open(&path).unwrap();
    let mut ids = Vec::new();
    for i in 0..DEVICES {
        let serial = format!("KILL{i:04}");
        let id = graph.add_device(json!({"deviceName": format!("Staging_{serial}_AndroidEnterprise_11/21/26_9.05 AM"), "serialNumber": serial}));
        if i < 5 {
            queue_notes(&mut store, &id, &format!("old summary {i}")).unwrap();
        }
        queue_notes(&mut store, &id, &format!("summary for {serial}")).unwrap();
        ids.push(id);
    }
    drop(store);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "drain_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB_ENV, &path)
        .env(CHILD_GRAPH_ENV, graph.base_url())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Kill once the first batch of notes has landed and the child has recorded it. From the
    // first batch on, the tenant holds every new request, so the drain cannot finish before the
    // kill however slowly this test gets to run (a round already on its way still lands).
    let mut holding = false;
    let done = || -> i64 {
        rusqlite::Connection::open(&path)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM outbox WHERE state = 'done'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(0)
    };
    while patches(&graph).values().sum::<usize>() < 20 || done() == 0 {
        if !holding && patches(&graph).values().sum::<usize>() >= 20 {
            graph.faults(|f| f.latency = Duration::from_secs(3600));
            holding = true;
        }
        assert!(
            Instant::now() < deadline,
            "the child never sent a batch of notes: {} notes landed, {} recorded done",
            patches(&graph).values().sum::<usize>(),
            done()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child finished before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let sent_before_kill = patches(&graph);
    assert!(
        sent_before_kill.values().sum::<usize>() < DEVICES,
        "killed mid-drain"
    );
    assert_eq!(integrity(&path), "ok");

    // What the store says happened before the kill.
    let mut store = Store::open(&path).unwrap();
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let states = |store: &Store| -> BTreeMap<String, Vec<OutboxState>> {
        let mut out: BTreeMap<String, Vec<OutboxState>> = BTreeMap::new();
        for n in 1..=(DEVICES + 5) as i64 {
            let item = store
                .outbox_item(stagebench_core::ids::OutboxId(n))
                .unwrap()
                .unwrap();
            out.entry(item.target).or_default().push(item.state);
        }
        out
    };
    let before = states(&store);
    let done_before: Vec<&String> = before
        .iter()
        .filter(|(_, s)| s.last() == Some(&OutboxState::Done))
        .map(|(t, _)| t)
        .collect();
    assert!(
        !done_before.is_empty(),
        "some notes were recorded as sent before the kill"
    );

    // Drain again once the lease of the items in flight has run out.
    let later = time::OffsetDateTime::now_utc()
        + time::Duration::try_from(OUTBOX_LEASE).unwrap()
        + time::Duration::seconds(1);
    graph.faults(|f| f.latency = Duration::ZERO);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    drain_outbox(
        &mut store,
        &client(&graph.base_url()),
        &RetryPolicy::default(),
        &mut rng,
        later,
    )
    .await
    .unwrap();
    let counts = store.outbox_len().unwrap();
    assert_eq!((counts.pending, counts.in_flight, counts.failed), (0, 0, 0));
    assert!(store.outbox_due(far, 100).unwrap().is_empty());

    let after = patches(&graph);
    for (i, id) in ids.iter().enumerate() {
        let notes = graph.device(id).unwrap()["notes"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let serial = format!("KILL{i:04}");
        assert!(
            notes.contains(&format!("summary for {serial}")),
            "{id}: {notes:?}"
        );
        assert!(
            !notes.contains("old summary"),
            "a superseded summary went out: {notes:?}"
        );
        assert_eq!(notes.matches(NOTES_BEGIN).count(), 1);
        let path = format!("/deviceManagement/managedDevices/{id}");
        let writes: usize = after
            .iter()
            .filter(|(url, _)| url.ends_with(&path))
            .map(|(_, n)| n)
            .sum();
        if done_before.contains(&id) {
            assert_eq!(
                writes, 1,
                "{id} was done before the kill and must not be resent"
            );
        } else {
            assert!((1..=2).contains(&writes), "{id}: {writes} writes");
        }
    }
    // The items superseded before any send stay superseded and were never sent.
    let end = states(&store);
    for id in &ids[..5] {
        assert_eq!(
            end[id],
            [OutboxState::Superseded, OutboxState::Done],
            "{id}"
        );
    }
    graph.assert_no_violations();
}
