//! The fake Graph server: axum on 127.0.0.1, state in memory, every request checked first.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::schema::{self, GraphSchema, Matched};

mod demo;
mod lifecycle;
pub use demo::DemoTenant;
pub use lifecycle::{FakeEnrollmentFlow, Lifecycle};

const PROFILES: &str = "/deviceManagement/androidDeviceOwnerEnrollmentProfiles";
const DEVICES: &str = "/deviceManagement/managedDevices";
const IDENTITIES: &str = "/deviceManagement/importedDeviceIdentities";
/// AOSP tokens last at most 90 days (memdocs).
const AOSP_MAX_VALIDITY: i64 = 90 * 24 * 3600;
/// The throttling window (Intune services count per 20 s).
const WINDOW: Duration = Duration::from_secs(20);
/// The clouddpc signature checksum Intune's AE QR carries (intune-android-adb.md §1.1).
const CLOUDDPC_CHECKSUM: &str = "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg";

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Service {
    Devices,
    AndroidForWork,
}

impl Service {
    fn of(template: &str) -> Option<Service> {
        if template.starts_with(DEVICES) {
            Some(Service::Devices)
        } else if template.starts_with(PROFILES) {
            Some(Service::AndroidForWork)
        } else {
            None
        }
    }

    fn limits(self) -> (usize, usize) {
        match self {
            Service::Devices => (2000, 200),
            Service::AndroidForWork => (1000, 100),
        }
    }
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
}

/// A reply before it becomes HTTP.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"error": {"code": code, "message": message, "innerError": {"request-id": "00000000-0000-0000-0000-000000000000"}}}),
        )
    }

    fn not_found(what: &str, id: &str) -> Reply {
        Reply::error(
            404,
            "ResourceNotFound",
            &format!("{what} {id} was not found"),
        )
    }
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

    fn new_id(&self) -> String {
        self.inner.new_id()
    }

    fn seed(&self, entity: &str, value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else {
            panic!("seed {entity}: not a JSON object")
        };
        if let Err(v) = self
            .inner
            .schema
            .check_entity(entity, &Value::Object(map.clone()))
        {
            panic!("seed {entity}: {v}");
        }
        map
    }

    /// Adds an enrollment profile (properties of `androidDeviceOwnerEnrollmentProfile`); returns its id.
    pub fn add_profile(&self, profile: Value) -> String {
        let mut map = self.seed(
            "microsoft.graph.androidDeviceOwnerEnrollmentProfile",
            profile,
        );
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.new_id());
        let defaults = default_profile(&id, self.inner.clock.now());
        for (k, v) in defaults {
            map.entry(k).or_insert(v);
        }
        lock(&self.inner.tenant).profiles.insert(id.clone(), map);
        id
    }

    /// Adds a managed device (properties of `managedDevice`); returns its id.
    pub fn add_device(&self, device: Value) -> String {
        let mut map = self.seed("microsoft.graph.managedDevice", device);
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.new_id());
        let now = rfc3339(self.inner.clock.now());
        for (k, v) in [
            ("id", json!(id)),
            ("deviceName", json!("")),
            ("serialNumber", json!("")),
            ("operatingSystem", json!("Android")),
            ("managementState", json!("managed")),
            ("enrolledDateTime", json!(now)),
            ("lastSyncDateTime", json!(now)),
            ("notes", Value::Null),
            ("userId", json!("")),
            ("userPrincipalName", json!("")),
            ("userDisplayName", json!("")),
            ("emailAddress", json!("")),
            ("usersLoggedOn", json!([])),
        ] {
            map.entry(k).or_insert(v);
        }
        lock(&self.inner.tenant)
            .devices_mut()
            .insert(id.clone(), map);
        id
    }

    /// Changes a device (as Intune would over time: renamed, synced, user assigned…).
    pub fn update_device(&self, id: &str, changes: Value) {
        let changes = self.seed("microsoft.graph.managedDevice", changes);
        let mut tenant = lock(&self.inner.tenant);
        let device = tenant
            .devices_mut()
            .get_mut(id)
            .unwrap_or_else(|| panic!("no device {id}"));
        device.extend(changes);
    }

    /// Removes a device.
    pub fn remove_device(&self, id: &str) -> bool {
        lock(&self.inner.tenant).devices_mut().remove(id).is_some()
    }

    /// Adds a user (properties of `user`); returns its id.
    pub fn add_user(&self, user: Value) -> String {
        let mut map = self.seed("microsoft.graph.user", user);
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.new_id());
        map.insert("id".into(), json!(id));
        lock(&self.inner.tenant).users.insert(id.clone(), map);
        id
    }

    /// A profile as stored.
    pub fn profile(&self, id: &str) -> Option<Value> {
        lock(&self.inner.tenant)
            .profiles
            .get(id)
            .cloned()
            .map(Value::Object)
    }

    /// A device as stored.
    pub fn device(&self, id: &str) -> Option<Value> {
        lock(&self.inner.tenant)
            .devices
            .get(id)
            .cloned()
            .map(Value::Object)
    }

    /// A device's primary user id.
    pub fn primary_user(&self, device: &str) -> Option<String> {
        lock(&self.inner.tenant).primary_users.get(device).cloned()
    }

    /// Imported corporate identifiers.
    pub fn imported_identities(&self) -> Vec<Value> {
        lock(&self.inner.tenant)
            .identities
            .values()
            .cloned()
            .map(Value::Object)
            .collect()
    }
}

fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn serve(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if super::login::is_login_path(uri.path()) {
        return super::login::serve(&inner, method.as_str(), uri.path(), &body);
    }
    let url = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string());
    let latency = lock(&inner.faults).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    lifecycle::advance(&inner);
    let reply = inner.top_level(method.as_str(), &url, &headers, &body);
    lock(&inner.log).push(Exchange {
        method: method.to_string(),
        url,
        status: reply.status,
        in_batch: false,
    });
    to_response(reply)
}

fn to_response(reply: Reply) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &reply.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = match reply.body {
        Some(value) => {
            builder = builder.header("content-type", "application/json");
            Body::from(serde_json::to_vec(&value).unwrap_or_default())
        }
        None => Body::empty(),
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn parse_body(bytes: &[u8]) -> Result<Option<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| format!("body is not JSON: {e}"))
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

    fn violate(&self, method: &str, url: &str, why: &str) -> Reply {
        lock(&self.violations).push(format!("{method} {url}: {why}"));
        Reply::error(400, "BadRequest", &format!("schema violation: {why}"))
    }

    fn top_level(&self, method: &str, url: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
        let bearer = header_value(headers, "authorization")
            .and_then(|a| a.strip_prefix("Bearer ").map(|t| t.trim().to_string()))
            .filter(|t| !t.is_empty());
        let faults = lock(&self.faults).clone();
        let refused = match &bearer {
            None => Some("Access token is empty or invalid."),
            Some(_) if faults.reject_auth => Some("Access token is empty or invalid."),
            Some(token) if faults.rejected_tokens.contains(token) => {
                Some("Access token has been revoked.")
            }
            Some(token) => self.login.bearer_problem(token, self.clock.now()),
        };
        if let Some(message) = refused {
            return Reply::error(401, "InvalidAuthenticationToken", message);
        }
        if !url.starts_with("/beta/") {
            return self.violate(method, url, "path must start with the /beta base");
        }
        let body = match parse_body(body) {
            Ok(body) => body,
            Err(why) => return self.violate(method, url, &why),
        };
        let matched = match self.schema.check(method, url, body.as_ref()) {
            Ok(m) => m,
            Err(v) => return self.violate(method, url, &v.0),
        };
        if matched.template == "/$batch" {
            return self.batch(body.unwrap_or(Value::Null));
        }
        self.with_faults(method, &matched, body)
    }

    fn batch(&self, body: Value) -> Reply {
        let requests = body["requests"].as_array().cloned().unwrap_or_default();
        let mut statuses: HashMap<String, u16> = HashMap::new();
        let mut responses = Vec::new();
        for request in requests {
            let id = request["id"].as_str().unwrap_or_default().to_string();
            let method = request["method"]
                .as_str()
                .unwrap_or_default()
                .to_uppercase();
            let url = request["url"].as_str().unwrap_or_default().to_string();
            let inner_body = request.get("body").cloned();
            let failed_dependency = request["dependsOn"].as_array().is_some_and(|deps| {
                deps.iter()
                    .filter_map(Value::as_str)
                    .any(|d| statuses.get(&d.to_lowercase()).is_none_or(|s| *s >= 400))
            });
            let reply = if failed_dependency {
                Reply::error(
                    424,
                    "FailedDependency",
                    "a request this one depends on failed",
                )
            } else {
                match self.schema.check(&method, &url, inner_body.as_ref()) {
                    Err(v) => self.violate(&method, &url, &format!("in $batch: {}", v.0)),
                    Ok(matched) => self.with_faults(&method, &matched, inner_body),
                }
            };
            lock(&self.log).push(Exchange {
                method: method.clone(),
                url: url.clone(),
                status: reply.status,
                in_batch: true,
            });
            statuses.insert(id.to_lowercase(), reply.status);
            let mut headers: Map<String, Value> = reply
                .headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            if reply.body.is_some() {
                headers.insert("Content-Type".into(), json!("application/json"));
            }
            let mut entry = json!({"id": id, "status": reply.status, "headers": headers});
            if let Some(body) = reply.body {
                entry["body"] = body;
            }
            responses.push(entry);
        }
        Reply::json(200, json!({"responses": responses}))
    }

    /// Injected faults and budgets, then the request itself.
    fn with_faults(&self, method: &str, matched: &Matched, body: Option<Value>) -> Reply {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let retry = |mut reply: Reply, after: Option<u64>| {
            if let Some(s) = after {
                reply.headers.push(("Retry-After".into(), s.to_string()));
            }
            reply
        };
        {
            let mut faults = lock(&self.faults);
            let after = faults.retry_after;
            if faults.unavailable_next > 0 {
                faults.unavailable_next -= 1;
                return retry(
                    Reply::error(
                        503,
                        "ServiceUnavailable",
                        "The service is temporarily unavailable.",
                    ),
                    after,
                );
            }
            let every = faults
                .throttle_every
                .is_some_and(|k| k > 0 && n.is_multiple_of(u64::from(k)));
            if faults.throttle_next > 0 || every {
                faults.throttle_next =
                    faults
                        .throttle_next
                        .saturating_sub(if every { 0 } else { 1 });
                return retry(
                    Reply::error(429, "TooManyRequests", "Too many requests."),
                    after,
                );
            }
            if faults.budgets {
                if let Some(service) = Service::of(&matched.template) {
                    if let Some(wait) = self.spend(service, method != "GET") {
                        return retry(
                            Reply::error(429, "TooManyRequests", "Too many requests."),
                            Some(wait),
                        );
                    }
                }
            }
        }
        self.execute(method, matched, body)
    }

    /// Spends one request from the service's budget; `Some(seconds)` to wait when it is spent.
    fn spend(&self, service: Service, write: bool) -> Option<u64> {
        let now = self.clock.now();
        let mut budget = lock(&self.budget);
        let window = budget.entry(service).or_default();
        while window.front().is_some_and(|(t, _)| now - *t >= WINDOW) {
            window.pop_front();
        }
        let (any_limit, write_limit) = service.limits();
        let writes = window.iter().filter(|(_, w)| *w).count();
        let oldest = if window.len() >= any_limit {
            window.front().map(|(t, _)| *t)
        } else if write && writes >= write_limit {
            window.iter().find(|(_, w)| *w).map(|(t, _)| *t)
        } else {
            None
        };
        if let Some(oldest) = oldest {
            let wait = (oldest + WINDOW - now).whole_milliseconds().max(0) as u64;
            return Some(wait.div_ceil(1000).max(1));
        }
        window.push_back((now, write));
        None
    }

    fn execute(&self, method: &str, m: &Matched, body: Option<Value>) -> Reply {
        let id = m.ids.first().cloned().unwrap_or_default();
        let t = m.template.as_str();
        let profile_item = format!("{PROFILES}/{{androidDeviceOwnerEnrollmentProfile-id}}");
        let device_item = format!("{DEVICES}/{{managedDevice-id}}");
        let now = self.clock.now();
        let mut tenant = lock(&self.tenant);
        match (method, t) {
            ("GET", PROFILES) => {
                // List answers leave tokens out: read one profile by id for them.
                let items = tenant
                    .profiles
                    .values()
                    .map(|p| {
                        let mut p = p.clone();
                        p.insert("tokenValue".into(), Value::Null);
                        p.insert("qrCodeContent".into(), Value::Null);
                        p
                    })
                    .collect();
                self.list(
                    m,
                    "deviceManagement/androidDeviceOwnerEnrollmentProfiles",
                    items,
                )
            }
            ("POST", PROFILES) => {
                let Some(Value::Object(given)) = body else {
                    return Reply::error(400, "BadRequest", "body needed");
                };
                let id = self.new_id();
                let mut stored = default_profile(&id, now);
                stored.extend(
                    given
                        .into_iter()
                        .filter(|(k, _)| !k.starts_with('@') && k != "id"),
                );
                tenant.profiles.insert(id, stored.clone());
                Reply::json(201, Value::Object(stored))
            }
            ("GET", x) if x == profile_item => match tenant.profiles.get(&id) {
                Some(p) => Reply::json(200, project(p, m)),
                None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
            },
            ("PATCH", x) if x == profile_item => match tenant.profiles.get_mut(&id) {
                Some(p) => {
                    if let Some(Value::Object(changes)) = body {
                        p.extend(changes.into_iter().filter(|(k, _)| !k.starts_with('@')));
                    }
                    p.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                    Reply::empty(204)
                }
                None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
            },
            ("DELETE", x) if x == profile_item => match tenant.profiles.remove(&id) {
                Some(_) => Reply::empty(204),
                None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
            },
            ("POST", x) if x == format!("{profile_item}/createToken") => {
                let token = self.token_value();
                let Some(p) = tenant.profiles.get_mut(&id) else {
                    return Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id);
                };
                let Some(seconds) = body
                    .as_ref()
                    .and_then(|b| b["tokenValidityInSeconds"].as_i64())
                else {
                    return Reply::error(400, "BadRequest", "tokenValidityInSeconds is required");
                };
                let aosp = p["enrollmentMode"]
                    .as_str()
                    .is_some_and(|m| m.contains("AOSP"));
                if seconds <= 0 || (aosp && seconds > AOSP_MAX_VALIDITY) {
                    return Reply::error(
                        400,
                        "BadRequest",
                        &format!(
                            "tokenValidityInSeconds {seconds} is out of range{}",
                            if aosp {
                                " (AOSP tokens last at most 90 days)"
                            } else {
                                ""
                            }
                        ),
                    );
                }
                let qr = if aosp {
                    aosp_qr(&token, &id)
                } else {
                    android_enterprise_qr(&token)
                };
                p.insert("tokenValue".into(), json!(token));
                p.insert("tokenCreationDateTime".into(), json!(rfc3339(now)));
                p.insert(
                    "tokenExpirationDateTime".into(),
                    json!(rfc3339(now + Duration::from_secs(seconds as u64))),
                );
                p.insert("qrCodeContent".into(), json!(qr));
                p.insert("enrollmentTokenUsageCount".into(), json!(0));
                p.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                Reply::empty(204)
            }
            ("POST", x) if x == format!("{profile_item}/revokeToken") => {
                match tenant.profiles.get_mut(&id) {
                    Some(p) => {
                        p.insert("tokenValue".into(), Value::Null);
                        p.insert("qrCodeContent".into(), Value::Null);
                        p.insert("tokenExpirationDateTime".into(), json!(rfc3339(now)));
                        p.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                        Reply::empty(204)
                    }
                    None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
                }
            }
            ("GET", DEVICES) => {
                let filter = m
                    .param("$filter")
                    .filter(|_| !lock(&self.faults).ignore_device_filter)
                    .map(device_filter);
                // One serial asked for: the index gives the candidates (still matched below).
                let candidates: Option<Vec<String>> = filter
                    .as_ref()
                    .and_then(DeviceFilter::only_serial)
                    .map(|s| tenant.with_serial(s));
                let tenant = &*tenant;
                let all: Box<dyn Iterator<Item = &Map<String, Value>>> = match &candidates {
                    Some(ids) => Box::new(ids.iter().filter_map(|id| tenant.devices.get(id))),
                    None => Box::new(tenant.devices.values()),
                };
                let items = all
                    .filter(|d| filter.as_ref().is_none_or(|f| f.matches(d)))
                    .map(|d| {
                        // Lists return notes as null; read one device with $select=notes.
                        let mut d = d.clone();
                        d.insert("notes".into(), Value::Null);
                        d
                    })
                    .collect();
                self.list(m, "deviceManagement/managedDevices", items)
            }
            ("GET", x) if x == device_item => match tenant.devices.get(&id) {
                Some(d) => Reply::json(200, project(d, m)),
                None => Reply::not_found("managedDevice", &id),
            },
            ("PATCH", x) if x == device_item => match tenant.devices_mut().get_mut(&id) {
                Some(d) => {
                    if let Some(Value::Object(changes)) = body {
                        d.extend(changes.into_iter().filter(|(k, _)| !k.starts_with('@')));
                    }
                    Reply::empty(204)
                }
                None => Reply::not_found("managedDevice", &id),
            },
            ("GET", x) if x == format!("{device_item}/users") => {
                if !tenant.devices.contains_key(&id) {
                    return Reply::not_found("managedDevice", &id);
                }
                let users: Vec<Value> = tenant
                    .primary_users
                    .get(&id)
                    .and_then(|u| tenant.users.get(u))
                    .map(|u| vec![Value::Object(u.clone())])
                    .unwrap_or_default();
                Reply::json(
                    200,
                    json!({"@odata.context": format!("{}/$metadata#users", self.base), "value": users}),
                )
            }
            ("POST", x) if x == format!("{device_item}/users/$ref") => {
                let user_id = body
                    .as_ref()
                    .and_then(|b| b["@odata.id"].as_str())
                    .and_then(|u| u.rsplit('/').next())
                    .unwrap_or_default()
                    .to_string();
                let Some(user) = tenant.users.get(&user_id).cloned() else {
                    return Reply::not_found("user", &user_id);
                };
                let Some(device) = tenant.devices_mut().get_mut(&id) else {
                    return Reply::not_found("managedDevice", &id);
                };
                device.insert("userId".into(), json!(user_id));
                for (from, to) in [
                    ("userPrincipalName", "userPrincipalName"),
                    ("displayName", "userDisplayName"),
                    ("mail", "emailAddress"),
                ] {
                    device.insert(to.into(), user.get(from).cloned().unwrap_or(json!("")));
                }
                tenant.primary_users.insert(id, user_id);
                Reply::empty(204)
            }
            ("DELETE", x) if x == format!("{device_item}/users/$ref") => {
                let Some(device) = tenant.devices_mut().get_mut(&id) else {
                    return Reply::not_found("managedDevice", &id);
                };
                for k in [
                    "userId",
                    "userPrincipalName",
                    "userDisplayName",
                    "emailAddress",
                ] {
                    device.insert(k.into(), json!(""));
                }
                tenant.primary_users.remove(&id);
                Reply::empty(204)
            }
            ("POST", x) if x == format!("{device_item}/syncDevice") => {
                match tenant.devices_mut().get_mut(&id) {
                    Some(d) => {
                        d.insert("lastSyncDateTime".into(), json!(rfc3339(now)));
                        Reply::empty(204)
                    }
                    None => Reply::not_found("managedDevice", &id),
                }
            }
            ("GET", IDENTITIES) => {
                let items = tenant.identities.values().cloned().collect();
                self.list(m, "deviceManagement/importedDeviceIdentities", items)
            }
            ("POST", x) if x == format!("{IDENTITIES}/importDeviceIdentityList") => {
                let overwrite = body
                    .as_ref()
                    .is_some_and(|b| b["overwriteImportedDeviceIdentities"] == json!(true));
                let given = body
                    .as_ref()
                    .and_then(|b| b["importedDeviceIdentities"].as_array().cloned())
                    .unwrap_or_default();
                if given.len() > 5000 {
                    return Reply::error(400, "BadRequest", "at most 5,000 identities per request");
                }
                let mut results = Vec::new();
                for identity in given {
                    let Value::Object(mut map) = identity else {
                        continue;
                    };
                    map.remove("@odata.type");
                    let identifier = map
                        .get("importedDeviceIdentifier")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let existing = tenant
                        .identities
                        .iter()
                        .find(|(_, v)| {
                            v["importedDeviceIdentifier"].as_str() == Some(identifier.as_str())
                        })
                        .map(|(k, _)| k.clone());
                    let status = existing.is_none() || overwrite;
                    if status {
                        let id = existing.unwrap_or_else(|| self.new_id());
                        map.insert("id".into(), json!(id));
                        map.insert("createdDateTime".into(), json!(rfc3339(now)));
                        map.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                        map.entry("enrollmentState")
                            .or_insert(json!("notContacted"));
                        tenant.identities.insert(id, map.clone());
                    }
                    map.insert("status".into(), json!(status));
                    results.push(Value::Object(map));
                }
                Reply::json(200, json!({"value": results}))
            }
            _ => Reply::error(
                501,
                "NotImplemented",
                &format!("the fake Graph does not implement {method} {t} yet"),
            ),
        }
    }

    /// A collection answer, paged by `Faults::page_size` or `$top`, resumed by `$skiptoken`.
    fn list(&self, m: &Matched, context: &str, items: Vec<Map<String, Value>>) -> Reply {
        let skip: usize = m
            .param("$skiptoken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let top: Option<usize> = m.param("$top").and_then(|s| s.parse().ok());
        let page = match (lock(&self.faults).page_size, top) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let total = items.len();
        let end = page.map_or(total, |p| (skip + p).min(total));
        let value: Vec<Value> = items
            .into_iter()
            .skip(skip)
            .take(end.saturating_sub(skip))
            .map(|i| project(&i, m))
            .collect();
        let mut answer =
            json!({"@odata.context": format!("{}/$metadata#{context}", self.base), "value": value});
        if end < total {
            let mut query = String::new();
            for (k, v) in m.query.iter().filter(|(k, _)| k != "$skiptoken") {
                let _ = write!(query, "{}={}&", encode(k), encode(v));
            }
            let _ = write!(query, "$skiptoken={end}");
            answer["@odata.nextLink"] = json!(format!("{}{}?{query}", self.base, m.path));
        }
        Reply::json(200, answer)
    }

    /// An enrollment token: 20 upper-case letters, like Intune's.
    fn token_value(&self) -> String {
        let mut x = self
            .ids
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ 0xD1B5_4A32_D192_ED03;
        (0..20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'A' + (x % 26) as u8)
            })
            .collect()
    }
}

