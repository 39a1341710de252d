//! The whole bench: the adb server's cards and the USB cards merged, once
//! ([`snapshot_bench`]) or on every change of either side ([`watch_bench`]).

use std::sync::PoisonError;

use stagebench_adb::server::{AdbError, AdbServer};
use stagebench_adb::usb::{UsbBackend, UsbEvent};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::UsbBench;
use crate::device::departed::EVENT_USB_LEFT;
use crate::device::status::past_scanning;
use crate::device::{
    number_slots, settle, BenchDevice, BenchEvent, Departures, ReadOptions, SharedStore,
};
use crate::store::Store;

/// The server's cards, then the USB cards whose port the server does not list.
fn merge(server: &[BenchDevice], usb: Vec<BenchDevice>) -> Vec<BenchDevice> {
    let mut devices = server.to_vec();
    for card in usb {
        let shown = card.slot.is_some()
            && server
                .iter()
                .any(|d| d.slot.is_some() && d.slot == card.slot);
        if !shown {
            devices.push(card);
        }
    }
    devices
}

/// Lists the bench once: the adb server's devices and the USB devices at once, merged (the
/// server's card wins for a port both see). Fails only when the server can't be reached and
/// USB shows no device either.
pub async fn snapshot_bench<B: UsbBackend>(
    server: &AdbServer,
    usb: Option<&UsbBench<B>>,
    store: Option<&SharedStore>,
    options: ReadOptions,
) -> Result<Vec<BenchDevice>, AdbError> {
    let read_usb = async {
        match usb {
            Some(usb) => usb.read_once(store, options).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not list USB devices");
                Vec::new()
            }),
            None => Vec::new(),
        }
    };
    let (from_server, from_usb) = tokio::join!(
        crate::device::snapshot_server(server, store, options),
        read_usb
    );
    match from_server {
        Ok(devices) => {
            let mut devices = merge(&devices, from_usb);
            settle(&mut devices);
            Ok(devices)
        }
        Err(e) if from_usb.is_empty() => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "no adb server; showing the USB devices only");
            Ok(from_usb)
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Watches the whole bench until `emit` returns `false`: the adb server's devices (as
/// [`crate::device::watch_server`]) and, with `usb`, the devices read straight over USB, as one
/// [`BenchEvent::Snapshot`] whenever either side changes. Each snapshot carries the devices
/// that left meanwhile as unplugged tiles ([`Departures`]), each card settled
/// ([`settle`]).
///
/// Without `usb` the events are exactly the server watcher's. With it, a missing adb server
/// does not hide the USB cards: the watcher sends their snapshot, then one
/// [`BenchEvent::ServerDown`] saying USB devices are read directly (again after each later
/// snapshot, so the note stays up in the UI, which clears it on a snapshot).
pub async fn watch_bench<B: UsbBackend>(
    server: AdbServer,
    usb: Option<UsbBench<B>>,
    store: Option<SharedStore>,
    options: ReadOptions,
    emit: impl FnMut(BenchEvent) -> bool,
) {
    let mut emit = with_departures(store.clone(), emit);
    let (server_tx, mut server_rx) = mpsc::unbounded_channel();
    let addr = server.addr();
    let _server_task = AbortOnDrop(
        tokio::spawn(crate::device::watch_server(
            server,
            store.clone(),
            options,
            move |event| server_tx.send(event).is_ok(),
        ))
        .abort_handle(),
    );
    let (usb_tx, mut usb_rx) = mpsc::channel(64);
    let _usb_watch = usb
        .as_ref()
        .map(|usb| stagebench_adb::usb::watch(usb.shared.backend.clone(), usb_tx));
    let mut usb_open = usb.is_some();
    let (report_tx, mut report_rx) = mpsc::unbounded_channel();

    let mut server_cards: Vec<BenchDevice> = Vec::new();
    let mut server_known = false;
    let mut server_down: Option<String> = None;
    loop {
        let go_on = tokio::select! {
            event = server_rx.recv() => {
                let Some(event) = event else { return };
                match (event, &usb) {
                    // Server only: its events as they are.
                    (event, None) => emit(event),
                    (BenchEvent::Snapshot { devices, .. }, Some(_)) => {
                        server_cards = devices;
                        server_known = true;
                        server_down = None;
                        publish(&mut emit, &server_cards, &server_down, usb.as_ref(), store.as_ref())
                    }
                    (BenchEvent::ServerDown { .. }, Some(_)) => {
                        let first = server_down.is_none() || !server_known;
                        server_cards.clear();
                        server_known = true;
                        server_down = Some(format!(
                            "No adb server answers at {addr}: devices plugged in by USB are read directly. Devices on TCP or Wi-Fi need the adb server: start it with `adb start-server`; StageBench keeps retrying."
                        ));
                        // The note repeats every retry; say it once.
                        !first || publish(&mut emit, &server_cards, &server_down, usb.as_ref(), store.as_ref())
                    }
                    (event, Some(_)) => emit(event),
                }
            }
            event = usb_rx.recv(), if usb_open => {
                let usb = usb.as_ref().expect("usb_open");
                let changed = match event {
                    Some(UsbEvent::Arrived(info)) => {
                        usb.arrived(info, &report_tx);
                        true
                    }
                    Some(UsbEvent::Left { port_path }) => usb.left(&port_path),
                    None => {
                        tracing::warn!("the USB watcher stopped; devices are read through the adb server only");
                        usb_open = false;
                        false
                    }
                };
                !changed || !server_known
                    || publish(&mut emit, &server_cards, &server_down, Some(usb), store.as_ref())
            }
            Some(report) = report_rx.recv() => {
                let usb = usb.as_ref().expect("reports come from USB reads");
                let changed = usb.apply(report, store.as_ref(), options);
                !changed || !server_known
                    || publish(&mut emit, &server_cards, &server_down, Some(usb), store.as_ref())
            }
        };
        if !go_on {
            return;
        }
    }
}

