//! The demo bench's devices: eight makers' models a staging bench meets (Samsung, Zebra, Google,
//! RealWear, Lenovo), three of them with a quirk (a placeholder serial, an "Allow USB debugging?"
//! prompt not yet tapped, USB debugging off), fresh serials from a seed, and what each answers to
//! the stage evidence command in each phase of its life. A plain bench leaves out the quirks and
//! the RealWear headsets (AOSP userless: no user ever signs in), so every device can go from the
//! QR to its user (stage 3).

use rand::rngs::StdRng;
use rand::Rng;
use stagebench_adb::testing::{FakeAuth, FakeDeviceConfig};

use super::super::{evidence_answer, Model, Stage, CLOUD_DPC_ADMIN, FRESH};
use crate::demo::DemoPhase;
use crate::device::evidence::EVIDENCE_COMMAND;

/// The placeholder serial look-alike tablets share.
pub const PLACEHOLDER_SERIAL: &str = "1234567890ABCDEF";

/// Intune's AOSP agent as device owner (RealWear, AOSP userless).
const INTUNE_AOSP_ADMIN: &str =
    "com.microsoft.intune/com.microsoft.intune.aosp.AospDeviceAdminReceiver";

/// What sets a device apart on the demo bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// Nothing.
    None,
    /// `ro.serialno` is the placeholder `1234567890ABCDEF`.
    PlaceholderSerial,
    /// Its "Allow USB debugging?" prompt waits for a tap.
    Unauthorized,
    /// USB debugging is off until advanced.
    DebuggingOff,
}

/// A model of the catalog's kind, out of the box, with its quirk.
const fn model(
    manufacturer: &'static str,
    model: &'static str,
    device: &'static str,
    (release, sdk): (&'static str, u32),
    build_id: &'static str,
    serial_prefix: &'static str,
    quirk: Quirk,
) -> (Model, Quirk) {
    let shared_serial = match quirk {
        Quirk::PlaceholderSerial => Some(PLACEHOLDER_SERIAL),
        _ => None,
    };
    let m = Model {
        manufacturer,
        model,
        device,
        release,
        sdk,
        build_id,
        serial_prefix,
        shared_serial,
        stage: FRESH,
    };
    (m, quirk)
}

/// The demo bench, in order; a bench of more devices starts again from the top.
const MODELS: &[(Model, Quirk)] = &[
    model(
        "samsung",
        "SM-G991B",
        "o1s",
        ("14", 34),
        "UP1A.231005.007",
        "R5CR",
        Quirk::None,
    ),
    model(
        "Zebra Technologies",
        "TC52",
        "TC52",
        ("11", 30),
        "11-49-09.00-RG-U00-STD",
        "2109",
        Quirk::None,
    ),
    model(
        "Google",
        "Pixel 7",
        "panther",
        ("15", 35),
        "AP4A.250105.002",
        "2B1",
        Quirk::None,
    ),
    model(
        "RealWear inc.",
        "T21G",
        "navigator500",
        ("11", 30),
        "RWN.1.4.1",
        "NAV5",
        Quirk::None,
    ),
    model(
        "samsung",
        "SM-A536B",
        "a53x",
        ("14", 34),
        "UP1A.231005.007",
        "R58T",
        Quirk::Unauthorized,
    ),
    model(
        "LENOVO",
        "TB-X606F",
        "X606F",
        ("10", 29),
        "QP1A.190711.020",
        "HA1",
        Quirk::PlaceholderSerial,
    ),
    model(
        "Zebra Technologies",
        "TC58",
        "TC58",
        ("13", 33),
        "13-18-19.00-TN-U00-STD",
        "2215",
        Quirk::DebuggingOff,
    ),
    model(
        "RealWear inc.",
        "T1100G",
        "HMT-1",
        ("10", 29),
        "11.2.1",
        "HMT1",
        Quirk::None,
    ),
];

/// One device made for a demo run.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    /// What the fake adbd serves (auth and evidence change as the device moves on).
    pub config: FakeDeviceConfig,
    /// `ro.serialno`.
    pub serial: String,
    /// Maker.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Its quirk.
    pub quirk: Quirk,
    /// A RealWear headset (enrolls through AOSP userless, never gets a user).
    pub realwear: bool,
}

