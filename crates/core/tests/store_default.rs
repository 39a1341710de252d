//! `Store::open_default` honours `STAGEBENCH_DATA_DIR`. Alone in its test binary because it
//! sets a process-wide environment variable.

use stagebench_core::store::{Store, DATA_DIR_ENV, FILE_NAME};

#[test]
fn open_default_uses_the_data_dir_variable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bench data");
    std::env::set_var(DATA_DIR_ENV, &data);
    assert_eq!(Store::data_dir().unwrap(), data);
    let mut store = Store::open_default().unwrap();
    assert_eq!(store.path(), Some(data.join(FILE_NAME).as_path()));
    store
        .append_event(None, "bench-opened", &serde_json::json!({}))
        .unwrap();
    assert!(data.join(FILE_NAME).is_file());
}
