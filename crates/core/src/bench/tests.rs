//! The bench watcher's tests: restaging, refresh, actions, the server down, unplugged tiles.

use std::sync::Mutex;

use super::*;
use crate::batch::progress::stage_of;
use crate::batch::{Batch, BatchStore};
use crate::stage::Stage;
use crate::store::{Sighting, EVENT_POWERED_OFF};

fn card(key: &str, serial: &str) -> BenchDevice {
    BenchDevice::for_tests(key, serial)
}

fn slotted(key: &str, serial: &str, slot: &str) -> BenchDevice {
    BenchDevice {
        slot: Some(slot.into()),
        ..BenchDevice::for_tests(key, serial)
    }
}

/// Issue 14: renumbered from 8 to 12, a card went back to "Slot 8" when the cards were sent
/// again (the read it kept had the old number); its box label shows once scanned.
#[test]
fn every_restage_shows_the_current_slot_number_and_box_label() {
    let mut store = Store::open_in_memory().unwrap();
    let mut cards = vec![slotted("a", "R5CR8", "1-8")];
    let id = store
        .record_sighting(&Sighting::new(cards[0].serials.clone()).at_slot("1-8"))
        .unwrap();
    cards[0].device_id = Some(id);
    store.assign_slot("1-8", 8, None).unwrap();
    cards[0].slot_number = Some(8);
    store
        .move_slot("1-8", 12, None, crate::store::Attached::Ports(&[]))
        .unwrap();
    restage(&mut store, &mut cards, false);
    assert_eq!(cards[0].slot_number, Some(12));
    store
        .record_box_label(id, "BOX0042", Some(12), "ana")
        .unwrap();
    restage(&mut store, &mut cards, false);
    assert_eq!(cards[0].box_label.as_deref(), Some("BOX0042"));
    store.free_slot(12).unwrap();
    restage(&mut store, &mut cards, false);
    assert_eq!(cards[0].slot_number, None, "freed");
}

#[test]
fn devices_already_attached_join_a_new_batch_and_actions_show_at_once() {
    let mut store = Store::open_in_memory().unwrap();
    let mut cards = vec![
        slotted("a", "R5CR1", "127.0.0.1:5555"),
        slotted("b", "OTHER", "127.0.0.1:5556"),
    ];
    for c in &mut cards {
        c.device_id = Some(
            store
                .record_sighting(&Sighting::new(c.serials.clone()).at_slot(c.slot.clone().unwrap()))
                .unwrap(),
        );
    }
    let b = Batch::for_tests("Wave 1", &["R5CR1"]);
    store.create_batch(&b).unwrap();
    restage(&mut store, &mut cards, false);
    assert_eq!(cards[0].batch, None, "joining waits for assign");
    restage(&mut store, &mut cards, true);
    assert_eq!(cards[0].batch.as_ref(), Some(&b.id));
    assert_eq!(cards[0].stage.as_ref().map(|s| s.stage), Some(Stage::New));
    assert_eq!(
        (cards[1].batch.as_ref(), cards[1].stage.as_ref()),
        (None, None),
        "not expected, no active batch"
    );
    let id = cards[0].device_id.unwrap();
    assert_eq!(
        crate::device::history::stored_device(&store, &cards[0].serials, cards[0].slot.as_deref())
            .unwrap(),
        Some(id),
        "the lookup agrees"
    );
    store.record_action(id, EVENT_POWERED_OFF, "tech").unwrap();
    restage(&mut store, &mut cards, false);
    assert_eq!(
        cards[0].stage.as_ref().map(|s| s.stage),
        Some(Stage::New),
        "powered off before enrolling changes nothing"
    );
}

fn batch(name: &str) -> Batch {
    Batch::for_tests(name, &[])
}

