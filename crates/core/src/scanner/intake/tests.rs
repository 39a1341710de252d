//! The intake on an in-memory store: held scans, adding them to a batch, a port that comes late.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::batch::{Batch, BatchStore};
use crate::identity::{SerialObservation, SerialSource};
use crate::scanner::Scan;
use crate::store::{Sighting, Store};

fn intake() -> (ScannerIntake, StoreHandle, Arc<AtomicUsize>) {
    let store = StoreHandle::new(Store::open_in_memory().unwrap());
    let joined = Arc::new(AtomicUsize::new(0));
    let counter = joined.clone();
    let intake = ScannerIntake::new(store.clone(), move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (intake, store, joined)
}

fn line(text: &str) -> ScanLine {
    ScanLine {
        raw: text.into(),
        scan: Ok(Scan {
            text: text.into(),
            symbology: None,
        }),
    }
}

fn wave(store: &StoreHandle) -> BatchId {
    let b = Batch::for_tests("Wave 1", &[]);
    store.lock().create_batch(&b).unwrap();
    b.id
}

#[test]
fn held_scans_outlive_the_recent_list_and_the_view_goes_to_subscribers() {
    let (intake, _, _) = intake();
    let rx = intake.subscribe();
    assert_eq!(
        rx.borrow().status,
        ScannerStatus::Off,
        "a subscriber gets the view at once"
    );
    let at = "1970-01-01T00:00:00Z".to_owned();
    let refused = |message: &str| Taken {
        result: ScanResult::Refused,
        message: Some(message.into()),
        batch: None,
        device: None,
        held: None,
        slot: None,
    };
    {
        let mut state = intake.lock();
        let mut held = refused(into_batch::NO_ACTIVE_BATCH);
        held.result = ScanResult::Held;
        state.push(ScanRecord::new(at.clone(), "HELD1".into(), None, held));
        for i in 0..RECENT + 5 {
            state.push(ScanRecord::new(
                at.clone(),
                format!("S{i}"),
                None,
                refused("no"),
            ));
        }
        intake.publish(&state);
    }
    let last = rx.borrow().clone();
    assert_eq!(last.scans.len(), RECENT);
    assert_eq!(
        last.scans[0].text,
        format!("S{}", RECENT + 4),
        "newest first"
    );
    assert_eq!(
        last.scans.last().unwrap().text,
        "HELD1",
        "a held scan is never dropped"
    );
    assert_eq!(last.scans[0].at, "1970-01-01T00:00:00Z");
}

#[test]
fn scans_held_here_and_by_the_cli_are_added_to_the_batch_on_screen() {
    let (intake, store, joined) = intake();
    // Serials of devices the bench has read (a code no device has waits for a slot instead:
    // see the next test).
    for serial in ["NEWBOX0009", "R5CR0001", "R5CR0002"] {
        read(&store, serial, None);
    }
    let mut rx = intake.subscribe();
    intake.take(&line("newbox0009"));
    intake.take(&ScanLine {
        raw: "AB\u{1b}CD".into(),
        scan: Err(ScanError::Garbled),
    });
    store
        .lock()
        .hold_scan("R5CR0001", Some("]C0"), into_batch::NO_ACTIVE_BATCH)
        .unwrap();
    intake.refresh_held();
    let view = rx.borrow_and_update().clone();
    let held: Vec<_> = view
        .scans
        .iter()
        .filter(|r| r.result == ScanResult::Held)
        .map(|r| r.text.as_str())
        .collect();
    assert_eq!(
        held,
        ["R5CR0001", "NEWBOX0009"],
        "the CLI's held scan is listed"
    );
    assert_eq!(view.scans[1].result, ScanResult::Refused);
    assert_eq!(view.scans[1].refusal, Some(ScanError::Garbled));

    let id = wave(&store);
    let shown = view
        .scans
        .iter()
        .find(|r| r.text == "NEWBOX0009")
        .unwrap()
        .id;
    assert_eq!(intake.add_held(id.as_str()).unwrap(), 2);
    let view = rx.borrow_and_update().clone();
    let added = view.scans.iter().find(|r| r.text == "NEWBOX0009").unwrap();
    assert_eq!(
        (added.id, added.result, added.batch.as_ref()),
        (shown, ScanResult::Added, Some(&id)),
        "the held row turns into the added one"
    );
    assert!(view.scans.iter().all(|r| r.result != ScanResult::Held));
    assert!(store.lock().held_scans().unwrap().is_empty());
    assert_eq!(joined.load(Ordering::SeqCst), 1, "the bench is told once");

    store.lock().set_active_batch(Some(&id)).unwrap();
    intake.take(&line("R5CR0002"));
    assert_eq!(rx.borrow().scans[0].result, ScanResult::Added);
    assert_eq!(joined.load(Ordering::SeqCst), 2);
}

/// A device read on the bench with this serial (at `port`, when given).
fn read(store: &StoreHandle, serial: &str, port: Option<&str>) -> crate::ids::DeviceId {
    let serials = [SerialObservation::new(SerialSource::RoSerialno, serial)];
    let sighting = Sighting::new(serials);
    let sighting = match port {
        Some(port) => sighting.at_slot(port),
        None => sighting,
    };
    store.lock().record_sighting(&sighting).unwrap()
}

#[test]
fn a_box_label_from_the_serial_scanner_waits_for_its_slot_and_is_tied_there() {
    let (intake, store, joined) = intake();
    let mut rx = intake.subscribe();
    let id = wave(&store);
    store.lock().set_active_batch(Some(&id)).unwrap();
    store.lock().assign_slot("1-4", 4, None).unwrap();
    let device = read(&store, "R5CR0004", Some("1-4"));
    intake.take(&line("BOX0042"));
    let view = rx.borrow_and_update().clone();
    let waiting = &view.scans[0];
    assert_eq!(
        (waiting.result, waiting.message.as_deref()),
        (ScanResult::Waiting, Some(into_batch::WAITING_FOR_SLOT))
    );
    let held = waiting.held.expect("kept, to be tied");
    assert_eq!(joined.load(Ordering::SeqCst), 0, "no device joined");
    // Listed again (another window, or after a restart): still waiting.
    let again = ScannerIntake::new(store.clone(), || {});
    let listed = again.subscribe().borrow().scans.clone();
    assert_eq!(
        (listed[0].result, listed[0].held),
        (ScanResult::Waiting, Some(held))
    );
    let tied = intake.tie_held(held, 4).unwrap();
    assert_eq!((tied.result, tied.slot), (ScanResult::Tied, Some(4)));
    let view = rx.borrow_and_update().clone();
    assert_eq!(
        (view.scans[0].id, view.scans[0].result, view.scans[0].slot),
        (waiting.id, ScanResult::Tied, Some(4)),
        "the waiting row turns into the tied one"
    );
    assert_eq!(
        store.lock().box_label(device).unwrap().as_deref(),
        Some("BOX0042")
    );
    assert_eq!(joined.load(Ordering::SeqCst), 1, "the cards are sent again");
    assert!(matches!(intake.tie_held(held, 4), Err(TieError::Gone)));
}

#[tokio::test]
async fn a_missing_port_is_waited_for_and_a_new_setting_replaces_the_reader() {
    let (intake, store, _) = intake();
    let mut rx = intake.subscribe();
    let port = "/nonexistent/stagebench-scanner".to_owned();
    intake
        .save(ScannerSettings::new(&port, 9600).unwrap())
        .unwrap();
    assert_eq!(
        ScannerSettings::load(&store.lock())
            .unwrap()
            .port
            .as_deref(),
        Some(port.as_str()),
        "saved as the bench's setting"
    );
    let waiting = rx
        .wait_for(|v| matches!(v.status, ScannerStatus::Waiting { .. }))
        .await
        .unwrap()
        .clone();
    assert_eq!(intake.settings().port.as_deref(), Some(port.as_str()));
    assert!(format!("{:?}", waiting.status).contains(&port));
    intake.restart(ScannerSettings::default());
    assert_eq!(rx.borrow_and_update().status, ScannerStatus::Off);
}
