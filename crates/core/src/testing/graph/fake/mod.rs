//! The fake Graph server: axum on 127.0.0.1, state in memory, every request checked first.
//!
//! Layout: this file holds the server and its state ([`FakeGraph`], [`GraphClock`],
//! [`Faults`], the tenant); `seed` is what tests and demos put in the tenant and read back;
//! `http` serves requests (the sign-in paths, the schema check, `$batch`, injected faults);
//! `throttle` spends the per-app budgets; `execute` answers each Graph operation from the
//! tenant (`identity_rules`: the corporate identifiers Intune refuses); `entities` shapes what it answers (default profiles, QR content, `$select`,
//! `$filter` on devices); `lifecycle` moves scheduled devices through enrollment; `demo` seeds
//! the demo tenant.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::schema::GraphSchema;

mod demo;
mod entities;
mod execute;
mod http;
mod identity_rules;
mod lifecycle;
mod seed;
mod throttle;

pub use demo::DemoTenant;
pub use lifecycle::{FakeEnrollmentFlow, Lifecycle};

use http::serve;
use throttle::Service;

const PROFILES: &str = "/deviceManagement/androidDeviceOwnerEnrollmentProfiles";
const DEVICES: &str = "/deviceManagement/managedDevices";
const IDENTITIES: &str = "/deviceManagement/importedDeviceIdentities";

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The fake tenant's time: the wall clock, or a manual one tests move with [`GraphClock::advance`].
/// It drives token timestamps and the throttle budget windows.
#[derive(Debug, Clone)]
pub struct GraphClock(Arc<Mutex<Option<OffsetDateTime>>>);

impl GraphClock {
    /// The wall clock.
    pub fn real() -> GraphClock {
        GraphClock(Arc::new(Mutex::new(None)))
    }

    /// A clock that stands at `start` until advanced.
    pub fn manual(start: OffsetDateTime) -> GraphClock {
        GraphClock(Arc::new(Mutex::new(Some(start))))
    }

    /// Moves a manual clock forward (no effect on the wall clock).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = lock(&self.0).as_mut() {
            *t += by;
        }
    }

    /// Now.
    pub fn now(&self) -> OffsetDateTime {
        lock(&self.0).unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Whether this is a manual clock.
    pub fn is_manual(&self) -> bool {
        lock(&self.0).is_some()
    }
}

/// Fault injection. Injected faults count requests as Graph does: each top-level request and each
/// request inside a `$batch` (the `$batch` envelope itself is not counted).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Delay before each top-level response.
    pub latency: Duration,
    /// Answer the next N requests with 429.
    pub throttle_next: u32,
    /// Answer every Nth request with 429.
    pub throttle_every: Option<u32>,
    /// `Retry-After` seconds on injected 429s and 503s (`None`: no header, as Intune sometimes does).
    pub retry_after: Option<u64>,
    /// Answer the next N requests with 503.
    pub unavailable_next: u32,
    /// Page list responses with `@odata.nextLink` after this many items.
    pub page_size: Option<usize>,
    /// Enforce the per-app budgets per 20 s: managedDevices 2,000 any / 200 writes, enrollment
    /// profiles 1,000 / 100 (throttled requests answer 429 with `Retry-After`).
    pub budgets: bool,
    /// Answer every request 401 (an expired or revoked access token).
    pub reject_auth: bool,
    /// Answer 401 to requests bearing one of these access tokens (expired or revoked ones).
    pub rejected_tokens: Vec<String>,
    /// Ignore `$filter` on managedDevices lists and answer with every device, as Graph
    /// silently does with filters it does not support (clients must re-check).
    pub ignore_device_filter: bool,
    /// Answer the next N requests (Graph's or the sign-in endpoints') 200 with a JSON body one
    /// byte longer than [`crate::limits::GRAPH_RESPONSE`] allows, streamed without a
    /// `Content-Length` (not logged as an exchange).
    pub oversized_next: u32,
}

/// One request the server answered (top-level or inside a `$batch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub url: String,
    /// Status answered.
    pub status: u16,
    /// Whether it was inside a `$batch`.
    pub in_batch: bool,
}

#[derive(Debug, Default)]
struct Tenant {
    profiles: BTreeMap<String, Map<String, Value>>,
    /// Read through `devices`; change through [`Tenant::devices_mut`], which drops the index.
    devices: BTreeMap<String, Map<String, Value>>,
    /// Device ids by upper-cased serial, rebuilt on demand: a look-up by serial in a tenant of
    /// thousands must not scan them all (the Graph benchmark makes 5,000 look-ups).
    serial_index: Option<HashMap<String, Vec<String>>>,
    users: BTreeMap<String, Map<String, Value>>,
    primary_users: BTreeMap<String, String>,
    identities: BTreeMap<String, Map<String, Value>>,
}

