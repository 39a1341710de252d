//! Bench slots are set up once and kept: assignments survive closing and reopening the store
//! file, and a second process (the CLI beside the app) sees them and is refused the same way.

use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::store::{SlotError, Store};

#[test]
fn slots_persist_across_reopen_and_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stagebench.sqlite3");
    {
        let mut store = Store::open(&path).unwrap();
        store.assign_slot("usb:1-4.1", 1, Some("left")).unwrap();
        store.assign_slot("1-4.2", 2, None).unwrap();
        assert_eq!(store.auto_assign_slot("1-4.3").unwrap().number, 3);
        store
            .assign_slot("192.168.1.20:5555", 10, Some("Wi-Fi headset"))
            .unwrap();
    }
    let mut reopened = Store::open(&path).unwrap();
    let slots = reopened.slots().unwrap();
    let summary: Vec<(u32, &str, Option<&str>)> = slots
        .iter()
        .map(|s| (s.number, s.port_path.as_str(), s.label.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "1-4.1", Some("left")),
            (2, "1-4.2", None),
            (3, "1-4.3", None),
            (10, "192.168.1.20:5555", Some("Wi-Fi headset")),
        ]
    );
    assert_eq!(reopened.slot_for("usb:1-4.2").unwrap().unwrap().number, 2);
    assert_eq!(
        reopened.auto_assign_slot("1-4.4").unwrap().number,
        4,
        "next free after reopen"
    );

    // Another connection to the same file sees the change at once and is refused the same way.
    let mut other = Store::open(&path).unwrap();
    assert_eq!(other.slot_for("1-4.4").unwrap().unwrap().number, 4);
    let err = other.assign_slot("1-4.9", 2, None).unwrap_err();
    assert!(
        matches!(err, SlotError::NumberTaken { number: 2, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "slot 2 is already port 1-4.2; free slot 2 first, or pick another number"
    );
    assert_eq!(err.remedy(), Some(Remedy::FreeSlot { number: 2 }));
    assert_eq!(other.free_slot(2).unwrap().unwrap().port_path, "1-4.2");
    assert_eq!(reopened.slot_for("1-4.2").unwrap(), None);
    assert_eq!(other.assign_slot("1-4.9", 2, None).unwrap().number, 2);
}
