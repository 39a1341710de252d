//! Signed batch reports: the vendor's bench signs one with its report signing key (export),
//! the admin verifies and keeps it (import).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::{audit_entry, write_audited, ExchangeError, Exported};
use crate::audit::AuditAction;
use crate::batch::key::{load_or_create, ReportSigningKey};
use crate::batch::progress::report_devices;
use crate::batch::report::{self, BatchReport, VerifiedReport};
use crate::batch::stats::batch_stats;
use crate::batch::{BatchOrigin, BatchStore, BenchInfo};
use crate::ids::BatchId;
use crate::intune::auth::SecretStore;
use crate::store::Store;

/// Vendor: signs a report of the batch with the bench's report signing key and writes it to
/// `path`. The key signs the store's audit chain from now on too (the report carries its head).
pub async fn export_report(
    store: &mut Store,
    secrets: &dyn SecretStore,
    batch: &BatchId,
    actor: &str,
    path: &Path,
) -> Result<Exported, ExchangeError> {
    let key = Arc::new(load_or_create(secrets, store).await?);
    store.sign_audit_with(key.clone());
    export_report_with(store, &key, batch, actor, path)
}

/// [`export_report`] with a given key (benchmarks, tests).
pub fn export_report_with(
    store: &mut Store,
    key: &ReportSigningKey,
    batch: &BatchId,
    actor: &str,
    path: &Path,
) -> Result<Exported, ExchangeError> {
    let record = store.find_batch(batch.as_str())?;
    let now = store.clock_now();
    let devices = report_devices(store, &record, now)?;
    let mut technicians: BTreeSet<String> = devices
        .iter()
        .flat_map(|d| d.events.iter().filter_map(|e| e.technician.clone()))
        .collect();
    if technicians.is_empty() {
        technicians.insert(actor.to_owned());
    }
    let pack_id = match &record.batch.origin {
        BatchOrigin::Pack { pack_id, .. } => Some(pack_id.clone()),
        BatchOrigin::Local => None,
    };
    let report = BatchReport {
        report_id: format!("{:032x}", rand::random::<u128>()),
        created_at: now,
        batch: record.batch.clone(),
        pack_id,
        bench: BenchInfo {
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            technician: technicians.into_iter().collect::<Vec<_>>().join(", "),
            hostname: hostname(),
        },
        signer: key.public(),
        devices,
        audit_head: store
            .sign_audit_head()?
            .filter(|h| h.signer == key.public().fingerprint),
        stats: Some(batch_stats(store, &record)?),
    };
    let bytes = report::sign(&report, key).map_err(|source| ExchangeError::Report {
        path: path.to_owned(),
        why: source,
    })?;
    let count = u32::try_from(report.devices.len()).unwrap_or(u32::MAX);
    let entry = audit_entry(
        actor,
        AuditAction::ReportExport,
        &record.batch,
        serde_json::json!({"report": report.report_id, "devices": count, "file": path.display().to_string(), "signer": key.public().fingerprint}),
    );
    write_audited(store, path, &bytes, &entry)?;
    Ok(Exported {
        path: path.to_owned(),
        bytes: bytes.len() as u64,
        id: report.report_id,
        devices: count,
        fingerprint: Some(key.public().fingerprint),
        warning: None,
    })
}

fn hostname() -> Option<String> {
    ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// What importing a report found.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportedReport {
    /// The batch.
    pub batch: BatchId,
    /// Its name.
    pub batch_name: String,
    /// Devices listed.
    pub devices: u32,
    /// The signing key's fingerprint: compare it with the one the vendor's Settings screen shows.
    pub signer: String,
    /// SHA-256 of the file.
    pub digest: String,
    /// The batch was not on this machine (it was created from the report).
    pub new_batch: bool,
    /// Earlier reports of this batch were signed by other keys (listed).
    pub other_signers: Vec<String>,
    /// The signer was not trusted for the batch and the admin accepted it by fingerprint: why
    /// it was not (kept in the audit record too).
    pub accepted: Option<super::Untrusted>,
    /// The vendor bench's audit chain head the report carries (signed by the same key).
    pub vendor_audit_head: Option<crate::audit::SignedHead>,
    /// Per stage, how many devices the report lists there.
    pub stages: BTreeMap<String, u32>,
}

/// Admin: verifies a report file and keeps it. A tampered or truncated file is refused with
/// the reason; the same file twice is refused too. A report whose signer is not trusted for its
/// batch (see [`super::vendor_trust`]: a batch this bench never exported, a pack it never
/// exported, another key than the one trusted, or a first key to confirm) is refused unless
/// `accept_key` is the signer's fingerprint; then the key is trusted for the batch from now on
/// and the decision is in the audit record.
pub fn import_report(
    store: &mut Store,
    bytes: &[u8],
    actor: &str,
    path: &Path,
    accept_key: Option<&str>,
) -> Result<ImportedReport, ExchangeError> {
    let VerifiedReport {
        report,
        signer,
        digest,
    } = report::verify(bytes).map_err(|source| ExchangeError::Report {
        path: path.to_owned(),
        why: source,
    })?;
    let accepted =
        super::vendor_trust::check(store, &report, (&signer, &digest), accept_key, path)?;
    let batch = report.batch.clone();
    let new_batch = store.find_batch(batch.id.as_str()).is_err();
    let other_signers: Vec<String> = store
        .reports(&batch.id)?
        .into_iter()
        .map(|r| r.signer)
        .filter(|s| *s != signer.fingerprint)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let count = u32::try_from(report.devices.len()).unwrap_or(u32::MAX);
    let body = String::from_utf8_lossy(bytes);
    let entry = audit_entry(
        actor,
        AuditAction::ReportImport,
        &batch,
        serde_json::json!({"report": report.report_id, "pack": report.pack_id, "devices": count, "signer": signer.fingerprint, "vendor_key": signer.fingerprint, "digest": digest, "file": path.display().to_string(),
            "accepted": accepted.as_ref().map(|why| serde_json::json!({"fingerprint": signer.fingerprint, "why": why.name()})),
            "vendor_audit_head": report.audit_head.as_ref().map(|h| serde_json::json!({"row": h.row, "hash": h.hash}))}),
    );
    store.store_report_audited(
        new_batch.then(|| batch.new_row()),
        &digest,
        &signer.fingerprint,
        count,
        &body,
        &entry,
    )?;
    let mut stages = BTreeMap::new();
    for d in &report.devices {
        *stages.entry(d.stage.name().to_owned()).or_insert(0) += 1;
    }
    Ok(ImportedReport {
        batch: batch.id,
        batch_name: batch.spec.name,
        devices: count,
        signer: signer.fingerprint,
        digest,
        new_batch,
        other_signers,
        accepted,
        vendor_audit_head: report.audit_head,
        stages,
    })
}
