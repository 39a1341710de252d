//! What Intune knows about one bench device: the evidence for stages 2 and 3.
//!
//! Facts (DESIGN.md stage model; reference §1.3, §3.3; seed rule 68): a staged Android Enterprise
//! device appears in Intune as `Staging_<serial>_…` with no user (stage 2 confirmed); when the
//! user signs in to the Intune app the user's name replaces the `Staging` prefix and the device
//! gets a `userPrincipalName` (stage 3). AOSP userless devices never get a user. Intune's
//! `managementState` says when a device is on its way out (retire/wipe pending or issued).
//!
//! The stage is read from the user (`userPrincipalName`), not from the name: a profile's
//! `deviceNameTemplate` may give names that follow no convention, and a userless device's
//! `<model>_<mode>_<date>` name reads like a user's. The name is kept as evidence
//! ([`IntuneStatus::staging_name`]) and for matching the serial before the Intune id is known.
//!
//! The store keeps each device's status as a plain row; [`IntuneStatusStore`] reads and
//! records it as an [`IntuneStatus`] ([`IntuneLink`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

use super::names::{parse_device_name, NameOwner};
use crate::ids::DeviceId;
use crate::store::{IntuneChange, IntuneLinkRow, StatusChanges, Store, StoreError};

/// Where a device stands in Intune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum IntuneStage {
    /// Enrolled with no user: for a staging token, stage 2 confirmed; for AOSP userless, done.
    Enrolled,
    /// A user is on the device: stage 3 (or a user-associated enrollment).
    UserAssigned,
    /// Being retired or wiped, or gone wrong (`managementState` other than managed/discovered).
    Leaving,
}

/// The Intune evidence for a device, as the last sync read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IntuneStatus {
    /// The managed device id; kept once seen, so stage 3 is still found after the serial leaves
    /// the device name.
    pub intune_id: String,
    /// `deviceName` as Intune shows it.
    pub device_name: String,
    /// `serialNumber` as Intune has it (may differ from Settings on Android; may be empty).
    pub serial_number: String,
    /// Derived stage.
    pub stage: IntuneStage,
    /// Whether the name is still a `Staging_…` name.
    pub staging_name: bool,
    /// `deviceEnrollmentType` (raw, e.g. `androidEnterpriseFullyManaged`).
    pub enrollment_type: Option<String>,
    /// `managementState` (raw, e.g. `managed`).
    pub management_state: Option<String>,
    /// `userPrincipalName`, when a user is on the device.
    pub user_principal_name: Option<String>,
    /// `userDisplayName`.
    pub user_display_name: Option<String>,
    /// `enrolledDateTime`, RFC 3339.
    pub enrolled: Option<String>,
    /// `lastSyncDateTime`, RFC 3339.
    pub last_sync: Option<String>,
}

/// Management states that mean the device is leaving Intune or stuck.
const LEAVING: &[&str] = &[
    "retirePending",
    "retireFailed",
    "wipePending",
    "wipeFailed",
    "unhealthy",
    "deletePending",
    "retireIssued",
    "wipeIssued",
];

impl IntuneStatus {
    /// Builds the status from a managed device's fields, deriving the stage (see the module
    /// docs). Empty strings count as absent (Graph sends `""` for no user).
    #[allow(clippy::too_many_arguments)]
    pub fn derive(
        intune_id: &str,
        device_name: &str,
        serial_number: &str,
        enrollment_type: Option<&str>,
        management_state: Option<&str>,
        user_principal_name: Option<&str>,
        user_display_name: Option<&str>,
        enrolled: Option<&str>,
        last_sync: Option<&str>,
    ) -> IntuneStatus {
        let some = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let upn = some(user_principal_name);
        let parsed = parse_device_name(device_name);
        let staging_name = matches!(
            parsed.as_ref().map(|n| &n.owner),
            Some(NameOwner::Staging { .. })
        );
        let state = some(management_state);
        let stage = if state.as_deref().is_some_and(|s| LEAVING.contains(&s)) {
            IntuneStage::Leaving
        } else if upn.is_some() {
            IntuneStage::UserAssigned
        } else {
            IntuneStage::Enrolled
        };
        IntuneStatus {
            intune_id: intune_id.to_owned(),
            device_name: device_name.to_owned(),
            serial_number: serial_number.trim().to_owned(),
            stage,
            staging_name,
            enrollment_type: some(enrollment_type),
            management_state: state,
            user_principal_name: upn,
            user_display_name: some(user_display_name),
            enrolled: some(enrolled),
            last_sync: some(last_sync),
        }
    }

