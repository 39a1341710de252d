//! The text a QR code encodes, and a summary of it that is safe to show and log.
//!
//! Android Enterprise payloads are built as compact JSON with keys in a fixed order: the four
//! keys of §1.1 (component, signature checksum, download location, admin extras bundle holding
//! the token), then any other `android.app.extra.PROVISIONING_*` extras an export carried (in
//! the export's order), then Wi-Fi: `PROVISIONING_WIFI_SSID`, `_SECURITY_TYPE`, `_PASSWORD`
//! (only when there is one) and `_HIDDEN` (only when `true`: Android's default is `false`, and
//! every byte left out makes the code less dense).
//!
//! AOSP payloads are Intune's text byte for byte: its format is not publicly documented (§2),
//!
//! Layout: this file holds the payload and what it tells ([`Payload`], [`PayloadSummary`]);
//! `export` reads Intune's exported JSON (unwrapping `qrCodeContent`, dropping what is not a
//! provisioning extra, checking the §1.1 keys and the token); `assemble` puts the members in
//! order with the Wi-Fi change, writes the text and reads the summary back from it.

use std::fmt;

use super::error::{json_syntax, ProvisioningError};
use super::json::Json;
use super::wifi::WifiConfig;
use super::*;
use crate::secret::SecretText;

mod assemble;
mod export;

use assemble::{assemble_android_enterprise, finish};
use export::{
    clean_token, export_object, keep_provisioning_extras, required_keys_first,
    unwrap_qr_code_content,
};

/// Warning on every payload that carries a Wi-Fi password.
pub const WIFI_PASSWORD_WARNING: &str = "This QR code holds a Wi-Fi password in plain text: \
     don't print it on a label that leaves the bench.";

/// Which kind of Intune token a payload carries. A label only: the JSON is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Default token: admin finishes setup at the bench.
    Default,
    /// Staging token: bench stops at sign-in, the user finishes (stage 3).
    Staging,
}

impl TokenKind {
    /// `default` or `staging`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Staging => "staging",
        }
    }
}

/// Which enrollment a payload is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayloadKind {
    /// Android Enterprise (fully managed, dedicated, COPE) through Google's CloudDPC.
    AndroidEnterprise,
    /// Android Open Source Project devices (RealWear), Intune's content verbatim.
    Aosp,
}

impl PayloadKind {
    /// `android-enterprise` or `aosp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AndroidEnterprise => "android-enterprise",
            Self::Aosp => "aosp",
        }
    }
}

/// What a payload holds, with secrets masked: safe to show, log and export.
#[derive(Debug, Clone, serde::Serialize, PartialEq, ts_rs::TS)]
pub struct PayloadSummary {
    /// `android-enterprise` or `aosp`.
    pub kind: String,
    /// [`MASK`](crate::secret::MASK) when the payload carries an enrollment token.
    pub token_masked: Option<String>,
    /// Network name, when the payload joins Wi-Fi.
    pub wifi_ssid: Option<String>,
    /// Security type as written in the payload.
    pub wifi_security: Option<String>,
    /// [`MASK`](crate::secret::MASK) when a Wi-Fi password is present.
    pub wifi_password_masked: Option<String>,
    /// Hidden flag (`false` when an SSID is set without one).
    pub wifi_hidden: Option<bool>,
    /// Length of the QR text in bytes.
    pub bytes: usize,
    /// What StageBench changed on the way in (dropped keys, trimmed token).
    pub notes: Vec<String>,
    /// What the technician should know before showing or printing the code.
    pub warnings: Vec<String>,
}

/// The text of an enrollment QR code. `Debug` redacts it.
#[derive(Clone)]
pub struct Payload {
    kind: PayloadKind,
    text: SecretText,
    notes: Vec<String>,
    summary: PayloadSummary,
    carries_wifi_password: bool,
}

/// What to do with the Wi-Fi extras already in a payload.
enum WifiChange<'a> {
    Keep,
    Replace(&'a WifiConfig),
    Remove,
}

impl<'a> From<Option<&'a WifiConfig>> for WifiChange<'a> {
    fn from(wifi: Option<&'a WifiConfig>) -> Self {
        wifi.map_or(WifiChange::Keep, WifiChange::Replace)
    }
}

impl Payload {
    /// The §1.1 payload for an Intune token (surrounding whitespace is trimmed, with a note),
    /// plus Wi-Fi when given.
    pub fn android_enterprise(
        token: &str,
        wifi: Option<&WifiConfig>,
    ) -> Result<Payload, ProvisioningError> {
        let mut notes = Vec::new();
        let token = clean_token(token, &mut notes)?;
        let text = |s: &str| Json::String(s.to_owned());
        let members = vec![
            (KEY_COMPONENT_NAME.to_owned(), text(CLOUDDPC_COMPONENT_NAME)),
            (
                KEY_SIGNATURE_CHECKSUM.to_owned(),
                text(CLOUDDPC_SIGNATURE_CHECKSUM),
            ),
            (
                KEY_DOWNLOAD_LOCATION.to_owned(),
                text(CLOUDDPC_DOWNLOAD_LOCATION),
            ),
            (
                KEY_ADMIN_EXTRAS_BUNDLE.to_owned(),
                Json::Object(vec![(KEY_ENROLLMENT_TOKEN.to_owned(), Json::String(token))]),
            ),
        ];
        Ok(assemble_android_enterprise(members, wifi.into(), notes))
    }