/// RealWear headsets enroll AOSP userless: no user ever signs in on them.
fn realwear(manufacturer: &str) -> bool {
    manufacturer.starts_with("RealWear")
}

/// The devices of a demo bench of `count`, with serials drawn from `rng`: fresh each run,
/// the same for the same seed, never two alike (but the placeholder). `plain`: no quirks and
/// no RealWear headsets, every device a staging-token one that reaches its user.
pub fn demo_devices(count: usize, plain: bool, rng: &mut StdRng) -> Vec<DemoSpec> {
    let models: Vec<&(Model, Quirk)> = MODELS
        .iter()
        .filter(|(m, _)| !(plain && realwear(m.manufacturer)))
        .collect();
    let mut taken = std::collections::BTreeSet::new();
    (0..count)
        .map(|i| {
            let (m, quirk) = models[i % models.len()];
            let serial = loop {
                let s = format!("{}{:07}", m.serial_prefix, rng.gen_range(0..10_000_000u32));
                if taken.insert(s.clone()) {
                    break s;
                }
            };
            spec(m, if plain { Quirk::None } else { *quirk }, serial, i)
        })
        .collect()
}

fn spec(m: &Model, quirk: Quirk, hardware_serial: String, index: usize) -> DemoSpec {
    let mut config = FakeDeviceConfig::new(&hardware_serial)
        .manufacturer(m.manufacturer)
        .model(m.model)
        .device(m.device)
        .android(m.release, m.sdk)
        .property("ro.build.id", m.build_id)
        .property("ro.build.display.id", m.build_id)
        .property("ro.build.version.incremental", &format!("{}", 2000 + index))
        .auth(if quirk == Quirk::Unauthorized {
            FakeAuth::Reject
        } else {
            FakeAuth::AcceptAfterPrompt
        });
    if let Some(shared) = m
        .shared_serial
        .filter(|_| quirk == Quirk::PlaceholderSerial)
    {
        config = config
            .property("ro.serialno", shared)
            .property("ro.boot.serialno", shared);
    }
    let serial = config.properties["ro.serialno"].clone();
    let mut spec = DemoSpec {
        config,
        serial,
        manufacturer: m.manufacturer.to_owned(),
        model: m.model.to_owned(),
        quirk,
        realwear: realwear(m.manufacturer),
    };
    spec.show(DemoPhase::Fresh, FRESH.boot_count);
    spec
}

impl DemoSpec {
    /// Sets its stage evidence to what a device in `phase` with `boot_count` boots answers.
    pub fn show(&mut self, phase: DemoPhase, boot_count: u32) {
        let owner = if self.realwear {
            INTUNE_AOSP_ADMIN
        } else {
            CLOUD_DPC_ADMIN
        };
        let enrolled = Stage {
            provisioned: true,
            setup_complete: false,
            boot_count,
            device_owner: Some(owner),
            intune_app: Some("24.8.2"),
            company_portal: None,
            authenticator: None,
        };
        let stage = match phase {
            DemoPhase::UsbDebuggingOff | DemoPhase::Fresh | DemoPhase::Provisioning => Stage {
                boot_count,
                ..FRESH
            },
            DemoPhase::DeviceOwner => enrolled,
            DemoPhase::SetupDone
            | DemoPhase::PoweredOff
            | DemoPhase::InIntune
            | DemoPhase::UserSignedIn => Stage {
                setup_complete: true,
                ..enrolled
            },
        };
        let answer = evidence_answer(&stage, &self.config.properties);
        self.config = self
            .config
            .clone()
            .shell_answer(EVIDENCE_COMMAND, &answer, 0);
    }
}