fn default_profile(id: &str, now: OffsetDateTime) -> Map<String, Value> {
    let now = rfc3339(now);
    let Value::Object(map) = json!({
        "id": id, "accountId": "00000000-0000-0000-0000-0000000000aa", "displayName": "Profile",
        "description": null, "enrollmentMode": "corporateOwnedFullyManaged", "enrollmentTokenType": "default",
        "createdDateTime": now, "lastModifiedDateTime": now, "tokenValue": null,
        "tokenCreationDateTime": "0001-01-01T00:00:00Z", "tokenExpirationDateTime": "0001-01-01T00:00:00Z",
        "enrolledDeviceCount": 0, "enrollmentTokenUsageCount": 0, "qrCodeContent": null, "roleScopeTagIds": ["0"],
        "configureWifi": false, "wifiSsid": null, "wifiPassword": null, "wifiSecurityType": "none",
        "wifiHidden": false, "isTeamsDeviceProfile": false
    }) else {
        unreachable!()
    };
    map
}

/// The Android Enterprise `qrCodeContent` (intune-android-adb.md §1.1) carrying `token`.
pub(crate) fn android_enterprise_qr(token: &str) -> String {
    let token = serde_json::to_string(token).unwrap_or_default();
    format!(
        "{{\"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME\":\"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver\",\
\"android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM\":\"{CLOUDDPC_CHECKSUM}\",\
\"android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION\":\"https://play.google.com/managed/downloadManagingApp?identifier=setup\",\
\"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{{\"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN\":{token}}}}}"
    )
}

