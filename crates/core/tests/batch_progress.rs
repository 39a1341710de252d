//! A batch's progress derived from the store's event log: devices join the batch that expects
//! them (or the active one), walk through the stages with the right instruction, and problems
//! are raised — reboot during enrollment, a token revoked mid-batch flagging every device that
//! had not enrolled, serials that disagree, an expected device Intune shows that the bench
//! never saw, a token that expires before the due date blocking printing.

use serde_json::json;
use stagebench_core::batch::progress::{
    batch_progress, report_devices, token_check, BatchTokenState,
};
use stagebench_core::batch::BatchStore;
use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
use stagebench_core::clock::ManualClock;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::BatchId;
use stagebench_core::ids::DeviceId;
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::remedy::Remedy;
use stagebench_core::stage::{Flow, Stage};
use stagebench_core::store::{JoinedBy, Sighting, Store, EVENT_POWERED_OFF};
use time::{Duration, OffsetDateTime};

fn batch(now: OffsetDateTime, flow: Flow, expires_in_days: i64, due_in_days: i64) -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: "Warehouse scanners".into(),
            profile: ProfileFacts {
                profile_id: "prof-1".into(),
                profile_name: "Staging — warehouse".into(),
                flow,
                enrollment_mode: "corporateOwnedFullyManaged".into(),
                token_expires: Some(now + Duration::days(expires_in_days)),
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: Some("dem@contoso.example".into()),
            },
            vendor: "Acme Staging".into(),
            due: Some((now + Duration::days(due_in_days)).date()),
            expected_count: Some(4),
            expected_serials: vec!["R5CR0001".into(), "R5CR0002".into(), "R5CR0003".into()],
        },
        created_at: now,
        created_by: "admin@contoso.example".into(),
        origin: BatchOrigin::Local,
    }
}

fn see(store: &mut Store, serial: &str, provisioned: bool, owner: bool, boot: u32) -> DeviceId {
    let evidence = json!({
        "device_provisioned": provisioned,
        "user_setup_complete": provisioned,
        "device_owner": owner.then_some("com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"),
        "boot_count": boot,
        "intune_app": null, "company_portal": null, "authenticator": null, "imei": null,
        "firmware": {}, "unread": []
    });
    let id = store
        .record_sighting(
            &Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)])
                .with_facts(json!({"manufacturer": "samsung", "model": "SM-G991B", "android_release": "14", "slot_number": 3, "evidence": evidence})),
        )
        .unwrap();
    store.assign_batch(id).unwrap();
    id
}

