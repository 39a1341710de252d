//! The Batches screen's report commands: export the signed report (and CSV), import and verify
//! a vendor's report, reconcile with Intune, write the chain of custody. Thin over
//! `stagebench_core::batch::exchange`.

use stagebench_core::batch::BatchStore;
use std::path::Path;

use stagebench_core::batch::exchange::{self, Exported, ImportedReport, Reconciliation};
use stagebench_core::batch::report::{report_csv, verify};
use stagebench_core::store::Store;
use tauri::State;

use crate::error::{internal, invalid, ApiError};
use crate::exchange::{keyring, path_of, read};
use crate::state::App;

/// Writes the signed report of `batch` to `path`, as the bench's technician.
async fn export_report(store: &mut Store, batch: &str, path: &Path) -> Result<Exported, ApiError> {
    let (id, actor) = (store.find_batch(batch)?.batch.id, store.technician());
    Ok(exchange::export_report(store, keyring().as_ref(), &id, &actor, path).await?)
}

/// Writes the CSV view of the signed report at `report` to `csv`, when a path is given.
fn report_as_csv(report: &Path, csv: Option<String>) -> Result<(), ApiError> {
    let Some(csv) = csv.filter(|c| !c.trim().is_empty()) else {
        return Ok(());
    };
    let verified = verify(&read(report, "report just written")?).map_err(internal)?;
    let bytes = report_csv(&verified.report).into_bytes();
    Ok(exchange::write_private(&path_of(&csv)?, &bytes)?)
}

/// Vendor: writes the signed report (and, with `csv_path`, its CSV view).
#[tauri::command]
pub async fn batch_export_report(
    app: State<'_, App>,
    batch: String,
    path: String,
    csv_path: Option<String>,
) -> Result<Exported, ApiError> {
    let (path, mut store) = (path_of(&path)?, app.store()?.open_another()?);
    let exported = export_report(&mut store, &batch, &path).await?;
    report_as_csv(&path, csv_path)?;
    Ok(exported)
}

/// Admin: verifies and imports a vendor's report.
#[tauri::command]
pub fn batch_import_report(app: State<'_, App>, path: String) -> Result<ImportedReport, ApiError> {
    let (path, mut store) = (path_of(&path)?, app.store()?.lock());
    let (bytes, actor) = (read(&path, "batch report")?, store.technician());
    Ok(exchange::import_report(&mut store, &bytes, &actor, &path)?)
}

/// Admin: the batch against Intune.
#[tauri::command]
pub async fn batch_reconcile(
    app: State<'_, App>,
    batch: String,
) -> Result<Reconciliation, ApiError> {
    let (connection, mut store) = (app.tenant()?.connection()?, app.store()?.open_another()?);
    let (id, actor) = (store.find_batch(&batch)?.batch.id, store.technician());
    Ok(exchange::reconcile(&mut store, connection.client.as_ref(), &id, &actor).await?)
}

/// Writes what `custody` made to the paths given; the files written.
fn write_custody(
    (csv, pdf): (String, Vec<u8>),
    pdf_path: Option<String>,
    csv_path: Option<String>,
) -> Result<Vec<String>, ApiError> {
    let mut written = Vec::new();
    for (path, bytes) in [(pdf_path, pdf), (csv_path, csv.into_bytes())] {
        if let Some(p) = path.filter(|p| !p.trim().is_empty()) {
            let p = path_of(&p)?;
            exchange::write_private(&p, &bytes)?;
            written.push(p.display().to_string());
        }
    }
    (!written.is_empty())
        .then_some(written)
        .ok_or_else(|| invalid("Give a PDF and/or a CSV path for the chain of custody."))
}

/// The chain of custody as PDF and/or CSV; returns the files written.
#[tauri::command]
pub async fn batch_custody(
    app: State<'_, App>,
    batch: String,
    pdf_path: Option<String>,
    csv_path: Option<String>,
) -> Result<Vec<String>, ApiError> {
    let fingerprint = signer_fingerprint().await;
    let made = custody(&app.store()?.lock(), &batch, fingerprint)?;
    write_custody(made, pdf_path, csv_path)
}

/// The bench key's fingerprint, when the bench has a key.
async fn signer_fingerprint() -> Option<String> {
    let key = stagebench_core::batch::key::load(keyring().as_ref()).await;
    Some(key.ok()??.public().fingerprint)
}

fn custody(
    store: &Store,
    batch: &str,
    fingerprint: Option<String>,
) -> Result<(String, Vec<u8>), ApiError> {
    let id = store.find_batch(batch)?.batch.id;
    Ok(exchange::custody(
        store,
        &id,
        &store.technician(),
        fingerprint,
    )?)
}
