//! The bench read straight over USB (scripted bus, fake adbd devices behind the bulk
//! endpoints), and merged with a real adb server.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stagebench_adb::server::AdbServer;
use stagebench_adb::usb::{DeviceScript, ScriptedDevice, ScriptedUsb};
use stagebench_adb::AdbKey;
use stagebench_core::batch::progress::{place_of, stage_of};
use stagebench_core::batch::{Batch, BatchStore};
use stagebench_core::bench::restage;
use stagebench_core::device::usb::{snapshot_bench, watch_bench, AdbHostKey, UsbBench};
use stagebench_core::device::{
    AdbState, BenchDevice, BenchEvent, ReadOptions, SharedStore, StatusKind,
};
use stagebench_core::identity::SerialSource;
use stagebench_core::ids::DeviceId;
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::intune::sync::{memory::MemoryDirectory, refresh_status};
use stagebench_core::stage::Stage;
use stagebench_core::store::Store;
use stagebench_core::testing::{free_port, RealAdbServer, SimulatedBench};
use tokio::sync::mpsc;

/// The longest a test here waits for a snapshot it expects: an upper bound for a loaded machine
/// (each wait ends at the snapshot), never waited out by a healthy run. Nothing here checks a
/// latency with the clock: which path removed a card is read from the scripted bus's record,
/// and "nothing more happened" from the snapshots before a marker device shows up.
const PATIENCE: Duration = Duration::from_secs(120);

fn no_server() -> AdbServer {
    AdbServer::new(SocketAddr::from((
        Ipv4Addr::LOCALHOST,
        free_port().unwrap(),
    )))
}

fn key() -> AdbHostKey {
    AdbHostKey::loaded(AdbKey::generate().unwrap())
}

fn store() -> SharedStore {
    Arc::new(Mutex::new(Store::open_in_memory().unwrap()))
}

type Started = (
    mpsc::UnboundedReceiver<BenchEvent>,
    tokio::task::JoinHandle<()>,
    UsbBench<ScriptedUsb>,
);

/// Runs the combined watcher; events arrive on the receiver.
fn start(server: AdbServer, bus: &ScriptedUsb, store: Option<SharedStore>) -> Started {
    start_with(server, bus, store, ReadOptions::default())
}

/// As [`start`], recorded cards carrying their batch and stage (as the CLI and the app read).
fn start_with(
    server: AdbServer,
    bus: &ScriptedUsb,
    store: Option<SharedStore>,
    options: ReadOptions,
) -> Started {
    let usb = UsbBench::new(Arc::new(bus.clone()), key(), server.clone());
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(watch_bench(
        server,
        Some(usb.clone()),
        store,
        options,
        move |event| tx.send(event).is_ok(),
    ));
    (rx, task, usb)
}

/// Waits for a snapshot that satisfies `done`.
async fn snapshot_where(
    events: &mut mpsc::UnboundedReceiver<BenchEvent>,
    within: Duration,
    mut done: impl FnMut(&[BenchDevice]) -> bool,
) -> Vec<BenchDevice> {
    let deadline = Instant::now() + within;
    let mut last = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(BenchEvent::Snapshot { devices, .. })) => {
                if done(&devices) {
                    return devices;
                }
                last = Some(devices);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the watcher stopped"),
            Err(_) => panic!("no such snapshot within {within:?}; last: {last:#?}"),
        }
    }
}

fn at<'a>(devices: &'a [BenchDevice], port: &str) -> Option<&'a BenchDevice> {
    devices.iter().find(|d| d.slot.as_deref() == Some(port))
}

/// Plugs a marker device (USB debugging off, so its card shows at once) at `port` and returns
/// every snapshot before the first with its card: whatever the watcher still had to show about
/// earlier devices comes first, in order.
async fn snapshots_before_marker(
    bus: &ScriptedUsb,
    events: &mut mpsc::UnboundedReceiver<BenchEvent>,
    port: &str,
) -> Vec<Vec<BenchDevice>> {
    bus.plug(ScriptedDevice::phone(port, "MARKER001").adb_off())
        .unwrap();
    let mut before = Vec::new();
    snapshot_where(events, PATIENCE, |d| {
        let marked = at(d, port).is_some();
        if !marked {
            before.push(d.to_vec());
        }
        marked
    })
    .await;
    before
}