    /// An Android Enterprise payload from Intune's exported token JSON, bare or wrapped in
    /// `{"qrCodeContent": …}` (an object, or a string holding the JSON). Keys that are not
    /// provisioning extras (such as `expirationDate`) are dropped, one note each. `wifi`
    /// replaces any Wi-Fi extras in the export; `None` keeps them.
    pub fn from_intune_export(
        text: &str,
        wifi: Option<&WifiConfig>,
    ) -> Result<Payload, ProvisioningError> {
        let mut notes = Vec::new();
        let members = unwrap_qr_code_content(export_object(text)?, &mut notes)?;
        let members = keep_provisioning_extras(members, &mut notes);
        let members = required_keys_first(members, &mut notes)?;
        Ok(assemble_android_enterprise(members, wifi.into(), notes))
    }

    /// An Android Enterprise profile's `qrCodeContent` as Graph gives it, kept byte for byte
    /// (reference §1.1: encode it verbatim). The §1.1 keys are checked as for an export.
    pub fn from_qr_code_content(text: &str) -> Result<Payload, ProvisioningError> {
        let members = export_object(text)?;
        required_keys_first(members.clone(), &mut Vec::new())?;
        Ok(finish(
            PayloadKind::AndroidEnterprise,
            text.to_owned(),
            &members,
            Vec::new(),
        ))
    }

    /// Intune's AOSP QR content, kept byte for byte (whitespace and key order included). It
    /// must be a JSON object; Wi-Fi and token fields are read only for the summary.
    pub fn from_aosp_content(text: &str) -> Result<Payload, ProvisioningError> {
        match Json::parse(text) {
            Ok(Json::Object(members)) => Ok(finish(
                PayloadKind::Aosp,
                text.to_owned(),
                &members,
                Vec::new(),
            )),
            Ok(other) => Err(ProvisioningError::AospNotObject {
                found: other.type_name(),
            }),
            Err(error) => {
                let (line, column, reason) = json_syntax(&error);
                Err(ProvisioningError::AospNotJson {
                    line,
                    column,
                    reason,
                })
            }
        }
    }

    /// The same Android Enterprise payload joining `wifi` instead of any Wi-Fi it had.
    /// Refused for AOSP: change Wi-Fi on the Intune profile instead.
    pub fn with_wifi(&self, wifi: &WifiConfig) -> Result<Payload, ProvisioningError> {
        self.rebuild(WifiChange::Replace(wifi))
    }

    /// The same Android Enterprise payload without Wi-Fi extras (for a label that leaves the
    /// bench, pain point 2). Refused for AOSP.
    pub fn without_wifi(&self) -> Result<Payload, ProvisioningError> {
        self.rebuild(WifiChange::Remove)
    }

    fn rebuild(&self, change: WifiChange<'_>) -> Result<Payload, ProvisioningError> {
        if self.kind == PayloadKind::Aosp {
            return Err(ProvisioningError::WifiOnAosp);
        }
        let Ok(Json::Object(members)) = Json::parse(self.qr_text()) else {
            unreachable!("an Android Enterprise payload is a JSON object we wrote");
        };
        Ok(assemble_android_enterprise(
            members,
            change,
            self.notes.clone(),
        ))
    }

    /// Android Enterprise or AOSP.
    pub fn kind(&self) -> PayloadKind {
        self.kind
    }

    /// The exact text to encode. It holds the token and any Wi-Fi key: never log it.
    pub fn qr_text(&self) -> &str {
        self.text.expose()
    }

    /// What StageBench changed on the way in, e.g. "dropped key 'expirationDate': not a
    /// provisioning extra".
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Facts and warnings with secrets masked.
    pub fn summary(&self) -> PayloadSummary {
        self.summary.clone()
    }

    /// Whether the QR text holds a Wi-Fi password in plain text.
    pub fn carries_wifi_password(&self) -> bool {
        self.carries_wifi_password
    }

    /// The enrollment token, for typing in by hand where a device can't scan (`afw#setup`);
    /// `None` for payloads without one (AOSP content is opaque).
    pub fn enrollment_token(&self) -> Option<SecretText> {
        if self.kind != PayloadKind::AndroidEnterprise {
            return None;
        }
        let json: serde_json::Value = serde_json::from_str(self.qr_text()).ok()?;
        let token = json
            .get(super::KEY_ADMIN_EXTRAS_BUNDLE)?
            .get(super::KEY_ENROLLMENT_TOKEN)?
            .as_str()?;
        Some(SecretText::new(token))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("kind", &self.kind)
            .field("qr_text", &self.text)
            .field("bytes", &self.summary.bytes)
            .field("notes", &self.notes)
            .finish()
    }
}
