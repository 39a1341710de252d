//! ADB RSA authentication: the host's private key, its key files, and token signatures.
//!
//! adb keys are RSA-2048 with e = 65537. Debian's adb writes `~/.android/adbkey` as PKCS#8
//! (`BEGIN PRIVATE KEY`); older tools wrote PKCS#1 (`BEGIN RSA PRIVATE KEY`), so both are read.
//! We write PKCS#8, plus `adbkey.pub` in Android's public key format ([`public_key`]).

pub mod public_key;

use std::fmt;
use std::path::{Path, PathBuf};

use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Digest as _;
use thiserror::Error;

pub use public_key::{
    encode_public_key_blob, format_android_public_key, parse_android_public_key,
    verify_token_signature, PublicKeyError, KEY_BITS,
};

use crate::wire::TOKEN_SIZE;

/// Why a key could not be made, read or written.
#[derive(Debug, Error)]
pub enum AuthError {
    /// Reading a key file failed.
    #[error("could not read adb key {path}: {source}; check the path and its permissions")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing a key file failed.
    #[error(
        "could not write adb key {path}: {source}; check that the folder exists and is writable"
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The private key file can be read by others than its owner: whoever read it can pose as
    /// this computer to every device that trusts it.
    #[error("adb key {path} can be read by others ({looseness}): anyone who read it can pose as this computer to every device that trusts it; make it owner-only (chmod 600 {path}), or delete it to have a new key generated and accept the USB debugging prompt again")]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its mode and the owner-only one.
        looseness: stagebench_files::Looseness,
    },
    /// The text is not a PEM RSA private key.
    #[error("{origin} is not a PEM RSA private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`): {detail}; delete it to have a new key generated")]
    BadPrivateKey {
        /// Where the text came from (a path, or "PEM text").
        origin: String,
        /// What the parser said.
        detail: String,
    },
    /// The key is not 2048 bits, which Android's key format requires.
    #[error(
        "adb keys must be RSA-{KEY_BITS}, but {origin} holds a {bits}-bit key; generate a new key"
    )]
    WrongSize {
        /// Where the key came from.
        origin: String,
        /// Its size.
        bits: usize,
    },
    /// Key generation or encoding failed inside the RSA library.
    #[error("RSA key operation failed: {0}")]
    Rsa(String),
}

/// The host's adb private key. `Debug` shows only a fingerprint, never key material.
#[derive(Clone)]
pub struct AdbKey {
    private: RsaPrivateKey,
}

