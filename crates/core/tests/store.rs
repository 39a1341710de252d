//! The store on real files: creation, reopening, WAL settings, two writers, and files that are
//! not (or no longer) a StageBench store. The identity rule and the tables are tested on
//! `:memory:` next to their code.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::json;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::store::{Sighting, Store, StoreError, FILE_NAME};

fn sighting(serial: &str, slot: &str) -> Sighting {
    Sighting::new([
        SerialObservation::new(SerialSource::UsbDescriptor, serial),
        SerialObservation::new(SerialSource::RoSerialno, serial),
    ])
    .at_slot(slot)
    .with_facts(json!({"model": "SM-A525F"}))
}

fn pragma<T: rusqlite::types::FromSql>(path: &Path, name: &str) -> T {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, name, |row| row.get(0))
        .unwrap()
}

#[test]
fn creates_folders_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data").join(FILE_NAME);
    let device = {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        let device = store
            .record_sighting(&sighting("R3CR609J7HW", "usb:1-4.3"))
            .unwrap();
        store
            .append_event(Some(device), "stage", &json!({"stage": 2}))
            .unwrap();
        device
    };
    assert!(path.is_file());
    let mut store = Store::open(&path).unwrap();
    let record = store.device(device).unwrap().unwrap();
    assert_eq!(record.slot.as_deref(), Some("usb:1-4.3"));
    assert_eq!(record.serials.len(), 2);
    let kinds: Vec<String> = store
        .events(Some(device), 10)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["seen", "stage"]);
    assert_eq!(
        store
            .record_sighting(&sighting("R3CR609J7HW", "usb:1-4.3"))
            .unwrap(),
        device
    );
    assert_eq!(store.devices().unwrap().len(), 1);
}

#[test]
fn file_is_in_wal_mode_and_refuses_to_rewrite_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let mut store = Store::open(&path).unwrap();
    store
        .append_event(None, "bench-opened", &json!({}))
        .unwrap();
    assert_eq!(pragma::<String>(&path, "journal_mode"), "wal");
    // Even a tool that bypasses the store cannot change the log.
    let conn = Connection::open(&path).unwrap();
    assert!(conn.execute("UPDATE events SET kind = 'x'", []).is_err());
    assert!(conn.execute("DELETE FROM events", []).is_err());
    assert_eq!(store.events(None, 10).unwrap().len(), 1);
}

#[test]
fn two_stores_on_one_file_write_at_once() {
    // The app and the CLI may have the same file open; busy_timeout makes them take turns.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    Store::open(&path).unwrap();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for i in 0..100 {
                    store
                        .append_event(None, "note", &json!({"writer": w, "i": i}))
                        .unwrap();
                    store
                        .record_sighting(&sighting(
                            &format!("W{w}-{}", i % 10),
                            &format!("usb:{w}-{}", i % 10),
                        ))
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let notes = store
        .events(None, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "note")
        .count();
    assert_eq!(notes, 200);
    assert_eq!(store.devices().unwrap().len(), 20);
}

fn assert_refused_and_untouched(path: &Path, bytes: &[u8]) -> StoreError {
    let err = Store::open(path).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "names the file: {message}"
    );
    assert!(
        std::fs::read(path).unwrap() == bytes,
        "the file is left as it was"
    );
    err
}

fn wal_of(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

#[test]
fn a_garbage_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let garbage: Vec<u8> = b"%PDF-1.7 this is someone's invoice, not a database\n".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let err = assert_refused_and_untouched(&path, &garbage);
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("move it aside"), "{err}");
    assert!(!wal_of(&path).exists());
}

#[test]
fn a_damaged_store_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let mut store = Store::open(&path).unwrap();
        store.append_event(None, "note", &json!({})).unwrap();
    }
    // Keep the 100-byte header, overwrite the schema that follows it on page 1.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..1024] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = assert_refused_and_untouched(&path, &bytes);
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
}

#[test]
fn another_applications_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photos.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY);")
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let err = assert_refused_and_untouched(&path, &bytes);
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
}

#[test]
fn an_unwritable_folder_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"").unwrap();
    let err = Store::open(&blocker.join("data").join(FILE_NAME)).unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("STAGEBENCH_DATA_DIR"), "{err}");
}

#[test]
fn store_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
}

#[test]
fn processes_creating_the_store_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let openers: Vec<_> = (0..4)
        .map(|i| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut store = Store::open(&path).unwrap();
                store
                    .append_event(None, "opened", &json!({"by": i}))
                    .unwrap();
            })
        })
        .collect();
    for opener in openers {
        opener.join().unwrap();
    }
    assert_eq!(
        Store::open(&path).unwrap().events(None, 10).unwrap().len(),
        4
    );
}

/// A new data folder is owner-only, and so are the database and its `-wal` and `-shm`.
#[cfg(unix)]
#[test]
fn a_new_store_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join(FILE_NAME);
    let mut store = Store::open(&db).unwrap();
    store.append_event(None, "note", &json!({})).unwrap();
    assert_eq!(stagebench_files::looseness(&data), None, "folder 0700");
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        assert!(file.exists(), "{}", file.display());
        assert_eq!(
            stagebench_files::looseness(&file),
            None,
            "{} is owner-only",
            file.display()
        );
    }
}
