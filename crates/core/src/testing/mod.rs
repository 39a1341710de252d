//! Fakes for tests and demos (feature `testing`): a simulated bench of fake adbd devices with
//! varied makers, models and stages (each answers the stage evidence command); Debian's real
//! adb server guard is re-exported from the adb crate.
//!
//! Layout: this file holds the simulated bench; [`demo`] the demo bench, whose devices react to
//! the bench (QR shown, Powered off) and to controls; [`graph`] is the fake Microsoft Graph tenant
//! and its identity platform; [`qr`] reads QR codes back from a label's raster; [`tamper`]
//! rewrites a store's audit log as an attacker would.

pub mod demo;
pub mod graph;
pub mod qr;
pub mod tamper;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use stagebench_adb::server::AdbServer;
pub use stagebench_adb::testing::{free_port, RealAdbServer};
use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig};

use crate::device::evidence::{
    AUTHENTICATOR, COMPANY_PORTAL, EVIDENCE_COMMAND, EVIDENCE_PROPERTIES, INTUNE_APP, SECTIONS,
    SECTION_MARKER,
};

/// One model in the simulated catalog.
struct Model {
    manufacturer: &'static str,
    model: &'static str,
    device: &'static str,
    release: &'static str,
    sdk: u32,
    build_id: &'static str,
    serial_prefix: &'static str,
    /// A serial every device of this model shares (`ro.serialno` and `ro.boot.serialno`).
    shared_serial: Option<&'static str>,
    /// What the device's stage evidence says.
    stage: Stage,
}

/// What a simulated device answers to [`EVIDENCE_COMMAND`].
#[derive(Clone, Copy)]
struct Stage {
    provisioned: bool,
    setup_complete: bool,
    boot_count: u32,
    /// The device owner as `package/class`.
    device_owner: Option<&'static str>,
    intune_app: Option<&'static str>,
    company_portal: Option<&'static str>,
    authenticator: Option<&'static str>,
}

/// Out of the box, in the setup wizard: what most bench devices look like.
const FRESH: Stage = Stage {
    provisioned: false,
    setup_complete: false,
    boot_count: 2,
    device_owner: None,
    intune_app: None,
    company_portal: None,
    authenticator: None,
};

/// Android Device Policy's admin receiver (seed requirement 61).
const CLOUD_DPC_ADMIN: &str = "com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver";

/// Devices seen on real staging benches: phones, rugged handhelds, a tablet and RealWear headsets.
/// RealWear facts (maker string, model codes) from shared/reference/intune-android-adb.md §5.
/// Stages: most are fresh; the Pixel is already enrolled (CloudDPC, Intune app 24.8.2); the
/// Navigator 500 carries an old Intune app (24.6.0, below the AOSP minimum 24.7.0); the HMT-1
/// runs firmware 11.1.2 (below 11.2); the Lenovo tablets share the placeholder serial
/// `1234567890ABCDEF`; the moto was set up by a previous user (factory reset first).
/// The first five entries are what the end-to-end tests rely on: keep them as they are.
const CATALOG: &[Model] = &[
    Model {
        manufacturer: "samsung",
        model: "SM-G991B",
        device: "o1s",
        release: "14",
        sdk: 34,
        build_id: "UP1A.231005.007",
        serial_prefix: "R5CR",
        shared_serial: None,
        stage: FRESH,
    },
    Model {
        manufacturer: "Zebra Technologies",
        model: "TC52",
        device: "TC52",
        release: "11",
        sdk: 30,
        build_id: "11-49-09.00-RG-U00-STD",
        serial_prefix: "2109",
        shared_serial: None,
        stage: Stage {
            boot_count: 5,
            ..FRESH
        },
    },
    Model {
        manufacturer: "RealWear inc.",
        model: "T21G",
        device: "navigator500",
        release: "11",
        sdk: 30,
        build_id: "RWN.1.4.1",
        serial_prefix: "NAV5",
        shared_serial: None,
        stage: Stage {
            intune_app: Some("24.6.0"),
            boot_count: 4,
            ..FRESH
        },
    },
    Model {
        manufacturer: "Google",
        model: "Pixel 7",
        device: "panther",
        release: "15",
        sdk: 35,
        build_id: "AP4A.250105.002",
        serial_prefix: "2B1",
        shared_serial: None,
        stage: Stage {
            provisioned: true,
            setup_complete: true,
            boot_count: 9,
            device_owner: Some(CLOUD_DPC_ADMIN),
            intune_app: Some("24.8.2"),
            company_portal: None,
            authenticator: Some("6.2406.3911"),
        },
    },
    Model {
        manufacturer: "Honeywell",
        model: "CT40",
        device: "CT40",
        release: "10",
        sdk: 29,
        build_id: "QKQ1.200830.002",
        serial_prefix: "21034D",
        shared_serial: None,
        stage: FRESH,
    },
    Model {
        manufacturer: "RealWear inc.",
        model: "T1100G",
        device: "HMT-1",
        release: "10",
        sdk: 29,
        build_id: "11.1.2",
        serial_prefix: "HMT1",
        shared_serial: None,
        stage: FRESH,
    },
    Model {
        manufacturer: "LENOVO",
        model: "TB-X606F",
        device: "X606F",
        release: "10",
        sdk: 29,
        build_id: "QP1A.190711.020",
        serial_prefix: "HA1",
        shared_serial: Some("1234567890ABCDEF"),
        stage: FRESH,
    },
    Model {
        manufacturer: "motorola",
        model: "moto g(9) play",
        device: "guamp",
        release: "11",
        sdk: 30,
        build_id: "RPXS31.Q2-58-17",
        serial_prefix: "ZY22",
        shared_serial: None,
        stage: Stage {
            provisioned: true,
            setup_complete: true,
            boot_count: 41,
            ..FRESH
        },
    },
];

