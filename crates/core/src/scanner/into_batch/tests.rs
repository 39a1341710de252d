//! The one rule for a scan on an in-memory store: into a batch, held, waiting, tied.

use super::*;
use crate::batch::Batch;
use crate::identity::{SerialObservation, SerialSource};
use crate::ids::DeviceId;
use crate::store::Sighting;

fn batch(store: &mut Store, name: &str) -> BatchId {
    let b = Batch::for_tests(name, &[]);
    store.create_batch(&b).unwrap();
    b.id
}

fn scan(text: &str) -> Scan {
    Scan {
        text: text.into(),
        symbology: None,
    }
}

/// A device read on the bench with this serial (at `port`, when given).
fn read(store: &mut Store, serial: &str, port: Option<&str>) -> DeviceId {
    let serials = [SerialObservation::new(SerialSource::RoSerialno, serial)];
    let sighting = Sighting::new(serials);
    let sighting = match port {
        Some(port) => sighting.at_slot(port),
        None => sighting,
    };
    store.record_sighting(&sighting).unwrap()
}

#[test]
fn scans_go_into_the_active_batch_and_are_held_without_one() {
    let mut store = Store::open_in_memory().unwrap();
    for serial in ["R5CR0001", "R5CR0002", "R5CR0003"] {
        read(&mut store, serial, None);
    }
    let held = take(&mut store, None, None, &scan("r5cr0001"));
    assert_eq!(
        (held.result, held.message.as_deref(), held.batch),
        (ScanResult::Held, Some(NO_ACTIVE_BATCH), None)
    );
    assert_eq!(
        held.held.map(|h| h.text),
        Some("R5CR0001".to_owned()),
        "kept, as the serial"
    );
    let wave = batch(&mut store, "Wave 1");
    store.set_active_batch(Some(&wave)).unwrap();
    let added = take(&mut store, None, None, &scan("r5cr0001"));
    assert_eq!(
        (added.result, added.batch),
        (ScanResult::Added, Some((wave.clone(), "Wave 1".to_owned())))
    );
    assert_eq!(
        take(&mut store, None, None, &scan("R5CR0001")).result,
        ScanResult::AlreadyThere
    );
    let other = batch(&mut store, "Wave 2");
    assert_eq!(
        take(&mut store, Some(&other), None, &scan("R5CR0002")).result,
        ScanResult::Added,
        "held scans go to the batch on screen"
    );
    store.close_batch(&wave).unwrap();
    let after = take(&mut store, None, None, &scan("R5CR0003"));
    assert_eq!(
        (after.result, after.message.as_deref()),
        (ScanResult::Held, Some(NO_ACTIVE_BATCH)),
        "closing it ended it being active"
    );
    let closed = take(&mut store, Some(&wave), None, &scan("R5CR0003"));
    assert_eq!(closed.result, ScanResult::Held);
    assert!(closed.message.unwrap().contains("“Wave 1” is closed"));
    assert_eq!(store.held_scans().unwrap().len(), 3);
}

#[test]
fn held_scans_join_the_batch_they_are_added_to_and_leave_the_held_list() {
    let mut store = Store::open_in_memory().unwrap();
    read(&mut store, "R5CR0001", None);
    read(&mut store, "LATE1", None);
    take(&mut store, None, None, &scan("NEWBOX0009"));
    take(&mut store, None, None, &scan("R5CR0001"));
    let wave = batch(&mut store, "Wave 1");
    let done = add_held(&mut store, wave.as_str()).unwrap();
    let results: Vec<_> = done
        .iter()
        .map(|(row, t)| (row.text.as_str(), t.result))
        .collect();
    assert_eq!(
        results,
        [
            ("NEWBOX0009", ScanResult::Waiting),
            ("R5CR0001", ScanResult::Added)
        ]
    );
    let waiting: Vec<_> = store.held_scans().unwrap();
    assert_eq!(
        (waiting.len(), waiting[0].text.as_str()),
        (1, "NEWBOX0009"),
        "a code no device has waits for its slot, never joins as a device"
    );
    assert!(store.devices_with_serial("NEWBOX0009").unwrap().is_empty());
    let again = add_held(&mut store, wave.as_str()).unwrap();
    assert_eq!(again[0].1.result, ScanResult::Waiting);
    store.close_batch(&wave).unwrap();
    take(&mut store, None, None, &scan("LATE1"));
    assert!(matches!(
        add_held(&mut store, wave.as_str()),
        Err(AddHeldError::Closed { name }) if name == "Wave 1"
    ));
    assert_eq!(store.held_scans().unwrap().len(), 2, "still held");
}

