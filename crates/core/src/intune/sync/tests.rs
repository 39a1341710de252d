//! The sync rules against an in-memory Intune directory.

use std::time::Duration;

use time::OffsetDateTime;

use super::memory::MemoryDirectory as Memory;
use super::*;
use crate::identity::{SerialObservation, SerialSource};
use crate::ids::{DeviceId, OutboxId};
use crate::intune::backoff::RetryPolicy;
use crate::intune::status::IntuneStage;
use crate::intune::status::IntuneStatusStore;
use crate::store::Store;
use crate::store::{OutboxState, Sighting};
use rand::SeedableRng;

fn bench(store: &mut Store, serials: &[&str]) -> DeviceId {
    store
        .record_sighting(&Sighting::new(
            serials
                .iter()
                .map(|s| SerialObservation::new(SerialSource::RoSerialno, *s)),
        ))
        .unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
}

#[tokio::test]
async fn stage_2_by_serial_then_stage_3_by_id_after_the_serial_left_the_name() {
    let mut store = Store::open_in_memory().unwrap();
    let intune = Memory::default();
    let a = bench(&mut store, &["R58N1"]);
    let b = bench(&mut store, &["R58N2"]);
    let r = refresh_status(&mut store, &intune, now(), false)
        .await
        .unwrap();
    assert_eq!((r.devices, r.found, r.new_in_intune), (2, 0, 0));
    intune.put(
        "md-1",
        "R58N1",
        "Staging_R58N1_AndroidEnterprise_11/21/26_9.05 AM",
        None,
    );
    let r = refresh_status(&mut store, &intune, now(), false)
        .await
        .unwrap();
    assert_eq!((r.found, r.new_in_intune, r.changed), (1, 1, 0));
    assert_eq!(
        store.intune_links(a).unwrap()[0].status.stage,
        IntuneStage::Enrolled
    );
    // Stage 3: the name no longer carries the serial and Intune cleared it too.
    intune.put(
        "md-1",
        "",
        "ana_AndroidEnterprise_11/21/26_9.05 AM",
        Some("ana@contoso.com"),
    );
    let r = refresh_status(&mut store, &intune, now(), false)
        .await
        .unwrap();
    assert_eq!((r.found, r.changed), (1, 1));
    assert_eq!(
        store.intune_links(a).unwrap()[0].status.stage,
        IntuneStage::UserAssigned
    );
    assert!(store.intune_links(b).unwrap().is_empty());
    // Retired: gone by id, logged once; re-enrolled under a new id: found by serial again.
    intune.devices.lock().unwrap().clear();
    assert_eq!(
        refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap()
            .gone,
        1
    );
    assert_eq!(
        refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap()
            .gone,
        0
    );
    intune.put(
        "md-2",
        "R58N1",
        "Staging_R58N1_AndroidEnterprise_11/22/26_9.05 AM",
        None,
    );
    let r = refresh_status(&mut store, &intune, now(), false)
        .await
        .unwrap();
    assert_eq!((r.found, r.new_in_intune), (1, 1));
    let links = store.intune_links(a).unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].status.intune_id, "md-2", "the live record first");
}

#[tokio::test]
async fn placeholders_are_never_looked_up_and_shared_serials_are_not_guessed() {
    let mut store = Store::open_in_memory().unwrap();
    let intune = Memory::default();
    bench(&mut store, &["1234567890ABCDEF"]);
    // Two bench devices end up sharing SHARED: a sighting that matched both (an identity
    // conflict) goes to the first and adds its serials there.
    let x = bench(&mut store, &["X1"]);
    let y = bench(&mut store, &["SHARED"]);
    bench(&mut store, &["X1", "SHARED"]);
    intune.put(
        "md-p",
        "1234567890ABCDEF",
        "Staging_1234567890ABCDEF_AndroidEnterprise_11/21/26_9.05 AM",
        None,
    );
    intune.put(
        "md-s",
        "SHARED",
        "Staging_SHARED_AndroidEnterprise_11/21/26_9.05 AM",
        None,
    );
    let r = refresh_status(&mut store, &intune, now(), false)
        .await
        .unwrap();
    assert_ne!(x, y);
    assert_eq!(r.ambiguous, ["SHARED"]);
    assert!(store.intune_links(x).unwrap().is_empty());
    assert!(store.intune_links(y).unwrap().is_empty());
    assert!(store
        .intune_all()
        .unwrap()
        .iter()
        .any(|l| l.status.intune_id == "md-s" && l.device.is_none()));
    assert_eq!(r.unidentifiable, 1);
    assert!(
        store
            .intune_all()
            .unwrap()
            .iter()
            .all(|l| l.status.intune_id != "md-p"),
        "placeholder never matched"
    );
}

