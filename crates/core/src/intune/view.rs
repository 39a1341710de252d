//! Enrollment profiles as the CLI prints them and the app shows them: no secret inside, the
//! token's state and expiry worked out against the clock, and the warnings a technician must
//! see before using the profile. Revealing a token or QR content is a separate, explicit call
//! ([`crate::intune::graph::EnrollmentProfile::usable_token`]) that never yields an expired or
//! revoked one.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;

use super::graph::profiles::span;
use super::graph::{EnrollmentProfile, TokenState};
use crate::intune::profile::{android_floor_note, TokenType};
use crate::secret::MASK;

/// Tokens expiring sooner than this get a "replace it" warning.
pub const EXPIRY_WARNING_DAYS: u64 = 7;

/// A profile without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    /// Graph id.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// Description.
    pub description: Option<String>,
    /// `enrollmentMode` as Graph spells it.
    pub mode: String,
    /// The mode in words (`fully managed`, `AOSP userless`…).
    pub mode_label: String,
    /// `enrollmentTokenType` as Graph spells it.
    pub token_type: String,
    /// Whether it is an AOSP profile (its QR carries Wi-Fi credentials; its token alone cannot enroll).
    pub aosp: bool,
    /// Whether the token is a staging token (stages 1–3).
    pub staging: bool,
    /// `none`, `valid` or `expired` (expired or revoked).
    pub token_state: String,
    /// When the token expires, RFC 3339.
    pub token_expires: Option<String>,
    /// Seconds until then (valid tokens only), for countdowns.
    #[ts(type = "number | null")]
    pub token_expires_in_seconds: Option<u64>,
    /// When the token was made, RFC 3339.
    pub token_created: Option<String>,
    /// The token, masked, when a usable one exists (reveal it explicitly).
    pub token_masked: Option<String>,
    /// Whether a QR can be shown now (a valid token with QR content).
    pub qr_available: bool,
    /// Devices enrolled with this profile.
    pub enrolled_device_count: Option<u32>,
    /// AOSP devices enrolled with the current token.
    pub token_usage_count: Option<u32>,
    /// Wi-Fi network the QR sets up.
    pub wifi_ssid: Option<String>,
    /// Whether the profile has a Wi-Fi key (never the key).
    pub wifi_has_password: bool,
    /// Things to know before using it.
    pub warnings: Vec<String>,
}

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

