//! Device lists as the adb server prints them (`host:devices-l`, `host:track-devices`), parsed.

use std::fmt;

use super::socket::Connection;
use super::AdbError;

/// A device's connection state, from the server's text (`adb.cpp` `to_string`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    /// Online and authorized.
    Device,
    /// Known but not talking.
    Offline,
    /// The device has not accepted this host's key.
    Unauthorized,
    /// Key exchange in progress.
    Authorizing,
    /// Transport being set up.
    Connecting,
    /// In the bootloader.
    Bootloader,
    /// In recovery.
    Recovery,
    /// In sideload mode.
    Sideload,
    /// A host (adb-over-adb).
    Host,
    /// In rescue mode.
    Rescue,
    /// The host may not open the USB device; the server's full text (udev rules hint).
    NoPermissions(String),
    /// A state this library does not know.
    Other(String),
}

impl DeviceState {
    /// Parse the server's state text.
    pub fn parse(text: &str) -> Self {
        match text {
            "device" => Self::Device,
            "offline" => Self::Offline,
            "unauthorized" => Self::Unauthorized,
            "authorizing" => Self::Authorizing,
            "connecting" => Self::Connecting,
            "bootloader" => Self::Bootloader,
            "recovery" => Self::Recovery,
            "sideload" => Self::Sideload,
            "host" => Self::Host,
            "rescue" => Self::Rescue,
            other if other.starts_with("no permissions") => Self::NoPermissions(other.to_owned()),
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Device => "device",
            Self::Offline => "offline",
            Self::Unauthorized => "unauthorized",
            Self::Authorizing => "authorizing",
            Self::Connecting => "connecting",
            Self::Bootloader => "bootloader",
            Self::Recovery => "recovery",
            Self::Sideload => "sideload",
            Self::Host => "host",
            Self::Rescue => "rescue",
            Self::NoPermissions(text) | Self::Other(text) => text,
        })
    }
}

/// One line of `adb devices -l`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The transport serial: the USB descriptor serial, or `host:port` for TCP devices.
    pub serial: String,
    /// Connection state.
    pub state: DeviceState,
    /// USB port path without the `usb:` prefix (e.g. `1-4.3`): the bench slot.
    pub usb: Option<String>,
    /// `ro.product.name` from the device banner.
    pub product: Option<String>,
    /// `ro.product.model` from the banner (spaces become `_`).
    pub model: Option<String>,
    /// `ro.product.device` from the banner.
    pub device: Option<String>,
    /// The server's transport id.
    pub transport_id: Option<u64>,
}

impl DeviceEntry {
    /// Parse one line of `host:devices`/`host:devices-l` output; `None` for a blank line.
    ///
    /// Key tokens are peeled off the end, so multi-word states ("no permissions (…); see […]")
    /// survive intact.
    pub fn parse_line(line: &str) -> Option<Self> {
        let line = line.trim_end();
        let (serial, rest) = line
            .split_once('\t')
            .or_else(|| line.split_once(char::is_whitespace))?;
        let mut entry = DeviceEntry {
            serial: serial.trim().to_owned(),
            state: DeviceState::Other(String::new()),
            usb: None,
            product: None,
            model: None,
            device: None,
            transport_id: None,
        };
        let mut tokens: Vec<&str> = rest.split_whitespace().collect();
        while let Some(token) = tokens.last() {
            let Some((key, value)) = token.split_once(':') else {
                break;
            };
            let value = Some(value.to_owned());
            match key {
                "usb" => entry.usb = value,
                "product" => entry.product = value,
                "model" => entry.model = value,
                "device" => entry.device = value,
                "transport_id" => entry.transport_id = token[13..].parse().ok(),
                _ => break,
            }
            tokens.pop();
        }
        entry.state = DeviceState::parse(&tokens.join(" "));
        Some(entry)
    }
}

/// Parse a whole device list.
pub fn parse_device_list(text: &str) -> Vec<DeviceEntry> {
    text.lines().filter_map(DeviceEntry::parse_line).collect()
}

/// An open `host:track-devices` connection: the server sends the full list on every change.
#[derive(Debug)]
pub struct DeviceTracker {
    pub(crate) connection: Connection,
}

impl DeviceTracker {
    /// Wait for the next full device list (the first call returns the current one). Waits as
    /// long as nothing changes; wrap it in `tokio::time::timeout` to bound it. If the server
    /// goes away this returns `ConnectionLost`.
    pub async fn next(&mut self) -> Result<Vec<DeviceEntry>, AdbError> {
        let text = self.connection.read_hex_block_waiting(false).await?;
        Ok(parse_device_list(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_long_usb_and_tcp_lines() {
        let text = "0123456789ABCDEF       device usb:1-4.3 product:sargo model:Pixel_3a device:sargo transport_id:3\n\
                    127.0.0.1:5555         device product:fakeprod model:FakeModel device:fakedev transport_id:12\n";
        let list = parse_device_list(text);
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0],
            DeviceEntry {
                serial: "0123456789ABCDEF".into(),
                state: DeviceState::Device,
                usb: Some("1-4.3".into()),
                product: Some("sargo".into()),
                model: Some("Pixel_3a".into()),
                device: Some("sargo".into()),
                transport_id: Some(3),
            }
        );
        assert_eq!(list[1].serial, "127.0.0.1:5555");
        assert_eq!(
            (list[1].usb.as_deref(), list[1].transport_id),
            (None, Some(12))
        );
    }

    #[test]
    fn parses_short_lines_and_odd_states() {
        let text = "R58M\tunauthorized\nX1\toffline\n\n";
        let list = parse_device_list(text);
        assert_eq!(
            list.iter().map(|e| e.state.clone()).collect::<Vec<_>>(),
            [DeviceState::Unauthorized, DeviceState::Offline]
        );
        let line = "ZY22 no permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html] usb:1-2 transport_id:4";
        let entry = DeviceEntry::parse_line(line).unwrap();
        assert_eq!(entry.usb.as_deref(), Some("1-2"));
        assert!(
            matches!(&entry.state, DeviceState::NoPermissions(t) if t.ends_with("device.html]")),
            "{:?}",
            entry.state
        );
        assert_eq!(
            DeviceEntry::parse_line("X fastbootd").unwrap().state,
            DeviceState::Other("fastbootd".into())
        );
        assert_eq!(DeviceState::parse("authorizing").to_string(), "authorizing");
    }
}
