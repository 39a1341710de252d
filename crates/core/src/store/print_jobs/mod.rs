//! The `printers` and `print_jobs` tables: the bench's printers by name, and every label sent
//! to one, so a print survives restarts and kills and is retried until it is printed or
//! refused for good. (Both tables come in one migration: a printer and its queue are one idea.)
//!
//! Life of a job: `queued` (due at `next_attempt_at`) → `sending` (claimed, `attempts`
//! counted, `claimed_at` set, owned by the claim's token until `lease_until`) → `done`, back
//! to `queued` later (transient failure), or `failed` (refused for good, or attempts used up;
//! `print-queue retry` puts it back). Only the claim's owner reports the result, and it renews
//! the lease while the send runs (see `store::lease`). A process killed mid-send leaves the job
//! `sending`; once its lease ([`PRINT_LEASE`]) has run out, [`Store::print_due`] puts it back
//! in line. A raw or serial printer cannot say whether the killed send got through, so a
//! recovered job may print twice: a duplicate label is found at the bench, a missing one is
//! not. A live send is never recovered: its owner keeps renewing.
//!
//! A job marked done appends its [`AuditAction::LabelPrint`] record in the same transaction.
//!
//! A document that carries a secret (an enrollment label: its QR holds the token and maybe a
//! Wi-Fi key) is kept sealed ([`PrintData::Sealed`]): the store holds the ciphertext and the
//! name of the keyring entry that opens it, never the key, and the `secret` flag. When such a
//! job ends (done, failed, cancelled) a trigger ([`SECRET_SCHEMA`]) clears its document in the
//! same statement, so nothing of it is left to open; the domain then forgets the key
//! ([`Store::print_sealed_ended`], [`Store::print_key_forgotten`]), and a cleared job is not
//! retried: the label is printed again ([`PrintJobError::Cleared`]).
//!
//! Scheduling times (`now`) are passed in; creation and audit times come from the store's clock.
//!
//! Rows are plain: a printer is a [`PrinterRow`] (kind, address, port, baud as stored) and a
//! job's document kind is its name (`pdf`, `png`, `zpl`); the printer module turns them into
//! its own types and checks what it saves.
//!
//! Layout: this file holds the schema, the job's row types and the reads of jobs; `printers`
//! the printers table's row and queries; `queue` a job's life (enqueue, due and lease recovery,
//! claim, done with its audit record, retry, fail, requeue, cancel); `tests` runs them on an
//! in-memory store.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use super::{ClaimToken, Store, StoreError};
use crate::ids::{BatchId, PrintJobId};
use crate::remedy::{HasRemedy, Remedy};

mod printers;
mod queue;
#[cfg(test)]
mod tests;

pub use printers::PrinterRow;

/// The schema: printers and their queue.
pub(super) const SCHEMA: &str = "
CREATE TABLE printers (
    name        TEXT PRIMARY KEY CHECK (name <> ''),
    kind        TEXT NOT NULL CHECK (kind IN ('ipp', 'raw', 'serial')),
    address     TEXT NOT NULL CHECK (address <> ''),
    port        INTEGER,
    baud        INTEGER,
    dpi         INTEGER,
    media       TEXT,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL
) STRICT;
CREATE TABLE print_jobs (
    id              INTEGER PRIMARY KEY,
    created         TEXT NOT NULL,
    printer         TEXT NOT NULL CHECK (printer <> ''),
    document_kind   TEXT NOT NULL CHECK (document_kind IN ('pdf', 'png', 'zpl')),
    data            BLOB,
    path            TEXT,
    title           TEXT NOT NULL DEFAULT '',
    copies          INTEGER NOT NULL DEFAULT 1 CHECK (copies BETWEEN 1 AND 1000),
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    claimed_at      TEXT,
    last_error      TEXT,
    remote_job      TEXT,
    actor           TEXT NOT NULL,
    batch_id        TEXT,
    device_serial   TEXT,
    label_kind      TEXT,
    updated         TEXT NOT NULL,
    CHECK ((data IS NULL) <> (path IS NULL))
) STRICT;
CREATE INDEX print_jobs_due ON print_jobs(state, next_attempt_at, id);
";

/// The second print-queue migration: documents that carry a secret are flagged (`secret`) and
/// kept sealed under a keyring entry (`sealed_key`); a trigger clears such a document when its
/// job ends. Enrollment labels queued before it were kept in clear: they are cleared, and the
/// ones still waiting fail, saying to print the label again.
pub(super) const SECRET_SCHEMA: &str = "
ALTER TABLE print_jobs ADD COLUMN secret INTEGER NOT NULL DEFAULT 0 CHECK (secret IN (0, 1));
ALTER TABLE print_jobs ADD COLUMN sealed_key TEXT;
CREATE TRIGGER print_jobs_clear_secret AFTER UPDATE OF state ON print_jobs
WHEN NEW.secret = 1 AND NEW.state IN ('done', 'failed') AND length(NEW.data) > 0
BEGIN
    UPDATE print_jobs SET data = x'' WHERE id = NEW.id;
