//! `managedDevice` as the bench reads it: the stage-tracking fields of reference §3.3.
//!
//! Graph beta adds enum values without notice (the 2026 type mappings added several), so every
//! enum keeps a value it does not know as `Other(raw)` instead of failing the whole answer;
//! only the values the bench acts on are named.

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::{graph_time, non_empty};

/// `$select` for device lookups: the fields [`ManagedDevice`] holds (lists return `notes` as
/// null, reference §3.3, so it is only selected when one device is read by id).
pub const DEVICE_SELECT: &str = "id,deviceName,managedDeviceName,serialNumber,imei,userPrincipalName,userId,userDisplayName,\
enrolledDateTime,lastSyncDateTime,managementState,deviceEnrollmentType,managementAgent,model,manufacturer,osVersion,\
complianceState,enrollmentProfileName,usersLoggedOn";

/// Declares a Graph enum that keeps unknown values: `Name { Variant = "graphValue" => "doc", … }`.
macro_rules! graph_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal => $doc:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = $doc] $variant,)+
            /// A value this build does not name (newer Graph, or not used by the bench), as sent.
            Other(String),
        }

        impl $name {
            /// From Graph's value.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }

            /// Graph's value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(raw) => raw,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Option::<String>::deserialize(d)?.map_or_else($name::default, |s| $name::parse(&s)))
            }
        }
    };
}

graph_enum! {
    /// `managementState`.
    ManagementState {
        Managed = "managed" => "Under management.",
        RetirePending = "retirePending" => "Retire in progress.",
        WipePending = "wipePending" => "Wipe in progress.",
        DeletePending = "deletePending" => "Delete in progress.",
        Discovered = "discovered" => "Discovered, not yet managed.",
        Unhealthy = "unhealthy" => "Unhealthy.",
    }
}

graph_enum! {
    /// `deviceEnrollmentType`: how the device came under management.
    DeviceEnrollmentType {
        AndroidEnterpriseDedicatedDevice = "androidEnterpriseDedicatedDevice" => "Android Enterprise dedicated.",
        AndroidEnterpriseFullyManaged = "androidEnterpriseFullyManaged" => "Android Enterprise fully managed.",
        AndroidEnterpriseCorporateWorkProfile = "androidEnterpriseCorporateWorkProfile" => "Android Enterprise COPE.",
        AndroidAospUserOwned = "androidAOSPUserOwnedDeviceEnrollment" => "AOSP user-associated.",
        AndroidAospUserless = "androidAOSPUserlessDeviceEnrollment" => "AOSP userless.",
        DeviceEnrollmentManager = "deviceEnrollmentManager" => "Enrolled by a device enrollment manager (DEM) account.",
        WindowsAzureAdJoin = "windowsAzureADJoin" => "Windows Entra join.",
        WindowsAutoEnrollment = "windowsAutoEnrollment" => "Windows automatic enrollment.",
        Unknown = "unknown" => "Not collected.",
    }
}

graph_enum! {
    /// `managementAgent`.
    ManagementAgent {
        Mdm = "mdm" => "Intune MDM.",
        GoogleCloudDevicePolicyController = "googleCloudDevicePolicyController" => "Android Enterprise (Android Device Policy).",
        IntuneAosp = "intuneAosp" => "Intune AOSP agent.",
        Unknown = "unknown" => "Unknown.",
    }
}

graph_enum! {
    /// `complianceState`.
    ComplianceState {
        Unknown = "unknown" => "Not evaluated yet.",
        Compliant = "compliant" => "Compliant.",
        Noncompliant = "noncompliant" => "Non-compliant, blocked from corporate resources.",
        Conflict = "conflict" => "Conflicting rules.",
        Error = "error" => "Evaluation error.",
        InGracePeriod = "inGracePeriod" => "Non-compliant, still in its grace period.",
        ConfigManager = "configManager" => "Managed by Configuration Manager.",
    }
}

/// One entry of `usersLoggedOn` (`loggedOnUser`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedOnUser {
    /// The Entra user id.
    pub user_id: String,
    /// When that user last signed in on the device.
    pub last_logon: Option<OffsetDateTime>,
}

