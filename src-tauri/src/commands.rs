//! The Bench and Tenant screens' commands: the bench's devices and slots, its health, a QR from
//! typed-in details, and the tenant connection. Each is a few lines over the core.

use stagebench_adb::server::AdbServer;
use stagebench_core::bench::BenchView;
use stagebench_core::doctor::{self, Check};
use stagebench_core::enrollment_qr::{EnrollmentQr, QrRequest, QrView};
use stagebench_core::intune::state::{SignInPrompt, TenantState};
use stagebench_core::store::Slot;
use tauri::ipc::Channel;
use tauri::State;

use crate::bridge::forward;
use crate::error::ApiError;
use crate::state::App;

/// Streams the bench (devices, adb server down, history off) to `on_event`, starting the
/// watcher on first use.
#[tauri::command]
pub fn bench_watch(app: State<'_, App>, on_event: Channel<BenchView>) {
    forward(app.bench.subscribe(), on_event);
}

/// Checks the bench (data folder, adb server, adb tool, USB) and says how to fix each problem.
#[tauri::command]
pub async fn doctor_run() -> Vec<Check> {
    doctor::run(&AdbServer::from_env()).await
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
    Ok(app
        .store()?
        .lock()
        .assign_slot(&port, number, label.as_deref())?)
}

/// Frees a slot number.
#[tauri::command]
pub fn slot_free(app: State<'_, App>, number: u32) -> Result<Option<Slot>, ApiError> {
    Ok(app.store()?.lock().free_slot(number)?)
}

/// Builds, checks and encodes an enrollment QR.
#[tauri::command]
pub fn qr_render(request: QrRequest) -> Result<QrView, ApiError> {
    Ok(EnrollmentQr::build(&request)?.view())
}

/// Streams the tenant connection's state to `on_event`: now, then after every change.
#[tauri::command]
pub fn tenant_watch(app: State<'_, App>, on_event: Channel<TenantState>) -> Result<(), ApiError> {
    forward(app.tenant()?.subscribe(), on_event);
    Ok(())
}

/// Starts a device-code sign-in and returns the code to show; it finishes in the background.
#[tauri::command]
pub async fn tenant_sign_in_start(
    app: State<'_, App>,
    tenant: String,
    client_id: String,
) -> Result<SignInPrompt, ApiError> {
    Ok(app.tenant()?.sign_in_start(&tenant, &client_id).await?)
}

/// Signs the bench out, or cancels a sign-in under way.
#[tauri::command]
pub async fn tenant_sign_out(app: State<'_, App>) -> Result<(), ApiError> {
    Ok(app.tenant()?.sign_out().await?)
}

/// Syncs with Intune now instead of at the next minute.
#[tauri::command]
pub fn tenant_sync_now(app: State<'_, App>) -> Result<(), ApiError> {
    app.tenant()?.sync_now();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> QrRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn qr_render_returns_the_view_with_secrets_masked_in_the_summary() {
        let view = qr_render(request(serde_json::json!({
            "source": { "kind": "token", "token": "T0K3N" },
            "wifi": { "ssid": "Bench", "security": "WPA", "password": "correct horse", "hidden": false }
        })))
        .unwrap();
        let summary = serde_json::to_string(&view.summary).unwrap();
        assert!(
            !summary.contains("T0K3N") && !summary.contains("correct horse"),
            "{summary}"
        );
        assert_eq!(view.rows.len(), view.facts.modules);
        assert!(view.payload.contains("T0K3N"));
        assert_eq!(
            view.token.as_deref(),
            Some("T0K3N"),
            "the token is there for manual entry"
        );
    }

    #[test]
    fn bad_input_becomes_an_invalid_input_error_without_the_secret() {
        let err = qr_render(request(serde_json::json!({
            "source": { "kind": "token", "token": "T0K3N" },
            "wifi": { "ssid": "Bench", "security": "WPA", "password": "short", "hidden": false }
        })))
        .unwrap_err();
        assert_eq!(err.code, "invalid-input");
        assert!(err.message.contains("WPA"), "{}", err.message);
        assert!(!err.message.contains("short"), "{}", err.message);
    }
}
