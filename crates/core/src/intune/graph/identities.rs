//! Corporate identifiers: `POST /deviceManagement/importedDeviceIdentities/importDeviceIdentityList`
//! (reference §3.4), checked here before anything is sent.
//!
//! Rules (seed section I): at most 5,000 identifiers per upload (rule 79; larger lists are
//! split), one identifier type per upload (rule 79; lists are split by type), details ≤ 128
//! characters (rule 79), serials without dots (rule 80), duplicates removed locally (rule 84).
//! IMEIs must be 15 digits with a valid Luhn check digit; the seeds write 14-digit IMEIs
//! (rule 87, the form without the check digit, open question P12): a 14-digit IMEI is refused
//! with a message asking for the check digit.
//!
//! Where it matters: see [`NOT_NEEDED_FOR_ANDROID_CORPORATE`]. Windows takes only the
//! manufacturer, model and serial tuple ([`IdentifierType::ManufacturerModelSerial`]), never an
//! IMEI or a serial alone (Microsoft Learn, *Identify devices as corporate-owned*, ms.date
//! 2025-04-11; the seed 004 runbook's "serial numbers", rule 88, is older: see
//! [`crate::identity::WINDOWS_NEEDS_TUPLE`]); [`check_platform`] holds that rule.
//!
//! Layout: this file checks and sends; `list` turns a file's lines or the bench's devices into
//! identifiers; `tests` checks both.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::error::GraphError;
use super::request::{GraphRequest, HttpMethod, IMPORTED_IDENTITIES};
use super::GraphClient;
use crate::identity::{luhn_ok, WindowsTuple, WINDOWS_NEEDS_TUPLE};

mod list;
pub use list::{from_devices, read_list, Refused};

/// At most this many identifiers per request (the portal's CSV limit, rule 79).
pub const MAX_PER_REQUEST: usize = 5_000;

/// The longest description (the CSV's "details" column, rule 79).
pub const MAX_DESCRIPTION_CHARS: usize = 128;

/// Shown where identifiers could be uploaded for an Android batch.
pub const NOT_NEEDED_FOR_ANDROID_CORPORATE: &str = "Android Enterprise fully managed, dedicated and COPE devices, and AOSP devices, \
are corporate-owned automatically at enrollment; importing their serials or IMEIs is optional bookkeeping \
(seed rules 66 and 83, reference §3.4).";

/// `importedDeviceIdentityType` (Graph beta enum, ms.date 2024-08-01: `unknown`, `imei`,
/// `serialNumber`, `manufacturerModelSerial`; the bench never sends `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierType {
    /// `imei`.
    Imei,
    /// `serialNumber`.
    SerialNumber,
    /// `manufacturerModelSerial`: Windows' only type; the identifier is a
    /// [`WindowsTuple`] joined by [`crate::identity::TUPLE_DELIMITER`].
    ManufacturerModelSerial,
}

impl IdentifierType {
    /// Graph's value.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierType::Imei => "imei",
            IdentifierType::SerialNumber => "serialNumber",
            IdentifierType::ManufacturerModelSerial => "manufacturerModelSerial",
        }
    }
}

/// Whether Intune takes identifiers of `kind` for `platform` (support table of *Identify devices
/// as corporate-owned*, ms.date 2025-04-11): Windows only manufacturer, model and serial; Android
/// only IMEI or serial ("Serial number, model, manufacturer: Not supported").
pub fn check_platform(kind: IdentifierType, platform: IdentityPlatform) -> Result<(), String> {
    match (platform, kind) {
        (IdentityPlatform::Windows, IdentifierType::ManufacturerModelSerial)
        | (IdentityPlatform::Android, IdentifierType::Imei | IdentifierType::SerialNumber) => {
            Ok(())
        }
        (IdentityPlatform::Windows, _) => Err(WINDOWS_NEEDS_TUPLE.to_owned()),
        (IdentityPlatform::Android, _) => Err("manufacturer, model and serial is a Windows \
identifier; Android takes an IMEI or a serial (Microsoft Learn, 'Identify devices as \
corporate-owned', support table, ms.date 2025-04-11)"
            .to_owned()),
    }
}

