//! A device to plug into the scripted bus: its descriptors (a phone by default, with ADB off, other
//! ids or interfaces) and its behaviour (access denied, held by an adb server, slow to describe,
//! how its endpoints answer).

use std::time::Duration;

use super::script::{DeviceScript, DEFAULT_BANNER};
use crate::usb::descriptor::{find_adb_interface, InterfaceDescriptor};

/// A device to plug into a [`ScriptedUsb`](super::ScriptedUsb): its descriptors and behaviour.
#[derive(Debug)]
pub struct ScriptedDevice {
    /// The slot, `1-4.3`.
    pub port_path: String,
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
    /// `iSerialNumber`.
    pub serial: Option<String>,
    /// `iManufacturer`.
    pub manufacturer: Option<String>,
    /// `iProduct`.
    pub product: Option<String>,
    /// The active configuration's interfaces (every alternate setting).
    pub interfaces: Vec<InterfaceDescriptor>,
    /// The OS refuses to open it (missing udev rules).
    pub access_denied: bool,
    /// Another process (an adb server) holds its interfaces.
    pub held_elsewhere: bool,
    /// How long reading its descriptors takes.
    pub describe_delay: Duration,
    /// How its ADB endpoints answer.
    pub script: DeviceScript,
}

impl ScriptedDevice {
    /// A phone with USB debugging on and authorized: Google VID/PID, MTP plus the ADB
    /// interface (bulk 0x82/0x02, 512-byte packets), answering with [`DeviceScript::Adb`].
    pub fn phone(port_path: &str, serial: &str) -> Self {
        Self {
            port_path: port_path.to_owned(),
            vendor_id: 0x18d1,
            product_id: 0x4ee2,
            serial: Some(serial.to_owned()),
            manufacturer: Some("Google".into()),
            product: Some("Pixel 8".into()),
            interfaces: vec![
                InterfaceDescriptor::mtp(0),
                InterfaceDescriptor::adb(1, 0x82, 0x02, 512),
            ],
            access_denied: false,
            held_elsewhere: false,
            describe_delay: Duration::ZERO,
            script: DeviceScript::Adb {
                banner: DEFAULT_BANNER.into(),
            },
        }
    }

    /// USB debugging off: MTP only, no ADB interface.
    pub fn adb_off(mut self) -> Self {
        self.product_id = 0x4ee1;
        self.interfaces
            .retain(|i| find_adb_interface(std::slice::from_ref(i)).is_none());
        self
    }

    /// Replace the interfaces.
    pub fn interfaces(mut self, interfaces: Vec<InterfaceDescriptor>) -> Self {
        self.interfaces = interfaces;
        self
    }

    /// Set vendor and product ids.
    pub fn ids(mut self, vendor_id: u16, product_id: u16) -> Self {
        self.vendor_id = vendor_id;
        self.product_id = product_id;
        self
    }

    /// The OS denies opening it.
    pub fn access_denied(mut self) -> Self {
        self.access_denied = true;
        self
    }

    /// A running adb server holds its ADB interface.
    pub fn held_by_adb_server(mut self) -> Self {
        self.held_elsewhere = true;
        self
    }

    /// Reading its descriptors takes `delay`.
    pub fn describe_delay(mut self, delay: Duration) -> Self {
        self.describe_delay = delay;
        self
    }

    /// Set how its endpoints answer.
    pub fn script(mut self, script: DeviceScript) -> Self {
        self.script = script;
        self
    }
}
