//! The bench's Ed25519 signing key, which signs its batch reports ([`super::report`]).
//!
//! One key per bench, made on first use and kept in the OS keyring as the base64 of its 32-byte
//! seed (entry [`KEY_ENTRY`]). Admins recognise a bench by the key's fingerprint
//! ([`BenchPublicKey::fingerprint`]), so the key must stay the same for the bench's life: a
//! damaged entry is an error to fix by hand, never a reason to make a new key silently (every
//! report signed earlier would stop matching the bench).

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::audit::{HeadSigner, HeadVerifier};
use crate::intune::auth::SecretStore;
use crate::intune::SignInError;
use crate::secret::SecretText;
use crate::store::{Store, StoreError, StoreHandle};

/// The keyring entry (under [`crate::intune::auth::KEYRING_SERVICE`]) holding the key's seed.
pub const KEY_ENTRY: &str = "bench-signing-key";

/// Serialises first-time creation within this process (the store's write lock does it across
/// processes, see [`load_or_create`]).
static CREATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What went wrong with the bench's key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The OS keyring could not be read or written.
    #[error("bench signing key (keyring entry `{KEY_ENTRY}`): {0}")]
    Keyring(#[source] SignInError),
    /// The store, whose write lock guards making the key.
    #[error("bench signing key: {0}")]
    Store(#[source] StoreError),
    /// The keyring entry exists but does not hold a key.
    #[error(
        "the keyring entry `{KEY_ENTRY}` (service StageBench) does not hold a bench signing key: \
         {reason}. StageBench does not replace it on its own, because reports this bench signed \
         before would no longer match it. Restore the entry from a backup, or delete it in the \
         OS keyring (Windows Credential Manager, macOS Keychain Access, Linux Passwords and Keys) \
         so a new key is made, then give the admins the bench's new fingerprint"
    )]
    Corrupt {
        /// What is wrong with the stored value.
        reason: &'static str,
    },
    /// Text that should be a public key is not one.
    #[error("not a bench public key: {reason}; copy the key again from the report or the bench's settings")]
    InvalidPublicKey {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The bench's signing key. `Debug` shows only the public fingerprint; there is no `Serialize`
/// and the seed is zeroed when the key is dropped.
pub struct ReportSigningKey {
    signing: SigningKey,
}

impl ReportSigningKey {
    /// A new random key (from the OS's random source).
    pub fn generate() -> ReportSigningKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(seed.as_mut());
        ReportSigningKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The key of a 32-byte seed (benchmarks and tests; a bench's own key comes from
    /// [`load_or_create`]).
    pub fn from_seed(seed: &[u8; 32]) -> ReportSigningKey {
        ReportSigningKey {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The public half, to put in reports and show to admins.
    pub fn public(&self) -> BenchPublicKey {
        BenchPublicKey::from_bytes(self.signing.verifying_key().as_bytes())
    }

    /// Signs `message` (Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    fn from_stored(stored: &SecretText) -> Result<ReportSigningKey, KeyError> {
        let bytes = Zeroizing::new(STANDARD.decode(stored.expose().trim()).map_err(|_| {
            KeyError::Corrupt {
                reason: "the value is not base64",
            }
        })?);
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(bytes.as_slice().try_into().map_err(|_| KeyError::Corrupt {
                reason: "the value is not 32 bytes long",
            })?);
        Ok(ReportSigningKey {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    fn to_stored(&self) -> SecretText {
        let seed = Zeroizing::new(self.signing.to_bytes());
        SecretText::new(STANDARD.encode(seed.as_slice()))
    }
}

impl fmt::Debug for ReportSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportSigningKey")
            .field("public", &self.public().fingerprint)
            .field("secret", &crate::secret::REDACTED)
            .finish()
    }
}

/// The bench's key as stored in the keyring, or `None` on a bench that has none yet.
pub async fn load(secrets: &dyn SecretStore) -> Result<Option<ReportSigningKey>, KeyError> {
    match secrets.get(KEY_ENTRY).await.map_err(KeyError::Keyring)? {
        Some(stored) => ReportSigningKey::from_stored(&stored).map(Some),
        None => Ok(None),
    }
}

/// The bench's key: loaded from the keyring, or made and stored there on first use. A damaged
/// entry is an error ([`KeyError::Corrupt`]), never replaced.
///
/// One key per bench even when the app and the CLI (or two CLI runs) make it at once: the look
/// for an entry, the making and the storing happen under the store's write lock (`store` is the
/// bench's store), and what is returned is read back from the keyring after storing, so a
/// process that lost a race anyway (another store on the same keyring) takes the stored key,
/// not the one it made and never used.
pub async fn load_or_create(
    secrets: &dyn SecretStore,
    store: &mut Store,
) -> Result<ReportSigningKey, KeyError> {
    if let Some(key) = load(secrets).await? {
        return Ok(key);
    }
    let _creating = CREATE.lock().await;
    let _locked = store.write_lock().map_err(KeyError::Store)?;
    if let Some(key) = load(secrets).await? {
        return Ok(key);
    }
    secrets
        .set(KEY_ENTRY, &ReportSigningKey::generate().to_stored())
        .await
        .map_err(KeyError::Keyring)?;
    load(secrets).await?.ok_or(KeyError::Corrupt {
        reason: "the key just stored could not be read back",
    })
}

/// Attaches the bench key (made on first use, see [`load_or_create`]) to every connection of
/// `store`, so each audit append signs the chain's head; returns the key's public half.
pub async fn attach(
    store: &StoreHandle,
    secrets: &dyn SecretStore,
) -> Result<BenchPublicKey, KeyError> {
    // The lock is taken on a connection of its own (an in-memory store has none to share: it
    // gets a throwaway one, and no other process can see it anyway).
    let mut own = match store.open_another() {
        Ok(own) => own,
        Err(_) => Store::open_in_memory().map_err(KeyError::Store)?,
    };
    let key = Arc::new(load_or_create(secrets, &mut own).await?);
    store.sign_audit_with(key.clone());
    Ok(key.public())
}

impl HeadSigner for ReportSigningKey {
    fn fingerprint(&self) -> String {
        self.public().fingerprint
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        ReportSigningKey::sign(self, message)
    }
}

impl HeadVerifier for BenchPublicKey {
    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        BenchPublicKey::verify(self, message, signature)
    }
}

/// A bench's public key, as reports carry it and admins compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
pub struct BenchPublicKey {
    /// The 32 key bytes, standard base64 (with padding).
    pub key_b64: String,
    /// `SHA256:` and the unpadded base64 of the SHA-256 of the 32 key bytes, in the style of
    /// OpenSSH (but not the value `ssh-keygen` prints for the key, which hashes SSH's own
    /// encoding of it).
    pub fingerprint: String,
}

impl BenchPublicKey {
    /// The key from its standard base64 (the form in reports and in [`BenchPublicKey::key_b64`]).
    pub fn from_b64(key_b64: &str) -> Result<BenchPublicKey, KeyError> {
        let bytes = STANDARD
            .decode(key_b64.trim())
            .map_err(|_| KeyError::InvalidPublicKey {
                reason: "it is not base64",
            })?;
        let bytes: [u8; 32] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::InvalidPublicKey {
                    reason: "it is not 32 bytes long",
                })?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey {
            reason: "it is not an Ed25519 key",
        })?;
        Ok(BenchPublicKey::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8; 32]) -> BenchPublicKey {
        BenchPublicKey {
            key_b64: STANDARD.encode(bytes),
            fingerprint: format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(bytes))),
        }
    }

    /// Whether `signature` is this key's signature of `message` (strict Ed25519 verification:
    /// weak keys and malleable signatures are refused).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let Ok(bytes) = STANDARD.decode(&self.key_b64) else {
            return false;
        };
        let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            return false;
        };
        let Ok(key) = VerifyingKey::from_bytes(&bytes) else {
            return false;
        };
        key.verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

