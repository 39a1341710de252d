//! The enrollment profile facts the device rules need, named as Microsoft Graph (beta) names
//! them on `androidDeviceOwnerEnrollmentProfile` (shared/reference/intune-android-adb.md §3.1).
//!
//! No ts-rs derive yet: ts-rs can't read `#[serde(other)]`, and these don't cross to the UI.

use std::fmt;

/// Graph `androidDeviceOwnerEnrollmentMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EnrollmentMode {
    /// `corporateOwnedDedicatedDevice`: dedicated (kiosk) devices.
    #[serde(rename = "corporateOwnedDedicatedDevice")]
    CorporateOwnedDedicatedDevice,
    /// `corporateOwnedFullyManaged`: fully managed.
    #[serde(rename = "corporateOwnedFullyManaged")]
    CorporateOwnedFullyManaged,
    /// `corporateOwnedWorkProfile`: corporate-owned with a work profile (COPE).
    #[serde(rename = "corporateOwnedWorkProfile")]
    CorporateOwnedWorkProfile,
    /// `corporateOwnedAOSPUserlessDevice`: AOSP userless (RealWear).
    #[serde(rename = "corporateOwnedAOSPUserlessDevice")]
    CorporateOwnedAospUserlessDevice,
    /// `corporateOwnedAOSPUserAssociatedDevice`: AOSP user-associated.
    #[serde(rename = "corporateOwnedAOSPUserAssociatedDevice")]
    CorporateOwnedAospUserAssociatedDevice,
    /// A value newer than this build (Graph beta adds values, e.g. `unknownFutureValue`).
    #[serde(other, rename = "unknown")]
    Unknown,
}

impl EnrollmentMode {
    /// Every known mode.
    pub const ALL: [EnrollmentMode; 5] = [
        EnrollmentMode::CorporateOwnedDedicatedDevice,
        EnrollmentMode::CorporateOwnedFullyManaged,
        EnrollmentMode::CorporateOwnedWorkProfile,
        EnrollmentMode::CorporateOwnedAospUserlessDevice,
        EnrollmentMode::CorporateOwnedAospUserAssociatedDevice,
    ];

    /// The Graph name.
    pub fn graph_name(self) -> &'static str {
        match self {
            EnrollmentMode::CorporateOwnedDedicatedDevice => "corporateOwnedDedicatedDevice",
            EnrollmentMode::CorporateOwnedFullyManaged => "corporateOwnedFullyManaged",
            EnrollmentMode::CorporateOwnedWorkProfile => "corporateOwnedWorkProfile",
            EnrollmentMode::CorporateOwnedAospUserlessDevice => "corporateOwnedAOSPUserlessDevice",
            EnrollmentMode::CorporateOwnedAospUserAssociatedDevice => {
                "corporateOwnedAOSPUserAssociatedDevice"
            }
            EnrollmentMode::Unknown => "unknown",
        }
    }

    /// The known mode Graph calls `name`.
    pub fn from_graph_name(name: &str) -> Option<EnrollmentMode> {
        EnrollmentMode::ALL
            .into_iter()
            .find(|m| m.graph_name() == name)
    }

    /// How technicians call it.
    pub fn label(self) -> &'static str {
        match self {
            EnrollmentMode::CorporateOwnedDedicatedDevice => "dedicated",
            EnrollmentMode::CorporateOwnedFullyManaged => "fully managed",
            EnrollmentMode::CorporateOwnedWorkProfile => "corporate-owned work profile (COPE)",
            EnrollmentMode::CorporateOwnedAospUserlessDevice => "AOSP userless",
            EnrollmentMode::CorporateOwnedAospUserAssociatedDevice => "AOSP user-associated",
            EnrollmentMode::Unknown => "unknown enrollment mode",
        }
    }

    /// Whether the mode is one of the AOSP (non-GMS, e.g. RealWear) modes.
    pub fn is_aosp(self) -> bool {
        matches!(
            self,
            EnrollmentMode::CorporateOwnedAospUserlessDevice
                | EnrollmentMode::CorporateOwnedAospUserAssociatedDevice
        )
    }
}

