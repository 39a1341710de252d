//! What a USB device says about itself, without I/O: the facts we keep ([`UsbDeviceInfo`]),
//! finding the ADB interface in a configuration by class triple ([`find_adb_interface`]), the
//! adb-style port path (`1-4.3`) and the next step a technician takes for each state.
//!
//! Backends turn their native descriptors into [`InterfaceDescriptor`]s and call the functions
//! here, so the real and the scripted bus share one discovery rule.

use std::fmt;

/// `bInterfaceClass/SubClass/Protocol` of the ADB function on Android devices.
pub const ADB_CLASS: InterfaceClass = InterfaceClass {
    class: 0xff,
    subclass: 0x42,
    protocol: 0x01,
};

/// The same function carried over a USB 3 Debug Capability port (DbC).
pub const ADB_DBC_CLASS: InterfaceClass = InterfaceClass {
    class: 0xdc,
    subclass: 0x02,
    protocol: 0x01,
};

/// `bDeviceClass` of a hub; hubs are never benched devices, so listings skip them.
pub const HUB_CLASS: u8 = 0x09;

/// An interface's class triple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterfaceClass {
    /// `bInterfaceClass`.
    pub class: u8,
    /// `bInterfaceSubClass`.
    pub subclass: u8,
    /// `bInterfaceProtocol`.
    pub protocol: u8,
}

impl fmt::Display for InterfaceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}/{:02x}/{:02x}",
            self.class, self.subclass, self.protocol
        )
    }
}

/// How an endpoint moves data. Only bulk endpoints carry ADB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// Control.
    Control,
    /// Isochronous.
    Isochronous,
    /// Bulk.
    Bulk,
    /// Interrupt.
    Interrupt,
}

/// One endpoint of an interface's alternate setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointDescriptor {
    /// `bEndpointAddress`; bit 7 set means IN (device to host).
    pub address: u8,
    /// Transfer type.
    pub kind: TransferKind,
    /// `wMaxPacketSize` as read (bits 11–12 may hold a high-bandwidth multiplier).
    pub max_packet_size: u16,
}

impl EndpointDescriptor {
    /// A bulk endpoint.
    pub fn bulk(address: u8, max_packet_size: u16) -> Self {
        Self {
            address,
            kind: TransferKind::Bulk,
            max_packet_size,
        }
    }

    /// Device to host.
    pub fn is_in(&self) -> bool {
        self.address & 0x80 != 0
    }

    /// The packet size in bytes, without the multiplier bits.
    pub fn packet_size(&self) -> u16 {
        self.max_packet_size & 0x07ff
    }
}

/// One alternate setting of one interface in the active configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDescriptor {
    /// `bInterfaceNumber`.
    pub number: u8,
    /// `bAlternateSetting`.
    pub alt_setting: u8,
    /// Class triple.
    pub class: InterfaceClass,
    /// Its endpoints.
    pub endpoints: Vec<EndpointDescriptor>,
}

impl InterfaceDescriptor {
    /// The ADB interface as Android exposes it: 0xff/0x42/0x01 with a bulk pair.
    pub fn adb(number: u8, in_ep: u8, out_ep: u8, max_packet: u16) -> Self {
        Self {
            number,
            alt_setting: 0,
            class: ADB_CLASS,
            endpoints: vec![
                EndpointDescriptor::bulk(in_ep, max_packet),
                EndpointDescriptor::bulk(out_ep, max_packet),
            ],
        }
    }

    /// The MTP interface Android shows for file transfer (vendor 0xff/0xff/0x00, bulk pair
    /// plus an interrupt endpoint).
    pub fn mtp(number: u8) -> Self {
        Self {
            number,
            alt_setting: 0,
            class: InterfaceClass {
                class: 0xff,
                subclass: 0xff,
                protocol: 0x00,
            },
            endpoints: vec![
                EndpointDescriptor::bulk(0x81, 512),
                EndpointDescriptor::bulk(0x01, 512),
                EndpointDescriptor {
                    address: 0x82,
                    kind: TransferKind::Interrupt,
                    max_packet_size: 28,
                },
            ],
        }
    }
}

/// Which flavour of the ADB function an interface is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdbFunction {
    /// The usual 0xff/0x42/0x01 interface.
    Usb,
    /// USB 3 Debug Capability, 0xdc/0x02/0x01.
    DebugCapability,
}

/// Where ADB lives on a device: the interface to claim and its bulk endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdbInterface {
    /// `bInterfaceNumber` to claim.
    pub interface: u8,
    /// Alternate setting carrying the endpoints (0 on every known device).
    pub alt_setting: u8,
    /// Bulk IN endpoint address (device to host).
    pub in_ep: u8,
    /// Bulk OUT endpoint address (host to device).
    pub out_ep: u8,
    /// The OUT endpoint's packet size: a payload that is a non-zero multiple of it is followed
    /// by a zero-length packet.
    pub max_packet: u16,
    /// Plain USB or Debug Capability.
    pub function: AdbFunction,
}

