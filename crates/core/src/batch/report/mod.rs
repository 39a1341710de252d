//! The signed batch report: what a vendor's bench sends back to the admin (issue 5).
//!
//! A report is a UTF-8 text file that people can read and diff:
//!
//! ```text
//! # StageBench batch report v1. Signed by the bench: any change breaks the signature.
//! {"format":"stagebench-batch-report","version":1,"device_count":2,"report_id":…,"devices":[…]}
//! -----BEGIN STAGEBENCH SIGNATURE-----
//! ed25519 <public key, base64> <signature, base64>
//! -----END STAGEBENCH SIGNATURE-----
//! ```
//!
//! - The signature (Ed25519, by the bench's key from [`super::key`]) covers every byte before
//!   the `-----BEGIN` line, written with LF line ends. Files that went through Windows mail may
//!   come back with CRLF and a byte-order mark: [`verify`] removes the mark and turns CRLF into
//!   LF before checking, which loses nothing because the JSON line never holds a raw CR (JSON
//!   escapes it).
//! - The public key in the JSON (`signer`) must be the one in the signature block, and
//!   `device_count` must be the number of devices listed.
//! - A valid signature proves the file is what *some* bench signed; which bench is the
//!   signer's fingerprint ([`VerifiedReport::signer`]), to compare with the benches the admin
//!   knows.
//!
//!
//! Layout: this file holds the report, signing it and verifying it; `csv_view` writes the
//! spreadsheet view.
//! [`report_csv`] gives the spreadsheet view (no signature: for reading, not for importing).

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::key::{BenchPublicKey, ReportSigningKey};
use super::stats::BatchStats;
use super::{Batch, BenchInfo, ReportDevice};
use crate::audit::SignedHead;

mod csv_view;

pub use csv_view::report_csv;

/// The `format` value in every report.
pub const FORMAT: &str = "stagebench-batch-report";
/// The report format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The file name extension reports are saved with (`wave3.stagebench-report`).
pub const FILE_EXTENSION: &str = "stagebench-report";

const FIRST_LINE: &str =
    "# StageBench batch report v1. Signed by the bench: any change breaks the signature.";
const FIRST_LINE_PREFIX: &str = "# StageBench batch report v";
const SIGNATURE_BEGIN: &str = "-----BEGIN STAGEBENCH SIGNATURE-----";
const SIGNATURE_END: &str = "-----END STAGEBENCH SIGNATURE-----";
const ALGORITHM: &str = "ed25519";

/// A batch report: the batch and every device staged for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BatchReport {
    /// Its id: 32 lowercase hex digits.
    pub report_id: String,
    /// When the bench made it.
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created_at: OffsetDateTime,
    /// The batch.
    pub batch: Batch,
    /// The bench pack the batch came in, when it came in one.
    pub pack_id: Option<String>,
    /// The bench that staged it.
    pub bench: BenchInfo,
    /// The bench's public key (the key that signs the file).
    pub signer: BenchPublicKey,
    /// The devices, in the order the bench lists them.
    pub devices: Vec<ReportDevice>,
    /// The bench's audit chain head when the report was made, signed by the same key: the
    /// vendor's audit log, rewritten later, no longer matches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub audit_head: Option<SignedHead>,
    /// Where the time went when the report was made (devices per hour, time per stage, the
    /// slowest devices, the estimated end): the same figures the bench showed, signed with the
    /// rest. Reports from before these figures have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stats: Option<BatchStats>,
}

impl BatchReport {
    /// A report with a new random id, signed later by the key whose public half is `signer`.
    pub fn new(
        batch: Batch,
        pack_id: Option<String>,
        bench: BenchInfo,
        signer: BenchPublicKey,
        devices: Vec<ReportDevice>,
        created_at: OffsetDateTime,
    ) -> BatchReport {
        BatchReport {
            report_id: format!("{:032x}", rand::random::<u128>()),
            created_at,
            batch,
            pack_id,
            bench,
            signer,
            devices,
            audit_head: None,
            stats: None,
        }
    }
}

/// A report whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VerifiedReport {
    /// The report.
    pub report: BatchReport,
    /// The key that signed it: compare its fingerprint with the benches you know.
    pub signer: BenchPublicKey,
    /// SHA-256 (hex) of the file as the bench wrote it (LF line ends, no byte-order mark,
    /// nothing after the end line): the digest of the original file, and the same for a copy
    /// that went through Windows mail, so it can tell "already imported".
    pub digest: String,
}

