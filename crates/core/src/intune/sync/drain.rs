//! Draining the outbox: due items are claimed, sent [`BATCH`] at a time, and each settled by
//! its outcome (see the module docs).

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{outbox_err, IntuneDirectory, SendOutcome, SyncError, BATCH};
use crate::ids::OutboxId;
use crate::intune::backoff::RetryPolicy;
use crate::intune::SignInError;
use crate::store::Store;

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
        let claimed = store.outbox_claim(&ids, now)?;
        if claimed.is_empty() {
            return Ok(report); // another drain took them
        }
        let outcomes = match directory.send(&claimed).await {
            Ok(outcomes) if outcomes.len() == claimed.len() => outcomes,
            Ok(outcomes) => {
                let why = format!("{} answers for {} requests", outcomes.len(), claimed.len());
                vec![
                    SendOutcome::Retry {
                        error: why,
                        retry_after: None
                    };
                    claimed.len()
                ]
            }
            Err(SyncError::Offline(why)) => vec![SendOutcome::Offline(why); claimed.len()],
            Err(SyncError::Auth(e)) => {
                vec![SendOutcome::Reauthenticate(e.to_string()); claimed.len()]
            }
            Err(e) => vec![
                SendOutcome::Retry {
                    error: e.to_string(),
                    retry_after: None
                };
                claimed.len()
            ],
        };
        let mut reauth: Option<String> = None;
        for (item, outcome) in claimed.iter().zip(outcomes) {
            match outcome {
                SendOutcome::Done => {
                    store.outbox_done(item.id, now).map_err(outbox_err)?;
                    report.sent += 1;
                }
                SendOutcome::Retry { error, retry_after } => {
                    match policy.next_delay(item.attempts, retry_after, rng) {
                        Some(delay) => {
                            store
                                .outbox_retry(item.id, now, delay, &error)
                                .map_err(outbox_err)?;
                            report.retried += 1;
                        }
                        None => {
                            let why = format!("{error} (gave up after {} attempts)", item.attempts);
                            store.outbox_fail(item.id, now, &why).map_err(outbox_err)?;
                            report.failed += 1;
                        }
                    }
                }
                SendOutcome::Offline(error) => {
                    // Offline does not count against the item: wait the longest backoff step.
                    let delay = policy.max_delay.min(Duration::from_secs(60));
                    store
                        .outbox_not_sent(item.id, now, delay, &error)
                        .map_err(outbox_err)?;
                    report.retried += 1;
                    report.offline = true;
                }
                SendOutcome::Reauthenticate(error) => {
                    store
                        .outbox_retry(item.id, now, Duration::ZERO, &error)
                        .map_err(outbox_err)?;
                    report.retried += 1;
                    reauth = Some(error);
                }
                SendOutcome::Fail(error) => {
                    store
                        .outbox_fail(item.id, now, &error)
                        .map_err(outbox_err)?;
                    report.failed += 1;
                }
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
