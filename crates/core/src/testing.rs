//! Fakes for tests and demos (feature `testing`): a simulated bench of fake adbd devices with
//! varied makers and models, and a guard that runs Debian's real adb server on a free port.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig};

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

/// Debian's real adb server, started on a free port with its own `HOME`, killed on drop.
pub struct RealAdbServer {
    port: u16,
    home: tempfile::TempDir,
}

/// A free TCP port on 127.0.0.1 (asked of the OS, then released).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

impl RealAdbServer {
    /// Starts `adb -P <free port> start-server` and waits until it answers `host:version`.
    pub async fn start() -> Result<RealAdbServer, String> {
        let adb = which_adb().ok_or("Debian's `adb` is not installed: run `make test` (it installs it) or `apt-get install adb`")?;
        let home = tempfile::tempdir().map_err(|e| format!("can't make a temp HOME for adb: {e}"))?;
        let port = free_port().map_err(|e| format!("no free port for the adb server: {e}"))?;
        let status = Command::new(&adb)
            .args(["-P", &port.to_string(), "start-server"])
            .env("HOME", home.path())
            .env_remove("ANDROID_ADB_SERVER_PORT")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("can't run {}: {e}", adb.display()))?;
        if !status.success() {
            return Err(format!("`adb -P {port} start-server` failed with {status}"));
        }
        let server = RealAdbServer { port, home };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if server.client().version().await.is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("adb server on port {port} did not answer within 15 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `HOME` the server runs with (its `.android/adbkey` lives there).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A client for this server.
    pub fn client(&self) -> AdbServer {
        AdbServer::new(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port)))
    }

    /// Waits until the server lists `count` devices in state `device`.
    pub async fn wait_for_devices(&self, count: usize, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            let listed = self.client().devices().await.map_err(|e| e.to_string())?;
            let ready = listed.iter().filter(|d| d.state == stagebench_adb::server::DeviceState::Device).count();
            if ready >= count {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("adb server lists {ready} ready devices, expected {count}: {listed:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for RealAdbServer {
    fn drop(&mut self) {
        if let Some(adb) = which_adb() {
            let _ = Command::new(adb)
                .args(["-P", &self.port.to_string(), "kill-server"])
                .env("HOME", self.home.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn which_adb() -> Option<PathBuf> {
    let name = if cfg!(windows) { "adb.exe" } else { "adb" };
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}
