//! Running the built `stagebench` binary the way a technician does: its own data folder,
//! standard input closed, and what it printed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::built_binary;

/// Runs `stagebench args…` on the data folder `data_dir` and waits for it, with the adb server
/// at `adb_port` (none from the test's environment otherwise).
pub fn stagebench(args: &[&str], data_dir: &Path, adb_port: Option<u16>) -> Output {
    let mut cmd = Command::new(built_binary("stagebench"));
    cmd.args(args)
        .env("STAGEBENCH_DATA_DIR", data_dir)
        .env_remove("ANDROID_ADB_SERVER_PORT");
    if let Some(port) = adb_port {
        cmd.env("ANDROID_ADB_SERVER_PORT", port.to_string());
    }
    cmd.stdin(Stdio::null()).output().expect("stagebench runs")
}

/// What a finished command wrote to its standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
