//! The Batches screen's file commands and the Activity and Settings screens: export and import
//! a bench pack, show a batch's QR from its pack, export the signed report (and CSV), import and
//! verify a vendor's report, reconcile with Intune, write the chain of custody; the audit log
//! and its check; the bench's signing key. Thin over `stagebench_core::batch::exchange`.
//!
//! Files are named by path (a text field with a default folder, so the screens stay testable
//! over WebDriver); passphrases cross the IPC once and are not kept.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use stagebench_core::audit::{AuditAction, AuditRecord};
use stagebench_core::batch::exchange::{
    self, ExchangeError, Exported, ImportedReport, Reconciliation, ScanOutcome,
};
use stagebench_core::batch::key::{load_or_create, BenchPublicKey};
use stagebench_core::batch::ops;
use stagebench_core::batch::pack::{check_passphrase, generate_passphrase};
use stagebench_core::batch::report::{report_csv, verify};
use stagebench_core::batch::Batch;
use stagebench_core::batch::BatchStore;
use stagebench_core::enrollment_qr::{EnrollmentQr, QrView};
use stagebench_core::intune::auth::{OsKeyring, TenantStore};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::Flow;
use stagebench_core::store::{AuditCheck, AuditFilter, Store};
use tauri::State;
use time::OffsetDateTime;

use crate::bench::BenchHub;
use crate::error::ApiError;
use crate::tenant::TenantHub;

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        let code = match &e {
            ExchangeError::Pack { .. }
            | ExchangeError::Report { .. }
            | ExchangeError::Io { .. } => "invalid-input",
            ExchangeError::TokenUnusable(_) | ExchangeError::NoQr(_) => "token-unusable",
            ExchangeError::Batch(_) => "invalid-input",
            ExchangeError::Sync(_) => "offline",
            _ => "internal",
        };
        ApiError {
            code,
            message: e.to_string(),
        }
    }
}

fn keyring() -> Arc<OsKeyring> {
    Arc::new(OsKeyring::new())
}

fn path_of(text: &str) -> Result<PathBuf, ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ApiError {
            code: "invalid-input",
            message: "Give a file path.".into(),
        });
    }
    Ok(PathBuf::from(t))
}

fn read(path: &PathBuf, what: &str) -> Result<Vec<u8>, ApiError> {
    std::fs::read(path).map_err(|e| ApiError {
        code: "invalid-input",
        message: format!(
            "Can't read the {what} {}: {e}. Check the path.",
            path.display()
        ),
    })
}

/// The folder the screens suggest for exports: `Documents/StageBench` (else the data folder).
#[tauri::command]
pub fn export_folder() -> Result<String, ApiError> {
    let dir = directories::UserDirs::new()
        .and_then(|u| u.document_dir().map(|d| d.join("StageBench")))
        .map(Ok)
        .unwrap_or_else(|| Store::data_dir().map(|d| d.join("exports")))?;
    std::fs::create_dir_all(&dir).map_err(|e| ApiError {
        code: "internal",
        message: format!("Can't create {}: {e}", dir.display()),
    })?;
    Ok(dir.display().to_string())
}

/// What exporting a pack gives the screen: the file, and the passphrase when one was made
/// (shown once, to pass to the vendor by another channel).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct PackExported {
    /// The file written.
    pub exported: Exported,
    /// The generated passphrase, when none was given.
    pub passphrase: Option<String>,
}

/// Admin: seals the batch and its profile's current QR (read from the tenant now) into a bench
/// pack at `path`. Without a passphrase, a strong one is made and returned once.
#[tauri::command]
pub async fn batch_export_pack(
    hub: State<'_, TenantHub>,
    batch: String,
    path: String,
    passphrase: Option<String>,
) -> Result<PackExported, ApiError> {
    let path = path_of(&path)?;
    let mut store = Store::open_default()?;
    let record = store.find_batch(&batch)?;
    let payload = payload_from_tenant(&hub, &record.batch).await?;
    let (pass, generated) = match passphrase.filter(|p| !p.is_empty()) {
        Some(p) => (SecretText::new(p), false),
        None => (generate_passphrase(), true),
    };
    check_passphrase(&pass).map_err(|e| ApiError {
        code: "invalid-input",
        message: e.to_string(),
    })?;
    let tenant = store.tenant_settings().ok().flatten().map(|t| t.tenant);
    let actor = ops::technician(&store);
    let exported = exchange::export_pack(
        &mut store,
        &record.batch.id,
        payload,
        &pass,
        tenant,
        &actor,
        &path,
    )?;
    Ok(PackExported {
        exported,
        passphrase: generated.then(|| pass.expose().to_owned()),
    })
}

