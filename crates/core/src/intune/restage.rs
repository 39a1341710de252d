//! Re-staging a returned device safely: before the technician wipes it, what Intune already
//! holds under its serial, and what to do about it (issue 15 point 4).
//!
//! Sources, followed where they differ from the seeds (research file §4):
//!
//! - Microsoft Learn, *Device action: delete* (ms.date 2026-08-06; tracker
//!   `intune/device-management/actions/delete.md`): for Android, Delete sends a **Wipe** to
//!   fully managed, dedicated, corporate-owned work profile and AOSP devices, and a Retire to
//!   personally owned ones; the record is then "immediately hidden from the admin center"; "A
//!   tenant can submit up to 1,000 Delete actions per day"; after the action "you might also
//!   want to remove its record from Microsoft Entra ID". Seeds 002 (`002_e8b4c3f234bba8fc.txt:206-207`)
//!   and 003 (`003_729e51c15a5a5608.txt:3406-3408`) describe Wipe and Delete for AOSP only.
//! - Microsoft Learn, *Device action: retire* (ms.date 2026-08-06): Retire supports Android
//!   device administrator and personally-owned work profile, not fully managed, dedicated,
//!   COPE or AOSP; it waits for the next check-in.
//! - Microsoft Learn, *Enroll your Android Enterprise dedicated, fully managed, or
//!   corporate-owned with work profile devices* (ms.date 2026-10-02; tracker
//!   `intune/device-enrollment/android/ref-corporate-methods.md`): with *Factory reset
//!   protection emails* configured, a COPE device on Android 15 asks for that Google account
//!   after a reset from Settings; an Intune wipe does not; fully managed and dedicated devices
//!   ask only after a recovery-mode reset. Seed 003 (`003_729e51c15a5a5608.txt:4466-4469`) only
//!   says the listed accounts can unlock a device after a wipe.
//!
//! The rules here are pure ([`notes_for`], [`delete_budget`]); [`check_serials`] asks Graph.

use serde::Serialize;

use super::graph::directory::status_of;
use super::graph::GraphClient;
use super::status::{IntuneStage, IntuneStatus};

/// Delete actions a tenant may submit per day, across the admin center, bulk actions and Graph
/// (Microsoft Learn, *Device action: delete*, ms.date 2026-08-06).
pub const DELETE_PER_DAY: usize = 1_000;

/// Where the Delete and Entra rules come from.
pub const SOURCE_DELETE: &str =
    "Microsoft Learn, \"Device action: delete\" and \"Device action: retire\", ms.date 2026-08-06";

/// Where the factory reset protection rule comes from.
pub const SOURCE_FRP: &str = "Microsoft Learn, \"Enroll your Android Enterprise dedicated, fully managed, or corporate-owned with work profile devices\", ms.date 2026-10-02";

/// Enrollment types (`deviceEnrollmentType`) of corporate-owned Android: Delete sends them a
/// Wipe, and Retire does not apply.
const CORPORATE_ANDROID: &[(&str, &str)] = &[
    ("androidEnterpriseFullyManaged", "fully managed"),
    ("androidEnterpriseDedicatedDevice", "dedicated"),
    (
        "androidEnterpriseCorporateWorkProfile",
        "corporate-owned work profile",
    ),
    ("androidAOSPUserOwnedDeviceEnrollment", "AOSP"),
    ("androidAOSPUserlessDeviceEnrollment", "AOSP"),
];

/// The enrollment type of corporate-owned work profile (COPE) devices.
const COPE: &str = "androidEnterpriseCorporateWorkProfile";

/// The first Android release on which a Settings reset of a COPE device asks for the factory
/// reset protection account.
const FRP_COPE_FROM: u32 = 15;

/// How serious a note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// Do something before wiping the device.
    Warning,
    /// Good to do; nothing fails without it.
    Hint,
}

/// One thing to know before re-staging a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RestageNote {
    /// Stable id: `intune-existing-record`, `entra-record`, `cope-frp`, `recovery-frp`,
    /// `delete-budget`.
    pub id: &'static str,
    /// Warning or hint.
    pub kind: NoteKind,
    /// What was found, with the values read.
    pub message: String,
    /// What the technician does next.
    pub next_step: String,
    /// The document (and its date) the rule follows.
    pub source: &'static str,
}

/// The mode's words for a corporate-owned Android enrollment type, if it is one.
fn corporate_mode(enrollment_type: Option<&str>) -> Option<&'static str> {
    let t = enrollment_type?;
    CORPORATE_ANDROID
        .iter()
        .find(|(raw, _)| *raw == t)
        .map(|(_, words)| *words)
}

/// Whether Intune's Delete (not Retire) is the way to remove a record of this enrollment type.
pub fn delete_not_retire(enrollment_type: Option<&str>) -> bool {
    corporate_mode(enrollment_type).is_some()
}

