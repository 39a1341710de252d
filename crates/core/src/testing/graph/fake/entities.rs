//! The shape of what the fake answers: a new profile's defaults, QR content like Intune's,
//! `$select` projection, query encoding, and the part of a devices `$filter` it evaluates.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::rfc3339;
use crate::testing::graph::schema::{self, Matched};

/// AOSP tokens last at most 90 days (memdocs).
pub(super) const AOSP_MAX_VALIDITY: i64 = 90 * 24 * 3600;
/// The clouddpc signature checksum Intune's AE QR carries (intune-android-adb.md §1.1).
const CLOUDDPC_CHECKSUM: &str = "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg";

pub(super) fn default_profile(id: &str, now: OffsetDateTime) -> Map<String, Value> {
    let now = rfc3339(now);
    let Value::Object(map) = json!({
        "id": id, "accountId": "00000000-0000-0000-0000-0000000000aa", "displayName": "Profile",
        "description": null, "enrollmentMode": "corporateOwnedFullyManaged", "enrollmentTokenType": "default",
        "createdDateTime": now, "lastModifiedDateTime": now, "tokenValue": null,
        "tokenCreationDateTime": "0001-01-01T00:00:00Z", "tokenExpirationDateTime": "0001-01-01T00:00:00Z",
        "enrolledDeviceCount": 0, "enrollmentTokenUsageCount": 0, "qrCodeContent": null, "roleScopeTagIds": ["0"],
        "configureWifi": false, "wifiSsid": null, "wifiPassword": null, "wifiSecurityType": "none",
        "wifiHidden": false, "isTeamsDeviceProfile": false
    }) else {
        unreachable!()
    };
    map
}

/// The Android Enterprise `qrCodeContent` (intune-android-adb.md §1.1) carrying `token`.
pub(crate) fn android_enterprise_qr(token: &str) -> String {
    let token = serde_json::to_string(token).unwrap_or_default();
    format!(
        "{{\"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME\":\"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver\",\
\"android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM\":\"{CLOUDDPC_CHECKSUM}\",\
\"android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION\":\"https://play.google.com/managed/downloadManagingApp?identifier=setup\",\
\"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{{\"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN\":{token}}}}}"
    )
}

/// An AOSP-like `qrCodeContent`: opaque JSON the bench must show verbatim (clearly a fake).
pub(super) fn aosp_qr(token: &str, profile: &str) -> String {
    json!({
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME": "com.microsoft.windowsintune.companyportal/.FakeAospDeviceAdminReceiver",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "ZmFrZS1hb3NwLWNoZWNrc3VtLW5vdC1yZWFsLTAwMDA",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION": "https://example.invalid/stagebench-fake-graph/aosp-agent.apk",
        "android.app.extra.PROVISIONING_SKIP_ENCRYPTION": false,
        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
            "com.microsoft.intune.fake.AOSP_ENROLLMENT_TOKEN": token,
            "com.microsoft.intune.fake.PROFILE_ID": profile
        }
    })
    .to_string()
}

/// `$select` projection.
pub(super) fn project(item: &Map<String, Value>, m: &Matched) -> Value {
    match m.param("$select") {
        Some(select) => {
            let names: Vec<&str> = select.split(',').map(str::trim).collect();
            Value::Object(
                item.iter()
                    .filter(|(k, _)| names.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
        None => Value::Object(item.clone()),
    }
}

/// Percent-encodes a query component (keeps unreserved characters and `$`).
pub(super) fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The part of a managedDevices `$filter` the fake evaluates: `eq` on a few string properties,
/// joined by `and`/`or`. Anything else is ignored (everything matches), as real Graph does with
/// filters it does not support — clients must re-check.
pub(super) enum DeviceFilter {
    All,
    /// Groups joined by `and`, each a list of (property, value) joined by `or`.
    Clauses(Vec<Vec<(String, String)>>),
}

pub(super) fn device_filter(filter: &str) -> DeviceFilter {
    const EVALUATED: [&str; 5] = [
        "serialNumber",
        "imei",
        "deviceName",
        "azureADDeviceId",
        "userPrincipalName",
    ];
    let Ok(tokens) = schema::tokenize(filter) else {
        return DeviceFilter::All;
    };
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut i = 0;
    while i + 3 <= tokens.len() {
        let (prop, op, value) = (&tokens[i], &tokens[i + 1], &tokens[i + 2]);
        if !op.eq_ignore_ascii_case("eq") || !EVALUATED.contains(&prop.as_str()) {
            return DeviceFilter::All;
        }
        let Some(value) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) else {
            return DeviceFilter::All;
        };
        groups
            .last_mut()
            .expect("a group")
            .push((prop.clone(), value.replace("''", "'")));
        i += 3;
        match tokens.get(i).map(|t| t.to_lowercase()) {
            None => break,
            Some(c) if c == "or" => {}
            Some(c) if c == "and" => groups.push(Vec::new()),
            Some(_) => return DeviceFilter::All,
        }
        i += 1;
    }
    if groups.iter().any(Vec::is_empty) {
        return DeviceFilter::All;
    }
    DeviceFilter::Clauses(groups)
}

impl DeviceFilter {
    /// The serial when the filter is exactly `serialNumber eq '…'`.
    pub(super) fn only_serial(&self) -> Option<&str> {
        match self {
            DeviceFilter::Clauses(groups) => match groups.as_slice() {
                [group] => match group.as_slice() {
                    [(prop, value)] if prop == "serialNumber" => Some(value),
                    _ => None,
                },
                _ => None,
            },
            DeviceFilter::All => None,
        }
    }

    pub(super) fn matches(&self, device: &Map<String, Value>) -> bool {
        match self {
            DeviceFilter::All => true,
            DeviceFilter::Clauses(groups) => groups.iter().all(|group| {
                group.iter().any(|(prop, value)| {
                    device
                        .get(prop)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(value))
                })
            }),
        }
    }
}
