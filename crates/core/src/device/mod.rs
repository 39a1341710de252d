//! Attached devices: read each one through the adb server, record what was seen in the store,
//! and stream bench snapshots to the CLI and the app.
//!
//! A bench snapshot is the full list of attached devices; a new one is sent whenever the adb
//! server reports a change. Devices whose adb state did not change are not read again.
//!
//! Layout: this module reads and records devices; [`adb_state`] is a device's connection state
//! as a card shows it; [`evidence`] reads the stage evidence (one
//! compound shell command, parsed without I/O); [`mod@preflight`] holds the rules table;
//! [`realwear`] the RealWear models and firmware; [`version`] compares app and firmware
//! versions. The enrollment profile facts the rules use are Intune's
//! ([`crate::intune::profile`]). [`usb`] reads devices straight over USB beside the adb server;
//! [`history`] finds a card's stored device and its Intune status. (The bench watcher service,
//! which adds each card's batch and stage, is the `bench` module a floor above.)
//! Reading a device is two device round trips run at once: `getprop` and the evidence command.

pub mod adb_state;
pub mod evidence;
pub mod history;
pub mod preflight;
pub mod realwear;
pub mod usb;
pub mod version;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use stagebench_adb::server::{AdbServer, DeviceEntry, DeviceFacts, DeviceState};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use adb_state::AdbState;
pub use evidence::{parse_evidence, read_evidence, StageEvidence, EVIDENCE_COMMAND};
pub use preflight::{preflight, Finding, PreflightInput, Rule, Severity, RULES};
pub use realwear::FirmwareFacts;
pub use version::AppVersion;

use crate::identity::{check_identity, is_network_address, SerialObservation, SerialSource};
use crate::ids::{BatchId, DeviceId};
use crate::intune::profile::ProfileContext;
use crate::intune::status::IntuneStatus;
use crate::stage::DeviceStage;
use crate::store::{is_usb_port_path, Sighting, Store, StoreError};

/// How many devices are read at once: enough for a 50-slot bench, few enough for the adb server.
pub const READ_CONCURRENCY: usize = 16;

/// How long to wait before asking a stopped adb server again.
const SERVER_RETRY: Duration = Duration::from_secs(2);

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
    /// The slot's number on the bench, when the slot has one (see [`Store::assign_slot`]).
    pub slot_number: Option<u32>,
    /// Notes that are not preflight findings: identity notes for a device known only by its USB
    /// descriptor, or "not saved to the bench history". (On a device that was read, identity
    /// problems are the `serial-identity` finding in [`BenchDevice::problems`].)
    pub flags: Vec<String>,
    /// What the device says about its stage, when it could be read.
    pub evidence: Option<StageEvidence>,
    /// Preflight findings without a profile (see [`preflight()`]), blockers first.
    pub problems: Vec<Finding>,
    /// Set when reading the device failed.
    pub error: Option<String>,
    /// What Intune last said about the device (from the last sync), when it has shown it.
    pub intune: Option<IntuneStatus>,
    /// The batch it belongs to, when it is in one.
    pub batch: Option<BatchId>,
    /// Where it stands in its batch's flow, with the one next instruction.
    pub stage: Option<DeviceStage>,
}

/// How devices are read and recorded.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Give a USB port without a slot number the lowest free one when a device is first seen
    /// there (needs a store). TCP addresses are never numbered automatically: they change with
    /// every connection; number them with [`Store::assign_slot`].
    pub auto_assign_slots: bool,
    /// Where a recorded device stands in its batch, put on its card ([`BenchDevice::batch`],
    /// [`BenchDevice::stage`]). Batches are a floor above devices, so the front end passes the
    /// batch module's lookup (`batch::progress::stage_of`); `None` (the default) leaves both
    /// unset.
    pub stage: Option<StageLookup>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            auto_assign_slots: true,
            stage: None,
        }
    }
}

/// Finds where the stored device stands in its batch at `now`: the batch's id and the device's
/// stage, or `None` when it is in no batch.
pub type StageLookup =
    fn(&Store, DeviceId, OffsetDateTime) -> Result<Option<(BatchId, DeviceStage)>, StoreError>;

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

