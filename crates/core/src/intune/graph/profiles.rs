//! Android Enterprise and AOSP enrollment profiles (`androidDeviceOwnerEnrollmentProfile`, one
//! entity for both: reference §3.1) and their enrollment tokens.
//!
//! Token facts: `createToken` takes `tokenValidityInSeconds` (Int32) and answers 204, so the
//! profile is read again for `tokenValue`, `tokenExpirationDateTime` and `qrCodeContent`
//! (§3.1). AOSP tokens last at most 90 days ("Intune enforces", seed rule 30), dedicated ones
//! too ("Google enforces", rule 30, P4). A profile holds one token: **replacing** a token is
//! creating a new one ([`GraphClient::create_token`]), which voids the old one; **revoking**
//! expires it at once. Neither affects enrolled devices (rule 32); cached QR codes and labels of
//! the old token are void. Graph lists every profile, active or not (the portal hides inactive
//! ones by default, rule 33).
//!
//! Rules enforced here: an expired or revoked token is never handed out for display or
//! printing ([`EnrollmentProfile::usable_token`], [`EnrollmentProfile::usable_qr_content`],
//! checked against the clock passed in, so it holds offline: rule 30), and an AOSP profile's
//! plain-text token is never offered at all (rule 34: only its QR code enrolls).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::error::GraphError;
use super::request::{encode, GraphRequest, HttpMethod, ENROLLMENT_PROFILES};
use super::{graph_time, non_empty, GraphClient};
use crate::intune::profile::{EnrollmentMode, TokenType};
use crate::provisioning::WifiSecurity;
use crate::secret::SecretText;

/// The longest AOSP (and dedicated) token: 90 days (seed rule 30).
pub const MAX_90_DAYS: Duration = Duration::from_secs(90 * 24 * 3600);

/// `$select` for one profile: the names reference §3.1 gives "to be safe" (list answers may
/// leave tokens out, ❓ §11.4), then the rest of what [`EnrollmentProfile`] holds.
pub const PROFILE_SELECT: &str = "id,displayName,enrollmentMode,enrollmentTokenType,tokenValue,tokenExpirationDateTime,qrCodeContent,wifiSsid,configureWifi,\
description,tokenCreationDateTime,enrolledDeviceCount,enrollmentTokenUsageCount,wifiPassword,wifiSecurityType,wifiHidden,isTeamsDeviceProfile,deviceNameTemplate";

/// `$select` for the list: no secrets (token, QR content, Wi-Fi key) travel in bulk; read one
/// profile by id for them.
pub const LIST_SELECT: &str = "id,displayName,description,enrollmentMode,enrollmentTokenType,tokenCreationDateTime,tokenExpirationDateTime,\
enrolledDeviceCount,enrollmentTokenUsageCount,configureWifi,wifiSsid,wifiSecurityType,wifiHidden,isTeamsDeviceProfile,deviceNameTemplate";

/// The Wi-Fi an AOSP profile puts in its QR code (Graph `configureWifi`, `wifiSsid`,
/// `wifiPassword`, `wifiSecurityType` = `none`|`wpa`|`wep`, `wifiHidden`).
#[derive(Debug, Clone, Default)]
pub struct ProfileWifi {
    /// Whether the Wi-Fi fields are used at all (Graph's default is true).
    pub configure: bool,
    /// Network name.
    pub ssid: Option<String>,
    /// Pre-shared key (in the QR code in plain text).
    pub password: Option<SecretText>,
    /// Security type; `None` when absent or a value this build does not know.
    pub security: Option<WifiSecurity>,
    /// Hidden network.
    pub hidden: bool,
}