#[test]
fn devices_walk_through_the_stages_and_problems_are_raised() {
    let clock = ManualClock::at_test_epoch();
    let t0 = stagebench_core::clock::Clock::now(&clock);
    let mut store = Store::open_in_memory().unwrap().with_clock(clock.clone());
    let b = batch(t0, Flow::StagingToken, 30, 10);
    store.create_batch(&b).unwrap();
    let other = batch(t0, Flow::AospUserless, 30, 10);
    store.create_batch(&other).unwrap();
    store.set_active_batch(Some(&other.id)).unwrap();

    // An expected serial joins its batch even though another batch is active; an unexpected
    // device joins the active batch.
    let a = see(&mut store, "R5CR0001", false, false, 2);
    let x = see(&mut store, "ZZZ999", false, false, 2);
    assert_eq!(store.batch_of(a).unwrap(), Some(b.id.clone()));
    assert_eq!(store.batch_of(x).unwrap(), Some(other.id.clone()));
    assert_eq!(
        store.batch_devices(&b.id).unwrap()[0].1,
        JoinedBy::ExpectedSerial
    );

    store.record_qr_shown(&b.id, "tech").unwrap();
    clock.advance(Duration::minutes(1));
    let bdev = see(&mut store, "R5CR0002", true, true, 3);
    clock.advance(Duration::minutes(5));
    see(&mut store, "R5CR0002", true, true, 4); // rebooted during enrollment
    clock.advance(Duration::minutes(5));
    see(&mut store, "R5CR0002", true, true, 4); // same again: not reported twice
    store
        .record_action(bdev, EVENT_POWERED_OFF, "tech")
        .unwrap();

    let rec = store.find_batch(b.id.short()).unwrap();
    let now = store.clock_now();
    let p = batch_progress(&store, &rec, now).unwrap();
    let by_serial = |serial: &str| {
        p.devices
            .iter()
            .find(|d| d.serial.as_deref() == Some(serial))
            .unwrap()
            .clone()
    };
    assert_eq!(by_serial("R5CR0001").state.stage, Stage::Scanning);
    assert!(by_serial("R5CR0001")
        .state
        .instruction
        .contains("Scan the QR now"));
    let two = by_serial("R5CR0002");
    assert_eq!(two.state.stage, Stage::BenchDone);
    assert_eq!(two.state.problems[0].id, "reboot-during-enrollment");
    assert_eq!(p.not_seen, ["R5CR0003"]);
    let count = |s: Stage| p.counts.iter().find(|c| c.stage == s).unwrap().count;
    assert_eq!(
        (
            count(Stage::Scanning),
            count(Stage::BenchDone),
            count(Stage::InIntune)
        ),
        (1, 1, 0)
    );
    assert!(!p.token.printing_blocked, "{:?}", p.token);

    // Intune confirms stage 2 for the second device; an expected device the bench never saw
    // shows up in Intune.
    let status = IntuneStatus::derive(
        "i-2",
        "Staging_R5CR0002_AndroidEnterprise_1/2/2026_9:00 AM",
        "R5CR0002",
        None,
        Some("managed"),
        None,
        None,
        None,
        None,
    );
    store
        .record_intune_status(Some(bdev), &status, now)
        .unwrap();
    let stranger = IntuneStatus::derive(
        "i-3",
        "Staging_R5CR0003_x",
        "R5CR0003",
        None,
        Some("managed"),
        None,
        None,
        None,
        None,
    );
    store.record_intune_status(None, &stranger, now).unwrap();
    // The token is revoked mid-batch: the device that had not enrolled is flagged, not the other.
    assert_eq!(store.mark_token_revoked("prof-1").unwrap(), 2);
    clock.advance(Duration::minutes(1));
    let rec = store.find_batch(b.id.as_str()).unwrap();
    let p = batch_progress(&store, &rec, store.clock_now()).unwrap();
    let by_serial = |serial: &str| {
        p.devices
            .iter()
            .find(|d| d.serial.as_deref() == Some(serial))
            .unwrap()
            .clone()
    };
    assert_eq!(by_serial("R5CR0002").state.stage, Stage::InIntune);
    assert!(by_serial("R5CR0002")
        .state
        .instruction
        .contains("Ready to hand over"));
    assert!(by_serial("R5CR0001")
        .state
        .problems
        .iter()
        .any(|q| q.id == "token-unusable"));
    assert!(!by_serial("R5CR0002")
        .state
        .problems
        .iter()
        .any(|q| q.id == "token-unusable"));
    let ids: Vec<&str> = p.problems.iter().map(|q| q.id.as_str()).collect();
    assert!(ids.contains(&"token-revoked"), "{ids:?}");
    assert!(ids.contains(&"in-intune-not-on-bench"), "{ids:?}");
    assert!(p.token.printing_blocked);

    // The report lists every device with its events, repeated sightings folded.
    let devices = report_devices(&store, &rec, store.clock_now()).unwrap();
    assert_eq!(devices.len(), 2);
    let two = devices
        .iter()
        .find(|d| d.serials[0].value == "R5CR0002")
        .unwrap();
    let kinds: Vec<&str> = two.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["seen", "batch-joined", "seen", "powered-off", "intune-seen"],
        "{:#?}",
        two.events
    );
    assert_eq!(two.events[3].technician.as_deref(), Some("tech"));
    assert_eq!(two.stage, Stage::InIntune);
}

