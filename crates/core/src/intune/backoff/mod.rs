//! Retries and request budgets for Graph: a pure policy, with time and randomness passed in so
//! tests run without sleeping (STYLE rule 13).
//!
//! Facts (reference §3.6): Graph answers throttling with 429, with or without `Retry-After`
//! (Intune endpoints have been seen without it); 503 is treated the same. Limits per app per
//! tenant: managed devices 2,000 requests / 200 writes per 20 s, Android Enterprise enrollment
//! profiles 1,000 / 100 per 20 s. Each inner request of a `$batch` counts on its own.
//!
//! Layout: this file holds the retry policy (which answers are retried, `Retry-After`, the
//! jittered exponential backoff); `budget` the per-app request budgets that keep the client
//! under Graph's throttling limits ([`Budget`]).

use std::time::Duration;

use rand::Rng;
use time::OffsetDateTime;

mod budget;

pub use budget::{Budget, GraphService, RequestKind, HORIZON, WINDOW};

/// What to do with an answer, by HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: done.
    Success,
    /// 429, 502, 503, 504: throttled or a passing fault; try again later.
    Retry,
    /// 401: the access token is expired or revoked; refresh it (or sign in again) and resend.
    Reauthenticate,
    /// Anything else: resending the same request would fail the same way.
    Fail,
}

/// Sorts an HTTP status into an [`Outcome`].
pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Success,
        429 | 502 | 503 | 504 => Outcome::Retry,
        401 => Outcome::Reauthenticate,
        _ => Outcome::Fail,
    }
}

/// A `Retry-After` header, as the wait it asks for from the moment the answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Parses the header's value: delta-seconds (`120`) or an HTTP-date
    /// (`Wed, 21 Oct 2015 07:28:00 GMT`), the latter relative to `now`; a date in the past means
    /// no wait. `None` when the value is neither (the header is then ignored, as if absent).
    pub fn parse(value: &str, now: OffsetDateTime) -> Option<RetryAfter> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // A huge number is still a (very long) wait, not an error.
            let secs = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(RetryAfter(Duration::from_secs(secs)));
        }
        let at = http_date(value)?;
        let wait = (at - now).max(time::Duration::ZERO);
        Some(RetryAfter(wait.try_into().unwrap_or(Duration::ZERO)))
    }
}

/// An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete RFC 850 and asctime forms that
/// recipients must still accept.
fn http_date(value: &str) -> Option<OffsetDateTime> {
    use time::format_description::{self, well_known::Rfc2822};
    use time::PrimitiveDateTime;
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc2822) {
        return Some(at);
    }
    let imf = format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .ok()?;
    if let Ok(at) = PrimitiveDateTime::parse(value, &imf) {
        return Some(at.assume_utc());
    }
    // RFC 850, `Wednesday, 21-Oct-15 07:28:00 GMT`: rewritten as IMF-fixdate, the two-digit
    // year read as the nearest past or near future (RFC 9110: never more than 50 years ahead).
    if let Some((weekday, rest)) = value.split_once(", ") {
        let mut parts = rest.split(' ');
        let (date, clock, zone) = (parts.next()?, parts.next()?, parts.next()?);
        let mut date = date.split('-');
        let (day, month, year) = (date.next()?, date.next()?, date.next()?);
        if zone == "GMT" && year.len() == 2 && weekday.len() > 3 && weekday.is_char_boundary(3) {
            let yy: i32 = year.parse().ok()?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            let fixed = format!("{}, {day} {month} {year} {clock} GMT", &weekday[..3]);
            return PrimitiveDateTime::parse(&fixed, &imf)
                .ok()
                .map(|at| at.assume_utc());
        }
    }
    // asctime, `Wed Oct 21 07:28:00 2015` (the day padded with a space).
    let asctime = format_description::parse_borrowed::<2>(
        "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]",
    )
    .ok()?;
    PrimitiveDateTime::parse(value, &asctime)
        .ok()
        .map(|at| at.assume_utc())
}

/// When to try again: exponential backoff with full jitter, capped, after at most
/// `max_attempts` attempts, and never earlier than the server's `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; after this many, give up.
    pub max_attempts: u32,
    /// The wait ceiling after the first failed attempt; it doubles with every further one.
    pub base: Duration,
    /// The largest wait backoff picks by itself (a server's `Retry-After` may ask for more).
    pub max_delay: Duration,
    /// Full jitter: wait a uniformly random time up to the ceiling instead of the ceiling
    /// itself, so benches throttled at the same moment do not come back at the same moment.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// 8 attempts, 1 s base, 2 min cap, jitter on: about 4 minutes of trying (reads and writes
    /// both stay queued in the outbox afterwards, so giving up here loses nothing).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// For a call someone is waiting on (a command, a screen): four attempts within about ten
    /// seconds instead of the default's four minutes. An unreachable tenant then answers in
    /// seconds; nothing is lost, because the outbox keeps what was not sent and the next sync
    /// tries again. A server's `Retry-After` is still honoured in full.
    pub const INTERACTIVE: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base: Duration::from_secs(1),
        max_delay: Duration::from_secs(5),
        jitter: true,
    };

    /// The wait before the next attempt, after `attempt` attempts (1 after the first) failed
    /// with a retryable status; `None` when all `max_attempts` are used up.
    ///
    /// With `retry_after` the wait is the server's, plus up to `base` of jitter when jitter is
    /// on (never less, and not capped: going earlier only earns another 429). Without it the
    /// ceiling is `base × 2^(attempt−1)`, capped at `max_delay`, and the wait is the ceiling or,
    /// with jitter, uniform in `[0, ceiling]`.
    pub fn next_delay(
        &self,
        attempt: u32,
        retry_after: Option<RetryAfter>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(RetryAfter(wait)) = retry_after {
            let extra = if self.jitter {
                jittered(self.base, rng)
            } else {
                Duration::ZERO
            };
            return Some(wait.saturating_add(extra));
        }
        let doublings = attempt.saturating_sub(1).min(63);
        let ceiling = self
            .base
            .checked_mul(1u32.checked_shl(doublings.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX)
            .min(self.max_delay);
        Some(if self.jitter {
            jittered(ceiling, rng)
        } else {
            ceiling
        })
    }
}

