//! The bench read straight over USB, next to (and merged with) the adb server path.
//!
//! Device access has two first-class paths (see the design notes): ADB spoken directly over a
//! device's USB bulk endpoints with the bench's own key, and a running adb server. [`UsbBench`]
//! is the first: for every device on the bus it reads the descriptors (serial, maker, product —
//! even when ADB is off or unauthorized), claims the ADB interface, connects with the bench's
//! ADB host key and reads facts and stage evidence. [`watch_bench`] runs it together with the
//! server watcher ([`super::watch_server`]) and sends one merged
//! [`BenchEvent::Snapshot`](super::BenchEvent::Snapshot) on every change of either side;
//! [`snapshot_bench`] is the same once.
//!
//! What each USB device becomes:
//!
//! - ADB interface present and free → a `connecting` card at once, `unauthorized` while the
//!   device shows "Allow USB debugging?", then the full card (facts, evidence, identity with the
//!   descriptor serial as a
//!   [`SerialSource::UsbDescriptor`](crate::identity::SerialSource::UsbDescriptor) observation),
//!   recorded in the store.
//! - ADB interface held by a running adb server → no USB card: the server path lists the device
//!   at the same port path ([`UsbBench::held`] remembers it for `doctor` and the UI). Held by a
//!   program that is not an adb server → a `busy` card saying what to close.
//! - No ADB interface → an `adb-off` card with the descriptor's serial, maker and product;
//!   a serial that tells devices apart is recorded, so the device joins the active batch by
//!   its USB serial (a device in the set-up wizard with debugging off shows a locked MTP
//!   function whose USB serial is its Android serial) and Intune's `Staging_<serial>_…` finds
//!   it later; when ADB comes up, the same serial is the same device.
//! - Not openable → a `no-permissions` card with the udev (or driver) fix.
//! - Unplugged → the card, the connection and the port's lease go away. A device that leaves
//!   mid-read shows no error: its card just disappears.
//!
//! When the same port path shows on both sides, the server's card wins.
//!
//! Layout: this file holds [`UsbBench`] (the cards by port, and what each read reports);
//! [`setup`] what is known of devices in the set-up wizard with USB debugging off (and the
//! makers that don't enumerate then);
//! `host_key` the bench's ADB host key ([`AdbHostKey`], where [`KEY_ENV`] says it is); `read`
//! reads one port (descriptors, claim, connect, facts and evidence); `watch` merges the USB
//! cards with the adb server's ([`snapshot_bench`], [`watch_bench`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use stagebench_adb::host::{AdbDevice, ConnectOptions};
use stagebench_adb::server::{AdbServer, DeviceFacts, DeviceState};
use stagebench_adb::usb::{
    list_concurrently, AdbInterfaceState, AdbServerSeen, DeviceLeases, HeldInterface, UsbBackend,
    UsbDeviceInfo, UsbTimeouts,
};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::AbortHandle;

use super::record::finish_descriptor;
use super::{
    finish, next_step_for, number_slots, AdbState, BenchDevice, ReadOptions, SharedStore,
    READ_CONCURRENCY,
};

mod host_key;
mod read;
pub mod setup;
mod watch;

pub use host_key::{key_source_from_env, AdbHostKey, KEY_ENV};
pub use watch::{snapshot_bench, watch_bench};

use read::{descriptor_card, empty_card, read_port};

/// The next step for a device whose ADB interface is missing.
pub const TURN_ON_USB_DEBUGGING: &str = "Turn on USB debugging: Settings > System > Developer options > USB debugging (if Developer options is hidden, tap Settings > About phone > Build number seven times).";

/// How long to wait before offering the key again to a device whose user has not answered.
const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(1);

/// The card key of the device at a USB port (`usb:1-4.3`, the selector adb itself accepts).
pub fn usb_key(port_path: &str) -> String {
    format!("usb:{port_path}")
}

/// Devices read straight over USB. Cheap to clone; clones share the state (cards, connections,
/// leases).
pub struct UsbBench<B: UsbBackend> {
    shared: Arc<Shared<B>>,
    state: Arc<Mutex<UsbState>>,
}

impl<B: UsbBackend> Clone for UsbBench<B> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            state: self.state.clone(),
        }
    }
}

struct Shared<B> {
    backend: Arc<B>,
    key: AdbHostKey,
    server: AdbServer,
    leases: DeviceLeases,
    connect: ConnectOptions,
    timeouts: UsbTimeouts,
    reads: Semaphore,
    /// Offer the key again after the user let the prompt time out (the watcher does; a
    /// one-off listing does not).
    retry_unauthorized: bool,
}

#[derive(Default)]
struct UsbState {
    ports: HashMap<String, Port>,
    generation: u64,
}

struct Port {
    generation: u64,
    card: Option<BenchDevice>,
    held: Option<HeldInterface>,
    device: Option<AdbDevice>,
    task: Option<AbortHandle>,
}

