//! Sync against the fake tenant with the real Graph client: stage 2 and 3 read into the bench
//! history, stage summaries merged into Intune notes next to an admin's own text, a throttling
//! storm mid-sync, and a token revoked mid-batch (nothing lost; sent once the sign-in is back).

mod support;

use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use serde_json::json;
use stagebench_core::clock::ManualClock;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::DeviceId;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::status::{IntuneStage, IntuneStatusStore};
use stagebench_core::intune::sync::{drain_outbox, refresh_status, SyncError, NOTES_BEGIN};
use stagebench_core::intune::{StaticToken, TokenSource};
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::secret::SecretText;
use stagebench_core::store::{Sighting, Store, EVENT_INTUNE_CHANGED, EVENT_INTUNE_SEEN};
use stagebench_core::testing::graph::{FakeGraph, Lifecycle};
use support::graph::{client_with, start, tenant};
use time::OffsetDateTime;

const MINUTE: Duration = Duration::from_secs(60);

fn bench_device(store: &mut Store, serial: &str) -> DeviceId {
    store
        .record_sighting(&Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)]).with_facts(json!({
            "manufacturer": "samsung", "model": "SM-G991B", "android_release": "14",
            "evidence": {"device_provisioned": true, "device_owner": "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"}
        })))
        .unwrap()
}

fn store_at(now: OffsetDateTime) -> Store {
    Store::open_in_memory()
        .unwrap()
        .with_clock(ManualClock::new(now))
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base: Duration::from_secs(1),
        max_delay: Duration::from_secs(30),
        jitter: true,
    }
}

/// One sync round: read statuses, then send the outbox.
async fn sync(
    store: &mut Store,
    graph: &FakeGraph,
    client: &stagebench_core::intune::graph::GraphClient,
) -> Result<(), SyncError> {
    let now = graph.clock().now();
    refresh_status(store, client, now, true).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    drain_outbox(store, client, &policy(), &mut rng, now)
        .await
        .map(drop)
}

fn kinds(store: &Store, device: DeviceId) -> Vec<String> {
    store
        .events(Some(device), 500)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("intune"))
        .collect()
}

#[tokio::test]
async fn stages_2_and_3_reach_the_history_and_notes_keep_the_admins_text() {
    let (graph, timer) = tenant().await;
    let client = client_with(
        &graph,
        timer.clone(),
        Arc::new(StaticToken(SecretText::new("t"))),
    );
    let mut store = store_at(start());
    let a = bench_device(&mut store, "R58NAAA1");
    let b = bench_device(&mut store, "R58NBBB2");
    graph.schedule(Lifecycle::staged("R58NAAA1", MINUTE).then_user("ana@contoso.com", 60 * MINUTE));
    graph.schedule(Lifecycle::staged("R58NBBB2", 2 * MINUTE));
    sync(&mut store, &graph, &client).await.unwrap();
    assert!(kinds(&store, a).is_empty(), "nothing in Intune yet");
    graph.clock().advance(3 * MINUTE);
    sync(&mut store, &graph, &client).await.unwrap();
    for d in [a, b] {
        assert_eq!(kinds(&store, d), [EVENT_INTUNE_SEEN]);
        let link = &store.intune_links(d).unwrap()[0];
        assert_eq!(
            (link.status.stage, link.status.staging_name),
            (IntuneStage::Enrolled, true)
        );
    }
    // The summaries went out as notes.
    let id_a = graph.scheduled_device_id("R58NAAA1").unwrap();
    let notes = graph.device(&id_a).unwrap()["notes"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        notes.starts_with(NOTES_BEGIN) && notes.contains("stage 2 confirmed"),
        "{notes}"
    );
    // An admin adds a line; stage 3 then replaces only the bench's block.
    graph.update_device(
        &id_a,
        json!({"notes": format!("Loaner — ask Jo\n\n{notes}")}),
    );
    graph.clock().advance(60 * MINUTE);
    sync(&mut store, &graph, &client).await.unwrap();
    assert_eq!(kinds(&store, a), [EVENT_INTUNE_SEEN, EVENT_INTUNE_CHANGED]);
    assert_eq!(
        store.intune_links(a).unwrap()[0].status.stage,
        IntuneStage::UserAssigned
    );
    let notes = graph.device(&id_a).unwrap()["notes"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        notes.starts_with("Loaner — ask Jo\n\n[StageBench]"),
        "{notes}"
    );
    assert!(
        notes.contains("user signed in (stage 3)") && !notes.contains("stage 2 confirmed"),
        "{notes}"
    );
    assert_eq!(notes.matches(NOTES_BEGIN).count(), 1);
    assert_eq!(kinds(&store, b), [EVENT_INTUNE_SEEN], "b unchanged");
    assert_eq!(store.outbox_len().unwrap().pending, 0);
    graph.assert_no_violations();
}

