//! Barcode scanners: the serial-port scanner's ports, settings, live view and held scans (over
//! the core's scanner intake), and the Batches screen's scan box, where a keyboard-wedge scanner
//! types into the batch on screen.

use stagebench_core::scanner::into_batch::{scan_into_open_batch, take, ScanReply};
use stagebench_core::scanner::{parse_scan, ports, ScannerPort, ScannerSettings, ScannerView};
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

/// A scanned (keyboard wedge) or typed code on the batch's scan field, by the one rule: a
/// device's serial joins the batch, any other code waits for the slot of its device; the bench
/// cards are sent again so a device already on the bench shows its batch.
#[tauri::command]
pub fn batch_scan(app: State<'_, App>, batch: String, text: String) -> Result<ScanReply, ApiError> {
    let scan = parse_scan(&text).map_err(invalid)?;
    let reply = scan_into_open_batch(&mut app.store()?.lock(), &batch, &scan)?;
    app.bench.refresh(false);
    Ok(reply)
}

/// A code scanned on a card (the slot picked first): the device in slot `slot` gets it as its
/// box label (its own serial: into the batch).
#[tauri::command]
pub fn slot_scan(app: State<'_, App>, slot: u32, text: String) -> Result<ScanReply, ApiError> {
    let scan = parse_scan(&text).map_err(invalid)?;
    let reply = take(&mut app.store()?.lock(), None, Some(slot), &scan).reply(&scan.text);
    app.bench.refresh(false);
    Ok(reply)
}

/// Ties the waiting scan `held` (scanned before its slot was picked) to the device in `slot`.
#[tauri::command]
pub fn scanner_tie_held(app: State<'_, App>, held: i64, slot: u32) -> Result<ScanReply, ApiError> {
    Ok(app.scanner()?.tie_held(held, slot)?)
}
