//! The real bus: [`UsbBackend`] over libusb (rusb). A thin adapter: rusb descriptors become
//! [`InterfaceDescriptor`]s and every decision (which interface, which endpoints, what a
//! failure means) is made by the shared code. Exercised on a real bench by the `#[ignore]`
//! tests in `tests/usb_hardware.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusb::{Context, Device, DeviceHandle, UsbContext as _};

use super::claim::{AdbServerSeen, ClaimOutcome, HeldInterface};
use super::descriptor::{
    find_adb_interface, port_path, AdbInterface, AdbInterfaceState, EndpointDescriptor,
    InterfaceClass, InterfaceDescriptor, TransferKind, UsbDeviceInfo, HUB_CLASS,
};
use super::error::{TransferError, UsbError};
use super::{BulkLink, HotplugNotice, HotplugSink, UsbBackend, UsbPort};

/// Control transfers for string descriptors wait at most this long.
const STRING_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the hotplug thread wakes to check whether it should stop.
const EVENT_WAKE: Duration = Duration::from_millis(100);

/// The machine's USB buses through libusb.
#[derive(Debug, Clone)]
pub struct RusbBackend {
    context: Context,
}

impl RusbBackend {
    /// Start a libusb context. On a machine without USB this works and sees no devices.
    pub fn new() -> Result<Self, UsbError> {
        let context = Context::new().map_err(|e| UsbError::Unavailable {
            detail: e.to_string(),
        })?;
        Ok(Self { context })
    }

    /// Whether libusb delivers hotplug events here (Linux, macOS; not Windows).
    pub fn has_hotplug(&self) -> bool {
        rusb::has_hotplug()
    }

    fn find(&self, wanted: &str) -> Result<Device<Context>, UsbError> {
        let devices = self.context.devices().map_err(|e| UsbError::Io {
            port_path: wanted.to_owned(),
            operation: "list devices",
            detail: e.to_string(),
        })?;
        devices
            .iter()
            .find(|device| device_port_path(device).as_deref() == Some(wanted))
            .ok_or_else(|| UsbError::Gone {
                port_path: wanted.to_owned(),
            })
    }
}

/// `1-4.3`, or `None` for a root hub (no port chain).
fn device_port_path(device: &Device<Context>) -> Option<String> {
    let ports = device.port_numbers().ok()?;
    (!ports.is_empty()).then(|| port_path(device.bus_number(), &ports))
}

fn interfaces(device: &Device<Context>) -> Vec<InterfaceDescriptor> {
    let Ok(config) = device.active_config_descriptor() else {
        return Vec::new();
    };
    config
        .interfaces()
        .flat_map(|interface| interface.descriptors())
        .map(|alt| InterfaceDescriptor {
            number: alt.interface_number(),
            alt_setting: alt.setting_number(),
            class: InterfaceClass {
                class: alt.class_code(),
                subclass: alt.sub_class_code(),
                protocol: alt.protocol_code(),
            },
            endpoints: alt
                .endpoint_descriptors()
                .map(|ep| EndpointDescriptor {
                    address: ep.address(),
                    kind: match ep.transfer_type() {
                        rusb::TransferType::Control => TransferKind::Control,
                        rusb::TransferType::Isochronous => TransferKind::Isochronous,
                        rusb::TransferType::Bulk => TransferKind::Bulk,
                        rusb::TransferType::Interrupt => TransferKind::Interrupt,
                    },
                    max_packet_size: ep.max_packet_size(),
                })
                .collect(),
        })
        .collect()
}

fn gone_or(port: &str, operation: &'static str, error: rusb::Error) -> UsbError {
    match error {
        rusb::Error::NoDevice | rusb::Error::NotFound => UsbError::Gone {
            port_path: port.to_owned(),
        },
        other => UsbError::Io {
            port_path: port.to_owned(),
            operation,
            detail: other.to_string(),
        },
    }
}

fn held(port: &str) -> ClaimOutcome<RusbLink> {
    ClaimOutcome::HeldByAdbServer(HeldInterface {
        port_path: port.to_owned(),
        adb_server: AdbServerSeen::NotAsked,
    })
}

fn open_error(port: &str, descriptor: &rusb::DeviceDescriptor, error: rusb::Error) -> UsbError {
    match error {
        rusb::Error::Access => UsbError::PermissionDenied {
            port_path: port.to_owned(),
            vendor_id: descriptor.vendor_id(),
            product_id: descriptor.product_id(),
        },
        other => gone_or(port, "open", other),
    }
}

