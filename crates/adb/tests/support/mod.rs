//! Waiting on what can be seen, for this crate's tests: a test looks (at a fake device, the
//! scripted bus, a channel) until the look shows what it waits for, and gives up only after
//! [`PATIENCE`], saying what it waited for and what it saw last.
//!
//! No test here sleeps for a guessed delay or checks a latency with the clock: [`PATIENCE`] is
//! an upper bound for a loaded two-core machine that a healthy run never comes near, and speed
//! targets are measured by `stagebench benchmark …`.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// The longest any one wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(5);

/// Looks until `look` gives `Ok`; panics after [`PATIENCE`] naming `what` and the last sight.
pub async fn until<T>(what: &str, mut look: impl FnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match look() {
            Ok(value) => return value,
            Err(seen) if started.elapsed() >= PATIENCE => {
                panic!("gave up waiting for {what} after {PATIENCE:?}; the last look saw: {seen}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Awaits `future`; panics after [`PATIENCE`] naming `what`.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("gave up waiting for {what} after {PATIENCE:?}"))
}
