//! Draining the outbox: due items are claimed, sent [`BATCH`] at a time with their claim
//! renewed while the `$batch` is out, and each settled by its outcome under that claim (see the
//! module docs).

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{outbox_err, IntuneDirectory, SendOutcome, SyncError, BATCH};
use crate::ids::OutboxId;
use crate::intune::backoff::RetryPolicy;
use crate::intune::SignInError;
use crate::store::{OutboxClaim, OutboxError, Store, OUTBOX_LEASE};

/// What an outbox drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxDrainReport {
    /// Items Graph took.
    pub sent: usize,
    /// Items put back to retry later.
    pub retried: usize,
    /// Items refused for good.
    pub failed: usize,
    /// Whether the drain stopped because Graph or the network is unreachable.
    pub offline: bool,
    /// Items whose claim another drain took over while this one was sending (this drain
    /// stalled past the lease); their results were not recorded, the other drain's stand.
    pub lost: usize,
}

/// Sends every due outbox item, [`BATCH`] at a time, until none is due at `now` (see the module
/// docs for how each outcome is settled). Stops early, with everything settled, when offline;
/// returns [`SyncError::Auth`] when a sign-in is needed.
pub async fn drain_outbox(
    store: &mut Store,
    directory: &dyn IntuneDirectory,
    policy: &RetryPolicy,
    rng: &mut (impl Rng + Send),
    now: OffsetDateTime,
) -> Result<OutboxDrainReport, SyncError> {
    let mut report = OutboxDrainReport::default();
    // Each round claims what is due; items retried in a round are due later, so this ends.
    loop {
        let due = store.outbox_due(now, BATCH)?;
        if due.is_empty() {
            return Ok(report);
        }
        let ids: Vec<OutboxId> = due.iter().map(|i| i.id).collect();
        let OutboxClaim { token, items } = store.outbox_claim(&ids)?;
        if items.is_empty() {
            return Ok(report); // another drain took them
        }
        let sending = directory.send(&items);
        let sent = store
            .while_renewing(OUTBOX_LEASE, |s| s.outbox_renew(&token), sending)
            .await;
        let outcomes = match sent {
            Ok(outcomes) if outcomes.len() == items.len() => outcomes,
            Ok(outcomes) => {
                let why = format!("{} answers for {} requests", outcomes.len(), items.len());
                vec![
                    SendOutcome::Retry {
                        error: why,
                        retry_after: None
                    };
                    items.len()
                ]
            }
            Err(SyncError::Offline(why)) => vec![SendOutcome::Offline(why); items.len()],
            Err(SyncError::Auth(e)) => {
                vec![SendOutcome::Reauthenticate(e.to_string()); items.len()]
            }
            Err(e) => vec![
                SendOutcome::Retry {
                    error: e.to_string(),
                    retry_after: None
                };
                items.len()
            ],
        };
        let mut reauth: Option<String> = None;
        for (item, outcome) in items.iter().zip(outcomes) {
            let settled = match outcome {
                SendOutcome::Done => store
                    .outbox_done(item.id, &token, now)
                    .map(|()| report.sent += 1),
                SendOutcome::Retry { error, retry_after } => {
                    match policy.next_delay(item.attempts, retry_after, rng) {
                        Some(delay) => store
                            .outbox_retry(item.id, &token, now, delay, &error)
                            .map(|()| report.retried += 1),
                        None => {
                            let why = format!("{error} (gave up after {} attempts)", item.attempts);
                            store
                                .outbox_fail(item.id, &token, now, &why)
                                .map(|()| report.failed += 1)
                        }
                    }
                }
                SendOutcome::Offline(error) => {
                    // Offline does not count against the item: wait the longest backoff step.
                    let delay = policy.max_delay.min(Duration::from_secs(60));
                    report.offline = true;
                    store
                        .outbox_not_sent(item.id, &token, now, delay, &error)
                        .map(|()| report.retried += 1)
                }
                SendOutcome::Reauthenticate(error) => {
                    reauth = Some(error.clone());
                    store
                        .outbox_retry(item.id, &token, now, Duration::ZERO, &error)
                        .map(|()| report.retried += 1)
                }
                SendOutcome::Fail(error) => store
                    .outbox_fail(item.id, &token, now, &error)
                    .map(|()| report.failed += 1),
            };
            match settled {
                Ok(()) => {}
                Err(error @ OutboxError::ClaimLost { .. }) => {
                    tracing::warn!(%error, "an outbox result was not recorded");
                    report.lost += 1;
                }
                Err(other) => return Err(outbox_err(other)),
            }
        }
        if reauth.is_some() {
            return Err(SyncError::Auth(SignInError::SignInAgain {
                account: "this bench's tenant".into(),
                reason: "Graph refused the access token after a refresh".into(),
            }));
        }
        if report.offline {
            return Ok(report);
        }
    }
}
