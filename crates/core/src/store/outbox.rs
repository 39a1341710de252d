//! The `outbox` table: every change bound for Intune (device notes, primary users, corporate
//! identifiers) waits here until Graph has taken it, so a change survives offline days, restarts
//! and kills, and is retried until it is sent or refused for good.
//!
//! Life of an item: `pending` (waiting until `next_attempt_at`) → `in-flight` (claimed by a
//! drain, `attempts` counted) → `done`, back to `pending` with a later `next_attempt_at`
//! (retry), or `failed` (refused for good: a 4xx other than 401 and 429). An item whose
//! `dedupe_key` is taken by a later change before it was sent becomes `superseded`: only the
//! newest notes of a device are worth sending. Every change of state is also appended to the
//! event log (`outbox-*` events), so what was sent and when stays auditable after rows move on.
//!
//! A crash mid-send leaves the item `in-flight`; once [`OUTBOX_LEASE`] has run out since its
//! claim, [`Store::outbox_due`] puts it back to `pending` (`outbox-recovered`) and it is sent
//! again. Resending is safe: each item has an `operation_id` the client sends as
//! `client-request-id`, and the writes queued here set a value rather than add one (see
//! the `intune` module). How the client drains the outbox is described there too.
//!
//! Time is passed in (`now`) for everything but the creation time, which comes from the store's
//! clock like every other row's.

use std::fmt;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row};
use time::OffsetDateTime;

use super::{events, json_column, Store, StoreError};
use crate::clock::timestamp;
use crate::ids::OutboxId;

/// Schema version 5: the outbox.
pub(super) const SCHEMA: &str = "
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind <> ''),
    target          TEXT NOT NULL CHECK (target <> ''),
    dedupe_key      TEXT CHECK (dedupe_key <> ''),
    operation_id    TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    claimed_at      TEXT,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in-flight', 'done', 'failed', 'superseded')),
    updated         TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_state ON outbox(state, id);
CREATE UNIQUE INDEX outbox_one_pending_per_key ON outbox(dedupe_key)
    WHERE state = 'pending' AND dedupe_key IS NOT NULL;
";

/// How long a claimed item may stay in flight before it is taken for lost (its drain crashed)
/// and sent again. Longer than any send: a `$batch` with its timeouts takes well under a minute.
pub const OUTBOX_LEASE: Duration = Duration::from_secs(5 * 60);

/// Event kind: a change was queued.
pub const EVENT_OUTBOX_ENQUEUED: &str = "outbox-enqueued";
/// Event kind: a queued, unsent change was replaced by a later one with the same key.
pub const EVENT_OUTBOX_SUPERSEDED: &str = "outbox-superseded";
/// Event kind: a drain took an item to send it.
pub const EVENT_OUTBOX_CLAIMED: &str = "outbox-claimed";
/// Event kind: Graph took the change.
pub const EVENT_OUTBOX_DONE: &str = "outbox-done";
/// Event kind: the send failed for now and will be retried.
pub const EVENT_OUTBOX_RETRY: &str = "outbox-retry";
/// Event kind: Graph refused the change for good.
pub const EVENT_OUTBOX_FAILED: &str = "outbox-failed";
/// Event kind: an item left in flight by a crashed drain went back in line.
pub const EVENT_OUTBOX_RECOVERED: &str = "outbox-recovered";

/// Where an item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboxState {
    /// Waiting to be sent.
    Pending,
    /// Claimed by a drain; being sent.
    InFlight,
    /// Graph took it.
    Done,
    /// Graph refused it for good.
    Failed,
    /// Replaced by a later change with the same dedupe key before it was sent.
    Superseded,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::InFlight => "in-flight",
            OutboxState::Done => "done",
            OutboxState::Failed => "failed",
            OutboxState::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            OutboxState::Pending,
            OutboxState::InFlight,
            OutboxState::Done,
            OutboxState::Failed,
            OutboxState::Superseded,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

