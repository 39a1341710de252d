//! Preflight: the rules a device must pass before it is staged, as one table ([`RULES`]).
//!
//! Each rule has a stable id, cites the seed requirement it enforces
//! (shared/reference/seed-requirements.md), and says what is wrong and what to do next. Rules
//! that need the enrollment profile are silent without one; the AOSP rules also run without a
//! profile on a RealWear headset, because Intune enrolls RealWear only through AOSP (seed 44).
//! Where Microsoft's current pages differ from the seeds, the rule cites both, with their
//! `ms.date`: [`floor`] holds the Android-version floor, `aosp` the AOSP rules, which read
//! Microsoft's AOSP supported-device list ([`crate::device::aosp_list`]).

use stagebench_adb::server::DeviceFacts;

use super::evidence::StageEvidence;
use crate::identity::{IdentityCheck, IdentityFlag};
use crate::intune::profile::{EnrollmentMode, ProfileContext, TokenType};

mod aosp;
mod floor;

pub use aosp::AOSP_MIN_INTUNE_APP;
use aosp::{aosp_device_list, intune_app_aosp, realwear_firmware};
use floor::{android_10, android_8};

/// How much a finding stands in the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Staging will fail or leave the device unmanaged: fix it first.
    Blocker,
    /// Staging can go on, but the technician must know (or do something on the way).
    Warning,
}

impl Severity {
    /// `blocker` or `warning`, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Warning => "warning",
        }
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Finding {
    /// The rule's id (see [`RULES`]).
    pub rule: &'static str,
    /// Blocker or warning.
    pub severity: Severity,
    /// What is wrong, with the values read.
    pub message: String,
    /// What the technician does next.
    pub next_step: String,
}

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct PreflightInput<'a> {
    /// Identity and build facts (`getprop`).
    pub facts: &'a DeviceFacts,
    /// Stage evidence, when it could be read.
    pub evidence: Option<&'a StageEvidence>,
    /// The device's serials, checked.
    pub identity: &'a IdentityCheck,
    /// The enrollment profile the device is to be staged with, when one is chosen.
    pub profile: Option<ProfileContext>,
}

/// A preflight rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, used in findings, logs and tests.
    pub id: &'static str,
    /// The seed requirement numbers it enforces.
    pub seeds: &'static [u32],
    /// One line on what it checks.
    pub summary: &'static str,
    /// The check: `Some` when the device fails it.
    pub check: fn(&PreflightInput<'_>) -> Option<Finding>,
    /// Whether it only matters before the device is staged: its finding is set aside once the
    /// device is past scanning (a device this bench enrolled is not told to factory reset).
    pub pre_staging: bool,
}

/// Every rule, most important first (the order findings of equal severity are shown in).
pub const RULES: &[Rule] = &[
    Rule {
        id: "android-8",
        seeds: &[1, 15, 16],
        summary: "Android Enterprise needs Android 8.0 (SDK 26) or later",
        check: android_8,
        pre_staging: true,
    },
    Rule {
        id: "android-10",
        seeds: &[1, 15],
        summary: "fully managed and staging: Android 10 per Microsoft's fully managed page (2026-05-19), 8 per the staging overview (2025-06-04)",
        check: android_10,
        pre_staging: true,
    },
    Rule {
        id: "staging-token-mode",
        seeds: &[1, 2],
        summary: "staging tokens exist only for fully managed and COPE profiles",
        check: staging_token_mode,
        pre_staging: true,
    },
    Rule {
        id: "realwear-firmware",
        seeds: &[45],
        summary: "RealWear firmware must meet Intune's AOSP minimum for the model",
        check: realwear_firmware,
        pre_staging: true,
    },
    Rule {
        id: "aosp-device-list",
        seeds: &[44, 45],
        summary: "AOSP devices must be on Microsoft's AOSP supported devices list, at its minimum firmware",
        check: aosp_device_list,
        pre_staging: true,
    },
    Rule {
        id: "intune-app-aosp",
        seeds: &[46],
        summary: "AOSP devices need the Microsoft Intune app 24.7.0 or later to sync",
        check: intune_app_aosp,
        pre_staging: false,
    },
    Rule {
        id: "factory-reset",
        seeds: &[20, 109],
        summary: "staging starts from a factory-reset device",
        check: factory_reset,
        pre_staging: true,
    },
    Rule {
        id: "cope-qr-only",
        seeds: &[17],
        summary: "COPE on Android 11+ enrolls by QR only",
        check: cope_qr_only,
        pre_staging: true,
    },
    Rule {
        id: "serial-identity",
        seeds: &[81],
        summary: "serials that can't tell the device apart, or that disagree",
        check: serial_identity,
        pre_staging: false,
    },
];

/// Android 11's API level.
const SDK_ANDROID_11: u32 = 30;

/// Runs every rule: blockers first, then warnings, each in [`RULES`] order.
pub fn preflight(input: &PreflightInput<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = RULES
        .iter()
        .filter_map(|rule| (rule.check)(input))
        .collect();
    findings.sort_by_key(|f| f.severity);
    findings
}

fn finding(
    rule: &'static str,
    severity: Severity,
    message: String,
    next_step: &str,
) -> Option<Finding> {
    Some(Finding {
        rule,
        severity,
        message,
        next_step: next_step.to_owned(),
    })
}

