//! The demo bench: simulated devices that react to the bench as real ones do. Each starts out
//! of the box; when the bench's store shows the enrollment QR of the batch it is in, it
//! provisions on a short timer (Android Device Policy downloading, then Intune's agent as device
//! owner — the bench's Enrolling — then setup done at the sign-in screen), its ADB evidence
//! changing at each step; when the technician records it as Powered off, it powers off (leaves
//! ADB), and only then does the fake tenant enroll it (`Staging_<serial>_…`, RealWear headsets
//! through AOSP userless) and, later, give it a user. Serials are fresh each run (or fixed by a
//! seed). Controls plug, unplug, advance, fail, allow and power on a device (a powered-off one
//! boots back onto adb, so its card can show what Intune says); a loopback control endpoint
//! ([`crate::demo`]) serves them to the CLI and the app.
//!
//! Layout: `catalog` (the devices and their evidence per phase), `link` (a device's presence on
//! adb), `watch` (the bench's store, read-only), `life` (what moves a device on: the bench, its
//! timers and the controls), `control` (the endpoint and its file); this file holds the bench.

mod catalog;
mod control;
mod life;
mod link;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;
use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::{FakeAuth, FakeDevice};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

pub use catalog::{DemoSpec, Quirk, PLACEHOLDER_SERIAL};
use link::Link;
use watch::BenchStore;

use super::bench_address;
use super::graph::FakeGraph;
use crate::demo::{DemoAction, DemoDevice, DemoFailure, DemoPhase};

/// Who signs in on staged devices (stage 3).
pub const END_USER: &str = "ana@contoso.com";

/// How a demo bench runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many devices.
    pub devices: usize,
    /// A plain bench: no quirks and no RealWear headsets, so every device goes from the QR to
    /// its user (stage 3).
    pub plain: bool,
    /// Serials from this seed (the same each run); fresh ones when `None`.
    pub seed: Option<u64>,
    /// How long each automatic step takes (provisioning, device owner, setup; Intune's
    /// enrollment and the user's sign-in after power-off).
    pub step: Duration,
    /// First port (the others follow); free ports when `None`.
    pub base_port: Option<u16>,
    /// The adb server to attach the devices to.
    pub adb: Option<AdbServer>,
    /// The bench's data folder: its store is watched, and the control file written there.
    pub data_dir: Option<PathBuf>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            devices: 8,
            plain: false,
            seed: None,
            step: Duration::from_secs(4),
            base_port: None,
            adb: None,
            data_dir: None,
        }
    }
}

/// One device on the demo bench.
struct Slot {
    number: u32,
    spec: DemoSpec,
    addr: SocketAddr,
    /// Listening while plugged, powered and debuggable.
    device: Option<FakeDevice>,
    plugged: bool,
    /// Switched on (off from power-off until powered on again).
    powered: bool,
    phase: DemoPhase,
    boot_count: u32,
    /// When the next automatic step falls due.
    due: Option<Instant>,
    stuck: bool,
}

impl Slot {
    fn awaiting_allow(&self) -> bool {
        self.spec.config.auth == FakeAuth::Reject
    }

    /// adb can reach it: plugged, debuggable and switched on.
    fn reachable(&self) -> bool {
        self.plugged && self.powered && self.phase != DemoPhase::UsbDebuggingOff
    }
}

struct Shared {
    slots: Mutex<Vec<Slot>>,
    link: Link,
    step: Duration,
    store: Option<std::sync::Mutex<BenchStore>>,
    tenant: Option<Arc<FakeGraph>>,
    /// How many times the bench was looked at (every device moved on as it said).
    looks: std::sync::atomic::AtomicU64,
}

/// A running demo bench; dropping it stops every device, the control endpoint (its file is
/// removed) and the watch.
pub struct DemoBench {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
    control: Option<control::ControlEndpoint>,
}

