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
//! so StageBench never rebuilds it and only reads it to fill the summary.

use std::fmt;

use super::error::{json_syntax, ProvisioningError};
use super::json::{get, Json, Members};
use super::wifi::{WifiConfig, WifiSecurity};
use super::*;
use crate::secret::{SecretText, MASK};

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
    /// [`MASK`] when the payload carries an enrollment token.
    pub token_masked: Option<String>,
    /// Network name, when the payload joins Wi-Fi.
    pub wifi_ssid: Option<String>,
    /// Security type as written in the payload.
    pub wifi_security: Option<String>,
    /// [`MASK`] when a Wi-Fi password is present.
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

/// Trims the token (noting it) and refuses empty tokens and control characters.
fn clean_token(raw: &str, notes: &mut Vec<String>) -> Result<String, ProvisioningError> {
    let token = raw.trim();
    if token.is_empty() {
        return Err(ProvisioningError::TokenEmpty);
    }
    if let Some(index) = token.chars().position(char::is_control) {
        return Err(ProvisioningError::TokenControlChar {
            position: index + 1,
        });
    }
    if token.len() != raw.len() {
        notes.push("trimmed whitespace around the enrollment token".to_owned());
    }
    Ok(token.to_owned())
}

/// The top-level object of an export (or of a profile's `qrCodeContent`).
fn export_object(text: &str) -> Result<Members, ProvisioningError> {
    match Json::parse(text) {
        Ok(Json::Object(members)) => Ok(members),
        Ok(other) => Err(ProvisioningError::ExportNotObject {
            found: other.type_name(),
        }),
        Err(error) => {
            let (line, column, reason) = json_syntax(&error);
            Err(ProvisioningError::ExportNotJson {
                line,
                column,
                reason,
            })
        }
    }
}

fn dropped(key: &str) -> String {
    format!("dropped key '{key}': not a provisioning extra")
}

/// The provisioning object of an export: the `qrCodeContent` value when wrapped (its siblings
/// are dropped with a note), else the top-level object.
fn unwrap_qr_code_content(
    top: Members,
    notes: &mut Vec<String>,
) -> Result<Members, ProvisioningError> {
    if get(&top, "qrCodeContent").is_none() {
        return Ok(top);
    }
    let mut content = None;
    for (key, value) in top {
        if key == "qrCodeContent" {
            content = Some(value);
        } else {
            notes.push(dropped(&key));
        }
    }
    let bad = |problem: String| ProvisioningError::ExportBadQrCodeContent { problem };
    match content.expect("checked above") {
        Json::Object(members) => Ok(members),
        Json::String(inner) => match Json::parse(&inner) {
            Ok(Json::Object(members)) => Ok(members),
            Ok(other) => Err(bad(format!(
                "a string holding a JSON {}, not an object",
                other.type_name()
            ))),
            Err(error) => {
                let (line, column, reason) = json_syntax(&error);
                Err(bad(format!(
                    "a string that is not valid JSON (line {line} column {column}: {reason})"
                )))
            }
        },
        other => Err(bad(format!(
            "a JSON {}, not an object or a string",
            other.type_name()
        ))),
    }
}

/// Drops every key that is not an `android.app.extra.PROVISIONING_*` extra, noting each.
fn keep_provisioning_extras(members: Members, notes: &mut Vec<String>) -> Members {
    members
        .into_iter()
        .filter(|(key, _)| {
            let keep = key.starts_with(PROVISIONING_PREFIX);
            if !keep {
                notes.push(dropped(key));
            }
            keep
        })
        .collect()
}

fn take(members: &mut Members, key: &str) -> Option<Json> {
    let index = members.iter().position(|(k, _)| k == key)?;
    Some(members.remove(index).1)
}

fn take_required(
    members: &mut Members,
    key: &str,
    expected: &'static str,
) -> Result<Json, ProvisioningError> {
    let value = take(members, key).ok_or_else(|| ProvisioningError::ExportMissingKey {
        key: key.to_owned(),
    })?;
    if value.type_name() == expected {
        Ok(value)
    } else {
        Err(ProvisioningError::ExportWrongType {
            key: key.to_owned(),
            found: value.type_name(),
            expected,
        })
    }
}

/// Checks the four §1.1 keys (and the token inside the bundle), puts them first in §1.1
/// order, and keeps the other extras after them in export order.
fn required_keys_first(
    mut members: Members,
    notes: &mut Vec<String>,
) -> Result<Members, ProvisioningError> {
    let mut required = Vec::with_capacity(4);
    for key in [
        KEY_COMPONENT_NAME,
        KEY_SIGNATURE_CHECKSUM,
        KEY_DOWNLOAD_LOCATION,
    ] {
        let value = take_required(&mut members, key, "string")?;
        required.push((key.to_owned(), value));
    }
    let Json::Object(mut bundle) = take_required(&mut members, KEY_ADMIN_EXTRAS_BUNDLE, "object")?
    else {
        unreachable!("take_required checked the type");
    };
    let token_path = format!("{KEY_ADMIN_EXTRAS_BUNDLE} → {KEY_ENROLLMENT_TOKEN}");
    let token_slot = bundle
        .iter_mut()
        .find(|(k, _)| k == KEY_ENROLLMENT_TOKEN)
        .map(|(_, v)| v)
        .ok_or_else(|| ProvisioningError::ExportMissingKey {
            key: token_path.clone(),
        })?;
    let Json::String(token) = token_slot else {
        return Err(ProvisioningError::ExportWrongType {
            key: token_path,
            found: token_slot.type_name(),
            expected: "string",
        });
    };
    *token = clean_token(token, notes)?;
    required.push((KEY_ADMIN_EXTRAS_BUNDLE.to_owned(), Json::Object(bundle)));
    required.extend(members);
    Ok(required)
}