/// Find the ADB interface among the interfaces of the active configuration, by class triple
/// only (never by vendor id: every Android maker has its own), taking the first bulk IN and
/// bulk OUT endpoint of the matching alternate setting. An interface with the right class but
/// no bulk pair is skipped.
pub fn find_adb_interface(interfaces: &[InterfaceDescriptor]) -> Option<AdbInterface> {
    interfaces.iter().find_map(|alt| {
        let function = match alt.class {
            c if c == ADB_CLASS => AdbFunction::Usb,
            c if c == ADB_DBC_CLASS => AdbFunction::DebugCapability,
            _ => return None,
        };
        let bulk = |want_in: bool| {
            alt.endpoints
                .iter()
                .find(|e| e.kind == TransferKind::Bulk && e.is_in() == want_in)
        };
        let (input, output) = (bulk(true)?, bulk(false)?);
        Some(AdbInterface {
            interface: alt.number,
            alt_setting: alt.alt_setting,
            in_ep: input.address,
            out_ep: output.address,
            max_packet: output.packet_size(),
            function,
        })
    })
}

/// adb's name for a physical port: bus number, a dash, the hub port chain joined by dots
/// (`adb devices -l` shows it as `usb:1-4.3`). Stable for a slot across replugs.
pub fn port_path(bus: u8, ports: &[u8]) -> String {
    let chain: Vec<String> = ports.iter().map(u8::to_string).collect();
    format!("{bus}-{}", chain.join("."))
}

/// The bus number in a port path (`"1-4.3"` → 1).
pub fn bus_of(port_path: &str) -> Option<u8> {
    port_path.split_once('-')?.0.parse().ok()
}

/// Whether a device can speak ADB to us directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdbInterfaceState {
    /// The ADB interface is there: claim it and talk.
    Present(AdbInterface),
    /// No ADB interface: USB debugging is off (the device shows MTP, PTP or charging only).
    /// The descriptor still gives its serial.
    Absent,
    /// We may not open the device, so its strings are unknown and it cannot be claimed:
    /// the OS denies access (on Linux, missing udev rules).
    Unreadable {
        /// What the OS said.
        reason: String,
        /// Whether its configuration (readable without opening) has an ADB interface.
        has_adb_interface: bool,
    },
}

/// One device on the bus, as read from its descriptors. Strings are `None` when the device has
/// none or they could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDeviceInfo {
    /// Bus number.
    pub bus: u8,
    /// The slot: `1-4.3`, as adb's `usb:` field.
    pub port_path: String,
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
    /// `iSerialNumber`; on Android normally `ro.serialno`, even with ADB off.
    pub serial: Option<String>,
    /// `iManufacturer`.
    pub manufacturer: Option<String>,
    /// `iProduct`.
    pub product: Option<String>,
    /// Class triples of the active configuration's interfaces, to tell a phone with ADB off
    /// (MTP/PTP) from a keyboard.
    pub interface_classes: Vec<InterfaceClass>,
    /// ADB reachability.
    pub adb: AdbInterfaceState,
}

impl UsbDeviceInfo {
    /// `18d1:4ee7`.
    pub fn vid_pid(&self) -> String {
        format!("{:04x}:{:04x}", self.vendor_id, self.product_id)
    }

    /// What the technician does next, judged from the descriptor alone (`None`: nothing, try
    /// ADB). Unauthorized devices are only known after the ADB handshake; see
    /// [`NextStep::AcceptDebuggingPrompt`].
    pub fn next_step(&self) -> Option<NextStep> {
        match &self.adb {
            AdbInterfaceState::Present(_) => None,
            AdbInterfaceState::Absent => Some(NextStep::TurnOnUsbDebugging),
            AdbInterfaceState::Unreadable { .. } => Some(NextStep::AllowUsbAccess {
                vendor_id: self.vendor_id,
            }),
        }
    }
}

impl fmt::Display for UsbDeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "usb {} ({}", self.port_path, self.vid_pid())?;
        for text in [&self.manufacturer, &self.product].into_iter().flatten() {
            write!(f, " {text}")?;
        }
        if let Some(serial) = &self.serial {
            write!(f, ", serial {serial}")?;
        }
        write!(f, ")")
    }
}

/// The next thing a technician does to make a device usable over ADB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// ADB is on but this host's key is not trusted yet.
    AcceptDebuggingPrompt,
    /// The device enumerates without an ADB interface.
    TurnOnUsbDebugging,
    /// The OS will not let us open the device: on Linux missing udev rules, on Windows a
    /// missing WinUSB driver or another program holding it.
    AllowUsbAccess {
        /// For the udev rule.
        vendor_id: u16,
    },
    /// Another program (normally a running adb server) holds the ADB interface.
    UseAdbServer,
}

