//! Devices through the adb server: reading one or many listed devices, a snapshot of all of
//! them, and the watcher that sends a new snapshot on every change.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use stagebench_adb::server::{AdbServer, DeviceEntry, DeviceFacts, DeviceState};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::card::unread;
use super::{
    bench_device, finish, number_slots, read_evidence, BenchDevice, BenchEvent, ReadOptions,
    SharedStore, READ_CONCURRENCY,
};

/// How long to wait before asking a stopped adb server again.
const SERVER_RETRY: Duration = Duration::from_secs(2);

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

/// Lists and reads, through the adb server, every device it holds, once; records each read
/// device in `store`. (USB devices too: [`super::usb::snapshot_bench`].)
pub async fn snapshot_server(
    server: &AdbServer,
    store: Option<&SharedStore>,
    options: ReadOptions,
) -> Result<Vec<BenchDevice>, stagebench_adb::server::AdbError> {
    let entries = server.devices().await?;
    let read = read_devices(server.addr(), &entries).await;
    let mut devices = finish(read, store, options);
    super::settle(&mut devices);
    Ok(devices)
}

/// Watches the devices the adb server holds until `emit` returns `false`: a snapshot on every
/// change, a [`BenchEvent::ServerDown`] while the server can't be reached (retrying every 2 s).
/// Slot numbers are refreshed from the store on every snapshot, so a slot assigned meanwhile
/// shows without re-reading the device. (USB devices too: [`super::usb::watch_bench`].)
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
                super::settle(&mut devices);
                if !emit(BenchEvent::Snapshot {
                    devices,
                    unplugged: Vec::new(),
                }) {
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
