//! The bench read straight over USB, next to (and merged with) the adb server path.
//!
//! Device access has two first-class paths (see the design notes): ADB spoken directly over a
//! device's USB bulk endpoints with the bench's own key, and a running adb server. [`UsbBench`]
//! is the first: for every device on the bus it reads the descriptors (serial, maker, product —
//! even when ADB is off or unauthorized), claims the ADB interface, connects with the bench's
//! ADB host key and reads facts and stage evidence. [`watch_bench`] runs it together with the server watcher
//! ([`super::watch_server`]) and sends one merged [`BenchEvent::Snapshot`] on every change of
//! either side; [`snapshot_bench`] is the same once.
//!
//! What each USB device becomes:
//!
//! - ADB interface present and free → a `connecting` card at once, `unauthorized` while the
//!   device shows "Allow USB debugging?", then the full card (facts, evidence, identity with the
//!   descriptor serial as a [`SerialSource::UsbDescriptor`] observation), recorded in the store.
//! - ADB interface held by a running adb server → no USB card: the server path lists the device
//!   at the same port path ([`UsbBench::held`] remembers it for `doctor` and the UI). Held by a
//!   program that is not an adb server → a `busy` card saying what to close.
//! - No ADB interface → an `adb-off` card with the descriptor's serial, maker and product.
//! - Not openable → a `no-permissions` card with the udev (or driver) fix.
//! - Unplugged → the card, the connection and the port's lease go away. A device that leaves
//!   mid-read shows no error: its card just disappears.
//!
//! When the same port path shows on both sides, the server's card wins.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use stagebench_adb::host::{AdbDevice, ConnectOptions, ConnectProgress, HostError, KeySource};
use stagebench_adb::server::{AdbError, AdbServer, DeviceEntry, DeviceFacts, DeviceState};
use stagebench_adb::usb::{
    list_concurrently, open_transport, AdbInterfaceState, AdbServerSeen, ClaimOutcome,
    DeviceLeases, HeldInterface, UsbBackend, UsbDeviceInfo, UsbEvent, UsbTimeouts,
};
use stagebench_adb::AdbKey;
use tokio::sync::{mpsc, OnceCell, Semaphore};
use tokio::task::AbortHandle;

use super::{
    bench_device, finish, next_step_for, number_slots, parse_evidence, AdbState, BenchDevice,
    BenchEvent, ReadOptions, SharedStore, EVIDENCE_COMMAND, READ_CONCURRENCY,
};
use crate::identity::{check_identity, SerialObservation, SerialSource};
use crate::store::{Store, StoreError};

/// Chooses the bench's ADB key: unset (or `data-dir`) → `adbkey` in StageBench's data folder,
/// created on first use; `android-home` → `~/.android/adbkey`, the key Android's own `adb`
/// uses, so devices that already trust this computer's adb stay trusted; anything else → the
/// path of an existing key file.
pub const KEY_ENV: &str = "STAGEBENCH_ADB_KEY";

/// The next step for a device whose ADB interface is missing.
pub const TURN_ON_USB_DEBUGGING: &str = "Turn on USB debugging: Settings > System > Developer options > USB debugging (if Developer options is hidden, tap Settings > About phone > Build number seven times).";

/// How long to wait before offering the key again to a device whose user has not answered.
const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(1);

/// Where the bench's ADB host key comes from, as [`KEY_ENV`] says (see there).
pub fn key_source_from_env() -> Result<KeySource, StoreError> {
    match std::env::var(KEY_ENV).ok().as_deref().map(str::trim) {
        None | Some("") | Some("data-dir") => Ok(KeySource::DataDir(Store::data_dir()?)),
        Some("android-home") => Ok(KeySource::AndroidHome),
        Some(path) => Ok(KeySource::File(path.into())),
    }
}

/// The bench's ADB key, loaded (or created) on first use, so a bench without USB devices never
/// touches it. Clones share the key.
#[derive(Clone)]
pub struct AdbHostKey {
    source: Option<KeySource>,
    cell: Arc<OnceCell<Result<Arc<AdbKey>, String>>>,
}

impl std::fmt::Debug for AdbHostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdbHostKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl AdbHostKey {
    /// The key [`KEY_ENV`] names (by default in the data folder).
    pub fn from_env() -> Result<Self, StoreError> {
        Ok(Self::from_source(key_source_from_env()?))
    }

