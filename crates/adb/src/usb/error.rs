//! What goes wrong with USB, with the device, the endpoint and the next step.

use std::time::Duration;

use thiserror::Error;

use super::descriptor::{udev_rule, NextStep};

/// Why one bulk transfer failed, as the hardware edge reports it. [`UsbTransport`] adds the
/// device and endpoint to make a [`UsbError`].
///
/// [`UsbTransport`]: super::UsbTransport
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransferError {
    /// Nothing moved within the timeout.
    #[error("timed out")]
    Timeout,
    /// The device is no longer on the bus.
    #[error("device gone")]
    Gone,
    /// The device sent more than the buffer holds: the stream is out of step.
    #[error("device sent more data than asked for")]
    Overflow,
    /// The endpoint stalled.
    #[error("endpoint stalled")]
    Stall,
    /// Anything else the OS reported.
    #[error("{0}")]
    Other(String),
}

/// A USB operation that failed, and why.
#[derive(Debug, Error)]
pub enum UsbError {
    /// libusb could not start, so no USB device can be seen.
    #[error("libusb is not usable: {detail}; on Linux install libusb-1.0-0, and check that USB is available to this machine (`stagebench doctor`)")]
    Unavailable {
        /// What libusb said.
        detail: String,
    },
    /// No device at this port any more.
    #[error("no device at usb {port_path}: it was unplugged or re-enumerated; replug it and wait for it to show up")]
    Gone {
        /// The slot.
        port_path: String,
    },
    /// The device has no ADB interface.
    #[error(
        "usb {port_path} has no ADB interface. {}",
        NextStep::TurnOnUsbDebugging
    )]
    NoAdbInterface {
        /// The slot.
        port_path: String,
    },
    /// The OS would not let us open the device.
    #[error("permission denied opening usb {port_path} ({vendor_id:04x}:{product_id:04x}); on Linux add a udev rule such as `{}` (or install android-sdk-platform-tools-common), then replug", udev_rule(*vendor_id))]
    PermissionDenied {
        /// The slot.
        port_path: String,
        /// For the udev rule.
        vendor_id: u16,
        /// For the message.
        product_id: u16,
    },
    /// A transfer did not complete in time.
    #[error("usb {port_path}: {operation} on endpoint {endpoint:#04x} timed out after {after:?}; the device stopped answering: replug it")]
    Timeout {
        /// The slot.
        port_path: String,
        /// What we were doing (`header read`, `payload write`).
        operation: &'static str,
        /// The endpoint address.
        endpoint: u8,
        /// The timeout.
        after: Duration,
    },
    /// The device broke the transfer rules (overflow, short write, stall, bad header).
    #[error("usb {port_path}: {operation} failed: {detail}; replug the device")]
    Transfer {
        /// The slot.
        port_path: String,
        /// What we were doing.
        operation: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// Any other OS error.
    #[error("usb {port_path}: {operation} failed: {detail}")]
    Io {
        /// The slot.
        port_path: String,
        /// What we were doing.
        operation: &'static str,
        /// What the OS said.
        detail: String,
    },
}

impl UsbError {
    /// The device is no longer on the bus: a normal event on a bench, not a fault.
    pub fn is_gone(&self) -> bool {
        matches!(self, Self::Gone { .. })
    }

    /// Attach facts to a failed transfer.
    pub(crate) fn from_transfer(
        error: TransferError,
        port_path: &str,
        operation: &'static str,
        endpoint: u8,
        timeout: Duration,
    ) -> Self {
        let port_path = port_path.to_owned();
        match error {
            TransferError::Gone => Self::Gone { port_path },
            TransferError::Timeout => Self::Timeout {
                port_path,
                operation,
                endpoint,
                after: timeout,
            },
            TransferError::Overflow | TransferError::Stall => Self::Transfer {
                port_path,
                operation,
                detail: error.to_string(),
            },
            TransferError::Other(detail) => Self::Io {
                port_path,
                operation,
                detail,
            },
        }
    }
}

impl From<UsbError> for std::io::Error {
    /// Gone is the end of the link (`UnexpectedEof`, as [`MessageTransport`] promises), a
    /// timeout is `TimedOut`, a broken stream `InvalidData`; the [`UsbError`] rides inside.
    ///
    /// [`MessageTransport`]: crate::transport::MessageTransport
    fn from(error: UsbError) -> Self {
        use std::io::ErrorKind;
        let kind = match &error {
            UsbError::Gone { .. } => ErrorKind::UnexpectedEof,
            UsbError::Timeout { .. } => ErrorKind::TimedOut,
            UsbError::Transfer { .. } => ErrorKind::InvalidData,
            UsbError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            UsbError::NoAdbInterface { .. } => ErrorKind::NotFound,
            UsbError::Unavailable { .. } | UsbError::Io { .. } => ErrorKind::Other,
        };
        std::io::Error::new(kind, error)
    }
}