/// `emit` with the unplugged tiles put on each snapshot (unplugged at the store's time, else
/// the system's) and every card settled.
fn with_departures(
    store: Option<SharedStore>,
    mut emit: impl FnMut(BenchEvent) -> bool,
) -> impl FnMut(BenchEvent) -> bool {
    let mut departures = Departures::default();
    move |event| match event {
        BenchEvent::Snapshot { mut devices, .. } => {
            let now = match &store {
                Some(store) => store
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clock_now(),
                None => time::OffsetDateTime::now_utc(),
            };
            let mut unplugged = departures
                .update(&devices, &crate::clock::timestamp(now))
                .to_vec();
            if let Some(store) = &store {
                let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
                note_usb_left(&mut store, departures.left_now());
            }
            settle(&mut devices);
            settle(&mut unplugged);
            emit(BenchEvent::Snapshot { devices, unplugged })
        }
        other => emit(other),
    }
}

/// Notes in each device's history that it left USB after the bench saw Intune's agent own it
/// ([`EVENT_USB_LEFT`]): the stage rule then knows whether USB went before or after Powered off.
fn note_usb_left<'a>(store: &mut Store, left: impl Iterator<Item = &'a BenchDevice>) {
    for tile in left.filter(|t| past_scanning(t)) {
        let Some(id) = tile.device_id else { continue };
        let data = serde_json::json!({ "slot": tile.slot, "key": tile.key });
        if let Err(e) = store.append_event(Some(id), EVENT_USB_LEFT, &data) {
            tracing::warn!(device = %tile.key, error = %e, "could not note that the device left USB");
        }
    }
}

/// Sends the merged snapshot, then the standing server note if any; `false` to stop.
fn publish<B: UsbBackend>(
    emit: &mut impl FnMut(BenchEvent) -> bool,
    server_cards: &[BenchDevice],
    server_down: &Option<String>,
    usb: Option<&UsbBench<B>>,
    store: Option<&SharedStore>,
) -> bool {
    let mut usb_cards = usb.map(UsbBench::cards).unwrap_or_default();
    if let Some(store) = store {
        let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
        let refresh = ReadOptions {
            auto_assign_slots: false,
            ..ReadOptions::default()
        };
        number_slots(&mut store, &mut usb_cards, refresh);
    }
    if !emit(BenchEvent::Snapshot {
        devices: merge(server_cards, usb_cards),
        unplugged: Vec::new(),
    }) {
        return false;
    }
    match server_down {
        Some(message) => emit(BenchEvent::ServerDown {
            message: message.clone(),
        }),
        None => true,
    }
}
