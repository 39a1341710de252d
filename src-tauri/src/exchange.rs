//! The Batches screen's pack commands: export and import a bench pack, show a batch's QR from
//! its pack (or the tenant). Thin over `stagebench_core::batch::exchange`; the reports are in
//! [`crate::reports`].
//!
//! A pack is written by file name to the bench's export folder and read from the file chosen in
//! the native open dialog ([`crate::files`]): no command takes a path from the page. Passphrases
//! cross the IPC once and are not kept. Work that waits on the keyring or Graph while writing
//! the store gets a store connection of its own.

use stagebench_core::intune::auth::TenantStore;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use stagebench_core::batch::exchange::{self, Exported};
use stagebench_core::batch::pack::{check_passphrase, generate_passphrase};
use stagebench_core::batch::{Batch, BatchStore};
use stagebench_core::enrollment_qr::{EnrollmentQr, QrView};
use stagebench_core::ids::BatchId;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::intune::service::TenantService;
use stagebench_core::limits::{self, ByteLimit};
use stagebench_core::remedy::Remedy;
use stagebench_core::secret::SecretText;
use stagebench_core::stage::Flow;
use stagebench_core::store::Store;
use tauri::{Runtime, State, Window};
use time::OffsetDateTime;

use crate::error::{invalid, ApiError};
use crate::files::{export_path, pick, Wanted};
use crate::state::App;

/// The OS keyring, where packs' QR payloads and the bench key live.
pub fn keyring() -> Arc<OsKeyring> {
    Arc::new(OsKeyring::new())
}

/// The file at `path` within `limit` (a pack or report past it is refused by its length), or
/// what to check.
pub fn read(path: &Path, limit: &ByteLimit) -> Result<Vec<u8>, ApiError> {
    limits::read_file(path, limit).map_err(|e| invalid(e.to_string()))
}

/// The open dialog for a bench pack.
const PACK_FILE: Wanted = Wanted {
    title: "Import bench pack",
    kind: "StageBench bench pack",
    extensions: &["stagebench-pack"],
};

/// What exporting a pack gives the screen: the file, and the passphrase when one was made
/// (shown once, to pass to the vendor by another channel).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct PackExported {
    /// The file written.
    pub exported: Exported,
    /// The generated passphrase, when none was given.
    pub passphrase: Option<String>,
}

/// The passphrase given, checked, or a strong new one (`true`: made here).
fn passphrase_or_new(given: Option<String>) -> Result<(SecretText, bool), ApiError> {
    let (pass, made) = match given.filter(|p| !p.is_empty()) {
        Some(p) => (SecretText::new(p), false),
        None => (generate_passphrase(), true),
    };
    check_passphrase(&pass).map_err(invalid)?;
    Ok((pass, made))
}

/// The batch's enrollment QR payload, read from the tenant now (a Windows batch has none).
async fn payload_from_tenant(
    tenant: Result<&TenantService, ApiError>,
    batch: &Batch,
) -> Result<SecretText, ApiError> {
    let profile = &batch.spec.profile;
    if profile.flow == Flow::WindowsDem {
        return Ok(SecretText::new("null"));
    }
    if profile.profile_id.is_empty() {
        return Err(invalid("This batch has no tenant profile, so there is no QR to put in a pack: create the batch from a tenant profile (or use `stagebench batch export-pack --payload-file`)."));
    }
    let id = profile.profile_id.as_str();
    let p = tenant?
        .call(|c| async move { c.client.enrollment_profile(id).await })
        .await?;
    p.usable_qr_content(OffsetDateTime::now_utc()).cloned().ok_or_else(|| ApiError {
        code: "token-unusable",
        message: format!("The token of “{}” expired or was revoked: create a new token on the Profiles screen, then export the pack.", p.display_name),
        remedy: Some(Remedy::ReplaceToken { profile: p.display_name.clone() }),
    })
}

/// Seals `batch` and `payload` into a pack at `path`, as the bench's technician; with
/// `vendor_key`, only that vendor key may sign the batch's report.
fn seal(
    store: &mut Store,
    (batch, payload): (&BatchId, SecretText),
    pass: &SecretText,
    vendor_key: Option<&str>,
    path: &Path,
) -> Result<Exported, ApiError> {
    let tenant = store.tenant_settings().ok().flatten();
    let (actor, tenant) = (store.technician(), tenant.map(|t| t.tenant));
    let vendor_key = vendor_key.filter(|k| !k.trim().is_empty());
    Ok(exchange::export_pack(
        store, batch, payload, pass, tenant, vendor_key, &actor, path,
    )?)
}

