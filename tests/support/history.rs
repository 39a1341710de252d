//! A batch's history written straight into a bench's store, at times a [`ManualClock`] gives,
//! so that the app and the CLI read a bench that worked an hour: five devices staged one after
//! another by two technicians, one stuck enrolling, two of the eight expected still to come.

use std::path::Path;

use stagebench_core::batch::{Batch, BatchStore};
use stagebench_core::clock::ManualClock;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::store::{Sighting, Store, EVENT_POWERED_OFF, FILE_NAME};
use time::{Duration, OffsetDateTime};

/// The serials of the history's devices: five done, then the stuck one.
pub const SERIALS: [&str; 6] = [
    "R5CW1001", "R5CW1002", "R5CW1003", "R5CW1004", "R5CW1005", "R5CW1006",
];

/// How many devices the history's batch expects.
pub const EXPECTED: u32 = 8;

fn sighting(serial: &str, slot: u32, enrolled: bool) -> Sighting {
    let evidence = serde_json::json!({
        "device_provisioned": enrolled,
        "user_setup_complete": enrolled,
        "device_owner": enrolled.then_some("com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"),
        "boot_count": 2, "intune_app": null, "company_portal": null, "authenticator": null,
        "imei": null, "firmware": {}, "unread": []
    });
    Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)])
        .at_slot(format!("usb:1-{slot}"))
        .with_facts(serde_json::json!({
            "manufacturer": "samsung", "model": "SM-G991B", "android_release": "14",
            "slot_number": slot, "evidence": evidence,
        }))
}

/// Writes the history into the store in `data`, starting at `start`: the batch ("Dock 7 wave
/// 2", staging token, eight expected) is made active and its QR shown by Ana; device `i`
/// (0–4) is plugged in at `8·i` minutes, enrolls 3 minutes later and is powered off 6 minutes
/// after that (by Ana for the first three, Ben for the others); the sixth is plugged in at
/// minute 5 and has been enrolling since minute 7. Returns the batch.
pub fn write(data: &Path, start: OffsetDateTime) -> Batch {
    let clock = ManualClock::new(start);
    let mut store = Store::open(&data.join(FILE_NAME))
        .unwrap()
        .with_clock(clock.clone());
    let mut batch = Batch::for_tests("Dock 7 wave 2", &[]);
    batch.spec.expected_count = Some(EXPECTED);
    batch.created_at = start;
    store.create_batch(&batch).unwrap();
    store.set_active_batch(Some(&batch.id)).unwrap();
    store.record_qr_shown(&batch.id, "Ana").unwrap();
    // (minute, device, what): 0 plugged in, 1 enrolled, 2 powered off.
    let mut steps: Vec<(i64, usize, u8)> = Vec::new();
    for i in 0..5 {
        let at = 8 * i64::try_from(i).unwrap();
        steps.extend([(at, i, 0), (at + 3, i, 1), (at + 9, i, 2)]);
    }
    steps.extend([(5, 5, 0), (7, 5, 1)]);
    steps.sort();
    let mut ids = [None; 6];
    for (minute, device, what) in steps {
        clock.set(start + Duration::minutes(minute));
        let slot = u32::try_from(device).unwrap() + 1;
        match what {
            0 | 1 => {
                // Port 1-N is the bench's slot N (as numbered when the bench was set up).
                store.assign_slot(&format!("1-{slot}"), slot, None).unwrap();
                let id = store
                    .record_sighting(&sighting(SERIALS[device], slot, what == 1))
                    .unwrap();
                store.assign_batch(id).unwrap();
                ids[device] = Some(id);
            }
            _ => {
                let by = if device < 3 { "Ana" } else { "Ben" };
                store
                    .record_action(ids[device].unwrap(), EVENT_POWERED_OFF, by)
                    .unwrap();
            }
        }
    }
    batch
}