impl fmt::Display for OutboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change bound for Intune.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxItem {
    /// Row id.
    pub id: OutboxId,
    /// When it was queued, RFC 3339 UTC.
    pub created: String,
    /// What it changes: `device-notes`, `primary-user`, `corporate-identifiers`, ….
    pub kind: String,
    /// What it changes it on: a managed device id, a serial, ….
    pub target: String,
    /// A later pending change with the same key replaces this one while it is unsent.
    pub dedupe_key: Option<String>,
    /// Unique per item; sent as `client-request-id` so a resend can be recognised.
    pub operation_id: String,
    /// What to send.
    pub payload: serde_json::Value,
    /// Sends started so far.
    pub attempts: u32,
    /// Not to be sent before this, RFC 3339 UTC.
    pub next_attempt_at: String,
    /// When the last send started, RFC 3339 UTC.
    pub claimed_at: Option<String>,
    /// Why the last send failed.
    pub last_error: Option<String>,
    /// Where it is in its life.
    pub state: OutboxState,
    /// When the row last changed, RFC 3339 UTC.
    pub updated: String,
}

/// How many items wait, are being sent, or failed for good (the app shows these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct OutboxCounts {
    /// Waiting to be sent (due or not).
    #[ts(type = "number")]
    pub pending: u64,
    /// Claimed and being sent, or left so by a crash until the lease runs out.
    #[ts(type = "number")]
    pub in_flight: u64,
    /// Refused by Graph; a technician has to look at them.
    #[ts(type = "number")]
    pub failed: u64,
}

/// Why an outbox operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// No such item.
    #[error("no outbox item {0}; use the ids outbox_due or outbox_claim returned")]
    Unknown(OutboxId),
    /// The item already finished, so there is no send to report on.
    #[error("outbox item {id} is already {state}; report a send's result once, for items claimed with outbox_claim")]
    Finished {
        /// The item.
        id: OutboxId,
        /// Its state.
        state: OutboxState,
    },
    /// An empty kind or target.
    #[error("an outbox item needs a {0}; pass a kind such as \"device-notes\" and a target such as the managed device id")]
    Empty(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: &str = "id, created, kind, target, dedupe_key, operation_id, payload, attempts, \
                       next_attempt_at, claimed_at, last_error, state, updated";

fn from_row(row: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let state: String = row.get(11)?;
    Ok(OutboxItem {
        id: OutboxId(row.get(0)?),
        created: row.get(1)?,
        kind: row.get(2)?,
        target: row.get(3)?,
        dedupe_key: row.get(4)?,
        operation_id: row.get(5)?,
        payload: json_column(row, 6)?,
        attempts: row.get(7)?,
        next_attempt_at: row.get(8)?,
        claimed_at: row.get(9)?,
        last_error: row.get(10)?,
        state: OutboxState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                11,
                rusqlite::types::Type::Text,
                format!("unknown outbox state {state:?}").into(),
            )
        })?,
        updated: row.get(12)?,
    })
}