#[tokio::test]
async fn drain_settles_every_outcome_and_offline_costs_no_attempts() {
    let mut store = Store::open_in_memory()
        .unwrap()
        .with_clock(crate::clock::ManualClock::new(now()));
    let intune = Memory::default();
    let policy = RetryPolicy {
        max_attempts: 2,
        base: Duration::from_secs(1),
        max_delay: Duration::from_secs(30),
        jitter: false,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let ids: Vec<OutboxId> = (0..4)
        .map(|i| queue_notes(&mut store, &format!("md-{i}"), "stage 2 done").unwrap())
        .collect();
    *intune.offline.lock().unwrap() = true;
    let r = drain_outbox(&mut store, &intune, &policy, &mut rng, now())
        .await
        .unwrap();
    assert_eq!((r.sent, r.retried, r.offline), (0, 4, true));
    *intune.offline.lock().unwrap() = false;
    *intune.outcomes.lock().unwrap() = vec![
        SendOutcome::Done,
        SendOutcome::Retry {
            error: "429".into(),
            retry_after: Some(RetryAfter(Duration::from_secs(7))),
        },
        SendOutcome::Fail("400 bad notes".into()),
        SendOutcome::Retry {
            error: "503".into(),
            retry_after: None,
        },
    ];
    let later = now() + time::Duration::minutes(5);
    let r = drain_outbox(&mut store, &intune, &policy, &mut rng, later)
        .await
        .unwrap();
    // Offline cost nothing, so the 503 item still has its second attempt left.
    assert_eq!((r.sent, r.retried, r.failed), (1, 2, 1), "{r:?}");
    let state = |id| store.outbox_item(id).unwrap().unwrap().state;
    assert_eq!(state(ids[0]), OutboxState::Done);
    assert_eq!(state(ids[1]), OutboxState::Pending);
    assert_eq!(state(ids[2]), OutboxState::Failed);
    assert_eq!(state(ids[3]), OutboxState::Pending);
    assert_eq!(store.outbox_item(ids[3]).unwrap().unwrap().attempts, 1);
    let next = store.outbox_item(ids[1]).unwrap().unwrap().next_attempt_at;
    assert!(
        next > crate::clock::timestamp(later + time::Duration::seconds(6)),
        "{next}"
    );
    // The retried ones go out once due; the 503 one had used its 2 attempts if it fails again.
    let r = drain_outbox(
        &mut store,
        &intune,
        &policy,
        &mut rng,
        later + time::Duration::seconds(8),
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
    assert_eq!(store.outbox_len().unwrap().pending, 0);
}

#[tokio::test]
async fn drain_stops_for_a_sign_in_and_keeps_the_items() {
    let mut store = Store::open_in_memory()
        .unwrap()
        .with_clock(crate::clock::ManualClock::new(now()));
    let intune = Memory::default();
    let id = queue_notes(&mut store, "md-1", "x").unwrap();
    *intune.outcomes.lock().unwrap() = vec![SendOutcome::Reauthenticate("401".into())];
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let err = drain_outbox(
        &mut store,
        &intune,
        &RetryPolicy::default(),
        &mut rng,
        now(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert!(
        matches!(err.remedy(), Some(Remedy::SignInAgain { .. })),
        "{err}"
    );
    assert_eq!(
        store.outbox_item(id).unwrap().unwrap().state,
        OutboxState::Pending
    );
    let r = drain_outbox(
        &mut store,
        &intune,
        &RetryPolicy::default(),
        &mut rng,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 1);
}

#[tokio::test]
async fn first_sighting_and_stage_changes_queue_one_summary_per_device() {
    let mut store = Store::open_in_memory().unwrap();
    let intune = Memory::default();
    let a = store
            .record_sighting(
                &Sighting::new([
                    SerialObservation::new(SerialSource::RoSerialno, "R58N1"),
                    SerialObservation::new(SerialSource::UsbDescriptor, "R58N1"),
                ])
                .with_facts(serde_json::json!({"manufacturer": "samsung", "model": "SM-G991B", "android_release": "14", "slot_number": 3,
                    "evidence": {"device_provisioned": true, "device_owner": "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver", "intune_app": "24.7.0", "boot_count": 4}})),
            )
            .unwrap();
    intune.put(
        "md-1",
        "R58N1",
        "Staging_R58N1_AndroidEnterprise_11/21/26_9.05 AM",
        None,
    );
    refresh_status(&mut store, &intune, now(), true)
        .await
        .unwrap();
    refresh_status(&mut store, &intune, now(), true)
        .await
        .unwrap();
    assert_eq!(
        store.outbox_len().unwrap().pending,
        1,
        "unchanged: nothing more queued"
    );
    intune.put(
        "md-1",
        "R58N1",
        "ana_AndroidEnterprise_11/21/26_9.05 AM",
        Some("ana@contoso.com"),
    );
    refresh_status(&mut store, &intune, now(), true)
        .await
        .unwrap();
    // The stage-3 summary supersedes the unsent stage-2 one.
    assert_eq!(store.outbox_len().unwrap().pending, 1);
    let due = store
        .outbox_due(OffsetDateTime::now_utc() + time::Duration::days(1), 10)
        .unwrap();
    let summary = due[0].payload["summary"].as_str().unwrap();
    assert!(summary.contains("in slot 3"), "{summary}");
    assert!(
        summary.contains("Serials: ro-serialno R58N1, usb-descriptor R58N1"),
        "{summary}"
    );
    assert!(
        summary.contains("Device: samsung SM-G991B, Android 14"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "device owner com.google.android.apps.work.clouddpc, Intune app 24.7.0, boot count 4"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("Intune: user signed in (stage 3)"),
        "{summary}"
    );
    assert_eq!(due[0].target, "md-1");
    assert_eq!(store.intune_links(a).unwrap().len(), 1);
}

#[test]
fn notes_keep_the_admins_text_and_replace_only_our_block() {
    assert_eq!(
        merge_notes(None, "stage 2"),
        "[StageBench]\nstage 2\n[/StageBench]"
    );
    let admin = "Loaner pool — ask Jo";
    let once = merge_notes(Some(admin), "stage 2");
    assert_eq!(
        once,
        "Loaner pool — ask Jo\n\n[StageBench]\nstage 2\n[/StageBench]"
    );
    let twice = merge_notes(Some(&format!("{once}\nmore admin text")), "stage 3");
    assert_eq!(
        twice,
        "Loaner pool — ask Jo\n\n[StageBench]\nstage 3\n[/StageBench]\nmore admin text"
    );
    // A broken block (end before begin) is not cut into: ours is appended.
    let odd = "[/StageBench] x [StageBench]";
    assert!(merge_notes(Some(odd), "s").starts_with(odd));
}