struct Strings {
    serial: Option<String>,
    manufacturer: Option<String>,
    product: Option<String>,
}

fn read_strings(
    handle: &DeviceHandle<Context>,
    descriptor: &rusb::DeviceDescriptor,
) -> Result<Strings, rusb::Error> {
    let language = handle
        .read_languages(STRING_TIMEOUT)?
        .first()
        .copied()
        .ok_or(rusb::Error::NotFound)?;
    // A missing string is normal (no index); only a vanished device is an error.
    let keep = |result: rusb::Result<String>| match result {
        Ok(text) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
        Err(rusb::Error::NoDevice) => Err(rusb::Error::NoDevice),
        Err(_) => Ok(None),
    };
    Ok(Strings {
        serial: keep(handle.read_serial_number_string(language, descriptor, STRING_TIMEOUT))?,
        manufacturer: keep(handle.read_manufacturer_string(language, descriptor, STRING_TIMEOUT))?,
        product: keep(handle.read_product_string(language, descriptor, STRING_TIMEOUT))?,
    })
}

impl UsbBackend for RusbBackend {
    type Link = RusbLink;
    type Subscription = RusbSubscription;

    fn ports(&self) -> Result<Vec<UsbPort>, UsbError> {
        let devices = self.context.devices().map_err(|e| UsbError::Unavailable {
            detail: format!("listing USB devices failed: {e}"),
        })?;
        Ok(devices
            .iter()
            .filter_map(|device| {
                let port_path = device_port_path(&device)?;
                let descriptor = device.device_descriptor().ok()?;
                (descriptor.class_code() != HUB_CLASS).then(|| UsbPort {
                    port_path,
                    address: device.address(),
                    vendor_id: descriptor.vendor_id(),
                    product_id: descriptor.product_id(),
                })
            })
            .collect())
    }

    fn describe(&self, port: &str) -> Result<UsbDeviceInfo, UsbError> {
        let device = self.find(port)?;
        let descriptor = device
            .device_descriptor()
            .map_err(|e| gone_or(port, "read device descriptor", e))?;
        let alts = interfaces(&device);
        let adb = find_adb_interface(&alts);
        let mut classes: Vec<InterfaceClass> = alts.iter().map(|a| a.class).collect();
        classes.dedup();
        let mut info = UsbDeviceInfo {
            bus: device.bus_number(),
            port_path: port.to_owned(),
            vendor_id: descriptor.vendor_id(),
            product_id: descriptor.product_id(),
            serial: None,
            manufacturer: None,
            product: None,
            interface_classes: classes,
            adb: adb.map_or(AdbInterfaceState::Absent, AdbInterfaceState::Present),
        };
        let unreadable = |reason: String| AdbInterfaceState::Unreadable {
            reason,
            has_adb_interface: adb.is_some(),
        };
        match device.open() {
            Ok(handle) => match read_strings(&handle, &descriptor) {
                Ok(strings) => {
                    info.serial = strings.serial;
                    info.manufacturer = strings.manufacturer;
                    info.product = strings.product;
                }
                Err(rusb::Error::NoDevice) => {
                    return Err(gone_or(port, "read strings", rusb::Error::NoDevice))
                }
                // No language table: the device has no strings at all.
                Err(_) => {}
            },
            Err(rusb::Error::NoDevice) => return Err(gone_or(port, "open", rusb::Error::NoDevice)),
            // WinUSB lets one process open a device, so there Access means "someone has it".
            Err(rusb::Error::Access) if cfg!(windows) => {
                info.adb = unreadable(
                    "another program (usually an adb server) has the device open".into(),
                );
            }
            Err(rusb::Error::Access) => {
                info.adb = unreadable("permission denied opening the device node".into());
            }
            Err(other) => info.adb = unreadable(format!("could not open the device: {other}")),
        }
        Ok(info)
    }