/// Applies the Wi-Fi change and serializes.
fn assemble_android_enterprise(
    mut members: Members,
    change: WifiChange<'_>,
    mut notes: Vec<String>,
) -> Payload {
    let action = match change {
        WifiChange::Keep => None,
        WifiChange::Replace(_) => Some("replaced by the bench Wi-Fi"),
        WifiChange::Remove => Some("Wi-Fi left out of this payload"),
    };
    if let Some(action) = action {
        members.retain(|(key, _)| {
            let wifi = key.starts_with(WIFI_PREFIX);
            if wifi {
                notes.push(format!("removed key '{key}': {action}"));
            }
            !wifi
        });
    }
    if let WifiChange::Replace(wifi) = change {
        members.extend(wifi_members(wifi));
    }
    let text = Json::Object(members.clone()).to_compact();
    finish(PayloadKind::AndroidEnterprise, text, &members, notes)
}

fn wifi_members(wifi: &WifiConfig) -> Members {
    let mut members = vec![
        (
            KEY_WIFI_SSID.to_owned(),
            Json::String(wifi.ssid().to_owned()),
        ),
        (
            KEY_WIFI_SECURITY_TYPE.to_owned(),
            Json::String(wifi.security().as_str().to_owned()),
        ),
    ];
    if let Some(password) = wifi.password() {
        members.push((
            KEY_WIFI_PASSWORD.to_owned(),
            Json::String(password.expose().to_owned()),
        ));
    }
    if wifi.hidden() {
        members.push((KEY_WIFI_HIDDEN.to_owned(), Json::Bool(true)));
    }
    members
}

fn finish(
    kind: PayloadKind,
    text: String,
    members: &[(String, Json)],
    notes: Vec<String>,
) -> Payload {
    let (summary, carries_wifi_password) = summarize(kind, members, text.len(), &notes);
    Payload {
        kind,
        text: SecretText::new(text),
        notes,
        summary,
        carries_wifi_password,
    }
}

/// Reads the summary from the payload's members, leniently (AOSP keys are not documented).
fn summarize(
    kind: PayloadKind,
    members: &[(String, Json)],
    bytes: usize,
    notes: &[String],
) -> (PayloadSummary, bool) {
    let string = |key: &str| get(members, key).and_then(Json::as_str);
    let has_token = members
        .iter()
        .chain(match get(members, KEY_ADMIN_EXTRAS_BUNDLE) {
            Some(Json::Object(bundle)) => bundle.iter(),
            _ => [].iter(),
        })
        .any(|(key, value)| key.ends_with("ENROLLMENT_TOKEN") && value.as_str().is_some());
    let ssid = string(KEY_WIFI_SSID);
    let security = string(KEY_WIFI_SECURITY_TYPE);
    let has_password = string(KEY_WIFI_PASSWORD).is_some_and(|p| !p.is_empty());
    let hidden = match get(members, KEY_WIFI_HIDDEN) {
        Some(Json::Bool(hidden)) => Some(*hidden),
        Some(Json::String(text)) => Some(text.eq_ignore_ascii_case("true")),
        _ => ssid.map(|_| false),
    };

    let mut warnings = Vec::new();
    if has_password {
        warnings.push(WIFI_PASSWORD_WARNING.to_owned());
    }
    if let Some(security) = security {
        let known = ["NONE", "WPA", "WEP", "EAP"].contains(&security);
        if !known {
            warnings.push(format!(
                "Wi-Fi security type '{security}' is not NONE, WPA, WEP or EAP in upper case; \
                 Android treats it as an open network. Fix it on the Intune profile."
            ));
        }
        if security == WifiSecurity::Eap.as_str()
            && get(members, "android.app.extra.PROVISIONING_WIFI_EAP_METHOD").is_none()
        {
            warnings.push(
                "EAP Wi-Fi without an EAP method: Android 10+ needs PROVISIONING_WIFI_EAP_METHOD \
                 (and usually an identity and CA certificate) to join an enterprise network. \
                 Use a WPA staging network instead."
                    .to_owned(),
            );
        }
    }
    if let Some(ssid) = ssid {
        if ssid.len() >= 2 && ssid.starts_with('"') && ssid.ends_with('"') {
            warnings.push(
                "The SSID is wrapped in quote marks; Intune's examples use the bare network \
                 name. Check the quotes are part of the name."
                    .to_owned(),
            );
        }
        if ssid.trim() != ssid || ssid.chars().any(char::is_control) {
            warnings.push(
                "The SSID has leading or trailing spaces or a control character; check it \
                 matches the network name exactly."
                    .to_owned(),
            );
        }
    }
    if matches!(get(members, KEY_WIFI_HIDDEN), Some(Json::String(_))) {
        warnings.push(
            "PROVISIONING_WIFI_HIDDEN is a string; Android reads it as a boolean and may refuse \
             the payload. It should be true or false without quotes."
                .to_owned(),
        );
    }
    if kind == PayloadKind::AndroidEnterprise
        && string(KEY_COMPONENT_NAME) != Some(CLOUDDPC_COMPONENT_NAME)
    {
        warnings.push(
            "The device admin component is not Intune's CloudDPC; check that this export comes \
             from an Intune Android Enterprise profile."
                .to_owned(),
        );
    }

    let summary = PayloadSummary {
        kind: kind.as_str().to_owned(),
        token_masked: has_token.then(|| MASK.to_owned()),
        wifi_ssid: ssid.map(str::to_owned),
        wifi_security: security.map(str::to_owned),
        wifi_password_masked: has_password.then(|| MASK.to_owned()),
        wifi_hidden: hidden,
        bytes,
        notes: notes.to_vec(),
        warnings,
    };
    (summary, has_password)
}
