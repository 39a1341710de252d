//! Reading Intune's exported token JSON: the provisioning object (unwrapped from
//! `qrCodeContent` when it is), only the provisioning extras, and the four §1.1 keys first with
//! a clean enrollment token; every change noted.

use crate::provisioning::error::{json_syntax, ProvisioningError};
use crate::provisioning::json::{get, Json, Members};
use crate::provisioning::{
    KEY_ADMIN_EXTRAS_BUNDLE, KEY_COMPONENT_NAME, KEY_DOWNLOAD_LOCATION, KEY_ENROLLMENT_TOKEN,
    KEY_SIGNATURE_CHECKSUM, PROVISIONING_PREFIX,
};

/// Trims the token (noting it) and refuses empty tokens and control characters.
pub(super) fn clean_token(raw: &str, notes: &mut Vec<String>) -> Result<String, ProvisioningError> {
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
pub(super) fn export_object(text: &str) -> Result<Members, ProvisioningError> {
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
pub(super) fn unwrap_qr_code_content(
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
pub(super) fn keep_provisioning_extras(members: Members, notes: &mut Vec<String>) -> Members {
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
pub(super) fn required_keys_first(
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
