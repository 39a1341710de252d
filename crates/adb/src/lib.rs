//! ADB on its own: the wire format, RSA authentication, the adb host-server client and a fake
//! adbd for tests.
//!
//! # Layout
//!
//! [`wire`] and [`shell_v2`] are pure codecs (bytes in, messages out, "not enough bytes yet" is
//! `Ok(None)`). [`transport`] buffers them over any async byte stream. [`auth`] holds the host's
//! RSA key, its files and Android's public key format. [`host`] talks to a device's adbd
//! directly over any [`transport::MessageTransport`]: shell, properties, facts, sync.
//! [`server`] is a client for a running adb server (127.0.0.1:5037, the smart-socket
//! protocol): device lists, `adb connect`, shell and `getprop`, read into [`DeviceFacts`].
//! `usb` (feature `usb`, on by default) finds ADB interfaces by class, reads descriptors even
//! when ADB is off or unauthorized, carries messages over bulk endpoints, watches hotplug and
//! tells when a running adb server holds a device. `testing` (feature `testing`) is a fake adbd
//! that speaks the device side of [`wire`] over TCP and that Debian's real `adb connect` accepts.
//! What a device sends for one command is bounded by [`MAX_SERVICE_OUTPUT`], the crate's one
//! input limit.
#![warn(missing_docs)]

pub mod auth;
pub mod host;
pub mod server;
pub mod shell_v2;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
#[cfg(feature = "usb")]
pub mod usb;
pub mod wire;

pub use auth::{AdbKey, AuthError};

/// The most bytes kept from one shell command or device service, directly or through an adb
/// server: 16 MiB. `getprop` answers tens of kilobytes and a screenshot a few megabytes; a
/// command that never ends (`yes`, `logcat` without `-d`) is cut here with an error naming it,
/// and its stream closed.
pub const MAX_SERVICE_OUTPUT: usize = 16 << 20;
pub use server::{AdbError, AdbServer, DeviceEntry, DeviceFacts, DeviceState, DeviceTracker};
