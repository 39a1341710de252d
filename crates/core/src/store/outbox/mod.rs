//! The `outbox` table: every change bound for Intune (device notes, primary users, corporate
//! identifiers) waits here until Graph has taken it, so a change survives offline days, restarts
//! and kills, and is retried until it is sent or refused for good.
//!
//! Life of an item: `pending` (waiting until `next_attempt_at`) → `in-flight` (claimed by a
//! drain, `attempts` counted, owned by the claim's token until `lease_until`) → `done`, back to `pending` with a later `next_attempt_at`
//! (retry), or `failed` (refused for good: a 4xx other than 401 and 429). An item whose
//! `dedupe_key` is taken by a later change before it was sent becomes `superseded`: only the
//! newest notes of a device are worth sending. Every change of state is also appended to the
//! event log (`outbox-*` events), so what was sent and when stays auditable after rows move on.
//!
//! Only the claim's owner reports the result, and it renews the lease while the send runs (see
//! `store::lease`). A crash mid-send leaves the item `in-flight`; once its lease
//! ([`OUTBOX_LEASE`]) has run out, [`Store::outbox_due`] puts it back to `pending`
//! (`outbox-recovered`) and it is sent again; a live send is never recovered. Resending is safe: each item has an `operation_id` the client sends as
//! `client-request-id`, and the writes queued here set a value rather than add one (see
//! the `intune` module). How the client drains the outbox is described there too.
//!
//! Time is passed in (`now`) for everything but the creation time, which comes from the store's
//! clock like every other row's.
//!
//! Layout: this file holds the table (schema, row types, reading a row) and the read-only
//! queries; `queue` the item's life (enqueue and supersede, due and lease recovery, claim,
//! done, retry, fail); `tests` runs them on an in-memory store.

use std::fmt;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row};

use super::{json_column, ClaimToken, Store, StoreError};
use crate::ids::OutboxId;

mod queue;
#[cfg(test)]
mod tests;

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

/// How long a claim holds without being renewed before the item is taken for lost (its drain
/// crashed) and sent again. The drain renews it every third of it while a `$batch` is out;
/// longer than one stall of a send (a `$batch` with its timeouts takes well under a minute).
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
    /// While in flight: the claim holds until this, RFC 3339 UTC (its owner renews it while the
    /// send runs).
    pub lease_until: Option<String>,
    /// Why the last send failed.
    pub last_error: Option<String>,
    /// Where it is in its life.
    pub state: OutboxState,
    /// When the row last changed, RFC 3339 UTC.
    pub updated: String,
}

/// Items claimed for one send, and the token that reports their results.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxClaim {
    /// Who holds the claim: pass it to [`Store::outbox_renew`] and to each result.
    pub token: ClaimToken,
    /// The items claimed (ids another drain held, or no longer pending, are left out).
    pub items: Vec<OutboxItem>,
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
    /// The result of a send came from a drain whose claim was taken over (its lease ran out and
    /// another drain claimed the item); nothing was changed.
    #[error("outbox item {id} was taken over by another drain after this one's claim ran out, so this send's result was not recorded (the item is {state}); the other drain's send stands")]
    ClaimLost {
        /// The item.
        id: OutboxId,
        /// Its state, as the other drain left it.
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
                       next_attempt_at, claimed_at, last_error, state, updated, lease_until";

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
        lease_until: row.get(13)?,
    })
}

fn get(conn: &Connection, id: OutboxId) -> rusqlite::Result<Option<OutboxItem>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()
}

impl Store {
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
