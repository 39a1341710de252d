//! A batch's reported devices (its imported reports', else the bench's own) against Intune,
//! and the chain of custody drawn from the same devices.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;

use super::{audit_entry, write_audited, ExchangeError};
use crate::audit::AuditAction;
use crate::batch::custody::{custody_csv, custody_pdf, CustodyInput};
use crate::batch::progress::report_devices;
use crate::batch::report;
use crate::batch::{BatchStore, ReportDevice};
use crate::identity::is_identifying_serial;
use crate::ids::BatchId;
use crate::intune::status::IntuneStatus;
use crate::intune::sync::{IntuneDirectory, LOOKUP_CHUNK};
use crate::stage::Stage;
use crate::store::{AuditFilter, Store};

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
///
/// The document carries the audit chain's head, signed now when the store has the bench key
/// attached ([`Store::sign_audit_with`]) and the newest row is not signed yet.
pub fn custody(
    store: &mut Store,
    batch: &BatchId,
    generated_by: &str,
    signer_fingerprint: Option<String>,
) -> Result<(String, Vec<u8>), ExchangeError> {
    let audit_head = store.sign_audit_head()?;
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
        audit_head,
    };
    Ok((custody_csv(&input), custody_pdf(&input)))
}

/// Writes the chain of custody of `batch` to `pdf` and/or `csv` (see [`custody`]), each file
/// owner-only and audited before it appears (a `custody-export` record naming the file); the
/// files written.
pub fn export_custody(
    store: &mut Store,
    batch: &BatchId,
    actor: &str,
    signer_fingerprint: Option<String>,
    (pdf, csv): (Option<&Path>, Option<&Path>),
) -> Result<Vec<PathBuf>, ExchangeError> {
    let (csv_text, pdf_bytes) = custody(store, batch, actor, signer_fingerprint)?;
    let record = store.find_batch(batch.as_str())?;
    let mut written = Vec::new();
    for (path, bytes, format) in [(pdf, pdf_bytes, "pdf"), (csv, csv_text.into_bytes(), "csv")] {
        let Some(path) = path else { continue };
        let detail = serde_json::json!({"file": path.display().to_string(), "format": format});
        let entry = audit_entry(actor, AuditAction::CustodyExport, &record.batch, detail);
        write_audited(store, path, &bytes, &entry)?;
        written.push(path.to_owned());
    }
    Ok(written)
}