#[tokio::test]
async fn snapshots_are_restaged_and_refresh_joins_the_active_batch() {
    let store: SharedStore = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
    let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
    let mut rx = watcher.receiver();
    let mut a = card("a", "R5CR1");
    a.device_id = Some(
        store
            .lock()
            .unwrap()
            .record_sighting(&Sighting::new(a.serials.clone()))
            .unwrap(),
    );
    watcher.apply(BenchEvent::Snapshot {
        devices: vec![a, card("b", "UNREAD")],
        unplugged: vec![],
    });
    assert!(rx.has_changed().unwrap());
    let view = rx.borrow_and_update().clone();
    assert_eq!(view.devices.len(), 2);
    assert_eq!(view.devices[0].batch, None);
    assert_eq!(watcher.card("b").map(|c| c.key), Some("b".to_owned()));
    assert_eq!(watcher.card("zz"), None);

    let wave = batch("Wave 1");
    {
        let mut s = store.lock().unwrap();
        s.create_batch(&wave).unwrap();
        s.set_active_batch(Some(&wave.id)).unwrap();
    }
    watcher.refresh(false);
    assert!(!rx.has_changed().unwrap(), "nothing changed without assign");
    watcher.refresh(true);
    let view = rx.borrow_and_update().clone();
    assert_eq!(view.devices[0].batch.as_ref(), Some(&wave.id));
    assert!(view.devices[0].stage.is_some());
    assert_eq!(
        view.devices[1].batch, None,
        "a card without a device id stays"
    );

    // A technician action lands on the card's device and is shown at once.
    assert!(matches!(
        watcher.record_action("a", "switched-on"),
        Err(ActionError::Unknown(_))
    ));
    assert!(matches!(
        watcher.record_action("zz", "powered-off"),
        Err(ActionError::NotOnBench)
    ));
    assert!(matches!(
        watcher.record_action("b", "powered-off"),
        Err(ActionError::NotRecorded)
    ));
    watcher.record_action("a", "powered-off").unwrap();
    let id = view.devices[0].device_id.unwrap();
    let events = store.lock().unwrap().device_events(id).unwrap();
    assert!(events.iter().any(|e| e.kind == "powered-off"), "{events:?}");

    // The same snapshot again (the watcher's cached card has no batch): restaged, unchanged.
    let mut again = card("a", "R5CR1");
    again.device_id = view.devices[0].device_id;
    rx.borrow_and_update();
    watcher.apply(BenchEvent::Snapshot {
        devices: vec![again, card("b", "UNREAD")],
        unplugged: vec![],
    });
    assert!(!rx.has_changed().unwrap(), "restaged: nothing new to send");
}

#[tokio::test]
async fn server_down_keeps_the_cards_and_history_off_stays() {
    let watcher = BenchWatcher::new(Err(&StoreError::NoDataDir), Handle::current());
    let rx = watcher.receiver();
    let off = rx.borrow().history_off.clone().unwrap();
    assert!(
        off.starts_with("Devices are shown but not saved: "),
        "{off}"
    );
    watcher.apply(BenchEvent::Snapshot {
        devices: vec![card("a", "R5CR1")],
        unplugged: vec![],
    });
    watcher.apply(BenchEvent::ServerDown {
        message: "start it".into(),
    });
    let view = rx.borrow().clone();
    assert_eq!(
        (view.devices.len(), view.server_down.as_deref()),
        (1, Some("start it"))
    );
    assert_eq!(view.history_off.as_deref(), Some(off.as_str()));
    watcher.apply(BenchEvent::Snapshot {
        devices: vec![],
        unplugged: vec![],
    });
    let view = rx.borrow().clone();
    assert_eq!((view.devices.len(), view.server_down), (0, None));
    assert!(view.history_off.is_some(), "for the whole run");
}

fn shared(store: Store) -> SharedStore {
    Arc::new(Mutex::new(store))
}

fn snapshot(devices: Vec<BenchDevice>, unplugged: Vec<BenchDevice>) -> BenchEvent {
    BenchEvent::Snapshot { devices, unplugged }
}

/// A card at `port` as the device watcher read it when the slot was `number`.
fn read_at_slot(store: &SharedStore, serial: &str, port: &str, number: u32) -> BenchDevice {
    let mut c = slotted(port, serial, port);
    c.slot_number = Some(number);
    c.device_id = Some(
        store
            .lock()
            .unwrap()
            .record_sighting(&Sighting::new(c.serials.clone()).at_slot(port))
            .unwrap(),
    );
    c
}

