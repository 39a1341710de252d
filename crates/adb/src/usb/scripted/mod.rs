//! A scripted USB bus for tests and the simulator (feature `testing`): plug and unplug devices
//! with any descriptors, deny access, have "another process" hold an interface, slow down or
//! hold descriptor reads, and let the bulk endpoints speak ADB (a built-in mini adbd, an
//! unauthorized one, a closure, or a relay to [`crate::testing::FakeDevice`]).
//!
//! The bus keeps a record a test can wait on instead of the clock: how often it was listed
//! ([`ScriptedUsb::listings`]: a watcher on a hotplug bus lists it once, a polling one once per
//! poll), how many descriptor reads are in flight, and per device how many bulk reads wait.
//!
//! It implements [`UsbBackend`] exactly where [`RusbBackend`](super::RusbBackend) does, and
//! uses the same interface discovery ([`find_adb_interface`]), so everything above the trait
//! runs unchanged.
//!
//! Layout: `device` (a device to plug: its descriptors and behaviour, [`ScriptedDevice`]),
//! `script` (how a device answers ADB: [`DeviceScript`], [`Responder`]) and `endpoints` (one
//! device's bulk endpoints, checking the USB framing); this file holds the bus and its plugged
//! devices.

mod device;
mod endpoints;
mod script;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub use device::ScriptedDevice;
pub use script::{DeviceScript, Responder, DEFAULT_BANNER};

use super::claim::{AdbServerSeen, ClaimOutcome, HeldInterface};
use super::descriptor::{
    bus_of, find_adb_interface, AdbInterface, AdbInterfaceState, UsbDeviceInfo,
};
use super::error::{TransferError, UsbError};
use super::{BulkLink, HotplugNotice, HotplugSink, UsbBackend, UsbPort};
use crate::wire::Message;
use endpoints::Endpoints;

/// A fake USB bus. Clones share the bus.
#[derive(Debug, Clone)]
pub struct ScriptedUsb {
    bus: Arc<Bus>,
}

#[derive(Debug)]
struct Bus {
    hotplug: bool,
    state: Mutex<BusState>,
    describing: AtomicUsize,
    peak_describing: AtomicUsize,
    /// Descriptor reads wait (in flight) while set.
    describes_held: AtomicBool,
}

#[derive(Debug, Default)]
struct BusState {
    devices: BTreeMap<String, Arc<Plugged>>,
    sinks: Vec<(u64, HotplugSink)>,
    next_sink: u64,
    next_address: u8,
    /// Listings so far (counted under the lock, so in order with plugs and unplugs).
    listings: usize,
}

#[derive(Debug)]
struct Plugged {
    address: u8,
    device: ScriptedDevice,
    endpoints: Arc<Endpoints>,
}

impl Default for ScriptedUsb {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptedUsb {
    /// An empty bus with hotplug notifications, like libusb on Linux.
    pub fn new() -> Self {
        Self::with_hotplug(true)
    }

    /// An empty bus without hotplug (like libusb on Windows): watchers must poll.
    pub fn polling() -> Self {
        Self::with_hotplug(false)
    }

