//! What a serial is, where it came from, and whether the serials of one device agree.
//!
//! Android serials are not an identity you can trust on their own (field notes, pain points 8
//! and 15): cheap devices share placeholders such as `1234567890ABCDEF`, the USB descriptor, the
//! `ro.serialno` property and the serial Intune reports may differ, and for TCP or wireless
//! transports the "serial" adb prints is an address. So a device's identity is the set of its
//! serials *with their sources*, plus its bench slot; this module classifies single values
//! ([`is_placeholder_serial`], [`is_network_address`]) and checks a set of observations
//! ([`check_identity`]) so the bench can tell the technician what to do next.
//!
//! Layout: this file holds where a serial came from ([`SerialSource`]) and one reading of it
//! ([`SerialObservation`]); `classify` tells what a single value is (a placeholder, a network
//! address, an IMEI with a valid check digit); `check` checks a device's observations against
//! each other ([`check_identity`]); `windows` reads a Windows device's corporate identifier
//! (manufacturer, model and serial, [`WindowsTuple`]); `tests` checks them all.

use std::fmt;
use std::str::FromStr;

mod check;
mod classify;
#[cfg(test)]
mod tests;
mod windows;

pub use check::{check_identity, IdentityCheck, IdentityFlag};
pub use classify::{
    is_identifying_serial, is_network_address, is_placeholder_serial, luhn_ok, PLACEHOLDER_SERIALS,
};
pub use windows::{
    WindowsTuple, TUPLE_DELIMITER, WINDOWS_FILE_BYTES, WINDOWS_FILE_ROWS, WINDOWS_NEEDS_TUPLE,
};

/// Where a serial was read.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
pub enum SerialSource {
    /// The USB device descriptor's `iSerialNumber` string (readable without ADB).
    UsbDescriptor,
    /// The transport serial adb reports (`adb get-serialno`, `adb devices`). For TCP and
    /// wireless transports this is an address, see [`is_network_address`].
    AdbTransport,
    /// `getprop ro.serialno`.
    RoSerialno,
    /// `getprop ro.boot.serialno`.
    BootSerialno,
    /// An IMEI (dual-SIM devices have two).
    Imei,
    /// The `serialNumber` Intune reports for the managed device.
    Intune,
    /// Typed or scanned by the technician (from the device label or the box).
    Scanner,
}

impl SerialSource {
    /// Every source, in declaration order.
    pub const ALL: [SerialSource; 7] = [
        SerialSource::UsbDescriptor,
        SerialSource::AdbTransport,
        SerialSource::RoSerialno,
        SerialSource::BootSerialno,
        SerialSource::Imei,
        SerialSource::Intune,
        SerialSource::Scanner,
    ];

    /// The stable kebab-case name, as stored and serialized (`"usb-descriptor"`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            SerialSource::UsbDescriptor => "usb-descriptor",
            SerialSource::AdbTransport => "adb-transport",
            SerialSource::RoSerialno => "ro-serialno",
            SerialSource::BootSerialno => "boot-serialno",
            SerialSource::Imei => "imei",
            SerialSource::Intune => "intune",
            SerialSource::Scanner => "scanner",
        }
    }

    /// How a technician knows the source, for messages (`"ro.serialno"`, `"the USB descriptor"`).
    pub fn label(&self) -> &'static str {
        match self {
            SerialSource::UsbDescriptor => "the USB descriptor serial",
            SerialSource::AdbTransport => "adb get-serialno",
            SerialSource::RoSerialno => "ro.serialno",
            SerialSource::BootSerialno => "ro.boot.serialno",
            SerialSource::Imei => "the IMEI",
            SerialSource::Intune => "the Intune serial",
            SerialSource::Scanner => "the scanned serial",
        }
    }

    /// Whether equal values from `self` and `other` mean the same device.
    ///
    /// The device serial family (USB descriptor, adb transport, `ro.serialno`,
    /// `ro.boot.serialno`) is one namespace, because init copies `ro.serialno` into the USB
    /// gadget serial and adb reads that descriptor. Intune reports the device serial, so it
    /// compares with that family. IMEIs only compare with IMEIs. A scanned value may be the
    /// serial or an IMEI from the label, so it compares with everything.
    pub fn comparable(self, other: SerialSource) -> bool {
        use SerialSource::*;
        match (self, other) {
            (Scanner, _) | (_, Scanner) => true,
            (Imei, Imei) => true,
            (Imei, _) | (_, Imei) => false,
            // The rest are the device serial family and Intune.
            _ => true,
        }
    }

    /// Whether all sources for which this holds should carry the *same* value on a healthy
    /// device, so a difference is worth telling the technician about. IMEIs are excluded
    /// (dual-SIM devices have two) and so is the scanner (a label may show the serial or an IMEI).
    fn must_agree(self) -> bool {
        !matches!(self, SerialSource::Imei | SerialSource::Scanner)
    }
}

impl fmt::Display for SerialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A serial source name that [`SerialSource::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown serial source {0:?}; expected one of usb-descriptor, adb-transport, ro-serialno, boot-serialno, imei, intune, scanner")]
pub struct UnknownSerialSource(pub String);

impl FromStr for SerialSource {
    type Err = UnknownSerialSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SerialSource::ALL
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or_else(|| UnknownSerialSource(s.to_owned()))
    }
}

/// One serial value read from one source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct SerialObservation {
    /// Where it was read.
    pub source: SerialSource,
    /// The value as read (compare with [`SerialObservation::trimmed`]).
    pub value: String,
}

impl SerialObservation {
    /// An observation of `value` from `source`.
    pub fn new(source: SerialSource, value: impl Into<String>) -> Self {
        Self {
            source,
            value: value.into(),
        }
    }

    /// The value without surrounding whitespace (getprop output ends in a newline).
    pub fn trimmed(&self) -> &str {
        self.value.trim()
    }

    /// Whether the value can tell this device apart (see [`is_identifying_serial`]).
    pub fn identifies(&self) -> bool {
        is_identifying_serial(&self.value)
    }
}

impl fmt::Display for SerialObservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.source.label(), self.trimmed())
    }
}
