//! The bench's ADB host key: the RSA key it offers devices over USB, found where [`KEY_ENV`]
//! says and loaded on first use.

use std::sync::Arc;

use stagebench_adb::host::KeySource;
use stagebench_adb::AdbKey;
use tokio::sync::OnceCell;

use crate::store::{Store, StoreError};

/// Chooses the bench's ADB key: unset (or `data-dir`) → `adbkey` in StageBench's data folder,
/// created on first use; `android-home` → `~/.android/adbkey`, the key Android's own `adb`
/// uses, so devices that already trust this computer's adb stay trusted; anything else → the
/// path of an existing key file.
pub const KEY_ENV: &str = "STAGEBENCH_ADB_KEY";

/// Where the bench's ADB host key comes from, as [`KEY_ENV`] says (see there).
pub fn key_source_from_env() -> Result<KeySource, StoreError> {
    match std::env::var(KEY_ENV).ok().as_deref().map(str::trim) {
        None | Some("") | Some("data-dir") => Ok(KeySource::DataDir(Store::data_dir()?)),
        Some("android-home") => Ok(KeySource::AndroidHome),
        Some(path) => Ok(KeySource::File(path.into())),
    }
}

/// The bench's ADB key, loaded (or created) on first use, so a bench without USB devices never
/// touches it. Clones share the key.
#[derive(Clone)]
pub struct AdbHostKey {
    source: Option<KeySource>,
    cell: Arc<OnceCell<Result<Arc<AdbKey>, String>>>,
}

impl std::fmt::Debug for AdbHostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdbHostKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl AdbHostKey {
    /// The key [`KEY_ENV`] names (by default in the data folder).
    pub fn from_env() -> Result<Self, StoreError> {
        Ok(Self::from_source(key_source_from_env()?))
    }

    /// The key at `source`, loaded on first use.
    pub fn from_source(source: KeySource) -> Self {
        Self {
            source: Some(source),
            cell: Arc::new(OnceCell::new()),
        }
    }

    /// A key already in memory.
    pub fn loaded(key: AdbKey) -> Self {
        Self {
            source: None,
            cell: Arc::new(OnceCell::new_with(Some(Ok(Arc::new(key))))),
        }
    }

    /// The key; an error says what could not be read or written.
    pub async fn get(&self) -> Result<Arc<AdbKey>, String> {
        self.cell
            .get_or_init(|| async {
                let Some(source) = self.source.clone() else {
                    return Err("no bench key".to_string());
                };
                tokio::task::spawn_blocking(move || source.load())
                    .await
                    .map_err(|e| format!("loading the bench key failed: {e}"))?
                    .map(Arc::new)
                    .map_err(|e| format!("can't load the bench's ADB key: {e}"))
            })
            .await
            .clone()
    }
}
