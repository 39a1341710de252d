//! The Batches screen's report commands: export the signed report (and CSV), import and verify
//! a vendor's report, reconcile with Intune, write the chain of custody. Thin over
//! `stagebench_core::batch::exchange`. Files are written by name to the bench's export folder
//! and a report is read from the file chosen in the open dialog ([`crate::files`]).

use stagebench_core::batch::BatchStore;
use std::path::{Path, PathBuf};

use stagebench_core::batch::exchange::{self, Exported, ImportedReport, Reconciliation};
use stagebench_core::batch::report::{report_csv, verify};
use stagebench_core::limits;
use stagebench_core::store::Store;
use tauri::{Runtime, State, Window};

use crate::error::{internal, invalid, ApiError};
use crate::exchange::{keyring, read};
use crate::files::{export_path, optional_export_path, pick, Wanted};
use crate::state::App;

/// The open dialog for a vendor's report.
const REPORT_FILE: Wanted = Wanted {
    title: "Import report",
    kind: "StageBench signed report",
    extensions: &["stagebench-report"],
};

/// Writes the signed report of `batch` to `path`, as the bench's technician.
async fn export_report(store: &mut Store, batch: &str, path: &Path) -> Result<Exported, ApiError> {
    let (id, actor) = (store.find_batch(batch)?.batch.id, store.technician());
    Ok(exchange::export_report(store, keyring().as_ref(), &id, &actor, path).await?)
}

/// Writes the CSV view of the signed report at `report` to `csv`, when one is wanted.
fn report_as_csv(report: &Path, csv: Option<PathBuf>) -> Result<(), ApiError> {
    let Some(csv) = csv else {
        return Ok(());
    };
    let verified = verify(&read(report, &limits::REPORT)?).map_err(internal)?;
    let bytes = report_csv(&verified.report).into_bytes();
    Ok(exchange::write_private(&csv, &bytes)?)
}

/// Vendor: writes the signed report named `file` (and, with `csv_file`, its CSV view) in the
/// export folder.
#[tauri::command]
pub async fn batch_export_report(
    app: State<'_, App>,
    batch: String,
    file: String,
    csv_file: Option<String>,
) -> Result<Exported, ApiError> {
    let (path, csv) = (export_path(&file)?, optional_export_path(csv_file)?);
    let exported = export_report(&mut app.store()?.open_another()?, &batch, &path).await?;
    report_as_csv(&path, csv)?;
    Ok(exported)
}

/// Verifies and imports the report at `path`, as the bench's technician; a signer not trusted
/// for the batch is refused unless `accept` is its fingerprint.
fn import_report(
    store: &mut Store,
    path: &Path,
    accept: Option<&str>,
) -> Result<ImportedReport, ApiError> {
    let (bytes, actor) = (read(path, &limits::REPORT)?, store.technician());
    Ok(exchange::import_report(
        store, &bytes, &actor, path, accept,
    )?)
}

/// Admin: verifies and imports the vendor's report chosen in the open dialog (`None`:
/// cancelled). A signer not trusted for the batch is refused (code `untrusted-signer`, its
/// fingerprint in the remedy) unless `accept_key` is its fingerprint, which the screen passes
/// back, with the file chosen again, when the admin accepts the key.
#[tauri::command]
pub async fn batch_import_report<R: Runtime>(
    app: State<'_, App>,
    window: Window<R>,
    accept_key: Option<String>,
) -> Result<Option<ImportedReport>, ApiError> {
    let Some(path) = pick(&window, REPORT_FILE).await? else {
        return Ok(None);
    };
    let accept = accept_key.as_deref().filter(|k| !k.trim().is_empty());
    Ok(Some(import_report(
        &mut app.store()?.lock(),
        &path,
        accept,
    )?))
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

/// The chain of custody as PDF and/or CSV, named `pdf_file` and `csv_file` in the export
/// folder; returns the files written.
#[tauri::command]
pub async fn batch_custody(
    app: State<'_, App>,
    batch: String,
    pdf_file: Option<String>,
    csv_file: Option<String>,
) -> Result<Vec<String>, ApiError> {
    let files = custody_files(pdf_file, csv_file)?;
    let fingerprint = signer_fingerprint().await;
    let written = custody(&mut app.store()?.lock(), &batch, fingerprint, files)?;
    Ok(written.iter().map(|p| p.display().to_string()).collect())
}

/// The custody files wanted in the export folder: at least one of the two.
fn custody_files(
    pdf: Option<String>,
    csv: Option<String>,
) -> Result<(Option<PathBuf>, Option<PathBuf>), ApiError> {
    match (optional_export_path(pdf)?, optional_export_path(csv)?) {
        (None, None) => Err(invalid(
            "Give a PDF and/or a CSV file name for the chain of custody.",
        )),
        files => Ok(files),
    }
}

/// The bench key's fingerprint, when the bench has a key.
async fn signer_fingerprint() -> Option<String> {
    let key = stagebench_core::batch::key::load(keyring().as_ref()).await;
    Some(key.ok()??.public().fingerprint)
}

/// Writes the chain of custody of `batch` to the files wanted, as the bench's technician.
fn custody(
    store: &mut Store,
    batch: &str,
    fingerprint: Option<String>,
    (pdf, csv): (Option<PathBuf>, Option<PathBuf>),
) -> Result<Vec<PathBuf>, ApiError> {
    let (id, actor) = (store.find_batch(batch)?.batch.id, store.technician());
    let files = (pdf.as_deref(), csv.as_deref());
    Ok(exchange::export_custody(
        store,
        &id,
        &actor,
        fingerprint,
        files,
    )?)
}
