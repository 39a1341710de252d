//! The bench Wi-Fi that a provisioning payload joins, validated before it reaches a QR.
//!
//! Rules (Android ManagedProvisioning, `WifiConfigurationProvider.java`; IEEE 802.11):
//! - SSID: 1–32 bytes of UTF-8, no U+0000. Other characters (quotes, backslashes, `;`, emoji)
//!   are fine: JSON escaping carries them unchanged.
//! - `WPA`: 8–63 printable ASCII characters (0x20–0x7e), or exactly 64 hex digits (a raw PSK).
//! - `WEP`: 5, 13, 16 or 29 printable ASCII characters, or 10, 26, 32 or 58 hex digits.
//! - `EAP`: password optional, any text without U+0000.
//! - `NONE`: no password.
//!
//! An empty password counts as no password (a form's empty field).

use std::fmt;
use std::str::FromStr;

use super::error::ProvisioningError;
use crate::secret::SecretText;

/// Wi-Fi security type, as Android's provisioning extras spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WifiSecurity {
    /// Open network.
    None,
    /// WPA/WPA2 personal (pre-shared key). Android has no separate WPA3/SAE value here.
    Wpa,
    /// WEP.
    Wep,
    /// 802.1X enterprise (Android 10+ for the EAP extras).
    Eap,
}

impl WifiSecurity {
    /// Exact upper-case value for `PROVISIONING_WIFI_SECURITY_TYPE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Wpa => "WPA",
            Self::Wep => "WEP",
            Self::Eap => "EAP",
        }
    }
}

impl fmt::Display for WifiSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Accepts `NONE`, `WPA`, `WEP`, `EAP` in any letter case (Graph's `aospWifiSecurityType` is
/// lower case); output is always upper case.
impl FromStr for WifiSecurity {
    type Err = ProvisioningError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::None, Self::Wpa, Self::Wep, Self::Eap]
            .into_iter()
            .find(|security| security.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ProvisioningError::UnknownSecurity {
                value: s.to_owned(),
            })
    }
}

/// A validated Wi-Fi network for a provisioning payload. `Debug` redacts the password.
#[derive(Debug, Clone)]
pub struct WifiConfig {
    ssid: String,
    security: WifiSecurity,
    password: Option<SecretText>,
    hidden: bool,
}

impl WifiConfig {
    /// Validates and builds. See the module docs for the rules; an empty `password` is `None`.
    pub fn new(
        ssid: &str,
        security: WifiSecurity,
        password: Option<&str>,
        hidden: bool,
    ) -> Result<Self, ProvisioningError> {
        check_ssid(ssid)?;
        let password = password.filter(|p| !p.is_empty());
        match (security, password) {
            (WifiSecurity::None, Some(_)) => return Err(ProvisioningError::PasswordOnOpenNetwork),
            (WifiSecurity::Wpa | WifiSecurity::Wep, None) => {
                return Err(ProvisioningError::PasswordMissing { security })
            }
            (WifiSecurity::Wpa, Some(key)) => check_wpa_key(key)?,
            (WifiSecurity::Wep, Some(key)) => check_wep_key(key)?,
            (WifiSecurity::Eap, Some(key)) => check_no_nul("password", key)?,
            (WifiSecurity::None | WifiSecurity::Eap, None) => {}
        }
        Ok(Self {
            ssid: ssid.to_owned(),
            security,
            password: password.map(SecretText::new),
            hidden,
        })
    }

    /// Network name.
    pub fn ssid(&self) -> &str {
        &self.ssid
    }

    /// Security type.
    pub fn security(&self) -> WifiSecurity {
        self.security
    }

    /// Whether the network is hidden (not broadcast).
    pub fn hidden(&self) -> bool {
        self.hidden
    }

    /// Whether a (non-empty) password is set.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password, still wrapped.
    pub fn password(&self) -> Option<&SecretText> {
        self.password.as_ref()
    }
}

fn check_ssid(ssid: &str) -> Result<(), ProvisioningError> {
    match ssid.len() {
        0 => Err(ProvisioningError::SsidEmpty),
        1..=32 => check_no_nul("SSID", ssid),
        bytes => Err(ProvisioningError::SsidTooLong { bytes }),
    }
}

fn check_no_nul(field: &'static str, text: &str) -> Result<(), ProvisioningError> {
    match text.chars().position(|c| c == '\0') {
        Some(index) => Err(ProvisioningError::NulCharacter {
            field,
            position: index + 1,
        }),
        None => Ok(()),
    }
}

/// 1-based position of the first character outside printable ASCII (0x20–0x7e).
fn first_unprintable(key: &str) -> Option<usize> {
    key.chars()
        .position(|c| !(' '..='~').contains(&c))
        .map(|index| index + 1)
}

fn is_hex(key: &str) -> bool {
    key.chars().all(|c| c.is_ascii_hexdigit())
}

fn check_wpa_key(key: &str) -> Result<(), ProvisioningError> {
    match key.chars().count() {
        64 if is_hex(key) => Ok(()),
        64 => Err(ProvisioningError::WpaKeyNotHex),
        8..=63 => match first_unprintable(key) {
            Some(position) => Err(ProvisioningError::WpaKeyNotPrintable { position }),
            None => Ok(()),
        },
        chars => Err(ProvisioningError::WpaKeyLength { chars }),
    }
}

fn check_wep_key(key: &str) -> Result<(), ProvisioningError> {
    match key.chars().count() {
        chars @ (10 | 26 | 32 | 58) if !is_hex(key) => {
            Err(ProvisioningError::WepKeyNotHex { chars })
        }
        10 | 26 | 32 | 58 => Ok(()),
        5 | 13 | 16 | 29 => match first_unprintable(key) {
            Some(position) => Err(ProvisioningError::WepKeyNotPrintable { position }),
            None => Ok(()),
        },
        chars => Err(ProvisioningError::WepKeyLength { chars }),
    }
}