/// Why a report could not be written or trusted.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file is not a batch report.
    #[error(
        "this file is not a StageBench batch report: {found}; pick the report file the vendor \
         sent (its first line starts with \"# StageBench batch report\")"
    )]
    NotAReport {
        /// What it looks like instead.
        found: &'static str,
    },
    /// The file was cut short.
    #[error(
        "the batch report is incomplete: {detail}. It was cut short, which happens when it is \
         copied out of an e-mail body; ask the vendor to send the file again as an attachment"
    )]
    Truncated {
        /// What is missing.
        detail: &'static str,
    },
    /// The signature does not match the content.
    #[error(
        "the report was changed after the bench signed it, so its content cannot be trusted; ask \
         the vendor to export it again from StageBench and to send the file without editing it"
    )]
    Tampered,
    /// The signature block's key is not the signer the report names.
    #[error(
        "the report names bench key {named} as its signer but is signed with {signed_with}: it \
         was edited or pieced together; ask the vendor to export it again"
    )]
    KeyMismatch {
        /// Fingerprint of the signer named in the report.
        named: String,
        /// Fingerprint of the key in the signature block.
        signed_with: String,
    },
    /// `device_count` is not the number of devices listed.
    #[error(
        "the report says it holds {stated} devices but lists {found}; ask the vendor to export it \
         again"
    )]
    CountMismatch {
        /// The count the report states.
        stated: u64,
        /// The devices it lists.
        found: usize,
    },
    /// The report was made by a newer (or much older) StageBench.
    #[error(
        "this batch report has format version {found}, and this StageBench reads version \
         {VERSION}; update StageBench, or ask the vendor to export it from a version that matches"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u64,
    },
    /// The file is damaged in a way that is not truncation.
    #[error("the batch report is damaged: {0}; ask the vendor to export it again")]
    Corrupt(String),
    /// [`sign`] was given a key other than the report's signer.
    #[error(
        "the report names bench key {named} as its signer, but it is being signed with {key}; \
         make the report with the bench key's public half as signer"
    )]
    SignerMismatch {
        /// Fingerprint of the signer named in the report.
        named: String,
        /// Fingerprint of the key given.
        key: String,
    },
    /// The report could not be turned into JSON.
    #[error("the batch report could not be written: {0}")]
    Write(String),
}

/// The signed JSON line: the report's fields after three of the file's own.
#[derive(Serialize)]
struct SignedOut<'a> {
    format: &'static str,
    version: u32,
    device_count: usize,
    #[serde(flatten)]
    report: &'a BatchReport,
}

/// Read before the report itself (which ignores these fields), so a newer file gets
/// "unsupported version" rather than a field error.
#[derive(Deserialize)]
struct Head {
    format: String,
    version: u64,
    device_count: u64,
}

/// Writes `report` as a signed report file, signed by `key`, which must be the report's
/// [`BatchReport::signer`].
pub fn sign(report: &BatchReport, key: &ReportSigningKey) -> Result<Vec<u8>, ReportError> {
    let public = key.public();
    if report.signer != public {
        return Err(ReportError::SignerMismatch {
            named: report.signer.fingerprint.clone(),
            key: public.fingerprint,
        });
    }
    // About 1.5 kB per device: one allocation for typical reports.
    let mut out = Vec::with_capacity(1024 + report.devices.len() * 1536);
    out.extend_from_slice(FIRST_LINE.as_bytes());
    out.push(b'\n');
    let line = SignedOut {
        format: FORMAT,
        version: VERSION,
        device_count: report.devices.len(),
        report,
    };
    serde_json::to_writer(&mut out, &line).map_err(|e| ReportError::Write(e.to_string()))?;
    out.push(b'\n');
    let signature = key.sign(&out);
    out.extend_from_slice(signature_block_text(&public, &signature).as_bytes());
    Ok(out)
}

/// Checks a report file's signature and content and reads it.
pub fn verify(bytes: &[u8]) -> Result<VerifiedReport, ReportError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = check_first_line(bytes)?;
    let text: Cow<'_, str> = if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(text)
    };

    let Some(first_end) = text.find('\n') else {
        return Err(ReportError::Truncated {
            detail: "the file ends after its first line",
        });
    };
    let Some(begin) = text.find(&format!("\n{SIGNATURE_BEGIN}")) else {
        return Err(ReportError::Truncated {
            detail: "the signature block at its end is missing",
        });
    };
    let signed = &text[..=begin];
    let (public, signature) = signature_block(&text[begin + 1..])?;
    if !public.verify(signed.as_bytes(), &signature) {
        return Err(ReportError::Tampered);
    }

    // Signed, so what follows only fails for a report a bench wrote wrongly.
    let json = signed[first_end + 1..].trim_end_matches('\n');
    if json.contains('\n') {
        return Err(ReportError::Corrupt(
            "there is more than one line before the signature".into(),
        ));
    }
    let head: Head = serde_json::from_str(json)
        .map_err(|e| ReportError::Corrupt(format!("the report line is not a report ({e})")))?;
    if head.format != FORMAT {
        return Err(ReportError::Corrupt(format!(
            "the report line is not a report (format {:?})",
            head.format
        )));
    }
    if head.version != u64::from(VERSION) {
        return Err(ReportError::UnsupportedVersion {
            found: head.version,
        });
    }
    let report: BatchReport = serde_json::from_str(json)
        .map_err(|e| ReportError::Corrupt(format!("a field is wrong ({e})")))?;
    if report.signer != public {
        return Err(ReportError::KeyMismatch {
            named: report.signer.fingerprint,
            signed_with: public.fingerprint,
        });
    }
    if let Some(audit_head) = report
        .audit_head
        .as_ref()
        .filter(|h| !h.verified_by(&public))
    {
        return Err(ReportError::Corrupt(format!(
            "the audit head it carries (row {}) is not signed by its own key",
            audit_head.row
        )));
    }
    if head.device_count != report.devices.len() as u64 {
        return Err(ReportError::CountMismatch {
            stated: head.device_count,
            found: report.devices.len(),
        });
    }
    let digest = sha256_hex(&[
        signed.as_bytes(),
        signature_block_text(&public, &signature).as_bytes(),
    ]);
    Ok(VerifiedReport {
        report,
        signer: public,
        digest,
    })
}

