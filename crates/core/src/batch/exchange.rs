//! The admin ↔ vendor exchange, as the surfaces run it: export a bench pack (admin), import it
//! on an offline bench and show its QR (vendor), export the signed report (vendor), import,
//! verify and reconcile it against Intune (admin), and the chain of custody. Every step leaves
//! an audit record.
//!
//! Crash safety: files are written to a temporary file in the target folder, synced, then
//! renamed, so a file is either whole or absent; the store is changed in one transaction after
//! the file (or, on import, after the keyring), so a kill at any point leaves the store as it
//! was before the step or as it is after it, never half of it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;

use super::custody::{custody_csv, custody_pdf, CustodyInput};
use super::key::{load_or_create, KeyError, ReportSigningKey};
use super::pack::{self, BenchPack, PackError};
use super::progress::{report_devices, token_check};
use super::report::{self, BatchReport, ReportError, VerifiedReport};
use super::{Batch, BatchOrigin, BatchStore, BenchInfo, ReportDevice};
use crate::audit::{AuditAction, AuditEntry};
use crate::identity::is_identifying_serial;
use crate::ids::BatchId;
use crate::intune::auth::SecretStore;
use crate::intune::status::IntuneStatus;
use crate::intune::sync::{IntuneDirectory, SyncError, LOOKUP_CHUNK};
use crate::intune::SignInError;
use crate::remedy::{HasRemedy, Remedy};
use crate::secret::SecretText;
use crate::stage::{Flow, Stage};
use crate::store::AuditFilter;
use crate::store::{BatchStoreError, Store, StoreError};

/// Why an exchange step failed. Messages name the file or batch and the next step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The pack could not be made or opened.
    #[error("bench pack {}: {why}", path.display())]
    Pack {
        /// The file.
        path: PathBuf,
        /// Why.
        why: PackError,
    },
    /// The report could not be made or verified.
    #[error("batch report {}: {why}", path.display())]
    Report {
        /// The file.
        path: PathBuf,
        /// Why.
        why: ReportError,
    },
    /// The bench's report signing key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The keyring.
    #[error(transparent)]
    Keyring(#[from] SignInError),
    /// Reading or writing a file.
    #[error("{}: {why}; check the path and that the folder is writable", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        why: std::io::Error,
    },
    /// The batch's token may not be used.
    #[error("{0}")]
    TokenUnusable(String),
    /// The batch has no enrollment QR on this bench.
    #[error("batch {0} has no enrollment QR on this bench: import its bench pack again")]
    NoQr(BatchId),
    /// The store.
    #[error(transparent)]
    Batch(#[from] BatchStoreError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Intune.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl HasRemedy for ExchangeError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            ExchangeError::NoQr(batch) => Some(Remedy::ImportBenchPack {
                batch: batch.clone(),
            }),
            ExchangeError::Keyring(e) => e.remedy(),
            ExchangeError::Batch(e) => e.remedy(),
            ExchangeError::Sync(e) => e.remedy(),
            ExchangeError::Pack { .. }
            | ExchangeError::Report { .. }
            | ExchangeError::Key(_)
            | ExchangeError::Io { .. }
            | ExchangeError::TokenUnusable(_)
            | ExchangeError::Store(_) => None,
        }
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, synced, renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExchangeError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{name}.{:08x}.tmp", rand::random::<u32>()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ExchangeError::Io {
            path: path.to_owned(),
            why: source,
        });
    }
    Ok(())
}

/// The keyring entry holding a batch's QR payload on a vendor bench.
pub fn qr_secret_name(batch: &BatchId) -> String {
    format!("batch-qr:{batch}")
}

/// A token reference for the audit log: never the token, only which one.
pub fn token_ref(batch: &Batch) -> Option<String> {
    let p = &batch.spec.profile;
    if p.flow == Flow::WindowsDem {
        return None;
    }
    let expires = p
        .token_expires
        .map(crate::clock::timestamp)
        .unwrap_or_else(|| "no expiry".into());
    Some(format!(
        "{} \"{}\" (expires {expires})",
        if p.profile_id.is_empty() {
            "-"
        } else {
            &p.profile_id
        },
        p.profile_name
    ))
}

