//! An outbox item's life: queued (a later change with the same dedupe key supersedes an unsent
//! one), due (items whose lease ran out go back in line first), claimed (with an owner token
//! and a lease the drain renews), and finished by the claim's owner: done, retried later, not
//! sent (the claim does not count), or failed for good.

use std::time::Duration;

use rusqlite::{params, Connection};
use time::OffsetDateTime;

use super::{
    from_row, get, OutboxClaim, OutboxError, OutboxItem, OutboxState, COLUMNS,
    EVENT_OUTBOX_CLAIMED, EVENT_OUTBOX_DONE, EVENT_OUTBOX_ENQUEUED, EVENT_OUTBOX_FAILED,
    EVENT_OUTBOX_RECOVERED, EVENT_OUTBOX_RETRY, EVENT_OUTBOX_SUPERSEDED, OUTBOX_LEASE,
};
use crate::clock::timestamp;
use crate::ids::OutboxId;
use crate::store::lease::{self, lease_until};
use crate::store::{events, ClaimToken, Store, StoreError};

fn set_state(
    conn: &Connection,
    id: OutboxId,
    state: OutboxState,
    now: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE outbox SET state = ?2, updated = ?3 WHERE id = ?1")?
        .execute(params![id.0, state.as_str(), now])?;
    Ok(())
}

fn log(
    conn: &Connection,
    now: &str,
    kind: &str,
    item: &OutboxItem,
    extra: serde_json::Value,
) -> rusqlite::Result<()> {
    let mut data = serde_json::json!({
        "outbox_id": item.id.0,
        "kind": item.kind,
        "target": item.target,
        "operation_id": item.operation_id,
        "attempts": item.attempts,
    });
    if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    events::append(conn, None, now, kind, &data).map(drop)
}

/// Whether a pending item newer than `item` has its dedupe key: then `item` must not go back in
/// line, the newer one carries the change.
fn has_newer_pending(conn: &Connection, item: &OutboxItem) -> rusqlite::Result<bool> {
    let Some(key) = &item.dedupe_key else {
        return Ok(false);
    };
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM outbox
                        WHERE dedupe_key = ?1 AND state = 'pending' AND id > ?2)",
    )?
    .query_row(params![key, item.id.0], |row| row.get(0))
}

/// Puts an unfinished `item` back in line at `next_attempt_at`, or supersedes it when a newer
/// change with its key is already waiting. Returns the state it ends in.
fn requeue(
    conn: &Connection,
    item: &OutboxItem,
    next_attempt_at: &str,
    error: Option<&str>,
    now: &str,
) -> rusqlite::Result<OutboxState> {
    let state = if has_newer_pending(conn, item)? {
        OutboxState::Superseded
    } else {
        OutboxState::Pending
    };
    conn.prepare_cached(
        "UPDATE outbox SET state = ?2, next_attempt_at = ?3,
                           last_error = coalesce(?4, last_error), updated = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        item.id.0,
        state.as_str(),
        next_attempt_at,
        error,
        now
    ])?;
    Ok(state)
}

/// A random RFC 4122 version 4 id, the form Graph expects in `client-request-id`.
fn operation_id() -> String {
    let v: u128 = rand::random::<u128>() & !(0xF000_u128 << 64) & !(0xC << 60);
    let v = v | (0x4000_u128 << 64) | (0x8_u128 << 60);
    let hex = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn later(now: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| now.checked_add(by))
        .unwrap_or(now + time::Duration::days(365 * 100))
}

