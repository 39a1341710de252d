//! Bench packs: the admin seals a batch and its QR payload into one (export), the vendor's
//! bench opens it (import: the payload into the keyring, the batch into the store), and the QR
//! is shown from the keyring while the batch's token may be used. The payload leaves the
//! keyring when its batch closes ([`close_batch`]), and a payload the bench kept from its own
//! tenant when the bench signs out ([`forget_tenant_qrs`]).

use std::path::Path;

use super::{audit_entry, check_token, write_audited, ExchangeError, Exported};
use crate::audit::AuditAction;
use crate::batch::pack::{self, BenchPack};
use crate::batch::progress::token_check;
use crate::batch::{Batch, BatchOrigin, BatchStore};
use crate::ids::BatchId;
use crate::intune::auth::SecretStore;
use crate::secret::SecretText;
use crate::stage::Flow;
use crate::store::{BatchStoreError, Store, StoreHandle};

/// The keyring entry holding a batch's QR payload on a vendor bench.
pub fn qr_secret_name(batch: &BatchId) -> String {
    format!("batch-qr:{batch}")
}

/// Admin: seals the batch, its profile facts and the QR payload (from Intune, with its token)
/// into a bench pack at `path`. With `vendor_key` (a fingerprint, see
/// [`super::vendor_fingerprint`]), only that vendor key may sign the batch's report.
#[allow(clippy::too_many_arguments)]
pub fn export_pack(
    store: &mut Store,
    batch: &BatchId,
    qr_payload: SecretText,
    passphrase: &SecretText,
    tenant: Option<String>,
    vendor_key: Option<&str>,
    actor: &str,
    path: &Path,
) -> Result<Exported, ExchangeError> {
    let vendor_key = vendor_key.map(super::vendor_fingerprint).transpose()?;
    let batch = check_token(store, batch)?;
    let warning = token_check(&batch, None, store.clock_now()).message;
    let pack = BenchPack {
        pack_id: format!("{:032x}", rand::random::<u128>()),
        created_at: store.clock_now(),
        created_by: actor.to_owned(),
        tenant,
        batch: batch.clone(),
        qr_payload,
        note: None,
    };
    let sealed = pack::seal(&pack, passphrase).map_err(|source| ExchangeError::Pack {
        path: path.to_owned(),
        why: source,
    })?;
    let entry = audit_entry(
        actor,
        AuditAction::PackExport,
        &batch,
        serde_json::json!({"pack": pack.pack_id, "file": path.display().to_string(), "expected_serials": batch.spec.expected_serials.len(), "vendor_key": vendor_key}),
    );
    write_audited(store, path, &sealed, &entry)?;
    Ok(Exported {
        path: path.to_owned(),
        bytes: sealed.len() as u64,
        id: pack.pack_id,
        devices: 0,
        fingerprint: None,
        warning,
    })
}

/// Vendor: opens a bench pack; the QR payload goes into the OS keyring, the batch into the
/// store (with its audit record).
pub async fn import_pack(
    store: &mut Store,
    secrets: &dyn SecretStore,
    bytes: &[u8],
    passphrase: &SecretText,
    actor: &str,
    path: &Path,
) -> Result<Batch, ExchangeError> {
    let pack = pack::open(bytes, passphrase).map_err(|source| ExchangeError::Pack {
        path: path.to_owned(),
        why: source,
    })?;
    if let Ok(existing) = store.find_batch(pack.batch.id.as_str()) {
        return Err(BatchStoreError::Exists(existing.batch.id).into());
    }
    // The secret first: a kill after it leaves an unused keyring entry (overwritten by the
    // next import), never a batch without its QR.
    if pack.batch.spec.profile.flow != Flow::WindowsDem {
        secrets
            .set(&qr_secret_name(&pack.batch.id), &pack.qr_payload)
            .await?;
    }
    let mut batch = pack.batch.clone();
    batch.origin = BatchOrigin::Pack {
        pack_id: pack.pack_id.clone(),
        created_by: pack.created_by.clone(),
    };
    let entry = audit_entry(
        actor,
        AuditAction::PackImport,
        &batch,
        serde_json::json!({"pack": pack.pack_id, "from": pack.created_by, "tenant": pack.tenant, "file": path.display().to_string()}),
    );
    store.create_batch_audited(&batch, &entry)?;
    Ok(batch)
}

/// Vendor (or admin): the batch's QR payload to show, while its token is usable. Records the
/// display in the audit log.
pub async fn show_qr(
    store: &mut Store,
    secrets: &dyn SecretStore,
    batch: &BatchId,
    actor: &str,
) -> Result<SecretText, ExchangeError> {
    let batch = check_token(store, batch)?;
    let payload = secrets
        .get(&qr_secret_name(&batch.id))
        .await?
        .ok_or_else(|| ExchangeError::NoQr(batch.id.clone()))?;
    store.audit(&audit_entry(
        actor,
        AuditAction::QrDisplay,
        &batch,
        serde_json::json!({}),
    ))?;
    store.record_qr_shown(&batch.id, actor)?;
    Ok(payload)
}

/// Keeps an admin's own QR payload for a local batch (so the bench can show it offline).
pub async fn keep_qr(
    secrets: &dyn SecretStore,
    batch: &BatchId,
    payload: &SecretText,
) -> Result<(), ExchangeError> {
    secrets.set(&qr_secret_name(batch), payload).await?;
    Ok(())
}

/// Closes a batch: it stays for reports and audits, but devices no longer join it, and its QR
/// payload (token and Wi-Fi key inside) leaves the keyring. The keyring first: when it refuses,
/// the batch stays open and closing again finishes the job.
pub async fn close_batch(
    store: &StoreHandle,
    secrets: &dyn SecretStore,
    batch: &str,
) -> Result<BatchId, ExchangeError> {
    let id = store.lock().find_batch(batch)?.batch.id;
    secrets.delete(&qr_secret_name(&id)).await?;
    store.lock().close_batch(&id)?;
    Ok(id)
}

/// After the bench signs out: the QR payloads it kept from its own tenant (batches made on this
/// bench) leave the keyring; they come back from the tenant after the next sign-in. Payloads
/// from bench packs stay until their batch closes (the pack cannot be opened twice). Returns how
/// many entries were removed.
pub async fn forget_tenant_qrs(
    store: &StoreHandle,
    secrets: &dyn SecretStore,
) -> Result<usize, ExchangeError> {
    let local: Vec<BatchId> = store
        .lock()
        .batches()?
        .into_iter()
        .filter(|r| r.batch.origin == BatchOrigin::Local)
        .map(|r| r.batch.id)
        .collect();
    let mut removed = 0;
    for id in &local {
        removed += usize::from(secrets.delete(&qr_secret_name(id)).await?);
    }
    Ok(removed)
}
