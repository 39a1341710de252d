//! A direct ADB host: talk to a device's adbd over any [`MessageTransport`] (USB bulk endpoints,
//! TCP 5555, the fake adbd) without an adb server.
//!
//! [`AdbDevice::connect`] runs CNXN and AUTH (`handshake.rs`), then hands the transport to one
//! driver task (`connection.rs`) that races the device's next message against the streams'
//! requests, routes each message to its stream by local id, and sends the OKAY for a device
//! WRTE only once the stream has taken the data: one WRTE in flight per stream each way, so
//! many streams share the link and a slow reader slows only itself. Services on top: shell (v2
//! with exit codes when the device has `shell_v2`, else raw `shell:`), all properties in one
//! `getprop`, [`DeviceFacts`], and the sync service (stat, pull, push; [`sync`]).
//!
//! Every wait is bounded: [`ConnectOptions::io_timeout`] for anything the device should answer
//! by itself, [`ConnectOptions::auth_prompt_timeout`] for a person tapping "Allow". A device
//! that vanishes is [`HostError::Disconnected`] for every request in flight, at once.
//!
//! Layout: `handshake` (CNXN and AUTH), `connection` (the driver task and its streams),
//! [`sync`] (the sync service and its framing), `banner` (the device's CNXN identity string,
//! [`DeviceBanner`]), `key` (where the bench's ADB key lives), `tcp` (one message per write over
//! TCP) and `error` ([`HostError`]); this file holds [`AdbDevice`] and its services.

mod banner;
mod connection;
mod error;
mod handshake;
mod key;
pub mod sync;
mod tcp;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use banner::DeviceBanner;
pub use error::HostError;
pub use handshake::HOST_FEATURES;
pub use key::KeySource;
pub use sync::FileStat;
pub use tcp::TcpTransport;

use connection::{Link, Stream};

use crate::auth::AdbKey;
use crate::server::{parse_getprop, DeviceFacts};
use crate::shell_v2::ShellOutput;
use crate::transport::MessageTransport;

/// How far a connection has got, for progress displays. [`ConnectProgress::WaitingForUser`] is
/// the moment to tell the technician to look at the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectProgress {
    /// CNXN sent.
    Connecting,
    /// The device asked for authentication; the bench key's signature was sent.
    Authenticating,
    /// The device does not know the bench key; it was offered and the device shows
    /// "Allow USB debugging?".
    WaitingForUser {
        /// The key's fingerprint, for comparing with the device's screen.
        fingerprint: String,
    },
    /// The device answered CNXN: online.
    Connected,
}

impl fmt::Display for ConnectProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connecting => f.write_str("connecting"),
            Self::Authenticating => f.write_str("authenticating with the bench key"),
            Self::WaitingForUser { .. } => {
                f.write_str("waiting for 'Allow USB debugging' on the device")
            }
            Self::Connected => f.write_str("connected"),
        }
    }
}

type ProgressFn = dyn Fn(&ConnectProgress) + Send + Sync;