    /// The key at `source`, loaded on first use.
    pub fn from_source(source: KeySource) -> Self {
        Self {
            source: Some(source),
            cell: Arc::new(OnceCell::new()),
        }
    }

    /// A key already in memory.
    pub fn loaded(key: AdbKey) -> Self {
        Self {
            source: None,
            cell: Arc::new(OnceCell::new_with(Some(Ok(Arc::new(key))))),
        }
    }

    /// The key; an error says what could not be read or written.
    pub async fn get(&self) -> Result<Arc<AdbKey>, String> {
        self.cell
            .get_or_init(|| async {
                let Some(source) = self.source.clone() else {
                    return Err("no bench key".to_string());
                };
                tokio::task::spawn_blocking(move || source.load())
                    .await
                    .map_err(|e| format!("loading the bench key failed: {e}"))?
                    .map(Arc::new)
                    .map_err(|e| format!("can't load the bench's ADB key: {e}"))
            })
            .await
            .clone()
    }
}

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
            AdbInterfaceState::Absent => (
                descriptor_card(&info, AdbState::AdbOff, Some(TURN_ON_USB_DEBUGGING.into())),
                None,
            ),
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
            Update::Card(card, facts) => {
                // Slot numbers and the bench history, as the server path does (outside the
                // state lock: the store may be slow).
                let card = finish(vec![(*card, facts)], store, options)
                    .pop()
                    .expect("one card in, one out");
                let mut state = self.lock();
                if !current(&state) {
                    return false;
                }
                let port = state.ports.get_mut(&port_path).expect("current");
                let changed = port.card.as_ref() != Some(&card);
                port.card = Some(card);
                changed
            }
        }
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