/// The view of `p` at `now`.
pub fn profile_view(p: &EnrollmentProfile, now: OffsetDateTime) -> ProfileView {
    let state = p.token_state(now);
    let (token_state, expires_in) = match state {
        TokenState::None => ("none", None),
        TokenState::Valid { expires_in } => ("valid", expires_in.map(|d| d.as_secs())),
        TokenState::Expired { .. } => ("expired", None),
    };
    let mut warnings = Vec::new();
    match state {
        TokenState::None => {
            warnings.push("No token: create one before showing a QR code.".to_owned())
        }
        TokenState::Expired { .. } => warnings.push(
            "The token has expired or was revoked: it is never shown or printed. Create a new one."
                .to_owned(),
        ),
        TokenState::Valid {
            expires_in: Some(left),
        } if left.as_secs() < EXPIRY_WARNING_DAYS * 86_400 => {
            warnings.push(format!(
                "The token expires in {}: replace it before the next batch.",
                span(left)
            ));
        }
        TokenState::Valid { .. } => {}
    }
    let aosp = p.mode.is_aosp();
    if aosp && p.wifi.configure && p.wifi.ssid.is_some() {
        warnings.push(
            "The QR code carries the Wi-Fi key in plain text: keep printed codes on the bench."
                .to_owned(),
        );
    }
    if aosp {
        warnings.push(
            "AOSP: only the QR code enrolls (no token entry); tokens last at most 90 days."
                .to_owned(),
        );
    }
    let staging = p.token_type == TokenType::DeviceStaging;
    if staging {
        warnings.push(
            "Staging token: after setup, stop at the sign-in screen and power off.".to_owned(),
        );
    }
    warnings.extend(android_floor_note(p.mode, p.token_type));
    let raw = |v: serde_json::Value| v.as_str().unwrap_or("unknown").to_owned();
    ProfileView {
        id: p.id.clone(),
        display_name: p.display_name.clone(),
        description: p.description.clone(),
        mode: raw(serde_json::to_value(p.mode).unwrap_or_default()),
        mode_label: p.mode.label().to_owned(),
        token_type: raw(serde_json::to_value(p.token_type).unwrap_or_default()),
        aosp,
        staging,
        token_state: token_state.to_owned(),
        token_expires: rfc3339(p.token_expires),
        token_expires_in_seconds: expires_in,
        token_created: rfc3339(p.token_created),
        token_masked: p.usable_token(now).map(|_| MASK.to_owned()),
        qr_available: p.usable_qr_content(now).is_some(),
        enrolled_device_count: p.enrolled_device_count,
        token_usage_count: p.token_usage_count,
        wifi_ssid: p.wifi.ssid.clone(),
        wifi_has_password: p.wifi.password.is_some(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(extra: serde_json::Value) -> EnrollmentProfile {
        let mut base = json!({
            "id": "p1", "displayName": "Bench", "enrollmentMode": "corporateOwnedFullyManaged",
            "enrollmentTokenType": "deviceStaging", "tokenValue": "SECRETTOKEN",
            "qrCodeContent": "{\"k\":\"SECRETTOKEN\"}", "tokenExpirationDateTime": "2026-12-01T00:00:00Z",
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        EnrollmentProfile::from_json(base).unwrap()
    }

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    #[test]
    fn a_valid_staging_token_is_masked_counted_down_and_warned_near_expiry() {
        let v = profile_view(&profile(json!({})), at("2026-11-22T00:00:00Z"));
        assert_eq!(
            (v.token_state.as_str(), v.token_expires_in_seconds),
            ("valid", Some(9 * 86_400))
        );
        assert_eq!(v.token_masked.as_deref(), Some(MASK));
        assert!(v.qr_available && v.staging && !v.aosp);
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("SECRETTOKEN"), "{json}");
        assert!(
            !v.warnings.iter().any(|w| w.contains("replace")),
            "{:?}",
            v.warnings
        );
        let soon = profile_view(&profile(json!({})), at("2026-11-28T00:00:00Z"));
        assert!(
            soon.warnings
                .iter()
                .any(|w| w.contains("expires in 3 d") && w.contains("replace")),
            "{:?}",
            soon.warnings
        );
    }

    #[test]
    fn an_expired_token_is_neither_masked_nor_offered_as_qr() {
        let v = profile_view(&profile(json!({})), at("2026-12-02T00:00:00Z"));
        assert_eq!(v.token_state, "expired");
        assert_eq!(
            (v.token_masked, v.qr_available, v.token_expires_in_seconds),
            (None, false, None)
        );
        assert!(v.warnings[0].contains("never shown or printed"));
    }

    #[test]
    fn aosp_profiles_warn_about_wifi_and_offer_no_token_entry() {
        let p = profile(
            json!({"enrollmentMode": "corporateOwnedAOSPUserlessDevice", "enrollmentTokenType": "default",
            "configureWifi": true, "wifiSsid": "Bench-5G", "wifiPassword": "k3y-k3y-k3y"}),
        );
        let v = profile_view(&p, at("2026-11-22T00:00:00Z"));
        assert!(v.aosp && v.qr_available && v.wifi_has_password);
        assert_eq!(v.token_masked, None, "AOSP tokens alone cannot enroll");
        assert!(v
            .warnings
            .iter()
            .any(|w| w.contains("Wi-Fi key in plain text")));
        assert!(!serde_json::to_string(&v).unwrap().contains("k3y"));
        assert!(!v.warnings.iter().any(|w| w.contains("Android version")));
    }

    /// Issue 15, point 1: the profile hint quotes both of Microsoft's numbers with their
    /// sources, not "Android 8 or later".
    #[test]
    fn fully_managed_and_staging_profiles_quote_both_android_floors() {
        let now = at("2026-11-22T00:00:00Z");
        let floor = |v: &ProfileView| {
            v.warnings
                .iter()
                .find(|w| w.starts_with("Android version"))
                .cloned()
        };
        let staging = profile_view(&profile(json!({})), now);
        let note = floor(&staging).expect("a staging profile says which Android it needs");
        for cited in [
            "Android 10",
            "2026-05-19",
            "Device staging overview",
            "2025-06-04",
            "Android 8",
        ] {
            assert!(note.contains(cited), "{cited}: {note}");
        }
        assert!(
            !staging
                .warnings
                .iter()
                .any(|w| w.contains("Android 8 or later")),
            "{:?}",
            staging.warnings
        );
        let cope = profile(
            json!({"enrollmentMode": "corporateOwnedWorkProfile", "enrollmentTokenType": "default"}),
        );
        assert_eq!(
            floor(&profile_view(&cope, now)),
            None,
            "COPE keeps its own rules"
        );
        let cope_staging = profile(json!({"enrollmentMode": "corporateOwnedWorkProfile"}));
        assert!(floor(&profile_view(&cope_staging, now)).is_some());
    }
}