fn get(conn: &Connection, id: OutboxId) -> rusqlite::Result<Option<OutboxItem>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()
}

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

    /// Up to `limit` pending items due at `now`, oldest first. Items left in flight for longer
    /// than [`OUTBOX_LEASE`] (their drain crashed) go back in line first. An item whose dedupe
    /// key is still in flight in an older item waits for it, so changes to one thing are sent in
    /// order.
    pub fn outbox_due(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let at = timestamp(now);
        let expired = timestamp(now - time::Duration::try_from(OUTBOX_LEASE).unwrap_or_default());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.transact(|tx| {
            let stale: Vec<OutboxItem> = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM outbox
                     WHERE state = 'in-flight' AND claimed_at <= ?1 ORDER BY id"
                ))?;
                let rows = stmt.query_map([&expired], from_row)?;
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

    /// Marks the pending items among `ids` in flight (one more attempt each) and returns them;
    /// ids already claimed by another drain, or no longer pending, are left out.
    pub fn outbox_claim(
        &mut self,
        ids: &[OutboxId],
        now: OffsetDateTime,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let at = timestamp(now);
        self.transact(|tx| {
            let mut claimed = Vec::with_capacity(ids.len());
            for &id in ids {
                let changed = tx
                    .prepare_cached(
                        "UPDATE outbox SET state = 'in-flight', attempts = attempts + 1,
                                           claimed_at = ?2, updated = ?2
                         WHERE id = ?1 AND state = 'pending'",
                    )?
                    .execute(params![id.0, at])?;
                if changed == 1 {
                    let item = get(tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                    log(tx, &at, EVENT_OUTBOX_CLAIMED, &item, serde_json::json!({}))?;
                    claimed.push(item);
                }
            }
            Ok(claimed)
        })
    }

    /// Graph took item `id`.
    pub fn outbox_done(&mut self, id: OutboxId, now: OffsetDateTime) -> Result<(), OutboxError> {
        let at = timestamp(now);
        self.outbox_finish(id, |tx, item| {
            // A superseded item that went out anyway is recorded as sent; the newer one
            // follows it.
            set_state(tx, id, OutboxState::Done, &at)?;
            log(tx, &at, EVENT_OUTBOX_DONE, item, serde_json::json!({}))
        })
    }

    /// The send of item `id` failed for now (throttled, 5xx, timeout, offline): it is due again
    /// after `delay` (from the Intune client's retry policy, `RetryPolicy::next_delay`).
    pub fn outbox_retry(
        &mut self,
        id: OutboxId,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.outbox_requeue(id, now, delay, error, true)
    }

    /// Item `id` was claimed but never reached Graph (offline, the network down): it is due
    /// again after `delay`, and the claim does not count as an attempt, so a bench offline for
    /// days does not use up an item's retries.
    pub fn outbox_not_sent(
        &mut self,
        id: OutboxId,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.outbox_requeue(id, now, delay, error, false)
    }

    fn outbox_requeue(
        &mut self,
        id: OutboxId,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
        counts_as_attempt: bool,
    ) -> Result<(), OutboxError> {
        let at = timestamp(now);
        let next = timestamp(later(now, delay));
        self.outbox_finish(id, |tx, item| {
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
        now: OffsetDateTime,
        error: &str,
    ) -> Result<(), OutboxError> {
        let at = timestamp(now);
        self.outbox_finish(id, |tx, item| {
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

    /// Runs `f` on item `id` when it still awaits a result (pending after a lease ran out,
    /// in flight, or superseded meanwhile).
    fn outbox_finish(
        &mut self,
        id: OutboxId,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &OutboxItem) -> rusqlite::Result<()>,
    ) -> Result<(), OutboxError> {
        let outcome = self.transact(|tx| {
            let Some(item) = get(tx, id)? else {
                return Ok(Err(OutboxError::Unknown(id)));
            };
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

    /// One item, or `None`.
    pub fn outbox_item(&self, id: OutboxId) -> Result<Option<OutboxItem>, StoreError> {
        get(&self.conn, id).map_err(|e| self.err(e))
    }

    /// How many items are pending, in flight and failed.
    pub fn outbox_len(&self) -> Result<OutboxCounts, StoreError> {
        let count = || -> rusqlite::Result<OutboxCounts> {
            let mut counts = OutboxCounts::default();
            let mut stmt = self
                .conn
                .prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let n: u64 = row.get(1)?;
                match OutboxState::parse(&row.get::<_, String>(0)?) {
                    Some(OutboxState::Pending) => counts.pending = n,
                    Some(OutboxState::InFlight) => counts.in_flight = n,
                    Some(OutboxState::Failed) => counts.failed = n,
                    _ => {}
                }
            }
            Ok(counts)
        };
        count().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use serde_json::json;

    fn store() -> (Store, ManualClock) {
        let clock = ManualClock::at_test_epoch();
        (
            Store::open_in_memory().unwrap().with_clock(clock.clone()),
            clock,
        )
    }

    fn secs(n: i64) -> time::Duration {
        time::Duration::seconds(n)
    }

    /// Queues the notes `text` for device `target`, keyed by the device.
    fn notes(store: &mut Store, target: &str, text: &str) -> OutboxId {
        let key = format!("notes:{target}");
        store
            .outbox_enqueue("device-notes", target, Some(&key), &json!({"notes": text}))
            .unwrap()
    }

    fn ids(items: &[OutboxItem]) -> Vec<OutboxId> {
        items.iter().map(|i| i.id).collect()
    }

    fn event_kinds(store: &Store) -> Vec<String> {
        store
            .events(None, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    #[test]
    fn enqueue_makes_a_due_pending_item() {
        let (mut store, clock) = store();
        let id = store
            .outbox_enqueue(
                "device-notes",
                " md-1 ",
                Some("notes:md-1"),
                &json!({"notes": "stage 2"}),
            )
            .unwrap();
        let item = store.outbox_item(id).unwrap().unwrap();
        assert_eq!(item.state, OutboxState::Pending);
        assert_eq!(
            (item.kind.as_str(), item.target.as_str()),
            ("device-notes", "md-1")
        );
        assert_eq!(item.payload, json!({"notes": "stage 2"}));
        assert_eq!(item.attempts, 0);
        assert_eq!(item.created, "2025-01-01T00:00:00.000Z");
        assert_eq!(item.next_attempt_at, item.created);
        assert_eq!(item.operation_id.len(), 36);
        assert_eq!(&item.operation_id[14..15], "4");
        assert_eq!(ids(&store.outbox_due(clock.now(), 10).unwrap()), [id]);
        assert_eq!(
            store.outbox_len().unwrap(),
            OutboxCounts {
                pending: 1,
                in_flight: 0,
                failed: 0
            }
        );
        assert_eq!(event_kinds(&store), [EVENT_OUTBOX_ENQUEUED]);
        let other = store
            .outbox_enqueue("device-notes", "md-2", None, &json!({}))
            .unwrap();
        assert_ne!(
            store.outbox_item(other).unwrap().unwrap().operation_id,
            item.operation_id
        );
    }

    #[test]
    fn empty_kind_or_target_is_refused_with_the_fix() {
        let (mut store, _) = store();
        let err = store
            .outbox_enqueue(" ", "md-1", None, &json!({}))
            .unwrap_err();
        assert!(matches!(err, OutboxError::Empty("kind")), "{err}");
        assert!(err.to_string().contains("device-notes"));
        let err = store
            .outbox_enqueue("device-notes", "", None, &json!({}))
            .unwrap_err();
        assert!(matches!(err, OutboxError::Empty("target")), "{err}");
        assert_eq!(store.outbox_len().unwrap(), OutboxCounts::default());
    }

    #[test]
    fn a_later_change_supersedes_an_unsent_one_with_the_same_key() {
        let (mut store, clock) = store();
        let first = notes(&mut store, "md-1", "a");
        let other = notes(&mut store, "md-2", "x");
        let second = notes(&mut store, "md-1", "b");
        assert_eq!(
            store.outbox_item(first).unwrap().unwrap().state,
            OutboxState::Superseded
        );
        assert_eq!(
            ids(&store.outbox_due(clock.now(), 10).unwrap()),
            [other, second]
        );
        assert_eq!(store.outbox_len().unwrap().pending, 2);
        let superseded = store
            .events(None, usize::MAX)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == EVENT_OUTBOX_SUPERSEDED)
            .unwrap();
        assert_eq!(superseded.data["outbox_id"], json!(first.0));
        assert_eq!(superseded.data["by"], json!(second.0));
        // Without a key nothing is superseded.
        store
            .outbox_enqueue("primary-user", "md-1", None, &json!({}))
            .unwrap();
        store
            .outbox_enqueue("primary-user", "md-1", None, &json!({}))
            .unwrap();
        assert_eq!(store.outbox_len().unwrap().pending, 4);
    }

    #[test]
    fn an_in_flight_change_is_not_superseded_and_the_newer_waits_for_it() {
        let (mut store, clock) = store();
        let now = clock.now();
        let sent = store
            .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"notes": "a"}))
            .unwrap();
        store.outbox_claim(&[sent], now).unwrap();
        let newer = store
            .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"notes": "b"}))
            .unwrap();
        assert_eq!(
            store.outbox_item(sent).unwrap().unwrap().state,
            OutboxState::InFlight
        );
        // In order: the newer one is not sent while the older is in flight.
        assert!(store.outbox_due(now, 10).unwrap().is_empty());
        // The older one fails for now: the newer one carries the change, so the older one is
        // superseded rather than requeued.
        store
            .outbox_retry(sent, now, Duration::from_secs(1), "503")
            .unwrap();
        assert_eq!(
            store.outbox_item(sent).unwrap().unwrap().state,
            OutboxState::Superseded
        );
        assert_eq!(ids(&store.outbox_due(now, 10).unwrap()), [newer]);
    }

    #[test]
    fn due_is_oldest_first_within_the_limit_and_respects_next_attempt() {
        let (mut store, clock) = store();
        let a = store
            .outbox_enqueue("device-notes", "md-1", None, &json!({}))
            .unwrap();
        clock.advance(secs(1));
        let b = store
            .outbox_enqueue("device-notes", "md-2", None, &json!({}))
            .unwrap();
        clock.advance(secs(1));
        let c = store
            .outbox_enqueue("device-notes", "md-3", None, &json!({}))
            .unwrap();
        let now = clock.now();
        assert_eq!(ids(&store.outbox_due(now, 2).unwrap()), [a, b]);
        assert_eq!(ids(&store.outbox_due(now, 0).unwrap()), []);
        // Not yet created at an earlier time.
        assert_eq!(ids(&store.outbox_due(now - secs(1), 10).unwrap()), [a, b]);
        store.outbox_claim(&[a], now).unwrap();
        store
            .outbox_retry(a, now, Duration::from_secs(30), "429")
            .unwrap();
        assert_eq!(ids(&store.outbox_due(now, 10).unwrap()), [b, c]);
        assert_eq!(ids(&store.outbox_due(now + secs(29), 10).unwrap()), [b, c]);
        assert_eq!(
            ids(&store.outbox_due(now + secs(30), 10).unwrap()),
            [a, b, c]
        );
    }

    #[test]
    fn claim_done_retry_fail_transitions_and_counts() {
        let (mut store, clock) = store();
        let now = clock.now();
        let [a, b, c] = ["md-1", "md-2", "md-3"].map(|t| {
            store
                .outbox_enqueue("device-notes", t, None, &json!({"t": t}))
                .unwrap()
        });
        let claimed = store.outbox_claim(&[a, b, c, OutboxId(99)], now).unwrap();
        assert_eq!(ids(&claimed), [a, b, c]);
        assert!(claimed
            .iter()
            .all(|i| i.state == OutboxState::InFlight && i.attempts == 1));
        assert_eq!(
            claimed[0].claimed_at.as_deref(),
            Some("2025-01-01T00:00:00.000Z")
        );
        // Claimed once only.
        assert!(store.outbox_claim(&[a], now).unwrap().is_empty());
        assert_eq!(
            store.outbox_len().unwrap(),
            OutboxCounts {
                pending: 0,
                in_flight: 3,
                failed: 0
            }
        );
        assert!(store.outbox_due(now, 10).unwrap().is_empty());

        store.outbox_done(a, now).unwrap();
        store
            .outbox_retry(b, now, Duration::from_millis(1500), "429 Too Many Requests")
            .unwrap();
        store
            .outbox_fail(c, now, "400 Bad Request: notes too long")
            .unwrap();
        assert_eq!(
            store.outbox_len().unwrap(),
            OutboxCounts {
                pending: 1,
                in_flight: 0,
                failed: 1
            }
        );

        let b_item = store.outbox_item(b).unwrap().unwrap();
        assert_eq!(b_item.state, OutboxState::Pending);
        assert_eq!(b_item.next_attempt_at, "2025-01-01T00:00:01.500Z");
        assert_eq!(b_item.last_error.as_deref(), Some("429 Too Many Requests"));
        let c_item = store.outbox_item(c).unwrap().unwrap();
        assert_eq!(c_item.state, OutboxState::Failed);
        assert_eq!(
            c_item.last_error.as_deref(),
            Some("400 Bad Request: notes too long")
        );

        // The second attempt counts.
        let again = store.outbox_claim(&[b], now + secs(2)).unwrap();
        assert_eq!(again[0].attempts, 2);
        store.outbox_done(b, now + secs(2)).unwrap();
        assert_eq!(
            store.outbox_len().unwrap(),
            OutboxCounts {
                pending: 0,
                in_flight: 0,
                failed: 1
            }
        );

        // A result reported twice, or for nothing, is refused with the fix.
        let err = store.outbox_done(a, now).unwrap_err();
        assert!(
            matches!(
                err,
                OutboxError::Finished {
                    state: OutboxState::Done,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("outbox_claim"));
        assert!(matches!(
            store.outbox_fail(c, now, "x").unwrap_err(),
            OutboxError::Finished { .. }
        ));
        assert!(matches!(
            store
                .outbox_retry(OutboxId(99), now, Duration::ZERO, "x")
                .unwrap_err(),
            OutboxError::Unknown(OutboxId(99))
        ));

        let kinds = event_kinds(&store);
        for kind in [
            EVENT_OUTBOX_ENQUEUED,
            EVENT_OUTBOX_CLAIMED,
            EVENT_OUTBOX_DONE,
            EVENT_OUTBOX_RETRY,
            EVENT_OUTBOX_FAILED,
        ] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} logged: {kinds:?}");
        }
        assert_eq!(
            kinds.iter().filter(|k| *k == EVENT_OUTBOX_CLAIMED).count(),
            4
        );
    }

    #[test]
    fn a_lost_claim_goes_back_in_line_after_the_lease() {
        let (mut store, clock) = store();
        let now = clock.now();
        let a = store
            .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({}))
            .unwrap();
        store.outbox_claim(&[a], now).unwrap();
        let lease = time::Duration::try_from(OUTBOX_LEASE).unwrap();
        assert!(store
            .outbox_due(now + lease - secs(1), 10)
            .unwrap()
            .is_empty());
        assert_eq!(store.outbox_len().unwrap().in_flight, 1);
        let due = store.outbox_due(now + lease, 10).unwrap();
        assert_eq!(ids(&due), [a]);
        assert_eq!(due[0].attempts, 1, "the lost send counts as an attempt");
        assert_eq!(event_kinds(&store).last().unwrap(), EVENT_OUTBOX_RECOVERED);
        // The late answer of the lost send still counts.
        store.outbox_done(a, now + lease + secs(1)).unwrap();
        assert_eq!(store.outbox_len().unwrap(), OutboxCounts::default());
    }

    #[test]
    fn a_lost_claim_with_a_newer_change_is_superseded() {
        let (mut store, clock) = store();
        let now = clock.now();
        let a = store
            .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"n": 1}))
            .unwrap();
        store.outbox_claim(&[a], now).unwrap();
        let b = store
            .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"n": 2}))
            .unwrap();
        let lease = time::Duration::try_from(OUTBOX_LEASE).unwrap();
        assert_eq!(ids(&store.outbox_due(now + lease, 10).unwrap()), [b]);
        assert_eq!(
            store.outbox_item(a).unwrap().unwrap().state,
            OutboxState::Superseded
        );
    }

    #[test]
    fn the_table_refuses_bad_rows() {
        let conn = crate::store::migrations::test_connection();
        let insert = |state: &str, payload: &str| {
            conn.execute(
                "INSERT INTO outbox (created, kind, target, operation_id, payload, next_attempt_at, state, updated)
                 VALUES ('t', 'k', 't', ?1, ?2, 't', ?3, 't')",
                params![format!("{state}{payload}"), payload, state],
            )
        };
        assert!(insert("pending", "{}").is_ok());
        assert!(insert("sent", "{}").is_err());
        assert!(insert("pending", "not json").is_err());
    }
}
