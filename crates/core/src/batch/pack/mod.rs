//! The bench pack: what an admin sends a vendor's offline bench (issue 5).
//!
//! A pack holds one [`Batch`] and the enrollment QR payload (token, and any Wi-Fi key), so it
//! is encrypted: the `age` format with a passphrase (scrypt), ASCII-armored because packs travel
//! by e-mail, where armored text survives line-ending changes and is easy to tell apart from a
//! report. The passphrase must travel another way (phone, a second channel).
//!
//! Inside the encryption is one JSON object:
//! `{"format":"stagebench-bench-pack","version":1,"pack_id":…,"created_at":…,"created_by":…,
//! "tenant":…,"batch":{…},"note":…,"qr_payload":"<the QR JSON, as a string>"}`.
//!
//! Sealing streams that JSON straight into the encryptor, so no plaintext copy of ours is left
//! behind (age keeps the last plaintext chunk in a buffer of its own, which it does not zero).
//! Opening reads the plaintext into a buffer that is zeroed when dropped and wraps the payload
//! in a [`SecretText`] at once. Errors never carry the passphrase or the payload.
//!
//! Layout: this file holds the pack, sealing and opening it, and reading a file that may not
//! be one; `passphrase` says whether a passphrase is good enough and makes new ones.

use std::io::{self, Read, Write};
use std::iter;

use age::armor::{ArmoredReadError, ArmoredReader, ArmoredWriter, Format};
use age::secrecy::SecretString;
use age::{DecryptError, Decryptor, Encryptor};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::Batch;
use crate::secret::SecretText;

mod passphrase;

pub use passphrase::{check_passphrase, generate_passphrase, MIN_PASSPHRASE_CHARS};

/// The `format` value inside every pack.
pub const FORMAT: &str = "stagebench-bench-pack";
/// The pack format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The file name extension packs are saved with (`wave3.stagebench-pack`).
pub const FILE_EXTENSION: &str = "stagebench-pack";

const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END: &[u8] = b"-----END AGE ENCRYPTED FILE-----";
const BINARY_AGE: &[u8] = b"age-encryption.org/";

/// One bench pack. `Debug` is safe to print: the QR payload shows as `[redacted]`.
#[derive(Debug, Clone)]
pub struct BenchPack {
    /// Its id: 32 lowercase hex digits (128 random bits).
    pub pack_id: String,
    /// When the admin made it.
    pub created_at: OffsetDateTime,
    /// Who made it (the admin's sign-in name).
    pub created_by: String,
    /// The Entra tenant the profile belongs to, when known.
    pub tenant: Option<String>,
    /// The batch to stage.
    pub batch: Batch,
    /// The enrollment QR payload (JSON): holds the enrollment token and any Wi-Fi key.
    pub qr_payload: SecretText,
    /// A note from the admin to the vendor.
    pub note: Option<String>,
}

impl BenchPack {
    /// A pack of `batch` with a new random id, no tenant and no note.
    pub fn new(
        batch: Batch,
        qr_payload: SecretText,
        created_by: impl Into<String>,
        created_at: OffsetDateTime,
    ) -> BenchPack {
        BenchPack {
            pack_id: format!("{:032x}", rand::random::<u128>()),
            created_at,
            created_by: created_by.into(),
            tenant: None,
            batch,
            qr_payload,
            note: None,
        }
    }
}