    /// What changed from `old` to `self`, as short phrases for the device's history
    /// (`stage enrolled → user-assigned`, `user → ana@contoso.com`, …). Empty when nothing the
    /// technician cares about changed (the last sync time alone does not count).
    pub fn changes_since(&self, old: &IntuneStatus) -> Vec<String> {
        let mut out = Vec::new();
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
        if self.stage != old.stage {
            out.push(format!(
                "stage {} → {}",
                stage_name(old.stage),
                stage_name(self.stage)
            ));
        }
        if self.device_name != old.device_name {
            out.push(format!("name {} → {}", old.device_name, self.device_name));
        }
        if self.user_principal_name != old.user_principal_name {
            out.push(format!(
                "user {} → {}",
                opt(&old.user_principal_name),
                opt(&self.user_principal_name)
            ));
        }
        if self.management_state != old.management_state {
            out.push(format!(
                "management state {} → {}",
                opt(&old.management_state),
                opt(&self.management_state)
            ));
        }
        if self.enrollment_type != old.enrollment_type {
            out.push(format!(
                "enrollment type {} → {}",
                opt(&old.enrollment_type),
                opt(&self.enrollment_type)
            ));
        }
        if self.serial_number != old.serial_number {
            out.push(format!(
                "serial {} → {}",
                old.serial_number, self.serial_number
            ));
        }
        out
    }
}

/// A bench device's (or an unmatched) Intune record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntuneLink {
    /// The bench device, or `None` when the bench never saw it.
    pub device: Option<DeviceId>,
    /// Intune's last word.
    pub status: IntuneStatus,
    /// When the bench first found it in Intune, RFC 3339.
    pub first_seen: String,
    /// When a sync last looked, RFC 3339.
    pub last_checked: String,
    /// Since when Intune no longer shows it, if so.
    pub gone_since: Option<String>,
}

/// What the store knows of devices in Intune, as [`IntuneStatus`]es.
pub trait IntuneStatusStore {
    /// Records what Intune says about a managed device found for `device` (or for no bench
    /// device). Logs `intune-seen` the first time and `intune-changed` with what changed after
    /// that ([`IntuneStatus::changes_since`]); a device that was gone and is back counts as
    /// changed. A link to a bench device is never dropped by a later sync that found the Intune
    /// device without one.
    fn record_intune_status(
        &mut self,
        device: Option<DeviceId>,
        status: &IntuneStatus,
        now: OffsetDateTime,
    ) -> Result<IntuneChange, StoreError>;

    /// The Intune records linked to `device`, most recently checked first (a factory reset and
    /// re-enrollment gives a second id).
    fn intune_links(&self, device: DeviceId) -> Result<Vec<IntuneLink>, StoreError>;

    /// Every Intune record, with its bench device when matched.
    fn intune_all(&self) -> Result<Vec<IntuneLink>, StoreError>;
}

impl IntuneStatusStore for Store {
    fn record_intune_status(
        &mut self,
        device: Option<DeviceId>,
        status: &IntuneStatus,
        now: OffsetDateTime,
    ) -> Result<IntuneChange, StoreError> {
        // Plain strings and unit enums: serializing cannot fail.
        let json = serde_json::to_value(status).expect("IntuneStatus serializes");
        self.record_intune_row(device, &status.intune_id, &json, now, |old| {
            let old: IntuneStatus = serde_json::from_value(old.clone())?;
            Ok(StatusChanges {
                phrases: status.changes_since(&old),
                notable: status.stage != old.stage,
            })
        })
    }

    fn intune_links(&self, device: DeviceId) -> Result<Vec<IntuneLink>, StoreError> {
        let rows = self.intune_link_rows(device)?;
        rows.into_iter().map(|row| link(self, row)).collect()
    }

    fn intune_all(&self) -> Result<Vec<IntuneLink>, StoreError> {
        let rows = self.intune_rows()?;
        rows.into_iter().map(|row| link(self, row)).collect()
    }
}

fn link(store: &Store, row: IntuneLinkRow) -> Result<IntuneLink, StoreError> {
    Ok(IntuneLink {
        device: row.device,
        status: serde_json::from_value(row.status).map_err(|e| store.unreadable(e))?,
        first_seen: row.first_seen,
        last_checked: row.last_checked,
        gone_since: row.gone_since,
    })
}

