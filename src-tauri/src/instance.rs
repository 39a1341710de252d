//! One app per bench: a second launch on the same data folder hands over to the first (its
//! window comes forward: shown, unminimized, focused) and exits with status 0, before it opens
//! the store or starts a USB watcher or print worker. So two windows never drain one print
//! queue.
//!
//! On Linux the first app owns a D-Bus name made from its data folder, so benches started on
//! other data folders (tests, demos) run side by side; on Windows and macOS the guard is one
//! per user.

use sha2::{Digest, Sha256};
use stagebench_core::store::Store;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};

/// The guard, to be added before every other plugin.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    let guard = tauri_plugin_single_instance::Builder::new().callback(|app, _, _| forward(app));
    match Store::data_dir() {
        Ok(dir) => guard.dbus_id(bus_id(&dir)),
        Err(_) => guard,
    }
    .build()
}

/// The D-Bus name (before the plugin's `.SingleInstance`) of the app on data folder `dir`.
pub fn bus_id(dir: &std::path::Path) -> String {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let digest = Sha256::digest(dir.as_os_str().as_encoded_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("dev.stagebench.app.bench_{hex}")
}

/// Brings the first app's window forward when it was started again.
fn forward<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("StageBench was started again on this bench: its window is brought forward");
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_has_its_own_valid_bus_name() {
        let a = bus_id(std::path::Path::new("/home/ana/.local/share/stagebench"));
        let b = bus_id(std::path::Path::new("/tmp/bench-2"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            bus_id(std::path::Path::new("/home/ana/.local/share/stagebench"))
        );
        // D-Bus: elements of [A-Za-z0-9_-], none starting with a digit.
        for element in a.split('.') {
            assert!(!element.starts_with(|c: char| c.is_ascii_digit()), "{a}");
            assert!(
                element
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{a}"
            );
        }
    }
}
