//! `stagebench doctor`: checks the bench can do its job, and says how to fix what it can't.
//!
//! Each check is independent and cheap (well under a second): the data folder and store, the
//! adb server (whose devices StageBench then reads through it), Debian's `adb` on PATH, and the
//! USB checks from the adb crate where that is built in.

use std::time::Duration;

use serde::Serialize;
use stagebench_adb::server::AdbServer;

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
}

impl Check {
    fn new(id: &str, status: CheckStatus, message: impl Into<String>, fix: Option<String>) -> Check {
        Check { id: id.to_string(), status, message: message.into(), fix }
    }
}

/// How long the adb server may take to answer before doctor calls it down.
const ADB_PROBE: Duration = Duration::from_secs(2);

/// Runs every check.
pub async fn run(adb: &AdbServer) -> Vec<Check> {
    vec![data_check(), adb_server_check(adb).await, adb_binary_check()]
}

fn data_check() -> Check {
    let dir = match Store::data_dir() {
        Ok(dir) => dir,
        Err(e) => return Check::new("data", CheckStatus::Fail, e.to_string(), Some(format!("set {} to a writable folder", crate::store::DATA_DIR_ENV))),
    };
    match Store::open_default() {
        Ok(_) => Check::new("data", CheckStatus::Ok, format!("bench history in {}", dir.display()), None),
        Err(e) => Check::new("data", CheckStatus::Fail, e.to_string(), Some("see the message above; StageBench never deletes the file".into())),
    }
}

async fn adb_server_check(adb: &AdbServer) -> Check {
    let probe = AdbServer::new(adb.addr()).with_timeout(ADB_PROBE);
    match probe.version().await {
        Ok(version) => {
            let count = probe.devices().await.map(|d| d.len()).unwrap_or(0);
            Check::new(
                "adb-server",
                CheckStatus::Ok,
                format!(
                    "adb server (protocol {version}) at {} holds {count} device(s); StageBench reads the devices it holds through it",
                    adb.addr()
                ),
                None,
            )
        }
        Err(_) => Check::new(
            "adb-server",
            CheckStatus::Warn,
            format!("no adb server answers at {}", adb.addr()),
            Some("start it with `adb start-server` to read devices through it".into()),
        ),
    }
}

fn adb_binary_check() -> Check {
    match stagebench_adb::server::find_adb_binary() {
        Some(path) => Check::new("adb-binary", CheckStatus::Ok, format!("adb found at {}", path.display()), None),
        None => Check::new(
            "adb-binary",
            CheckStatus::Warn,
            "the adb tool is not installed",
            Some("install it (Debian/Ubuntu: `sudo apt-get install adb`) to run an adb server".into()),
        ),
    }
}

/// Whether any check failed.
pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == CheckStatus::Fail)
}