END;
UPDATE print_jobs SET secret = 1 WHERE label_kind = 'enrollment';
UPDATE print_jobs
   SET state = 'failed',
       last_error = 'this enrollment label was queued by an older StageBench, which kept it readable in the store; it was cleared: print the label again',
       updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE secret = 1 AND state IN ('queued', 'sending');
UPDATE print_jobs SET data = x'' WHERE secret = 1 AND length(data) > 0;
";

/// How long a claim holds without being renewed before the job is taken for lost (its process
/// died) and sent again. The sender renews it every third of it while the send runs; longer
/// than one stall of a send (connect and write timeouts are seconds, an IPP request at most
/// 30 s, `printer::WRITE_TIMEOUT`).
pub const PRINT_LEASE: Duration = Duration::from_secs(120);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrintJobState {
    /// Waiting to be sent.
    Queued,
    /// Claimed and being sent (or left so by a process that died, until the lease runs out).
    Sending,
    /// The printer took it.
    Done,
    /// Refused for good or out of attempts; `print-queue retry` sends it again.
    Failed,
}

impl PrintJobState {
    fn as_str(self) -> &'static str {
        match self {
            PrintJobState::Queued => "queued",
            PrintJobState::Sending => "sending",
            PrintJobState::Done => "done",
            PrintJobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            PrintJobState::Queued,
            PrintJobState::Sending,
            PrintJobState::Done,
            PrintJobState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

impl fmt::Display for PrintJobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job's document is: in the store, in a file read at send time, or sealed.
#[derive(Clone, PartialEq, Eq)]
pub enum PrintData {
    /// The rendered bytes, kept in the row.
    Bytes(Vec<u8>),
    /// A file holding them (large sheets).
    Path(PathBuf),
    /// A document that carries a secret, encrypted; the key is the keyring entry named `key`.
    Sealed {
        /// The ciphertext.
        bytes: Vec<u8>,
        /// The keyring entry holding the key (never the key itself).
        key: String,
    },
    /// A document that carried a secret, cleared when its job ended.
    Cleared,
}

impl fmt::Debug for PrintData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrintData::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            PrintData::Path(p) => f.debug_tuple("Path").field(p).finish(),
            PrintData::Sealed { bytes, key } => {
                write!(f, "Sealed({} bytes, key {key:?})", bytes.len())
            }
            PrintData::Cleared => f.write_str("Cleared"),
        }
    }
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPrintJob {
    /// The printer's name (see [`Store::save_printer_row`]).
    pub printer: String,
    /// What the document is: `pdf`, `png` or `zpl`.
    pub kind: String,
    /// The document.
    pub data: PrintData,
    /// Its title (IPP `job-name`).
    pub title: String,
    /// Copies, 1 to 1000.
    pub copies: u32,
    /// Who printed it (recorded in the audit log).
    pub actor: String,
    /// The batch the label belongs to.
    pub batch: Option<BatchId>,
    /// The device the label is for, by serial.
    pub device_serial: Option<String>,
    /// `enrollment`, `device`, `box`, `test`, ….
    pub label_kind: Option<String>,
}

impl NewPrintJob {
    /// One copy of `bytes` for `printer`, by `actor`; set the rest with the fields.
    pub fn new(
        printer: impl Into<String>,
        kind: impl Into<String>,
        bytes: Vec<u8>,
        actor: impl Into<String>,
    ) -> NewPrintJob {
        NewPrintJob {
            printer: printer.into(),
            kind: kind.into(),
            data: PrintData::Bytes(bytes),
            title: String::new(),
            copies: 1,
            actor: actor.into(),
            batch: None,
            device_serial: None,
            label_kind: None,
        }
    }
}

/// One job as stored (without its bytes: [`Store::print_job_data`] reads them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintJob {
    /// Id.
    pub id: PrintJobId,
    /// When it was queued, RFC 3339 UTC.
    pub created: String,
    /// The printer's name.
    pub printer: String,
    /// What the document is: `pdf`, `png` or `zpl`.
    pub kind: String,
    /// The file, when the document is one.
    pub path: Option<String>,
    /// Size of the stored bytes (0 for a file).
    pub bytes: u64,
    /// Title.
    pub title: String,
    /// Copies.
    pub copies: u32,
    /// Where it is in its life.
    pub state: PrintJobState,
    /// Sends started so far.
    pub attempts: u32,
    /// Not to be sent before this, RFC 3339 UTC.
    pub next_attempt_at: String,
    /// When the last send started.
    pub claimed_at: Option<String>,
    /// While `sending`: the claim holds until this, RFC 3339 UTC (its owner renews it while
    /// the send runs).
    pub lease_until: Option<String>,
    /// Why the last send failed.
    pub last_error: Option<String>,
    /// The printer's own reference for the job (IPP `job-uri`).
    pub remote_job: Option<String>,
    /// Who printed it.
    pub actor: String,
    /// Batch id.
    pub batch: Option<String>,
    /// Device serial.
    pub device_serial: Option<String>,
    /// Label kind.
    pub label_kind: Option<String>,
    /// When the row last changed.
    pub updated: String,
}

