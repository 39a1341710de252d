//! The audit log: who did what with a batch's tokens, QR codes, labels and files.
//!
//! The bench's event log (the store's `events` table) says what happened to devices; the audit
//! log says what *people* did with things an auditor cares about: showing or revealing an
//! enrollment QR, printing labels, creating, revoking or exporting a token, moving packs and
//! reports between machines. It is kept in the store's `audit` table (`Store::audit`):
//! append-only, and hash-chained so that rows edited or removed with an SQLite tool behind
//! StageBench's back are found by `Store::audit_verify`. This module holds the log's record
//! types; the store, a floor above, keeps them.
//!
//! **Callers pass references, never secrets.** An [`AuditEntry`]'s `token` names a token (the
//! profile's id and name and the token's expiry), and its `detail` describes the action; neither
//! may hold the token value, a Wi-Fi key or a QR payload. The log is shown to people and printed
//! in chain-of-custody reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::BatchId;

/// Environment variable naming the technician at the bench (else the OS user is recorded).
pub const TECHNICIAN_ENV: &str = "STAGEBENCH_TECHNICIAN";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// An enrollment QR was shown on screen.
    QrDisplay,
    /// The contents of an enrollment QR (the payload, with its token) were revealed as text.
    QrReveal,
    /// Labels were printed.
    LabelPrint,
    /// An enrollment token was created (or renewed).
    TokenCreate,
    /// An enrollment token was revoked.
    TokenRevoke,
    /// An enrollment token left the bench (copied, or written to a file).
    TokenExport,
    /// A bench pack was written.
    PackExport,
    /// A bench pack was read.
    PackImport,
    /// A batch report was written.
    ReportExport,
    /// A batch report was read.
    ReportImport,
    /// A batch's chain of custody was written (PDF or CSV).
    CustodyExport,
    /// A batch was created.
    BatchCreate,
    /// A batch was reconciled against Intune.
    Reconcile,
    /// A device was added to a batch by hand.
    DeviceAdded,
    /// Any other technician action worth keeping (the detail says which).
    TechnicianAction,
}

impl AuditAction {
    /// Every action, in declaration order.
    pub const ALL: [AuditAction; 15] = [
        AuditAction::QrDisplay,
        AuditAction::QrReveal,
        AuditAction::LabelPrint,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::TokenExport,
        AuditAction::PackExport,
        AuditAction::PackImport,
        AuditAction::ReportExport,
        AuditAction::ReportImport,
        AuditAction::CustodyExport,
        AuditAction::BatchCreate,
        AuditAction::Reconcile,
        AuditAction::DeviceAdded,
        AuditAction::TechnicianAction,
    ];

    /// The stable kebab-case name, as stored and serialized (`qr-display`, …).
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::QrDisplay => "qr-display",
            AuditAction::QrReveal => "qr-reveal",
            AuditAction::LabelPrint => "label-print",
            AuditAction::TokenCreate => "token-create",
            AuditAction::TokenRevoke => "token-revoke",
            AuditAction::TokenExport => "token-export",
            AuditAction::PackExport => "pack-export",
            AuditAction::PackImport => "pack-import",
            AuditAction::ReportExport => "report-export",
            AuditAction::ReportImport => "report-import",
            AuditAction::CustodyExport => "custody-export",
            AuditAction::BatchCreate => "batch-create",
            AuditAction::Reconcile => "reconcile",
            AuditAction::DeviceAdded => "device-added",
            AuditAction::TechnicianAction => "technician-action",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuditAction {
    type Err = String;
    fn from_str(s: &str) -> Result<AuditAction, String> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown audit action {s:?}"))
    }
}