    fn with_hotplug(hotplug: bool) -> Self {
        Self {
            bus: Arc::new(Bus {
                hotplug,
                state: Mutex::new(BusState::default()),
                describing: AtomicUsize::new(0),
                peak_describing: AtomicUsize::new(0),
                describes_held: AtomicBool::new(false),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BusState> {
        self.bus
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Plug `device` in (replacing whatever sat in its slot). A [`DeviceScript::Relay`] connects
    /// to its peer now.
    pub fn plug(&self, device: ScriptedDevice) -> std::io::Result<PluggedDevice> {
        self.unplug(&device.port_path);
        let mut device = device;
        let script = std::mem::replace(&mut device.script, DeviceScript::Silent);
        let endpoints = Arc::new(Endpoints::new(find_adb_interface(&device.interfaces)));
        endpoints.set_responder(script.into_responder(&endpoints)?);
        let mut state = self.lock();
        state.next_address = state.next_address.wrapping_add(1).max(2);
        let plugged = Arc::new(Plugged {
            address: state.next_address,
            device,
            endpoints: endpoints.clone(),
        });
        let port = plugged.port();
        state.devices.insert(port.port_path.clone(), plugged);
        state
            .sinks
            .retain(|(_, sink)| sink.send(HotplugNotice::Arrived(port.clone())));
        Ok(PluggedDevice {
            port_path: port.port_path,
            endpoints,
            bus: self.clone(),
        })
    }

    /// Pull the device out of `port_path`; `false` if the slot was empty. Transfers in flight
    /// fail with "device gone", as on real hardware.
    pub fn unplug(&self, port_path: &str) -> bool {
        let mut state = self.lock();
        let Some(plugged) = state.devices.remove(port_path) else {
            return false;
        };
        let port_path = port_path.to_owned();
        state.sinks.retain(|(_, sink)| {
            sink.send(HotplugNotice::Left {
                port_path: port_path.clone(),
            })
        });
        drop(state);
        plugged.endpoints.unplug();
        true
    }

    /// The most descriptor reads that ran at the same time so far.
    pub fn peak_concurrent_describes(&self) -> usize {
        self.bus.peak_describing.load(Ordering::SeqCst)
    }

    /// Descriptor reads running now (started and not yet returned).
    pub fn describes_in_flight(&self) -> usize {
        self.bus.describing.load(Ordering::SeqCst)
    }

    /// While `held`, every descriptor read waits once it has started (so it counts in
    /// [`ScriptedUsb::describes_in_flight`]) until the hold is lifted or its device is
    /// unplugged: a test can see how many reads run at once without timing them.
    pub fn hold_describes(&self, held: bool) {
        self.bus.describes_held.store(held, Ordering::SeqCst);
    }

    /// How many times the bus was listed ([`UsbBackend::ports`]) so far. A watcher on a
    /// hotplug bus lists it once, when it starts, and then follows the notices; without
    /// hotplug it lists it once per poll. So this tells which path reported a change.
    pub fn listings(&self) -> usize {
        self.lock().listings
    }

    fn get(&self, port_path: &str) -> Result<Arc<Plugged>, UsbError> {
        self.lock()
            .devices
            .get(port_path)
            .cloned()
            .ok_or_else(|| UsbError::Gone {
                port_path: port_path.to_owned(),
            })
    }
}

impl Plugged {
    fn port(&self) -> UsbPort {
        UsbPort {
            port_path: self.device.port_path.clone(),
            address: self.address,
            vendor_id: self.device.vendor_id,
            product_id: self.device.product_id,
        }
    }
}

/// Counts descriptor reads in flight.
struct Describing<'a>(&'a Bus);

impl<'a> Describing<'a> {
    fn start(bus: &'a Bus) -> Self {
        let now = bus.describing.fetch_add(1, Ordering::SeqCst) + 1;
        bus.peak_describing.fetch_max(now, Ordering::SeqCst);
        Self(bus)
    }
}

impl Drop for Describing<'_> {
    fn drop(&mut self) {
        self.0.describing.fetch_sub(1, Ordering::SeqCst);
    }
}

impl UsbBackend for ScriptedUsb {
    type Link = ScriptedLink;
    type Subscription = ScriptedSubscription;

    fn ports(&self) -> Result<Vec<UsbPort>, UsbError> {
        let mut state = self.lock();
        state.listings += 1;
        Ok(state.devices.values().map(|p| p.port()).collect())
    }

    fn describe(&self, port_path: &str) -> Result<UsbDeviceInfo, UsbError> {
        let plugged = self.get(port_path)?;
        let _counting = Describing::start(&self.bus);
        // Read slowly (and, while held, not at all), in steps, so an unplug mid-read is
        // noticed like a failed control transfer would be.
        const STEP: Duration = Duration::from_millis(2);
        let deadline = Instant::now() + plugged.device.describe_delay;
        while plugged.endpoints.is_plugged() {
            let left = deadline.saturating_duration_since(Instant::now());
            let held = self.bus.describes_held.load(Ordering::SeqCst);
            if left.is_zero() && !held {
                break;
            }
            std::thread::sleep(if left.is_zero() { STEP } else { left.min(STEP) });
        }
        if !plugged.endpoints.is_plugged() {
            return Err(UsbError::Gone {
                port_path: port_path.to_owned(),
            });
        }
        let device = &plugged.device;
        let adb = find_adb_interface(&device.interfaces);
        let readable = !device.access_denied;
        let mut classes: Vec<_> = device.interfaces.iter().map(|i| i.class).collect();
        classes.dedup();
        Ok(UsbDeviceInfo {
            bus: bus_of(port_path).unwrap_or(0),
            port_path: port_path.to_owned(),
            vendor_id: device.vendor_id,
            product_id: device.product_id,
            serial: device.serial.clone().filter(|_| readable),
            manufacturer: device.manufacturer.clone().filter(|_| readable),
            product: device.product.clone().filter(|_| readable),
            interface_classes: classes,
            adb: match (readable, adb) {
                (false, adb) => AdbInterfaceState::Unreadable {
                    reason: "permission denied opening the device node".into(),
                    has_adb_interface: adb.is_some(),
                },
                (true, Some(adb)) => AdbInterfaceState::Present(adb),
                (true, None) => AdbInterfaceState::Absent,
            },
        })
    }

    fn open(&self, port_path: &str) -> Result<ClaimOutcome<ScriptedLink>, UsbError> {
        let plugged = self.get(port_path)?;
        let device = &plugged.device;
        if device.access_denied {
            return Err(UsbError::PermissionDenied {
                port_path: port_path.to_owned(),
                vendor_id: device.vendor_id,
                product_id: device.product_id,
            });
        }
        let interface =
            find_adb_interface(&device.interfaces).ok_or_else(|| UsbError::NoAdbInterface {
                port_path: port_path.to_owned(),
            })?;
        if device.held_elsewhere || !plugged.endpoints.try_claim() {
            return Ok(ClaimOutcome::HeldByAdbServer(HeldInterface {
                port_path: port_path.to_owned(),
                adb_server: AdbServerSeen::NotAsked,
            }));
        }
        Ok(ClaimOutcome::Claimed(ScriptedLink {
            port_path: port_path.to_owned(),
            interface,
            endpoints: plugged.endpoints.clone(),
        }))
    }

    fn subscribe(&self, sink: HotplugSink) -> Result<Option<ScriptedSubscription>, UsbError> {
        if !self.bus.hotplug {
            return Ok(None);
        }
        let mut state = self.lock();
        state.next_sink += 1;
        let id = state.next_sink;
        state.sinks.push((id, sink));
        Ok(Some(ScriptedSubscription {
            bus: self.clone(),
            id,
        }))
    }
}

/// A hotplug subscription on a [`ScriptedUsb`]; dropping it unsubscribes.
#[derive(Debug)]
pub struct ScriptedSubscription {
    bus: ScriptedUsb,
    id: u64,
}

impl Drop for ScriptedSubscription {
    fn drop(&mut self) {
        self.bus.lock().sinks.retain(|(id, _)| *id != self.id);
    }
}

/// The test's handle on a plugged device: what the host wrote, framing mistakes, and knobs.
#[derive(Debug, Clone)]
pub struct PluggedDevice {
    port_path: String,
    endpoints: Arc<Endpoints>,
    bus: ScriptedUsb,
}

impl PluggedDevice {
    /// Its slot.
    pub fn port_path(&self) -> &str {
        &self.port_path
    }

    /// Every OUT transfer so far, in order (an empty one is a zero-length packet).
    pub fn out_transfers(&self) -> Vec<Vec<u8>> {
        self.endpoints.out_transfers()
    }

    /// Framing mistakes the host made (missing or stray zero-length packets, header and
    /// payload in one transfer, length mismatches). Empty for a correct host.
    pub fn violations(&self) -> Vec<String> {
        self.endpoints.violations()
    }

    /// The device sends `message` unprompted.
    pub fn inject(&self, message: &Message) {
        self.endpoints.inject(message);
    }

    /// While set, transfers neither complete nor fail until their timeout.
    pub fn set_unresponsive(&self, unresponsive: bool) {
        self.endpoints.set_unresponsive(unresponsive);
    }

    /// Whether a link holds its ADB interface now.
    pub fn is_claimed(&self) -> bool {
        self.endpoints.is_claimed()
    }

    /// Bulk IN reads waiting for the device now (a claimed link's reader waits in one while
    /// the device has nothing to say).
    pub fn reads_waiting(&self) -> usize {
        self.endpoints.reads_waiting()
    }

    /// Pull it out.
    pub fn unplug(&self) -> bool {
        self.bus.unplug(&self.port_path)
    }
}

/// A claimed ADB interface on a scripted device.
#[derive(Debug)]
pub struct ScriptedLink {
    port_path: String,
    interface: AdbInterface,
    endpoints: Arc<Endpoints>,
}

impl BulkLink for ScriptedLink {
    fn interface(&self) -> AdbInterface {
        self.interface
    }

    fn port_path(&self) -> &str {
        &self.port_path
    }

    fn read_bulk(&self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransferError> {
        self.endpoints.read(buf, timeout)
    }

    fn write_bulk(&self, data: &[u8], timeout: Duration) -> Result<usize, TransferError> {
        self.endpoints.write(data, timeout)
    }
}

impl Drop for ScriptedLink {
    fn drop(&mut self) {
        self.endpoints.release();
    }
}