#[tokio::test]
async fn a_throttling_storm_mid_sync_delays_but_loses_nothing() {
    let (graph, timer) = tenant().await;
    let client = client_with(
        &graph,
        timer.clone(),
        Arc::new(StaticToken(SecretText::new("t"))),
    );
    let mut store = store_at(start());
    let serials: Vec<String> = (0..45).map(|i| format!("STORM{i:04}")).collect();
    for s in &serials {
        bench_device(&mut store, s);
        graph.schedule(Lifecycle::staged(s, MINUTE));
    }
    graph.clock().advance(2 * MINUTE);
    graph.faults(|f| {
        f.throttle_every = Some(3);
        f.retry_after = None;
        f.unavailable_next = 4;
    });
    sync(&mut store, &graph, &client).await.unwrap();
    let linked = store
        .intune_all()
        .unwrap()
        .iter()
        .filter(|l| l.device.is_some())
        .count();
    assert_eq!(linked, 45);
    let with_notes = serials
        .iter()
        .filter(|s| {
            graph
                .device(&graph.scheduled_device_id(s).unwrap())
                .unwrap()["notes"]
                .as_str()
                .is_some_and(|n| n.contains(NOTES_BEGIN))
        })
        .count();
    let pending = store.outbox_len().unwrap().pending as usize;
    assert_eq!(
        with_notes + pending,
        45,
        "every summary is sent or still queued"
    );
    assert!(graph.throttled() > 0);
    // Once the storm is over, what was left goes out.
    graph.faults(|f| f.throttle_every = None);
    graph.clock().advance(10 * MINUTE);
    sync(&mut store, &graph, &client).await.unwrap();
    assert_eq!(store.outbox_len().unwrap().pending, 0);
    graph.assert_no_violations();
}

#[tokio::test]
async fn a_token_revoked_mid_batch_keeps_the_changes_until_the_sign_in_is_back() {
    let (graph, timer) = tenant().await;
    let token: Arc<dyn TokenSource> = Arc::new(StaticToken(SecretText::new("revoked-soon")));
    let client = client_with(&graph, timer.clone(), token);
    let mut store = store_at(start());
    for i in 0..30 {
        let s = format!("REV{i:04}");
        bench_device(&mut store, &s);
        graph.schedule(Lifecycle::staged(&s, MINUTE));
    }
    graph.clock().advance(2 * MINUTE);
    let now = graph.clock().now();
    refresh_status(&mut store, &client, now, true)
        .await
        .unwrap();
    assert_eq!(store.outbox_len().unwrap().pending, 30);
    // The token is revoked: every request from now on answers 401.
    graph.faults(|f| f.rejected_tokens = vec!["revoked-soon".into()]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let err = drain_outbox(&mut store, &client, &policy(), &mut rng, now)
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Auth(_)), "{err}");
    assert!(err.to_string().contains("sign in"), "{err}");
    assert!(
        matches!(
            err.remedy(),
            Some(Remedy::SignIn | Remedy::SignInAgain { .. })
        ),
        "{err}"
    );
    let counts = store.outbox_len().unwrap();
    assert_eq!(
        (counts.pending, counts.failed),
        (30, 0),
        "nothing lost, nothing failed"
    );
    // Signed in again (a new token): everything goes out.
    let fresh = client_with(
        &graph,
        timer,
        Arc::new(StaticToken(SecretText::new("fresh"))),
    );
    let report = drain_outbox(&mut store, &fresh, &policy(), &mut rng, now)
        .await
        .unwrap();
    assert_eq!(report.sent, 30);
    graph.assert_no_violations();
}

#[tokio::test]
async fn a_sync_round_on_an_empty_bench_still_tells_online_and_an_unreachable_graph_is_offline() {
    use stagebench_core::intune::state::{sync_once, TenantState};
    let (graph, timer) = tenant().await;
    graph.seed_demo();
    let client = client_with(
        &graph,
        timer.clone(),
        Arc::new(StaticToken(SecretText::new("t"))),
    );
    let mut store = store_at(start());
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let round = sync_once(
        &mut store,
        &client,
        &policy(),
        &mut rng,
        graph.clock().now(),
    )
    .await;
    assert!(round.error.is_none(), "{:?}", round.error);
    assert_eq!(
        graph.http_requests(),
        1,
        "nothing to sync: only the profile list proves the tenant answers"
    );
    let mut state = TenantState::default();
    state.record(&round, store.outbox_len().unwrap(), graph.clock().now());
    assert_eq!(
        (state.online, state.outbox.pending, state.problem.clone()),
        (Some(true), 0, None)
    );
    graph.assert_no_violations();

    // Nothing listens on the discard port: offline, not a problem.
    let endpoints = stagebench_core::intune::Endpoints {
        authority: "http://127.0.0.1:9".into(),
        graph: "http://127.0.0.1:9/beta".into(),
    };
    let nowhere = stagebench_core::intune::graph::GraphClient::new(
        &endpoints,
        Arc::new(StaticToken(SecretText::new("t"))),
    )
    .unwrap()
    .with_retry_policy(RetryPolicy {
        max_attempts: 1,
        ..policy()
    });
    let round = sync_once(
        &mut store,
        &nowhere,
        &policy(),
        &mut rng,
        graph.clock().now(),
    )
    .await;
    assert!(
        matches!(round.error, Some(SyncError::Offline(_))),
        "{:?}",
        round.error
    );
    state.record(&round, store.outbox_len().unwrap(), graph.clock().now());
    assert_eq!((state.online, state.problem), (Some(false), None));
}