fn audit_entry(
    actor: &str,
    action: AuditAction,
    batch: &Batch,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        actor: actor.to_owned(),
        action,
        batch: Some(batch.id.clone()),
        token: token_ref(batch),
        device: None,
        detail,
    }
}

/// Records that a batch was created.
pub fn audit_created(store: &mut Store, batch: &Batch, actor: &str) -> Result<(), StoreError> {
    store.audit(&audit_entry(
        actor,
        AuditAction::BatchCreate,
        batch,
        serde_json::json!({"name": batch.spec.name, "vendor": batch.spec.vendor}),
    ))?;
    Ok(())
}

fn check_token(store: &Store, batch: &BatchId) -> Result<Batch, ExchangeError> {
    let record = store.find_batch(batch.as_str())?;
    let check = token_check(
        &record.batch,
        record.token_revoked_at.as_deref(),
        store.clock_now(),
    );
    if check.state.unusable() {
        return Err(ExchangeError::TokenUnusable(
            check.message.unwrap_or_default(),
        ));
    }
    Ok(record.batch)
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Exported {
    /// The file.
    #[ts(type = "string")]
    pub path: PathBuf,
    /// Its size.
    #[ts(type = "number")]
    pub bytes: u64,
    /// The pack's or report's id.
    pub id: String,
    /// Devices in a report (0 for a pack).
    pub devices: u32,
    /// The signing key's fingerprint (reports).
    pub fingerprint: Option<String>,
    /// A warning to show (a token expiring before the due date).
    pub warning: Option<String>,
}

/// Admin: seals the batch, its profile facts and the QR payload (from Intune, with its token)
/// into a bench pack at `path`.
pub fn export_pack(
    store: &mut Store,
    batch: &BatchId,
    qr_payload: SecretText,
    passphrase: &SecretText,
    tenant: Option<String>,
    actor: &str,
    path: &Path,
) -> Result<Exported, ExchangeError> {
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
    write_atomically(path, &sealed)?;
    store.audit(&audit_entry(actor, AuditAction::PackExport, &batch, serde_json::json!({"pack": pack.pack_id, "file": path.display().to_string(), "expected_serials": batch.spec.expected_serials.len()})))?;
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

/// Vendor: signs a report of the batch with the bench's report signing key and writes it to
/// `path`.
pub async fn export_report(
    store: &mut Store,
    secrets: &dyn SecretStore,
    batch: &BatchId,
    actor: &str,
    path: &Path,
) -> Result<Exported, ExchangeError> {
    let key = load_or_create(secrets).await?;
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
    };
    let bytes = report::sign(&report, key).map_err(|source| ExchangeError::Report {
        path: path.to_owned(),
        why: source,
    })?;
    write_atomically(path, &bytes)?;
    let count = u32::try_from(report.devices.len()).unwrap_or(u32::MAX);
    store.audit(&audit_entry(actor, AuditAction::ReportExport, &record.batch, serde_json::json!({"report": report.report_id, "devices": count, "file": path.display().to_string(), "signer": key.public().fingerprint})))?;
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
    /// Per stage, how many devices the report lists there.
    pub stages: BTreeMap<String, u32>,
}

/// Admin: verifies a report file and keeps it. A tampered or truncated file is refused with
/// the reason; the same file twice is refused too.
pub fn import_report(
    store: &mut Store,
    bytes: &[u8],
    actor: &str,
    path: &Path,
) -> Result<ImportedReport, ExchangeError> {
    let VerifiedReport {
        report,
        signer,
        digest,
    } = report::verify(bytes).map_err(|source| ExchangeError::Report {
        path: path.to_owned(),
        why: source,
    })?;
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
        serde_json::json!({"report": report.report_id, "devices": count, "signer": signer.fingerprint, "digest": digest, "file": path.display().to_string()}),
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
        stages,
    })
}

