//! A device's connection state as the bench shows it: the adb server's own states, plus what
//! the bench's direct USB path can tell on its own (USB debugging off, the device held by another
//! program). The wire words are adb's (`device`, `unauthorized`, `no permissions`) and the USB
//! path's (`adb-off`, `no-permissions`, `busy`), so stored and sent cards read as before.

use std::fmt;

use serde::Serialize;
use stagebench_adb::server::DeviceState;

use crate::remedy::Remedy;

/// Where a device's connection stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
pub enum AdbState {
    /// Online and authorized: it can be read.
    #[serde(rename = "device")]
    Device,
    /// Known but not talking.
    #[serde(rename = "offline")]
    Offline,
    /// The device has not accepted this bench's key yet (the "Allow USB debugging?" prompt).
    #[serde(rename = "unauthorized")]
    Unauthorized,
    /// The key exchange is in progress.
    #[serde(rename = "authorizing")]
    Authorizing,
    /// The connection is being set up.
    #[serde(rename = "connecting")]
    Connecting,
    /// In the bootloader.
    #[serde(rename = "bootloader")]
    Bootloader,
    /// In recovery.
    #[serde(rename = "recovery")]
    Recovery,
    /// In sideload mode.
    #[serde(rename = "sideload")]
    Sideload,
    /// A host (adb over adb).
    #[serde(rename = "host")]
    Host,
    /// In rescue mode.
    #[serde(rename = "rescue")]
    Rescue,
    /// The adb server may not open the USB device (udev rules).
    #[serde(rename = "no permissions")]
    NoPermissions,
    /// The bench itself may not open the USB device (udev rules, a driver holding it).
    #[serde(rename = "no-permissions")]
    UsbNoPermissions,
    /// USB debugging is off: the device shows no ADB interface.
    #[serde(rename = "adb-off")]
    AdbOff,
    /// Another program (an adb server) holds the device.
    #[serde(rename = "busy")]
    Busy,
    /// A state this bench does not know, in the adb server's words.
    #[serde(untagged)]
    Other(String),
}

impl AdbState {
    /// The state's word, as adb or the USB path says it (`no permissions`, `adb-off`).
    pub fn as_str(&self) -> &str {
        match self {
            AdbState::Device => "device",
            AdbState::Offline => "offline",
            AdbState::Unauthorized => "unauthorized",
            AdbState::Authorizing => "authorizing",
            AdbState::Connecting => "connecting",
            AdbState::Bootloader => "bootloader",
            AdbState::Recovery => "recovery",
            AdbState::Sideload => "sideload",
            AdbState::Host => "host",
            AdbState::Rescue => "rescue",
            AdbState::NoPermissions => "no permissions",
            AdbState::UsbNoPermissions => "no-permissions",
            AdbState::AdbOff => "adb-off",
            AdbState::Busy => "busy",
            AdbState::Other(word) => word,
        }
    }

    /// The next step as data, when a front end can offer it (accept the USB prompt).
    pub fn remedy(&self) -> Option<Remedy> {
        (*self == AdbState::Unauthorized).then_some(Remedy::AcceptUsbPrompt)
    }
}

impl From<&DeviceState> for AdbState {
    fn from(state: &DeviceState) -> AdbState {
        match state {
            DeviceState::Device => AdbState::Device,
            DeviceState::Offline => AdbState::Offline,
            DeviceState::Unauthorized => AdbState::Unauthorized,
            DeviceState::Authorizing => AdbState::Authorizing,
            DeviceState::Connecting => AdbState::Connecting,
            DeviceState::Bootloader => AdbState::Bootloader,
            DeviceState::Recovery => AdbState::Recovery,
            DeviceState::Sideload => AdbState::Sideload,
            DeviceState::Host => AdbState::Host,
            DeviceState::Rescue => AdbState::Rescue,
            DeviceState::NoPermissions(_) => AdbState::NoPermissions,
            DeviceState::Other(word) => AdbState::Other(word.clone()),
        }
    }
}

impl fmt::Display for AdbState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_keep_the_words_adb_and_the_usb_path_use() {
        let words = |s: &AdbState| serde_json::to_value(s).unwrap();
        for (state, word) in [
            (AdbState::Device, "device"),
            (AdbState::Unauthorized, "unauthorized"),
            (AdbState::NoPermissions, "no permissions"),
            (AdbState::UsbNoPermissions, "no-permissions"),
            (AdbState::AdbOff, "adb-off"),
            (AdbState::Busy, "busy"),
            (AdbState::Other("weird".into()), "weird"),
        ] {
            assert_eq!(words(&state), word);
            assert_eq!(state.as_str(), word);
        }
        assert_eq!(
            AdbState::from(&DeviceState::parse("no permissions (user in plugdev)")),
            AdbState::NoPermissions
        );
        assert_eq!(
            AdbState::from(&DeviceState::parse("unauthorized")).remedy(),
            Some(Remedy::AcceptUsbPrompt)
        );
        assert_eq!(AdbState::Device.remedy(), None);
        assert_eq!(format!("{:<8}|", AdbState::Host), "host    |");
    }
}