/// An enrollment profile. The token and QR content are private: read them through the
/// accessors that refuse expired and revoked tokens.
#[derive(Debug, Clone)]
pub struct EnrollmentProfile {
    /// Intune's id (GUID).
    pub id: String,
    /// Name shown in Intune.
    pub display_name: String,
    /// Description.
    pub description: Option<String>,
    /// `enrollmentMode`.
    pub mode: EnrollmentMode,
    /// `enrollmentTokenType`.
    pub token_type: TokenType,
    token: Option<SecretText>,
    /// When the current token was made.
    pub token_created: Option<OffsetDateTime>,
    /// When the current token expires.
    pub token_expires: Option<OffsetDateTime>,
    /// `enrolledDeviceCount`: devices enrolled with this profile.
    pub enrolled_device_count: Option<u32>,
    /// `enrollmentTokenUsageCount`: AOSP devices enrolled with the current token.
    pub token_usage_count: Option<u32>,
    qr_code_content: Option<SecretText>,
    /// AOSP Wi-Fi.
    pub wifi: ProfileWifi,
    /// `isTeamsDeviceProfile` (AOSP Teams devices).
    pub is_teams_device_profile: bool,
    /// `deviceNameTemplate` (≤ 63 characters, `{{SERIAL}}`…).
    pub device_name_template: Option<String>,
}

/// Where a profile's token stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// No token (never made, or cleared without an expiry left behind).
    None,
    /// Usable; `expires_in` is `None` when Graph gave no expiry (older fully managed and COPE
    /// tokens "won't expire", seed P3).
    Valid {
        /// Time left.
        expires_in: Option<Duration>,
    },
    /// Past its expiry (a revoked token shows here too: revoking expires it, even when Graph
    /// then clears the token and QR content and keeps only the expiry).
    Expired {
        /// How long ago.
        ago: Duration,
    },
}

impl fmt::Display for TokenState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenState::None => f.write_str("no token"),
            TokenState::Valid { expires_in: None } => f.write_str("valid, no expiry given"),
            TokenState::Valid {
                expires_in: Some(left),
            } => write!(f, "valid, expires in {}", span(*left)),
            TokenState::Expired { ago } => write!(f, "expired or revoked {} ago", span(*ago)),
        }
    }
}

/// `3 d 4 h`, `5 h 2 min`, `40 s`.
pub(crate) fn span(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 86_400, s % 86_400 / 3600, s % 3600 / 60) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (days, h, _) => format!("{days} d {h} h"),
    }
}

/// The profile as Graph sends it (every field optional: `$select` leaves some out).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Wire {
    id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    enrollment_mode: Option<EnrollmentMode>,
    enrollment_token_type: Option<TokenType>,
    token_value: Option<SecretText>,
    token_creation_date_time: Option<String>,
    token_expiration_date_time: Option<String>,
    enrolled_device_count: Option<i64>,
    enrollment_token_usage_count: Option<i64>,
    qr_code_content: Option<SecretText>,
    configure_wifi: Option<bool>,
    wifi_ssid: Option<String>,
    wifi_password: Option<SecretText>,
    wifi_security_type: Option<String>,
    wifi_hidden: Option<bool>,
    is_teams_device_profile: Option<bool>,
    device_name_template: Option<String>,
}

fn secret(value: Option<SecretText>) -> Option<SecretText> {
    value.filter(|s| !s.expose().trim().is_empty())
}

impl EnrollmentProfile {
    /// Reads a profile from Graph's JSON. The error says what was wrong, never a value.
    pub fn from_json(value: Value) -> Result<EnrollmentProfile, String> {
        let wire: Wire = serde_json::from_value(value).map_err(|e| {
            format!(
                "not an enrollment profile: {}",
                crate::secret::without_values(&e.to_string())
            )
        })?;
        let id = non_empty(wire.id).ok_or("an enrollment profile without an id")?;
        let count = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
        Ok(EnrollmentProfile {
            display_name: non_empty(wire.display_name).unwrap_or_else(|| id.clone()),
            id,
            description: non_empty(wire.description),
            mode: wire.enrollment_mode.unwrap_or(EnrollmentMode::Unknown),
            token_type: wire.enrollment_token_type.unwrap_or(TokenType::Unknown),
            token: secret(wire.token_value),
            token_created: wire
                .token_creation_date_time
                .as_deref()
                .and_then(graph_time),
            token_expires: wire
                .token_expiration_date_time
                .as_deref()
                .and_then(graph_time),
            enrolled_device_count: count(wire.enrolled_device_count),
            token_usage_count: count(wire.enrollment_token_usage_count),
            qr_code_content: secret(wire.qr_code_content),
            wifi: ProfileWifi {
                configure: wire.configure_wifi.unwrap_or(true),
                ssid: non_empty(wire.wifi_ssid),
                password: secret(wire.wifi_password),
                security: wire.wifi_security_type.and_then(|s| s.parse().ok()),
                hidden: wire.wifi_hidden.unwrap_or(false),
            },
            is_teams_device_profile: wire.is_teams_device_profile.unwrap_or(false),
            device_name_template: non_empty(wire.device_name_template),
        })
    }

