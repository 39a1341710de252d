//! The AOSP rules: Microsoft's supported-device list and its firmware minimums
//! ([`aosp_list`](crate::device::aosp_list), a data file with its source and date), and the
//! Intune app AOSP devices need.
//!
//! RealWear headsets are checked by `realwear-firmware` (their firmware version can be read,
//! and Intune enrolls them only through AOSP, so it runs without a profile too); every other
//! maker the list names by `aosp-device-list`, on an AOSP profile. A maker the list does not
//! name stays silent: the list names makers by marketing name, and a listed maker's devices may
//! report another `ro.product.manufacturer` (none is confirmed beyond RealWear's), so "not on
//! the list" can't be told from "not recognised".

use super::{finding, Finding, PreflightInput, Severity};
use crate::device::aosp_list::{aosp_list, AospDevice, Listing};
use crate::device::realwear::{is_realwear, realwear_model};
use crate::device::version::AppVersion;

/// The oldest Intune app AOSP devices sync with (seed 46: from 1 October 2024, P8).
pub const AOSP_MIN_INTUNE_APP: &str = "24.7.0";

/// Whether the AOSP rules apply: the profile is AOSP, or there is no profile and the device is
/// a RealWear (Intune enrolls RealWear only through AOSP).
fn aosp(input: &PreflightInput<'_>) -> bool {
    match input.profile {
        Some(profile) => profile.aosp(),
        None => input.facts.manufacturer.as_deref().is_some_and(is_realwear),
    }
}

/// Seed 45 (open point P7), field notes §0, and Microsoft's AOSP list (ms.date in the data
/// file): the RealWear model must be on the list and run at least its minimum firmware. A
/// model off the list, or an unreadable firmware version, is a warning.
pub(super) fn realwear_firmware(input: &PreflightInput<'_>) -> Option<Finding> {
    let maker = input
        .facts
        .manufacturer
        .as_deref()
        .filter(|m| is_realwear(m))?;
    if !aosp(input) {
        return None;
    }
    let list = aosp_list();
    let model_code = input.facts.model.as_deref().unwrap_or("");
    let row = match list.find(maker, model_code) {
        Listing::Listed(row) => row,
        Listing::NotListed(_) | Listing::UnknownMaker => {
            let message = match realwear_model(maker, model_code) {
                Some(model) => {
                    format!("The RealWear {} is not on {}.", model.name, list.citation())
                }
                None => format!(
                    "RealWear model {model_code:?} is not on {}.",
                    list.citation()
                ),
            };
            return finding(
                "realwear-firmware",
                Severity::Warning,
                message,
                "Check Microsoft's AOSP supported devices list for this model before staging: Intune may not enroll it.",
            );
        }
    };
    let name = &row.device;
    let Some(min) = row.min_version() else {
        return check_by_hand(row, list.citation());
    };
    let version = input.evidence.and_then(|e| e.firmware.version.clone());
    match version {
        Some(v) if v >= min => None,
        Some(v) => finding(
            "realwear-firmware",
            Severity::Blocker,
            format!("The RealWear {name} runs firmware {v}; Intune AOSP needs {min} or later."),
            &format!("Update the headset's firmware to {min} or later (the minimum on {}) with RealWear Explorer or the RealWear firmware update, then stage it.", list.citation()),
        ),
        None => finding(
            "realwear-firmware",
            Severity::Warning,
            format!("StageBench could not read the firmware version of this RealWear {name}; Intune AOSP needs {min} or later ({}).", list.citation()),
            &format!("Check the firmware version on the headset (My Programs › Settings › About device) is {min} or later."),
        ),
    }
}

/// A listed RealWear whose minimum is not a plain version: the technician compares it.
fn check_by_hand(row: &AospDevice, citation: String) -> Option<Finding> {
    finding(
        "realwear-firmware",
        Severity::Warning,
        format!(
            "{citation} gives the {} a minimum firmware StageBench can't compare: {}.",
            row.device, row.minimum_firmware
        ),
        &format!(
            "Check the headset's firmware is {} or later before staging.",
            row.minimum_firmware
        ),
    )
}

/// Microsoft's AOSP list, for makers other than RealWear, on an AOSP profile: a model of a
/// listed maker that the list does not name is a warning (Intune may not enroll it); a listed
/// one is a warning to check its minimum firmware, which StageBench can't read for these makers.
pub(super) fn aosp_device_list(input: &PreflightInput<'_>) -> Option<Finding> {
    if !input.profile?.aosp() {
        return None;
    }
    let maker = input
        .facts
        .manufacturer
        .as_deref()
        .filter(|m| !is_realwear(m))?;
    let model = input.facts.model.as_deref().unwrap_or("");
    let list = aosp_list();
    match list.find(maker, model) {
        Listing::UnknownMaker => None,
        Listing::NotListed(rows) => {
            let names: Vec<&str> = rows.iter().map(|r| r.device.as_str()).collect();
            finding(
                "aosp-device-list",
                Severity::Warning,
                format!(
                    "{maker} model {model:?} is not on {}, which lists for {}: {}.",
                    list.citation(),
                    rows[0].oem,
                    names.join(", ")
                ),
                "Check Microsoft's AOSP supported devices list for this model before staging: Intune may not enroll it.",
            )
        }
        Listing::Listed(row) => {
            let restriction = row
                .restrictions
                .as_deref()
                .map(|r| format!("; restriction: {r}"))
                .unwrap_or_default();
            finding(
                "aosp-device-list",
                Severity::Warning,
                format!(
                    "The {} {} is on {} with minimum firmware {}{restriction}; StageBench can't read this maker's firmware version.",
                    row.oem,
                    row.device,
                    list.citation(),
                    row.minimum_firmware
                ),
                &format!(
                    "Check in the device's settings that its firmware is {} or later before staging.",
                    row.minimum_firmware
                ),
            )
        }
    }
}

/// Seed 46 (P8): AOSP devices need the Intune app 24.7.0 or later. Enrollment installs the
/// app, so a missing app is fine; an older one already on the device is a blocker.
pub(super) fn intune_app_aosp(input: &PreflightInput<'_>) -> Option<Finding> {
    if !aosp(input) {
        return None;
    }
    let installed = input.evidence?.intune_app.as_ref()?;
    let min = AppVersion::parse(AOSP_MIN_INTUNE_APP)?;
    if *installed >= min {
        return None;
    }
    finding(
        "intune-app-aosp",
        Severity::Blocker,
        format!("The Microsoft Intune app on this device is {installed}; AOSP devices need {min} or later to sync with Intune."),
        "Update the Microsoft Intune app to 24.7.0 or later (or factory reset so enrollment installs the current one).",
    )
}