/// Issue 14: a box label scanned at the bench became a ninth device of the active batch
/// ("BOX0042 – Scan the QR now").
#[test]
fn a_box_label_never_becomes_a_device_and_is_tied_to_the_device_in_the_slot_picked() {
    let mut store = Store::open_in_memory().unwrap();
    let wave = batch(&mut store, "Wave 1");
    store.set_active_batch(Some(&wave)).unwrap();
    let eight: Vec<DeviceId> = (1..=8)
        .map(|i| {
            let port = format!("1-{i}");
            store.assign_slot(&port, i, None).unwrap();
            let id = read(&mut store, &format!("R5CR000{i}"), Some(&port));
            store
                .add_to_batch(&wave, id, crate::store::JoinedBy::Manual)
                .unwrap();
            id
        })
        .collect();
    // Scan first: the label waits for its slot, and the batch still has eight devices.
    let waiting = take(&mut store, None, None, &scan("box0042"));
    assert_eq!(
        (waiting.result, waiting.message.as_deref()),
        (ScanResult::Waiting, Some(WAITING_FOR_SLOT))
    );
    assert_eq!(
        store.batch_devices(&wave).unwrap().len(),
        8,
        "no phantom ninth device"
    );
    assert!(store.devices_with_serial("BOX0042").unwrap().is_empty());
    // ...then pick slot 5: tied to the device there, as its box label.
    let held = waiting.held.unwrap();
    let (_, tied) = super::super::box_label::tie_held(&mut store, held.id, 5).unwrap();
    assert_eq!(
        (tied.result, tied.slot, tied.device),
        (ScanResult::Tied, Some(5), Some(eight[4].0))
    );
    assert_eq!(
        store.box_label(eight[4]).unwrap().as_deref(),
        Some("BOX0042")
    );
    assert!(store.held_scans().unwrap().is_empty(), "no longer waiting");
    // Pick the slot first: tied at once.
    let tied = take(&mut store, None, Some(2), &scan("BOX0043"));
    assert_eq!(
        (tied.result, tied.device),
        (ScanResult::Tied, Some(eight[1].0))
    );
    assert_eq!(
        store.box_label(eight[1]).unwrap().as_deref(),
        Some("BOX0043")
    );
    // The device's own serial at its slot is that device; another device's is refused.
    let own = take(&mut store, None, Some(3), &scan("R5CR0003"));
    assert_eq!(own.result, ScanResult::AlreadyThere);
    let other = take(&mut store, None, Some(3), &scan("R5CR0004"));
    assert_eq!(other.result, ScanResult::Refused);
    assert!(other.message.unwrap().contains("serial of another device"));
    let empty = take(&mut store, None, Some(9), &scan("BOX0044"));
    assert_eq!(empty.result, ScanResult::Refused);
    assert!(empty
        .message
        .unwrap()
        .contains("no device has been read in slot 9"));
    assert_eq!(store.batch_devices(&wave).unwrap().len(), 8);
    assert!(
        store.held_scans().unwrap().is_empty(),
        "refusals are not kept"
    );
    // Exported with the batch: the report carries each device's box label.
    let record = store.find_batch(wave.as_str()).unwrap();
    let now = store.clock_now();
    let reported = crate::batch::progress::report_devices(&store, &record, now).unwrap();
    let labels: Vec<Option<&str>> = reported.iter().map(|d| d.box_label.as_deref()).collect();
    assert_eq!(
        labels,
        [
            None,
            Some("BOX0043"),
            None,
            None,
            Some("BOX0042"),
            None,
            None,
            None
        ]
    );
}