/// Uniform in `[0, ceiling]`, to the millisecond.
fn jittered(ceiling: Duration, rng: &mut impl Rng) -> Duration {
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.gen_range(0..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(4)
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_445_412_400).unwrap() // 2015-10-21T07:26:40Z
    }

    #[test]
    fn statuses_are_classified() {
        for s in [200, 201, 204] {
            assert_eq!(classify(s), Outcome::Success, "{s}");
        }
        for s in [429, 502, 503, 504] {
            assert_eq!(classify(s), Outcome::Retry, "{s}");
        }
        assert_eq!(classify(401), Outcome::Reauthenticate);
        for s in [400, 403, 404, 409, 500, 301] {
            assert_eq!(classify(s), Outcome::Fail, "{s}");
        }
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        assert_eq!(RetryAfter::parse("120", now()), Some(RetryAfter(S(120))));
        assert_eq!(RetryAfter::parse(" 0 ", now()), Some(RetryAfter(S(0))));
        // 80 s after `now`, in all three HTTP-date forms.
        for date in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            assert_eq!(
                RetryAfter::parse(date, now()),
                Some(RetryAfter(S(80))),
                "{date}"
            );
        }
        // In the past: no wait.
        assert_eq!(
            RetryAfter::parse("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(RetryAfter(S(0)))
        );
        for junk in ["", "-5", "1.5", "soon", "Wed, 21 Oct 2015"] {
            assert_eq!(RetryAfter::parse(junk, now()), None, "{junk:?}");
        }
    }

    #[test]
    fn retry_after_is_never_undercut() {
        let policy = RetryPolicy::default();
        let mut rng = rng();
        for attempt in 1..policy.max_attempts {
            let wait = policy
                .next_delay(attempt, Some(RetryAfter(S(30))), &mut rng)
                .unwrap();
            assert!(wait >= S(30) && wait <= S(30) + policy.base, "{wait:?}");
        }
        // Longer than the cap: still honoured.
        let wait = policy
            .next_delay(1, Some(RetryAfter(S(600))), &mut rng)
            .unwrap();
        assert!(wait >= S(600));
        let exact = RetryPolicy {
            jitter: false,
            ..policy
        };
        assert_eq!(
            exact.next_delay(2, Some(RetryAfter(S(7))), &mut rng),
            Some(S(7))
        );
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 40,
            base: Duration::from_millis(500),
            max_delay: S(60),
            jitter: false,
        };
        let mut rng = rng();
        let waits: Vec<Duration> = (1..=9)
            .map(|a| policy.next_delay(a, None, &mut rng).unwrap())
            .collect();
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(
            ms,
            [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]
        );
        // No overflow far out.
        assert_eq!(policy.next_delay(39, None, &mut rng), Some(S(60)));
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_varies() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: S(1),
            max_delay: S(20),
            jitter: true,
        };
        let mut rng = rng();
        for attempt in 1..10u32 {
            let ceiling = (S(1) * 2u32.pow(attempt - 1)).min(S(20));
            let waits: Vec<Duration> = (0..200)
                .map(|_| policy.next_delay(attempt, None, &mut rng).unwrap())
                .collect();
            assert!(waits.iter().all(|w| *w <= ceiling), "attempt {attempt}");
            let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
            assert!(
                distinct.len() > 50,
                "attempt {attempt}: jitter spreads the waits"
            );
            let mean = waits.iter().sum::<Duration>() / 200;
            assert!(
                mean > ceiling / 4 && mean < ceiling * 3 / 4,
                "attempt {attempt}: {mean:?}"
            );
        }
        // The same seed, the same waits.
        let (mut one, mut two) = (self::rng(), self::rng());
        let a: Vec<_> = (1..5)
            .map(|n| policy.next_delay(n, None, &mut one).unwrap())
            .collect();
        let b: Vec<_> = (1..5)
            .map(|n| policy.next_delay(n, None, &mut two).unwrap())
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn attempts_run_out() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let mut rng = rng();
        assert!(policy.next_delay(2, None, &mut rng).is_some());
        assert_eq!(policy.next_delay(3, None, &mut rng), None);
        assert_eq!(policy.next_delay(3, Some(RetryAfter(S(1))), &mut rng), None);
    }
}
