//! What can go wrong talking to an adb server, with the facts and the next step.

use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

/// An adb server request that failed, and why.
#[derive(Debug, Error)]
pub enum AdbError {
    /// Nothing accepted the TCP connection.
    #[error("could not reach the adb server at {addr}: {source}; is it running? start it with `adb start-server`")]
    ServerUnreachable {
        /// Server address.
        addr: SocketAddr,
        /// The connect error.
        source: std::io::Error,
    },
    /// The server (or the device behind it) went quiet.
    #[error("adb server {addr} did not answer `{service}` within {timeout:?}; if a device is involved it may have vanished (check `adb devices`), else restart the server with `adb kill-server`")]
    Timeout {
        /// Server address.
        addr: SocketAddr,
        /// The request in progress.
        service: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The connection broke mid-request.
    #[error("connection to adb server {addr} broke during `{service}`: {source}; check that the server and the device are still there (`adb devices`)")]
    ConnectionLost {
        /// Server address.
        addr: SocketAddr,
        /// The request in progress.
        service: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server does not know this serial.
    #[error("device '{serial}' not found on adb server {addr}: is it plugged in and authorized? run `adb devices`")]
    DeviceNotFound {
        /// The serial asked for.
        serial: String,
        /// Server address.
        addr: SocketAddr,
    },
    /// The device has not accepted this host's key.
    #[error("device '{serial}' on adb server {addr} is unauthorized: accept the \"Allow USB debugging\" prompt on its screen, then retry")]
    DeviceUnauthorized {
        /// The serial.
        serial: String,
        /// Server address.
        addr: SocketAddr,
    },
    /// The device is known but not talking.
    #[error("device '{serial}' on adb server {addr} is offline: replug it (or `adb reconnect`) and wait for state `device`")]
    DeviceOffline {
        /// The serial.
        serial: String,
        /// Server address.
        addr: SocketAddr,
    },
    /// `adb connect` did not reach the device.
    #[error("adb server {addr} could not connect to {host_port}: {message}; check the address and that ADB over TCP is enabled on the device")]
    ConnectFailed {
        /// Server address.
        addr: SocketAddr,
        /// The `host:port` asked for.
        host_port: String,
        /// The server's message.
        message: String,
    },
    /// Any other FAIL reply.
    #[error("adb server {addr} refused `{service}`: {message}")]
    ServerFailed {
        /// Server address.
        addr: SocketAddr,
        /// The request.
        service: String,
        /// The server's message.
        message: String,
    },
    /// A reply that does not follow the smart-socket protocol.
    #[error("adb server {addr} sent an unexpected reply to `{service}`: {detail}; is something other than an adb server listening there?")]
    Protocol {
        /// Server address.
        addr: SocketAddr,
        /// The request.
        service: String,
        /// What was wrong.
        detail: String,
    },
    /// The device sent more than [`crate::MAX_SERVICE_OUTPUT`] for one command or service.
    #[error("adb server {addr} passed on more than {} MiB for `{service}`, the most the bench keeps of one command's output; the connection was closed: check the command (one that never ends needs to be stopped on the device, e.g. `logcat -d`)", limit >> 20)]
    OutputTooLarge {
        /// Server address.
        addr: SocketAddr,
        /// The request.
        service: String,
        /// The limit in bytes.
        limit: usize,
    },
}

impl AdbError {
    /// Turn a FAIL message into the most specific cause, given the serial the request was about.
    pub(crate) fn from_fail(
        addr: SocketAddr,
        service: &str,
        serial: Option<&str>,
        message: String,
    ) -> Self {
        if let Some(serial) = serial {
            let serial = serial.to_owned();
            if message.contains("not found") {
                return Self::DeviceNotFound { serial, addr };
            }
            if message.contains("unauthorized") {
                return Self::DeviceUnauthorized { serial, addr };
            }
            if message.contains("offline") {
                return Self::DeviceOffline { serial, addr };
            }
        }
        Self::ServerFailed {
            addr,
            service: service.to_owned(),
            message,
        }
    }
}