impl fmt::Debug for AdbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdbKey")
            .field("bits", &KEY_BITS)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl AdbKey {
    /// A fresh RSA-2048 key (e = 65537) from the OS random source.
    pub fn generate() -> Result<Self, AuthError> {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)
            .map_err(|e| AuthError::Rsa(e.to_string()))?;
        Ok(Self { private })
    }

    /// Wrap an existing private key; it must be 2048 bits.
    pub fn from_private_key(private: RsaPrivateKey, origin: &str) -> Result<Self, AuthError> {
        let bits = private.size() * 8;
        if bits != KEY_BITS {
            return Err(AuthError::WrongSize {
                origin: origin.to_owned(),
                bits,
            });
        }
        Ok(Self { private })
    }

    /// Parse PEM text, PKCS#8 or PKCS#1.
    pub fn from_pem(pem: &str) -> Result<Self, AuthError> {
        Self::from_pem_at(pem, "PEM text")
    }

    fn from_pem_at(pem: &str, origin: &str) -> Result<Self, AuthError> {
        let parsed = if pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| e.to_string())
        } else {
            RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())
        };
        let private = parsed.map_err(|detail| AuthError::BadPrivateKey {
            origin: origin.to_owned(),
            detail,
        })?;
        Self::from_private_key(private, origin)
    }

    /// Read a private key file such as `~/.android/adbkey`; one that others may read is
    /// refused ([`AuthError::Exposed`]), never used nor replaced.
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        if let Some(looseness) = stagebench_files::looseness(path) {
            return Err(AuthError::Exposed {
                path: path.to_owned(),
                looseness,
            });
        }
        let pem = std::fs::read_to_string(path).map_err(|source| AuthError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem_at(&pem, &path.display().to_string())
    }

    /// The key as PKCS#8 PEM (the format Debian's adb writes).
    pub fn to_pem(&self) -> Result<String, AuthError> {
        let pem = self
            .private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| AuthError::Rsa(e.to_string()))?;
        Ok(pem.as_str().to_owned())
    }

    /// Write the private key to `path` and the public key to `path` + `.pub`, as adb does,
    /// each whole or not at all, owner-only, never through a planted symlink
    /// ([`stagebench_files::write_private`]).
    pub fn save(&self, path: &Path) -> Result<(), AuthError> {
        let write = |path: &Path, bytes: &[u8]| {
            stagebench_files::write_private(path, bytes).map_err(|e| AuthError::Write {
                path: e.path,
                source: e.source,
            })
        };
        write(path, self.to_pem()?.as_bytes())?;
        let mut public = path.as_os_str().to_owned();
        public.push(".pub");
        write(
            Path::new(&public),
            format!("{}\n", self.android_public_key()).as_bytes(),
        )
    }

    /// Load `path`, or generate a key and save it there if the file does not exist.
    pub fn load_or_generate(path: &Path) -> Result<Self, AuthError> {
        if path.exists() {
            return Self::load(path);
        }
        let key = Self::generate()?;
        key.save(path)?;
        Ok(key)
    }

    /// The public half.
    pub fn public_key(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// Sign a device's AUTH token: PKCS#1 v1.5 with the SHA-1 DigestInfo, the token used as
    /// the digest (256 bytes out).
    pub fn sign_token(&self, token: &[u8; TOKEN_SIZE]) -> Vec<u8> {
        self.private
            .sign(public_key::token_signature_scheme(), token)
            // Cannot fail: the digest length matches SHA-1 and the key is 2048 bits (checked
            // on construction), far above the 46 bytes the padding needs.
            .expect("PKCS#1 v1.5 signing of a 20-byte digest with an RSA-2048 key")
    }

    /// The public key in Android's format with a `user@host` comment, as sent in
    /// AUTH(RSAPUBLICKEY) and written to `adbkey.pub`.
    pub fn android_public_key(&self) -> String {
        format_android_public_key(&self.public_key(), &default_comment())
    }

    /// SHA-1 of the public key blob, hex: identifies a key in logs without revealing it.
    pub fn fingerprint(&self) -> String {
        let digest = sha1::Sha1::digest(encode_public_key_blob(&self.public_key()));
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn default_comment() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_public_key_round_trip() {
        let key = AdbKey::generate().unwrap();
        let token = [7u8; TOKEN_SIZE];
        let signature = key.sign_token(&token);
        assert_eq!(signature.len(), 256);

        let text = key.android_public_key();
        let blob_b64 = text.split(' ').next().unwrap();
        assert_eq!(
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, blob_b64)
                .unwrap()
                .len(),
            524
        );
        let parsed = parse_android_public_key(&format!("{text}\0")).unwrap();
        assert_eq!(parsed, key.public_key());
        assert!(verify_token_signature(&parsed, &token, &signature));
        assert!(!verify_token_signature(
            &parsed,
            &[8u8; TOKEN_SIZE],
            &signature
        ));
    }

    #[test]
    fn signature_is_pkcs1_v15_over_the_sha1_digest_info() {
        use rsa::traits::PublicKeyParts as _;
        let key = AdbKey::generate().unwrap();
        let token = [0xabu8; TOKEN_SIZE];
        let signature = rsa::BigUint::from_bytes_be(&key.sign_token(&token));
        let public = key.public_key();
        let em = signature.modpow(public.e(), public.n()).to_bytes_be();
        // Leading 0x00 is dropped by to_bytes_be: EM = 00 01 FF.. 00 DigestInfo(sha1) token.
        assert_eq!(em.len(), 255);
        assert_eq!(em[0], 0x01);
        let prefix = [
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ];
        let tail = &em[em.len() - 35..];
        assert_eq!(&tail[..15], &prefix);
        assert_eq!(&tail[15..], &token);
        assert!(em[1..em.len() - 36].iter().all(|b| *b == 0xff));
        assert_eq!(em[em.len() - 36], 0);
    }

    #[test]
    fn pem_files_round_trip_in_both_formats() {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("adbkey");
        let key = AdbKey::load_or_generate(&path).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = AdbKey::load(&path).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = std::fs::read_to_string(dir.path().join("adbkey.pub")).unwrap();
        assert_eq!(parse_android_public_key(&public).unwrap(), key.public_key());

        let pkcs1 = key.private.to_pkcs1_pem(LineEnding::LF).unwrap();
        assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert_eq!(
            AdbKey::from_pem(&pkcs1).unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn debug_hides_key_material_and_bad_input_says_what_to_do() {
        let key = AdbKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(
            shown.starts_with("AdbKey { bits: 2048, fingerprint: "),
            "{shown}"
        );
        assert!(!shown.contains("BigUint") && shown.len() < 100, "{shown}");
        let err = AdbKey::from_pem("not a key").unwrap_err().to_string();
        assert!(err.contains("delete it"), "{err}");
        let small = RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap();
        assert!(matches!(
            AdbKey::from_private_key(small, "test"),
            Err(AuthError::WrongSize { bits: 1024, .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn saving_replaces_a_planted_symlink_and_writes_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("adbkey");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        AdbKey::generate().unwrap().save(&path).unwrap();
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"precious",
            "link not followed"
        );
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(AdbKey::load(&path).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("adbkey");
        AdbKey::generate().unwrap().save(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = AdbKey::load(&path).unwrap_err();
        assert!(matches!(err, AuthError::Exposed { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("0644") && text.contains("chmod 600"),
            "{text}"
        );
        assert!(
            AdbKey::load_or_generate(&path).is_err(),
            "not silently replaced either"
        );
    }
}
