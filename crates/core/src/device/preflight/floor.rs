//! The Android-version floor: which Android a profile needs, as each Microsoft document says.
//!
//! Microsoft's documents disagree (issue 15, point 1): the fully managed set-up page moved to
//! Android 10 (for fully managed devices and for the staging token) while the Device staging
//! overview still says Android 8. So below Android 8 is a blocker (every document agrees), and
//! Android 8 or 9 on a fully managed or staging profile is a warning naming both documents.
//! COPE with the default token and dedicated keep Android 8 (the COPE set-up page, ms.date
//! 2025-05-08, says "Android OS version 8.0 and above"; the supported-OS page, ms.date
//! 2025-10-14, lists dedicated under "Android 8.0 and later for userless management methods").
//! AOSP profiles have no such rule here: Microsoft's AOSP list gives each device's firmware
//! instead (`aosp-device-list`, `realwear-firmware`). The two documents, with their addresses
//! and dates, are the enrollment profile's facts ([`crate::intune::profile::FULLY_MANAGED_PAGE`],
//! [`crate::intune::profile::STAGING_OVERVIEW`]), so the profile hints quote the same ones.

use super::{android_name, finding, Finding, PreflightInput, Severity};
use crate::intune::profile::{EnrollmentMode, TokenType, FULLY_MANAGED_PAGE, STAGING_OVERVIEW};

/// Android 8.0's API level.
const SDK_ANDROID_8: u32 = 26;
/// Android 10's API level.
const SDK_ANDROID_10: u32 = 29;

/// Seed 1, 15, 16: fully managed, dedicated and COPE (and the staging token) need Android 8.0+.
/// Not applied to AOSP profiles, which have no such rule in the seeds.
pub(super) fn android_8(input: &PreflightInput<'_>) -> Option<Finding> {
    let sdk = input.facts.sdk?;
    if sdk >= SDK_ANDROID_8 || input.profile.is_some_and(|p| p.aosp()) {
        return None;
    }
    finding(
        "android-8",
        Severity::Blocker,
        format!(
            "This device runs {}: Intune enrolls fully managed, dedicated and COPE devices from Android 8.0 on.",
            android_name(input.facts)
        ),
        "Update the device to Android 8 or later, or set it aside: it can't be staged.",
    )
}

/// Android 8 or 9 on a fully managed profile (either token) or any staging profile: a warning
/// naming [`FULLY_MANAGED_PAGE`] (Android 10) and [`STAGING_OVERVIEW`] (Android 8).
pub(super) fn android_10(input: &PreflightInput<'_>) -> Option<Finding> {
    let profile = input.profile?;
    let sdk = input.facts.sdk?;
    let fully_managed = profile.enrollment_mode == EnrollmentMode::CorporateOwnedFullyManaged;
    let staging = profile.token_type == TokenType::DeviceStaging;
    if !(fully_managed || staging) || !(SDK_ANDROID_8..SDK_ANDROID_10).contains(&sdk) {
        return None;
    }
    let (new, old) = (FULLY_MANAGED_PAGE, STAGING_OVERVIEW);
    let what = if fully_managed {
        "fully managed devices and device staging"
    } else {
        "device staging"
    };
    finding(
        "android-10",
        Severity::Warning,
        format!(
            "This device runs {}: Microsoft's {} (ms.date {}) says {what} need Android {} or later; its {} (ms.date {}) still says Android {} or later.",
            android_name(input.facts),
            new.title,
            new.ms_date,
            new.android,
            old.title,
            old.ms_date,
            old.android,
        ),
        "Update it to Android 10 or later if its maker offers that; otherwise stage it only if the customer accepts that Intune may not support it.",
    )
}