    /// Where the token stands at `now`.
    pub fn token_state(&self, now: OffsetDateTime) -> TokenState {
        if self.token.is_none() && self.qr_code_content.is_none() {
            // A revoked token can leave only its (now past) expiry behind.
            return match self.token_expires {
                Some(at) if at <= now => TokenState::Expired {
                    ago: (now - at).try_into().unwrap_or(Duration::ZERO),
                },
                _ => TokenState::None,
            };
        }
        match self.token_expires {
            None => TokenState::Valid { expires_in: None },
            Some(at) if at > now => TokenState::Valid {
                expires_in: Some((at - now).try_into().unwrap_or(Duration::ZERO)),
            },
            Some(at) => TokenState::Expired {
                ago: (now - at).try_into().unwrap_or(Duration::ZERO),
            },
        }
    }

    /// The token to type in or print, only while it is valid at `now`, and never for AOSP
    /// (its plain-text token cannot enroll a device: seed rule 34).
    pub fn usable_token(&self, now: OffsetDateTime) -> Option<&SecretText> {
        if self.mode.is_aosp() || !matches!(self.token_state(now), TokenState::Valid { .. }) {
            return None;
        }
        self.token.as_ref()
    }

    /// Intune's `qrCodeContent` (it embeds the token, and for AOSP the Wi-Fi key), only while
    /// the token is valid at `now`. Encode it verbatim (reference §1.1, §2).
    pub fn usable_qr_content(&self, now: OffsetDateTime) -> Option<&SecretText> {
        if !matches!(self.token_state(now), TokenState::Valid { .. }) {
            return None;
        }
        self.qr_code_content.as_ref()
    }
}

/// Checks a token validity for a profile of `mode` before anything is sent; the seconds to
/// send, or why not (with the limit). Bounds: at least one second, at most Graph's Int32
/// seconds (about 68 years), at most 90 days for AOSP and dedicated (seed rule 30).
pub fn check_token_validity(mode: EnrollmentMode, validity: Duration) -> Result<i32, String> {
    let seconds = validity.as_secs();
    let asked = if seconds.is_multiple_of(86_400) {
        format!("{} days", seconds / 86_400)
    } else {
        format!("{seconds} s")
    };
    if seconds == 0 {
        return Err("a token must be valid for at least one second".into());
    }
    let limit = if mode.is_aosp() {
        Some("AOSP tokens last at most 90 days (Intune enforces it)")
    } else if mode == EnrollmentMode::CorporateOwnedDedicatedDevice {
        Some("dedicated-device tokens last at most 90 days (Google enforces it)")
    } else {
        None
    };
    if let Some(why) = limit {
        if validity > MAX_90_DAYS {
            return Err(format!("{why}; {asked} asked: choose 90 days or fewer"));
        }
    }
    i32::try_from(seconds).map_err(|_| {
        format!(
            "Graph takes the validity as an Int32 of seconds, at most {} s (about 68 years); {asked} asked",
            i32::MAX
        )
    })
}

fn profile_error(id: &str, reason: String) -> GraphError {
    GraphError::BadAnswer {
        what: format!("enrollment profile {id}"),
        reason,
    }
}

/// `GET` one profile with its secrets.
fn profile_request(id: &str) -> GraphRequest {
    GraphRequest::get(
        format!(
            "{ENROLLMENT_PROFILES}/{}?$select={PROFILE_SELECT}",
            encode(id)
        ),
        format!("enrollment profile {id}"),
    )
}

