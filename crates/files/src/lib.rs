//! Files that may hold a secret, written one way only.
//!
//! An exported QR, a label render, a bench pack, a report, a token export or the ADB key may carry
//! an enrollment token, a Wi-Fi key or a private key. Every one of them is written through
//! [`PrivateFile`] (or its one-shot form [`write_private`]):
//!
//! - a temporary file with a random name beside the target, created new (`O_CREAT|O_EXCL`), so a
//!   planted file or symlink at a guessable temp name is never opened;
//! - owner-only from its first byte (0600 on Unix; on Windows the user's profile ACLs);
//! - the file synced, renamed over the target in one step (a symlink at the target is replaced,
//!   never followed), then the folder synced, so a crash leaves the old file or the new one,
//!   never half of one;
//! - nothing left behind when the write fails or the writer is dropped uncommitted.
//!
//! [`create_private_dir`], [`create_private_file`], [`looseness`] and [`make_private`] keep the
//! bench's data folder and store owner-only and let `doctor` find and mend looser modes. Everything OS-specific in file
//! permissions sits in this crate.
//!
//! [`read_at_most`] reads a file whole only when it holds at most a given number of bytes
//! (module `limited`): packs, reports and lists are bounded before they reach memory.

mod limited;

pub use limited::{read_at_most, read_to_end_at_most, LimitedReadError};

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What went wrong, and with which file.
#[derive(Debug, thiserror::Error)]
#[error("can't {action} '{}': {source}", path.display())]
pub struct FileError {
    /// The file or folder involved.
    pub path: PathBuf,
    /// What was being done ("write", "create the folder", ...).
    pub action: &'static str,
    /// The OS error.
    #[source]
    pub source: io::Error,
}

impl FileError {
    fn new(path: &Path, action: &'static str, source: io::Error) -> Self {
        Self {
            path: path.to_owned(),
            action,
            source,
        }
    }
}

/// A file being written owner-only; it appears at its path only on [`PrivateFile::commit`].
pub struct PrivateFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl fmt::Debug for PrivateFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl PrivateFile {
    /// Starts writing `path`: a new owner-only temporary file with a random name in its folder.
    pub fn create(path: &Path) -> Result<Self, FileError> {
        let dir = folder_of(path);
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{stem}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| FileError::new(path, "write", e))?;
        // tempfile creates 0600 on Unix; say so explicitly so a changed default cannot widen it.
        os::restrict_file(temp.as_file()).map_err(|e| FileError::new(path, "write", e))?;
        Ok(Self {
            temp,
            path: path.to_owned(),
        })
    }

    /// The path the file will have once committed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Syncs the file, renames it over its path and syncs the folder.
    pub fn commit(self) -> Result<(), FileError> {
        let path = self.path;
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| FileError::new(&path, "write", e))?;
        self.temp
            .persist(&path)
            .map_err(|e| FileError::new(&path, "write", e.error))?;
        os::sync_dir(folder_of(&path)).map_err(|e| FileError::new(&path, "write", e))?;
        Ok(())
    }
}

impl Write for PrivateFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `bytes` to `path` whole, owner-only, atomically; see the crate documentation.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut file = PrivateFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| FileError::new(path, "write", e))?;
    file.commit()
}

/// Creates `dir` (and its parents) and makes `dir` itself owner-only (0700 on Unix).
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    std::fs::create_dir_all(dir).map_err(|e| FileError::new(dir, "create the folder", e))?;
    os::restrict_path(dir, true).map_err(|e| FileError::new(dir, "make private", e))
}

/// Creates `path` empty and owner-only (0600 on Unix) unless something is there already, and
/// its folder owner-only when missing ([`create_private_dir`]); whether the file was created.
/// A database file made this way before SQLite opens it keeps its journal files owner-only too
/// (SQLite gives `-wal` and `-shm` the database's mode). Never replaces or follows what is there.
pub fn create_private_file(path: &Path) -> Result<bool, FileError> {
    let dir = folder_of(path);
    if !dir.exists() {
        create_private_dir(dir)?;
    }
    match os::create_new(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(FileError::new(path, "create", e)),
    }
}

