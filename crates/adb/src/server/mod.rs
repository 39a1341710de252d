//! A client for a running adb server (the host side of `adb`, 127.0.0.1:5037).
//!
//! Each request opens a fresh TCP connection, as the adb command line does: the server closes
//! the socket after most answers, and `host:transport:` turns a socket into a device stream.
//!
//! Layout: `socket` (one smart-socket connection, every step bounded), `devices` (device lists
//! and the tracker, [`DeviceEntry`]), `facts` (`getprop` parsed into [`DeviceFacts`]) and `error`
//! ([`AdbError`]); this file holds the client, [`AdbServer`].

mod devices;
mod error;
mod facts;
mod socket;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

pub use devices::{parse_device_list, DeviceEntry, DeviceState, DeviceTracker};
pub use error::AdbError;
pub use facts::{parse_getprop, DeviceFacts};
use socket::Connection;

use crate::shell_v2::ShellOutput;

/// The adb server's default port.
pub const DEFAULT_PORT: u16 = 5037;
/// How long any single step may stay silent before it fails, unless changed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Debian's (or Google's) `adb` tool on `PATH`, if any. StageBench needs it only to run an adb
/// server; direct USB access works without it.
pub fn find_adb_binary() -> Option<std::path::PathBuf> {
    let name = if cfg!(windows) { "adb.exe" } else { "adb" };
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Where an adb server listens, and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdbServer {
    addr: SocketAddr,
    timeout: Duration,
}

impl AdbServer {
    /// A server at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// `127.0.0.1:$ANDROID_ADB_SERVER_PORT`, or port 5037, like the adb command line.
    pub fn from_env() -> Self {
        let port = std::env::var("ANDROID_ADB_SERVER_PORT")
            .ok()
            .and_then(|p| p.trim().parse().ok());
        Self::new(SocketAddr::from((
            Ipv4Addr::LOCALHOST,
            port.unwrap_or(DEFAULT_PORT),
        )))
    }

    /// Wait at most `timeout` for each step (connect, reply, each chunk of output).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn open(&self) -> Result<Connection, AdbError> {
        Connection::open(self.addr, self.timeout).await
    }

    /// Send one host request and read the `<hex length><text>` answer.
    async fn query(&self, service: &str, serial: Option<&str>) -> Result<String, AdbError> {
        let mut connection = self.open().await?;
        connection.request(service, serial).await?;
        connection.read_hex_block().await
    }

    /// The server's protocol version (`host:version`); Debian's adb 1.0.41 answers 41.
    pub async fn version(&self) -> Result<u32, AdbError> {
        let mut connection = self.open().await?;
        connection.request("host:version", None).await?;
        let text = connection.read_hex_block().await?;
        u32::from_str_radix(text.trim(), 16)
            .map_err(|_| connection.protocol(format!("version {text:?} is not hex")))
    }

    /// Every device the server knows, with `-l` details.
    pub async fn devices(&self) -> Result<Vec<DeviceEntry>, AdbError> {
        Ok(parse_device_list(
            &self.query("host:devices-l", None).await?,
        ))
    }

    /// Follow the device list: `host:track-devices-l` where the server has it, else the plain
    /// form (then only serial and state are filled in).
    pub async fn track_devices(&self) -> Result<DeviceTracker, AdbError> {
        let mut connection = self.open().await?;
        match connection.request("host:track-devices-l", None).await {
            Ok(()) => return Ok(DeviceTracker { connection }),
            Err(AdbError::ServerFailed { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut connection = self.open().await?;
        connection.request("host:track-devices", None).await?;
        Ok(DeviceTracker { connection })
    }

    /// `adb connect host:port`; returns the server's message: "connected to …", "already
    /// connected to …", or "failed to authenticate to …" when the device shows the "Allow USB
    /// debugging?" prompt (it comes online once allowed). Either way poll
    /// [`AdbServer::devices`] for state `device`. Only "failed/unable to connect" is an error.
    pub async fn connect(&self, host_port: &str) -> Result<String, AdbError> {
        let to_failure = |message: String| AdbError::ConnectFailed {
            addr: self.addr,
            host_port: host_port.to_owned(),
            message,
        };
        let message = match self.query(&format!("host:connect:{host_port}"), None).await {
            Ok(message) => message,
            Err(AdbError::ServerFailed { message, .. }) => return Err(to_failure(message)),
            Err(e) => return Err(e),
        };
        if message.contains("failed to connect") || message.contains("unable to connect") {
            return Err(to_failure(message));
        }
        Ok(message)
    }

    /// `adb disconnect host:port`; returns the server's message.
    pub async fn disconnect(&self, host_port: &str) -> Result<String, AdbError> {
        self.query(&format!("host:disconnect:{host_port}"), Some(host_port))
            .await
    }

    /// The serial the server uses for this device (`host-serial:<s>:get-serialno`). For a TCP
    /// device this is `host:port`, not `ro.serialno`.
    pub async fn get_serialno(&self, serial: &str) -> Result<String, AdbError> {
        self.query(&format!("host-serial:{serial}:get-serialno"), Some(serial))
            .await
    }

    /// Open `service` on the device and read until the device closes the stream.
    async fn device_service(&self, serial: &str, service: &str) -> Result<Vec<u8>, AdbError> {
        let mut connection = self.open().await?;
        connection
            .request(&format!("host:transport:{serial}"), Some(serial))
            .await?;
        connection.request(service, Some(serial)).await?;
        connection.read_to_end().await
    }

    /// Run `command` with the raw `shell:` service: stdout and stderr merged, no exit code.
    pub async fn shell(&self, serial: &str, command: &str) -> Result<String, AdbError> {
        let output = self
            .device_service(serial, &format!("shell:{command}"))
            .await?;
        Ok(String::from_utf8_lossy(&output).into_owned())
    }

    /// Run `command` with shell protocol v2 (device feature `shell_v2`, Android 7+): separate
    /// stdout/stderr and the exit code.
    pub async fn shell_v2(&self, serial: &str, command: &str) -> Result<ShellOutput, AdbError> {
        let service = format!("shell,v2,raw:{command}");
        let bytes = self.device_service(serial, &service).await?;
        let mut output = ShellOutput::default();
        let used = output.absorb(&bytes).map_err(|e| AdbError::Protocol {
            addr: self.addr,
            service: service.clone(),
            detail: e.to_string(),
        })?;
        if used != bytes.len() || output.exit_code.is_none() {
            return Err(AdbError::Protocol {
                addr: self.addr,
                service,
                detail: "shell v2 stream ended without an exit packet".into(),
            });
        }
        Ok(output)
    }

    /// All system properties, from one `getprop`.
    pub async fn properties(&self, serial: &str) -> Result<BTreeMap<String, String>, AdbError> {
        Ok(parse_getprop(&self.shell(serial, "getprop").await?))
    }

    /// The device's identity and build facts: `get-serialno` plus one `getprop`.
    pub async fn read_facts(&self, serial: &str) -> Result<DeviceFacts, AdbError> {
        let transport_serial = self.get_serialno(serial).await?;
        let properties = self.properties(serial).await?;
        Ok(DeviceFacts::from_properties(transport_serial, properties))
    }
}
