//! The bench's export folder: where the desktop app writes bench packs, signed reports and the
//! chain of custody, and the one check on a file name given for it.
//!
//! The app's page names an export by file name only; the folder is the bench's own. So a page
//! that misbehaves (a script injected into the webview, say) can write nowhere but here, and
//! never over a file elsewhere on the machine. Files the app reads come from the native file
//! dialog instead, never from a path the page typed.

use std::path::PathBuf;

use crate::store::{Store, StoreError};

/// The environment variable that names the export folder (tests, demos, a bench that keeps its
/// exports on a shared drive). Set by whoever starts the app; the page cannot change it.
pub const EXPORT_DIR_ENV: &str = "STAGEBENCH_EXPORT_DIR";

/// Why an export can't be named or placed. Messages name the name or folder and the next step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportFolderError {
    /// The name is not a plain file name.
    #[error("“{name}” can't be used as an export's file name: {why}. Give a file name only, such as “wave 3.stagebench-pack”; it is written to the bench's export folder.")]
    BadName {
        /// The name given (control characters escaped).
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Neither the environment, the documents folder nor the data folder gives a folder.
    #[error("the bench has no export folder: {0}")]
    NoFolder(#[from] StoreError),
    /// The folder could not be made.
    #[error("the export folder can't be made: {0}. Check that the documents folder is writable, or set {EXPORT_DIR_ENV} to a folder that is.")]
    Folder(#[from] stagebench_files::FileError),
}

/// Longest file name most file systems take, in bytes.
const MAX_NAME_BYTES: usize = 255;

/// `name` trimmed, once it is a plain file name: not empty, no folder separator (`/`, `\`), no
/// drive or stream (`:`), no `..`, not hidden (a leading `.`), no control character, at most
/// 255 bytes.
pub fn check_file_name(name: &str) -> Result<&str, ExportFolderError> {
    let trimmed = name.trim();
    let why = if trimmed.is_empty() {
        Some("it is empty")
    } else if trimmed.contains(['/', '\\']) {
        Some("it names a folder")
    } else if trimmed.contains(':') {
        Some("it names a drive or a stream (`:`)")
    } else if trimmed.contains("..") {
        Some("it contains `..`")
    } else if trimmed.starts_with('.') {
        Some("it starts with a dot (a hidden file)")
    } else if trimmed.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if trimmed.len() > MAX_NAME_BYTES {
        Some("it is longer than 255 bytes")
    } else {
        None
    };
    match why {
        None => Ok(trimmed),
        Some(why) => Err(ExportFolderError::BadName {
            name: name.escape_debug().to_string(),
            why,
        }),
    }
}

/// Where the export folder is: `$STAGEBENCH_EXPORT_DIR` when set and not empty, else
/// `Documents/StageBench`, else `exports` in the data folder.
pub fn export_folder_path() -> Result<PathBuf, ExportFolderError> {
    if let Some(dir) = std::env::var_os(EXPORT_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let documents =
        directories::UserDirs::new().and_then(|u| u.document_dir().map(|d| d.join("StageBench")));
    match documents {
        Some(dir) => Ok(dir),
        None => Ok(Store::data_dir()?.join("exports")),
    }
}

/// The export folder, made owner-only when missing (exports may hold an encrypted token).
pub fn export_folder() -> Result<PathBuf, ExportFolderError> {
    let dir = export_folder_path()?;
    if !dir.is_dir() {
        stagebench_files::create_private_dir(&dir)?;
    }
    Ok(dir)
}

/// The file `name` in the export folder, once `name` is a plain file name ([`check_file_name`]).
pub fn export_path(name: &str) -> Result<PathBuf, ExportFolderError> {
    let name = check_file_name(name)?;
    Ok(export_folder()?.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_trimmed() {
        for name in [
            "wave 3.stagebench-pack",
            " Leeds scanners wave 3 report.csv ",
            "a",
        ] {
            assert_eq!(check_file_name(name).unwrap(), name.trim());
        }
    }

    #[test]
    fn paths_and_tricks_are_refused_with_the_reason() {
        for (name, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("/etc/passwd", "folder"),
            ("../x.pack", "folder"),
            ("sub/x.pack", "folder"),
            ("..\\x.pack", "folder"),
            ("C:x.pack", "drive"),
            ("x.pack:stream", "drive"),
            ("..", "`..`"),
            ("a..b", "`..`"),
            (".bashrc", "dot"),
            ("x\u{0}y", "control"),
            ("x\ny", "control"),
        ] {
            let err = check_file_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name:?}: {err}");
            assert!(err.contains("export folder"), "names the next step: {err}");
        }
        let long = "a".repeat(256);
        assert!(check_file_name(&long).is_err());
        let err = check_file_name("x\u{1b}[2Jy").unwrap_err().to_string();
        assert!(!err.contains('\u{1b}'), "control characters escaped: {err}");
    }
}
