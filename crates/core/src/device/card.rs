//! The bench card: what one attached device shows (identity, facts, evidence, preflight
//! problems, the next step), and how a listing entry and the facts read become one.

use serde::Serialize;
use stagebench_adb::server::{DeviceEntry, DeviceFacts, DeviceState};

use super::record::BatchPlace;
use super::status::CardStatus;
use super::{preflight, AdbState, Finding, PreflightInput, Severity, StageEvidence, RULES};
use crate::identity::{check_identity, is_network_address, SerialObservation, SerialSource};
use crate::ids::{BatchId, DeviceId};
use crate::intune::profile::ProfileContext;
use crate::intune::status::IntuneStatus;
use crate::stage::DeviceStage;

/// One attached device as the bench shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BenchDevice {
    /// The adb transport serial (a USB serial or `host:port`); unique among attached devices.
    pub key: String,
    /// The device in the bench history: set when its sighting is recorded (or, for a card that
    /// was not read, when the history already knows it); `None` until then.
    #[ts(type = "number | null")]
    pub device_id: Option<DeviceId>,
    /// The connection state (`device`, `unauthorized`, `offline`, …).
    pub state: AdbState,
    /// What the technician should do next, when something is in the way.
    pub next_step: Option<String>,
    /// The serial to show: `ro.serialno`, else the transport serial when it is not an address.
    pub serial: Option<String>,
    /// Every serial read, with its source.
    pub serials: Vec<SerialObservation>,
    /// `ro.product.manufacturer`.
    pub manufacturer: Option<String>,
    /// `ro.product.model` (or the model the adb server reported).
    pub model: Option<String>,
    /// `ro.build.version.release`.
    pub android_release: Option<String>,
    /// `ro.build.version.sdk`.
    pub sdk: Option<u32>,
    /// `ro.build.id`.
    pub build_id: Option<String>,
    /// The bench slot: the USB port path, or the address of a TCP device.
    pub slot: Option<String>,
    /// The slot's number on the bench, when the slot has one (see
    /// [`Store::assign_slot`](crate::store::Store::assign_slot)).
    pub slot_number: Option<u32>,
    /// Notes that are not preflight findings: identity notes for a device known only by its USB
    /// descriptor, or "not saved to the bench history". (On a device that was read, identity
    /// problems are the `serial-identity` finding in [`BenchDevice::problems`].)
    pub flags: Vec<String>,
    /// What the device says about its stage, when it could be read.
    pub evidence: Option<StageEvidence>,
    /// Preflight findings without a profile (see [`preflight()`]), blockers first; those that
    /// only matter before staging are set aside once the device is past scanning
    /// ([`status::settle`](super::status::settle)).
    pub problems: Vec<Finding>,
    /// The findings set aside for the device's stage (kept, so a card settled again for an
    /// earlier stage shows them again).
    #[serde(skip)]
    #[ts(skip)]
    pub set_aside: Vec<Finding>,
    /// Set when reading the device failed.
    pub error: Option<String>,
    /// What Intune last said about the device (from the last sync), when it shows it.
    pub intune: Option<IntuneStatus>,
    /// When the bench last asked Intune about it (RFC 3339), when Intune shows it: the time
    /// [`BenchDevice::intune`] is as of.
    pub intune_checked_at: Option<String>,
    /// Since when Intune no longer shows the device it showed before (RFC 3339), if so.
    pub intune_gone_since: Option<String>,
    /// When the facts and evidence were read (RFC 3339): the time [`BenchDevice::evidence`] is
    /// as of.
    pub read_at: Option<String>,
    /// The one status the card shows, derived from everything above
    /// ([`status::card_status`](super::status::card_status)).
    pub status: CardStatus,
    /// When the device left the bench (RFC 3339): the card is then a grey tile, kept until
    /// dismissed or until the device is plugged back in.
    pub unplugged_at: Option<String>,
    /// The batch it belongs to, when it is in one.
    pub batch: Option<BatchId>,
    /// Where it stands in its batch's flow, with the one next instruction.
    pub stage: Option<DeviceStage>,
    /// The box label (asset tag) last scanned onto its slot, from its history.
    pub box_label: Option<String>,
}

