//! Where the bench's ADB key lives.

use std::path::{Path, PathBuf};

use super::HostError;
use crate::auth::{AdbKey, AuthError};

/// Which private key the bench signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `<dir>/adbkey` in StageBench's data folder, created on first use.
    DataDir(PathBuf),
    /// `~/.android/adbkey`, the key Android's `adb` uses (created there if missing, as `adb`
    /// would): devices that already trust this computer's adb stay trusted.
    AndroidHome,
    /// A key file somewhere else, which must exist.
    File(PathBuf),
}

impl KeySource {
    /// The private key file this source means.
    pub fn path(&self) -> Result<PathBuf, HostError> {
        match self {
            Self::DataDir(dir) => Ok(dir.join("adbkey")),
            Self::File(path) => Ok(path.clone()),
            Self::AndroidHome => {
                let home = std::env::var_os("HOME")
                    .or_else(|| std::env::var_os("USERPROFILE"))
                    .ok_or_else(|| {
                        HostError::Key(AuthError::Read {
                            path: PathBuf::from("~/.android/adbkey"),
                            source: std::io::Error::new(
                                std::io::ErrorKind::NotFound,
                                "neither HOME nor USERPROFILE is set",
                            ),
                        })
                    })?;
                Ok(Path::new(&home).join(".android").join("adbkey"))
            }
        }
    }

    /// Load the key, generating and saving one first where this source allows it.
    pub fn load(&self) -> Result<AdbKey, HostError> {
        let path = self.path()?;
        if let Self::File(_) = self {
            return Ok(AdbKey::load(&path)?);
        }
        let made = match (self, path.parent()) {
            // StageBench's own data folder is owner-only; adb's `~/.android` is adb's to keep.
            (Self::DataDir(dir), _) => stagebench_files::create_private_dir(dir),
            (_, Some(dir)) => {
                std::fs::create_dir_all(dir).map_err(|source| stagebench_files::FileError {
                    path: dir.to_owned(),
                    action: "create the folder",
                    source,
                })
            }
            (_, None) => Ok(()),
        };
        made.map_err(|e| AuthError::Write {
            path: e.path,
            source: e.source,
        })?;
        Ok(AdbKey::load_or_generate(&path)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_keys_are_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let source = KeySource::DataDir(dir.path().join("nested"));
        let first = source.load().unwrap();
        let again = source.load().unwrap();
        assert_eq!(first.public_key(), again.public_key());
        assert!(dir.path().join("nested/adbkey.pub").is_file());
        #[cfg(unix)]
        assert_eq!(
            stagebench_files::looseness(&dir.path().join("nested")),
            None,
            "the data folder is owner-only"
        );
        let same = KeySource::File(dir.path().join("nested/adbkey"))
            .load()
            .unwrap();
        assert_eq!(same.public_key(), first.public_key());
        assert!(KeySource::File(dir.path().join("missing")).load().is_err());
    }

    #[test]
    fn android_home_is_adbs_own_key_file() {
        if std::env::var_os("HOME").is_some() {
            let path = KeySource::AndroidHome.path().unwrap();
            assert!(path.ends_with(".android/adbkey"), "{}", path.display());
        }
    }
}
