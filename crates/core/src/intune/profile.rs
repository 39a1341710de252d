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