impl BenchDevice {
    /// The preflight findings for this device staged with `profile` (the bench's own
    /// [`BenchDevice::problems`] were found without one), from the facts and evidence as read.
    pub fn preflight_with(&self, profile: Option<ProfileContext>) -> Vec<Finding> {
        let properties = [
            ("ro.product.manufacturer", self.manufacturer.clone()),
            ("ro.product.model", self.model.clone()),
            ("ro.build.version.release", self.android_release.clone()),
            ("ro.build.version.sdk", self.sdk.map(|s| s.to_string())),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect();
        let facts = DeviceFacts::from_properties(self.key.clone(), properties);
        preflight(&PreflightInput {
            facts: &facts,
            evidence: self.evidence.as_ref(),
            identity: &check_identity(&self.serials),
            profile,
        })
    }
}

impl BenchDevice {
    /// Puts the card in its batch (or in none): its batch and stage, and its preflight findings
    /// found again for the batch's profile, so a rule that needs the profile (the Android 10
    /// floor of a staging batch, Microsoft's AOSP list on an AOSP batch) shows on the card
    /// before the device scans the QR. Only a card whose facts were read is checked again; a
    /// finding of another kind on it is kept, and a next step that was the first blocker's
    /// follows the new first blocker.
    pub fn place_in_batch(&mut self, place: Option<BatchPlace>) {
        let profile = place.as_ref().and_then(|p| p.profile);
        self.batch = place.as_ref().map(|p| p.batch.clone());
        self.stage = place.map(|p| p.stage);
        if self.read_at.is_none() {
            return;
        }
        let old_step = first_blocker_step(self.problems.iter().chain(&self.set_aside));
        let fresh = self.preflight_with(profile);
        let is_rule = |f: &Finding| RULES.iter().any(|r| r.id == f.rule);
        let mut kept: Vec<Finding> = std::mem::take(&mut self.problems);
        kept.append(&mut self.set_aside);
        kept.retain(|f| !is_rule(f));
        if self.next_step == old_step {
            self.next_step = first_blocker_step(fresh.iter());
        }
        self.problems = fresh;
        self.problems.extend(kept);
    }
}

/// The next step of the first blocker, in [`RULES`] order.
fn first_blocker_step<'a>(findings: impl Iterator<Item = &'a Finding> + Clone) -> Option<String> {
    RULES.iter().find_map(|rule| {
        findings
            .clone()
            .find(|f| f.rule == rule.id && f.severity == Severity::Blocker)
            .map(|f| f.next_step.clone())
    })
}

/// What the bench watcher reports.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BenchEvent {
    /// The full list of attached devices.
    Snapshot {
        /// Attached devices, in the adb server's order.
        devices: Vec<BenchDevice>,
        /// Devices that left while the watcher ran, as grey tiles (see
        /// [`Departures`](super::Departures)), oldest first.
        unplugged: Vec<BenchDevice>,
    },
    /// The adb server can't be reached; the watcher keeps retrying.
    ServerDown {
        /// What is wrong and what to do.
        message: String,
    },
    /// Devices are shown but not saved to the bench history (the store could not be opened).
    HistoryOff {
        /// What is wrong and what to do.
        message: String,
    },
}

/// The technician's next step for an adb state that blocks reading the device.
pub fn next_step_for(state: &DeviceState) -> Option<String> {
    let text = match state {
        DeviceState::Device => return None,
        DeviceState::Unauthorized => {
            "Accept the USB debugging prompt on the device (tick \"Always allow from this computer\")."
        }
        DeviceState::Authorizing | DeviceState::Connecting => "Wait a moment: the device is connecting.",
        DeviceState::Offline => {
            "Unplug the cable and plug it back in; if the device stays offline, restart the adb server (adb kill-server)."
        }
        DeviceState::NoPermissions(_) => {
            "This user can't open the USB device: install the Android udev rules (package android-sdk-platform-tools-common), then re-plug."
        }
        DeviceState::Bootloader | DeviceState::Recovery | DeviceState::Sideload | DeviceState::Rescue => {
            "The device is not running Android: reboot it into Android."
        }
        DeviceState::Host | DeviceState::Other(_) => "Unplug the device and plug it back in.",
    };
    Some(text.to_string())
}