fn signature_block_text(public: &BenchPublicKey, signature: &[u8; 64]) -> String {
    format!(
        "{SIGNATURE_BEGIN}\n{ALGORITHM} {} {}\n{SIGNATURE_END}\n",
        public.key_b64,
        STANDARD.encode(signature)
    )
}

/// The first line must be the report's; a file that is only the start of it was cut short.
/// Returns the whole file as text.
fn check_first_line(bytes: &[u8]) -> Result<&str, ReportError> {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    if !first.starts_with(FIRST_LINE_PREFIX.as_bytes()) {
        return if FIRST_LINE.as_bytes().starts_with(first) {
            Err(ReportError::Truncated {
                detail: if bytes.is_empty() {
                    "the file is empty"
                } else {
                    "it ends inside its first line"
                },
            })
        } else {
            Err(ReportError::NotAReport {
                found: sniff(bytes),
            })
        };
    }
    let digits: String = first[FIRST_LINE_PREFIX.len()..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    match digits.parse::<u64>() {
        Ok(found) if found != u64::from(VERSION) => {
            return Err(ReportError::UnsupportedVersion { found })
        }
        Ok(_) => {}
        Err(_) if first.len() == FIRST_LINE_PREFIX.len() && first.len() == bytes.len() => {
            return Err(ReportError::Truncated {
                detail: "it ends inside its first line",
            });
        }
        Err(_) => return Err(ReportError::Corrupt("its first line has no version".into())),
    }
    std::str::from_utf8(bytes).map_err(|e| match e.error_len() {
        // An incomplete character at the very end: the file was cut inside it.
        None => ReportError::Truncated {
            detail: "it ends in the middle of a character",
        },
        Some(_) => ReportError::Corrupt("it is not UTF-8 text".into()),
    })
}

/// Parses the block from its `-----BEGIN` line to the end of the file.
fn signature_block(block: &str) -> Result<(BenchPublicKey, [u8; 64]), ReportError> {
    let incomplete = ReportError::Truncated {
        detail: "the signature block at its end is incomplete",
    };
    let mut lines = block.split('\n').map(|l| l.trim_end_matches('\r'));
    let (Some(_begin), Some(signature_line), Some(end)) =
        (lines.next(), lines.next(), lines.next())
    else {
        return Err(incomplete);
    };
    if end != SIGNATURE_END {
        return Err(
            if SIGNATURE_END.starts_with(end) && lines.next().is_none() {
                incomplete
            } else {
                ReportError::Corrupt("the signature block has no end line".into())
            },
        );
    }
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(ReportError::Corrupt(
            "there is text after the signature block".into(),
        ));
    }
    let parts: Vec<&str> = signature_line.split(' ').collect();
    let [algorithm, key, signature] = parts[..] else {
        return Err(ReportError::Corrupt("the signature line is damaged".into()));
    };
    if algorithm != ALGORITHM {
        return Err(ReportError::Corrupt(format!(
            "it is signed with {algorithm:?}, and StageBench signs with {ALGORITHM}"
        )));
    }
    let public = BenchPublicKey::from_b64(key).map_err(|_| {
        ReportError::Corrupt("the public key in the signature block is damaged".into())
    })?;
    let signature: [u8; 64] = STANDARD
        .decode(signature)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| ReportError::Corrupt("the signature is damaged".into()))?;
    Ok((public, signature))
}

/// What a file that is not a report looks like, for the error message.
fn sniff(bytes: &[u8]) -> &'static str {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let start = &bytes[skip..];
    if start.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
        || start.starts_with(b"age-encryption.org/")
    {
        "it is a bench pack (a pack goes from the admin to the bench, which opens it with its passphrase)"
    } else if start.starts_with(b"batch id,") {
        "it is the spreadsheet (CSV) view of a report, which carries no signature"
    } else if start.starts_with(b"%PDF") {
        "it is a PDF document"
    } else if start.starts_with(b"PK\x03\x04") {
        "it is a ZIP archive or an Office document"
    } else if start.starts_with(b"{") {
        "it is a JSON file without the report's first line and signature"
    } else if std::str::from_utf8(bytes).is_ok() {
        "it is a text file of another kind"
    } else {
        "it is a binary file"
    }
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let mut out = String::with_capacity(64);
    for b in hasher.finalize() {
        let _ = write!(out, "{b:02x}");
    }
    out
}