/// An AOSP-like `qrCodeContent`: opaque JSON the bench must show verbatim (clearly a fake).
fn aosp_qr(token: &str, profile: &str) -> String {
    json!({
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME": "com.microsoft.windowsintune.companyportal/.FakeAospDeviceAdminReceiver",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "ZmFrZS1hb3NwLWNoZWNrc3VtLW5vdC1yZWFsLTAwMDA",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION": "https://example.invalid/stagebench-fake-graph/aosp-agent.apk",
        "android.app.extra.PROVISIONING_SKIP_ENCRYPTION": false,
        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
            "com.microsoft.intune.fake.AOSP_ENROLLMENT_TOKEN": token,
            "com.microsoft.intune.fake.PROFILE_ID": profile
        }
    })
    .to_string()
}

/// `$select` projection.
fn project(item: &Map<String, Value>, m: &Matched) -> Value {
    match m.param("$select") {
        Some(select) => {
            let names: Vec<&str> = select.split(',').map(str::trim).collect();
            Value::Object(
                item.iter()
                    .filter(|(k, _)| names.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
        None => Value::Object(item.clone()),
    }
}

/// Percent-encodes a query component (keeps unreserved characters and `$`).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The part of a managedDevices `$filter` the fake evaluates: `eq` on a few string properties,
/// joined by `and`/`or`. Anything else is ignored (everything matches), as real Graph does with
/// filters it does not support — clients must re-check.
enum DeviceFilter {
    All,
    /// Groups joined by `and`, each a list of (property, value) joined by `or`.
    Clauses(Vec<Vec<(String, String)>>),
}

fn device_filter(filter: &str) -> DeviceFilter {
    const EVALUATED: [&str; 5] = [
        "serialNumber",
        "imei",
        "deviceName",
        "azureADDeviceId",
        "userPrincipalName",
    ];
    let Ok(tokens) = schema::tokenize(filter) else {
        return DeviceFilter::All;
    };
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut i = 0;
    while i + 3 <= tokens.len() {
        let (prop, op, value) = (&tokens[i], &tokens[i + 1], &tokens[i + 2]);
        if !op.eq_ignore_ascii_case("eq") || !EVALUATED.contains(&prop.as_str()) {
            return DeviceFilter::All;
        }
        let Some(value) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) else {
            return DeviceFilter::All;
        };
        groups
            .last_mut()
            .expect("a group")
            .push((prop.clone(), value.replace("''", "'")));
        i += 3;
        match tokens.get(i).map(|t| t.to_lowercase()) {
            None => break,
            Some(c) if c == "or" => {}
            Some(c) if c == "and" => groups.push(Vec::new()),
            Some(_) => return DeviceFilter::All,
        }
        i += 1;
    }
    if groups.iter().any(Vec::is_empty) {
        return DeviceFilter::All;
    }
    DeviceFilter::Clauses(groups)
}

impl DeviceFilter {
    /// The serial when the filter is exactly `serialNumber eq '…'`.
    fn only_serial(&self) -> Option<&str> {
        match self {
            DeviceFilter::Clauses(groups) => match groups.as_slice() {
                [group] => match group.as_slice() {
                    [(prop, value)] if prop == "serialNumber" => Some(value),
                    _ => None,
                },
                _ => None,
            },
            DeviceFilter::All => None,
        }
    }

    fn matches(&self, device: &Map<String, Value>) -> bool {
        match self {
            DeviceFilter::All => true,
            DeviceFilter::Clauses(groups) => groups.iter().all(|group| {
                group.iter().any(|(prop, value)| {
                    device
                        .get(prop)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(value))
                })
            }),
        }
    }
}