/// Why a pack could not be made or opened. No variant holds the passphrase or the payload.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The file is not a bench pack at all.
    #[error(
        "this file is not a bench pack: {found}; pick the bench pack file the admin sent (its \
         text starts with -----BEGIN AGE ENCRYPTED FILE-----)"
    )]
    NotAPack {
        /// What the file looks like instead.
        found: &'static str,
    },
    /// The passphrase does not open the pack (or the part of the pack it unlocks was damaged,
    /// which age cannot tell apart from a wrong passphrase).
    #[error(
        "the passphrase does not open this bench pack; check it with the admin (letters are \
         case-sensitive, and it comes separately from the pack) and type it again. If it is \
         right, the pack was damaged on the way: ask the admin to send it again"
    )]
    WrongPassphrase,
    /// The file was cut short.
    #[error(
        "the bench pack is incomplete: {detail}. It was cut short, which happens when it is \
         copied out of an e-mail body; ask the admin to send the file again as an attachment"
    )]
    Truncated {
        /// What is missing.
        detail: &'static str,
    },
    /// The pack is damaged, or opened but does not hold what a pack holds.
    #[error("the bench pack is damaged: {detail}; ask the admin to make and send it again")]
    Corrupt {
        /// What is wrong (never the payload).
        detail: String,
    },
    /// The pack was made by a newer (or much older) StageBench.
    #[error(
        "this bench pack has format version {found}, and this StageBench reads version {VERSION}; \
         update StageBench on this bench, or ask the admin to export the pack from a version \
         that matches"
    )]
    UnsupportedVersion {
        /// The version in the pack.
        found: u64,
    },
    /// The passphrase is too easy to guess for a pack that travels by e-mail.
    #[error(
        "the passphrase is too weak: {reason}. Use at least {MIN_PASSPHRASE_CHARS} characters that \
         mix letters with digits or symbols, or let StageBench generate one"
    )]
    WeakPassphrase {
        /// What is wrong with it (never the passphrase itself).
        reason: &'static str,
    },
    /// The pack could not be made from what it was given.
    #[error("the bench pack could not be made: {detail}")]
    Seal {
        /// What is wrong.
        detail: String,
    },
}

/// What goes inside the encryption (serialize only: it borrows the payload from the pack).
#[derive(Serialize)]
struct PackOut<'a> {
    format: &'static str,
    version: u32,
    pack_id: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_by: &'a str,
    tenant: Option<&'a str>,
    batch: &'a Batch,
    note: Option<&'a str>,
    qr_payload: &'a str,
}

/// Read first, so a newer pack gets "unsupported version" rather than a field error.
#[derive(Deserialize)]
struct Head {
    format: String,
    version: u64,
}

#[derive(Deserialize)]
struct PackIn {
    pack_id: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_by: String,
    tenant: Option<String>,
    batch: Batch,
    note: Option<String>,
    qr_payload: SecretText,
}

/// Encrypts `pack` with `passphrase` (age's scrypt recipient, at age's work factor: about a
/// second on this machine) and returns the armored file.
pub fn seal(pack: &BenchPack, passphrase: &SecretText) -> Result<Vec<u8>, PackError> {
    seal_with(pack, passphrase, None)
}

/// [`seal`] with scrypt's work factor set to `2^log_n` (clamped to 1..=30) instead of age's
/// one-second target. For tests and benchmarks only: a low factor makes a pack cheap to open
/// and so cheap to guess the passphrase of. Opening needs no setting, the factor is in the file.
pub fn seal_with_work_factor(
    pack: &BenchPack,
    passphrase: &SecretText,
    log_n: u8,
) -> Result<Vec<u8>, PackError> {
    seal_with(pack, passphrase, Some(log_n.clamp(1, 30)))
}