impl Store {
    /// Queues a change for Intune: `kind` (`device-notes`, …), `target` (the managed device id,
    /// …), and the `payload` to send. A pending, unsent item with the same `dedupe_key` is
    /// superseded by this one. The item is due at once.
    pub fn outbox_enqueue(
        &mut self,
        kind: &str,
        target: &str,
        dedupe_key: Option<&str>,
        payload: &serde_json::Value,
    ) -> Result<OutboxId, OutboxError> {
        let (kind, target) = (kind.trim(), target.trim());
        if kind.is_empty() {
            return Err(OutboxError::Empty("kind"));
        }
        if target.is_empty() {
            return Err(OutboxError::Empty("target"));
        }
        let dedupe_key = dedupe_key.map(str::trim).filter(|k| !k.is_empty());
        let now = self.now();
        let operation_id = operation_id();
        Ok(self.transact(|tx| {
            let superseded: Vec<OutboxItem> = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM outbox WHERE dedupe_key = ?1 AND state = 'pending'"
                ))?;
                let rows = stmt.query_map([dedupe_key], from_row)?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for old in &superseded {
                set_state(tx, old.id, OutboxState::Superseded, &now)?;
            }
            tx.prepare_cached(
                "INSERT INTO outbox (created, kind, target, dedupe_key, operation_id, payload,
                                     next_attempt_at, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?1, ?1)",
            )?
            .execute(params![
                now,
                kind,
                target,
                dedupe_key,
                operation_id,
                payload.to_string()
            ])?;
            let id = OutboxId(tx.last_insert_rowid());
            let item = get(tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            log(
                tx,
                &now,
                EVENT_OUTBOX_ENQUEUED,
                &item,
                serde_json::json!({"dedupe_key": dedupe_key}),
            )?;
            for old in &superseded {
                log(
                    tx,
                    &now,
                    EVENT_OUTBOX_SUPERSEDED,
                    old,
                    serde_json::json!({"by": id.0}),
                )?;
            }
            Ok(id)
        })?)
    }

    /// Up to `limit` pending items due at `now`, oldest first. Items whose claim's lease ran
    /// out by `now` (their drain crashed: a live one renews it) go back in line first. An item whose dedupe
    /// key is still in flight in an older item waits for it, so changes to one thing are sent in
    /// order.
    pub fn outbox_due(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let at = timestamp(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.transact(|tx| {
            let stale: Vec<OutboxItem> = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM outbox
                     WHERE state = 'in-flight' AND lease_until <= ?1 ORDER BY id"
                ))?;
                let rows = stmt.query_map([&at], from_row)?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for item in &stale {
                let state = requeue(tx, item, &at, None, &at)?;
                log(
                    tx,
                    &at,
                    EVENT_OUTBOX_RECOVERED,
                    item,
                    serde_json::json!({"state": state}),
                )?;
            }
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox AS o
                 WHERE state = 'pending' AND next_attempt_at <= ?1
                   AND NOT EXISTS (SELECT 1 FROM outbox AS f
                                   WHERE f.state = 'in-flight' AND f.dedupe_key = o.dedupe_key
                                     AND f.id < o.id)
                 ORDER BY id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![at, limit], from_row)?;
            rows.collect()
        })
    }

    /// Marks the pending items among `ids` in flight (one more attempt each) at the store
    /// clock's time, under one fresh owner token with a lease of [`OUTBOX_LEASE`], and returns
    /// them; ids already claimed by another drain, or no longer pending, are left out.
    pub fn outbox_claim(&mut self, ids: &[OutboxId]) -> Result<OutboxClaim, StoreError> {
        let now = self.clock_now();
        let (at, until) = (timestamp(now), lease_until(now, OUTBOX_LEASE));
        let token = ClaimToken::new();
        let items = self.transact(|tx| {
            let mut claimed = Vec::with_capacity(ids.len());
            for &id in ids {
                let changed = tx
                    .prepare_cached(
                        "UPDATE outbox SET state = 'in-flight', attempts = attempts + 1,
                                           claimed_at = ?2, claim_owner = ?3, lease_until = ?4,
                                           updated = ?2
                         WHERE id = ?1 AND state = 'pending'",
                    )?
                    .execute(params![id.0, at, token.as_str(), until])?;
                if changed == 1 {
                    let item = get(tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                    log(tx, &at, EVENT_OUTBOX_CLAIMED, &item, serde_json::json!({}))?;
                    claimed.push(item);
                }
            }
            Ok(claimed)
        })?;
        Ok(OutboxClaim { token, items })
    }

    /// Pushes the lease of every item the claim `token` holds out to [`OUTBOX_LEASE`] from the
    /// store clock's now (a send still running). `false` when it holds none any more: their
    /// leases ran out and another drain took them over, or their results were reported.
    pub fn outbox_renew(&mut self, token: &ClaimToken) -> Result<bool, StoreError> {
        let until = lease_until(self.clock_now(), OUTBOX_LEASE);
        self.transact(|tx| lease::renew(tx, "outbox", "in-flight", token, &until))
    }

    /// Graph took item `id`, sent under the claim `token` holds.
    pub fn outbox_done(
        &mut self,
        id: OutboxId,
        token: &ClaimToken,
        now: OffsetDateTime,
    ) -> Result<(), OutboxError> {
        let at = timestamp(now);
        self.outbox_finish(id, token, |tx, item| {
            // A superseded item that went out anyway is recorded as sent; the newer one
            // follows it.
            set_state(tx, id, OutboxState::Done, &at)?;
            log(tx, &at, EVENT_OUTBOX_DONE, item, serde_json::json!({}))
        })
    }

    /// The send of item `id` under the claim `token` holds failed for now (throttled, 5xx,
    /// timeout, offline): it is due again after `delay` (from the Intune client's retry policy,
    /// `RetryPolicy::next_delay`).
    pub fn outbox_retry(
        &mut self,
        id: OutboxId,
        token: &ClaimToken,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.outbox_requeue(id, token, now, delay, error, true)
    }

    /// Item `id` was claimed but never reached Graph (offline, the network down): it is due
    /// again after `delay`, and the claim does not count as an attempt, so a bench offline for
    /// days does not use up an item's retries.
    pub fn outbox_not_sent(
        &mut self,
        id: OutboxId,
        token: &ClaimToken,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.outbox_requeue(id, token, now, delay, error, false)
    }

    fn outbox_requeue(
        &mut self,
        id: OutboxId,
        token: &ClaimToken,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
        counts_as_attempt: bool,
    ) -> Result<(), OutboxError> {
        let at = timestamp(now);
        let next = timestamp(later(now, delay));
        self.outbox_finish(id, token, |tx, item| {
            let state = if item.state == OutboxState::Superseded {
                tx.execute(
                    "UPDATE outbox SET last_error = ?2, updated = ?3 WHERE id = ?1",
                    params![id.0, error, at],
                )?;
                OutboxState::Superseded
            } else {
                requeue(tx, item, &next, Some(error), &at)?
            };
            if !counts_as_attempt {
                tx.execute(
                    "UPDATE outbox SET attempts = max(attempts - 1, 0) WHERE id = ?1",
                    params![id.0],
                )?;
            }
            log(
                tx,
                &at,
                EVENT_OUTBOX_RETRY,
                item,
                serde_json::json!({"error": error, "next_attempt_at": next, "state": state, "sent": counts_as_attempt}),
            )
        })
    }

    /// Graph refused item `id` for good (a 4xx other than 401 and 429, or attempts used up): it
    /// stays, counted as failed, for a technician to look at.
    pub fn outbox_fail(
        &mut self,
        id: OutboxId,
        token: &ClaimToken,
        now: OffsetDateTime,
        error: &str,
    ) -> Result<(), OutboxError> {
        let at = timestamp(now);
        self.outbox_finish(id, token, |tx, item| {
            if item.state != OutboxState::Superseded {
                set_state(tx, id, OutboxState::Failed, &at)?;
            }
            tx.execute(
                "UPDATE outbox SET last_error = ?2, updated = ?3 WHERE id = ?1",
                params![id.0, error, at],
            )?;
            log(
                tx,
                &at,
                EVENT_OUTBOX_FAILED,
                item,
                serde_json::json!({"error": error}),
            )
        })
    }

    /// Runs `f` on item `id` when `token` holds its last claim and it still awaits a result (in
    /// flight, or pending or superseded after its lease ran out and no drain claimed it since).
    /// Anyone else's result changes nothing ([`OutboxError::ClaimLost`]).
    fn outbox_finish(
        &mut self,
        id: OutboxId,
        token: &ClaimToken,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &OutboxItem) -> rusqlite::Result<()>,
    ) -> Result<(), OutboxError> {
        let outcome = self.transact(|tx| {
            let Some(item) = get(tx, id)? else {
                return Ok(Err(OutboxError::Unknown(id)));
            };
            if !lease::is_owner(tx, "outbox", id.0, token)? {
                return Ok(Err(OutboxError::ClaimLost {
                    id,
                    state: item.state,
                }));
            }
            if matches!(item.state, OutboxState::Done | OutboxState::Failed) {
                return Ok(Err(OutboxError::Finished {
                    id,
                    state: item.state,
                }));
            }
            f(tx, &item).map(Ok)
        });
        outcome?
    }
}
