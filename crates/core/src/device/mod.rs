//! Attached devices: read each one through the adb server, record what was seen in the store,
//! and stream bench snapshots to the CLI and the app.
//!
//! A bench snapshot is the full list of attached devices; a new one is sent whenever the adb
//! server reports a change. Devices whose adb state did not change are not read again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use stagebench_adb::server::{AdbServer, DeviceEntry, DeviceFacts, DeviceState};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::identity::{check_identity, is_network_address, SerialObservation, SerialSource};
use crate::store::{Sighting, Store};

/// How many devices are read at once: enough for a 50-slot bench, few enough for the adb server.
pub const READ_CONCURRENCY: usize = 16;

/// How long to wait before asking a stopped adb server again.
const SERVER_RETRY: Duration = Duration::from_secs(2);

/// One attached device as the bench shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BenchDevice {
    /// The adb transport serial (a USB serial or `host:port`); unique among attached devices.
    pub key: String,
    /// The adb state (`device`, `unauthorized`, `offline`, …).
    pub state: String,
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
    /// Identity problems, each with its next step.
    pub flags: Vec<String>,
    /// Set when reading the device failed.
    pub error: Option<String>,
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

/// The adb state as the short word adb itself uses.
pub fn state_word(state: &DeviceState) -> String {
    match state {
        DeviceState::Device => "device".into(),
        DeviceState::Offline => "offline".into(),
        DeviceState::Unauthorized => "unauthorized".into(),
        DeviceState::Authorizing => "authorizing".into(),
        DeviceState::Connecting => "connecting".into(),
        DeviceState::Bootloader => "bootloader".into(),
        DeviceState::Recovery => "recovery".into(),
        DeviceState::Sideload => "sideload".into(),
        DeviceState::Host => "host".into(),
        DeviceState::Rescue => "rescue".into(),
        DeviceState::NoPermissions(_) => "no permissions".into(),
        DeviceState::Other(s) => s.clone(),
    }
}

/// The serials a device exposes, each with where it came from.
pub fn serial_observations(facts: &DeviceFacts) -> Vec<SerialObservation> {
    let mut out = vec![SerialObservation { source: SerialSource::AdbTransport, value: facts.transport_serial.clone() }];
    if let Some(v) = &facts.ro_serialno {
        out.push(SerialObservation { source: SerialSource::RoSerialno, value: v.clone() });
    }
    if let Some(v) = &facts.boot_serialno {
        out.push(SerialObservation { source: SerialSource::BootSerialno, value: v.clone() });
    }
    out
}

/// A device the adb server lists but that could not be read (yet).
fn unread(entry: &DeviceEntry) -> BenchDevice {
    BenchDevice {
        key: entry.serial.clone(),
        state: state_word(&entry.state),
        next_step: next_step_for(&entry.state),
        serial: (!is_network_address(&entry.serial)).then(|| entry.serial.clone()),
        serials: vec![SerialObservation { source: SerialSource::AdbTransport, value: entry.serial.clone() }],
        manufacturer: None,
        model: entry.model.clone(),
        android_release: None,
        sdk: None,
        build_id: None,
        slot: slot_of(entry),
        flags: Vec::new(),
        error: None,
    }
}

fn slot_of(entry: &DeviceEntry) -> Option<String> {
    entry.usb.clone().or_else(|| is_network_address(&entry.serial).then(|| entry.serial.clone()))
}

/// Builds the bench card from what was read.
pub fn bench_device(entry: &DeviceEntry, facts: &DeviceFacts) -> BenchDevice {
    let serials = serial_observations(facts);
    let serial = facts
        .ro_serialno
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| (!is_network_address(&facts.transport_serial)).then(|| facts.transport_serial.clone()));
    let flags = check_identity(&serials).flags.iter().map(|f| f.message()).collect();
    BenchDevice {
        manufacturer: facts.manufacturer.clone(),
        model: facts.model.clone().or_else(|| entry.model.clone()),
        android_release: facts.android_release.clone(),
        sdk: facts.sdk,
        build_id: facts.build_id.clone(),
        serial,
        serials,
        flags,
        ..unread(entry)
    }
}