#[tokio::test]
async fn slot_numbers_are_read_fresh_on_every_publish() {
    let clock = crate::clock::ManualClock::at_test_epoch();
    let store = shared(Store::open_in_memory().unwrap().with_clock(clock));
    let port = "127.0.0.1:5555";
    store.lock().unwrap().assign_slot(port, 8, None).unwrap();
    let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
    let rx = watcher.receiver();
    let old_read = read_at_slot(&store, "2109100002", port, 8);
    watcher.apply(snapshot(vec![old_read.clone()], vec![]));
    assert_eq!(rx.borrow().devices[0].slot_number, Some(8));

    // Renumbered from 8 to 12 (the watcher does not re-read the device for that).
    {
        let mut s = store.lock().unwrap();
        s.free_slot(8).unwrap();
        s.assign_slot(port, 12, None).unwrap();
    }
    // A change of active batch refreshes the cards: the number is the store's, not the read's.
    let wave = Batch::for_tests("Wave 1", &[]);
    {
        let mut s = store.lock().unwrap();
        s.create_batch(&wave).unwrap();
        s.set_active_batch(Some(&wave.id)).unwrap();
    }
    watcher.refresh(true);
    assert_eq!(rx.borrow().devices[0].slot_number, Some(12));
    // The device watcher sends its older read again (another device changed): still 12.
    watcher.apply(snapshot(vec![old_read], vec![]));
    assert_eq!(rx.borrow().devices[0].slot_number, Some(12));
    // Freed: no number, not the old one.
    store.lock().unwrap().free_slot(12).unwrap();
    watcher.refresh(false);
    assert_eq!(rx.borrow().devices[0].slot_number, None);
}

#[tokio::test]
async fn a_sync_shows_on_the_cards_at_the_next_refresh_with_the_same_facts_as_the_stage() {
    use crate::intune::status::IntuneStatusStore;
    let store = shared(Store::open_in_memory().unwrap());
    let port = "127.0.0.1:5555";
    store.lock().unwrap().assign_slot(port, 3, None).unwrap();
    let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
    let rx = watcher.receiver();
    let c = read_at_slot(&store, "R5CR1", port, 3);
    let id = c.device_id.unwrap();
    let wave = Batch::for_tests("Wave 1", &["R5CR1"]);
    store.lock().unwrap().create_batch(&wave).unwrap();
    watcher.apply(snapshot(vec![c], vec![]));
    watcher.refresh(true);
    assert_eq!(rx.borrow().devices[0].intune, None);
    // The sync finds it in Intune.
    let now = time::OffsetDateTime::now_utc();
    let status = staged_in_intune();
    store
        .lock()
        .unwrap()
        .record_intune_status(Some(id), &status, now)
        .unwrap();
    watcher.refresh(false);
    let card = rx.borrow().devices[0].clone();
    assert_eq!(card.stage.as_ref().map(|s| s.stage), Some(Stage::InIntune));
    assert_eq!(
        card.intune.as_ref().map(|i| i.intune_id.as_str()),
        Some("md-1"),
        "Intune's line and the stage come from the same store"
    );
    assert!(card.intune_checked_at.is_some());
    assert_eq!(card.slot_number, Some(3), "the sync keeps the slot number");
    assert_eq!(card.status.word, "Ready to hand over");
    // Intune loses it: the stage stays (milestones stay), the status says so.
    store
        .lock()
        .unwrap()
        .record_intune_gone("md-1", now)
        .unwrap();
    watcher.refresh(false);
    let card = rx.borrow().devices[0].clone();
    assert_eq!(
        (card.intune.as_ref(), card.status.word.as_str()),
        (None, "Intune lost it")
    );
    assert!(card.intune_gone_since.is_some());
}

#[tokio::test]
async fn unplugged_tiles_stay_until_dismissed_and_come_back_when_the_device_leaves_again() {
    let store = shared(Store::open_in_memory().unwrap());
    let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
    let rx = watcher.receiver();
    let port = "127.0.0.1:5555";
    store.lock().unwrap().assign_slot(port, 8, None).unwrap();
    let live = read_at_slot(&store, "R5CR1", "127.0.0.1:5556", 0);
    let mut tile = read_at_slot(&store, "2109100002", port, 8);
    tile.unplugged_at = Some("2025-01-01T15:01:00.000Z".into());
    watcher.apply(snapshot(vec![live.clone()], vec![tile.clone()]));
    let view = rx.borrow().clone();
    assert_eq!(view.devices.len(), 1);
    assert_eq!(view.unplugged.len(), 1);
    assert_eq!(view.unplugged[0].slot_number, Some(8));
    assert_eq!(
        view.unplugged[0].status.kind,
        crate::device::StatusKind::Unplugged
    );

    // A device whose policy closed USB is powered off unseen: the action lands on its tile.
    watcher.record_action(port, "powered-off").unwrap();
    assert_eq!(watcher.dismiss(&live.key), Err(DismissError::StillPlugged));
    assert_eq!(watcher.dismiss("nobody"), Err(DismissError::NoTile));
    watcher.dismiss(port).unwrap();
    assert!(rx.borrow().unplugged.is_empty());
    assert_eq!(watcher.dismiss(port), Err(DismissError::NoTile));
    // The device watcher still sends the tile: it stays dismissed.
    watcher.apply(snapshot(vec![live.clone()], vec![tile.clone()]));
    assert!(rx.borrow().unplugged.is_empty());
    // Back, then gone again later: a new tile.
    watcher.apply(snapshot(vec![live.clone()], vec![]));
    tile.unplugged_at = Some("2025-01-01T15:30:00.000Z".into());
    watcher.apply(snapshot(vec![live], vec![tile]));
    assert_eq!(rx.borrow().unplugged.len(), 1);
}

