//! The admin ↔ vendor exchange, as the surfaces run it: export a bench pack (admin), import it
//! on an offline bench and show its QR (vendor), export the signed report (vendor), import,
//! verify and reconcile it against Intune (admin), and the chain of custody. Every step leaves
//! an audit record.
//!
//! Crash safety: files are written through `stagebench_files` (a random temporary name in the
//! target folder, owner-only, synced, renamed), so a file is either whole or absent. An
//! export's audit record is appended before its file takes its name (a kill between leaves a
//! record whose file is absent, never a file the log does not know); an import changes the
//! store in one transaction after the keyring, so a kill leaves the store as it was before the
//! step or as it is after it, never half of it.
//!
//! Layout: this file holds what every step shares (its error, the file writes, the audit
//! records, the token check); `bench_pack` exports and imports bench packs and shows or keeps
//! the QR payload they carry; `signed_report` exports and imports signed batch reports;
//! `reconcile` holds a batch's reported devices against Intune, and the chain of custody drawn
//! from the same devices.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::key::KeyError;
use super::pack::PackError;
use super::progress::token_check;
use super::report::ReportError;
use super::{Batch, BatchStore};
use crate::audit::{AuditAction, AuditEntry};
use crate::ids::BatchId;
use crate::intune::sync::SyncError;
use crate::intune::SignInError;
use crate::remedy::{HasRemedy, Remedy};
use crate::stage::Flow;
use crate::store::{BatchStoreError, Store, StoreError};

mod bench_pack;
mod reconcile;
mod signed_report;
mod vendor_trust;

pub use bench_pack::{
    close_batch, export_pack, forget_tenant_qrs, import_pack, keep_qr, qr_secret_name, show_qr,
};
pub use reconcile::{custody, export_custody, reconcile, ReconciledDevice, Reconciliation};
pub use signed_report::{export_report, export_report_with, import_report, ImportedReport};
pub use vendor_trust::{vendor_fingerprint, Untrusted};

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
    /// The report's signer is not trusted for its batch, and the admin did not accept it.
    #[error("{0}")]
    UntrustedSigner(Box<SignerRefusal>),
    /// A report with this id was imported before (the file differs: it was re-signed or edited).
    #[error(
        "batch report {}: a report with id {report} was imported before, and this file is \
         another one: it was edited or signed again. Ask the vendor to export a new report"
    , path.display())]
    ReportIdReused {
        /// The file.
        path: PathBuf,
        /// The report id.
        report: String,
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
            ExchangeError::UntrustedSigner(refusal) => Some(Remedy::AcceptVendorKey {
                fingerprint: refusal.signer.clone(),
            }),
            ExchangeError::Keyring(e) => e.remedy(),
            ExchangeError::Batch(e) => e.remedy(),
            ExchangeError::Sync(e) => e.remedy(),
            ExchangeError::Pack { .. }
            | ExchangeError::Report { .. }
            | ExchangeError::ReportIdReused { .. }
            | ExchangeError::Key(_)
            | ExchangeError::Io { .. }
            | ExchangeError::TokenUnusable(_)
            | ExchangeError::Store(_) => None,
        }
    }
}

/// A report refused because its signer is not trusted for its batch
/// ([`ExchangeError::UntrustedSigner`]).
#[derive(Debug, thiserror::Error)]
#[error(
    "batch report {}: refused, because {why}. It is signed by bench key {signer}: compare that \
     fingerprint with the one on the vendor's Settings screen, and accept the key only if they \
     match{}",
    path.display(),
    accepted.as_ref().map(|a| format!(" (the key accepted, {a}, is not this report's signer)")).unwrap_or_default()
)]
pub struct SignerRefusal {
    /// The file.
    pub path: PathBuf,
    /// The report's batch.
    pub batch: BatchId,
    /// The signer's fingerprint.
    pub signer: String,
    /// Why it is not trusted.
    pub why: vendor_trust::Untrusted,
    /// The fingerprint the admin accepted, when it was another.
    pub accepted: Option<String>,
}

/// Writes `bytes` to `path` owner-only, whole or not at all, never through a planted symlink
/// ([`stagebench_files::write_private`]): exports may hold a token, a report or a custody record.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ExchangeError> {
    stagebench_files::write_private(path, bytes).map_err(file_error)
}

/// Writes an export whose audit record comes first: the file is written aside (owner-only),
/// `entry` is appended, and only then does the file take its name. A file that can't take its
/// name leaves a second record, the same with `failed` saying why; a record that can't be
/// appended leaves no file.
fn write_audited(
    store: &mut Store,
    path: &Path,
    bytes: &[u8],
    entry: &AuditEntry,
) -> Result<(), ExchangeError> {
    let mut file = stagebench_files::PrivateFile::create(path).map_err(file_error)?;
    file.write_all(bytes).map_err(|why| ExchangeError::Io {
        path: path.to_owned(),
        why,
    })?;
    store.audit(entry)?;
    let Err(e) = file.commit() else {
        return Ok(());
    };
    let mut failed = entry.clone();
    if let Some(detail) = failed.detail.as_object_mut() {
        detail.insert("failed".into(), serde_json::json!(e.to_string()));
    }
    store.audit(&failed)?;
    Err(file_error(e))
}

fn file_error(e: stagebench_files::FileError) -> ExchangeError {
    ExchangeError::Io {
        path: e.path,
        why: e.source,
    }
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