/// `Android 10 (SDK 29)`, or what is known of it.
fn android_name(facts: &DeviceFacts) -> String {
    match (&facts.android_release, facts.sdk) {
        (Some(r), Some(s)) => format!("Android {r} (SDK {s})"),
        (Some(r), None) => format!("Android {r}"),
        (None, Some(s)) => format!("SDK {s}"),
        (None, None) => "an unknown Android version".to_owned(),
    }
}

/// Seed 1, 2: the staging token exists only for fully managed and COPE profiles.
fn staging_token_mode(input: &PreflightInput<'_>) -> Option<Finding> {
    let profile = input.profile?;
    let allowed = matches!(
        profile.enrollment_mode,
        EnrollmentMode::CorporateOwnedFullyManaged | EnrollmentMode::CorporateOwnedWorkProfile
    );
    if profile.token_type != TokenType::DeviceStaging || allowed {
        return None;
    }
    finding(
        "staging-token-mode",
        Severity::Blocker,
        format!(
            "The profile uses a staging token with the {} enrollment mode: Intune supports staging only for fully managed and COPE.",
            profile.enrollment_mode
        ),
        "Pick a fully managed or COPE profile with a staging token, or a profile with the default token.",
    )
}

/// Seed 17: on Android 11+, COPE can't be enrolled by typing the token (nor `afw#setup`, NFC).
fn cope_qr_only(input: &PreflightInput<'_>) -> Option<Finding> {
    let profile = input.profile?;
    let sdk = input.facts.sdk?;
    if profile.enrollment_mode != EnrollmentMode::CorporateOwnedWorkProfile || sdk < SDK_ANDROID_11
    {
        return None;
    }
    finding(
        "cope-qr-only",
        Severity::Warning,
        format!(
            "COPE on {}: manual token entry, afw#setup and NFC aren't supported from Android 11 on.",
            android_name(input.facts)
        ),
        "Scan the QR; manual token entry isn't supported.",
    )
}

/// Seed 20, 109: enrollment starts from a factory-reset device. A device whose setup wizard
/// has finished and that no Intune DPC owns was set up by someone else: reset it first.
fn factory_reset(input: &PreflightInput<'_>) -> Option<Finding> {
    let evidence = input.evidence?;
    if evidence.owned_by_intune() {
        return None;
    }
    let owner = evidence.device_owner.as_deref();
    if evidence.user_setup_complete != Some(true) && owner.is_none() {
        return None;
    }
    let message = match owner {
        Some(owner) => format!("The device is managed by another device owner ({owner}); it can't be enrolled until it is reset."),
        None => "The device's setup wizard has already finished: it was set up before, so it can't scan an enrollment QR.".to_owned(),
    };
    finding(
        "factory-reset",
        Severity::Warning,
        message,
        "Factory reset before staging (Settings › System › Reset options › Erase all data), then start from the welcome screen.",
    )
}

/// Seed 81 (and field-notes pain point 8): a placeholder, missing or disagreeing serial. The
/// device can still be staged; it is told apart by its bench slot.
fn serial_identity(input: &PreflightInput<'_>) -> Option<Finding> {
    let flags = &input.identity.flags;
    if flags.is_empty() {
        return None;
    }
    let message = identity_message(flags);
    let next_step = if flags.iter().any(|f| matches!(f, IdentityFlag::Missing)) {
        "Keep the device in its bench slot and scan the serial from its label or box."
    } else if flags
        .iter()
        .any(|f| matches!(f, IdentityFlag::Disagree { .. }))
    {
        "Scan the serial on the device's label (or Settings › About) so the right one goes on the label."
    } else {
        "Keep the device in its bench slot and label it by slot."
    };
    finding("serial-identity", Severity::Warning, message, next_step)
}

/// What is wrong with the serials, in one sentence, without the next step (the finding carries
/// that). Placeholder sources are grouped by value ("the serial 1234567890ABCDEF (ro.serialno,
/// ro.boot.serialno) is a placeholder…"), and "nothing identifies it" is said only when nothing
/// more specific was.
fn identity_message(flags: &[IdentityFlag]) -> String {
    let mut placeholders: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut other = Vec::new();
    for flag in flags {
        match flag {
            IdentityFlag::Placeholder { source, value } if value.trim().is_empty() => {
                other.push(format!("{} is empty", source.label()));
            }
            IdentityFlag::Placeholder { source, value } => {
                match placeholders.iter_mut().find(|(v, _)| v == value) {
                    Some((_, sources)) => sources.push(source.label()),
                    None => placeholders.push((value, vec![source.label()])),
                }
            }
            IdentityFlag::Disagree { a, b } => other.push(format!("{a} differs from {b}")),
            IdentityFlag::Missing => {}
        }
    }
    let mut parts: Vec<String> = placeholders
        .into_iter()
        .map(|(value, sources)| {
            format!(
                "the serial {value} ({}) is a placeholder many devices share",
                sources.join(", ")
            )
        })
        .collect();
    parts.extend(other);
    if parts.is_empty() {
        return "No serial could be read from this device, so the serial can't identify it."
            .to_owned();
    }
    format!(
        "{}, so the serial alone can't identify this device.",
        capitalized(&parts.join("; "))
    )
}

/// `text` with its first letter in upper case.
pub(super) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::AppVersion;

    #[test]
    fn ids_are_unique_kebab_case_and_cite_seeds() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
        for rule in RULES {
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                rule.id
            );
            assert!(
                !rule.seeds.is_empty() && !rule.summary.is_empty(),
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn minimum_intune_app_parses() {
        assert!(AppVersion::parse(AOSP_MIN_INTUNE_APP).is_some());
    }
}