impl Drop for Port {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// What a port's read task reports (one per read step, so size does not matter).
#[allow(clippy::large_enum_variant)]
enum Update {
    Card(Box<BenchDevice>, Option<DeviceFacts>),
    /// A card from the descriptor alone (USB debugging off), to record by its USB serial.
    Descriptor(Box<BenchDevice>),
    Connected(AdbDevice),
    Held(HeldInterface),
}

struct Report {
    port_path: String,
    generation: u64,
    update: Update,
}

impl<B: UsbBackend> UsbBench<B> {
    /// Read the devices on `backend` with `key`; `server` is only asked whether it is the
    /// program holding a device's interface.
    pub fn new(backend: Arc<B>, key: AdbHostKey, server: AdbServer) -> Self {
        Self {
            shared: Arc::new(Shared {
                backend,
                key,
                server,
                leases: DeviceLeases::new(),
                connect: ConnectOptions::default(),
                timeouts: UsbTimeouts::default(),
                reads: Semaphore::new(READ_CONCURRENCY),
                retry_unauthorized: true,
            }),
            state: Arc::default(),
        }
    }

    /// Use `connect` for the ADB handshake and reads (timeouts; the progress callback is
    /// replaced). Call before watching.
    pub fn with_connect_options(mut self, connect: ConnectOptions) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.connect = connect;
        }
        self
    }

    /// The per-device leases (keyed by port path): take one before talking to a device.
    pub fn leases(&self) -> &DeviceLeases {
        &self.shared.leases
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, UsbState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The USB cards now, by port path.
    pub fn cards(&self) -> Vec<BenchDevice> {
        let state = self.lock();
        let mut cards: BTreeMap<&String, BenchDevice> = BTreeMap::new();
        for (path, port) in &state.ports {
            if let Some(card) = &port.card {
                cards.insert(path, card.clone());
            }
        }
        cards.into_values().collect()
    }

    /// Devices whose ADB interface another program holds (normally an adb server, which then
    /// lists them): they are read through the server.
    pub fn held(&self) -> Vec<HeldInterface> {
        let state = self.lock();
        let mut held: Vec<HeldInterface> = state
            .ports
            .values()
            .filter_map(|p| p.held.clone())
            .collect();
        held.sort_by(|a, b| a.port_path.cmp(&b.port_path));
        held
    }

    /// The live connection to the device at `port_path`, when it was read over USB.
    pub fn device(&self, port_path: &str) -> Option<AdbDevice> {
        self.lock().ports.get(port_path)?.device.clone()
    }

    /// Start reading a device that arrived (replacing whatever was at its port).
    fn arrived(&self, info: UsbDeviceInfo, reports: &mpsc::UnboundedSender<Report>) {
        let mut state = self.lock();
        state.generation += 1;
        let generation = state.generation;
        let port_path = info.port_path.clone();
        let (card, task) = match &info.adb {
            AdbInterfaceState::Present(_) => {
                let task = tokio::spawn(read_port(
                    self.shared.clone(),
                    info.clone(),
                    generation,
                    reports.clone(),
                ));
                (
                    descriptor_card(
                        &info,
                        AdbState::Connecting,
                        next_step_for(&DeviceState::Connecting),
                    ),
                    Some(task.abort_handle()),
                )
            }
            AdbInterfaceState::Absent => {
                let card =
                    descriptor_card(&info, AdbState::AdbOff, Some(TURN_ON_USB_DEBUGGING.into()));
                // Recorded by its USB serial (a device in the set-up wizard), off this lock.
                let _ = reports.send(Report {
                    port_path: port_path.clone(),
                    generation,
                    update: Update::Descriptor(Box::new(card.clone())),
                });
                (card, None)
            }
            AdbInterfaceState::Unreadable { reason, .. } => {
                let mut card = descriptor_card(
                    &info,
                    AdbState::UsbNoPermissions,
                    info.next_step().map(|s| format!("{s}.")),
                );
                card.error = Some(format!("can't open {}: {reason}", info));
                (card, None)
            }
        };
        state.ports.insert(
            port_path,
            Port {
                generation,
                card: Some(card),
                held: None,
                device: None,
                task,
            },
        );
    }

    /// Forget the device at `port_path`: card, connection, read in progress (and its lease).
    fn left(&self, port_path: &str) -> bool {
        self.lock().ports.remove(port_path).is_some()
    }

    /// Apply a read task's report; `true` when the cards changed.
    fn apply(&self, report: Report, store: Option<&SharedStore>, options: ReadOptions) -> bool {
        let Report {
            port_path,
            generation,
            update,
        } = report;
        let current = |state: &UsbState| {
            state
                .ports
                .get(&port_path)
                .is_some_and(|p| p.generation == generation)
        };
        if !current(&self.lock()) {
            return false;
        }
        match update {
            Update::Connected(device) => {
                if let Some(port) = self.lock().ports.get_mut(&port_path) {
                    port.device = Some(device);
                }
                false
            }
            Update::Held(held) => {
                let card = match &held.adb_server {
                    // The server lists it; its card is the one to show.
                    AdbServerSeen::Running { .. } => None,
                    _ => {
                        let mut card = BenchDevice {
                            state: AdbState::Busy,
                            next_step: Some(format!("{held}.")),
                            ..empty_card(&port_path)
                        };
                        card.model = None;
                        Some(card)
                    }
                };
                let mut state = self.lock();
                let Some(port) = state.ports.get_mut(&port_path) else {
                    return false;
                };
                // Keep what the descriptor said on a busy card.
                let card = card.map(|c| match &port.card {
                    Some(old) => BenchDevice {
                        state: c.state,
                        next_step: c.next_step,
                        ..old.clone()
                    },
                    None => c,
                });
                port.card = card;
                port.held = Some(held);
                port.device = None;
                true
            }
            // Slot numbers and the bench history, as the server path does (outside the state
            // lock: the store may be slow).
            Update::Descriptor(card) => {
                // Two live ports with one serial: it tells neither apart, so neither is
                // recorded by it (the cards say "Duplicate serial").
                let shared = card.serial.as_ref().is_some_and(|serial| {
                    self.lock().ports.iter().any(|(path, p)| {
                        *path != port_path
                            && p.card
                                .as_ref()
                                .is_some_and(|c| c.serial.as_ref() == Some(serial))
                    })
                });
                let card = if shared {
                    *card
                } else {
                    finish_descriptor(*card, store, options)
                };
                self.put_card(&port_path, generation, card)
            }
            Update::Card(card, facts) => {
                let card = finish(vec![(*card, facts)], store, options)
                    .pop()
                    .expect("one card in, one out");
                self.put_card(&port_path, generation, card)
            }
        }
    }

    /// Shows `card` at `port_path` unless another device arrived there since `generation`;
    /// `true` when the cards changed.
    fn put_card(&self, port_path: &str, generation: u64, card: BenchDevice) -> bool {
        let mut state = self.lock();
        let Some(port) = state
            .ports
            .get_mut(port_path)
            .filter(|p| p.generation == generation)
        else {
            return false;
        };
        let changed = port.card.as_ref() != Some(&card);
        port.card = Some(card);
        changed
    }

    /// Reads every device on the bus once (descriptors, then ADB where possible) and returns
    /// the cards by port path, recording read devices in `store`. A device waiting for the
    /// user to allow debugging is shown `unauthorized` after the connect options'
    /// `auth_prompt_timeout` (short for a one-off listing: see [`UsbBench::for_listing`]).
    pub async fn read_once(
        &self,
        store: Option<&SharedStore>,
        options: ReadOptions,
    ) -> Result<Vec<BenchDevice>, stagebench_adb::usb::UsbError> {
        let infos = list_concurrently(&self.shared.backend, READ_CONCURRENCY).await?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        for info in infos {
            self.arrived(info, &tx);
        }
        drop(tx);
        while let Some(report) = rx.recv().await {
            self.apply(report, store, options);
        }
        // Cards without a report (adb-off, no permissions) still need their slot numbers.
        let cards = self.cards();
        let numbered = match store {
            Some(store) => {
                let mut cards = cards;
                let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
                number_slots(&mut store, &mut cards, options);
                cards
            }
            None => cards,
        };
        Ok(numbered)
    }

    /// A reader for one-off listings: waits at most `prompt` for "Allow USB debugging?" and
    /// does not offer the key again.
    pub fn for_listing(
        backend: Arc<B>,
        key: AdbHostKey,
        server: AdbServer,
        prompt: Duration,
    ) -> Self {
        let mut bench = Self::new(backend, key, server)
            .with_connect_options(ConnectOptions::default().auth_prompt_timeout(prompt));
        if let Some(shared) = Arc::get_mut(&mut bench.shared) {
            shared.retry_unauthorized = false;
        }
        bench
    }
}

/// How long a one-off listing waits for "Allow USB debugging?" before showing the device as
/// `unauthorized`.
pub const LISTING_PROMPT_WAIT: Duration = Duration::from_secs(5);

/// The bench's real USB bus (libusb) with the key [`KEY_ENV`] names, for the app and the CLI;
/// `listing` for a one-off listing (see [`UsbBench::for_listing`]). An error says why USB is
/// not used (no libusb, no data folder); callers log it and read through the adb server only.
pub fn rusb_bench(
    server: &AdbServer,
    listing: bool,
) -> Result<UsbBench<stagebench_adb::usb::RusbBackend>, String> {
    let backend = stagebench_adb::usb::RusbBackend::new()
        .map_err(|e| format!("USB devices are not read directly: {e}"))?;
    let key = AdbHostKey::from_env().map_err(|e| {
        format!("USB devices are not read directly (no place for the bench key): {e}")
    })?;
    let backend = Arc::new(backend);
    Ok(if listing {
        UsbBench::for_listing(backend, key, server.clone(), LISTING_PROMPT_WAIT)
    } else {
        UsbBench::new(backend, key, server.clone())
    })
}
