//! Debian's real adb server for tests: its own free port and `HOME` (adb writes
//! `~/.android/adbkey` there), never the developer's server, killed on drop.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::server::{AdbServer, DeviceState};

/// A free TCP port on 127.0.0.1 (asked of the OS, then released), never one this process was
/// given before: the OS may hand a released port out again, and a test's "nobody listens here"
/// port must not become another test's adb server.
pub fn free_port() -> std::io::Result<u16> {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if GIVEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(port)
        {
            return Ok(port);
        }
    }
}

/// The `adb` binary on `PATH`, if any.
pub fn which_adb() -> Option<PathBuf> {
    crate::server::find_adb_binary()
}

/// How long a started server may take to answer: an upper bound for a loaded machine (it
/// answers as soon as it is up).
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

const MISSING: &str = "Debian's `adb` is not installed (needed to test against a real adb server): run `make test`, which installs it, or `apt-get install adb`";

/// An `adb` command with `HOME` set to `home` and no inherited server port or vendor keys.
pub fn adb_command(home: &Path) -> Command {
    let mut command = Command::new(which_adb().unwrap_or_else(|| panic!("{MISSING}")));
    command
        .env("HOME", home)
        .env_remove("ANDROID_ADB_SERVER_PORT")
        .env_remove("ADB_VENDOR_KEYS");
    command
}

/// Debian's real adb server on a free port with its own `HOME`; killed on drop.
pub struct RealAdbServer {
    port: u16,
    home: tempfile::TempDir,
    /// Whether this guard started the server on `port` (and so stops it on drop).
    started: bool,
}

impl RealAdbServer {
    /// Starts `adb -P <free port> start-server` and waits until it answers `host:version`.
    ///
    /// A free port is only free until someone binds it: tests run in parallel, and another one
    /// may take the port between our asking and adb binding it (adb then reports a "protocol
    /// fault"). So a failed start is retried on a fresh port, up to three times.
    pub async fn start() -> Result<RealAdbServer, String> {
        which_adb().ok_or(MISSING)?;
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::start_once().await {
                Ok(server) => return Ok(server),
                Err(e) => failures.push(e),
            }
        }
        Err(format!(
            "the adb server did not start in 3 tries: {}",
            failures.join("; ")
        ))
    }

    async fn start_once() -> Result<RealAdbServer, String> {
        let home =
            tempfile::tempdir().map_err(|e| format!("can't make a temp HOME for adb: {e}"))?;
        let port = free_port().map_err(|e| format!("no free port for the adb server: {e}"))?;
        let mut server = RealAdbServer {
            port,
            home,
            started: false,
        };
        let out = server.adb(&["start-server"]);
        // Something else may hold the port: only a successful start makes the server ours.
        server.started = out.status.success();
        if !out.status.success() {
            return Err(format!(
                "`adb -P {port} start-server` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            match server.client().version().await {
                Ok(41..) => return Ok(server),
                Ok(other) => {
                    server.started = false;
                    return Err(format!(
                        "port {port} answers as an adb server of protocol {other}, not ours"
                    ));
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => {
                    return Err(format!(
                        "adb server on port {port} did not answer within {ANSWER_WITHIN:?}: {e}"
                    ))
                }
            }
        }
    }

    /// Runs the real `adb` client against this server (`adb -P <port> ARGS`).
    pub fn adb(&self, args: &[&str]) -> Output {
        adb_command(self.home.path())
            .arg("-P")
            .arg(self.port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("could not run `adb` ({e}): {MISSING}"))
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The `HOME` the server runs with (its `.android/adbkey` lives there).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A client for this server.
    pub fn client(&self) -> AdbServer {
        AdbServer::new(self.addr())
    }

    /// Waits until the server lists at least `count` devices in state `device`.
    pub async fn wait_for_devices(&self, count: usize, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            let listed = self.client().devices().await.map_err(|e| e.to_string())?;
            let ready = listed
                .iter()
                .filter(|d| d.state == DeviceState::Device)
                .count();
            if ready >= count {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "adb server lists {ready} ready devices, expected {count}: {listed:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for RealAdbServer {
    fn drop(&mut self) {
        if self.started && which_adb().is_some() {
            let _ = self.adb(&["kill-server"]);
        }
    }
}
