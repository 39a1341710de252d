//! ADB straight over USB: finding devices and their ADB interfaces, hotplug, the bulk-endpoint
//! [`MessageTransport`](crate::transport::MessageTransport), coexistence with a running adb
//! server, per-device leases and the `doctor` checks.
//!
//! # Layout
//!
//! The hardware edge is two narrow traits: [`UsbBackend`] (list ports, read one device's
//! descriptors, open its ADB interface, subscribe to hotplug) and [`BulkLink`] (one claimed
//! interface: read and write its bulk endpoints). [`RusbBackend`] implements them over libusb;
//! `ScriptedUsb` (feature `testing`) is a fake bus with pluggable devices whose endpoints speak
//! ADB. Everything else is generic over them:
//!
//! - [`descriptor`]: pure — the class-triple rule for ADB interfaces (never vendor ids), port
//!   paths, [`UsbDeviceInfo`] and the next step for a technician.
//! - [`transport`]: [`UsbTransport`], header and payload as separate bulk transfers with a
//!   zero-length packet after a payload that fills whole packets.
//! - `bridge`: the one place where blocking USB calls meet tokio (see below).
//! - [`claim`]: opening a device; a device held by an adb server is an outcome
//!   ([`ClaimOutcome::HeldByAdbServer`]), not an error to retry.
//! - [`mod@watch`]: arrival/left events (libusb hotplug, else polling), descriptors read with
//!   bounded concurrency.
//! - [`lease`]: one job per device at a time.
//! - [`doctor`]: checks for `stagebench doctor`.
//! - [`error`]: what goes wrong with USB, with the device, the endpoint and the next step.
//! - `rusb_backend`: [`RusbBackend`], the traits over libusb; `scripted` (feature `testing`):
//!   `ScriptedUsb`, the fake bus.
//!
//! # Blocking calls and tokio
//!
//! libusb calls block. Backend calls (listing, descriptor reads, opening) run on tokio's
//! blocking pool (`spawn_blocking`), bounded by the caller's concurrency limit. A claimed
//! interface gets two dedicated threads for its lifetime — one reading bulk IN, one writing bulk
//! OUT — connected to the async [`UsbTransport`] by channels, so a read that waits for the
//! device never holds up a write, messages are never lost when a `recv` is cancelled, and 50
//! devices cost 100 mostly-sleeping threads rather than a busy blocking pool.

mod bridge;
pub mod claim;
pub mod descriptor;
pub mod doctor;
pub mod error;
pub mod lease;
mod rusb_backend;
#[cfg(feature = "testing")]
mod scripted;
pub mod transport;
pub mod watch;

use std::time::Duration;

pub use claim::{open_transport, AdbServerSeen, ClaimOutcome, HeldInterface};
pub use descriptor::{
    find_adb_interface, port_path, AdbFunction, AdbInterface, AdbInterfaceState,
    EndpointDescriptor, InterfaceClass, InterfaceDescriptor, NextStep, TransferKind, UsbDeviceInfo,
    ADB_CLASS, ADB_DBC_CLASS,
};
pub use doctor::{diagnose, DoctorCheck};
pub use error::{TransferError, UsbError};
pub use lease::{DeviceLease, DeviceLeases};
pub use rusb_backend::{RusbBackend, RusbLink, RusbSubscription};
#[cfg(feature = "testing")]
pub use scripted::{
    DeviceScript, PluggedDevice, Responder, ScriptedDevice, ScriptedLink, ScriptedSubscription,
    ScriptedUsb, DEFAULT_BANNER,
};
pub use transport::{needs_zlp, OutTransfers, UsbTimeouts, UsbTransport};
pub use watch::{list_concurrently, watch, watch_with, UsbEvent, WatchHandle, WatchOptions};

/// A device on the bus as seen without opening it: enough to notice arrivals, departures and
/// re-enumerations (the address changes on every plug) cheaply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsbPort {
    /// The slot, `1-4.3`.
    pub port_path: String,
    /// Bus address; new on every enumeration.
    pub address: u8,
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
}

/// What the OS reports through hotplug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HotplugNotice {
    /// A device enumerated.
    Arrived(UsbPort),
    /// A device left the bus.
    Left {
        /// Its slot.
        port_path: String,
    },
}

/// Where a backend delivers hotplug notices. Sending never blocks, so it is safe inside libusb
/// callbacks.
#[derive(Debug, Clone)]
pub struct HotplugSink(tokio::sync::mpsc::UnboundedSender<HotplugNotice>);

impl HotplugSink {
    /// A sink and the receiving end.
    pub fn channel() -> (Self, tokio::sync::mpsc::UnboundedReceiver<HotplugNotice>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    /// Report a notice; `false` once nobody listens (the backend may then drop its callback).
    pub fn send(&self, notice: HotplugNotice) -> bool {
        self.0.send(notice).is_ok()
    }
}

/// The hardware edge: a USB bus. Calls block (they may wait on the device); async code reaches
/// them through the blocking pool, never directly.
pub trait UsbBackend: Send + Sync + 'static {
    /// A claimed ADB interface.
    type Link: BulkLink;
    /// Keeps a hotplug subscription alive; dropping it unsubscribes.
    type Subscription: Send + 'static;

    /// Every device now on the bus, hubs excluded, without opening any.
    fn ports(&self) -> Result<Vec<UsbPort>, UsbError>;

    /// Read one device's descriptors and strings. A device the OS will not let us open is
    /// `Ok` with [`AdbInterfaceState::Unreadable`]; a device no longer there is
    /// [`UsbError::Gone`].
    fn describe(&self, port_path: &str) -> Result<UsbDeviceInfo, UsbError>;

    /// Open the device at `port_path` and claim its ADB interface. Another process holding the
    /// interface is [`ClaimOutcome::HeldByAdbServer`] (with [`AdbServerSeen::NotAsked`]).
    fn open(&self, port_path: &str) -> Result<ClaimOutcome<Self::Link>, UsbError>;

    /// Deliver arrivals and departures to `sink` as the OS reports them; `Ok(None)` when this
    /// platform has no hotplug support, and the caller polls [`UsbBackend::ports`] instead.
    fn subscribe(&self, sink: HotplugSink) -> Result<Option<Self::Subscription>, UsbError>;

    /// Every device with its descriptors, one after another (see [`list_concurrently`] for
    /// many devices). Devices that leave during the listing are left out.
    fn list(&self) -> Result<Vec<UsbDeviceInfo>, UsbError> {
        let mut devices = Vec::new();
        for port in self.ports()? {
            match self.describe(&port.port_path) {
                Ok(info) => devices.push(info),
                Err(e) if e.is_gone() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(devices)
    }
}

/// One claimed ADB interface: its two bulk endpoints. Both calls block for at most `timeout`
/// and may run at the same time from two threads (libusb allows concurrent transfers on
/// different endpoints). Dropping the link releases the interface.
pub trait BulkLink: Send + Sync + 'static {
    /// The interface and endpoints in use.
    fn interface(&self) -> AdbInterface;
    /// Its slot, for messages.
    fn port_path(&self) -> &str;
    /// One bulk IN transfer into `buf`; `Ok(0)` is a zero-length packet.
    fn read_bulk(&self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransferError>;
    /// One bulk OUT transfer of `data` (empty = zero-length packet); returns bytes written.
    fn write_bulk(&self, data: &[u8], timeout: Duration) -> Result<usize, TransferError>;
}