/// The serials a device exposes, each with where it came from.
pub fn serial_observations(facts: &DeviceFacts) -> Vec<SerialObservation> {
    let mut out = vec![SerialObservation {
        source: SerialSource::AdbTransport,
        value: facts.transport_serial.clone(),
    }];
    if let Some(v) = &facts.ro_serialno {
        out.push(SerialObservation {
            source: SerialSource::RoSerialno,
            value: v.clone(),
        });
    }
    if let Some(v) = &facts.boot_serialno {
        out.push(SerialObservation {
            source: SerialSource::BootSerialno,
            value: v.clone(),
        });
    }
    out
}

/// A device the adb server lists but that could not be read (yet).
pub(super) fn unread(entry: &DeviceEntry) -> BenchDevice {
    BenchDevice {
        next_step: next_step_for(&entry.state),
        serial: (!is_network_address(&entry.serial)).then(|| entry.serial.clone()),
        serials: vec![SerialObservation {
            source: SerialSource::AdbTransport,
            value: entry.serial.clone(),
        }],
        model: entry.model.clone(),
        slot: slot_of(entry),
        ..BenchDevice::blank(entry.serial.clone(), AdbState::from(&entry.state))
    }
}

fn slot_of(entry: &DeviceEntry) -> Option<String> {
    entry
        .usb
        .clone()
        .or_else(|| is_network_address(&entry.serial).then(|| entry.serial.clone()))
}

/// Builds the bench card from the facts and the stage evidence: identity, preflight problems
/// (no profile), and as next step the first blocker's. `extra_serials` are serials read
/// elsewhere (the USB descriptor's), checked together with the device's own.
pub fn bench_device(
    entry: &DeviceEntry,
    facts: &DeviceFacts,
    evidence: Option<StageEvidence>,
    extra_serials: Vec<SerialObservation>,
) -> BenchDevice {
    let mut serials = serial_observations(facts);
    serials.extend(extra_serials);
    if let Some(imei) = evidence.as_ref().and_then(|e| e.imei.clone()) {
        serials.push(SerialObservation {
            source: SerialSource::Imei,
            value: imei,
        });
    }
    let serial = facts
        .ro_serialno
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            (!is_network_address(&facts.transport_serial)).then(|| facts.transport_serial.clone())
        });
    let identity = check_identity(&serials);
    let problems = preflight(&PreflightInput {
        facts,
        evidence: evidence.as_ref(),
        identity: &identity,
        profile: None,
    });
    let unread = unread(entry);
    let next_step = unread.next_step.clone().or_else(|| {
        problems
            .iter()
            .find(|p| p.severity == Severity::Blocker)
            .map(|p| p.next_step.clone())
    });
    BenchDevice {
        manufacturer: facts.manufacturer.clone(),
        model: facts.model.clone().or_else(|| entry.model.clone()),
        android_release: facts.android_release.clone(),
        sdk: facts.sdk,
        build_id: facts.build_id.clone(),
        serial,
        serials,
        flags: Vec::new(),
        evidence,
        problems,
        next_step,
        ..unread
    }
}

impl BenchDevice {
    /// A card keyed `key` in `state` with nothing else known yet: the start every card is
    /// built from.
    pub(super) fn blank(key: String, state: AdbState) -> BenchDevice {
        BenchDevice {
            key,
            device_id: None,
            state,
            next_step: None,
            serial: None,
            serials: Vec::new(),
            manufacturer: None,
            model: None,
            android_release: None,
            sdk: None,
            build_id: None,
            slot: None,
            slot_number: None,
            flags: Vec::new(),
            evidence: None,
            problems: Vec::new(),
            error: None,
            intune: None,
            intune_checked_at: None,
            intune_gone_since: None,
            read_at: None,
            status: CardStatus::reading(),
            unplugged_at: None,
            batch: None,
            stage: None,
            set_aside: Vec::new(),
            box_label: None,
        }
    }

    /// A read card with one `ro.serialno`, in no slot (tests and demos).
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(key: &str, serial: &str) -> BenchDevice {
        BenchDevice {
            serial: Some(serial.into()),
            serials: vec![SerialObservation::new(SerialSource::RoSerialno, serial)],
            ..BenchDevice::blank(key.into(), AdbState::Device)
        }
    }
}