/// `platform` of an imported identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityPlatform {
    /// `android`.
    Android,
    /// `windows` (Windows Device Preparation, seed 004).
    Windows,
}

impl IdentityPlatform {
    /// Graph's value.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityPlatform::Android => "android",
            IdentityPlatform::Windows => "windows",
        }
    }
}

/// One identifier to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorporateIdentifier {
    /// IMEI, serial, or (Windows) manufacturer, model and serial.
    pub kind: IdentifierType,
    /// The IMEI, the serial, or [`WindowsTuple::identifier`] (surrounding whitespace is ignored).
    pub identifier: String,
    /// Admin-only details, ≤ 128 characters.
    pub description: Option<String>,
    /// The device platform.
    pub platform: IdentityPlatform,
}

impl CorporateIdentifier {
    /// A Windows device's identifier: its manufacturer, model and serial.
    pub fn windows(tuple: &WindowsTuple) -> Self {
        Self {
            kind: IdentifierType::ManufacturerModelSerial,
            identifier: tuple.identifier(),
            description: None,
            platform: IdentityPlatform::Windows,
        }
    }

    /// The value the bench's store knows the device by: the IMEI or serial, or the serial
    /// inside a Windows identifier (`None` when that does not read as one).
    pub fn bench_serial(&self) -> Option<String> {
        match self.kind {
            IdentifierType::Imei | IdentifierType::SerialNumber => {
                Some(self.identifier.trim().to_owned())
            }
            IdentifierType::ManufacturerModelSerial => {
                WindowsTuple::from_identifier(&self.identifier)
                    .ok()
                    .map(|t| t.serial)
            }
        }
    }
}

/// What became of one identifier.
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    /// Intune took it.
    Imported,
    /// Intune kept the entry it already had (it exists and `overwrite` was off).
    Kept,
    /// Refused before sending: why, and what to do.
    Invalid(String),
    /// The request carrying it failed.
    Failed(GraphError),
}

/// One identifier's result, in input order.
#[derive(Debug, Clone)]
pub struct IdentityImport {
    /// The identifier as given.
    pub identifier: String,
    /// What happened.
    pub outcome: ImportOutcome,
}

/// Checks one identifier; the reason it cannot be imported, if any.
pub fn check_identifier(item: &CorporateIdentifier) -> Result<(), String> {
    let id = item.identifier.trim();
    if id.is_empty() {
        return Err("the identifier is empty".into());
    }
    check_platform(item.kind, item.platform)?;
    match item.kind {
        IdentifierType::ManufacturerModelSerial => {
            WindowsTuple::from_identifier(id)?;
            if item.description.is_some() {
                return Err(format!("{id}: Windows identifiers take no details (\"Windows currently doesn't support device details\", Microsoft Learn, ms.date 2025-04-11): leave the description out"));
            }
        }
        IdentifierType::SerialNumber if id.contains('.') => {
            return Err(format!("serial {id} contains a dot, which makes Intune's upload fail (seed rule 80): check the serial on the device"))
        }
        IdentifierType::SerialNumber => {}
        IdentifierType::Imei => {
            if !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("IMEI {id} has characters other than digits"));
            }
            if id.len() == 14 {
                return Err(format!("IMEI {id} has 14 digits: add its Luhn check digit (the 15th digit on the box or in Settings)"));
            }
            if id.len() != 15 {
                return Err(format!("IMEI {id} has {} digits; an IMEI has 15", id.len()));
            }
            if !luhn_ok(id) {
                return Err(format!("IMEI {id} fails its Luhn check digit: re-scan or re-type it"));
            }
        }
    }
    let chars = item.description.as_deref().map_or(0, |d| d.chars().count());
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "the description of {id} has {chars} characters; Intune takes at most {MAX_DESCRIPTION_CHARS}: shorten it"
        ));
    }
    Ok(())
}

