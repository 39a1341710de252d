//! Claiming a device's ADB interface, and living next to a running adb server.
//!
//! An interface can be claimed by one process. When the adb server (or Android Studio, scrcpy,
//! another bench tool) has it, claiming fails with Busy (Linux) or Access (Windows, macOS).
//! That is an answer, not a fault: [`ClaimOutcome::HeldByAdbServer`] tells the caller to read
//! the device through the server. Nothing here retries, so a held device never becomes an
//! error loop; the outcome holds until the device is replugged.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::bridge;
use super::descriptor::NextStep;
use super::error::UsbError;
use super::transport::{UsbTimeouts, UsbTransport};
use super::UsbBackend;
use crate::server::{AdbServer, DeviceEntry};

/// How long to wait for an adb server's `host:version` when wording a "held" message.
pub const SERVER_PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// The result of trying to claim a device's ADB interface.
#[derive(Debug)]
pub enum ClaimOutcome<L> {
    /// The interface is ours.
    Claimed(L),
    /// Another process holds it, normally a running adb server: use the server path
    /// ([`HeldInterface::find_in`] finds the device in the server's list). Final until the
    /// device is replugged: do not retry the claim in a loop.
    HeldByAdbServer(HeldInterface),
}

impl<L> ClaimOutcome<L> {
    /// Apply `f` to a claimed link.
    pub fn map<M>(self, f: impl FnOnce(L) -> M) -> ClaimOutcome<M> {
        match self {
            Self::Claimed(link) => ClaimOutcome::Claimed(f(link)),
            Self::HeldByAdbServer(held) => ClaimOutcome::HeldByAdbServer(held),
        }
    }
}

/// A device whose ADB interface another process holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldInterface {
    /// The slot.
    pub port_path: String,
    /// Whether an adb server answered when we looked.
    pub adb_server: AdbServerSeen,
}

/// What we found at the adb server's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdbServerSeen {
    /// Not looked for (backends report this; [`open_transport`] fills it in).
    NotAsked,
    /// A server answered `host:version`.
    Running {
        /// Its address.
        addr: SocketAddr,
        /// Its protocol version (41 for adb 1.0.41).
        version: u32,
    },
    /// Nothing answered like an adb server.
    NotRunning {
        /// The address tried.
        addr: SocketAddr,
    },
}

impl HeldInterface {
    /// [`NextStep::UseAdbServer`].
    pub fn next_step(&self) -> NextStep {
        NextStep::UseAdbServer
    }

    /// This device in the adb server's list (`AdbServer::devices`), matched by port path —
    /// not by serial, which look-alike devices share.
    pub fn find_in<'a>(&self, entries: &'a [DeviceEntry]) -> Option<&'a DeviceEntry> {
        entries
            .iter()
            .find(|entry| entry.usb.as_deref() == Some(self.port_path.as_str()))
    }
}

impl fmt::Display for HeldInterface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = &self.port_path;
        match &self.adb_server {
            AdbServerSeen::Running { addr, version } => write!(
                f,
                "the adb server at {addr} (protocol {version}) holds usb {port}: reading it through the server; stop the server (`adb kill-server`) to use USB directly"
            ),
            AdbServerSeen::NotRunning { addr } => write!(
                f,
                "another program holds the ADB interface of usb {port} and no adb server answers on {addr}: close Android Studio, scrcpy or other adb tools, or start `adb start-server` so StageBench can read the device through it"
            ),
            AdbServerSeen::NotAsked => write!(
                f,
                "another program (usually an adb server) holds the ADB interface of usb {port}"
            ),
        }
    }
}

/// Ask the adb server at `server` for its version, waiting at most [`SERVER_PROBE_TIMEOUT`].
pub async fn probe_adb_server(server: &AdbServer) -> AdbServerSeen {
    let addr = server.addr();
    let probe = server.clone().with_timeout(SERVER_PROBE_TIMEOUT);
    match tokio::time::timeout(SERVER_PROBE_TIMEOUT * 2, probe.version()).await {
        Ok(Ok(version)) => AdbServerSeen::Running { addr, version },
        _ => AdbServerSeen::NotRunning { addr },
    }
}

/// Open the device at `port_path`, claim its ADB interface and start a [`UsbTransport`] on it.
/// When another process holds the interface, ask `server` whether it is an adb server, to word
/// [`HeldInterface`]'s message.
pub async fn open_transport<B: UsbBackend>(
    backend: &Arc<B>,
    port_path: &str,
    server: &AdbServer,
    timeouts: UsbTimeouts,
) -> Result<ClaimOutcome<UsbTransport>, UsbError> {
    let port = port_path.to_owned();
    let outcome = bridge::call(backend, move |b| b.open(&port)).await?;
    Ok(match outcome {
        ClaimOutcome::Claimed(link) => ClaimOutcome::Claimed(UsbTransport::new(link, timeouts)),
        ClaimOutcome::HeldByAdbServer(mut held) => {
            held.adb_server = probe_adb_server(server).await;
            tracing::info!(port = port_path, "{held}");
            ClaimOutcome::HeldByAdbServer(held)
        }
    })
}