fn profile_of(id: &str, body: Option<Value>) -> Result<EnrollmentProfile, GraphError> {
    let body = body.ok_or_else(|| profile_error(id, "no JSON body".into()))?;
    EnrollmentProfile::from_json(body).map_err(|reason| profile_error(id, reason))
}

impl GraphClient {
    /// Every Android Enterprise and AOSP enrollment profile, active or not, following
    /// `@odata.nextLink`. Tokens, QR content and Wi-Fi keys are not fetched: use
    /// [`GraphClient::enrollment_profile`] for one profile's.
    pub async fn enrollment_profiles(&self) -> Result<Vec<EnrollmentProfile>, GraphError> {
        let first = GraphRequest::get(
            format!("{ENROLLMENT_PROFILES}?$select={LIST_SELECT}"),
            "the enrollment profiles",
        );
        self.get_all(first)
            .await?
            .into_iter()
            .map(|item| {
                EnrollmentProfile::from_json(item)
                    .map_err(|reason| profile_error("in the list", reason))
            })
            .collect()
    }

    /// One profile, token and QR content included.
    pub async fn enrollment_profile(&self, id: &str) -> Result<EnrollmentProfile, GraphError> {
        let answer = self.send(&profile_request(id)).await?;
        profile_of(id, answer.body)
    }

