//! `stagebench doctor`: checks the bench can do its job, and says how to fix what it can't.
//!
//! Each check is independent and cheap (well under a second): the data folder and store, who
//! may read them (`data-modes`), Debian's `adb` on PATH, and the adb crate's USB checks (libusb,
//! device-node permissions, udev rules, and a running adb server whose devices StageBench then
//! reads through it).
//!
//! A check marked `fixable` is one doctor mends itself ([`fix`]): the data folder and the files
//! in it (the store, its `-wal` and `-shm`, the ADB key) made owner-only again.
//!
//! [`network`] checks the staging network instead: whether the endpoints enrollment needs are
//! reachable from the bench, from a data file of endpoints with their sources.

pub mod network;

use std::path::{Path, PathBuf};

use serde::Serialize;
use stagebench_adb::server::AdbServer;
use stagebench_files::Looseness;

use crate::store::Store;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// Fine.
    Ok,
    /// Works, with a limit the technician should know about.
    Warn,
    /// Something StageBench needs is broken.
    Fail,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Check {
    /// Stable id, e.g. `adb-server`.
    pub id: String,
    /// How it came out.
    pub status: CheckStatus,
    /// What was found.
    pub message: String,
    /// What to do about it, when something is wrong.
    pub fix: Option<String>,
    /// Whether doctor mends it itself (see [`fix`]).
    pub fixable: bool,
    /// The enrollment step that will likely fail because of it (network checks).
    pub step: Option<String>,
}

impl Check {
    fn new(
        id: &str,
        status: CheckStatus,
        message: impl Into<String>,
        fix: Option<String>,
    ) -> Check {
        Check {
            id: id.to_string(),
            status,
            message: message.into(),
            fix,
            fixable: false,
            step: None,
        }
    }
}

/// Runs every check.
pub async fn run(adb: &AdbServer) -> Vec<Check> {
    let mut checks = vec![data_check(), modes_check(), adb_binary_check()];
    checks.extend(
        stagebench_adb::usb::diagnose(adb)
            .await
            .into_iter()
            .map(Check::from),
    );
    checks
}

/// USB and adb-server problems are warnings: the bench still works through the other path
/// (an adb server when direct USB is blocked, direct USB when no server runs).
impl From<stagebench_adb::usb::DoctorCheck> for Check {
    fn from(c: stagebench_adb::usb::DoctorCheck) -> Check {
        let status = if c.ok {
            CheckStatus::Ok
        } else {
            CheckStatus::Warn
        };
        Check::new(c.id, status, c.message, c.fix)
    }
}

fn data_check() -> Check {
    let dir = match Store::data_dir() {
        Ok(dir) => dir,
        Err(e) => {
            return Check::new(
                "data",
                CheckStatus::Fail,
                e.to_string(),
                Some(format!(
                    "set {} to a writable folder",
                    crate::store::DATA_DIR_ENV
                )),
            )
        }
    };
    match Store::open_default() {
        Ok(_) => Check::new(
            "data",
            CheckStatus::Ok,
            format!("bench history in {}", dir.display()),
            None,
        ),
        Err(e) => Check::new(
            "data",
            CheckStatus::Fail,
            e.to_string(),
            Some("see the message above; StageBench never deletes the file".into()),
        ),
    }
}

/// The data folder and every file in it that others may read, enter or write, with how.
pub fn loose_paths(dir: &Path) -> Vec<(PathBuf, Looseness)> {
    let files = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file());
    std::iter::once(dir.to_owned())
        .chain(files)
        .filter_map(|path| stagebench_files::looseness(&path).map(|l| (path, l)))
        .collect()
}

fn modes_check() -> Check {
    let Ok(dir) = Store::data_dir() else {
        return Check::new(
            "data-modes",
            CheckStatus::Warn,
            "no data folder to check",
            None,
        );
    };
    let loose = loose_paths(&dir);
    if loose.is_empty() {
        return Check::new(
            "data-modes",
            CheckStatus::Ok,
            format!("only you can read {}", dir.display()),
            None,
        );
    }
    let shown: Vec<String> = loose
        .iter()
        .map(|(path, how)| format!("{} ({how})", path.display()))
        .collect();
    Check {
        fixable: true,
        ..Check::new(
            "data-modes",
            // A warning: the bench works, but its audit log and keys are open to other users.
            CheckStatus::Warn,
            format!(
                "other users of this computer can read the bench's history, audit log and keys: {}",
                shown.join(", ")
            ),
            Some("make the data folder and its files owner-only".into()),
        )
    }
}

/// Mends what the fixable checks found: the data folder and its files made owner-only. The
/// paths mended.
pub fn fix() -> Result<Vec<PathBuf>, stagebench_files::FileError> {
    let Ok(dir) = Store::data_dir() else {
        return Ok(Vec::new());
    };
    let mut mended = Vec::new();
    for (path, _) in loose_paths(&dir) {
        stagebench_files::make_private(&path)?;
        mended.push(path);
    }
    Ok(mended)
}

fn adb_binary_check() -> Check {
    match stagebench_adb::server::find_adb_binary() {
        Some(path) => Check::new(
            "adb-binary",
            CheckStatus::Ok,
            format!("adb found at {}", path.display()),
            None,
        ),
        None => Check::new(
            "adb-binary",
            CheckStatus::Warn,
            "the adb tool is not installed",
            Some(
                "install it (Debian/Ubuntu: `sudo apt-get install adb`) to run an adb server"
                    .into(),
            ),
        ),
    }
}

/// Whether any check failed.
pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == CheckStatus::Fail)
}