impl Tenant {
    fn devices_mut(&mut self) -> &mut BTreeMap<String, Map<String, Value>> {
        self.serial_index = None;
        &mut self.devices
    }

    /// The ids of devices whose serial is `serial` (case-insensitive).
    fn with_serial(&mut self, serial: &str) -> Vec<String> {
        let devices = &self.devices;
        let index = self.serial_index.get_or_insert_with(|| {
            let mut index: HashMap<String, Vec<String>> = HashMap::new();
            for (id, d) in devices {
                if let Some(s) = d.get("serialNumber").and_then(Value::as_str) {
                    index
                        .entry(s.to_ascii_uppercase())
                        .or_default()
                        .push(id.clone());
                }
            }
            index
        });
        index
            .get(&serial.to_ascii_uppercase())
            .cloned()
            .unwrap_or_default()
    }
}

pub(super) struct Inner {
    schema: GraphSchema,
    pub(super) base: String,
    pub(super) clock: GraphClock,
    /// The identity platform (the `login` module).
    pub(super) login: super::login::Identity,
    tenant: Mutex<Tenant>,
    faults: Mutex<Faults>,
    violations: Mutex<Vec<String>>,
    log: Mutex<Vec<Exchange>>,
    budget: Mutex<HashMap<Service, VecDeque<(OffsetDateTime, bool)>>>,
    counter: AtomicU64,
    ids: AtomicU64,
    lifecycles: Mutex<Vec<lifecycle::Scheduled>>,
    /// While `true`, answers are kept back (see [`FakeGraph::hold`]).
    pub(super) gate: tokio::sync::watch::Sender<bool>,
    /// Answers kept back so far.
    pub(super) held: AtomicUsize,
}

/// A fake Microsoft Graph beta tenant on 127.0.0.1 (see the module docs). Dropping it stops it.
pub struct FakeGraph {
    pub(super) inner: Arc<Inner>,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for FakeGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGraph")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGraph {
    /// Starts an empty tenant on the wall clock.
    pub async fn start() -> std::io::Result<FakeGraph> {
        FakeGraph::start_with_clock(GraphClock::real()).await
    }

    /// Starts an empty tenant on `clock`.
    pub async fn start_with_clock(clock: GraphClock) -> std::io::Result<FakeGraph> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            schema: GraphSchema::load(),
            base: format!("http://{addr}/beta"),
            clock,
            login: Default::default(),
            tenant: Mutex::new(Tenant::default()),
            faults: Mutex::new(Faults::default()),
            violations: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            budget: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            ids: AtomicU64::new(0),
            lifecycles: Mutex::new(Vec::new()),
            gate: tokio::sync::watch::Sender::new(false),
            held: AtomicUsize::new(0),
        });
        let router = Router::new().fallback(serve).with_state(inner.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "fake Graph server stopped");
            }
        });
        Ok(FakeGraph { inner, addr, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Graph base URL, `http://127.0.0.1:<port>/beta` (stands for `https://graph.microsoft.com/beta`).
    pub fn base_url(&self) -> String {
        self.inner.base.clone()
    }

    /// The tenant's clock.
    pub fn clock(&self) -> GraphClock {
        self.inner.clock.clone()
    }

    /// Changes the fault injection.
    pub fn faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut lock(&self.inner.faults));
    }

    /// From now on, carries out each top-level request and keeps its answer back until
    /// [`FakeGraph::release`]: a tenant slow to answer, with what it did visible at once.
    pub fn hold(&self) {
        self.inner.gate.send_replace(true);
    }

    /// Sends every answer kept back, and the next ones at once.
    pub fn release(&self) {
        self.inner.gate.send_replace(false);
    }

    /// How many answers were kept back so far (released ones included).
    pub fn held(&self) -> usize {
        self.inner.held.load(Ordering::SeqCst)
    }

    /// Requests the schema refused, as `METHOD url: why`.
    pub fn violations(&self) -> Vec<String> {
        lock(&self.inner.violations).clone()
    }

    /// Panics, listing them, if any request broke the schema.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "requests the Graph beta schema does not allow:\n{}",
            violations.join("\n")
        );
    }

    /// Every request answered, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.inner.log).clone()
    }

    /// Top-level HTTP requests received (a `$batch` counts once).
    pub fn http_requests(&self) -> usize {
        lock(&self.inner.log).iter().filter(|e| !e.in_batch).count()
    }

    /// 429s answered (top-level and inside batches).
    pub fn throttled(&self) -> usize {
        lock(&self.inner.log)
            .iter()
            .filter(|e| e.status == 429)
            .count()
    }
}

impl Inner {
    fn new_id(&self) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed) + 1;
        format!(
            "{:08x}-fa4e-4b00-8000-{:012x}",
            0x5ba6_e000u32 ^ (n as u32),
            n
        )
    }
}