/// An entry to append to the audit log (see `Store::audit`). The store adds the
/// time, the row id and the hash chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Who did it (see [`current_actor`]); must not be empty.
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// The batch it concerns, if any.
    pub batch: Option<BatchId>,
    /// Which token, as a reference people can follow (profile id, name and token expiry), never
    /// the token itself.
    pub token: Option<String>,
    /// The device it concerns, by serial.
    pub device: Option<String>,
    /// Anything else worth keeping (`null` when nothing); no secrets.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// An entry by `actor` about nothing in particular yet; add the rest with the `with_` methods.
    pub fn new(actor: impl Into<String>, action: AuditAction) -> AuditEntry {
        AuditEntry {
            actor: actor.into(),
            action,
            batch: None,
            token: None,
            device: None,
            detail: serde_json::Value::Null,
        }
    }

    /// The entry about `batch`.
    pub fn with_batch(mut self, batch: &BatchId) -> AuditEntry {
        self.batch = Some(batch.clone());
        self
    }

    /// The entry about the token named by `reference` (not the token value).
    pub fn with_token(mut self, reference: impl Into<String>) -> AuditEntry {
        self.token = Some(reference.into());
        self
    }

    /// The entry about the device with this serial.
    pub fn with_device(mut self, serial: impl Into<String>) -> AuditEntry {
        self.device = Some(serial.into());
        self
    }

    /// The entry with this detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> AuditEntry {
        self.detail = detail;
        self
    }
}

/// One row of the audit log, as read back.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AuditRecord {
    /// Row id; ids grow by one per entry, in the order entries were written.
    #[ts(type = "number")]
    pub id: i64,
    /// When, RFC 3339 UTC with milliseconds (see [`crate::clock::timestamp`]).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What: an [`AuditAction`] name (kept as text, so rows written by a newer StageBench still
    /// read).
    pub action: String,
    /// The batch's id.
    pub batch: Option<String>,
    /// The token's reference.
    pub token: Option<String>,
    /// The device's serial.
    pub device: Option<String>,
    /// Details.
    #[ts(type = "unknown")]
    pub detail: serde_json::Value,
    /// The row's chain hash (SHA-256, lowercase hex).
    pub hash: String,
}

/// Signs the audit chain's head: the bench key (the report signing key the domain keeps in the
/// OS keyring, so an attacker holding only the bench's files cannot sign). The store asks for a
/// signature at each append made while a signer is attached.
pub trait HeadSigner: Send + Sync {
    /// The signing key's fingerprint (`SHA256:…`), recorded beside each signature.
    fn fingerprint(&self) -> String;
    /// The Ed25519 signature of `message`.
    fn sign(&self, message: &[u8]) -> [u8; 64];
}

/// Checks a signed head against the bench's own public key (never against a key read from the
/// store, which whoever edits the store could replace).
pub trait HeadVerifier {
    /// The key's fingerprint.
    fn fingerprint(&self) -> String;
    /// Whether `signature` is this key's signature of `message`.
    fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool;
}

/// The audit chain's head as the bench key signed it: row `row` had chain hash `hash`. Custody
/// documents and batch reports carry one, so a log rewritten later no longer matches them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SignedHead {
    /// The row the head is.
    #[ts(type = "number")]
    pub row: i64,
    /// Its chain hash (SHA-256, lowercase hex).
    pub hash: String,
    /// The fingerprint of the key that signed it.
    pub signer: String,
    /// The Ed25519 signature of [`SignedHead::message`], standard base64.
    pub signature: String,
}

impl SignedHead {
    /// The bytes signed for row `row` with chain hash `hash`.
    pub fn message(row: i64, hash: &str) -> Vec<u8> {
        format!("stagebench-audit-head-v1\n{row}\n{hash}\n").into_bytes()
    }

    /// Signs row `row`'s hash with `signer`.
    pub fn sign(row: i64, hash: &str, signer: &dyn HeadSigner) -> SignedHead {
        use base64::Engine;
        let signature = signer.sign(&SignedHead::message(row, hash));
        SignedHead {
            row,
            hash: hash.to_owned(),
            signer: signer.fingerprint(),
            signature: base64::engine::general_purpose::STANDARD.encode(signature),
        }
    }

    /// Whether `key` signed this head (the signature is the key's, over this row and hash).
    pub fn verified_by(&self, key: &dyn HeadVerifier) -> bool {
        use base64::Engine;
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&self.signature) else {
            return false;
        };
        let Ok(signature) = <[u8; 64]>::try_from(bytes.as_slice()) else {
            return false;
        };
        self.signer == key.fingerprint()
            && key.verify(&SignedHead::message(self.row, &self.hash), &signature)
    }
}