    fn open(&self, port: &str) -> Result<ClaimOutcome<RusbLink>, UsbError> {
        let device = self.find(port)?;
        let descriptor = device
            .device_descriptor()
            .map_err(|e| gone_or(port, "read device descriptor", e))?;
        let interface =
            find_adb_interface(&interfaces(&device)).ok_or_else(|| UsbError::NoAdbInterface {
                port_path: port.to_owned(),
            })?;
        let handle = match device.open() {
            Ok(handle) => handle,
            Err(rusb::Error::Access) if cfg!(windows) => return Ok(held(port)),
            Err(error) => return Err(open_error(port, &descriptor, error)),
        };
        match handle.claim_interface(interface.interface) {
            Ok(()) => {}
            // Linux says Busy, macOS and Windows Access, when another process has claimed it.
            Err(rusb::Error::Busy | rusb::Error::Access) => return Ok(held(port)),
            Err(other) => return Err(gone_or(port, "claim interface", other)),
        }
        if interface.alt_setting != 0 {
            handle
                .set_alternate_setting(interface.interface, interface.alt_setting)
                .map_err(|e| gone_or(port, "set alternate setting", e))?;
        }
        // Like adb: clear a stall left by a previous host so the first transfer goes through.
        for endpoint in [interface.in_ep, interface.out_ep] {
            if let Err(error) = handle.clear_halt(endpoint) {
                tracing::debug!(port, endpoint, %error, "clear_halt failed");
            }
        }
        Ok(ClaimOutcome::Claimed(RusbLink {
            handle,
            interface,
            port_path: port.to_owned(),
        }))
    }

    fn subscribe(&self, sink: HotplugSink) -> Result<Option<RusbSubscription>, UsbError> {
        if !rusb::has_hotplug() {
            return Ok(None);
        }
        let registration = rusb::HotplugBuilder::new()
            .enumerate(false)
            .register::<Context, _>(&self.context, Box::new(HotplugForwarder { sink }))
            .map_err(|e| UsbError::Unavailable {
                detail: format!("libusb hotplug registration failed: {e}"),
            })?;
        let stop = Arc::new(AtomicBool::new(false));
        let context = self.context.clone();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("usb-hotplug".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    if let Err(error) = context.handle_events(Some(EVENT_WAKE)) {
                        tracing::warn!(%error, "libusb event handling failed");
                        std::thread::sleep(EVENT_WAKE);
                    }
                }
            })
            .map_err(|e| UsbError::Unavailable {
                detail: format!("could not start the hotplug thread: {e}"),
            })?;
        Ok(Some(RusbSubscription {
            registration: Some(registration),
            stop,
            thread: Some(thread),
        }))
    }
}

/// libusb calls this on its event thread; it only forwards (no blocking calls are allowed
/// here), the watcher reads descriptors elsewhere.
struct HotplugForwarder {
    sink: HotplugSink,
}

impl rusb::Hotplug<Context> for HotplugForwarder {
    fn device_arrived(&mut self, device: Device<Context>) {
        let Some(port_path) = device_port_path(&device) else {
            return;
        };
        let Ok(descriptor) = device.device_descriptor() else {
            return;
        };
        if descriptor.class_code() == HUB_CLASS {
            return;
        }
        self.sink.send(HotplugNotice::Arrived(UsbPort {
            port_path,
            address: device.address(),
            vendor_id: descriptor.vendor_id(),
            product_id: descriptor.product_id(),
        }));
    }

    fn device_left(&mut self, device: Device<Context>) {
        if let Some(port_path) = device_port_path(&device) {
            self.sink.send(HotplugNotice::Left { port_path });
        }
    }
}

/// Keeps libusb hotplug running; dropping it deregisters and stops the event thread.
#[derive(Debug)]
pub struct RusbSubscription {
    registration: Option<rusb::Registration<Context>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for RusbSubscription {
    fn drop(&mut self) {
        drop(self.registration.take());
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A claimed ADB interface on a real device.
#[derive(Debug)]
pub struct RusbLink {
    handle: DeviceHandle<Context>,
    interface: AdbInterface,
    port_path: String,
}

fn transfer_error(error: rusb::Error) -> TransferError {
    match error {
        rusb::Error::Timeout => TransferError::Timeout,
        rusb::Error::NoDevice => TransferError::Gone,
        rusb::Error::Overflow => TransferError::Overflow,
        rusb::Error::Pipe => TransferError::Stall,
        other => TransferError::Other(other.to_string()),
    }
}

impl BulkLink for RusbLink {
    fn interface(&self) -> AdbInterface {
        self.interface
    }

    fn port_path(&self) -> &str {
        &self.port_path
    }

    fn read_bulk(&self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransferError> {
        self.handle
            .read_bulk(self.interface.in_ep, buf, timeout)
            .map_err(transfer_error)
    }

    fn write_bulk(&self, data: &[u8], timeout: Duration) -> Result<usize, TransferError> {
        self.handle
            .write_bulk(self.interface.out_ep, data, timeout)
            .map_err(transfer_error)
    }
}

impl Drop for RusbLink {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface.interface);
    }
}
