//! Identifiers from a file's lines or from the bench's devices, each read for its platform: a
//! Windows line is `manufacturer,model,serial` (no header, no details; ≤ 5,000 rows and 5 MB,
//! Microsoft Learn, *Identify devices as corporate-owned*, ms.date 2025-04-11), an Android line
//! `identifier[,details]` (seed rule 79).

use super::{check_platform, CorporateIdentifier, IdentifierType, IdentityPlatform};
use crate::identity::{
    is_identifying_serial, SerialSource, WindowsTuple, WINDOWS_FILE_BYTES, WINDOWS_FILE_ROWS,
    WINDOWS_NEEDS_TUPLE,
};
use crate::store::DeviceRecord;

/// A line or a device that gave no identifier: what was given, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The line, or the device's serial.
    pub given: String,
    /// Why, and what to do.
    pub reason: String,
}

/// One identifier read, or why not.
pub type Read = Result<CorporateIdentifier, Refused>;

/// Whether identifiers of `kind` for `platform`, with `description`, can be imported at all.
fn check_list(
    kind: IdentifierType,
    platform: IdentityPlatform,
    description: Option<&str>,
) -> Result<(), String> {
    check_platform(kind, platform)?;
    if platform == IdentityPlatform::Windows && description.is_some() {
        return Err("Windows identifiers take no details (\"Windows currently doesn't support \
                    device details\", Microsoft Learn, ms.date 2025-04-11): leave the description out"
            .into());
    }
    Ok(())
}

/// Reads a list file's text: one identifier per line, blank lines and `#` comments skipped.
/// Windows lines are read as [`WindowsTuple::parse_line`]; other lines as `identifier` or
/// `identifier,details` (the file's details win over `description`). The whole list is refused
/// when `kind` does not fit `platform`, or when a Windows file is over 5,000 rows or 5 MB.
pub fn read_list(
    text: &str,
    kind: IdentifierType,
    platform: IdentityPlatform,
    description: Option<&str>,
) -> Result<Vec<Read>, String> {
    check_list(kind, platform, description)?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if platform == IdentityPlatform::Windows
        && (lines.len() > WINDOWS_FILE_ROWS || text.len() > WINDOWS_FILE_BYTES)
    {
        return Err(format!(
            "the file has {} rows and {} bytes; Intune takes up to {WINDOWS_FILE_ROWS} rows or \
             {WINDOWS_FILE_BYTES} bytes (5 MB) per Windows file (Microsoft Learn, ms.date \
             2025-04-11): split it",
            lines.len(),
            text.len()
        ));
    }
    Ok(lines
        .into_iter()
        .map(|line| match platform {
            IdentityPlatform::Windows => WindowsTuple::parse_line(line)
                .map(|t| CorporateIdentifier::windows(&t))
                .map_err(|reason| Refused {
                    given: line.to_owned(),
                    reason,
                }),
            IdentityPlatform::Android => {
                let (id, details) = match line.split_once(',') {
                    Some((id, d)) => (id, Some(d.trim()).filter(|d| !d.is_empty())),
                    None => (line, None),
                };
                Ok(CorporateIdentifier {
                    kind,
                    identifier: id.trim().to_owned(),
                    description: details.or(description).map(str::to_owned),
                    platform,
                })
            }
        })
        .collect())
}

/// The identifiers of the bench's `devices`: for Android each device's `ro.serialno` (or its
/// IMEIs); for Windows each scanned serial with the manufacturer and model captured beside it
/// (the device's `manufacturer` and `model` facts), a serial without them refused with the
/// reason.
pub fn from_devices(
    devices: &[DeviceRecord],
    kind: IdentifierType,
    platform: IdentityPlatform,
    description: Option<&str>,
) -> Result<Vec<Read>, String> {
    check_list(kind, platform, description)?;
    let wanted = match kind {
        IdentifierType::Imei => SerialSource::Imei,
        IdentifierType::SerialNumber => SerialSource::RoSerialno,
        // Windows serials are scanned or typed from the box or label (`batch add`).
        IdentifierType::ManufacturerModelSerial => SerialSource::Scanner,
    };
    let mut read = Vec::new();
    for device in devices {
        let fact = |key: &str| device.facts.get(key).and_then(|v| v.as_str());
        for s in device
            .serials
            .iter()
            .filter(|s| s.source == wanted && is_identifying_serial(&s.value))
        {
            read.push(match (platform, fact("manufacturer"), fact("model")) {
                (IdentityPlatform::Windows, Some(m), Some(mo)) => WindowsTuple::new(m, mo, &s.value)
                    .map(|t| CorporateIdentifier::windows(&t)),
                (IdentityPlatform::Windows, _, _) => Err(format!(
                    "only the serial was captured. {WINDOWS_NEEDS_TUPLE} Capture its manufacturer \
                     and model with the serial, or import a file of manufacturer,model,serial lines."
                )),
                (IdentityPlatform::Android, _, _) => Ok(CorporateIdentifier {
                    kind,
                    identifier: s.value.trim().to_owned(),
                    description: description.map(str::to_owned),
                    platform,
                }),
            }
            .map_err(|reason| Refused {
                given: s.value.clone(),
                reason,
            }));
        }
    }
    Ok(read)
}