/// A job claimed for sending, and the token that reports its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintClaim {
    /// Who holds the claim: pass it to [`Store::print_renew`] and to the result.
    pub token: ClaimToken,
    /// The job as claimed.
    pub job: PrintJob,
}

/// Why a queue operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintJobError {
    /// No such job.
    #[error("no print job {0}; look it up in the print queue")]
    Unknown(PrintJobId),
    /// The job is not in a state that allows this.
    #[error("print job {id} is {state}; {hint}")]
    WrongState {
        /// The job.
        id: PrintJobId,
        /// Its state.
        state: PrintJobState,
        /// What to do instead.
        hint: &'static str,
    },
    /// The result of a send came from a process whose claim was taken over (its lease ran out
    /// and another process claimed the job); nothing was changed.
    #[error("print job {id} was taken over by another process after this one's claim ran out, so this send's result was not recorded (the job is {state}); if both sends reach the printer, discard the duplicate label")]
    ClaimLost {
        /// The job.
        id: PrintJobId,
        /// Its state, as the other process left it.
        state: PrintJobState,
    },
    /// The job's label carried a secret and was cleared when the job ended: it can't be sent
    /// again.
    #[error("print job {0}'s label held the enrollment token and was cleared when the job ended; print the label again")]
    Cleared(PrintJobId),
    /// Bad input.
    #[error("cannot queue the print: {0}")]
    Invalid(String),
    /// The job names no printer.
    #[error("cannot queue the print: no printer named; pick one of the bench's printers")]
    NoPrinter,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HasRemedy for PrintJobError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            PrintJobError::Unknown(_) | PrintJobError::ClaimLost { .. } => {
                Some(Remedy::ListPrintJobs)
            }
            PrintJobError::NoPrinter => Some(Remedy::PickPrinter),
            PrintJobError::WrongState { .. }
            | PrintJobError::Cleared(_)
            | PrintJobError::Invalid(_)
            | PrintJobError::Store(_) => None,
        }
    }
}

impl HasRemedy for PrintJob {
    /// A failed job stays failed until someone retries it.
    fn remedy(&self) -> Option<Remedy> {
        (self.state == PrintJobState::Failed).then_some(Remedy::RetryPrintJob { job: self.id })
    }
}

const COLUMNS: &str = "id, created, printer, document_kind, path, coalesce(length(data), 0), title, copies, \
                       state, attempts, next_attempt_at, claimed_at, last_error, remote_job, actor, \
                       batch_id, device_serial, label_kind, updated, lease_until";

fn conversion(idx: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, what.into())
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<PrintJob> {
    let state: String = row.get(8)?;
    Ok(PrintJob {
        id: PrintJobId(row.get(0)?),
        created: row.get(1)?,
        printer: row.get(2)?,
        kind: row.get(3)?,
        path: row.get(4)?,
        bytes: row.get(5)?,
        title: row.get(6)?,
        copies: row.get(7)?,
        state: PrintJobState::parse(&state)
            .ok_or_else(|| conversion(8, format!("unknown print job state {state:?}")))?,
        attempts: row.get(9)?,
        next_attempt_at: row.get(10)?,
        claimed_at: row.get(11)?,
        last_error: row.get(12)?,
        remote_job: row.get(13)?,
        actor: row.get(14)?,
        batch: row.get(15)?,
        device_serial: row.get(16)?,
        label_kind: row.get(17)?,
        updated: row.get(18)?,
        lease_until: row.get(19)?,
    })
}

fn data_from_row(row: &Row<'_>) -> rusqlite::Result<PrintData> {
    let data: Option<Vec<u8>> = row.get(0)?;
    let path: Option<String> = row.get(1)?;
    let secret: bool = row.get(2)?;
    let key: Option<String> = row.get(3)?;
    Ok(match (data, path, key) {
        (Some(bytes), _, _) if secret && bytes.is_empty() => PrintData::Cleared,
        (Some(bytes), _, Some(key)) => PrintData::Sealed { bytes, key },
        (Some(bytes), _, None) => PrintData::Bytes(bytes),
        (None, path, _) => PrintData::Path(PathBuf::from(path.unwrap_or_default())),
    })
}

fn get(conn: &Connection, id: PrintJobId) -> rusqlite::Result<Option<PrintJob>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM print_jobs WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()
}

impl Store {
    /// The document of job `id`: the stored bytes, the file to read, the sealed bytes and their
    /// key's name, or nothing left (a secret's document, cleared when its job ended).
    pub fn print_job_data(&self, id: PrintJobId) -> Result<Option<PrintData>, StoreError> {
        self.conn
            .prepare_cached("SELECT data, path, secret, sealed_key FROM print_jobs WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([id.0], data_from_row).optional())
            .map_err(|e| self.err(e))
    }

    /// One job.
    pub fn print_job(&self, id: PrintJobId) -> Result<Option<PrintJob>, StoreError> {
        get(&self.conn, id).map_err(|e| self.err(e))
    }

    /// The newest `limit` jobs, newest first.
    pub fn print_jobs(&self, limit: usize) -> Result<Vec<PrintJob>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let read = || -> rusqlite::Result<Vec<PrintJob>> {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM print_jobs ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit], from_row)?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }
}
