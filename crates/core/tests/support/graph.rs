//! The fake tenant and a Graph client on virtual time, shared by the Graph tests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::graph::{GraphClient, Timer};
use stagebench_core::intune::{BoxFuture, Endpoints, StaticToken, TokenSource};
use stagebench_core::secret::SecretText;
use stagebench_core::testing::graph::{FakeGraph, GraphClock};
use time::OffsetDateTime;

pub fn start() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap() // 2027-01-15
}

/// Sleeps return at once; the time they asked for moves this clock and the tenant's.
pub struct VirtualTimer {
    pub origin: Instant,
    pub sleeps: Mutex<Vec<Duration>>,
    pub tenant: GraphClock,
}

impl VirtualTimer {
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
    pub fn total(&self) -> Duration {
        self.sleeps().iter().sum()
    }
}

impl Timer for VirtualTimer {
    fn now(&self) -> Instant {
        self.origin + self.total()
    }
    fn utc(&self) -> OffsetDateTime {
        self.tenant.now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.sleeps.lock().unwrap().push(duration);
        self.tenant.advance(duration);
        Box::pin(tokio::task::yield_now())
    }
}

/// Millisecond backoff, 10 attempts.
pub fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 10,
        base: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        jitter: true,
    }
}

pub fn static_token() -> Arc<dyn TokenSource> {
    Arc::new(StaticToken(SecretText::new("test-token")))
}

/// A tenant on a manual clock and a client on virtual time.
pub async fn tenant() -> (FakeGraph, Arc<VirtualTimer>) {
    let graph = FakeGraph::start_with_clock(GraphClock::manual(start()))
        .await
        .unwrap();
    let timer = Arc::new(VirtualTimer {
        origin: Instant::now(),
        sleeps: Mutex::new(Vec::new()),
        tenant: graph.clock(),
    });
    (graph, timer)
}

pub fn client_with(
    graph: &FakeGraph,
    timer: Arc<dyn Timer>,
    tokens: Arc<dyn TokenSource>,
) -> GraphClient {
    let endpoints = Endpoints {
        authority: "http://127.0.0.1:9".into(),
        graph: graph.base_url(),
    };
    GraphClient::new(&endpoints, tokens)
        .unwrap()
        .with_retry_policy(fast())
        .with_timer(timer)
        .with_seed(7)
}

pub async fn setup() -> (FakeGraph, Arc<VirtualTimer>, GraphClient) {
    let (graph, timer) = tenant().await;
    let client = client_with(&graph, timer.clone(), static_token());
    (graph, timer, client)
}
