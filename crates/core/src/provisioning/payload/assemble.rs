//! Assembling a payload: the Wi-Fi change applied to the members, the compact text, and the
//! summary (with its warnings) read back from the members.

use super::{Payload, PayloadKind, PayloadSummary, WifiChange, WIFI_PASSWORD_WARNING};
use crate::provisioning::json::{get, Json, Members};
use crate::provisioning::wifi::{WifiConfig, WifiSecurity};
use crate::provisioning::{
    CLOUDDPC_COMPONENT_NAME, KEY_ADMIN_EXTRAS_BUNDLE, KEY_COMPONENT_NAME, KEY_WIFI_HIDDEN,
    KEY_WIFI_PASSWORD, KEY_WIFI_SECURITY_TYPE, KEY_WIFI_SSID, WIFI_PREFIX,
};
use crate::secret::{SecretText, MASK};

/// Applies the Wi-Fi change and serializes.
pub(super) fn assemble_android_enterprise(
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

pub(super) fn finish(
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