/// The fake device for bench position `index` (0-based): models cycle through the catalog, so
/// any bench of three or more holds a RealWear headset. Serials are unique per index, except
/// the catalog's look-alike tablets (index 6, 14, 22, …), which all say `1234567890ABCDEF`.
/// Each device answers [`EVIDENCE_COMMAND`] with its catalog stage.
pub fn simulated_device(index: usize) -> FakeDeviceConfig {
    let m = &CATALOG[index % CATALOG.len()];
    let serial = format!("{}{:06}", m.serial_prefix, 100_001 + index);
    let release = m.release;
    let mut config = FakeDeviceConfig::new(&serial)
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
            &format!(
                "{}/{}/{}:{}/{}/{}:user/release-keys",
                m.manufacturer,
                m.device,
                m.device,
                release,
                m.build_id,
                1000 + index
            ),
        )
        .auth(FakeAuth::AcceptAfterPrompt);
    if let Some(shared) = m.shared_serial {
        config = config
            .property("ro.serialno", shared)
            .property("ro.boot.serialno", shared);
    }
    let answer = evidence_answer(&m.stage, &config.properties);
    config.shell_answer(EVIDENCE_COMMAND, &answer, 0)
}

/// What a device in `stage` prints for [`EVIDENCE_COMMAND`], section by section, in the format
/// of the real `settings`, `dumpsys` and `getprop` output.
fn evidence_answer(stage: &Stage, properties: &BTreeMap<String, String>) -> String {
    let setting = |on: bool| format!("{}\n", u8::from(on));
    let version = |v: Option<&str>| {
        v.map(|v| format!("    versionName={v}\n"))
            .unwrap_or_default()
    };
    let mut out = String::new();
    for name in SECTIONS {
        let body = match *name {
            "device_provisioned" => setting(stage.provisioned),
            "user_setup_complete" => setting(stage.setup_complete),
            "boot_count" => format!("{}\n", stage.boot_count),
            "device_owner" => stage.device_owner.map(device_owner_block).unwrap_or_default(),
            INTUNE_APP => version(stage.intune_app),
            COMPANY_PORTAL => version(stage.company_portal),
            AUTHENTICATOR => version(stage.authenticator),
            "imei" => imei_answer(properties),
            "props" => EVIDENCE_PROPERTIES
                .iter()
                .map(|key| format!("[{key}]: [{}]\n", properties.get(*key).map(String::as_str).unwrap_or("")))
                .collect(),
            other => panic!("the simulated bench doesn't know the evidence section {other:?}: add it to evidence_answer"),
        };
        out.push_str(&format!("{SECTION_MARKER}{name}\n{body}"));
    }
    out.push_str(&format!("{SECTION_MARKER}end\n"));
    out
}

