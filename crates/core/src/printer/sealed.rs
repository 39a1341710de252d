//! Sealed print documents: a label that carries a secret (an enrollment label's QR holds the
//! token, maybe a Wi-Fi key) waits in the queue encrypted, its key in the OS keyring, so a copy
//! of the store alone reads nothing.
//!
//! Each job gets its own key (an age X25519 identity) in a keyring entry of its own
//! (`print-job-key:<random>`); the store keeps the ciphertext and the entry's name
//! ([`PrintData::Sealed`]). When the job ends (done, failed, cancelled) the store clears the
//! ciphertext, and [`forget_ended`] removes the key, so even a copy of the ciphertext taken
//! earlier (a backup, old WAL frames) can't be opened once the job is over.

use std::str::FromStr;

use age::secrecy::ExposeSecret;

use crate::intune::auth::SecretStore;
use crate::intune::SignInError;
use crate::secret::SecretText;
use crate::store::{PrintData, Store, StoreError};

/// The keyring entries holding print jobs' keys start with this.
pub const KEY_PREFIX: &str = "print-job-key:";

/// Why a document could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The keyring could not be read or written.
    #[error(transparent)]
    Keyring(#[from] SignInError),
    /// The job's key is not in the keyring (removed by hand, or another user's keyring).
    #[error("the key of this label is no longer in the keyring ({0}); print the label again")]
    KeyGone(String),
    /// Encrypting or decrypting failed (a damaged document or key).
    #[error("the sealed label can't be opened ({0}); print the label again")]
    Crypto(String),
}

/// Seals `bytes` under a new key kept in `secrets`; the document to queue.
pub async fn seal(secrets: &dyn SecretStore, bytes: &[u8]) -> Result<PrintData, SealError> {
    let identity = age::x25519::Identity::generate();
    let sealed =
        age::encrypt(&identity.to_public(), bytes).map_err(|e| SealError::Crypto(e.to_string()))?;
    let key = format!("{KEY_PREFIX}{:032x}", rand::random::<u128>());
    let text = SecretText::new(identity.to_string().expose_secret());
    secrets.set(&key, &text).await?;
    Ok(PrintData::Sealed { bytes: sealed, key })
}

/// Opens a document sealed by [`seal`] with its key from `secrets`.
pub async fn open(
    secrets: &dyn SecretStore,
    key: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    let text = secrets
        .get(key)
        .await?
        .ok_or_else(|| SealError::KeyGone(key.to_owned()))?;
    let identity = age::x25519::Identity::from_str(text.expose())
        .map_err(|e| SealError::Crypto(e.to_string()))?;
    age::decrypt(&identity, sealed).map_err(|e| SealError::Crypto(e.to_string()))
}

/// Removes the keys of jobs that ended (their documents are already cleared) from `secrets`,
/// and says so in the store; how many were removed. Run after each pass of the queue, so a
/// key left by a cancelled job, or by a process that stopped between the two steps, goes too.
pub async fn forget_ended(
    store: &mut Store,
    secrets: &dyn SecretStore,
) -> Result<usize, ForgetError> {
    let ended = store.print_sealed_ended()?;
    for (id, key) in &ended {
        secrets.delete(key).await?;
        store.print_key_forgotten(*id)?;
    }
    Ok(ended.len())
}

/// Why ended jobs' keys could not be forgotten.
#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    /// The keyring.
    #[error(transparent)]
    Keyring(#[from] SignInError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intune::auth::MemoryKeyring;

    #[tokio::test]
    async fn a_sealed_document_opens_with_its_key_only() {
        let keyring = MemoryKeyring::new();
        let PrintData::Sealed { bytes, key } = seal(&keyring, b"^XA token ^XZ").await.unwrap()
        else {
            panic!("sealed")
        };
        assert!(!bytes.windows(5).any(|w| w == b"token"), "not in clear");
        assert!(key.starts_with(KEY_PREFIX));
        assert_eq!(
            open(&keyring, &key, &bytes).await.unwrap(),
            b"^XA token ^XZ"
        );
        keyring.delete(&key).await.unwrap();
        let err = open(&keyring, &key, &bytes).await.unwrap_err();
        assert!(matches!(err, SealError::KeyGone(_)), "{err}");
        assert!(err.to_string().contains("print the label again"), "{err}");
    }
}
