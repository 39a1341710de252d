//! Claims on the two queues that send to the outside world (print jobs and the Intune outbox):
//! one owner per claim, and a lease that runs out only when its owner stops.
//!
//! A claim is taken at the store clock's time (not the time a drain pass started) and gets a
//! fresh random [`ClaimToken`]; the row keeps the token (`claim_owner`) and when the claim runs
//! out (`lease_until`). Only the holder of the token may report the send's result: a report
//! with another token changes nothing and is refused (`ClaimLost`), so a process whose claim
//! was taken over can never overwrite the new owner's work. A sender renews its lease while the
//! send runs ([`Store::while_renewing`]), so another process's stale-claim recovery, which takes
//! only claims whose lease has run out, never takes a job that is still being sent.
//!
//! Recovery keeps the last owner's token: a late result from that owner still counts as long as
//! no one has claimed the row since (a label that did print is not printed again).

use std::future::Future;
use std::time::Duration;

use rusqlite::{params, Connection};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::clock::timestamp;

/// Schema version 12: owners and leases of print job and outbox claims. Rows claimed before it
/// keep the lease they had (their claim time plus the lease then in force).
pub(super) const SCHEMA: &str = "
ALTER TABLE print_jobs ADD COLUMN claim_owner TEXT;
ALTER TABLE print_jobs ADD COLUMN lease_until TEXT;
UPDATE print_jobs SET lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', claimed_at, '+120 seconds')
 WHERE state = 'sending';
ALTER TABLE outbox ADD COLUMN claim_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
UPDATE outbox SET lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', claimed_at, '+300 seconds')
 WHERE state = 'in-flight';
";

/// How often a sender looks at the store's clock to see whether its lease needs renewing (a
/// look is a clock read; the store is written once a third of the lease has passed).
pub const RENEW_CHECK: Duration = Duration::from_millis(250);

/// Who holds a claim: random, made anew at each claim, and needed to report its result.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// A fresh token: 128 random bits, in hex.
    pub(super) fn new() -> ClaimToken {
        ClaimToken(format!("{:032x}", rand::random::<u128>()))
    }

    /// The token as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClaimToken({}…)", &self.0[..8.min(self.0.len())])
    }
}

/// Pushes the lease of the rows of `table` in the sending `state` that `token` holds out to
/// `until`; whether it holds any.
pub(super) fn renew(
    conn: &Connection,
    table: &str,
    state: &str,
    token: &ClaimToken,
    until: &str,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(&format!(
        "UPDATE {table} SET lease_until = ?3 WHERE claim_owner = ?1 AND state = ?2"
    ))?
    .execute(params![token.as_str(), state, until])
    .map(|changed| changed > 0)
}

/// Whether `token` holds the last claim on row `id` of `table`.
pub(super) fn is_owner(
    conn: &Connection,
    table: &str,
    id: i64,
    token: &ClaimToken,
) -> rusqlite::Result<bool> {
    let owner: Option<String> = conn
        .prepare_cached(&format!("SELECT claim_owner FROM {table} WHERE id = ?1"))?
        .query_row([id], |row| row.get(0))?;
    Ok(owner.as_deref() == Some(token.as_str()))
}

/// `now` plus `lease`, as stored in `lease_until`.
pub(super) fn lease_until(now: OffsetDateTime, lease: Duration) -> String {
    let until = time::Duration::try_from(lease)
        .ok()
        .and_then(|lease| now.checked_add(lease))
        .unwrap_or(now);
    timestamp(until)
}

impl Store {
    /// Runs `work` (a send) while keeping its claim: every [`RENEW_CHECK`] the store clock is
    /// read, and once a third of `lease` has passed since the claim or the last renewal,
    /// `renew` pushes the lease out again. A renewal that finds the claim gone (another process
    /// took it over after this one stalled) is logged and renewing stops; the send's result is
    /// then refused when reported. A store error is logged and tried again at the next look.
    pub async fn while_renewing<F: Future>(
        &mut self,
        lease: Duration,
        mut renew: impl FnMut(&mut Store) -> Result<bool, StoreError>,
        work: F,
    ) -> F::Output {
        let every = time::Duration::try_from(lease / 3).unwrap_or(time::Duration::MAX);
        let mut renewed_at = self.clock_now();
        let mut looks = tokio::time::interval(RENEW_CHECK);
        looks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut held = true;
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = looks.tick(), if held => {
                    let now = self.clock_now();
                    if now - renewed_at < every {
                        continue;
                    }
                    match renew(self) {
                        Ok(true) => renewed_at = now,
                        Ok(false) => {
                            tracing::warn!("a claim was taken over by another process mid-send");
                            held = false;
                        }
                        Err(error) => tracing::warn!(%error, "renewing a claim failed; trying again"),
                    }
                }
            }
        }
    }
}
