//! Token exports for Google Zero-touch and Samsung Knox Mobile Enrollment (KME), seed rules
//! 59–63: "Export token gives the token's JSON for Zero Touch or KME" (rule 32).
//!
//! **Zero-touch DPC extras** (rule 61; seed `003_729e51c15a5a5608.txt:3158-3185`; reference
//! §1.1): exactly the four keys `android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME`,
//! `…_DEVICE_ADMIN_SIGNATURE_CHECKSUM`, `…_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION` and
//! `…_ADMIN_EXTRAS_BUNDLE` holding `com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN`,
//! in that order, the token as a JSON string (the seed's "surround the token with double
//! quotes"; JSON escaping does the rest). Built by [`Payload::android_enterprise`], so the
//! values are the provisioning constants: the checksum is Microsoft's current value
//! (`I5YvS0O5…`, §1.1). The 2022 seed text prints `I5YvS005hXY46mb01B1Rjq4oJJGs2kuUcHvVkJAPEXlg`,
//! 44 characters, which cannot be an unpadded URL-safe base64 SHA-256 (43): a transcription
//! error, not followed. Zero-touch's default configuration is fully managed only (rule 60).
//!
//! **KME Custom JSON** (rule 63; seed `003_729e51c15a5a5608.txt:4081`):
//! `{"com.google.android.apps.work.cloudpc.EXTRA_ENROLLMENT_TOKEN": "<token>"}`. Note
//! `cloudpc`, where Zero-touch has `clouddpc`: the seed and the requirements (P10) spell it
//! so, and it is emitted exactly as written, with a warning to check it against Microsoft's
//! current KME article (P10 calls it a probable typo).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::profiles::{EnrollmentProfile, TokenState};
use crate::intune::profile::{android_floor_note, EnrollmentMode};
use crate::provisioning::{Payload, ProvisioningError};
use crate::secret::SecretText;

/// The KME Custom JSON key, spelled as the Intune doc spells it (seed rule 63, P10).
pub const KME_TOKEN_KEY: &str = "com.google.android.apps.work.cloudpc.EXTRA_ENROLLMENT_TOKEN";

/// The KME "MDM Agent APK" for Android Enterprise Device Owner profiles (seed rule 63).
pub const KME_AGENT_APK: &str = "https://aka.ms/intune_kme_deviceowner";

/// Rule 60, shown with every Zero-touch export.
pub const ZERO_TOUCH_DEFAULT_IS_FULLY_MANAGED: &str = "Zero-touch's default configuration (made when the zero-touch account is \
linked to Intune) enrolls devices as fully managed only; make dedicated and COPE configurations in the zero-touch portal.";

/// Rule 63 and P10, shown with every KME export.
pub const KME_KEY_SPELLING: &str = "The key is spelled `…work.cloudpc.EXTRA_ENROLLMENT_TOKEN` as in Microsoft's KME \
instructions (Zero-touch uses `clouddpc`); confirm it against the current Intune KME article before a large rollout.";

/// An exported token JSON. The text embeds the token: it is a secret.
#[derive(Debug, Clone)]
pub struct TokenExport {
    json: SecretText,
    /// What the admin must know before pasting it.
    pub warnings: Vec<String>,
}

impl TokenExport {
    /// The JSON text to paste (holds the token).
    pub fn json(&self) -> &SecretText {
        &self.json
    }
}

/// Why a token cannot be exported.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExportError {
    /// No token, or an expired or revoked one (seed rule 30: never hand one out).
    #[error("enrollment profile {profile} has no usable token ({state}): create a new token, then export again")]
    NoUsableToken {
        /// The profile's name.
        profile: String,
        /// The token's state.
        state: String,
    },
    /// AOSP profiles do not enroll through Zero-touch or KME.
    #[error("enrollment profile {profile} is {mode}: Zero-touch and KME enroll Android Enterprise devices; AOSP devices enroll by scanning the profile's QR code")]
    NotAndroidEnterprise {
        /// The profile's name.
        profile: String,
        /// Its mode.
        mode: EnrollmentMode,
    },
    /// The token itself is unusable (empty or with control characters).
    #[error(transparent)]
    Token(#[from] ProvisioningError),
}

/// The Zero-touch "DPC extras" JSON for `profile`'s token (valid at `now`).
pub fn zero_touch_dpc_extras(
    profile: &EnrollmentProfile,
    now: OffsetDateTime,
) -> Result<TokenExport, ExportError> {
    let token = exportable(profile, now)?;
    let payload = Payload::android_enterprise(token.expose(), None)?;
    let mut warnings = vec![ZERO_TOUCH_DEFAULT_IS_FULLY_MANAGED.to_owned()];
    if profile.mode != EnrollmentMode::CorporateOwnedFullyManaged {
        warnings.push(format!(
            "This profile is {}: put it in its own configuration in the zero-touch portal, not in the default one.",
            profile.mode
        ));
    }
    warnings.push("In the zero-touch portal select Microsoft Intune as the EMM DPC and paste this into DPC extras.".into());
    warnings.extend(expiry_warning(profile, now));
    Ok(TokenExport {
        json: SecretText::new(payload.qr_text()),
        warnings,
    })
}

/// The KME "Custom JSON Data" for `profile`'s token (valid at `now`).
pub fn kme_custom_json(
    profile: &EnrollmentProfile,
    now: OffsetDateTime,
) -> Result<TokenExport, ExportError> {
    let token = exportable(profile, now)?;
    let mut object = serde_json::Map::new();
    object.insert(KME_TOKEN_KEY.to_owned(), token.expose().trim().into());
    let mut warnings = vec![
        KME_KEY_SPELLING.to_owned(),
        format!(
            "In Knox: profile type Device Owner, Pick your MDM = Microsoft Intune, MDM Agent APK {KME_AGENT_APK}, \
             System applications = Leave all system apps enabled, Server URI and Dual DAR blank; devices need Knox 2.8+ and Android 8.0+ for KME."
        ),
    ];
    // Fully managed and staging profiles: Microsoft's pages now differ on the Android floor.
    warnings.extend(android_floor_note(profile.mode, profile.token_type));
    warnings.extend(expiry_warning(profile, now));
    Ok(TokenExport {
        json: SecretText::new(serde_json::Value::Object(object).to_string()),
        warnings,
    })
}

/// The token, if it may be exported.
fn exportable(
    profile: &EnrollmentProfile,
    now: OffsetDateTime,
) -> Result<&SecretText, ExportError> {
    if profile.mode.is_aosp() {
        return Err(ExportError::NotAndroidEnterprise {
            profile: profile.display_name.clone(),
            mode: profile.mode,
        });
    }
    profile
        .usable_token(now)
        .ok_or_else(|| ExportError::NoUsableToken {
            profile: profile.display_name.clone(),
            state: profile.token_state(now).to_string(),
        })
}

fn expiry_warning(profile: &EnrollmentProfile, now: OffsetDateTime) -> Option<String> {
    let TokenState::Valid {
        expires_in: Some(_),
    } = profile.token_state(now)
    else {
        return None;
    };
    let at = profile.token_expires?.format(&Rfc3339).ok()?;
    Some(format!(
        "The token expires at {at}: devices that reach setup later cannot enroll; replace the token and update this configuration before then."
    ))
}