impl fmt::Display for EnrollmentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Graph `androidDeviceOwnerEnrollmentTokenType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TokenType {
    /// `default`.
    #[serde(rename = "default")]
    Default,
    /// `corporateOwnedDedicatedDeviceWithAzureADSharedMode`: dedicated with Entra shared mode.
    #[serde(rename = "corporateOwnedDedicatedDeviceWithAzureADSharedMode")]
    CorporateOwnedDedicatedDeviceWithAzureAdSharedMode,
    /// `deviceStaging`: the staging token (stages 1–3, seed requirement 1).
    #[serde(rename = "deviceStaging")]
    DeviceStaging,
    /// A value newer than this build.
    #[serde(other, rename = "unknown")]
    Unknown,
}

impl TokenType {
    /// The Graph name.
    pub fn graph_name(self) -> &'static str {
        match self {
            TokenType::Default => "default",
            TokenType::CorporateOwnedDedicatedDeviceWithAzureAdSharedMode => {
                "corporateOwnedDedicatedDeviceWithAzureADSharedMode"
            }
            TokenType::DeviceStaging => "deviceStaging",
            TokenType::Unknown => "unknown",
        }
    }
}

/// What the rules need to know about the enrollment profile the device will be staged with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProfileContext {
    /// The profile's `enrollmentMode`.
    pub enrollment_mode: EnrollmentMode,
    /// The profile's `enrollmentTokenType`.
    pub token_type: TokenType,
}

impl ProfileContext {
    /// A profile of this mode and token type.
    pub fn new(enrollment_mode: EnrollmentMode, token_type: TokenType) -> Self {
        Self {
            enrollment_mode,
            token_type,
        }
    }

    /// Whether the profile enrolls AOSP (derived from the mode, so it can't disagree with it).
    pub fn aosp(&self) -> bool {
        self.enrollment_mode.is_aosp()
    }
}

/// A Microsoft document an Android-version floor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorSource {
    /// The page, as the bench names it.
    pub title: &'static str,
    /// Where it is published.
    pub url: &'static str,
    /// Its `ms.date`.
    pub ms_date: &'static str,
    /// The Android version it asks for.
    pub android: u32,
}

/// *Set up enrollment for Android Enterprise fully managed devices*: "Devices must: Run Android
/// OS version 10.0 and later." and "Intune supports device staging for Android Enterprise
/// devices running Android 10 or later." Read from memdocs-change-tracker
/// `intune/device-enrollment/android/setup-fully-managed.md` @a39a8f27 (ms.date 2026-05-19);
/// the MicrosoftDocs/memdocs copy at this address (ms.date 05/08/2025) says the same. Differs
/// from the seeds 000_11dd9b7ef189bb7b.txt:39 and 001_ee505eef212d6075.txt:12 (Android 8);
/// where they differ the bench follows Microsoft's newer page, as a warning.
pub const FULLY_MANAGED_PAGE: FloorSource = FloorSource {
    title: "fully managed set-up page",
    url:
        "https://learn.microsoft.com/intune/intune-service/enrollment/android-fully-managed-enroll",
    ms_date: "2026-05-19",
    android: 10,
};

/// *Device staging overview*: "Device platform requirements — Android Enterprise devices
/// running Android 8 or later." Read from memdocs-change-tracker
/// `intune/device-enrollment/android/device-staging.md` @a39a8f27 (ms.date 2025-06-04), as the
/// seed 000_11dd9b7ef189bb7b.txt:39 (ms.date 11/14/2024) says.
pub const STAGING_OVERVIEW: FloorSource = FloorSource {
    title: "Device staging overview",
    url: "https://learn.microsoft.com/intune/intune-service/enrollment/device-staging-overview",
    ms_date: "2025-06-04",
    android: 8,
};

/// What a fully managed or staging profile says about the Android version its devices need,
/// with both of Microsoft's documents ([`FULLY_MANAGED_PAGE`], [`STAGING_OVERVIEW`]); `None`
/// for the other profiles (COPE with the default token and dedicated keep Android 8, AOSP has
/// Microsoft's device list).
pub fn android_floor_note(mode: EnrollmentMode, token: TokenType) -> Option<String> {
    let fully_managed = mode == EnrollmentMode::CorporateOwnedFullyManaged;
    if !fully_managed && token != TokenType::DeviceStaging {
        return None;
    }
    let (new, old) = (FULLY_MANAGED_PAGE, STAGING_OVERVIEW);
    Some(format!(
        "Android version: Microsoft's {} (ms.date {}) asks for Android {} or later for fully managed devices and device staging; its {} (ms.date {}) still says Android {}. The bench warns on Android {}–9 and blocks below {}.",
        new.title, new.ms_date, new.android, old.title, old.ms_date, old.android, old.android, old.android
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_names_round_trip() {
        for mode in EnrollmentMode::ALL {
            let json = serde_json::to_value(mode).unwrap();
            assert_eq!(json, mode.graph_name());
            assert_eq!(
                serde_json::from_value::<EnrollmentMode>(json).unwrap(),
                mode
            );
        }
        for token in [
            TokenType::Default,
            TokenType::CorporateOwnedDedicatedDeviceWithAzureAdSharedMode,
            TokenType::DeviceStaging,
        ] {
            let json = serde_json::to_value(token).unwrap();
            assert_eq!(json, token.graph_name());
            assert_eq!(serde_json::from_value::<TokenType>(json).unwrap(), token);
        }
        let future: EnrollmentMode = serde_json::from_str("\"unknownFutureValue\"").unwrap();
        assert_eq!(future, EnrollmentMode::Unknown);
        assert!(EnrollmentMode::CorporateOwnedAospUserlessDevice.is_aosp());
        assert!(!EnrollmentMode::CorporateOwnedWorkProfile.is_aosp());
    }
}