fn sources(d: &BenchDevice) -> Vec<SerialSource> {
    d.serials.iter().map(|s| s.source).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_usb_devices_are_read_with_evidence_and_numbered_slots() {
    let sim = SimulatedBench::start(2, None).await.unwrap();
    let bus = ScriptedUsb::new();
    let mut plugged = Vec::new();
    for (i, (port, addr)) in ["1-1", "1-2"].iter().zip(sim.addrs()).enumerate() {
        let serial = &sim.models()[i].0;
        plugged.push(
            bus.plug(ScriptedDevice::phone(port, serial).script(DeviceScript::Relay(addr)))
                .unwrap(),
        );
    }
    let store = store();
    let (mut events, _task, usb) = start(no_server(), &bus, Some(store.clone()));
    let read = |d: &[BenchDevice]| {
        d.len() == 2
            && d.iter()
                .all(|d| d.state == AdbState::Device && d.evidence.is_some())
    };
    let mut prompted = false;
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        // The fake devices show "Allow USB debugging?" before accepting the bench key.
        prompted |= d.iter().any(|d| {
            d.state == AdbState::Unauthorized
                && d.next_step
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Accept the USB debugging prompt"))
        });
        read(d)
    })
    .await;
    assert!(
        prompted,
        "the card said to accept the prompt while the device waited"
    );
    for (i, port) in ["1-1", "1-2"].iter().enumerate() {
        let (serial, maker, model) = &sim.models()[i];
        let d = at(&devices, port).unwrap();
        assert_eq!(d.key, format!("usb:{port}"));
        assert_eq!(d.serial.as_deref(), Some(serial.as_str()));
        assert_eq!(d.manufacturer.as_deref(), Some(maker.as_str()));
        assert_eq!(d.model.as_deref(), Some(model.as_str()));
        assert!(d.android_release.is_some() && d.sdk.is_some());
        let s = sources(d);
        assert!(
            s.contains(&SerialSource::UsbDescriptor) && s.contains(&SerialSource::RoSerialno),
            "{s:?}"
        );
        assert!(
            d.flags.is_empty(),
            "descriptor and ro.serialno agree: {:?}",
            d.flags
        );
        assert!(d.evidence.as_ref().unwrap().boot_count.is_some());
        assert_eq!(d.error, None);
        assert!(
            usb.device(port).is_some(),
            "the connection is kept for later jobs"
        );
    }
    let mut numbers: Vec<u32> = devices.iter().filter_map(|d| d.slot_number).collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2], "slot numbers are given to new USB ports");
    // Recorded in the bench history like server-read devices.
    assert_eq!(store.lock().unwrap().devices().unwrap().len(), 2);
    for p in &plugged {
        assert!(p.violations().is_empty(), "{:?}", p.violations());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn adb_off_and_unreadable_devices_show_the_next_step() {
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-3", "OFF123456").adb_off())
        .unwrap();
    bus.plug(ScriptedDevice::phone("1-4", "DENIED789").access_denied())
        .unwrap();
    let (mut events, _task, _usb) = start(no_server(), &bus, None);
    let devices = snapshot_where(&mut events, PATIENCE, |d| d.len() == 2).await;
    let off = at(&devices, "1-3").unwrap();
    assert_eq!(off.state, AdbState::AdbOff);
    assert_eq!(off.serial.as_deref(), Some("OFF123456"));
    assert_eq!(off.manufacturer.as_deref(), Some("Google"));
    assert_eq!(sources(off), [SerialSource::UsbDescriptor]);
    let step = off.next_step.as_deref().unwrap();
    assert!(
        step.starts_with(
            "Turn on USB debugging: Settings > System > Developer options > USB debugging"
        ),
        "{step}"
    );
    let denied = at(&devices, "1-4").unwrap();
    assert_eq!(denied.state, AdbState::UsbNoPermissions);
    let step = denied.next_step.as_deref().unwrap();
    if cfg!(target_os = "linux") {
        assert!(step.contains("51-android.rules"), "{step}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_adb_server_usb_cards_still_show_with_a_soft_note() {
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-3", "OFF123456").adb_off())
        .unwrap();
    let (mut events, _task, _usb) = start(no_server(), &bus, None);
    let mut saw_snapshot = false;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let event = tokio::time::timeout(deadline - Instant::now(), events.recv())
            .await
            .unwrap_or_else(|_| {
                panic!("no snapshot of the card and server-down note within {PATIENCE:?}")
            })
            .unwrap();
        match event {
            BenchEvent::Snapshot { devices, .. } => saw_snapshot = devices.len() == 1,
            BenchEvent::ServerDown { message } => {
                assert!(message.contains("read directly"), "{message}");
                if saw_snapshot {
                    break;
                }
            }
            BenchEvent::HistoryOff { .. } => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unplugged_devices_disappear_and_their_connection_closes() {
    let sim = SimulatedBench::start(1, None).await.unwrap();
    let bus = ScriptedUsb::new();
    let serial = &sim.models()[0].0;
    let plugged = bus
        .plug(ScriptedDevice::phone("2-1", serial).script(DeviceScript::Relay(sim.addrs()[0])))
        .unwrap();
    bus.plug(ScriptedDevice::phone("2-2", "STAYS0001").adb_off())
        .unwrap();
    let (mut events, _task, usb) = start(no_server(), &bus, None);
    snapshot_where(&mut events, PATIENCE, |d| {
        at(d, "2-1").is_some_and(|d| d.state == AdbState::Device)
    })
    .await;
    assert!(plugged.is_claimed());
    assert!(plugged.unplug());
    let mut between = Vec::new();
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        let gone = at(d, "2-1").is_none();
        if !gone {
            between.push(d.to_vec());
        }
        gone
    })
    .await;
    // The card went with the hotplug notice: the bus was listed only when the watcher
    // started, so no poll (and no failed read on the dead link) removed it.
    assert_eq!(
        bus.listings(),
        1,
        "the bus was listed again: a poll, not the notice, took the card"
    );
    assert_eq!(devices.len(), 1, "the other card stays: {devices:#?}");
    assert!(usb.device("2-1").is_none());
    assert!(!usb.leases().is_leased("2-1"));
    // No error card in between, and nothing more about the gone device.
    for devices in &between {
        let card = at(devices, "2-1");
        assert!(
            card.is_none_or(|d| d.state == AdbState::Device && d.error.is_none()),
            "{devices:#?}"
        );
    }
    for devices in snapshots_before_marker(&bus, &mut events, "2-3").await {
        assert!(at(&devices, "2-1").is_none(), "{devices:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_unplugged_mid_read_just_disappears() {
    let bus = ScriptedUsb::new();
    // ADB interface present, but the device never answers CNXN.
    let plugged = bus
        .plug(ScriptedDevice::phone("3-1", "SILENT001").script(DeviceScript::Silent))
        .unwrap();
    let (mut events, _task, usb) = start(no_server(), &bus, None);
    snapshot_where(&mut events, PATIENCE, |d| {
        at(d, "3-1").is_some_and(|d| d.state == AdbState::Connecting)
    })
    .await;
    plugged.unplug();
    snapshot_where(&mut events, PATIENCE, |d| d.is_empty()).await;
    // The read ends with the device (it lets go of its lease) and leaves nothing behind: no
    // error card for it before the marker shows.
    let deadline = Instant::now() + PATIENCE;
    while usb.leases().is_leased("3-1") {
        assert!(
            Instant::now() < deadline,
            "the read of 3-1 still holds its lease {PATIENCE:?} after the unplug"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for devices in snapshots_before_marker(&bus, &mut events, "3-2").await {
        assert!(devices.is_empty(), "{devices:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn merged_with_a_real_adb_server_and_held_devices_are_left_to_it() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let sim = SimulatedBench::start(3, None).await.unwrap();
    let addrs = sim.addrs();
    adb.client().connect(&addrs[0].to_string()).await.unwrap();
    adb.wait_for_devices(1, PATIENCE).await.unwrap();
    let bus = ScriptedUsb::new();
    let mut plugged = Vec::new();
    for (i, port) in [(1, "4-1"), (2, "4-2")] {
        plugged.push(
            bus.plug(
                ScriptedDevice::phone(port, &sim.models()[i].0)
                    .script(DeviceScript::Relay(addrs[i])),
            )
            .unwrap(),
        );
    }
    bus.plug(ScriptedDevice::phone("4-3", "HELD00001").held_by_adb_server())
        .unwrap();
    let (mut events, task, usb) = start(adb.client(), &bus, Some(store()));
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        d.len() == 3
            && d.iter()
                .all(|d| d.state == AdbState::Device && d.evidence.is_some())
    })
    .await;
    let tcp = devices
        .iter()
        .find(|d| d.key == addrs[0].to_string())
        .expect("the TCP card");
    assert_eq!(tcp.serial.as_deref(), Some(sim.models()[0].0.as_str()));
    for (i, port) in [(1, "4-1"), (2, "4-2")] {
        assert_eq!(
            at(&devices, port).unwrap().serial.as_deref(),
            Some(sim.models()[i].0.as_str())
        );
    }
    assert!(
        at(&devices, "4-3").is_none(),
        "a device the adb server holds gets no USB card"
    );
    let held = usb.held();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].port_path, "4-3");
    assert!(
        held[0]
            .to_string()
            .contains("reading it through the server"),
        "{}",
        held[0]
    );

    // The same, once, after the watcher let go of the devices (while it runs, it holds their
    // interfaces, and a second reader would rightly find them busy).
    task.abort();
    let _ = task.await;
    drop((usb, events));
    let deadline = Instant::now() + PATIENCE;
    while plugged.iter().any(|p| p.is_claimed()) {
        assert!(
            Instant::now() < deadline,
            "the watcher released the interfaces"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let once = UsbBench::new(Arc::new(bus.clone()), key(), adb.client());
    let listed = snapshot_bench(&adb.client(), Some(&once), None, ReadOptions::default())
        .await
        .unwrap();
    let mut keys: Vec<&str> = listed.iter().map(|d| d.key.as_str()).collect();
    keys.sort();
    let tcp_key = addrs[0].to_string();
    let mut expected = vec![tcp_key.as_str(), "usb:4-1", "usb:4-2"];
    expected.sort();
    assert_eq!(keys, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_off_listing_without_a_server_fails_only_when_usb_is_empty() {
    let server = no_server();
    let empty = UsbBench::new(Arc::new(ScriptedUsb::new()), key(), server.clone());
    assert!(
        snapshot_bench(&server, Some(&empty), None, ReadOptions::default())
            .await
            .is_err()
    );
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-3", "OFF123456").adb_off())
        .unwrap();
    let usb = UsbBench::new(Arc::new(bus), key(), server.clone());
    let listed = snapshot_bench(&server, Some(&usb), None, ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, AdbState::AdbOff);
}

/// Waits for a snapshot whose unplugged tiles satisfy `done`; returns those tiles.
async fn tiles_where(
    events: &mut mpsc::UnboundedReceiver<BenchEvent>,
    mut done: impl FnMut(&[BenchDevice]) -> bool,
) -> Vec<BenchDevice> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(BenchEvent::Snapshot { unplugged, .. })) if done(&unplugged) => {
                return unplugged
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the watcher stopped"),
            Err(_) => panic!("no such tiles within {PATIENCE:?}"),
        }
    }
}

/// A store with an active staging-token batch whose QR was shown.
fn store_with_active_batch() -> SharedStore {
    let store = store();
    {
        let mut s = store.lock().unwrap();
        let batch = Batch::for_tests("Wave 15", &[]);
        s.create_batch(&batch).unwrap();
        s.set_active_batch(Some(&batch.id)).unwrap();
        s.record_qr_shown(&batch.id, "tech").unwrap();
    }
    store
}

fn staged_reads() -> ReadOptions {
    ReadOptions {
        stage: Some(place_of),
        ..ReadOptions::default()
    }
}

/// A fully managed device Intune shows as `Staging_<serial>_…` with no user (stage 2).
fn staging_status(intune_id: &str, serial: &str) -> IntuneStatus {
    IntuneStatus::derive(
        intune_id,
        &format!("Staging_{serial}_AndroidEnterprise_12/08/26_1.05 AM"),
        serial,
        Some("androidEnterpriseFullyManaged"),
        Some("managed"),
        None,
        None,
        None,
        None,
    )
}

/// Intune shows the device as `Staging_<serial>_…` with no user (stage 2), by the last sync.
fn intune_shows_staging(store: &SharedStore, device: DeviceId, serial: &str) {
    let mut s = store.lock().unwrap();
    let now = s.clock_now();
    s.record_intune_status(Some(device), &staging_status("md-15", serial), now)
        .unwrap();
}

/// Issue 15 §3: a device read as enrolled (Intune's agent its device owner) that then leaves
/// USB without a Powered off is "USB closed by policy (expected)" with what to check, its
/// history notes the departure, and stage 2 completes from Intune's evidence alone.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_owned_by_intune_that_leaves_usb_is_closed_by_policy_and_stage_2_comes_from_intune(
) {
    let sim = SimulatedBench::start(1, None).await.unwrap();
    sim.set_enrolled(0, 3);
    let serial = sim.models()[0].0.clone();
    let store = store_with_active_batch();
    let bus = ScriptedUsb::new();
    let plugged = bus
        .plug(ScriptedDevice::phone("4-1", &serial).script(DeviceScript::Relay(sim.addrs()[0])))
        .unwrap();
    let (mut events, _task, _usb) =
        start_with(no_server(), &bus, Some(store.clone()), staged_reads());
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        at(d, "4-1").is_some_and(|d| {
            d.stage
                .as_ref()
                .is_some_and(|s| s.stage == Stage::Enrolling)
        })
    })
    .await;
    let device = at(&devices, "4-1").unwrap().device_id.unwrap();
    plugged.unplug();
    let tiles = tiles_where(&mut events, |t| !t.is_empty()).await;
    let status = &tiles[0].status;
    assert_eq!(
        (status.kind, status.word.as_str()),
        (StatusKind::Waiting, "USB closed by policy (expected)")
    );
    assert!(
        status.next_step.contains("Disallow USB data transfer")
            && status.next_step.contains(&format!("Staging_{serial}_")),
        "{}",
        status.next_step
    );
    let noted = store.lock().unwrap().device_events(device).unwrap();
    assert!(
        noted.iter().any(|e| e.kind == "usb-left"),
        "the departure is in the device's history: {noted:#?}"
    );
    // The next sync finds it in Intune: stage 2, from Intune's evidence alone.
    intune_shows_staging(&store, device, &serial);
    let mut tile = tiles[0].clone();
    restage(
        &mut store.lock().unwrap(),
        std::slice::from_mut(&mut tile),
        false,
    );
    let stage = tile.stage.as_ref().unwrap();
    assert_eq!(stage.stage, Stage::InIntune);
    assert!(stage
        .problems
        .iter()
        .any(|p| p.id == "usb-closed-by-policy"));
    assert_eq!(
        (tile.status.kind, tile.status.word.as_str()),
        (StatusKind::Done, "USB closed by policy (expected)")
    );
}

/// Issue 15 §6: a factory-fresh device in the set-up wizard with USB debugging off enumerates
/// as a locked MTP function whose USB serial is its Android serial: it is a card with that
/// serial that joins the active batch (no "turn on USB debugging" status: staging needs no
/// ADB), stays the same device when ADB comes up later, and Intune's `Staging_<serial>_…`
/// is matched to it by serial.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_in_set_up_with_debugging_off_is_tracked_by_its_usb_serial() {
    let sim = SimulatedBench::start(1, None).await.unwrap();
    let serial = sim.models()[0].0.clone();
    let store = store_with_active_batch();
    let bus = ScriptedUsb::new();
    let locked = bus
        .plug(ScriptedDevice::phone("5-1", &serial).adb_off())
        .unwrap();
    let (mut events, _task, _usb) =
        start_with(no_server(), &bus, Some(store.clone()), staged_reads());
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        at(d, "5-1").is_some_and(|d| d.batch.is_some())
    })
    .await;
    let card = at(&devices, "5-1").unwrap();
    assert_eq!(card.state, AdbState::AdbOff);
    assert_eq!(card.serial.as_deref(), Some(serial.as_str()));
    assert_eq!(card.stage.as_ref().map(|s| s.stage), Some(Stage::Scanning));
    assert_eq!(card.status.word, "In set-up (no ADB)");
    assert!(
        card.status.next_step.starts_with("Scan the QR now")
            && card
                .status
                .next_step
                .contains(&format!("Staging_{serial}_")),
        "{}",
        card.status.next_step
    );
    let device = card.device_id.unwrap();
    // The QR scanned, set-up done: USB debugging on, the same serial is the same device.
    locked.unplug();
    bus.plug(ScriptedDevice::phone("5-1", &serial).script(DeviceScript::Relay(sim.addrs()[0])))
        .unwrap();
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        at(d, "5-1").is_some_and(|d| d.state == AdbState::Device && d.device_id.is_some())
    })
    .await;
    assert_eq!(at(&devices, "5-1").unwrap().device_id, Some(device));
    assert_eq!(store.lock().unwrap().devices().unwrap().len(), 1);
    // Intune shows Staging_<serial>_…: the sync matches it by serial.
    let staging = MemoryDirectory::default();
    staging.insert(staging_status("md-6", &serial));
    // The sync holds the store while it asks (as the tenant service does), off the async tasks.
    let (s, now) = tokio::task::block_in_place(|| {
        let mut s = store.lock().unwrap();
        let now = s.clock_now();
        let report = tokio::runtime::Handle::current()
            .block_on(refresh_status(&mut s, &staging, now, false))
            .unwrap();
        assert_eq!(report.found, 1, "{report:?}");
        (s, now)
    });
    let (_, stage) = stage_of(&s, device, now).unwrap().unwrap();
    assert_eq!(stage.stage, Stage::InIntune);
}

/// A locked-MTP device whose USB serial tells nothing apart (a placeholder) is not recorded
/// by it: its card keeps the next step and no batch.
#[tokio::test(flavor = "multi_thread")]
async fn a_placeholder_usb_serial_is_not_a_serial_to_track_by() {
    let store = store_with_active_batch();
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("5-2", "0123456789ABCDEF").adb_off())
        .unwrap();
    bus.plug(ScriptedDevice::phone("5-3", "MARKERSET1").adb_off())
        .unwrap();
    let (mut events, _task, _usb) =
        start_with(no_server(), &bus, Some(store.clone()), staged_reads());
    let devices = snapshot_where(&mut events, PATIENCE, |d| {
        d.len() == 2 && at(d, "5-3").is_some_and(|d| d.batch.is_some())
    })
    .await;
    let placeholder = at(&devices, "5-2").unwrap();
    assert_eq!((placeholder.device_id, &placeholder.batch), (None, &None));
    assert_eq!(placeholder.status.word, "Turn on USB debugging");
    assert_eq!(store.lock().unwrap().devices().unwrap().len(), 1);
}
