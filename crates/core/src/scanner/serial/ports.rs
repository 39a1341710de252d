//! The serial ports the OS lists, as the port picker shows them, likely scanners first.

use serde::Serialize;

use super::SerialScannerError;

/// USB vendor ids of barcode-scanner makers, to mark likely scanners in the port list.
const SCANNER_VENDORS: &[(u16, &str)] = &[
    (0x05e0, "Zebra (Symbol)"),
    (0x05f9, "Datalogic"),
    (0x0c2e, "Honeywell"),
];

/// A serial port the OS lists, as the port picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScannerPort {
    /// Its path or name (`/dev/ttyACM0`, `COM3`): what the settings store.
    pub path: String,
    /// `usb`, `pci`, `bluetooth` or `unknown`.
    pub kind: String,
    /// USB vendor id, when it is a USB port.
    pub vid: Option<u16>,
    /// USB product id, when it is a USB port.
    pub pid: Option<u16>,
    /// What the device says it is (maker and product), when known.
    pub description: Option<String>,
    /// The USB device's serial number, when it has one (tells two identical scanners apart).
    pub serial_number: Option<String>,
    /// Made by a barcode-scanner maker (by USB vendor id).
    pub likely_scanner: bool,
    /// One line for the picker: path, description, `USB vvvv:pppp`.
    pub label: String,
}

/// What a USB port says about its device.
struct UsbFacts<'a> {
    vid: u16,
    pid: u16,
    manufacturer: Option<&'a str>,
    product: Option<&'a str>,
    serial_number: Option<&'a str>,
}

impl<'a> From<&'a serialport::UsbPortInfo> for UsbFacts<'a> {
    fn from(u: &'a serialport::UsbPortInfo) -> Self {
        UsbFacts {
            vid: u.vid,
            pid: u.pid,
            manufacturer: u.manufacturer.as_deref(),
            product: u.product.as_deref(),
            serial_number: u.serial_number.as_deref(),
        }
    }
}

impl ScannerPort {
    fn new(path: String, kind: &str, usb: Option<UsbFacts<'_>>) -> ScannerPort {
        let (vid, pid) = (usb.as_ref().map(|u| u.vid), usb.as_ref().map(|u| u.pid));
        let maker = vid.and_then(|v| SCANNER_VENDORS.iter().find(|(id, _)| *id == v));
        let description = usb
            .as_ref()
            .map(|u| {
                [u.manufacturer, u.product]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|d| !d.trim().is_empty())
            .or_else(|| maker.map(|(_, name)| format!("{name} scanner")));
        let mut label = path.clone();
        if let Some(d) = &description {
            label.push_str(" — ");
            label.push_str(d);
        }
        if let (Some(v), Some(p)) = (vid, pid) {
            label.push_str(&format!(" (USB {v:04x}:{p:04x})"));
        }
        ScannerPort {
            path,
            kind: kind.to_owned(),
            vid,
            pid,
            description,
            serial_number: usb.and_then(|u| u.serial_number.map(str::to_owned)),
            likely_scanner: maker.is_some(),
            label,
        }
    }
}

/// The serial ports the OS lists, likely scanners first, then USB ports, then by path.
/// Pseudo-terminals are not listed: type their path instead.
pub fn ports() -> Result<Vec<ScannerPort>, SerialScannerError> {
    let found = serialport::available_ports().map_err(|e| SerialScannerError::List {
        reason: e.to_string(),
    })?;
    let mut ports: Vec<ScannerPort> = found
        .into_iter()
        .map(|port| match &port.port_type {
            serialport::SerialPortType::UsbPort(usb) => {
                ScannerPort::new(port.port_name, "usb", Some(usb.into()))
            }
            serialport::SerialPortType::PciPort => ScannerPort::new(port.port_name, "pci", None),
            serialport::SerialPortType::BluetoothPort => {
                ScannerPort::new(port.port_name, "bluetooth", None)
            }
            serialport::SerialPortType::Unknown => {
                ScannerPort::new(port.port_name, "unknown", None)
            }
        })
        .collect();
    ports.sort_by(|a, b| {
        (!a.likely_scanner, a.kind != "usb", &a.path).cmp(&(
            !b.likely_scanner,
            b.kind != "usb",
            &b.path,
        ))
    });
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_labelled_and_scanner_makers_marked() {
        let usb = UsbFacts {
            vid: 0x0c2e,
            pid: 0x0b61,
            manufacturer: None,
            product: Some("Xenon 1900"),
            serial_number: Some("17081B0123"),
        };
        let port = ScannerPort::new("/dev/ttyACM0".into(), "usb", Some(usb));
        assert_eq!(port.label, "/dev/ttyACM0 — Xenon 1900 (USB 0c2e:0b61)");
        assert!(port.likely_scanner);
        assert_eq!(port.serial_number.as_deref(), Some("17081B0123"));
        let plain = ScannerPort::new("COM1".into(), "pci", None);
        assert_eq!(
            (plain.label.as_str(), plain.likely_scanner, plain.vid),
            ("COM1", false, None)
        );
    }
}