#[test]
fn a_token_that_expires_before_the_due_date_blocks_printing() {
    let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let early = batch(now, Flow::StagingToken, 5, 10);
    let check = token_check(&early, None, now);
    assert_eq!(check.state, BatchTokenState::ExpiresBeforeDue);
    assert_eq!(
        serde_json::to_value(check.state).unwrap(),
        "expires-before-due",
        "the wire word stays"
    );
    assert!(check.printing_blocked);
    let message = check.message.unwrap();
    assert!(message.contains("before the batch is due"), "{message}");
    assert!(!message.contains("stagebench"), "{message}");
    assert!(
        matches!(check.remedy, Some(Remedy::ReplaceToken { .. })),
        "{:?}",
        check.remedy
    );
    let fine = batch(now, Flow::StagingToken, 30, 10);
    assert_eq!(token_check(&fine, None, now).state, BatchTokenState::Ok);
    assert_eq!(
        token_check(&fine, None, now + Duration::days(25)).state,
        BatchTokenState::ExpiringSoon
    );
    let gone = token_check(&fine, None, now + Duration::days(31));
    assert_eq!(
        (gone.state.name(), gone.printing_blocked),
        ("expired", true)
    );
    assert_eq!(
        token_check(&fine, Some("2026-01-01T00:00:00Z"), now).state,
        BatchTokenState::Revoked
    );
}

#[test]
fn serials_that_disagree_are_flagged_and_closed_batches_take_no_one() {
    let clock = ManualClock::at_test_epoch();
    let t0 = stagebench_core::clock::Clock::now(&clock);
    let mut store = Store::open_in_memory().unwrap().with_clock(clock);
    let b = batch(t0, Flow::StagingToken, 30, 10);
    store.create_batch(&b).unwrap();
    store.set_active_batch(Some(&b.id)).unwrap();
    let id = store
        .record_sighting(&Sighting::new([
            SerialObservation::new(SerialSource::UsbDescriptor, "ABC123"),
            SerialObservation::new(SerialSource::RoSerialno, "XYZ789"),
        ]))
        .unwrap();
    store.assign_batch(id).unwrap();
    let p = batch_progress(&store, &store.find_batch(&b.spec.name).unwrap(), t0).unwrap();
    assert_eq!(p.devices[0].state.problems[0].id, "serial-identity");
    store.close_batch(&b.id).unwrap();
    assert_eq!(store.active_batch().unwrap(), None);
    let later = store
        .record_sighting(&Sighting::new([SerialObservation::new(
            SerialSource::RoSerialno,
            "R5CR0002",
        )]))
        .unwrap();
    assert_eq!(store.assign_batch(later).unwrap(), None);
    assert!(store
        .add_to_batch(&b.id, later, JoinedBy::Manual)
        .unwrap_err()
        .to_string()
        .contains("closed"));
}

#[test]
fn a_device_shows_its_slot_number_as_the_bench_numbers_it_now() {
    let clock = ManualClock::at_test_epoch();
    let t0 = stagebench_core::clock::Clock::now(&clock);
    let mut store = Store::open_in_memory().unwrap().with_clock(clock);
    let b = batch(t0, Flow::StagingToken, 30, 10);
    store.create_batch(&b).unwrap();
    let port = "127.0.0.1:5555";
    store.assign_slot(port, 8, None).unwrap();
    // The sighting noted slot 8 when the device was read.
    let id = store
        .record_sighting(
            &Sighting::new([SerialObservation::new(SerialSource::RoSerialno, "R5CR0001")])
                .at_slot(port)
                .with_facts(json!({"slot_number": 8})),
        )
        .unwrap();
    store.assign_batch(id).unwrap();
    let slot = |store: &Store| {
        let rec = store.find_batch(b.id.short()).unwrap();
        batch_progress(store, &rec, store.clock_now())
            .unwrap()
            .devices[0]
            .slot
    };
    assert_eq!(slot(&store), Some(8));
    store.free_slot(8).unwrap();
    store.assign_slot(port, 12, None).unwrap();
    assert_eq!(slot(&store), Some(12), "renumbered: the number now");
    store.free_slot(12).unwrap();
    assert_eq!(slot(&store), None, "freed: no number");
}
