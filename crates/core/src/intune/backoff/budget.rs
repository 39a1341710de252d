//! Request budgets per Graph service: token buckets of all requests and of writes over
//! Graph's 20-second window, so the client waits instead of sending into a 429.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A Graph service with its own throttling limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphService {
    /// `deviceManagement/managedDevices` (Intune devices service).
    ManagedDevices,
    /// `deviceManagement/androidDeviceOwnerEnrollmentProfiles` (android-for-work service).
    EnrollmentProfiles,
}

impl GraphService {
    /// Requests of any kind and writes (POST, PUT, PATCH, DELETE) allowed per app per tenant in
    /// each [`WINDOW`].
    pub fn limits(self) -> (u32, u32) {
        match self {
            GraphService::ManagedDevices => (2000, 200),
            GraphService::EnrollmentProfiles => (1000, 100),
        }
    }
}

/// The window Graph counts requests in.
pub const WINDOW: Duration = Duration::from_secs(20);

/// How long the client counts a request against the budget: Graph's window plus a margin, so
/// that a request which spent longer on the wire than a later one still falls outside the
/// window Graph counts when the later one arrives (without it, the fake tenant with 100 ms
/// latency answered about 1 in 250 look-ups 429 at each window edge).
pub const HORIZON: Duration = Duration::from_secs(21);

/// Whether a request reads or writes; writes count against both limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// GET.
    Read,
    /// POST, PUT, PATCH, DELETE.
    Write,
}

/// A sliding window: at most `capacity` requests in any [`HORIZON`] (Graph's [`WINDOW`] and a
/// margin). A token bucket refilled evenly would allow up to twice the limit in some window,
/// and Graph counts per window.
#[derive(Debug, Clone)]
struct Bucket {
    capacity: u32,
    /// What was taken and when, oldest first (times never go backwards).
    taken: VecDeque<(Instant, u32)>,
    used: u32,
}

impl Bucket {
    fn new(capacity: u32) -> Self {
        Bucket {
            capacity,
            taken: VecDeque::new(),
            used: 0,
        }
    }

    /// Forgets what left the window by `now`.
    fn refill(&mut self, now: Instant) {
        while let Some(&(at, n)) = self.taken.front() {
            if now.saturating_duration_since(at) < HORIZON {
                break;
            }
            self.taken.pop_front();
            self.used -= n;
        }
    }

    /// How long after `now` until `n` more fit (zero when they do).
    fn wait_for(&self, n: u32, now: Instant) -> Duration {
        if n == 0 || self.used + n <= self.capacity {
            return Duration::ZERO;
        }
        let mut free = self.capacity.saturating_sub(self.used);
        for &(at, k) in &self.taken {
            free += k;
            if free >= n {
                return (at + HORIZON).saturating_duration_since(now);
            }
        }
        Duration::MAX
    }

    fn take(&mut self, n: u32, now: Instant) {
        if n == 0 {
            return;
        }
        let at = self.taken.back().map_or(now, |&(last, _)| last.max(now));
        self.taken.push_back((at, n));
        self.used += n;
    }
}

/// The request budget of one [`GraphService`] for this app in this tenant: the client takes from it
/// before each request and, when it is spent, waits the time it names instead of sending into a
/// storm of 429s.
#[derive(Debug, Clone)]
pub struct Budget {
    any: Bucket,
    writes: Bucket,
}

impl Budget {
    /// The documented limits of `service`.
    pub fn new(service: GraphService) -> Self {
        let (any, writes) = service.limits();
        Budget::with_limits(any, writes)
    }

    /// Other limits per [`WINDOW`] (a share of the tenant's budget, tests).
    pub fn with_limits(any: u32, writes: u32) -> Self {
        Budget {
            any: Bucket::new(any),
            writes: Bucket::new(writes),
        }
    }

    /// Takes one request of `kind` at `now`, or says how long to wait before it would fit.
    pub fn try_take(&mut self, kind: RequestKind, now: Instant) -> Result<(), Duration> {
        self.try_take_n(kind, 1, now)
    }