fn seal_with(
    pack: &BenchPack,
    passphrase: &SecretText,
    log_n: Option<u8>,
) -> Result<Vec<u8>, PackError> {
    check_passphrase(passphrase)?;
    if !is_hex_id(&pack.pack_id) {
        return Err(PackError::Seal {
            detail: "the pack id is not 32 lowercase hex digits".into(),
        });
    }
    if !is_json(pack.qr_payload.expose()) {
        return Err(PackError::Seal {
            detail: "the QR payload is not JSON".into(),
        });
    }
    let secret = || SecretString::from(passphrase.expose().to_owned());
    let encryptor = match log_n {
        None => Encryptor::with_user_passphrase(secret()),
        Some(log_n) => {
            let mut recipient = age::scrypt::Recipient::new(secret());
            recipient.set_work_factor(log_n);
            Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient)).map_err(
                |e| PackError::Seal {
                    detail: e.to_string(),
                },
            )?
        }
    };
    let body = PackOut {
        format: FORMAT,
        version: VERSION,
        pack_id: &pack.pack_id,
        created_at: pack.created_at,
        created_by: &pack.created_by,
        tenant: pack.tenant.as_deref(),
        batch: &pack.batch,
        note: pack.note.as_deref(),
        qr_payload: pack.qr_payload.expose(),
    };
    let write = || -> io::Result<Vec<u8>> {
        let armored = ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor)?;
        let mut writer = encryptor.wrap_output(armored)?;
        serde_json::to_writer(&mut writer, &body)?;
        writer.flush()?;
        writer.finish()?.finish()
    };
    write().map_err(|e| PackError::Seal {
        detail: format!("writing the encrypted pack failed ({e})"),
    })
}

/// Decrypts and checks a pack.
pub fn open(bytes: &[u8], passphrase: &SecretText) -> Result<BenchPack, PackError> {
    let framed = frame(bytes)?;
    let decryptor = Decryptor::new_buffered(ArmoredReader::new(framed)).map_err(header_error)?;
    if !decryptor.is_scrypt() {
        return Err(PackError::NotAPack {
            found: "it is an age file encrypted to a key, and packs are encrypted to a passphrase",
        });
    }
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.expose().to_owned()));
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .map_err(unlock_error)?;
    // The plaintext is shorter than the armored file, so this buffer never reallocates (which
    // would leave an unzeroed copy behind).
    let mut plain = Zeroizing::new(Vec::with_capacity(framed.len()));
    (&mut reader)
        .take(framed.len() as u64)
        .read_to_end(&mut plain)
        .map_err(stream_error)?;
    parse(&plain)
}

fn parse(plain: &[u8]) -> Result<BenchPack, PackError> {
    let not_ours = || PackError::Corrupt {
        detail: "it opened with the passphrase, but what is inside is not a bench pack".into(),
    };
    let head: Head = serde_json::from_slice(plain).map_err(|_| not_ours())?;
    if head.format != FORMAT {
        return Err(not_ours());
    }
    if head.version != u64::from(VERSION) {
        return Err(PackError::UnsupportedVersion {
            found: head.version,
        });
    }
    let pack: PackIn = serde_json::from_slice(plain).map_err(|e| PackError::Corrupt {
        detail: format!("a field is wrong ({})", scrub(&e)),
    })?;
    if !is_hex_id(&pack.pack_id) {
        return Err(PackError::Corrupt {
            detail: "the pack id is not 32 lowercase hex digits".into(),
        });
    }
    if !is_json(pack.qr_payload.expose()) {
        return Err(PackError::Corrupt {
            detail: "the QR payload inside is not JSON".into(),
        });
    }
    Ok(BenchPack {
        pack_id: pack.pack_id,
        created_at: pack.created_at,
        created_by: pack.created_by,
        tenant: pack.tenant,
        batch: pack.batch,
        qr_payload: pack.qr_payload,
        note: pack.note,
    })
}

/// Finds the armored (or binary) age file in `bytes`: leading blank lines or a byte-order mark
/// and anything after the end line (a mail client's footer) are dropped; a missing end line is
/// truncation.
fn frame(bytes: &[u8]) -> Result<&[u8], PackError> {
    let start = trim_start(bytes);
    if start.starts_with(ARMOR_BEGIN) {
        match find(start, ARMOR_END) {
            Some(at) => Ok(&start[..at + ARMOR_END.len()]),
            None => Err(PackError::Truncated {
                detail: "its last line, -----END AGE ENCRYPTED FILE-----, is missing",
            }),
        }
    } else if !start.is_empty() && ARMOR_BEGIN.starts_with(start) {
        Err(PackError::Truncated {
            detail: "it ends inside its first line",
        })
    } else if start.starts_with(BINARY_AGE) {
        Ok(start)
    } else if find(start, ARMOR_END).is_some() {
        Err(PackError::Corrupt {
            detail: "its first line is damaged".into(),
        })
    } else {
        Err(PackError::NotAPack {
            found: sniff(start),
        })
    }
}

