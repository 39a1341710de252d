//! The commands the UI calls. Each is a few lines over the core.

use stagebench_core::device::BenchEvent;
use stagebench_core::enrollment_qr::{EnrollmentQr, QrRequest, QrView};
use tauri::ipc::Channel;
use tauri::State;

use crate::bench::BenchHub;
use crate::error::ApiError;

/// Streams bench snapshots to `on_event`, starting the watcher on first use.
#[tauri::command]
pub fn bench_watch(hub: State<'_, BenchHub>, on_event: Channel<BenchEvent>) {
    hub.subscribe(move |event| on_event.send(event).is_ok());
}

/// Builds, checks and encodes an enrollment QR.
#[tauri::command]
pub fn qr_render(request: QrRequest) -> Result<QrView, ApiError> {
    Ok(EnrollmentQr::build(&request)?.view())
}
