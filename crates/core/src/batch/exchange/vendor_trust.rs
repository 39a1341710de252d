//! Which vendor bench may sign a batch's report, as this bench's audit log says.
//!
//! A report's signature proves only that *some* key signed it; the key comes with the report. So
//! the admin's bench keeps, in its (signed) audit log, which keys it trusts for each batch: the
//! vendor key named when the pack was exported (`vendor_key` in the `pack-export` record), and
//! every key an earlier import accepted (`vendor_key` in a `report-import` record). A report is
//! taken only when its batch was exported from this bench, it names one of the batch's exported
//! packs, and its signer is trusted; otherwise it is refused until the admin accepts the
//! signer's fingerprint explicitly, a decision the import's audit record keeps.

use std::fmt;

use serde::Serialize;

use super::{ExchangeError, SignerRefusal};
use crate::audit::AuditAction;
use crate::batch::key::{BenchPublicKey, KeyError};
use crate::batch::report::BatchReport;
use crate::ids::BatchId;
use crate::store::{AuditFilter, Store};

/// Why a report's signer is not trusted for its batch yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Untrusted {
    /// No bench pack of the batch was exported from this bench (it may not even be here).
    NeverExported,
    /// The report names a pack this bench never exported for the batch (or none).
    UnknownPack {
        /// The pack the report names.
        pack: Option<String>,
    },
    /// The batch's pack was exported without a vendor key and no report was accepted yet: the
    /// first key must be confirmed.
    FirstKey,
    /// Another key is trusted for the batch.
    OtherKey {
        /// The keys trusted for it.
        trusted: Vec<String>,
    },
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untrusted::NeverExported => {
                f.write_str("this bench never exported a bench pack of its batch")
            }
            Untrusted::UnknownPack { pack: Some(pack) } => write!(
                f,
                "it names bench pack {pack}, which this bench never exported for its batch"
            ),
            Untrusted::UnknownPack { pack: None } => {
                f.write_str("it names no bench pack, but its batch was exported in one")
            }
            Untrusted::FirstKey => f.write_str(
                "no vendor key is trusted for its batch yet (the pack was exported without one)",
            ),
            Untrusted::OtherKey { trusted } => write!(
                f,
                "its batch's reports are to be signed by {}",
                trusted.join(" or ")
            ),
        }
    }
}

impl Untrusted {
    /// The short name kept in the audit record of an accepted import.
    pub fn name(&self) -> &'static str {
        match self {
            Untrusted::NeverExported => "never-exported",
            Untrusted::UnknownPack { .. } => "unknown-pack",
            Untrusted::FirstKey => "first-key",
            Untrusted::OtherKey { .. } => "other-key",
        }
    }
}

/// What the audit log says about a batch: its exported packs, the keys trusted for it, and the
/// reports already imported.
struct History {
    packs: Vec<String>,
    trusted: Vec<String>,
    /// Imported reports: id and file digest.
    reports: Vec<(String, String)>,
}

fn history(store: &Store, batch: &BatchId) -> Result<History, ExchangeError> {
    let rows = |action| {
        store.audit_log(&AuditFilter {
            batch: Some(batch.clone()),
            action: Some(action),
            ..AuditFilter::default()
        })
    };
    let (exports, imports) = (
        rows(AuditAction::PackExport)?,
        rows(AuditAction::ReportImport)?,
    );
    let field = |detail: &serde_json::Value, name: &str| detail[name].as_str().map(str::to_owned);
    let mut trusted: Vec<String> = exports
        .iter()
        .chain(&imports)
        .filter_map(|r| field(&r.detail, "vendor_key"))
        .collect();
    trusted.sort();
    trusted.dedup();
    Ok(History {
        packs: exports
            .iter()
            .filter_map(|r| field(&r.detail, "pack"))
            .collect(),
        trusted,
        reports: imports
            .iter()
            .filter_map(|r| Some((field(&r.detail, "report")?, field(&r.detail, "digest")?)))
            .collect(),
    })
}

/// Whether `report`, signed by `signer`, may be imported: `Ok(None)` when its signer is trusted
/// for its batch, `Ok(Some(why))` when it is not but the admin accepted `signer` by fingerprint
/// (`accepted`), and an error otherwise. A report id imported before in another file (`digest`
/// differs) is refused outright; the same file again is left to the store to refuse.
pub(super) fn check(
    store: &Store,
    report: &BatchReport,
    (signer, digest): (&BenchPublicKey, &str),
    accepted: Option<&str>,
    path: &std::path::Path,
) -> Result<Option<Untrusted>, ExchangeError> {
    let batch = &report.batch.id;
    let known = history(store, batch)?;
    if known
        .reports
        .iter()
        .any(|(id, seen)| *id == report.report_id && seen != digest)
    {
        return Err(ExchangeError::ReportIdReused {
            path: path.to_owned(),
            report: report.report_id.clone(),
        });
    }
    let why = if known.packs.is_empty() {
        Some(Untrusted::NeverExported)
    } else if !report
        .pack_id
        .as_ref()
        .is_some_and(|p| known.packs.contains(p))
    {
        Some(Untrusted::UnknownPack {
            pack: report.pack_id.clone(),
        })
    } else if known.trusted.contains(&signer.fingerprint) {
        None
    } else if known.trusted.is_empty() {
        Some(Untrusted::FirstKey)
    } else {
        Some(Untrusted::OtherKey {
            trusted: known.trusted,
        })
    };
    match (why, accepted) {
        (None, _) => Ok(None),
        (Some(why), Some(fingerprint)) if fingerprint.trim() == signer.fingerprint => Ok(Some(why)),
        (Some(why), accepted) => Err(ExchangeError::UntrustedSigner(Box::new(SignerRefusal {
            path: path.to_owned(),
            batch: batch.clone(),
            signer: signer.fingerprint.clone(),
            why,
            accepted: accepted.map(str::to_owned),
        }))),
    }
}

/// The fingerprint of a vendor's bench key as the admin has it: the fingerprint itself
/// (`SHA256:` and 43 base64 characters), the public key in base64, or the key as the app and
/// `--json` show it (`{"key_b64": …, "fingerprint": …}`).
pub fn vendor_fingerprint(text: &str) -> Result<String, KeyError> {
    let text = text.trim();
    if let Some(hash) = text.strip_prefix("SHA256:") {
        let ok = hash.len() == 43
            && hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        return match ok {
            true => Ok(text.to_owned()),
            false => Err(KeyError::InvalidPublicKey {
                reason: "a fingerprint is SHA256: and 43 base64 characters",
            }),
        };
    }
    if text.starts_with('{') {
        return serde_json::from_str::<BenchPublicKey>(text)
            .map(|k| k.fingerprint)
            .map_err(|_| KeyError::InvalidPublicKey {
                reason: "the JSON is not a bench public key with its own fingerprint",
            });
    }
    BenchPublicKey::from_b64(text).map(|k| k.fingerprint)
}
