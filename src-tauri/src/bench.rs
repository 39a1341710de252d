//! The Bench screen's commands: the bench's devices, its slots and its health. Each is a few
//! lines over the core.

use stagebench_adb::server::AdbServer;
use stagebench_core::bench::BenchView;
use stagebench_core::doctor::{self, Check};
use stagebench_core::store::{Attached, Slot, SlotMove};
use tauri::ipc::Channel;
use tauri::State;

use crate::bridge::forward;
use crate::error::{internal, ApiError};
use crate::state::App;

/// Streams the bench (devices, adb server down, history off) to `on_event`, starting the
/// watcher on first use.
#[tauri::command]
pub fn bench_watch(app: State<'_, App>, on_event: Channel<BenchView>) {
    forward(app.bench.subscribe(), on_event);
}

/// Dismisses the grey tile of a device that left the bench (until it leaves again).
#[tauri::command]
pub fn bench_dismiss(app: State<'_, App>, key: String) -> Result<(), ApiError> {
    Ok(app.bench.dismiss(&key)?)
}

/// Checks the bench (data folder, adb server, adb tool, USB) and says how to fix each problem.
#[tauri::command]
pub async fn doctor_run() -> Vec<Check> {
    doctor::run(&AdbServer::from_env()).await
}

/// Mends what doctor can (the data folder and its files made owner-only), then checks again.
#[tauri::command]
pub async fn doctor_fix() -> Result<Vec<Check>, ApiError> {
    doctor::fix().map_err(internal)?;
    Ok(doctor_run().await)
}

/// Checks the staging network: the endpoints enrollment needs, each failure with its likely
/// failing step and what to open.
#[tauri::command]
pub async fn doctor_network() -> Vec<Check> {
    doctor::network::run_from_env().await
}

/// The bench slots, by number.
#[tauri::command]
pub fn slots_list(app: State<'_, App>) -> Result<Vec<Slot>, ApiError> {
    Ok(app.store()?.lock().slots()?)
}

/// Gives a port (USB port path or TCP address) a slot number.
#[tauri::command]
pub fn slot_assign(
    app: State<'_, App>,
    port: String,
    number: u32,
    label: Option<String>,
) -> Result<Slot, ApiError> {
    let slot = app
        .store()?
        .lock()
        .assign_slot(&port, number, label.as_deref())?;
    app.bench.refresh(false);
    Ok(slot)
}

/// The lowest free slot number, proposed when a card is renumbered.
#[tauri::command]
pub fn slot_next_free(app: State<'_, App>) -> Result<Option<u32>, ApiError> {
    Ok(app.store()?.lock().next_free_slot()?)
}

/// Renumbers a port in one step: its old number is freed and `number` taken, unless another
/// attached device's port holds it (then the error offers the lowest free number).
#[tauri::command]
pub fn slot_move(app: State<'_, App>, port: String, number: u32) -> Result<SlotMove, ApiError> {
    let attached = app.bench.receiver().borrow().ports();
    let moved = app
        .store()?
        .lock()
        .move_slot(&port, number, None, Attached::Ports(&attached))?;
    app.bench.refresh(false);
    Ok(moved)
}

/// Frees a slot number.
#[tauri::command]
pub fn slot_free(app: State<'_, App>, number: u32) -> Result<Option<Slot>, ApiError> {
    let freed = app.store()?.lock().free_slot(number)?;
    app.bench.refresh(false);
    Ok(freed)
}