    /// Takes `n` requests of `kind` at once (the inner requests of a `$batch`), or none and says
    /// how long to wait for all of them. More than the limit never fits: the wait is then
    /// [`Duration::MAX`]; split the batch.
    pub fn try_take_n(&mut self, kind: RequestKind, n: u32, now: Instant) -> Result<(), Duration> {
        self.any.refill(now);
        self.writes.refill(now);
        let writes = if kind == RequestKind::Write { n } else { 0 };
        if n > self.any.capacity || writes > self.writes.capacity {
            return Err(Duration::MAX);
        }
        let wait = self
            .any
            .wait_for(n, now)
            .max(self.writes.wait_for(writes, now));
        if !wait.is_zero() {
            return Err(wait);
        }
        self.any.take(n, now);
        self.writes.take(writes, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_never_allows_more_than_the_limit_in_any_window() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut budget = Budget::new(GraphService::ManagedDevices);
        for i in 0..200 {
            assert_eq!(
                budget.try_take(RequestKind::Write, t0 + ms(i)),
                Ok(()),
                "write {i}"
            );
        }
        // The 201st write waits until the first one leaves the window.
        assert_eq!(
            budget.try_take(RequestKind::Write, t0 + ms(200)),
            Err(HORIZON - ms(200))
        );
        // Reads still fit (1,800 of the 2,000 left): writes count against both limits.
        for _ in 0..1800 {
            assert_eq!(budget.try_take(RequestKind::Read, t0 + ms(300)), Ok(()));
        }
        assert_eq!(
            budget.try_take(RequestKind::Read, t0 + ms(300)),
            Err(HORIZON - ms(300))
        );
        // As the first writes leave the window, one write fits per write that left.
        assert_eq!(budget.try_take(RequestKind::Write, t0 + HORIZON), Ok(()));
        assert_eq!(
            budget.try_take(RequestKind::Write, t0 + HORIZON),
            Err(ms(1))
        );
        // A whole window after the reads everything is back.
        let later = t0 + ms(300) + HORIZON;
        assert_eq!(budget.try_take_n(RequestKind::Read, 1800, later), Ok(()));
        // Count in a sliding 20-s window: never more than 2,000.
        let mut budget = Budget::new(GraphService::ManagedDevices);
        let mut sent: Vec<Instant> = Vec::new();
        let mut now = t0;
        while sent.len() < 5000 {
            match budget.try_take_n(RequestKind::Read, 20, now) {
                Ok(()) => sent.extend(std::iter::repeat_n(now, 20)),
                Err(wait) => now += wait,
            }
        }
        for (i, &at) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().take_while(|&&t| t < at + WINDOW).count();
            assert!(
                in_window <= 2000,
                "{in_window} requests in the window from {:?}",
                at - t0
            );
        }
        assert_eq!(now - t0, HORIZON * 2, "and no slower than the limit allows");
    }

    #[test]
    fn a_batch_is_taken_whole_or_not_at_all() {
        let t0 = Instant::now();
        let mut budget = Budget::new(GraphService::EnrollmentProfiles);
        for _ in 0..50 {
            assert_eq!(budget.try_take_n(RequestKind::Read, 20, t0), Ok(()));
        }
        // 1,000 taken at t0; 20 more fit once those leave the window.
        assert_eq!(budget.try_take_n(RequestKind::Read, 20, t0), Err(HORIZON));
        assert_eq!(
            budget.try_take_n(
                RequestKind::Read,
                20,
                t0 + HORIZON - Duration::from_millis(1)
            ),
            Err(Duration::from_millis(1))
        );
        assert_eq!(
            budget.try_take_n(RequestKind::Read, 20, t0 + HORIZON),
            Ok(())
        );
        assert_eq!(
            budget.try_take_n(RequestKind::Write, 101, t0 + HORIZON * 3),
            Err(Duration::MAX)
        );
        // A clock read out of order (an earlier `now`) frees nothing.
        assert_eq!(
            budget.try_take_n(RequestKind::Read, 1000, t0 + HORIZON * 3),
            Ok(())
        );
        assert_eq!(budget.try_take(RequestKind::Read, t0), Err(HORIZON * 4));
    }
}