impl fmt::Display for BenchPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint)
    }
}

/// Read back checked: the key must be an Ed25519 key and the fingerprint must be its own, so a
/// hand-edited fingerprint cannot make one bench's key pass for another's.
impl<'de> Deserialize<'de> for BenchPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            key_b64: String,
            fingerprint: String,
        }
        let raw = Raw::deserialize(deserializer)?;
        let key = BenchPublicKey::from_b64(&raw.key_b64).map_err(serde::de::Error::custom)?;
        if key.fingerprint != raw.fingerprint {
            return Err(serde::de::Error::custom(
                "the fingerprint is not the key's own",
            ));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intune::auth::MemoryKeyring;

    #[test]
    fn sign_verify_and_fingerprint_format() {
        let key = ReportSigningKey::generate();
        let public = key.public();
        let sig = key.sign(b"hello");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellO", &sig));
        assert!(!ReportSigningKey::generate().public().verify(b"hello", &sig));
        assert!(public.fingerprint.starts_with("SHA256:"));
        assert_eq!(public.fingerprint.len(), "SHA256:".len() + 43, "{public}");
        assert_eq!(BenchPublicKey::from_b64(&public.key_b64).unwrap(), public);
        let debug = format!("{key:?}");
        assert!(
            debug.contains(&public.fingerprint) && debug.contains("[redacted]"),
            "{debug}"
        );
        assert!(!debug.contains(key.to_stored().expose()), "{debug}");
    }

    #[test]
    fn public_keys_are_checked_when_read() {
        let public = ReportSigningKey::generate().public();
        let json = serde_json::to_string(&public).unwrap();
        assert_eq!(
            serde_json::from_str::<BenchPublicKey>(&json).unwrap(),
            public
        );
        let other = ReportSigningKey::generate().public();
        let forged = json.replace(&public.fingerprint, &other.fingerprint);
        assert!(serde_json::from_str::<BenchPublicKey>(&forged).is_err());
        for bad in ["", "not base64!", "AAAA"] {
            let err = BenchPublicKey::from_b64(bad).unwrap_err();
            assert!(err.to_string().contains("copy the key again"), "{err}");
        }
    }

    #[tokio::test]
    async fn created_once_then_loaded() {
        let (keyring, mut store) = (MemoryKeyring::new(), Store::open_in_memory().unwrap());
        assert!(load(&keyring).await.unwrap().is_none());
        let first = load_or_create(&keyring, &mut store).await.unwrap().public();
        assert_eq!(keyring.names(), [KEY_ENTRY]);
        assert_eq!(
            load_or_create(&keyring, &mut store).await.unwrap().public(),
            first
        );
        assert_eq!(load(&keyring).await.unwrap().unwrap().public(), first);
    }
}