/// Timeouts and progress reporting for [`AdbDevice::connect`].
#[derive(Clone)]
pub struct ConnectOptions {
    /// Longest wait for a TCP connection to open (ignored by other transports).
    pub connect_timeout: Duration,
    /// Longest silence from the device for anything it answers by itself (CNXN, OKAY, data).
    pub io_timeout: Duration,
    /// Longest wait for the user to accept "Allow USB debugging?" after the key was offered.
    pub auth_prompt_timeout: Duration,
    progress: Option<Arc<ProgressFn>>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            io_timeout: Duration::from_secs(10),
            auth_prompt_timeout: Duration::from_secs(60),
            progress: None,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("auth_prompt_timeout", &self.auth_prompt_timeout)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ConnectOptions {
    /// Set [`ConnectOptions::io_timeout`].
    pub fn io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// Set [`ConnectOptions::auth_prompt_timeout`].
    pub fn auth_prompt_timeout(mut self, timeout: Duration) -> Self {
        self.auth_prompt_timeout = timeout;
        self
    }

    /// Set [`ConnectOptions::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Call `progress` at each step of the handshake.
    pub fn on_progress(
        mut self,
        progress: impl Fn(&ConnectProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn report(&self, step: ConnectProgress) {
        tracing::debug!(%step, "ADB connect");
        if let Some(progress) = &self.progress {
            progress(&step);
        }
    }
}

/// An online device reached directly. Cheap to clone; clones share the connection, and
/// requests from several tasks run as parallel streams. The connection closes when the last
/// clone is dropped.
///
/// Not generic over the transport on purpose: once online, a USB and a TCP device are the same
/// thing, so a bench can hold them in one list.
#[derive(Debug, Clone)]
pub struct AdbDevice {
    link: Arc<Link>,
    banner: Arc<DeviceBanner>,
}

impl AdbDevice {
    /// Connect and authenticate over `transport` with `key`, then serve streams from a
    /// background task (needs a tokio runtime). `transport.recv()` must be cancel-safe: the
    /// driver races it against outgoing requests. [`TcpTransport`]'s is.
    pub async fn connect<T: MessageTransport + 'static>(
        mut transport: T,
        key: &AdbKey,
        options: ConnectOptions,
    ) -> Result<AdbDevice, HostError> {
        let banner = handshake::handshake(&mut transport, key, &options).await?;
        let link = Link::spawn(transport, banner.max_payload, options.io_timeout);
        Ok(AdbDevice {
            link,
            banner: Arc::new(banner),
        })
    }

    /// [`TcpTransport::connect`] (within [`ConnectOptions::connect_timeout`]) then
    /// [`AdbDevice::connect`].
    pub async fn connect_tcp(
        addr: SocketAddr,
        key: &AdbKey,
        options: ConnectOptions,
    ) -> Result<AdbDevice, HostError> {
        let transport = TcpTransport::connect(addr, options.connect_timeout).await?;
        Self::connect(transport, key, options).await
    }

    /// What the device announced, and the negotiated version and payload size.
    pub fn banner(&self) -> &DeviceBanner {
        &self.banner
    }

    /// The link (`tcp 127.0.0.1:5555`, `usb 1-4.3`), as errors name it.
    pub fn describe(&self) -> &str {
        self.link.device()
    }

    async fn open(&self, service: &str) -> Result<Stream, HostError> {
        Stream::open(&self.link, service).await
    }

    /// Run `command`. With the device feature `shell_v2`: stdout and stderr apart, and the exit
    /// code. Without it (Android < 7): the raw `shell:` service, stdout and stderr merged in
    /// `stdout` and `exit_code` `None`.
    pub async fn shell(&self, command: &str) -> Result<ShellOutput, HostError> {
        if !self.banner.has_feature("shell_v2") {
            let bytes = self
                .open(&format!("shell:{command}"))
                .await?
                .read_to_end()
                .await?;
            return Ok(ShellOutput {
                stdout: bytes,
                ..ShellOutput::default()
            });
        }
        let service = format!("shell,v2,raw:{command}");
        let bytes = self.open(&service).await?.read_to_end().await?;
        let mut output = ShellOutput::default();
        let used = output
            .absorb(&bytes)
            .map_err(|e| self.link.protocol(&service, e.to_string()))?;
        if used != bytes.len() || output.exit_code.is_none() {
            return Err(self
                .link
                .protocol(&service, "shell v2 stream ended without an exit packet"));
        }
        Ok(output)
    }

    /// Open any device service (`exec:screencap -p`, `reboot:`) and read until the device
    /// closes it. A service the device does not offer is [`HostError::ServiceRefused`].
    pub async fn read_service(&self, service: &str) -> Result<Vec<u8>, HostError> {
        self.open(service).await?.read_to_end().await
    }

    /// All system properties, from one `getprop`.
    pub async fn properties(&self) -> Result<BTreeMap<String, String>, HostError> {
        let output = self.shell("getprop").await?;
        Ok(parse_getprop(&String::from_utf8_lossy(&output.stdout)))
    }

    /// Identity and build facts from one `getprop`. A direct link has no server serial, so
    /// `transport_serial` is `ro.serialno` (empty if the device has none); a USB caller that
    /// read the descriptor serial may put that there instead.
    pub async fn read_facts(&self) -> Result<DeviceFacts, HostError> {
        let properties = self.properties().await?;
        let serial = properties.get("ro.serialno").cloned().unwrap_or_default();
        Ok(DeviceFacts::from_properties(serial, properties))
    }

    /// Size, mode and modification time of `path`, or `None` if it does not exist. Uses
    /// `STA2` when the device has `stat_v2`, else `STAT`.
    pub async fn stat(&self, path: &str) -> Result<Option<FileStat>, HostError> {
        let mut session = self.sync().await?;
        let stat = session.stat(path, self.banner.has_feature("stat_v2")).await;
        session.quit().await;
        stat
    }

    /// The whole file at `path`.
    pub async fn pull(&self, path: &str) -> Result<Vec<u8>, HostError> {
        let mut data = Vec::new();
        self.pull_into(path, &mut data).await?;
        Ok(data)
    }

    /// Stream the file at `path` into `out`; the number of bytes written.
    pub async fn pull_into(
        &self,
        path: &str,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, HostError> {
        let mut session = self.sync().await?;
        let pulled = session.pull(path, out).await;
        session.quit().await;
        pulled
    }

    /// Write `data` to `path` with permission bits `mode` (e.g. `0o644`) and modification time
    /// `mtime` (seconds since 1970), creating parent folders as adbd does.
    pub async fn push(
        &self,
        data: &[u8],
        path: &str,
        mode: u32,
        mtime: u32,
    ) -> Result<(), HostError> {
        let mut session = self.sync().await?;
        let pushed = session.push(data, path, mode, mtime).await;
        session.quit().await;
        pushed
    }

    async fn sync(&self) -> Result<sync::SyncSession, HostError> {
        Ok(sync::SyncSession::new(self.open("sync:").await?))
    }
}
