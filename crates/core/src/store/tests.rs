//! The store's own unit tests: where it lives, its clock, foreign keys.

use time::OffsetDateTime;

use super::*;
use crate::clock::ManualClock;

#[test]
fn data_dir_prefers_the_environment() {
    assert_eq!(
        data_dir_from(Some("/tmp/bench".into())).unwrap(),
        PathBuf::from("/tmp/bench")
    );
    // An empty variable is treated as unset rather than as the current folder.
    let default = data_dir_from(Some("".into()));
    assert_ne!(default.ok(), Some(PathBuf::from("")));
}

#[test]
fn in_memory_store_has_no_path_and_enforces_foreign_keys() {
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.path(), None);
    let err = store
        .append_event(Some(DeviceId(42)), "note", &serde_json::json!({}))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownDevice(DeviceId(42))),
        "{err}"
    );
}

#[test]
fn manual_clock_drives_timestamps() {
    let clock = ManualClock::new(OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
    let mut store = Store::open_in_memory().unwrap().with_clock(clock.clone());
    store
        .append_event(None, "a", &serde_json::json!(null))
        .unwrap();
    clock.advance(time::Duration::seconds(90));
    store
        .append_event(None, "b", &serde_json::json!(null))
        .unwrap();
    let at: Vec<String> = store
        .events(None, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(at, ["2023-11-14T22:13:20.000Z", "2023-11-14T22:14:50.000Z"]);
}