#[test]
fn the_technician_on_record_is_the_setting_else_the_signed_in_person() {
    use crate::audit::TechnicianSource;
    use crate::store::TenantRow;
    let mut store = Store::open_in_memory().unwrap();
    let row = |mode: &str| TenantRow {
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "00000000-0000-0000-0000-000000000001".into(),
        mode: mode.into(),
        certificate_path: None,
        private_key_path: None,
        certificate_pem: None,
        account: Some("tech@contoso.com".into()),
    };
    store
        .set_bench_setting(crate::store::TECHNICIAN_SETTING, Some("Ana"))
        .unwrap();
    store.set_tenant_row(&row("device-code")).unwrap();
    let on_record = store.technician_on_record();
    assert_eq!(
        (on_record.name.as_str(), on_record.source),
        ("Ana", TechnicianSource::Setting)
    );
    store
        .set_bench_setting(crate::store::TECHNICIAN_SETTING, None)
        .unwrap();
    // The environment names someone only when the test runner sets it.
    if std::env::var(crate::audit::TECHNICIAN_ENV).is_err() {
        let on_record = store.technician_on_record();
        assert_eq!(
            (on_record.name.as_str(), on_record.source),
            ("tech@contoso.com", TechnicianSource::Account)
        );
        // An app signed in with its own secret is nobody: the OS user is on record.
        store.set_tenant_row(&row("client-secret")).unwrap();
        assert_ne!(
            store.technician_on_record().source,
            TechnicianSource::Account
        );
    }
}

#[tokio::test]
async fn each_sync_the_tenant_reports_refreshes_the_cards() {
    use crate::intune::state::TenantState;
    use crate::intune::status::IntuneStatusStore;
    let store = shared(Store::open_in_memory().unwrap());
    let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
    let mut rx = watcher.receiver();
    let c = read_at_slot(&store, "R5CR1", "127.0.0.1:5555", 0);
    let id = c.device_id.unwrap();
    watcher.apply(snapshot(vec![c], vec![]));
    rx.borrow_and_update();
    let tenant = watch::Sender::new(TenantState::default());
    watcher.refresh_after_syncs(tenant.subscribe());
    let status = staged_in_intune();
    store
        .lock()
        .unwrap()
        .record_intune_status(Some(id), &status, time::OffsetDateTime::now_utc())
        .unwrap();
    tenant.send_modify(|s| s.last_sync = Some("2025-01-01T10:00:00Z".into()));
    tokio::time::timeout(std::time::Duration::from_secs(120), rx.changed())
        .await
        .expect("the sync refreshed the cards")
        .unwrap();
    assert_eq!(
        rx.borrow().devices[0]
            .intune
            .as_ref()
            .map(|i| i.intune_id.as_str()),
        Some("md-1")
    );
}

/// What a sync records for R5CR1 once Intune shows it with its staging name and no user.
fn staged_in_intune() -> crate::intune::status::IntuneStatus {
    staged_as(
        "md-1",
        "Staging_R5CR1_AndroidEnterprise_1/1/25_9.05 AM",
        "R5CR1",
    )
}

/// What a sync records for a device Intune shows under `name`, managed, with no user yet.
fn staged_as(id: &str, name: &str, serial: &str) -> crate::intune::status::IntuneStatus {
    crate::intune::status::IntuneStatus::derive(
        id,
        name,
        serial,
        None,
        Some("managed"),
        None,
        None,
        None,
        None,
    )
}

