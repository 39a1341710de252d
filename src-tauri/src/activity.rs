//! The Activity and Settings screens' records: the audit log and its check, the bench's signing
//! key, and the folder exports are written to.

use stagebench_core::audit::{AuditAction, AuditRecord, HeadVerifier};
use stagebench_core::batch::export_folder;
use stagebench_core::batch::key::{attach, load, BenchPublicKey};
use stagebench_core::batch::BatchStore;
use stagebench_core::store::{AuditFilter, SignedAuditCheck, Store};
use tauri::State;

use crate::error::{internal, invalid, ApiError};
use crate::exchange::keyring;
use crate::state::App;

/// The Activity screen's filter: one batch's records (by id prefix), or one action's.
fn filter(
    store: &Store,
    batch: Option<String>,
    action: Option<String>,
    limit: Option<usize>,
) -> Result<AuditFilter, ApiError> {
    let batch = batch.filter(|b| !b.is_empty());
    let action = action.filter(|a| !a.is_empty());
    Ok(AuditFilter {
        batch: batch
            .map(|b| store.find_batch(&b))
            .transpose()?
            .map(|r| r.batch.id),
        action: action
            .map(|a| a.parse::<AuditAction>())
            .transpose()
            .map_err(invalid)?,
        limit: Some(limit.unwrap_or(500)),
        ..AuditFilter::default()
    })
}

/// The audit log, newest first: optionally one batch's, or one action's.
#[tauri::command]
pub fn audit_log(
    app: State<'_, App>,
    batch: Option<String>,
    action: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<AuditRecord>, ApiError> {
    let store = app.store()?.lock();
    Ok(store.audit_log(&filter(&store, batch, action, limit)?)?)
}

/// Checks the audit log's hash chain and its signed heads, with the bench's own key when the
/// keyring has one.
#[tauri::command]
pub async fn audit_verify(app: State<'_, App>) -> Result<SignedAuditCheck, ApiError> {
    let key = load(keyring().as_ref())
        .await
        .ok()
        .flatten()
        .map(|k| k.public());
    let key = key.as_ref().map(|k| k as &dyn HeadVerifier);
    Ok(app.store()?.lock().audit_verify_signed(key)?)
}

/// The bench's signing key (made on first use, and signing the audit log from then on): its
/// public half for the Settings screen.
#[tauri::command]
pub async fn bench_key(app: State<'_, App>) -> Result<BenchPublicKey, ApiError> {
    attach(app.store()?, keyring().as_ref())
        .await
        .map_err(internal)
}

/// The folder exports are written to: `Documents/StageBench` (else the data folder), or the
/// folder `STAGEBENCH_EXPORT_DIR` names.
#[tauri::command]
pub fn export_folder() -> Result<String, ApiError> {
    Ok(export_folder::export_folder()?.display().to_string())
}