impl PackExported {
    fn new(exported: Exported, pass: &SecretText, made: bool) -> PackExported {
        PackExported {
            exported,
            passphrase: made.then(|| pass.expose().to_owned()),
        }
    }
}

/// Imports the pack at `path` opened with `passphrase`, as the bench's technician, on a store
/// connection of its own; with `activate`, it becomes the active batch. The bench's cards are
/// sent again.
async fn import(
    app: &App,
    path: &Path,
    passphrase: String,
    activate: bool,
) -> Result<Batch, ApiError> {
    let mut store = app.store()?.open_another()?;
    let (actor, pass) = (store.technician(), SecretText::new(passphrase));
    let (bytes, secrets) = (read(path, &limits::BENCH_PACK)?, keyring());
    let batch = exchange::import_pack(&mut store, secrets.as_ref(), &bytes, &pass, &actor, path);
    let batch = batch.await?;
    if activate {
        store.set_active_batch(Some(&batch.id))?;
    }
    app.bench.refresh(true);
    Ok(batch)
}

/// Admin: seals the batch and its profile's current QR (read from the tenant now) into a bench
/// pack named `file` in the export folder. Without a passphrase, a strong one is made and
/// returned once. With `vendor_key` (the vendor bench's fingerprint or public key), only that
/// key may sign the batch's report.
#[tauri::command]
pub async fn batch_export_pack(
    app: State<'_, App>,
    batch: String,
    file: String,
    passphrase: Option<String>,
    vendor_key: Option<String>,
) -> Result<PackExported, ApiError> {
    let (batch, path) = (
        app.store()?.lock().find_batch(&batch)?.batch,
        export_path(&file)?,
    );
    let payload = (&batch.id, payload_from_tenant(app.tenant(), &batch).await?);
    let (pass, made) = passphrase_or_new(passphrase)?;
    let exported = seal(
        &mut app.store()?.lock(),
        payload,
        &pass,
        vendor_key.as_deref(),
        &path,
    )?;
    Ok(PackExported::new(exported, &pass, made))
}

/// Vendor: imports the bench pack chosen in the open dialog (`None`: cancelled); optionally
/// makes it the active batch. Attached devices it expects join it now: their cards change.
#[tauri::command]
pub async fn batch_import_pack<R: Runtime>(
    app: State<'_, App>,
    window: Window<R>,
    passphrase: String,
    activate: bool,
) -> Result<Option<Batch>, ApiError> {
    let Some(path) = pick(&window, PACK_FILE).await? else {
        return Ok(None);
    };
    Ok(Some(import(&app, &path, passphrase, activate).await?))
}

/// The batch's QR payload: from its pack, else (a batch made here) from the tenant, kept.
async fn qr_payload(app: &App, store: &mut Store, batch: &Batch) -> Result<SecretText, ApiError> {
    let (secrets, actor) = (keyring(), store.technician());
    match exchange::show_qr(store, secrets.as_ref(), &batch.id, &actor).await {
        Err(exchange::ExchangeError::NoQr(_)) if !batch.spec.profile.profile_id.is_empty() => {
            let payload = payload_from_tenant(app.tenant(), batch).await?;
            exchange::keep_qr(secrets.as_ref(), &batch.id, &payload).await?;
            Ok(exchange::show_qr(store, secrets.as_ref(), &batch.id, &actor).await?)
        }
        other => Ok(other?),
    }
}

/// The QR of `payload` for `batch`'s flow, without the payload.
fn qr_of(batch: &Batch, payload: &SecretText) -> Result<QrView, ApiError> {
    let aosp = matches!(
        batch.spec.profile.flow,
        Flow::AospUserless | Flow::AospUserAssociated
    );
    let qr = EnrollmentQr::from_profile_content(payload.expose(), aosp)?;
    Ok(QrView {
        token: None,
        payload: String::new(),
        ..qr.view()
    })
}

/// The batch's enrollment QR, from its pack (vendor) or from the tenant (a batch made here),
/// while its token is usable. The payload stays out of the answer. The batch's new devices move
/// to "scan the QR now", so the cards are sent again.
#[tauri::command]
pub async fn batch_qr(app: State<'_, App>, batch: String) -> Result<QrView, ApiError> {
    let mut store = app.store()?.open_another()?;
    let batch = store.find_batch(&batch)?.batch;
    let qr = qr_of(&batch, &qr_payload(&app, &mut store, &batch).await?)?;
    app.bench.refresh(false);
    Ok(qr)
}
