//! Fakes for tests and demos (feature `testing`): a simulated bench of fake adbd devices with
//! varied makers and models; Debian's real adb server guard is re-exported from the adb crate.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig};
pub use stagebench_adb::testing::{free_port, RealAdbServer};

/// One model in the simulated catalog.
struct Model {
    manufacturer: &'static str,
    model: &'static str,
    device: &'static str,
    release: &'static str,
    sdk: u32,
    build_id: &'static str,
    serial_prefix: &'static str,
}

/// Devices seen on real staging benches: phones, rugged handhelds, a tablet and RealWear headsets.
/// RealWear facts (maker string, model codes) from shared/reference/intune-android-adb.md §5.
const CATALOG: &[Model] = &[
    Model { manufacturer: "samsung", model: "SM-G991B", device: "o1s", release: "14", sdk: 34, build_id: "UP1A.231005.007", serial_prefix: "R5CR" },
    Model { manufacturer: "Zebra Technologies", model: "TC52", device: "TC52", release: "11", sdk: 30, build_id: "11-49-09.00-RG-U00-STD", serial_prefix: "2109" },
    Model { manufacturer: "RealWear inc.", model: "T21G", device: "navigator500", release: "11", sdk: 30, build_id: "RWN.1.4.1", serial_prefix: "NAV5" },
    Model { manufacturer: "Google", model: "Pixel 7", device: "panther", release: "15", sdk: 35, build_id: "AP4A.250105.002", serial_prefix: "2B1" },
    Model { manufacturer: "Honeywell", model: "CT40", device: "CT40", release: "10", sdk: 29, build_id: "QKQ1.200830.002", serial_prefix: "21034D" },
    Model { manufacturer: "RealWear inc.", model: "T1100G", device: "HMT-1", release: "10", sdk: 29, build_id: "11.2.0", serial_prefix: "HMT1" },
    Model { manufacturer: "LENOVO", model: "TB-X606F", device: "X606F", release: "10", sdk: 29, build_id: "QP1A.190711.020", serial_prefix: "HA1" },
    Model { manufacturer: "motorola", model: "moto g(9) play", device: "guamp", release: "11", sdk: 30, build_id: "RPXS31.Q2-58-17", serial_prefix: "ZY22" },
];

/// The fake device for bench position `index` (0-based): models cycle through the catalog, so
/// any bench of three or more holds a RealWear headset. Serials are unique per index.
pub fn simulated_device(index: usize) -> FakeDeviceConfig {
    let m = &CATALOG[index % CATALOG.len()];
    let serial = format!("{}{:06}", m.serial_prefix, 100_001 + index);
    let release = m.release;
    FakeDeviceConfig::new(&serial)
        .manufacturer(m.manufacturer)
        .model(m.model)
        .android(release, m.sdk)
        .property("ro.product.device", m.device)
        .property("ro.product.name", m.device)
        .property("ro.build.id", m.build_id)
        .property("ro.build.display.id", m.build_id)
        .property("ro.build.version.incremental", &format!("{}", 1000 + index))
        .property(
            "ro.build.fingerprint",
            &format!("{}/{}/{}:{}/{}/{}:user/release-keys", m.manufacturer, m.device, m.device, release, m.build_id, 1000 + index),
        )
        .auth(FakeAuth::AcceptAfterPrompt)
}

/// A running simulated bench.
pub struct SimulatedBench {
    devices: Vec<FakeDevice>,
    models: Vec<(String, String, String)>,
}

impl SimulatedBench {
    /// Starts `count` fake devices on 127.0.0.1, on `base_port`, `base_port + 1`, … or on free
    /// ports when `base_port` is `None`.
    pub async fn start(count: usize, base_port: Option<u16>) -> std::io::Result<SimulatedBench> {
        let mut devices = Vec::with_capacity(count);
        let mut models = Vec::with_capacity(count);
        for i in 0..count {
            let port = match base_port {
                Some(p) => p.checked_add(u16::try_from(i).unwrap_or(u16::MAX)).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("port {p} + {i} is past 65535: pick a lower --base-port"))
                })?,
                None => 0,
            };
            let config = simulated_device(i);
            let entry = (
                config.serial.clone(),
                config.properties.get("ro.product.manufacturer").cloned().unwrap_or_default(),
                config.properties.get("ro.product.model").cloned().unwrap_or_default(),
            );
            let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
            let device = FakeDevice::spawn(config, addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("can't start fake device {} on {addr}: {e}; pick another --base-port", i + 1))
            })?;
            devices.push(device);
            models.push(entry);
        }
        Ok(SimulatedBench { devices, models })
    }

    /// The devices' addresses, for `adb connect`.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.devices.iter().map(FakeDevice::addr).collect()
    }

    /// `(serial, manufacturer, model)` of each device, in start order.
    pub fn models(&self) -> &[(String, String, String)] {
        &self.models
    }

    /// Asks the adb server to connect to every device.
    pub async fn connect_all(&self, server: &AdbServer) -> Result<(), stagebench_adb::server::AdbError> {
        for addr in self.addrs() {
            server.connect(&addr.to_string()).await?;
        }
        Ok(())
    }
}