impl fmt::Display for NextStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AcceptDebuggingPrompt => f.write_str(
                "Accept the USB debugging prompt on the device (tick \"Always allow from this computer\")",
            ),
            Self::TurnOnUsbDebugging => f.write_str(
                "Turn on USB debugging: Settings > System > Developer options (if Developer options is hidden, tap Settings > About phone > Build number seven times)",
            ),
            Self::AllowUsbAccess { .. } if cfg!(windows) => f.write_str(
                "Install a WinUSB driver for this device (the Google USB Driver or the maker's ADB driver, in Device Manager), and close other adb tools that have it open",
            ),
            Self::AllowUsbAccess { .. } if cfg!(target_os = "macos") => f.write_str(
                "Close other programs that have this device open (Android File Transfer, other adb tools), then replug it",
            ),
            Self::AllowUsbAccess { vendor_id } => write!(
                f,
                "Allow this user to open USB devices: `sudo apt-get install android-sdk-platform-tools-common` (udev rules 51-android.rules), or add `{}` to /etc/udev/rules.d/51-android.rules, then `sudo udevadm control --reload-rules` and replug",
                udev_rule(*vendor_id)
            ),
            Self::UseAdbServer => f.write_str(
                "A running adb server holds this device: it is read through the server (or stop it with `adb kill-server` to use USB directly)",
            ),
        }
    }
}

/// A udev rule line that gives the logged-in user (and group `plugdev`) access to devices of
/// one vendor.
pub fn udev_rule(vendor_id: u16) -> String {
    format!(
        r#"SUBSYSTEM=="usb", ATTR{{idVendor}}=="{vendor_id:04x}", MODE="0660", GROUP="plugdev", TAG+="uaccess""#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adb_interface_found_by_class_not_position() {
        let interfaces = [
            InterfaceDescriptor::mtp(0),
            InterfaceDescriptor::adb(1, 0x83, 0x02, 512),
        ];
        let found = find_adb_interface(&interfaces).unwrap();
        assert_eq!(
            (found.interface, found.in_ep, found.out_ep, found.max_packet),
            (1, 0x83, 0x02, 512)
        );
        assert_eq!(found.function, AdbFunction::Usb);
        assert_eq!(find_adb_interface(&[InterfaceDescriptor::mtp(0)]), None);
    }

    #[test]
    fn debug_capability_and_endpoint_order() {
        let dbc = InterfaceDescriptor {
            number: 0,
            alt_setting: 0,
            class: ADB_DBC_CLASS,
            // OUT listed first, and an interrupt IN before the bulk IN.
            endpoints: vec![
                EndpointDescriptor::bulk(0x01, 1024),
                EndpointDescriptor {
                    address: 0x85,
                    kind: TransferKind::Interrupt,
                    max_packet_size: 8,
                },
                EndpointDescriptor::bulk(0x81, 1024),
            ],
        };
        let found = find_adb_interface(&[dbc]).unwrap();
        assert_eq!(
            (found.in_ep, found.out_ep, found.max_packet),
            (0x81, 0x01, 1024)
        );
        assert_eq!(found.function, AdbFunction::DebugCapability);
    }

    #[test]
    fn right_class_without_a_bulk_pair_is_skipped() {
        let mut broken = InterfaceDescriptor::adb(0, 0x81, 0x01, 512);
        broken.endpoints.truncate(1);
        assert_eq!(find_adb_interface(&[broken.clone()]), None);
        let good = InterfaceDescriptor::adb(2, 0x82, 0x03, 64);
        assert_eq!(find_adb_interface(&[broken, good]).unwrap().interface, 2);
    }

    #[test]
    fn multiplier_bits_are_not_packet_size() {
        let ep = EndpointDescriptor::bulk(0x01, 0x1200);
        assert_eq!(ep.packet_size(), 0x200);
    }

    #[test]
    fn port_paths_look_like_adb() {
        assert_eq!(port_path(1, &[4, 3]), "1-4.3");
        assert_eq!(port_path(2, &[1]), "2-1");
        assert_eq!(bus_of("12-4.3"), Some(12));
        assert_eq!(bus_of("nonsense"), None);
    }

    #[test]
    fn next_steps_name_the_fix() {
        let mut info = UsbDeviceInfo {
            bus: 1,
            port_path: "1-2".into(),
            vendor_id: 0x18d1,
            product_id: 0x4ee1,
            serial: Some("R58M".into()),
            manufacturer: Some("Google".into()),
            product: Some("Pixel 7".into()),
            interface_classes: vec![],
            adb: AdbInterfaceState::Absent,
        };
        assert_eq!(info.next_step(), Some(NextStep::TurnOnUsbDebugging));
        assert!(info.to_string().contains("serial R58M"));
        info.adb = AdbInterfaceState::Unreadable {
            reason: "Access".into(),
            has_adb_interface: true,
        };
        let step = info.next_step().unwrap().to_string();
        assert!(
            step.contains("51-android.rules") && step.contains(r#"=="18d1""#),
            "{step}"
        );
    }
}