/// Who is at the bench: `$STAGEBENCH_TECHNICIAN` when set and not blank, else the OS user
/// (`USER` on Linux and macOS, `USERNAME` on Windows), else `unknown`.
pub fn current_actor() -> String {
    actor_from(None, |name| std::env::var(name).ok())
}

/// Who is acting: the bench's `technician` setting when given and not blank, else
/// [`TECHNICIAN_ENV`], else the OS user (`USER`, `USERNAME`), over any environment.
pub fn actor_from(setting: Option<String>, env: impl Fn(&str) -> Option<String>) -> String {
    on_record(setting, None, env).name
}

/// Where the name of the technician on record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum TechnicianSource {
    /// The bench's `technician` setting.
    Setting,
    /// The [`TECHNICIAN_ENV`] environment variable.
    Environment,
    /// The account signed in to the tenant (a person's, by device code).
    Account,
    /// The operating system's user.
    OsUser,
    /// Nothing names anyone.
    Unknown,
}

/// The technician on record for actions and events, and where the name comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TechnicianOnRecord {
    /// The name recorded.
    pub name: String,
    /// Where it comes from.
    pub source: TechnicianSource,
}

/// The technician on record: the bench's `technician` setting when given and not blank, else
/// [`TECHNICIAN_ENV`], else the `account` signed in to the tenant, else the OS user (`USER`,
/// `USERNAME`), over any environment.
pub fn on_record(
    setting: Option<String>,
    account: Option<String>,
    env: impl Fn(&str) -> Option<String>,
) -> TechnicianOnRecord {
    use TechnicianSource::*;
    [
        (setting, Setting),
        (env(TECHNICIAN_ENV), Environment),
        (account, Account),
        (env("USER"), OsUser),
        (env("USERNAME"), OsUser),
    ]
    .into_iter()
    .find_map(|(value, source)| {
        let name = value?.trim().to_owned();
        (!name.is_empty()).then_some(TechnicianOnRecord { name, source })
    })
    .unwrap_or_else(|| TechnicianOnRecord {
        name: "unknown technician".to_owned(),
        source: Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for action in AuditAction::ALL {
            assert_eq!(action.name().parse::<AuditAction>(), Ok(action));
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.name())
            );
        }
        assert!("qr_display".parse::<AuditAction>().is_err());
    }

    /// An environment holding only `pairs`.
    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn actor_prefers_the_technician_then_the_os_user() {
        assert_eq!(
            actor_from(None, env(&[(TECHNICIAN_ENV, " Zoë "), ("USER", "bench")])),
            "Zoë"
        );
        assert_eq!(
            actor_from(None, env(&[(TECHNICIAN_ENV, "  "), ("USER", "bench")])),
            "bench"
        );
        assert_eq!(
            actor_from(None, env(&[("USERNAME", "WINBENCH")])),
            "WINBENCH"
        );
        assert_eq!(actor_from(None, env(&[])), "unknown technician");
    }

    #[test]
    fn the_technician_on_record_is_the_setting_else_the_account_else_the_os_user() {
        let account = || Some("tech@contoso.com".to_owned());
        let os = || env(&[("USER", "bench")]);
        let who = |r: TechnicianOnRecord| (r.name, r.source);
        assert_eq!(
            who(on_record(Some("Ana".into()), account(), os())),
            ("Ana".into(), TechnicianSource::Setting)
        );
        assert_eq!(
            who(on_record(Some(" ".into()), account(), os())),
            ("tech@contoso.com".into(), TechnicianSource::Account)
        );
        assert_eq!(
            who(on_record(None, None, os())),
            ("bench".into(), TechnicianSource::OsUser)
        );
        assert_eq!(
            who(on_record(None, account(), env(&[(TECHNICIAN_ENV, "Zoë")]))),
            ("Zoë".into(), TechnicianSource::Environment)
        );
        assert_eq!(
            who(on_record(None, None, env(&[]))),
            ("unknown technician".into(), TechnicianSource::Unknown)
        );
    }
}
