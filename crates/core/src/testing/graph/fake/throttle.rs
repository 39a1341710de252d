//! Graph's per-app budgets, as the fake enforces them when asked (`Faults::budgets`): requests
//! and writes per service over a 20-second window.

use std::time::Duration;

use super::{lock, Inner, DEVICES, PROFILES};

/// The throttling window (Intune services count per 20 s).
const WINDOW: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Service {
    Devices,
    AndroidForWork,
}

impl Service {
    pub(super) fn of(template: &str) -> Option<Service> {
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

impl Inner {
    /// Spends one request from the service's budget; `Some(seconds)` to wait when it is spent.
    pub(super) fn spend(&self, service: Service, write: bool) -> Option<u64> {
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
}