/// A managed device.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManagedDevice {
    /// Intune's device id.
    pub id: String,
    /// `deviceName` (`Staging_<serial>_…` during stage 2).
    pub device_name: String,
    /// `managedDeviceName`.
    pub managed_device_name: Option<String>,
    /// `serialNumber` (Android: not guaranteed unique or present).
    pub serial_number: String,
    /// `imei`.
    pub imei: Option<String>,
    /// `userPrincipalName` of the device's (primary) user.
    pub user_principal_name: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// `userDisplayName`.
    pub user_display_name: Option<String>,
    /// `enrolledDateTime`.
    pub enrolled: Option<OffsetDateTime>,
    /// `lastSyncDateTime`.
    pub last_sync: Option<OffsetDateTime>,
    /// `managementState`.
    pub management_state: ManagementState,
    /// `deviceEnrollmentType`.
    pub enrollment_type: DeviceEnrollmentType,
    /// `managementAgent`.
    pub management_agent: ManagementAgent,
    /// `model`.
    pub model: Option<String>,
    /// `manufacturer`.
    pub manufacturer: Option<String>,
    /// `osVersion`.
    pub os_version: Option<String>,
    /// `complianceState`.
    pub compliance_state: ComplianceState,
    /// `enrollmentProfileName`.
    pub enrollment_profile_name: Option<String>,
    /// `notes`: only read when the device was fetched by id (lists return null).
    pub notes: Option<String>,
    /// `usersLoggedOn`, as Graph lists them.
    pub users_logged_on: Vec<LoggedOnUser>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Wire {
    id: Option<String>,
    device_name: Option<String>,
    managed_device_name: Option<String>,
    serial_number: Option<String>,
    imei: Option<String>,
    user_principal_name: Option<String>,
    user_id: Option<String>,
    user_display_name: Option<String>,
    enrolled_date_time: Option<String>,
    last_sync_date_time: Option<String>,
    management_state: ManagementState,
    device_enrollment_type: DeviceEnrollmentType,
    management_agent: ManagementAgent,
    model: Option<String>,
    manufacturer: Option<String>,
    os_version: Option<String>,
    compliance_state: ComplianceState,
    enrollment_profile_name: Option<String>,
    notes: Option<String>,
    users_logged_on: Option<Vec<LoggedOnWire>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LoggedOnWire {
    user_id: Option<String>,
    last_log_on_date_time: Option<String>,
}

impl ManagedDevice {
    /// Reads a device from Graph's JSON; the error says what was wrong.
    pub fn from_json(value: Value) -> Result<ManagedDevice, String> {
        let wire: Wire =
            serde_json::from_value(value).map_err(|e| format!("not a managed device: {e}"))?;
        let id = non_empty(wire.id).ok_or("a managed device without an id")?;
        Ok(ManagedDevice {
            id,
            device_name: wire.device_name.unwrap_or_default(),
            managed_device_name: non_empty(wire.managed_device_name),
            serial_number: wire.serial_number.unwrap_or_default(),
            imei: non_empty(wire.imei),
            user_principal_name: non_empty(wire.user_principal_name),
            user_id: non_empty(wire.user_id),
            user_display_name: non_empty(wire.user_display_name),
            enrolled: wire.enrolled_date_time.as_deref().and_then(graph_time),
            last_sync: wire.last_sync_date_time.as_deref().and_then(graph_time),
            management_state: wire.management_state,
            enrollment_type: wire.device_enrollment_type,
            management_agent: wire.management_agent,
            model: non_empty(wire.model),
            manufacturer: non_empty(wire.manufacturer),
            os_version: non_empty(wire.os_version),
            compliance_state: wire.compliance_state,
            enrollment_profile_name: non_empty(wire.enrollment_profile_name),
            notes: wire.notes,
            users_logged_on: wire
                .users_logged_on
                .unwrap_or_default()
                .into_iter()
                .filter_map(|u| {
                    Some(LoggedOnUser {
                        user_id: non_empty(u.user_id)?,
                        last_logon: u.last_log_on_date_time.as_deref().and_then(graph_time),
                    })
                })
                .collect(),
        })
    }

    /// Whether Intune's serial is `serial` (trimmed, ASCII case ignored, as Graph's `eq` does).
    pub fn has_serial(&self, serial: &str) -> bool {
        let ours = self.serial_number.trim();
        !ours.is_empty() && ours.eq_ignore_ascii_case(serial.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_enum_values_are_kept_and_empty_users_are_absent() {
        let device = ManagedDevice::from_json(json!({
            "id": "d1", "serialNumber": "R58N", "userPrincipalName": "", "managementState": "brandNewState",
            "deviceEnrollmentType": "androidAOSPUserlessDeviceEnrollment", "managementAgent": null,
            "complianceState": "inGracePeriod", "enrolledDateTime": "2026-03-01T10:00:00.1234567Z",
            "usersLoggedOn": [{"userId": "u1", "lastLogOnDateTime": "2026-03-01T11:00:00Z"}, {"userId": null}],
            "someNewProperty": {"nested": true}
        }))
        .unwrap();
        assert_eq!(
            device.management_state,
            ManagementState::Other("brandNewState".into())
        );
        assert_eq!(device.management_state.as_str(), "brandNewState");
        assert_eq!(
            device.enrollment_type,
            DeviceEnrollmentType::AndroidAospUserless
        );
        assert_eq!(
            device.management_agent,
            ManagementAgent::Other(String::new())
        );
        assert_eq!(device.compliance_state, ComplianceState::InGracePeriod);
        assert_eq!(device.user_principal_name, None);
        assert_eq!(device.enrolled.unwrap().nanosecond(), 123_456_700);
        assert_eq!(device.users_logged_on.len(), 1);
        assert!(device.has_serial(" r58n ") && !device.has_serial("R58"));
        assert!(ManagedDevice::from_json(json!({"serialNumber": "x"})).is_err());
        assert!(ManagedDevice::from_json(json!({"id": "d", "usersLoggedOn": "nope"})).is_err());
    }
}
