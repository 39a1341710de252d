//! What Intune refuses in an `importDeviceIdentityList`, beyond the schema: the platform ⇔ type
//! rule of the support table in Microsoft Learn's *Identify devices as corporate-owned*
//! (ms.date 2025-04-11). The schema lets `serialNumber` with `platform: windows` through, so
//! without this rule the fake took what Intune would not act on (issue 15 point 7).
//!
//! How the real service answers such an item (a 400 or a `status: false`) is unconfirmed; the
//! fake answers 400 for the whole request, the answer a test can assert on without doubt.

use serde_json::Value;

use crate::identity::TUPLE_DELIMITER;

/// Why Intune would refuse `identity`, if it would: Windows takes only
/// `manufacturerModelSerial` (IMEI and serial: "Not supported"); no other platform takes it
/// (Android, iOS, macOS: "Not supported"); and its identifier is exactly three non-empty parts.
pub(super) fn refusal(identity: &Value) -> Option<String> {
    let kind = identity["importedDeviceIdentityType"]
        .as_str()
        .unwrap_or("");
    let platform = identity["platform"].as_str().unwrap_or("unknown");
    let id = identity["importedDeviceIdentifier"].as_str().unwrap_or("");
    let tuple = kind == "manufacturerModelSerial";
    if platform == "windows" && !tuple {
        return Some(format!(
            "{id}: Windows corporate identifiers are manufacturer, model and serial; {kind} is not supported for Windows"
        ));
    }
    if tuple && !matches!(platform, "windows" | "unknown") {
        return Some(format!(
            "{id}: manufacturerModelSerial is supported for Windows only, not {platform}"
        ));
    }
    let parts: Vec<&str> = id.split(TUPLE_DELIMITER).collect();
    if tuple && (parts.len() != 3 || parts.iter().any(|p| p.trim().is_empty())) {
        return Some(format!(
            "{id}: a manufacturerModelSerial identifier is manufacturer{TUPLE_DELIMITER}model{TUPLE_DELIMITER}serial"
        ));
    }
    None
}