/// What the bench watcher reports.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BenchEvent {
    /// The full list of attached devices.
    Snapshot {
        /// Attached devices, in the adb server's order.
        devices: Vec<BenchDevice>,
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
fn unread(entry: &DeviceEntry) -> BenchDevice {
    BenchDevice {
        key: entry.serial.clone(),
        device_id: None,
        state: AdbState::from(&entry.state),
        next_step: next_step_for(&entry.state),
        serial: (!is_network_address(&entry.serial)).then(|| entry.serial.clone()),
        serials: vec![SerialObservation {
            source: SerialSource::AdbTransport,
            value: entry.serial.clone(),
        }],
        manufacturer: None,
        model: entry.model.clone(),
        android_release: None,
        sdk: None,
        build_id: None,
        slot: slot_of(entry),
        slot_number: None,
        flags: Vec::new(),
        evidence: None,
        problems: Vec::new(),
        error: None,
        intune: None,
        batch: None,
        stage: None,
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

/// Reads one listed device: facts and stage evidence at once when adb can talk to it,
/// otherwise what the listing says. Evidence that can't be read leaves `evidence` empty and
/// says so in `error`; facts that can't be read make the device "stopped answering".
pub async fn read_device(
    server: &AdbServer,
    entry: &DeviceEntry,
) -> (BenchDevice, Option<DeviceFacts>) {
    if entry.state != DeviceState::Device {
        return (unread(entry), None);
    }
    let (facts, evidence) = tokio::join!(
        server.read_facts(&entry.serial),
        read_evidence(server, &entry.serial)
    );
    match facts {
        Ok(facts) => {
            let (evidence, failure) = match evidence {
                Ok(evidence) => (Some(evidence), None),
                Err(e) => (
                    None,
                    Some(format!("could not read the stage evidence: {e}")),
                ),
            };
            let mut device = bench_device(entry, &facts, evidence, Vec::new());
            device.error = failure;
            (device, Some(facts))
        }
        Err(e) => {
            let mut d = unread(entry);
            d.error = Some(e.to_string());
            d.next_step = Some(
                "The device stopped answering: check the cable, then unplug and re-plug it.".into(),
            );
            (d, None)
        }
    }
}

/// Reads many devices in parallel (at most [`READ_CONCURRENCY`] at once), keeping their order.
pub async fn read_devices(
    addr: SocketAddr,
    entries: &[DeviceEntry],
) -> Vec<(BenchDevice, Option<DeviceFacts>)> {
    let permits = Arc::new(Semaphore::new(READ_CONCURRENCY));
    let mut set = JoinSet::new();
    for (i, entry) in entries.iter().cloned().enumerate() {
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (i, read_device(&AdbServer::new(addr), &entry).await)
        });
    }
    let mut out: Vec<Option<(BenchDevice, Option<DeviceFacts>)>> = vec![None; entries.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((i, read)) = joined {
            out[i] = Some(read);
        }
    }
    out.into_iter()
        .zip(entries)
        .map(|(read, entry)| {
            read.unwrap_or_else(|| {
                let mut d = unread(entry);
                d.error = Some(
                    "reading the device panicked; this is a bug, please send a support bundle"
                        .into(),
                );
                (d, None)
            })
        })
        .collect()
}

/// Records a read device in the store: serials, slot, facts, slot number and stage evidence
/// go into the `seen` event. Only devices whose facts were read are recorded.
pub fn record(
    store: &mut Store,
    device: &BenchDevice,
    facts: &DeviceFacts,
) -> Result<DeviceId, StoreError> {
    let facts_json = serde_json::json!({
        "manufacturer": facts.manufacturer,
        "model": facts.model,
        "device": facts.device,
        "android_release": facts.android_release,
        "sdk": facts.sdk,
        "build_id": facts.build_id,
        "build_display_id": facts.build_display_id,
        "fingerprint": facts.fingerprint,
        "slot_number": device.slot_number,
        "evidence": device.evidence,
    });
    let id = store.record_sighting(&Sighting {
        serials: device.serials.clone(),
        slot: device.slot.clone(),
        facts: facts_json,
    })?;
    // Into the batch that expects it, or the bench's active batch.
    store.assign_batch(id)?;
    Ok(id)
}

/// A store shared between the watcher and its owner.
pub type SharedStore = Arc<Mutex<Store>>;

/// Lists and reads, through the adb server, every device it holds, once; records each read
/// device in `store`. (USB devices too: [`usb::snapshot_bench`].)
pub async fn snapshot_server(
    server: &AdbServer,
    store: Option<&SharedStore>,
    options: ReadOptions,
) -> Result<Vec<BenchDevice>, stagebench_adb::server::AdbError> {
    let entries = server.devices().await?;
    let read = read_devices(server.addr(), &entries).await;
    Ok(finish(read, store, options))
}

/// Fills in slot numbers (numbering new USB ports when `options` say so), and the stored device
/// and its Intune status for cards that were not recorded (see [`history::identify`]).
fn number_slots(store: &mut Store, devices: &mut [BenchDevice], options: ReadOptions) {
    for device in devices.iter_mut() {
        history::identify(store, device);
        device.intune = device
            .device_id
            .and_then(|id| history::live_intune(store, id));
    }
    for device in devices {
        let Some(slot) = device.slot.as_deref() else {
            continue;
        };
        let found = if options.auto_assign_slots && is_usb_port_path(slot) {
            store
                .auto_assign_slot(slot)
                .map(Some)
                .map_err(|e| e.to_string())
        } else {
            store.slot_for(slot).map_err(|e| e.to_string())
        };
        match found {
            Ok(found) => device.slot_number = found.map(|s| s.number),
            Err(e) => {
                tracing::warn!(device = %device.key, error = %e, "could not look up the bench slot")
            }
        }
    }
}

fn finish(
    read: Vec<(BenchDevice, Option<DeviceFacts>)>,
    store: Option<&SharedStore>,
    options: ReadOptions,
) -> Vec<BenchDevice> {
    let Some(store) = store else {
        return read.into_iter().map(|(device, _)| device).collect();
    };
    let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
    let (mut devices, facts): (Vec<BenchDevice>, Vec<Option<DeviceFacts>>) =
        read.into_iter().unzip();
    number_slots(&mut store, &mut devices, options);
    for (device, facts) in devices.iter_mut().zip(facts) {
        if let Some(facts) = facts {
            match record(&mut store, device, &facts) {
                Ok(id) => {
                    // The recorded id is the card's from now on.
                    device.device_id = Some(id);
                    device.intune = history::live_intune(&store, id);
                    if let Some(stage_of) = options.stage {
                        let now = store.clock_now();
                        match stage_of(&store, id, now) {
                            Ok(found) => {
                                device.batch = found.as_ref().map(|(batch, _)| batch.clone());
                                device.stage = found.map(|(_, stage)| stage);
                            }
                            Err(e) => {
                                tracing::warn!(device = %device.key, error = %e, "could not derive the stage")
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(device = %device.key, error = %e, "could not record device");
                    device
                        .flags
                        .push(format!("Not saved to the bench history: {e}"));
                }
            }
        }
    }
    devices
}

/// Watches the devices the adb server holds until `emit` returns `false`: a snapshot on every
/// change, a [`BenchEvent::ServerDown`] while the server can't be reached (retrying every 2 s).
/// Slot numbers are refreshed from the store on every snapshot, so a slot assigned meanwhile
/// shows without re-reading the device. (USB devices too: [`usb::watch_bench`].)
pub async fn watch_server(
    server: AdbServer,
    store: Option<SharedStore>,
    options: ReadOptions,
    mut emit: impl FnMut(BenchEvent) -> bool,
) {
    let mut known: HashMap<String, (DeviceEntry, BenchDevice)> = HashMap::new();
    loop {
        let failure = match server.track_devices().await {
            Ok(mut tracker) => loop {
                let entries = match tracker.next().await {
                    Ok(entries) => entries,
                    Err(e) => break e,
                };
                // Read only what is new or changed; keep the cards of unchanged devices.
                let changed: Vec<DeviceEntry> = entries
                    .iter()
                    .filter(|e| known.get(&e.serial).is_none_or(|(old, _)| old != *e))
                    .cloned()
                    .collect();
                let fresh = finish(
                    read_devices(server.addr(), &changed).await,
                    store.as_ref(),
                    options,
                );
                for (entry, device) in changed.into_iter().zip(fresh) {
                    known.insert(entry.serial.clone(), (entry, device));
                }
                known.retain(|serial, _| entries.iter().any(|e| &e.serial == serial));
                let mut devices: Vec<BenchDevice> = entries
                    .iter()
                    .filter_map(|e| known.get(&e.serial).map(|(_, d)| d.clone()))
                    .collect();
                if let Some(store) = &store {
                    let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                    number_slots(
                        &mut store,
                        &mut devices,
                        ReadOptions {
                            auto_assign_slots: false,
                            ..options
                        },
                    );
                }
                if !emit(BenchEvent::Snapshot { devices }) {
                    return;
                }
            },
            Err(e) => e,
        };
        known.clear();
        let message = format!(
            "Can't reach the adb server at {}: {failure}. Start it with `adb start-server`; StageBench keeps retrying.",
            server.addr()
        );
        if !emit(BenchEvent::ServerDown { message }) {
            return;
        }
        tokio::time::sleep(SERVER_RETRY).await;
    }
}

impl BenchDevice {
    /// A read card with one `ro.serialno`, in no slot (tests and demos).
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(key: &str, serial: &str) -> BenchDevice {
        BenchDevice {
            key: key.into(),
            device_id: None,
            state: AdbState::Device,
            next_step: None,
            serial: Some(serial.into()),
            serials: vec![SerialObservation::new(SerialSource::RoSerialno, serial)],
            manufacturer: None,
            model: None,
            android_release: None,
            sdk: None,
            build_id: None,
            slot: None,
            slot_number: None,
            flags: vec![],
            evidence: None,
            problems: vec![],
            error: None,
            intune: None,
            batch: None,
            stage: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intune::status::{IntuneStage, IntuneStatusStore};

    #[test]
    fn cards_carry_the_live_intune_status_of_the_stored_device() {
        let mut store = Store::open_in_memory().unwrap();
        let entry = DeviceEntry::parse_line("R58N1 device usb:1-2 model:SM_G991B").unwrap();
        let mut cards = vec![unread(&entry)];
        number_slots(&mut store, &mut cards, ReadOptions::default());
        assert_eq!(cards[0].intune, None, "nothing known yet");
        let id = store
            .record_sighting(&Sighting::new(cards[0].serials.clone()))
            .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let old = IntuneStatus::derive(
            "md-old",
            "Staging_R58N1_AndroidEnterprise_11/20/26_9.05 AM",
            "R58N1",
            None,
            Some("managed"),
            None,
            None,
            None,
            None,
        );
        store.record_intune_status(Some(id), &old, now).unwrap();
        store.record_intune_gone("md-old", now).unwrap();
        let new = IntuneStatus::derive(
            "md-new",
            "ana_AndroidEnterprise_11/21/26_9.05 AM",
            "R58N1",
            None,
            Some("managed"),
            Some("ana@contoso.com"),
            None,
            None,
            None,
        );
        store.record_intune_status(Some(id), &new, now).unwrap();
        number_slots(&mut store, &mut cards, ReadOptions::default());
        let intune = cards[0].intune.as_ref().expect("status attached");
        assert_eq!(
            (intune.intune_id.as_str(), intune.stage),
            ("md-new", IntuneStage::UserAssigned)
        );
        assert_eq!(cards[0].slot_number, Some(1), "slots still numbered");
    }

    /// Puts every recorded device in one batch, at the start of the staging-token flow.
    fn in_one_batch(
        _: &Store,
        _: DeviceId,
        now: OffsetDateTime,
    ) -> Result<Option<(BatchId, DeviceStage)>, StoreError> {
        let batch = BatchId::try_from("0123456789abcdef0123456789abcdef".to_owned()).unwrap();
        Ok(Some((
            batch,
            crate::stage::derive(crate::stage::Flow::StagingToken, &[], now),
        )))
    }

    #[test]
    fn recorded_cards_carry_the_batch_and_stage_of_the_lookup_they_are_given() {
        let store: SharedStore = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
        let entry = DeviceEntry::parse_line("R58N1 device usb:1-2 model:SM_G991B").unwrap();
        let facts = DeviceFacts::from_properties(
            "R58N1".into(),
            [("ro.serialno".to_owned(), "R58N1".to_owned())].into(),
        );
        let read = || vec![(unread(&entry), Some(facts.clone()))];
        let plain = finish(read(), Some(&store), ReadOptions::default());
        assert_eq!(
            (&plain[0].batch, &plain[0].stage),
            (&None, &None),
            "no lookup, no stage"
        );
        let options = ReadOptions {
            stage: Some(in_one_batch),
            ..ReadOptions::default()
        };
        let staged = finish(read(), Some(&store), options);
        assert_eq!(
            staged[0].batch.as_ref().map(BatchId::as_str),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            staged[0].stage.as_ref().map(|s| s.stage),
            Some(crate::stage::Stage::New)
        );
    }
}