async fn payload_from_tenant(hub: &TenantHub, batch: &Batch) -> Result<SecretText, ApiError> {
    if batch.spec.profile.flow == Flow::WindowsDem {
        return Ok(SecretText::new("null"));
    }
    if batch.spec.profile.profile_id.is_empty() {
        return Err(ApiError {
            code: "invalid-input",
            message: "This batch has no tenant profile, so there is no QR to put in a pack: create the batch from a tenant profile (or use `stagebench batch export-pack --payload-file`).".into(),
        });
    }
    let connection = hub.connection()?;
    let result = connection
        .client
        .enrollment_profile(&batch.spec.profile.profile_id)
        .await;
    hub.contact(&result);
    let profile = result?;
    profile.usable_qr_content(OffsetDateTime::now_utc()).cloned().ok_or_else(|| ApiError {
        code: "token-unusable",
        message: format!("The token of “{}” expired or was revoked: create a new token on the Profiles screen, then export the pack.", profile.display_name),
    })
}

/// Vendor: imports a bench pack; optionally makes it the active batch.
#[tauri::command]
pub async fn batch_import_pack(
    bench: State<'_, BenchHub>,
    path: String,
    passphrase: String,
    activate: bool,
) -> Result<Batch, ApiError> {
    let path = path_of(&path)?;
    let bytes = read(&path, "bench pack")?;
    let mut store = Store::open_default()?;
    let actor = ops::technician(&store);
    let batch = exchange::import_pack(
        &mut store,
        keyring().as_ref(),
        &bytes,
        &SecretText::new(passphrase),
        &actor,
        &path,
    )
    .await?;
    if activate {
        store.set_active_batch(Some(&batch.id))?;
    }
    // Attached devices it expects join it now: their cards change.
    bench.refresh(true);
    Ok(batch)
}

/// The batch's enrollment QR, from its pack (vendor) or from the tenant (a batch made here),
/// while its token is usable. The payload stays out of the answer. The batch's new devices move
/// to "scan the QR now", so the cards are sent again.
#[tauri::command]
pub async fn batch_qr(
    hub: State<'_, TenantHub>,
    bench: State<'_, BenchHub>,
    batch: String,
) -> Result<QrView, ApiError> {
    let mut store = Store::open_default()?;
    let record = store.find_batch(&batch)?;
    let actor = ops::technician(&store);
    let secrets = keyring();
    let payload =
        match exchange::show_qr(&mut store, secrets.as_ref(), &record.batch.id, &actor).await {
            Err(ExchangeError::NoQr(_)) if !record.batch.spec.profile.profile_id.is_empty() => {
                let payload = payload_from_tenant(&hub, &record.batch).await?;
                exchange::keep_qr(secrets.as_ref(), &record.batch.id, &payload).await?;
                exchange::show_qr(&mut store, secrets.as_ref(), &record.batch.id, &actor).await?
            }
            other => other?,
        };
    let aosp = matches!(
        record.batch.spec.profile.flow,
        Flow::AospUserless | Flow::AospUserAssociated
    );
    let qr = EnrollmentQr::from_profile_content(payload.expose(), aosp)?;
    bench.refresh(false);
    Ok(QrView {
        token: None,
        payload: String::new(),
        ..qr.view()
    })
}

/// Vendor: writes the signed report (and, with `csv_path`, its CSV view).
#[tauri::command]
pub async fn batch_export_report(
    batch: String,
    path: String,
    csv_path: Option<String>,
) -> Result<Exported, ApiError> {
    let path = path_of(&path)?;
    let mut store = Store::open_default()?;
    let record = store.find_batch(&batch)?;
    let actor = ops::technician(&store);
    let exported = exchange::export_report(
        &mut store,
        keyring().as_ref(),
        &record.batch.id,
        &actor,
        &path,
    )
    .await?;
    if let Some(csv) = csv_path.filter(|c| !c.trim().is_empty()) {
        let verified = verify(&read(&path, "report just written")?).map_err(|e| ApiError {
            code: "internal",
            message: e.to_string(),
        })?;
        exchange::write_atomically(&path_of(&csv)?, report_csv(&verified.report).as_bytes())?;
    }
    Ok(exported)
}