/// What a file that is not a pack looks like, for the error message.
fn sniff(start: &[u8]) -> &'static str {
    if start.is_empty() {
        "the file is empty"
    } else if start.starts_with(b"# StageBench batch report") {
        "it is a StageBench batch report (a report goes from the bench to the admin, who imports it)"
    } else if start.starts_with(b"%PDF") {
        "it is a PDF document"
    } else if start.starts_with(b"PK\x03\x04") {
        "it is a ZIP archive or an Office document"
    } else if start.starts_with(b"{") || start.starts_with(b"[") {
        "it is a JSON file, and a pack is encrypted"
    } else if std::str::from_utf8(start).is_ok() {
        "it is a text file without the pack's first line"
    } else {
        "it is a binary file"
    }
}

fn header_error(e: DecryptError) -> PackError {
    match e {
        DecryptError::Io(e) => stream_error(e),
        DecryptError::UnknownFormat => PackError::Corrupt {
            detail: "it uses an age format this StageBench does not know".into(),
        },
        _ => PackError::Corrupt {
            detail: "its header is damaged".into(),
        },
    }
}

fn unlock_error(e: DecryptError) -> PackError {
    match e {
        DecryptError::DecryptionFailed
        | DecryptError::KeyDecryptionFailed
        | DecryptError::NoMatchingKeys => PackError::WrongPassphrase,
        DecryptError::InvalidMac | DecryptError::InvalidHeader => PackError::Corrupt {
            detail: "its header is damaged".into(),
        },
        DecryptError::ExcessiveWork { required, target } => PackError::Corrupt {
            detail: format!(
                "it asks for a passphrase work factor of 2^{required}, far above what this \
                 computer is set up for (2^{target})"
            ),
        },
        DecryptError::Io(e) => stream_error(e),
        other => PackError::Corrupt {
            detail: other.to_string(),
        },
    }
}

fn stream_error(e: io::Error) -> PackError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return PackError::Truncated {
            detail: "the encrypted content ends early",
        };
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ArmoredReadError>())
    {
        Some(armor) => PackError::Corrupt {
            detail: format!("the armored text is damaged ({armor})"),
        },
        None => PackError::Corrupt {
            detail:
                "the encrypted content does not check out (it was changed or damaged in transit)"
                    .into(),
        },
    }
}
fn is_hex_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A serde message without the values it quotes ([`crate::secret::without_values`]): no value
/// from inside a pack belongs in an error.
fn scrub(e: &serde_json::Error) -> String {
    crate::secret::without_values(&e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_finds_the_armor_and_names_other_files() {
        let armored = b"\xef\xbb\xbf\n\n-----BEGIN AGE ENCRYPTED FILE-----\nYWJj\n-----END AGE ENCRYPTED FILE-----\n-- \nSent from my phone\n";
        let framed = frame(armored).unwrap();
        assert!(framed.starts_with(ARMOR_BEGIN) && framed.ends_with(ARMOR_END));
        assert!(matches!(
            frame(b"-----BEGIN AGE ENCRYPTED FILE-----\nYWJj\n"),
            Err(PackError::Truncated { .. })
        ));
        let report = frame(b"# StageBench batch report v1.\n{}\n").unwrap_err();
        assert!(report.to_string().contains("batch report"), "{report}");
        assert!(frame(b"%PDF-1.7\n")
            .unwrap_err()
            .to_string()
            .contains("PDF"));
        assert!(frame(b"").unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn scrub_hides_quoted_values() {
        let e = serde_json::from_str::<u32>("\"hunter2\"").unwrap_err();
        let shown = scrub(&e);
        assert!(
            !shown.contains("hunter2") && shown.contains("\"…\""),
            "{shown}"
        );
    }
}