/// The Android major release in `release` (`15`, `15.0.1`, `Android 15`), if any.
pub fn android_major(release: &str) -> Option<u32> {
    let digits: String = release
        .trim()
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// What to know before wiping a device Intune holds `record` for; `android` is the device's
/// Android major release when known (the device's own, else Intune's `osVersion`).
pub fn notes_for(record: &IntuneStatus, android: Option<u32>) -> Vec<RestageNote> {
    let t = record.enrollment_type.as_deref();
    let mode = corporate_mode(t);
    let enrolled = record
        .enrolled
        .as_deref()
        .map(|e| format!(", enrolled {}", e.get(..10).unwrap_or(e)))
        .unwrap_or_default();
    let state = record.management_state.as_deref().unwrap_or("unknown");
    let message = format!(
        "Intune already has a record for serial {}: {} ({}{enrolled}, {state}). A stale record blocks a clean stage 2 or leaves a duplicate device.",
        record.serial_number,
        record.device_name,
        mode.or(t).unwrap_or("enrollment type unknown"),
    );
    let next_step = match mode {
        _ if record.stage == IntuneStage::Leaving => format!(
            "Intune is already removing this record ({state}): wait until it is gone (a sync shows it), then stage it again."
        ),
        Some(mode) => format!(
            "Before you wipe it, Delete this record in Intune (Devices, select it, Delete): for {mode} devices Delete sends a Wipe and hides the record at once; Retire is not offered for this mode. Then stage it again."
        ),
        None => "Before you wipe it, Retire or Delete this record in Intune (Delete hides it at once; Retire waits for the device to check in). Then stage it again.".to_owned(),
    };
    let mut notes = vec![
        RestageNote {
            id: "intune-existing-record",
            kind: NoteKind::Warning,
            message,
            next_step,
            source: SOURCE_DELETE,
        },
        RestageNote {
            id: "entra-record",
            kind: NoteKind::Hint,
            message: format!(
                "{} may also have a device record in Microsoft Entra ID.",
                record.device_name
            ),
            next_step: "Optionally remove that Entra device record too, so no stale record or access lingers.".into(),
            source: SOURCE_DELETE,
        },
    ];
    notes.extend(frp_note(t, android));
    notes
}

/// The factory reset protection warning for the enrollment type and Android release, if any.
fn frp_note(enrollment_type: Option<&str>, android: Option<u32>) -> Option<RestageNote> {
    match enrollment_type? {
        COPE if android.is_none_or(|a| a >= FRP_COPE_FROM) => {
            let on = match android {
                Some(a) => format!("Android {a}"),
                None => format!("Android {FRP_COPE_FROM} or later (its version was not read)"),
            };
            Some(RestageNote {
                id: "cope-frp",
                kind: NoteKind::Warning,
                message: format!("Corporate-owned work profile device on {on}: a factory reset from Settings asks for the Google account in the policy's Factory reset protection emails."),
                next_step: "Reset it with an Intune wipe (Delete sends one), which does not ask. If it must be reset from Settings or recovery, have that Google account's sign-in ready first. (With Factory reset protection emails not configured, a Settings reset does not ask.)".into(),
                source: SOURCE_FRP,
            })
        }
        // Before Android 15 the page's table still marks Settings and recovery resets of a
        // COPE device as asking, when the emails are configured: a hint.
        COPE => Some(RestageNote {
            id: "cope-frp",
            kind: NoteKind::Hint,
            message: "A corporate-owned work profile device asks for the Google account in Factory reset protection emails after a reset from Settings or recovery, when the policy sets one.".into(),
            next_step: "Reset it with an Intune wipe (Delete sends one), which does not ask.".into(),
            source: SOURCE_FRP,
        }),
        "androidEnterpriseFullyManaged" | "androidEnterpriseDedicatedDevice" => Some(RestageNote {
            id: "recovery-frp",
            kind: NoteKind::Hint,
            message: "A reset from recovery mode asks for the Google account in Factory reset protection emails, when the policy sets one.".into(),
            next_step: "Reset it from Settings or with an Intune wipe instead of recovery mode.".into(),
            source: SOURCE_FRP,
        }),
        _ => None,
    }
}

/// The warning when re-staging needs more Delete actions than a tenant may submit in a day.
pub fn delete_budget(deletes: usize) -> Option<RestageNote> {
    (deletes > DELETE_PER_DAY).then(|| RestageNote {
        id: "delete-budget",
        kind: NoteKind::Warning,
        message: format!("{deletes} Intune records to delete: a tenant can submit {DELETE_PER_DAY} Delete actions per day, counted across the admin center, bulk actions and Graph."),
        next_step: format!("Delete them over {} days (the devices waiting meanwhile), or ask Microsoft support to raise the limit.", deletes.div_ceil(DELETE_PER_DAY)),
        source: SOURCE_DELETE,
    })
}

/// What Intune holds under one serial, and what to do before re-staging that device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RestageCheck {
    /// The serial as asked.
    pub serial: String,
    /// The records Intune holds under it.
    pub records: Vec<IntuneStatus>,
    /// What to do, per record (empty when Intune holds none: re-stage freely).
    pub notes: Vec<RestageNote>,
    /// Why the look-up failed, when it did (nothing is known then).
    pub error: Option<String>,
}