/// Issue 15 §6: a device that never shows on USB in the set-up wizard, but whose box was
/// scanned into the active batch, is a card by its scanned serial until Intune shows it
/// (its stage 2 then comes from Intune's evidence alone).
#[tokio::test]
async fn a_device_never_seen_on_usb_is_a_card_by_the_serial_scanned_from_its_box() {
    use crate::intune::status::IntuneStatusStore;
    use crate::scanner::{into_batch::take, Scan, ScanResult};
    let store: SharedStore = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
    let wave = Batch::for_tests("Wave 15", &["R5CR0SCAN1"]);
    {
        let mut s = store.lock().unwrap();
        s.create_batch(&wave).unwrap();
        s.set_active_batch(Some(&wave.id)).unwrap();
        let scan = Scan {
            text: "r5cr0scan1".into(),
            symbology: None,
        };
        assert_eq!(take(&mut s, None, None, &scan).result, ScanResult::Added);
    }
    let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
    let mut rx = watcher.receiver();
    let live = card("a", "R5CRLIVE01");
    watcher.apply(snapshot(vec![live], vec![]));
    let view = rx.borrow_and_update().clone();
    assert_eq!(view.devices.len(), 2, "{:#?}", view.devices);
    let scanned = &view.devices[1];
    assert_eq!(
        (scanned.key.as_str(), scanned.serial.as_deref()),
        ("scan:R5CR0SCAN1", Some("R5CR0SCAN1"))
    );
    assert_eq!(scanned.batch.as_ref(), Some(&wave.id));
    assert_eq!(scanned.status.word, "Not visible on USB");
    assert!(
        scanned.status.next_step.contains("Staging_R5CR0SCAN1_")
            && scanned.status.next_step.contains("set-up wizard"),
        "{}",
        scanned.status.next_step
    );
    // A refresh keeps one card for it, not two.
    watcher.refresh(false);
    assert_eq!(rx.borrow().devices.len(), 2);
    // Intune shows it by its serial: stage 2 done, the bench has nothing left to do for it.
    let id = scanned.device_id.unwrap();
    {
        let mut s = store.lock().unwrap();
        let status = staged_as(
            "md-15",
            "Staging_R5CR0SCAN1_AndroidEnterprise_12/08/26_1.05 AM",
            "R5CR0SCAN1",
        );
        let now = s.clock_now();
        s.record_intune_status(Some(id), &status, now).unwrap();
        let (_, stage) = stage_of(&s, id, now).unwrap().unwrap();
        assert_eq!(stage.stage, Stage::InIntune);
    }
    watcher.refresh(false);
    assert_eq!(rx.borrow().devices.len(), 1, "done: its card goes");
}

/// Issue 15, points 1 and 2: a card's findings follow its batch's profile. An Android 9 phone
/// in a staging batch is warned with both of Microsoft's pages (Android 10 and 8); in an AOSP
/// batch, a RealWear model Microsoft doesn't list is flagged with the list's date, before the
/// device scans the QR.
#[test]
fn cards_in_a_batch_are_checked_against_its_profile() {
    use crate::batch::ProfileFacts;
    use crate::stage::Flow;
    let mut store = Store::open_in_memory().unwrap();
    let read =
        |key: &str, serial: &str, maker: &str, model: &str, release: &str, sdk: u32| BenchDevice {
            manufacturer: Some(maker.into()),
            model: Some(model.into()),
            android_release: Some(release.into()),
            sdk: Some(sdk),
            read_at: Some("2026-12-08T01:00:00Z".into()),
            ..BenchDevice::for_tests(key, serial)
        };
    let mut cards = vec![
        read("a", "R5CR9", "samsung", "SM-A105F", "9", 28),
        read("b", "NAV520", "RealWear inc.", "A31G", "11", 30),
    ];
    for c in &mut cards {
        c.device_id = Some(
            store
                .record_sighting(&Sighting::new(c.serials.clone()))
                .unwrap(),
        );
    }
    let rules = |c: &BenchDevice| c.problems.iter().map(|f| f.rule).collect::<Vec<_>>();
    // The RealWear is checked without a batch too (Intune enrolls it only through AOSP).
    restage(&mut store, &mut cards, false);
    assert_eq!(rules(&cards[0]), Vec::<&str>::new(), "no batch, no profile");

    let staging = Batch::for_tests("Phones", &["R5CR9"]);
    store.create_batch(&staging).unwrap();
    let mut aosp = Batch::for_tests("Headsets", &["NAV520"]);
    aosp.spec.profile = ProfileFacts::offline(Flow::AospUserless, "Headsets", None, None);
    store.create_batch(&aosp).unwrap();
    restage(&mut store, &mut cards, true);
    assert_eq!(cards[0].batch.as_ref(), Some(&staging.id));
    assert_eq!(rules(&cards[0]), ["android-10"]);
    let floor = &cards[0].problems[0];
    assert_eq!(floor.severity, crate::device::Severity::Warning);
    for cited in [
        "fully managed set-up page",
        "2026-05-19",
        "Device staging overview",
        "2025-06-04",
    ] {
        assert!(floor.message.contains(cited), "{cited}: {}", floor.message);
    }

    assert_eq!(cards[1].batch.as_ref(), Some(&aosp.id));
    assert_eq!(rules(&cards[1]), ["realwear-firmware"]);
    assert_eq!(
        cards[1].problems[0].message,
        "The RealWear Navigator 520 is not on Microsoft's AOSP supported devices list (ms.date 2026-05-13)."
    );
    // Found again on every restage, not added twice.
    restage(&mut store, &mut cards, false);
    assert_eq!(rules(&cards[0]), ["android-10"]);
}

