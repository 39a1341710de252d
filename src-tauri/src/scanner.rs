//! Barcode scanners: the serial-port scanner's ports, settings, live view and held scans (over
//! the core's scanner intake), and the Batches screen's scan box, where a keyboard-wedge scanner
//! types into the batch on screen.

use stagebench_core::batch::BatchStore;
use stagebench_core::scanner::into_batch::{scan_into_batch, ScanOutcome};
use stagebench_core::scanner::{
    parse_scan, ports, Scan, ScannerPort, ScannerSettings, ScannerView,
};
use stagebench_core::store::Store;
use tauri::ipc::Channel;
use tauri::State;

use crate::bridge::forward;
use crate::error::{internal, invalid, ApiError};
use crate::state::App;

/// The serial ports the OS lists, likely scanners first.
#[tauri::command]
pub fn scanner_ports() -> Result<Vec<ScannerPort>, ApiError> {
    ports().map_err(internal)
}

/// The bench's serial-scanner settings.
#[tauri::command]
pub fn scanner_settings_get(app: State<'_, App>) -> Result<ScannerSettings, ApiError> {
    Ok(app.scanner()?.settings())
}

/// Saves the serial-scanner settings and reads the new port (a blank port: off).
#[tauri::command]
pub fn scanner_settings_set(
    app: State<'_, App>,
    port: String,
    baud: u32,
) -> Result<ScannerSettings, ApiError> {
    let settings = ScannerSettings::new(&port, baud)?;
    app.scanner()?.save(settings.clone())?;
    Ok(settings)
}

/// Streams the serial scanner's settings, status and recent scans to `on_event`: now and after
/// every change.
#[tauri::command]
pub fn scanner_watch(app: State<'_, App>, on_event: Channel<ScannerView>) -> Result<(), ApiError> {
    forward(app.scanner()?.subscribe(), on_event);
    Ok(())
}

/// Adds the scans held while no batch was active (here or by the CLI) to `batch`; returns how
/// many joined it.
#[tauri::command]
pub fn scanner_add_held(app: State<'_, App>, batch: String) -> Result<usize, ApiError> {
    Ok(app.scanner()?.add_held(&batch)?)
}

/// Lists the held scans again, with those another process (the CLI) held meanwhile.
#[tauri::command]
pub fn scanner_refresh_held(app: State<'_, App>) -> Result<(), ApiError> {
    app.scanner()?.refresh_held();
    Ok(())
}

/// One wedge scan into the open batch `batch`.
fn into_open_batch(store: &mut Store, batch: &str, scan: &Scan) -> Result<ScanOutcome, ApiError> {
    let record = store.find_batch(batch)?;
    if record.closed_at.is_some() {
        let name = record.batch.spec.name;
        return Err(invalid(format!(
            "Batch “{name}” is closed: devices can no longer join it."
        )));
    }
    let actor = store.technician();
    Ok(scan_into_batch(store, &record.batch.id, scan, &actor)?)
}

/// A scanned (keyboard wedge) or typed box or device serial joins the batch; the bench cards
/// are sent again so a device already on the bench shows its batch.
#[tauri::command]
pub fn batch_scan(
    app: State<'_, App>,
    batch: String,
    text: String,
) -> Result<ScanOutcome, ApiError> {
    let scan = parse_scan(&text).map_err(invalid)?;
    let outcome = into_open_batch(&mut app.store()?.lock(), &batch, &scan)?;
    app.bench.refresh(false);
    Ok(outcome)
}