/// One device in a reconciliation.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ReconciledDevice {
    /// The serial it is known by.
    pub serial: String,
    /// Its stage in the report (`None`: not in the report).
    pub reported_stage: Option<Stage>,
    /// Intune's device name, when Intune shows it.
    pub intune_name: Option<String>,
    /// Intune's id.
    pub intune_id: Option<String>,
    /// Intune's user, when one is on the device.
    pub intune_user: Option<String>,
}

/// A batch reconciled against Intune.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Reconciliation {
    /// The batch.
    pub batch: BatchId,
    /// Reports used (digests), or empty when the bench's own records were used.
    pub reports: Vec<String>,
    /// In the report and in Intune.
    pub matched: Vec<ReconciledDevice>,
    /// In the report, not in Intune (those past stage 2 should be there).
    pub missing_in_intune: Vec<ReconciledDevice>,
    /// In Intune (an expected serial) but not in the report: a device the bench never saw.
    pub unexpected: Vec<ReconciledDevice>,
    /// Expected, in neither the report nor Intune.
    pub not_staged: Vec<String>,
    /// In the report but not on the batch's expected list (when it has one).
    pub not_expected: Vec<String>,
    /// Serials Intune could not be asked about this time (throttled, offline): run it again.
    pub failed: Vec<String>,
}

/// The devices a reconciliation works from: the imported reports' (union, newest first wins),
/// else the bench's own.
fn reconcile_source(
    store: &Store,
    batch: &BatchId,
) -> Result<(Vec<ReportDevice>, Vec<String>), ExchangeError> {
    let reports = store.reports(batch)?;
    if reports.is_empty() {
        let record = store.find_batch(batch.as_str())?;
        return Ok((report_devices(store, &record, store.clock_now())?, vec![]));
    }
    let mut devices: Vec<ReportDevice> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut digests = Vec::new();
    for r in reports.iter().rev() {
        // Kept reports were verified on import; verify again, in case the store was edited.
        let verified =
            report::verify(r.body.as_bytes()).map_err(|source| ExchangeError::Report {
                path: PathBuf::from(format!("stored report {}", r.digest)),
                why: source,
            })?;
        digests.push(r.digest.clone());
        for d in verified.report.devices {
            let key = d
                .serials
                .iter()
                .map(|s| s.value.to_ascii_uppercase())
                .find(|s| is_identifying_serial(s))
                .unwrap_or_default();
            if key.is_empty() || seen.insert(key) {
                devices.push(d);
            }
        }
    }
    Ok((devices, digests))
}

