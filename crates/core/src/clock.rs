//! The ground floor's time: where "now" comes from ([`Clock`]: the [`SystemClock`], or a
//! [`ManualClock`] that tests move by hand), and how the store and the domain write a time as
//! text ([`timestamp`]). Nothing here imports anything else from the crate.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

/// Where "now" comes from; tests pass a [`ManualClock`].
pub trait Clock: Send {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    /// A clock at 2025-01-01T00:00:00Z, the fixed start the store's tests share.
    pub fn at_test_epoch() -> Self {
        Self::new(
            OffsetDateTime::from_unix_timestamp(1_735_689_600)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Formats `t` as RFC 3339 in UTC with milliseconds (`2025-01-31T08:15:00.250Z`): fixed width,
/// so text order is time order.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.000Z");
        let shifted = t.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap())
            + time::Duration::milliseconds(5);
        assert_eq!(timestamp(shifted), "2023-11-14T22:13:20.005Z");
        assert!(OffsetDateTime::parse(
            &timestamp(t),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok());
    }
}