/// What `service call iphonesubinfo 1` prints: Android 10 and later refuse the shell
/// (READ_PRIVILEGED_PHONE_STATE); older Android answers with the IMEI as UTF-16 in a parcel.
fn imei_answer(properties: &BTreeMap<String, String>) -> String {
    let sdk: u32 = properties
        .get("ro.build.version.sdk")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if sdk >= 29 {
        return "Result: Parcel(\n  0x00000000: ffffffff 00000047 00650052 00750071 '....G...R.e.q.u.'\n  0x00000010: 00720069 00730065 00520020 00410045 'i.r.e.s. .R.E.A.')\n".to_owned();
    }
    let serial = properties
        .get("ro.serialno")
        .map(String::as_str)
        .unwrap_or("");
    imei_parcel(&simulated_imei(serial))
}

/// A Luhn-valid 15-digit IMEI made from a serial (test allocation prefix 00).
pub fn simulated_imei(serial: &str) -> String {
    let seed = serial
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let body = format!("00{:012}", seed % 1_000_000_000_000);
    let check = (0..10)
        .find(|d| crate::identity::luhn_ok(&format!("{body}{d}")))
        .unwrap_or(0);
    format!("{body}{check}")
}

/// Renders `digits` the way `service call` dumps a string parcel: status 0, length, then UTF-16
/// code units two per little-endian word, with the ASCII column beside them.
fn imei_parcel(digits: &str) -> String {
    let mut bytes = vec![0u8; 4];
    bytes.extend_from_slice(&u32::try_from(digits.len()).unwrap_or(0).to_le_bytes());
    for c in digits.encode_utf16() {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    while !bytes.len().is_multiple_of(4) {
        bytes.push(0);
    }
    let mut out = String::from("Result: Parcel(\n");
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let words: Vec<String> = chunk
            .chunks(4)
            .map(|w| format!("{:08x}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
            .collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        out.push_str(&format!(
            "  0x{:08x}: {:<35} '{ascii}'\n",
            row * 16,
            words.join(" ")
        ));
    }
    out.push_str(")\n");
    out
}

/// The "Device Owner" block `dumpsys device_policy | grep -A 8 'Device Owner'` prints.
fn device_owner_block(component: &str) -> String {
    let package = component.split('/').next().unwrap_or(component);
    format!(
        "  Device Owner: \n    admin=ComponentInfo{{{component}}}\n    name=\n    package={package}\n    isOrganizationOwnedDevice=true\n    User ID: 0\n\n  Device Owner Type: 0\n"
    )
}

/// The address of bench position `index` (0-based) on 127.0.0.1: `base_port + index`, or a free
/// port when `base_port` is `None`.
fn bench_address(base_port: Option<u16>, index: usize) -> std::io::Result<SocketAddr> {
    let port = match base_port {
        Some(p) => p
            .checked_add(u16::try_from(index).unwrap_or(u16::MAX))
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("port {p} + {index} is past 65535: pick a lower --base-port"),
                )
            })?,
        None => 0,
    };
    Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)))
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
            let config = simulated_device(i);
            let entry = (
                config
                    .properties
                    .get("ro.serialno")
                    .cloned()
                    .unwrap_or_else(|| config.serial.clone()),
                config
                    .properties
                    .get("ro.product.manufacturer")
                    .cloned()
                    .unwrap_or_default(),
                config
                    .properties
                    .get("ro.product.model")
                    .cloned()
                    .unwrap_or_default(),
            );
            let addr = bench_address(base_port, i)?;
            let device = FakeDevice::spawn(config, addr).await.map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "can't start fake device {} on {addr}: {e}; pick another --base-port",
                        i + 1
                    ),
                )
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

    /// `(ro.serialno, manufacturer, model)` of each device, in start order.
    pub fn models(&self) -> &[(String, String, String)] {
        &self.models
    }

    /// Moves device `index` to "enrolled" (stage 2 on the bench): provisioned, set up, Android
    /// Device Policy as device owner, the Intune app installed, with `boot_count` boots. Its
    /// next read shows it.
    pub fn set_enrolled(&self, index: usize, boot_count: u32) {
        let config = simulated_device(index);
        let stage = Stage {
            provisioned: true,
            setup_complete: true,
            boot_count,
            device_owner: Some(CLOUD_DPC_ADMIN),
            intune_app: Some("24.8.2"),
            company_portal: None,
            authenticator: None,
        };
        let answer = evidence_answer(&stage, &config.properties);
        if let Some(device) = self.devices.get(index) {
            device.set_shell_answer(EVIDENCE_COMMAND, &answer, 0);
        }
    }

    /// Asks the adb server to connect to every device.
    pub async fn connect_all(
        &self,
        server: &AdbServer,
    ) -> Result<(), stagebench_adb::server::AdbError> {
        for addr in self.addrs() {
            server.connect(&addr.to_string()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