impl Drop for DemoBench {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl DemoBench {
    /// Starts the devices (each on its own address on 127.0.0.1), attaches them to the adb
    /// server, then watches the bench store and runs their lives; with `tenant`, they enroll
    /// there once powered off. With a data folder, the control endpoint starts and its file is
    /// written there.
    pub async fn start(
        options: DemoOptions,
        tenant: Option<Arc<FakeGraph>>,
    ) -> std::io::Result<DemoBench> {
        let mut rng = match options.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        let link = Link::new(options.adb.clone());
        let mut slots = Vec::with_capacity(options.devices);
        for (i, spec) in catalog::demo_devices(options.devices, options.plain, &mut rng)
            .into_iter()
            .enumerate()
        {
            let addr = bench_address(options.base_port, i)?;
            let phase = if spec.quirk == Quirk::DebuggingOff {
                DemoPhase::UsbDebuggingOff
            } else {
                DemoPhase::Fresh
            };
            let failed = |e: std::io::Error| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "can't start simulated device {} on {addr}: {e}; pick another base port",
                        i + 1
                    ),
                )
            };
            // Every device holds its address from the start, even one adb can't see yet.
            let (addr, device) = if phase == DemoPhase::UsbDebuggingOff {
                let held = FakeDevice::spawn(spec.config.clone(), addr)
                    .await
                    .map_err(failed)?;
                (held.addr(), None)
            } else {
                let device = link.up(addr, &spec.config).await.map_err(failed)?;
                (device.addr(), Some(device))
            };
            slots.push(Slot {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                boot_count: 2,
                spec,
                addr,
                device,
                plugged: true,
                powered: true,
                phase,
                due: None,
                stuck: false,
            });
        }
        let shared = Arc::new(Shared {
            slots: Mutex::new(slots),
            link,
            step: options.step,
            store: options
                .data_dir
                .as_deref()
                .map(|d| std::sync::Mutex::new(BenchStore::in_folder(d))),
            tenant,
            looks: Default::default(),
        });
        let mut tasks = vec![tokio::spawn(life::run(shared.clone()))];
        let control = match &options.data_dir {
            Some(dir) => {
                let (endpoint, task) = control::ControlEndpoint::start(dir, shared.clone()).await?;
                tasks.push(task);
                Some(endpoint)
            }
            None => None,
        };
        Ok(DemoBench {
            shared,
            tasks,
            control,
        })
    }

    /// The devices as the controls show them.
    pub async fn devices(&self) -> Vec<DemoDevice> {
        describe(&self.shared.slots.lock().await)
    }

    /// Does `action` to device `number` (1-based); the devices after it, or why not.
    pub async fn act(
        &self,
        number: u32,
        action: DemoAction,
        failure: Option<DemoFailure>,
    ) -> Result<Vec<DemoDevice>, String> {
        life::act(&self.shared, number, action, failure).await
    }

    /// How many times the devices looked at the bench so far: a test that something does *not*
    /// happen waits for more looks, not for a guessed time.
    pub fn looks(&self) -> u64 {
        self.shared.looks.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How long each automatic step takes.
    pub fn step(&self) -> Duration {
        self.shared.step
    }

    /// The control file, when the endpoint runs.
    pub fn control_file(&self) -> Option<&std::path::Path> {
        self.control.as_ref().map(control::ControlEndpoint::file)
    }
}

/// The environment that points the CLI and the app at `fake` (its sign-in and Graph, over
/// plain HTTP on 127.0.0.1).
pub fn tenant_env(fake: &FakeGraph) -> std::collections::BTreeMap<&'static str, String> {
    use crate::intune::auth::{ALLOW_HTTP_LOOPBACK_ENV, AUTHORITY_ENV, GRAPH_URL_ENV};
    [
        (AUTHORITY_ENV, fake.authority_url()),
        (GRAPH_URL_ENV, fake.base_url()),
        (ALLOW_HTTP_LOOPBACK_ENV, "1".to_owned()),
    ]
    .into_iter()
    .collect()
}

/// The devices as the controls show them.
fn describe(slots: &[Slot]) -> Vec<DemoDevice> {
    slots
        .iter()
        .map(|s| DemoDevice {
            number: s.number,
            serial: s.spec.serial.clone(),
            manufacturer: s.spec.manufacturer.clone(),
            model: s.spec.model.clone(),
            addr: s.addr.to_string(),
            plugged: s.plugged,
            powered: s.powered,
            on_adb: s.device.is_some(),
            awaiting_allow: s.awaiting_allow(),
            stuck: s.stuck,
            phase: s.phase,
            doing: life::doing(s),
            actions: life::actions(s),
            failures: life::failures(s),
        })
        .collect()
}