/// Reads one listed device: facts when adb can talk to it, otherwise what the listing says.
pub async fn read_device(server: &AdbServer, entry: &DeviceEntry) -> (BenchDevice, Option<DeviceFacts>) {
    if entry.state != DeviceState::Device {
        return (unread(entry), None);
    }
    match server.read_facts(&entry.serial).await {
        Ok(facts) => (bench_device(entry, &facts), Some(facts)),
        Err(e) => {
            let mut d = unread(entry);
            d.error = Some(e.to_string());
            d.next_step = Some("The device stopped answering: check the cable, then unplug and re-plug it.".into());
            (d, None)
        }
    }
}

/// Reads many devices in parallel (at most [`READ_CONCURRENCY`] at once), keeping their order.
pub async fn read_devices(addr: SocketAddr, entries: &[DeviceEntry]) -> Vec<(BenchDevice, Option<DeviceFacts>)> {
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
                d.error = Some("reading the device panicked; this is a bug, please send a support bundle".into());
                (d, None)
            })
        })
        .collect()
}

/// Records a read device in the store. Only devices whose facts were read are recorded.
pub fn record(store: &mut Store, device: &BenchDevice, facts: &DeviceFacts) -> Result<(), crate::store::StoreError> {
    let facts_json = serde_json::json!({
        "manufacturer": facts.manufacturer,
        "model": facts.model,
        "device": facts.device,
        "android_release": facts.android_release,
        "sdk": facts.sdk,
        "build_id": facts.build_id,
        "build_display_id": facts.build_display_id,
        "fingerprint": facts.fingerprint,
    });
    store.record_sighting(&Sighting { serials: device.serials.clone(), slot: device.slot.clone(), facts: facts_json })?;
    Ok(())
}

/// A store shared between the watcher and its owner.
pub type SharedStore = Arc<Mutex<Store>>;

/// Lists and reads every attached device once, recording each read device in `store`.
pub async fn snapshot(server: &AdbServer, store: Option<&SharedStore>) -> Result<Vec<BenchDevice>, stagebench_adb::server::AdbError> {
    let entries = server.devices().await?;
    let read = read_devices(server.addr(), &entries).await;
    Ok(finish(read, store))
}

fn finish(read: Vec<(BenchDevice, Option<DeviceFacts>)>, store: Option<&SharedStore>) -> Vec<BenchDevice> {
    read.into_iter()
        .map(|(mut device, facts)| {
            if let (Some(store), Some(facts)) = (store, facts) {
                let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = record(&mut store, &device, &facts) {
                    tracing::warn!(device = %device.key, error = %e, "could not record device");
                    device.flags.push(format!("Not saved to the bench history: {e}"));
                }
            }
            device
        })
        .collect()
}

/// Watches the bench until `emit` returns `false`: a snapshot on every change, a
/// [`BenchEvent::ServerDown`] while the adb server can't be reached (retrying every 2 s).
pub async fn watch(server: AdbServer, store: Option<SharedStore>, mut emit: impl FnMut(BenchEvent) -> bool) {
    let mut known: HashMap<String, (DeviceEntry, BenchDevice)> = HashMap::new();
    loop {
        let failure = match server.track_devices().await {
            Ok(mut tracker) => loop {
                let entries = match tracker.next().await {
                    Ok(entries) => entries,
                    Err(e) => break e,
                };
                // Read only what is new or changed; keep the cards of unchanged devices.
                let changed: Vec<DeviceEntry> =
                    entries.iter().filter(|e| known.get(&e.serial).is_none_or(|(old, _)| old != *e)).cloned().collect();
                let fresh = finish(read_devices(server.addr(), &changed).await, store.as_ref());
                for (entry, device) in changed.into_iter().zip(fresh) {
                    known.insert(entry.serial.clone(), (entry, device));
                }
                known.retain(|serial, _| entries.iter().any(|e| &e.serial == serial));
                let devices = entries.iter().filter_map(|e| known.get(&e.serial).map(|(_, d)| d.clone())).collect();
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