/// A card with nothing read yet.
fn empty_card(port_path: &str) -> BenchDevice {
    BenchDevice {
        key: usb_key(port_path),
        device_id: None,
        state: AdbState::Connecting,
        next_step: None,
        serial: None,
        serials: Vec::new(),
        manufacturer: None,
        model: None,
        android_release: None,
        sdk: None,
        build_id: None,
        slot: Some(port_path.to_owned()),
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

fn descriptor_serial(info: &UsbDeviceInfo) -> Option<String> {
    info.serial.clone().filter(|s| !s.trim().is_empty())
}

/// The descriptor's serial, as an observation.
fn descriptor_observations(info: &UsbDeviceInfo) -> Vec<SerialObservation> {
    info.serial
        .iter()
        .map(|value| SerialObservation {
            source: SerialSource::UsbDescriptor,
            value: value.clone(),
        })
        .collect()
}

/// A card from the USB descriptor alone: serial, maker and product.
fn descriptor_card(
    info: &UsbDeviceInfo,
    state: AdbState,
    next_step: Option<String>,
) -> BenchDevice {
    let serials = descriptor_observations(info);
    let flags = if serials.is_empty() {
        Vec::new()
    } else {
        check_identity(&serials).messages()
    };
    BenchDevice {
        state,
        next_step,
        serial: descriptor_serial(info),
        serials,
        manufacturer: info.manufacturer.clone(),
        model: info.product.clone(),
        flags,
        ..empty_card(&info.port_path)
    }
}

/// Whether the device at `port_path` is still on the bus (a failure there means it left).
async fn still_there<B: UsbBackend>(backend: &Arc<B>, port_path: &str) -> bool {
    let backend = backend.clone();
    let path = port_path.to_owned();
    tokio::task::spawn_blocking(move || backend.ports())
        .await
        .ok()
        .and_then(Result::ok)
        .is_some_and(|ports| ports.iter().any(|p| p.port_path == path))
}

/// Reads one device with an ADB interface, reporting each step.
async fn read_port<B: UsbBackend>(
    shared: Arc<Shared<B>>,
    info: UsbDeviceInfo,
    generation: u64,
    reports: mpsc::UnboundedSender<Report>,
) {
    let port_path = info.port_path.clone();
    let send = {
        let reports = reports.clone();
        let port_path = port_path.clone();
        move |update: Update| {
            reports
                .send(Report {
                    port_path: port_path.clone(),
                    generation,
                    update,
                })
                .is_ok()
        }
    };
    let failed = |state: AdbState, error: String, next: &str| {
        let mut card = descriptor_card(&info, state, Some(next.to_owned()));
        card.error = Some(error);
        Update::Card(Box::new(card), None)
    };
    const REPLUG: &str = "Unplug the cable and plug it back in.";

    let Ok(_permit) = shared.reads.acquire().await else {
        return;
    };
    let _lease = shared.leases.acquire(&port_path).await;
    loop {
        let transport = match open_transport(
            &shared.backend,
            &port_path,
            &shared.server,
            shared.timeouts,
        )
        .await
        {
            Ok(ClaimOutcome::Claimed(transport)) => transport,
            Ok(ClaimOutcome::HeldByAdbServer(held)) => {
                send(Update::Held(held));
                return;
            }
            Err(e) if e.is_gone() => return,
            Err(e) => {
                if still_there(&shared.backend, &port_path).await {
                    send(failed(AdbState::Offline, e.to_string(), REPLUG));
                }
                return;
            }
        };
        let key = match shared.key.get().await {
            Ok(key) => key,
            Err(e) => {
                send(failed(
                    AdbState::Offline,
                    e,
                    "Check that StageBench's data folder is writable (or set STAGEBENCH_ADB_KEY), then replug the device.",
                ));
                return;
            }
        };
        let prompt = {
            let send = send.clone();
            let card = descriptor_card(
                &info,
                AdbState::Unauthorized,
                next_step_for(&DeviceState::Unauthorized),
            );
            move |progress: &ConnectProgress| {
                if let ConnectProgress::WaitingForUser { .. } = progress {
                    send(Update::Card(Box::new(card.clone()), None));
                }
            }
        };
        let options = shared.connect.clone().on_progress(prompt);
        let device = match AdbDevice::connect(transport, &key, options).await {
            Ok(device) => device,
            Err(e @ HostError::Unauthorized { .. }) => {
                let mut card = descriptor_card(
                    &info,
                    AdbState::Unauthorized,
                    next_step_for(&DeviceState::Unauthorized),
                );
                card.error = Some(e.to_string());
                send(Update::Card(Box::new(card), None));
                if !shared.retry_unauthorized {
                    return;
                }
                tokio::time::sleep(UNAUTHORIZED_RETRY).await;
                continue;
            }
            Err(e) => {
                if still_there(&shared.backend, &port_path).await {
                    send(failed(AdbState::Offline, e.to_string(), REPLUG));
                }
                return;
            }
        };
        send(Update::Connected(device.clone()));
        let (facts, evidence) = tokio::join!(device.read_facts(), device.shell(EVIDENCE_COMMAND));
        let mut facts = match facts {
            Ok(facts) => facts,
            Err(e) => {
                if still_there(&shared.backend, &port_path).await {
                    send(failed(
                        AdbState::Device,
                        e.to_string(),
                        "The device stopped answering: check the cable, then unplug and re-plug it.",
                    ));
                }
                return;
            }
        };
        let (evidence, failure) = match evidence {
            Ok(output) => (
                Some(parse_evidence(&String::from_utf8_lossy(&output.stdout))),
                None,
            ),
            Err(e) => (
                None,
                Some(format!("could not read the stage evidence: {e}")),
            ),
        };
        // What an adb server would call the device: the descriptor serial, else ro.serialno.
        let serial = descriptor_serial(&info)
            .or_else(|| facts.ro_serialno.clone())
            .unwrap_or_default();
        facts.transport_serial = serial.clone();
        let entry = DeviceEntry {
            serial,
            state: DeviceState::Device,
            usb: Some(port_path.clone()),
            product: None,
            model: facts.model.clone(),
            device: facts.device.clone(),
            transport_id: None,
        };
        let descriptor = descriptor_observations(&info);
        let mut card = bench_device(&entry, &facts, evidence, descriptor);
        card.key = usb_key(&port_path);
        card.error = failure;
        if card.manufacturer.is_none() {
            card.manufacturer = info.manufacturer.clone();
        }
        send(Update::Card(Box::new(card), Some(facts)));
        return;
    }
}

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
    let (from_server, from_usb) =
        tokio::join!(super::snapshot_server(server, store, options), read_usb);
    match from_server {
        Ok(devices) => Ok(merge(&devices, from_usb)),
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
/// [`super::watch_server`]) and, with `usb`, the devices read straight over USB, as one
/// [`BenchEvent::Snapshot`] whenever either side changes.
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
    mut emit: impl FnMut(BenchEvent) -> bool,
) {
    let (server_tx, mut server_rx) = mpsc::unbounded_channel();
    let addr = server.addr();
    let _server_task = AbortOnDrop(
        tokio::spawn(super::watch_server(
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
                    (BenchEvent::Snapshot { devices }, Some(_)) => {
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