/// Admin: verifies and imports a vendor's report.
#[tauri::command]
pub fn batch_import_report(path: String) -> Result<ImportedReport, ApiError> {
    let path = path_of(&path)?;
    let bytes = read(&path, "batch report")?;
    let mut store = Store::open_default()?;
    let actor = ops::technician(&store);
    Ok(exchange::import_report(&mut store, &bytes, &actor, &path)?)
}

/// Admin: the batch against Intune.
#[tauri::command]
pub async fn batch_reconcile(
    hub: State<'_, TenantHub>,
    batch: String,
) -> Result<Reconciliation, ApiError> {
    let connection = hub.connection()?;
    let mut store = Store::open_default()?;
    let record = store.find_batch(&batch)?;
    let actor = ops::technician(&store);
    Ok(exchange::reconcile(
        &mut store,
        connection.client.as_ref(),
        &record.batch.id,
        &actor,
    )
    .await?)
}

/// The chain of custody as PDF and/or CSV; returns the files written.
#[tauri::command]
pub async fn batch_custody(
    batch: String,
    pdf_path: Option<String>,
    csv_path: Option<String>,
) -> Result<Vec<String>, ApiError> {
    let store = Store::open_default()?;
    let record = store.find_batch(&batch)?;
    let actor = ops::technician(&store);
    let fingerprint = stagebench_core::batch::key::load(keyring().as_ref())
        .await
        .ok()
        .flatten()
        .map(|k| k.public().fingerprint);
    let (csv, pdf) = exchange::custody(&store, &record.batch.id, &actor, fingerprint)?;
    let mut written = Vec::new();
    if let Some(p) = pdf_path.filter(|p| !p.trim().is_empty()) {
        let p = path_of(&p)?;
        exchange::write_atomically(&p, &pdf)?;
        written.push(p.display().to_string());
    }
    if let Some(p) = csv_path.filter(|p| !p.trim().is_empty()) {
        let p = path_of(&p)?;
        exchange::write_atomically(&p, csv.as_bytes())?;
        written.push(p.display().to_string());
    }
    if written.is_empty() {
        return Err(ApiError {
            code: "invalid-input",
            message: "Give a PDF and/or a CSV path for the chain of custody.".into(),
        });
    }
    Ok(written)
}

/// The audit log, newest first: optionally one batch's, or one action's.
#[tauri::command]
pub fn audit_log(
    batch: Option<String>,
    action: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<AuditRecord>, ApiError> {
    let store = Store::open_default()?;
    let batch = match batch.filter(|b| !b.is_empty()) {
        Some(b) => Some(store.find_batch(&b)?.batch.id),
        None => None,
    };
    let action = match action.filter(|a| !a.is_empty()) {
        Some(a) => Some(a.parse::<AuditAction>().map_err(|e| ApiError {
            code: "invalid-input",
            message: e.to_string(),
        })?),
        None => None,
    };
    Ok(store.audit_log(&AuditFilter {
        batch,
        action,
        limit: Some(limit.unwrap_or(500)),
        ..AuditFilter::default()
    })?)
}

/// Checks the audit log's hash chain.
#[tauri::command]
pub fn audit_verify() -> Result<AuditCheck, ApiError> {
    Ok(Store::open_default()?.audit_verify()?)
}

/// The bench's signing key (made on first use): its public half for the Settings screen.
#[tauri::command]
pub async fn bench_key() -> Result<BenchPublicKey, ApiError> {
    let key = load_or_create(keyring().as_ref())
        .await
        .map_err(|e| ApiError {
            code: "internal",
            message: e.to_string(),
        })?;
    Ok(key.public())
}

/// A scanned (keyboard wedge) or typed box or device serial joins the batch; the bench cards
/// are sent again so a device already on the bench shows its batch.
#[tauri::command]
pub fn batch_scan(
    bench: State<'_, crate::bench::BenchHub>,
    batch: String,
    text: String,
) -> Result<ScanOutcome, ApiError> {
    let scan = stagebench_core::scanner::parse_scan(&text).map_err(|e| ApiError {
        code: "invalid-input",
        message: e.to_string(),
    })?;
    let mut store = Store::open_default()?;
    let record = store.find_batch(&batch)?;
    if record.closed_at.is_some() {
        return Err(ApiError {
            code: "invalid-input",
            message: format!(
                "Batch “{}” is closed: devices can no longer join it.",
                record.batch.spec.name
            ),
        });
    }
    let actor = ops::technician(&store);
    let outcome = exchange::scan_into_batch(&mut store, &record.batch.id, &scan, &actor)?;
    bench.refresh(false);
    Ok(outcome)
}