fn stage_name(stage: IntuneStage) -> &'static str {
    match stage {
        IntuneStage::Enrolled => "enrolled",
        IntuneStage::UserAssigned => "user-assigned",
        IntuneStage::Leaving => "leaving",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, upn: Option<&str>, state: Option<&str>) -> IntuneStatus {
        IntuneStatus::derive(
            "id-1",
            name,
            "R58N1",
            Some("androidEnterpriseFullyManaged"),
            state,
            upn,
            None,
            None,
            None,
        )
    }

    #[test]
    fn stage_comes_from_the_user_and_the_management_state_not_the_name() {
        let staged = status(
            "Staging_R58N1_AndroidEnterprise_11/21/26_9.05",
            Some(""),
            Some("managed"),
        );
        assert_eq!(
            (staged.stage, staged.staging_name),
            (IntuneStage::Enrolled, true)
        );
        assert_eq!(staged.user_principal_name, None, "empty UPN is no user");
        let signed_in = status(
            "ana_AndroidEnterprise_11/21/26_9.05",
            Some("ana@contoso.com"),
            Some("managed"),
        );
        assert_eq!(
            (signed_in.stage, signed_in.staging_name),
            (IntuneStage::UserAssigned, false)
        );
        // A userless device's name can read like a user's: no UPN, no user.
        assert_eq!(
            status("T21G_AOSP_11/21/26_9.05", None, None).stage,
            IntuneStage::Enrolled
        );
        // A template name with no user: enrolled.
        assert_eq!(
            status("BENCH-R58N1", None, None).stage,
            IntuneStage::Enrolled
        );
        assert_eq!(
            status("BENCH-R58N1", Some("ana@contoso.com"), Some("wipePending")).stage,
            IntuneStage::Leaving
        );
    }

    #[test]
    fn changes_name_what_moved_and_ignore_the_sync_time() {
        let before = status(
            "Staging_R58N1_AndroidEnterprise_11/21/26_9.05",
            None,
            Some("managed"),
        );
        let mut later = before.clone();
        later.last_sync = Some("2026-11-22T10:00:00Z".into());
        assert!(later.changes_since(&before).is_empty());
        let after = status(
            "ana_AndroidEnterprise_11/21/26_9.05",
            Some("ana@contoso.com"),
            Some("managed"),
        );
        assert_eq!(
            after.changes_since(&before),
            [
                "stage enrolled → user-assigned",
                "name Staging_R58N1_AndroidEnterprise_11/21/26_9.05 → ana_AndroidEnterprise_11/21/26_9.05",
                "user none → ana@contoso.com",
            ]
        );
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::identity::{SerialObservation, SerialSource};
    use crate::store::{Sighting, EVENT_INTUNE_CHANGED, EVENT_INTUNE_GONE, EVENT_INTUNE_SEEN};

    fn status(id: &str, name: &str, upn: Option<&str>) -> IntuneStatus {
        IntuneStatus::derive(
            id,
            name,
            "R58N1",
            None,
            Some("managed"),
            upn,
            None,
            None,
            None,
        )
    }

    #[test]
    fn seen_then_changed_then_gone_then_back_each_logged_once() {
        let clock = ManualClock::at_test_epoch();
        let mut store = Store::open_in_memory().unwrap().with_clock(clock.clone());
        let dev = store
            .record_sighting(&Sighting::new([SerialObservation::new(
                SerialSource::RoSerialno,
                "R58N1",
            )]))
            .unwrap();
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let staged = status(
            "md-1",
            "Staging_R58N1_AndroidEnterprise_11/21/26_9.05",
            None,
        );
        assert_eq!(
            store.record_intune_status(Some(dev), &staged, now).unwrap(),
            IntuneChange::Seen
        );
        assert_eq!(
            store.record_intune_status(Some(dev), &staged, now).unwrap(),
            IntuneChange::Unchanged
        );
        // A later sync that found it by id without knowing the bench device keeps the link.
        let user = status(
            "md-1",
            "ana_AndroidEnterprise_11/21/26_9.05",
            Some("ana@contoso.com"),
        );
        let IntuneChange::Changed(changes) = store.record_intune_status(None, &user, now).unwrap()
        else {
            panic!("expected a change")
        };
        assert!(
            changes
                .phrases
                .contains(&"stage enrolled → user-assigned".to_owned())
                && changes.notable,
            "{changes:?}"
        );
        let links = store.intune_links(dev).unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].status.stage, IntuneStage::UserAssigned);
        assert!(store.record_intune_gone("md-1", now).unwrap());
        assert!(
            !store.record_intune_gone("md-1", now).unwrap(),
            "logged once"
        );
        assert!(!store.record_intune_gone("md-unknown", now).unwrap());
        let back = store.record_intune_status(Some(dev), &user, now).unwrap();
        assert_eq!(
            back,
            IntuneChange::Changed(StatusChanges {
                phrases: vec!["back in Intune".into()],
                notable: false
            })
        );
        let kinds: Vec<String> = store
            .events(Some(dev), 100)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("intune"))
            .collect();
        assert_eq!(
            kinds,
            [
                EVENT_INTUNE_SEEN,
                EVENT_INTUNE_CHANGED,
                EVENT_INTUNE_GONE,
                EVENT_INTUNE_CHANGED
            ]
        );
    }

    #[test]
    fn unmatched_intune_devices_are_kept_and_matched_later() {
        let mut store = Store::open_in_memory().unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        let s = status("md-9", "Staging_ZZ9_AndroidEnterprise_11/21/26_9.05", None);
        store.record_intune_status(None, &s, now).unwrap();
        assert_eq!(store.intune_all().unwrap()[0].device, None);
        let dev = store
            .record_sighting(&Sighting::new([SerialObservation::new(
                SerialSource::RoSerialno,
                "ZZ9",
            )]))
            .unwrap();
        let change = store.record_intune_status(Some(dev), &s, now).unwrap();
        assert_eq!(
            change,
            IntuneChange::Changed(StatusChanges {
                phrases: vec!["matched to a bench device".into()],
                notable: true
            })
        );
        assert_eq!(store.intune_links(dev).unwrap().len(), 1);
    }
}