/// Issue 15 point 4: a device back for re-staging whose old Intune record (enrolled before it
/// joined this batch) is still there: the card says to Delete that record before the wipe
/// (Retire is not offered for corporate Android), with the Entra hint, and, for a COPE device
/// on Android 15, that a Settings reset asks for the FRP account; each with its source. A
/// record enrolled after it joined (this staging's own) raises nothing.
#[test]
fn a_returned_device_with_an_old_intune_record_says_delete_it_before_the_wipe() {
    use crate::intune::status::{IntuneStatus, IntuneStatusStore};
    let mut store = Store::open_in_memory().unwrap();
    let mut cards = vec![BenchDevice {
        android_release: Some("15".into()),
        ..slotted("a", "R5CR1", "127.0.0.1:5555")
    }];
    let id = store
        .record_sighting(&Sighting::new(cards[0].serials.clone()).at_slot("127.0.0.1:5555"))
        .unwrap();
    cards[0].device_id = Some(id);
    store
        .create_batch(&Batch::for_tests("Returns", &["R5CR1"]))
        .unwrap();
    restage(&mut store, &mut cards, true);
    let old = |id: &str, enrolled: &str| {
        IntuneStatus::derive(
            id,
            "ana_AndroidForWork_6/2/2025_10:00 AM",
            "R5CR1",
            Some("androidEnterpriseCorporateWorkProfile"),
            Some("managed"),
            Some("ana@contoso.com"),
            None,
            Some(enrolled),
            None,
        )
    };
    let now = time::OffsetDateTime::now_utc();
    store
        .record_intune_status(Some(id), &old("md-old", "2025-06-02T10:00:00Z"), now)
        .unwrap();
    restage(&mut store, &mut cards, false);
    let card = &cards[0];
    let rules: Vec<&str> = card.problems.iter().map(|p| p.rule).collect();
    assert!(
        rules.contains(&"intune-existing-record") && rules.contains(&"cope-frp"),
        "{rules:?}"
    );
    let record = card
        .problems
        .iter()
        .find(|p| p.rule == "intune-existing-record")
        .unwrap();
    assert!(
        record.message.contains("R5CR1")
            && record.next_step.contains("Delete this record")
            && record.next_step.contains("Retire is not offered")
            && record.next_step.contains("Entra")
            && record.next_step.contains("2026-08-06"),
        "{record:?}"
    );
    let frp = card.problems.iter().find(|p| p.rule == "cope-frp").unwrap();
    assert!(
        frp.message.contains("Android 15") && frp.next_step.contains("2026-10-02"),
        "{frp:?}"
    );
    assert_eq!(card.status.word, "Delete old record");
    // Deleted in Intune; this staging's own record (enrolled after it joined) raises nothing.
    store.record_intune_gone("md-old", now).unwrap();
    let fresh = crate::clock::timestamp(now + time::Duration::minutes(5));
    store
        .record_intune_status(Some(id), &old("md-new", &fresh), now)
        .unwrap();
    restage(&mut store, &mut cards, false);
    assert!(
        cards[0]
            .problems
            .iter()
            .all(|p| p.rule != "intune-existing-record" && p.rule != "cope-frp"),
        "{:?}",
        cards[0].problems
    );
}