impl RestageCheck {
    /// Records to delete (or retire) before re-staging.
    pub fn removals(&self) -> usize {
        self.records.len()
    }
}

/// Looks every serial up in Intune and says, per serial, what to do before re-staging
/// (`android`: the device's Android major release, when the caller read it; otherwise each
/// record's `osVersion` is used).
pub async fn check_serials(
    client: &GraphClient,
    serials: &[String],
    android: Option<u32>,
) -> Vec<RestageCheck> {
    let lookups = client.devices_by_serials(serials).await;
    lookups
        .into_iter()
        .map(|lookup| match lookup.devices {
            Ok(devices) => {
                let mut notes = Vec::new();
                let records: Vec<IntuneStatus> = devices
                    .iter()
                    .map(|d| {
                        let status = status_of(d);
                        let release =
                            android.or_else(|| d.os_version.as_deref().and_then(android_major));
                        notes.extend(notes_for(&status, release));
                        status
                    })
                    .collect();
                RestageCheck {
                    serial: lookup.serial,
                    records,
                    notes,
                    error: None,
                }
            }
            Err(e) => RestageCheck {
                serial: lookup.serial,
                records: Vec::new(),
                notes: Vec::new(),
                error: Some(e.to_string()),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(enrollment_type: &str) -> IntuneStatus {
        IntuneStatus::derive(
            "d1",
            "Staging_R5CR1_6/2/2025",
            "R5CR1",
            Some(enrollment_type),
            Some("managed"),
            None,
            None,
            Some("2025-06-02T10:00:00Z"),
            None,
        )
    }

    fn ids(notes: &[RestageNote]) -> Vec<&str> {
        notes.iter().map(|n| n.id).collect()
    }

    #[test]
    fn corporate_android_is_deleted_not_retired_with_the_entra_hint() {
        let notes = notes_for(&record("androidEnterpriseFullyManaged"), Some(14));
        assert_eq!(
            ids(&notes),
            ["intune-existing-record", "entra-record", "recovery-frp"]
        );
        let first = &notes[0];
        assert!(first.message.contains("R5CR1") && first.message.contains("fully managed"));
        assert!(
            first.next_step.contains("Delete this record")
                && first.next_step.contains("Retire is not offered"),
            "{}",
            first.next_step
        );
        assert!(first.source.contains("2026-08-06"));
        assert_eq!(notes[1].kind, NoteKind::Hint);
        let byod = notes_for(&record("androidEnterpriseWorkProfile"), Some(15));
        assert!(byod[0].next_step.contains("Retire or Delete"));
        assert_eq!(ids(&byod), ["intune-existing-record", "entra-record"]);
    }

    #[test]
    fn cope_on_android_15_or_unknown_warns_of_frp_and_14_only_hints() {
        let cope = record(COPE);
        for android in [Some(15), Some(16), None] {
            let notes = notes_for(&cope, android);
            let frp = notes.iter().find(|n| n.id == "cope-frp").expect("warned");
            assert_eq!(frp.kind, NoteKind::Warning);
            assert!(frp.message.contains("Settings") && frp.next_step.contains("Intune wipe"));
            assert!(frp.source.contains("2026-10-02"));
        }
        let before = notes_for(&cope, Some(14));
        let hint = before.iter().find(|n| n.id == "cope-frp").unwrap();
        assert_eq!(hint.kind, NoteKind::Hint, "before Android 15, a hint only");
    }

    #[test]
    fn a_record_already_being_removed_says_wait() {
        let mut leaving = record("androidEnterpriseFullyManaged");
        leaving.management_state = Some("wipePending".into());
        leaving.stage = IntuneStage::Leaving;
        let notes = notes_for(&leaving, Some(14));
        assert!(
            notes[0].next_step.contains("already removing")
                && notes[0].next_step.contains("wipePending"),
            "{}",
            notes[0].next_step
        );
    }

    #[test]
    fn more_than_a_days_deletes_is_a_warning() {
        assert_eq!(delete_budget(DELETE_PER_DAY), None);
        let over = delete_budget(2_500).unwrap();
        assert!(over.message.contains("2500") && over.next_step.contains("3 days"));
    }

    #[test]
    fn android_major_reads_release_strings() {
        assert_eq!(android_major("15"), Some(15));
        assert_eq!(android_major("14.0.1"), Some(14));
        assert_eq!(android_major("Android 16"), Some(16));
        assert_eq!(android_major("n/a"), None);
    }
}