fn identity_json(item: &CorporateIdentifier) -> Value {
    let mut identity = json!({
        "@odata.type": "#microsoft.graph.importedDeviceIdentity",
        "importedDeviceIdentifier": item.identifier.trim(),
        "importedDeviceIdentityType": item.kind.as_str(),
        "platform": item.platform.as_str(),
    });
    if let Some(description) = &item.description {
        identity["description"] = json!(description);
    }
    identity
}

impl GraphClient {
    /// Imports corporate identifiers, one result per item in input order. Invalid items and
    /// local duplicates are refused without sending; the rest go in requests of one identifier
    /// type and at most [`MAX_PER_REQUEST`] items. `overwrite` replaces the details of
    /// identifiers Intune already has (resending is then harmless; without it, an import resent
    /// after a lost answer reports [`ImportOutcome::Kept`] for what the first send imported).
    pub async fn import_identities(
        &self,
        items: &[CorporateIdentifier],
        overwrite: bool,
    ) -> Vec<IdentityImport> {
        let mut outcomes: Vec<Option<ImportOutcome>> = items.iter().map(|_| None).collect();
        let mut seen: HashMap<(IdentifierType, String), usize> = HashMap::new();
        let mut by_type: Vec<(IdentifierType, Vec<usize>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Err(reason) = check_identifier(item) {
                outcomes[i] = Some(ImportOutcome::Invalid(reason));
                continue;
            }
            let key = (item.kind, item.identifier.trim().to_ascii_uppercase());
            if let Some(first) = seen.get(&key) {
                outcomes[i] = Some(ImportOutcome::Invalid(format!(
                    "a duplicate of item {} in this import",
                    first + 1
                )));
                continue;
            }
            seen.insert(key, i);
            match by_type.iter_mut().find(|(kind, _)| *kind == item.kind) {
                Some((_, group)) => group.push(i),
                None => by_type.push((item.kind, vec![i])),
            }
        }
        for (kind, group) in by_type {
            for chunk in group.chunks(MAX_PER_REQUEST) {
                let request = GraphRequest::new(
                    HttpMethod::Post,
                    format!("{IMPORTED_IDENTITIES}/importDeviceIdentityList"),
                    format!("importing {} corporate identifiers ({})", chunk.len(), kind.as_str()),
                )
                .with_body(json!({
                    "importedDeviceIdentities": chunk.iter().map(|&i| identity_json(&items[i])).collect::<Vec<_>>(),
                    "overwriteImportedDeviceIdentities": overwrite,
                }));
                match self.send(&request).await {
                    Ok(answer) => {
                        let statuses = statuses(answer.body.as_ref());
                        for &i in chunk {
                            let id = items[i].identifier.trim().to_ascii_uppercase();
                            outcomes[i] = Some(match statuses.get(&id) {
                                Some(true) => ImportOutcome::Imported,
                                Some(false) => ImportOutcome::Kept,
                                None => ImportOutcome::Failed(GraphError::BadAnswer {
                                    what: request.describe(),
                                    reason: format!("no result for {}", items[i].identifier.trim()),
                                }),
                            });
                        }
                    }
                    Err(error) => {
                        for &i in chunk {
                            outcomes[i] = Some(ImportOutcome::Failed(error.clone()));
                        }
                    }
                }
            }
        }
        items
            .iter()
            .zip(outcomes)
            .map(|(item, outcome)| IdentityImport {
                identifier: item.identifier.clone(),
                outcome: outcome.unwrap_or_else(|| ImportOutcome::Invalid("not processed".into())),
            })
            .collect()
    }
}

/// `importedDeviceIdentityResult.status` by identifier (upper case).
fn statuses(body: Option<&Value>) -> HashMap<String, bool> {
    body.and_then(|b| b.get("value"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r.get("importedDeviceIdentifier")?.as_str()?;
            Some((id.trim().to_ascii_uppercase(), r.get("status")?.as_bool()?))
        })
        .collect()
}

#[cfg(test)]
mod tests;
