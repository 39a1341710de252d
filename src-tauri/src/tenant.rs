//! The Tenant screen's commands: the tenant connection's state, signing in and out, syncing now.
//! Each is a few lines over the core.

use stagebench_core::batch::exchange;
use stagebench_core::intune::state::{SignInPrompt, TenantState};
use tauri::ipc::Channel;
use tauri::State;

use crate::bridge::forward;
use crate::error::ApiError;
use crate::state::App;

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

/// Signs the bench out, or cancels a sign-in under way; the QR payloads kept from the tenant
/// leave the keyring too.
#[tauri::command]
pub async fn tenant_sign_out(app: State<'_, App>) -> Result<(), ApiError> {
    app.tenant()?.sign_out().await?;
    exchange::forget_tenant_qrs(app.store()?, crate::exchange::keyring().as_ref()).await?;
    Ok(())
}

/// Syncs with Intune now instead of at the next minute.
#[tauri::command]
pub fn tenant_sync_now(app: State<'_, App>) -> Result<(), ApiError> {
    app.tenant()?.sync_now();
    Ok(())
}
