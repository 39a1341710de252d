//! Enrollment QR payloads: Android Enterprise (built or taken from an Intune export) and AOSP
//! (Intune's content, verbatim).
//!
//! Layout: [`wifi`] validates the bench Wi-Fi; [`payload`] builds and checks payloads and their
//! safe-to-log [`PayloadSummary`]; `json` keeps JSON key order; `error` ([`ProvisioningError`])
//! says what is wrong and how to fix it, never quoting a secret.
//!
//! The exact JSON comes from `reference/intune-android-adb.md` §1.1 (Android Enterprise) and
//! §2 (AOSP: not publicly documented, so never rebuilt, only encoded as Intune gave it).

mod error;
mod json;
pub mod payload;
pub mod wifi;

pub use error::ProvisioningError;
pub use payload::{Payload, PayloadKind, PayloadSummary, TokenKind};
pub use wifi::{WifiConfig, WifiSecurity};

/// Prefix shared by every provisioning extra; other top-level keys don't belong in a QR.
pub const PROVISIONING_PREFIX: &str = "android.app.extra.PROVISIONING_";
/// Required: the device policy controller's admin receiver.
pub const KEY_COMPONENT_NAME: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";
/// Required: URL-safe base64 SHA-256 of the DPC's signing certificate.
pub const KEY_SIGNATURE_CHECKSUM: &str =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM";
/// Required: where setup downloads the DPC.
pub const KEY_DOWNLOAD_LOCATION: &str =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION";
/// Required: the bundle handed to the DPC; carries the enrollment token.
pub const KEY_ADMIN_EXTRAS_BUNDLE: &str = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
/// Inside the admin extras bundle: the Intune enrollment token (the profile's `tokenValue`).
pub const KEY_ENROLLMENT_TOKEN: &str =
    "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN";
/// Wi-Fi network name (string).
pub const KEY_WIFI_SSID: &str = "android.app.extra.PROVISIONING_WIFI_SSID";
/// `NONE` | `WPA` | `WEP` | `EAP`, exact upper case (anything else means an open network).
pub const KEY_WIFI_SECURITY_TYPE: &str = "android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE";
/// Wi-Fi key (string, plain text in the QR).
pub const KEY_WIFI_PASSWORD: &str = "android.app.extra.PROVISIONING_WIFI_PASSWORD";
/// Hidden network (JSON boolean).
pub const KEY_WIFI_HIDDEN: &str = "android.app.extra.PROVISIONING_WIFI_HIDDEN";
/// Prefix of every Wi-Fi extra (SSID, proxy, EAP…): replaced as a group by the bench Wi-Fi.
pub const WIFI_PREFIX: &str = "android.app.extra.PROVISIONING_WIFI_";

/// Intune's device policy controller on Android Enterprise (Google's CloudDPC), §1.1.
pub const CLOUDDPC_COMPONENT_NAME: &str =
    "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver";
/// CloudDPC signing-certificate checksum, §1.1 (the Microsoft value).
pub const CLOUDDPC_SIGNATURE_CHECKSUM: &str = "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg";
/// CloudDPC download location, §1.1.
pub const CLOUDDPC_DOWNLOAD_LOCATION: &str =
    "https://play.google.com/managed/downloadManagingApp?identifier=setup";
