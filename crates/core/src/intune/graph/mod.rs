//! The Microsoft Graph (beta) client for Intune: enrollment profiles and their tokens, managed
//! devices by serial or id, device notes, corporate identifiers and the Windows primary user.
//!
//! Layout: [`request`] is one call as data ([`GraphRequest`], also what an outbox drain sends);
//! `send` is the one executor every call goes through, and `batch` sends `$batch`es on it;
//! [`error`] is [`GraphError`]; [`profiles`] and [`export`] are enrollment profiles, tokens and the
//! Zero-touch/KME exports; [`device`] is the typed [`ManagedDevice`]; [`devices`] looks devices
//! up and writes their notes; [`identities`] imports corporate identifiers; [`primary_user`]
//! plans and sets a Windows device's primary user; [`directory`] is the client as the sync's
//! [`IntuneDirectory`](crate::intune::sync::IntuneDirectory).
//!
//! Facts come from `shared/reference/intune-android-adb.md` §3 (endpoints, `$select`, filters,
//! batching, throttling), `shared/graph/` (the schema the fake tenant checks every request
//! against) and `shared/reference/seed-requirements.md` (rules cited where they apply).
//!
//! How a request is sent (`send`): the per-service [`Budget`] is taken first (waiting instead of
//! sending into a 429), then the bearer token from the [`TokenSource`] and a fresh
//! `client-request-id` (or the caller's, for outbox items) go on it. 429/502/503/504, timeouts
//! and broken connections are retried after `Retry-After` or full-jitter backoff
//! ([`RetryPolicy`]); a 401 makes the token source forget the token and is retried once with a
//! fresh one, then surfaces as [`GraphError::Auth`]. A `$batch` retries only its inner requests
//! that failed for a passing reason, after the longest inner `Retry-After`.
//!
//! Time and randomness are injected ([`Timer`], [`GraphClient::with_seed`]) so tests never
//! sleep for real and backoff is reproducible (STYLE 13).

mod batch;
pub mod device;
pub mod devices;
pub mod directory;
pub mod error;
pub mod export;
pub mod identities;
pub mod primary_user;
pub mod profiles;
pub mod request;
mod send;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;
use time::OffsetDateTime;

use super::backoff::{Budget, GraphService, RetryPolicy};
use super::{http_client, BoxFuture, Endpoints, TokenSource};

pub use batch::BATCH_MAX;
pub use device::{
    ComplianceState, DeviceEnrollmentType, LoggedOnUser, ManagedDevice, ManagementAgent,
    ManagementState,
};
pub use devices::{notes_request, SerialLookup};
pub use error::GraphError;
pub use export::{kme_custom_json, zero_touch_dpc_extras, ExportError, TokenExport};
pub use identities::{
    CorporateIdentifier, IdentifierType, IdentityImport, IdentityPlatform, ImportOutcome,
};
pub use primary_user::{plan_primary_user, primary_user_request, DirectoryUser, PrimaryUserPlan};
pub use profiles::{check_token_validity, EnrollmentProfile, ProfileWifi, TokenState};
pub use request::{GraphRequest, GraphResponse, HttpMethod};

/// Where the client reads the time and how it waits: the real clock and tokio's sleep in the
/// app, a virtual clock in tests.
pub trait Timer: Send + Sync {
    /// Monotonic now, for the request budgets.
    fn now(&self) -> Instant;
    /// Wall-clock now, for `Retry-After` dates.
    fn utc(&self) -> OffsetDateTime;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

/// The real clock and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A Graph `DateTimeOffset` (RFC 3339, any number of fraction digits); `None` for unreadable
/// text and for `0001-01-01T00:00:00Z`, Graph's "not set".
pub(crate) fn graph_time(text: &str) -> Option<OffsetDateTime> {
    let at =
        OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    (at.year() > 1).then_some(at)
}

/// Graph sends `""` as often as `null` for "none" (no user, no description).
pub(crate) fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

/// Budgets and holds per service, shared by every request of one client.
#[derive(Debug, Default)]
struct Pacing {
    budgets: HashMap<GraphService, Budget>,
    /// No request to the service before this (set by a 429 for the whole service).
    holds: HashMap<GraphService, Instant>,
}

/// The Graph client. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct GraphClient {
    http: reqwest::Client,
    /// Graph beta base without a trailing slash.
    base: String,
    tokens: Arc<dyn TokenSource>,
    policy: RetryPolicy,
    pacing: Mutex<Pacing>,
    timer: Arc<dyn Timer>,
    rng: Mutex<StdRng>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl GraphClient {
    /// A client for `endpoints.graph` with bearer tokens from `tokens`, the default
    /// [`RetryPolicy`], Graph's documented budgets ([`Budget::new`]) and the real clock.
    pub fn new(
        endpoints: &Endpoints,
        tokens: Arc<dyn TokenSource>,
    ) -> Result<GraphClient, GraphError> {
        endpoints.check_graph().map_err(|e| GraphError::Invalid {
            what: "connecting to Graph".into(),
            reason: e.to_string(),
        })?;
        let http = http_client().map_err(|e| GraphError::Invalid {
            what: "the HTTP client for Graph".into(),
            reason: format!(
                "could not be built ({e}); reinstall StageBench or report it with a support bundle"
            ),
        })?;
        Ok(GraphClient {
            http,
            base: endpoints.graph.trim_end_matches('/').to_owned(),
            tokens,
            policy: RetryPolicy::default(),
            pacing: Mutex::new(Pacing::default()),
            timer: Arc::new(TokioTimer),
            rng: Mutex::new(StdRng::from_entropy()),
        })
    }

    /// Another retry policy (tests use millisecond delays).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Another budget for `service` (a share of the tenant's limits when several benches or
    /// tools use the same app registration).
    pub fn with_budget(self, service: GraphService, budget: Budget) -> Self {
        lock(&self.pacing).budgets.insert(service, budget);
        self
    }

    /// Another clock and sleep.
    pub fn with_timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = timer;
        self
    }

    /// Reproducible backoff jitter and request ids.
    pub fn with_seed(self, seed: u64) -> Self {
        *lock(&self.rng) = StdRng::seed_from_u64(seed);
        self
    }

    /// The Graph base URL this client calls (no trailing slash).
    pub fn base(&self) -> &str {
        &self.base
    }
}
