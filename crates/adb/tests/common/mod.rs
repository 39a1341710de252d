//! Running Debian's real `adb` from tests: HOME in a temp folder, a private port, and a Drop
//! guard that kills the server.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output};

/// A real adb server on its own port; killed on drop.
pub struct RealAdbServer {
    port: u16,
    pub home: tempfile::TempDir,
}

impl RealAdbServer {
    pub fn start() -> Self {
        let home = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self { port, home };
        let output = server.adb(&["start-server"]);
        assert!(
            output.status.success(),
            "adb start-server failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        server
    }

    pub fn adb(&self, args: &[&str]) -> Output {
        adb_command(self.home.path())
            .arg("-P")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("could not run `adb` ({e}): Debian's adb package is missing; run `make test`, which installs it"))
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }
}

pub fn adb_command(home: &Path) -> Command {
    let mut command = Command::new("adb");
    command
        .env("HOME", home)
        .env_remove("ANDROID_ADB_SERVER_PORT")
        .env_remove("ADB_VENDOR_KEYS");
    command
}

impl Drop for RealAdbServer {
    fn drop(&mut self) {
        let _ = self.adb(&["kill-server"]);
    }
}

pub fn require_adb() {
    let found = Command::new("adb")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "Debian's `adb` is not installed (needed to test against a real adb server): run `make test`, which installs it");
}