/// Admin: the batch's reported devices against Intune: matched, missing in Intune, unexpected
/// (Intune shows an expected device no report lists), not staged, not expected.
pub async fn reconcile(
    store: &mut Store,
    directory: &dyn IntuneDirectory,
    batch: &BatchId,
    actor: &str,
) -> Result<Reconciliation, ExchangeError> {
    let record = store.find_batch(batch.as_str())?;
    let (devices, reports) = reconcile_source(store, batch)?;
    let expected: BTreeSet<String> = record.batch.spec.expected_serials.iter().cloned().collect();
    // Every identifying serial of every device, plus the expected ones.
    let mut ask: BTreeSet<String> = expected
        .iter()
        .filter(|s| is_identifying_serial(s))
        .cloned()
        .collect();
    for d in &devices {
        ask.extend(
            d.serials
                .iter()
                .map(|s| s.value.trim().to_ascii_uppercase())
                .filter(|s| is_identifying_serial(s)),
        );
    }
    let ask: Vec<String> = ask.into_iter().collect();
    let mut found: BTreeMap<String, Vec<IntuneStatus>> = BTreeMap::new();
    let mut failed = Vec::new();
    for chunk in ask.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_serials(chunk).await?;
        failed.extend(lookup.failed.into_iter().map(|(s, _)| s));
        for (serial, statuses) in lookup.found {
            found.insert(serial.to_ascii_uppercase(), statuses);
        }
    }
    let mut result = Reconciliation {
        batch: batch.clone(),
        reports,
        matched: vec![],
        missing_in_intune: vec![],
        unexpected: vec![],
        not_staged: vec![],
        not_expected: vec![],
        failed,
    };
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for d in &devices {
        let serials: Vec<String> = d
            .serials
            .iter()
            .map(|s| s.value.trim().to_ascii_uppercase())
            .collect();
        reported.extend(serials.iter().cloned());
        let shown = serials
            .iter()
            .find(|s| is_identifying_serial(s))
            .or(serials.first())
            .cloned()
            .unwrap_or_default();
        let status = serials
            .iter()
            .find_map(|s| found.get(s).and_then(|v| v.first()));
        let entry = ReconciledDevice {
            serial: shown.clone(),
            reported_stage: Some(d.stage),
            intune_name: status.map(|s| s.device_name.clone()),
            intune_id: status.map(|s| s.intune_id.clone()),
            intune_user: status.and_then(|s| s.user_principal_name.clone()),
        };
        if status.is_some() {
            result.matched.push(entry);
        } else {
            result.missing_in_intune.push(entry);
        }
        if !expected.is_empty() && !serials.iter().any(|s| expected.contains(s)) {
            result.not_expected.push(shown);
        }
    }
    for serial in expected.iter().filter(|s| !reported.contains(*s)) {
        match found.get(serial).and_then(|v| v.first()) {
            Some(status) => result.unexpected.push(ReconciledDevice {
                serial: serial.clone(),
                reported_stage: None,
                intune_name: Some(status.device_name.clone()),
                intune_id: Some(status.intune_id.clone()),
                intune_user: status.user_principal_name.clone(),
            }),
            None => result.not_staged.push(serial.clone()),
        }
    }
    store.audit(&audit_entry(
        actor,
        AuditAction::Reconcile,
        &record.batch,
        serde_json::json!({"matched": result.matched.len(), "missing_in_intune": result.missing_in_intune.len(), "unexpected": result.unexpected.len(), "not_staged": result.not_staged.len(), "reports": result.reports}),
    ))?;
    Ok(result)
}

/// The chain-of-custody report of a batch: CSV text and PDF bytes.
pub fn custody(
    store: &Store,
    batch: &BatchId,
    generated_by: &str,
    signer_fingerprint: Option<String>,
) -> Result<(String, Vec<u8>), ExchangeError> {
    let record = store.find_batch(batch.as_str())?;
    let now: OffsetDateTime = store.clock_now();
    let (devices, _) = reconcile_source(store, batch)?;
    let audit = store.audit_log(&AuditFilter {
        batch: Some(batch.clone()),
        ..AuditFilter::default()
    })?;
    let input = CustodyInput {
        batch: record.batch,
        devices,
        audit,
        generated_at: now,
        generated_by: generated_by.to_owned(),
        signer_fingerprint,
    };
    Ok((custody_csv(&input), custody_pdf(&input)))
}

/// Records a token action or a QR display or reveal of a tenant profile in the audit log (the
/// token by reference: profile id, name, expiry). A revoke flags the open batches using the
/// profile; a new token is taken over by them (their devices may enroll again).
pub fn audit_profile(
    store: &mut Store,
    actor: &str,
    action: AuditAction,
    profile: &crate::intune::graph::EnrollmentProfile,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let expires = profile
        .token_expires
        .map(crate::clock::timestamp)
        .unwrap_or_else(|| "no expiry".into());
    store.audit(&AuditEntry {
        actor: actor.to_owned(),
        action,
        batch: None,
        token: Some(format!(
            "{} \"{}\" (expires {expires})",
            profile.id, profile.display_name
        )),
        device: None,
        detail,
    })?;
    match action {
        AuditAction::TokenRevoke => {
            store.mark_token_revoked(&profile.id)?;
        }
        AuditAction::TokenCreate => {
            store.renew_batch_token(&profile.id, profile.token_expires)?;
        }
        _ => {}
    }
    Ok(())
}