    /// Every profile with its token state, as a technician picks one: the list (no secrets),
    /// then each profile read by id for its token and QR content, 20 to a `$batch`. A profile
    /// deleted in between is left out.
    pub async fn enrollment_profiles_with_tokens(
        &self,
    ) -> Result<Vec<EnrollmentProfile>, GraphError> {
        let listed = self.enrollment_profiles().await?;
        let reads: Vec<GraphRequest> = listed.iter().map(|p| profile_request(&p.id)).collect();
        let mut profiles = Vec::with_capacity(listed.len());
        for (p, answer) in listed.iter().zip(self.batch(&reads).await) {
            match answer {
                Ok(answer) => profiles.push(profile_of(&p.id, answer.body)?),
                Err(GraphError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(profiles)
    }

    /// Creates a new token on profile `id` (of `mode`, which sets the limits) valid for
    /// `validity`, then reads the profile again for it. This is also how a token is
    /// **replaced**: the new token voids the old one (seed rule 32). A validity out of bounds
    /// ([`check_token_validity`]) is refused before anything is sent.
    pub async fn create_token(
        &self,
        id: &str,
        mode: EnrollmentMode,
        validity: Duration,
    ) -> Result<EnrollmentProfile, GraphError> {
        let what = format!("a new token for enrollment profile {id}");
        let seconds =
            check_token_validity(mode, validity).map_err(|reason| GraphError::Invalid {
                what: what.clone(),
                reason,
            })?;
        let request = GraphRequest::new(
            HttpMethod::Post,
            format!("{ENROLLMENT_PROFILES}/{}/createToken", encode(id)),
            what,
        )
        .with_body(json!({ "tokenValidityInSeconds": seconds }));
        self.send(&request).await?;
        self.enrollment_profile(id).await
    }

    /// Revokes profile `id`'s token: it expires at once; enrolled devices are unaffected
    /// (seed rule 32).
    pub async fn revoke_token(&self, id: &str) -> Result<(), GraphError> {
        let request = GraphRequest::new(
            HttpMethod::Post,
            format!("{ENROLLMENT_PROFILES}/{}/revokeToken", encode(id)),
            format!("revoking the token of enrollment profile {id}"),
        );
        self.send(&request).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        graph_time(s).unwrap()
    }

    #[test]
    fn token_state_and_accessors_follow_the_clock() {
        let profile = EnrollmentProfile::from_json(json!({
            "id": "p1", "displayName": "Staging", "enrollmentMode": "corporateOwnedFullyManaged",
            "enrollmentTokenType": "deviceStaging", "tokenValue": "ABC", "qrCodeContent": "{}",
            "tokenExpirationDateTime": "2026-01-02T00:00:00Z", "wifiSecurityType": "wpa", "enrolledDeviceCount": 3
        }))
        .unwrap();
        let before = at("2026-01-01T00:00:00Z");
        assert_eq!(
            profile.token_state(before),
            TokenState::Valid {
                expires_in: Some(Duration::from_secs(86_400))
            }
        );
        assert_eq!(profile.usable_token(before).unwrap().expose(), "ABC");
        assert_eq!(profile.wifi.security, Some(WifiSecurity::Wpa));
        assert!(profile.wifi.configure, "Graph's default");
        let after = at("2026-01-02T00:00:01Z");
        assert_eq!(
            profile.token_state(after),
            TokenState::Expired {
                ago: Duration::from_secs(1)
            }
        );
        assert!(
            profile.usable_token(after).is_none() && profile.usable_qr_content(after).is_none()
        );
        assert_eq!(
            profile.token_state(after).to_string(),
            "expired or revoked 1 s ago"
        );
        assert!(!format!("{profile:?}").contains("ABC"));
    }

    #[test]
    fn aosp_plain_token_is_never_offered_and_empty_or_null_values_are_absent() {
        let profile = EnrollmentProfile::from_json(json!({
            "id": "p2", "enrollmentMode": "corporateOwnedAOSPUserlessDevice", "tokenValue": "T",
            "qrCodeContent": "{\"x\":1}", "tokenExpirationDateTime": "0001-01-01T00:00:00Z",
            "wifiPassword": "", "description": null, "enrollmentTokenType": "somethingNew"
        }))
        .unwrap();
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(
            profile.token_state(now),
            TokenState::Valid { expires_in: None }
        );
        assert!(profile.usable_token(now).is_none());
        assert_eq!(
            profile.usable_qr_content(now).unwrap().expose(),
            "{\"x\":1}"
        );
        assert!(profile.wifi.password.is_none() && profile.description.is_none());
        assert_eq!(profile.token_type, TokenType::Unknown);
        assert_eq!(profile.display_name, "p2");
        assert!(EnrollmentProfile::from_json(json!({"displayName": "no id"})).is_err());
    }

    #[test]
    fn a_revoked_token_cleared_by_graph_is_expired_not_absent() {
        let revoked = EnrollmentProfile::from_json(json!({
            "id": "p3", "enrollmentMode": "corporateOwnedFullyManaged", "tokenValue": null,
            "qrCodeContent": null, "tokenExpirationDateTime": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        let now = at("2026-01-01T00:00:05Z");
        assert_eq!(
            revoked.token_state(now),
            TokenState::Expired {
                ago: Duration::from_secs(5)
            }
        );
        let never = EnrollmentProfile::from_json(json!({"id": "p4"})).unwrap();
        assert_eq!(never.token_state(now), TokenState::None);
    }

    #[test]
    fn validity_bounds() {
        let day = Duration::from_secs(86_400);
        assert_eq!(
            check_token_validity(EnrollmentMode::CorporateOwnedAospUserlessDevice, day * 90),
            Ok(7_776_000)
        );
        let e = check_token_validity(
            EnrollmentMode::CorporateOwnedAospUserAssociatedDevice,
            day * 91,
        )
        .unwrap_err();
        assert!(e.contains("90 days") && e.contains("91 days"), "{e}");
        assert!(
            check_token_validity(EnrollmentMode::CorporateOwnedDedicatedDevice, day * 91).is_err()
        );
        assert_eq!(
            check_token_validity(EnrollmentMode::CorporateOwnedFullyManaged, day * 365),
            Ok(31_536_000)
        );
        assert!(
            check_token_validity(EnrollmentMode::CorporateOwnedFullyManaged, Duration::ZERO)
                .is_err()
        );
        let e = check_token_validity(EnrollmentMode::CorporateOwnedWorkProfile, day * 365 * 70)
            .unwrap_err();
        assert!(e.contains("Int32"), "{e}");
    }
}