/// How a file or folder is more open than owner-only: its mode, when group or others may read,
/// write or enter it. `None` when it is owner-only, missing, or the OS has no such modes.
pub fn looseness(path: &Path) -> Option<Looseness> {
    os::looseness(path)
}

/// Makes an existing file (0600) or folder (0700) owner-only.
pub fn make_private(path: &Path) -> Result<(), FileError> {
    let is_dir = path.is_dir();
    os::restrict_path(path, is_dir).map_err(|e| FileError::new(path, "make private", e))
}

/// A path's mode bits that let someone other than its owner in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Looseness {
    /// The permission bits (e.g. 0o644).
    pub mode: u32,
    /// What owner-only is for this kind of path (0o600 for a file, 0o700 for a folder).
    pub wanted: u32,
}

impl fmt::Display for Looseness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mode {:04o}, owner-only is {:04o}",
            self.mode, self.wanted
        )
    }
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(unix)]
mod os {
    use std::fs::{File, Permissions};
    use std::io;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::Looseness;

    pub fn restrict_file(file: &File) -> io::Result<()> {
        file.set_permissions(Permissions::from_mode(0o600))
    }

    pub fn restrict_path(path: &Path, is_dir: bool) -> io::Result<()> {
        let mode = if is_dir { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, Permissions::from_mode(mode))
    }

    pub fn sync_dir(dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    pub fn create_new(path: &Path) -> io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map(drop)
    }

    pub fn looseness(path: &Path) -> Option<Looseness> {
        let meta = std::fs::metadata(path).ok()?;
        let mode = meta.permissions().mode() & 0o777;
        let wanted = if meta.is_dir() { 0o700 } else { 0o600 };
        (mode & 0o077 != 0).then_some(Looseness { mode, wanted })
    }
}

#[cfg(not(unix))]
mod os {
    //! Windows: files under the user's profile inherit its ACLs (owner, SYSTEM, Administrators);
    //! there are no mode bits to narrow or check, and a folder cannot be opened to be synced.
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use super::Looseness;

    pub fn restrict_file(_file: &File) -> io::Result<()> {
        Ok(())
    }

    pub fn restrict_path(_path: &Path, _is_dir: bool) -> io::Result<()> {
        Ok(())
    }

    pub fn sync_dir(_dir: &Path) -> io::Result<()> {
        Ok(())
    }

    pub fn create_new(path: &Path) -> io::Result<()> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map(drop)
    }

    pub fn looseness(_path: &Path) -> Option<Looseness> {
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn writes_owner_only_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qr.png");
        write_private(&path, b"token").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"token");
        assert_eq!(mode(&path), 0o600, "a file that may hold a secret is 0600");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the target remains: {names:?}");
    }

    #[test]
    fn an_existing_wider_file_is_replaced_by_an_owner_only_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("qr.png");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_private(&path, b"token").unwrap();
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"precious",
            "target of the link untouched"
        );
        assert!(std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_file());
        assert_eq!(std::fs::read(&path).unwrap(), b"token");
    }

    #[test]
    fn an_uncommitted_file_never_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pack.age");
        let mut file = PrivateFile::create(&path).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temp file removed"
        );
    }

    #[test]
    fn a_missing_folder_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope").join("qr.png");
        let err = write_private(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("nope/qr.png"), "{err}");
    }

    #[test]
    fn a_private_file_is_created_once_and_never_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data").join("store.db");
        assert!(create_private_file(&db).unwrap());
        assert_eq!((mode(&db), mode(db.parent().unwrap())), (0o600, 0o700));
        std::fs::write(&db, b"kept").unwrap();
        assert!(
            !create_private_file(&db).unwrap(),
            "an existing file is left as it is"
        );
        assert_eq!(std::fs::read(&db).unwrap(), b"kept");
        let victim = dir.path().join("victim");
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(!create_private_file(&link).unwrap());
        assert!(!victim.exists(), "the link was not followed");
    }

    #[test]
    fn private_dirs_and_looseness() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a").join("data");
        create_private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(looseness(&data), None);
        let db = data.join("store.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            looseness(&db),
            Some(Looseness {
                mode: 0o644,
                wanted: 0o600
            })
        );
        make_private(&db).unwrap();
        assert_eq!(looseness(&db), None);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(looseness(&data).map(|l| l.mode), Some(0o755));
        make_private(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
    }
}
