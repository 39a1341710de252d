//! Waiting on what can be seen: a test looks (at the page, a file, a store row, a printer's
//! inbox) until the look shows what it waits for, and gives up only after [`PATIENCE`], saying
//! what it waited for and what it saw last.
//!
//! No test sleeps for a guessed delay. [`PATIENCE`] is an upper bound for a loaded machine
//! (other builds on two cores): a healthy run never comes near it, a slow one only waits longer.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

/// The longest any one wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// How often a wait looks again.
pub const POLL: Duration = Duration::from_millis(100);

/// One look: the value waited for, or a description of what was there instead.
pub type Look<T> = Result<T, String>;

/// A wait that ran out of patience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveUp {
    /// What the wait was for.
    pub what: String,
    /// What the last look saw.
    pub seen: String,
    /// How long it waited.
    pub waited: Duration,
    /// How many looks it took.
    pub looks: u32,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gave up waiting for {} after {:.1} s ({} looks); the last look saw: {}",
            self.what,
            self.waited.as_secs_f64(),
            self.looks,
            self.seen
        )
    }
}

/// Looks until `look` gives `Ok`, or gives up after [`PATIENCE`] with the last thing it saw.
pub async fn poll<T, F, Fut>(what: &str, mut look: F) -> Result<T, GaveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Look<T>>,
{
    let started = Instant::now();
    let mut looks = 0;
    loop {
        looks += 1;
        match look().await {
            Ok(value) => return Ok(value),
            Err(seen) if started.elapsed() >= PATIENCE => {
                return Err(GaveUp {
                    what: what.to_owned(),
                    seen,
                    waited: started.elapsed(),
                    looks,
                })
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Looks until `look` gives `Ok`; panics after [`PATIENCE`] naming `what` and the last sight.
pub async fn until<T, F, Fut>(what: &str, look: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Look<T>>,
{
    poll(what, look)
        .await
        .unwrap_or_else(|gave_up| panic!("{gave_up}"))
}

/// [`until`] for tests without a runtime: looks from this thread.
pub fn until_blocking<T>(what: &str, mut look: impl FnMut() -> Look<T>) -> T {
    let started = Instant::now();
    let mut looks = 0;
    loop {
        looks += 1;
        match look() {
            Ok(value) => return value,
            Err(seen) if started.elapsed() >= PATIENCE => panic!(
                "{}",
                GaveUp {
                    what: what.to_owned(),
                    seen,
                    waited: started.elapsed(),
                    looks,
                }
            ),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_returns_what_it_waited_for_as_soon_as_it_shows() {
        let mut n = 0;
        let started = Instant::now();
        let got = until("the third look", || {
            n += 1;
            let now = n;
            async move {
                if now == 3 {
                    Ok(now)
                } else {
                    Err(format!("look {now}"))
                }
            }
        })
        .await;
        assert_eq!(got, 3);
        assert!(started.elapsed() < PATIENCE);
        assert_eq!(until_blocking("at once", || Ok::<_, String>("x")), "x");
    }

    #[test]
    fn giving_up_names_the_wait_and_the_last_sight() {
        let gave_up = GaveUp {
            what: "the printer's status".into(),
            seen: "the zebra row says \"Asking zebra…\"".into(),
            waited: Duration::from_millis(120_400),
            looks: 1100,
        };
        assert_eq!(
            gave_up.to_string(),
            "gave up waiting for the printer's status after 120.4 s (1100 looks); the last look saw: the zebra row says \"Asking zebra…\""
        );
    }
}
