//! The `printers` and `print_jobs` tables: the bench's printers by name, and every label sent
//! to one, so a print survives restarts and kills and is retried until it is printed or
//! refused for good. (Both tables come in one migration: a printer and its queue are one idea.)
//!
//! Life of a job: `queued` (due at `next_attempt_at`) → `sending` (claimed, `attempts`
//! counted, `claimed_at` set) → `done`, back to `queued` later (transient failure), or `failed`
//! (refused for good, or attempts used up; `print-queue retry` puts it back). A process killed
//! mid-send leaves the job `sending`; once [`PRINT_LEASE`] has run out since its claim,
//! [`Store::print_due`] puts it back in line. A raw or serial printer cannot say whether the
//! killed send got through, so a recovered job may print twice: a duplicate label is found at
//! the bench, a missing one is not.
//!
//! A job marked done appends its [`AuditAction::LabelPrint`] record in the same transaction.
//!
//! Scheduling times (`now`) are passed in; creation and audit times come from the store's clock.
//!
//! Rows are plain: a printer is a [`PrinterRow`] (kind, address, port, baud as stored) and a
//! job's document kind is its name (`pdf`, `png`, `zpl`); the printer module turns them into
//! its own types and checks what it saves.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use time::OffsetDateTime;

use super::{audit, Store, StoreError};
use crate::audit::{AuditAction, AuditEntry};
use crate::clock::timestamp;
use crate::ids::{BatchId, PrintJobId};
use crate::remedy::{HasRemedy, Remedy};

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

/// How long a claimed job may stay `sending` before it is taken for lost (its process died)
/// and sent again. Longer than any send: connect and write timeouts are seconds, an IPP
/// request at most 30 s (`printer::WRITE_TIMEOUT`).
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

/// Where a job's document is: in the store, or in a file read at send time.
#[derive(Clone, PartialEq, Eq)]
pub enum PrintData {
    /// The rendered bytes, kept in the row.
    Bytes(Vec<u8>),
    /// A file holding them (large sheets).
    Path(PathBuf),
}

impl fmt::Debug for PrintData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrintData::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            PrintData::Path(p) => f.debug_tuple("Path").field(p).finish(),
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
            PrintJobError::Unknown(_) => Some(Remedy::ListPrintJobs),
            PrintJobError::NoPrinter => Some(Remedy::PickPrinter),
            PrintJobError::WrongState { .. }
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
                       batch_id, device_serial, label_kind, updated";

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
    })
}

fn get(conn: &Connection, id: PrintJobId) -> rusqlite::Result<Option<PrintJob>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM print_jobs WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()
}

/// A printer as stored: how to reach it (`kind` `ipp`, `raw` or `serial`, its `address`, a raw
/// printer's `port`, a serial one's `baud`) and what labels for it are rendered at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterRow {
    /// The name technicians pick it by (unique on the bench).
    pub name: String,
    /// `ipp`, `raw` or `serial`.
    pub kind: String,
    /// The IPP URL, the raw printer's host, or the serial port.
    pub address: String,
    /// A raw printer's TCP port.
    pub port: Option<u16>,
    /// A serial printer's baud rate.
    pub baud: Option<u32>,
    /// Resolution in dots per inch, when known.
    pub dpi: Option<u32>,
    /// Media, e.g. `2x1in`.
    pub media: Option<String>,
}

const PRINTER_COLUMNS: &str = "name, kind, address, port, baud, dpi, media";

fn printer_from_row(row: &Row<'_>) -> rusqlite::Result<PrinterRow> {
    Ok(PrinterRow {
        name: row.get(0)?,
        kind: row.get(1)?,
        address: row.get(2)?,
        port: row.get(3)?,
        baud: row.get(4)?,
        dpi: row.get(5)?,
        media: row.get(6)?,
    })
}

fn later(now: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| now.checked_add(by))
        .unwrap_or(now + time::Duration::days(365))
}

impl Store {
    /// Adds the printer, or replaces the settings of the one with its name (the printer
    /// module checks them first).
    pub fn save_printer_row(&mut self, printer: &PrinterRow) -> Result<(), StoreError> {
        let now = self.now();
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO printers (name, kind, address, port, baud, dpi, media, created, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, address = excluded.address,
                     port = excluded.port, baud = excluded.baud, dpi = excluded.dpi,
                     media = excluded.media, updated = excluded.updated",
                params![
                    printer.name,
                    printer.kind,
                    printer.address,
                    printer.port,
                    printer.baud,
                    printer.dpi,
                    printer.media,
                    now
                ],
            )
            .map(drop)
        })
    }

    /// Removes the printer `name`; false when there was none. Its jobs stay in the queue
    /// (and fail with the fix when sent, unless a printer of that name is added again).
    pub fn printer_remove(&mut self, name: &str) -> Result<bool, StoreError> {
        let name = name.trim();
        self.transact(|tx| {
            tx.execute("DELETE FROM printers WHERE name = ?1", [name])
                .map(|n| n > 0)
        })
    }

    /// The printer called `name`.
    pub fn printer_row(&self, name: &str) -> Result<Option<PrinterRow>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {PRINTER_COLUMNS} FROM printers WHERE name = ?1"
            ))
            .and_then(|mut stmt| stmt.query_row([name.trim()], printer_from_row).optional())
            .map_err(|e| self.err(e))
    }

    /// Every printer, by name.
    pub fn printer_rows(&self) -> Result<Vec<PrinterRow>, StoreError> {
        let read = || -> rusqlite::Result<Vec<PrinterRow>> {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {PRINTER_COLUMNS} FROM printers ORDER BY name"
            ))?;
            let rows = stmt.query_map([], printer_from_row)?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }

    /// Queues a job, due at once.
    pub fn print_enqueue(&mut self, job: &NewPrintJob) -> Result<PrintJobId, PrintJobError> {
        let printer = job.printer.trim();
        if printer.is_empty() {
            return Err(PrintJobError::NoPrinter);
        }
        if !(1..=1000).contains(&job.copies) {
            return Err(PrintJobError::Invalid(format!(
                "{} copies; print 1 to 1000 at a time",
                job.copies
            )));
        }
        if job.actor.trim().is_empty() {
            return Err(PrintJobError::Invalid(
                "no technician named; set STAGEBENCH_TECHNICIAN".into(),
            ));
        }
        let (data, path) = match &job.data {
            PrintData::Bytes(bytes) if bytes.is_empty() => {
                return Err(PrintJobError::Invalid(
                    "the document is empty; render the label first".into(),
                ))
            }
            PrintData::Bytes(bytes) => (Some(bytes.as_slice()), None),
            PrintData::Path(path) => (None, Some(path.to_string_lossy().into_owned())),
        };
        let now = self.now();
        Ok(self.transact(|tx| {
            tx.prepare_cached(
                "INSERT INTO print_jobs (created, printer, document_kind, data, path, title, copies,
                                         next_attempt_at, actor, batch_id, device_serial, label_kind, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1, ?8, ?9, ?10, ?11, ?1)",
            )?
            .execute(params![
                now,
                printer,
                job.kind,
                data,
                path,
                job.title,
                job.copies,
                job.actor.trim(),
                job.batch.as_ref().map(BatchId::as_str),
                job.device_serial.as_deref().map(str::trim),
                job.label_kind,
            ])?;
            Ok(PrintJobId(tx.last_insert_rowid()))
        })?)
    }

    /// Up to `limit` queued jobs due at `now`, oldest first. Jobs left `sending` for longer
    /// than [`PRINT_LEASE`] (their process died) go back in line first.
    pub fn print_due(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<PrintJob>, StoreError> {
        let at = timestamp(now);
        let expired = timestamp(now - time::Duration::try_from(PRINT_LEASE).unwrap_or_default());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.transact(|tx| {
            tx.prepare_cached(
                "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?2, updated = ?2,
                        last_error = coalesce(last_error, 'the process sending it stopped; sent again')
                 WHERE state = 'sending' AND claimed_at <= ?1",
            )?
            .execute(params![expired, at])?;
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM print_jobs
                 WHERE state = 'queued' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![at, limit], from_row)?;
            rows.collect()
        })
    }

    /// Marks job `id` `sending` (one more attempt) when it is still queued, and returns it;
    /// `None` when another process claimed it first.
    pub fn print_claim(
        &mut self,
        id: PrintJobId,
        now: OffsetDateTime,
    ) -> Result<Option<PrintJob>, StoreError> {
        let at = timestamp(now);
        self.transact(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE print_jobs SET state = 'sending', attempts = attempts + 1, claimed_at = ?2, updated = ?2
                     WHERE id = ?1 AND state = 'queued'",
                )?
                .execute(params![id.0, at])?;
            if changed == 1 {
                get(tx, id)
            } else {
                Ok(None)
            }
        })
    }

    /// The document of job `id`: the stored bytes, or the file to read.
    pub fn print_job_data(&self, id: PrintJobId) -> Result<Option<PrintData>, StoreError> {
        self.conn
            .prepare_cached("SELECT data, path FROM print_jobs WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([id.0], |row| {
                    let data: Option<Vec<u8>> = row.get(0)?;
                    let path: Option<String> = row.get(1)?;
                    Ok(match (data, path) {
                        (Some(bytes), _) => PrintData::Bytes(bytes),
                        (None, path) => PrintData::Path(PathBuf::from(path.unwrap_or_default())),
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The printer took job `id`: it is done, and its [`AuditAction::LabelPrint`] record is
    /// appended in the same transaction.
    pub fn print_done(
        &mut self,
        id: PrintJobId,
        now: OffsetDateTime,
        remote_job: Option<&str>,
    ) -> Result<PrintJob, PrintJobError> {
        let at = timestamp(now);
        let audit_at = self.now();
        self.print_finish(id, |tx, job| {
            tx.execute(
                "UPDATE print_jobs SET state = 'done', remote_job = ?2, last_error = NULL, updated = ?3 WHERE id = ?1",
                params![id.0, remote_job, at],
            )?;
            let mut entry = AuditEntry::new(job.actor.clone(), AuditAction::LabelPrint).with_detail(serde_json::json!({
                "printer": job.printer,
                "print_job": job.id.0,
                "document": job.kind,
                "copies": job.copies,
                "label": job.label_kind,
                "remote_job": remote_job,
                "attempts": job.attempts,
            }));
            if let Some(batch) = job.batch.clone().and_then(|b| BatchId::try_from(b).ok()) {
                entry = entry.with_batch(&batch);
            }
            if let Some(serial) = &job.device_serial {
                entry = entry.with_device(serial.clone());
            }
            audit::append(tx, &entry, &audit_at)?;
            Ok(())
        })
    }

    /// Sending job `id` failed for now: it is due again after `delay`.
    pub fn print_retry(
        &mut self,
        id: PrintJobId,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
    ) -> Result<PrintJob, PrintJobError> {
        let at = timestamp(now);
        let next = timestamp(later(now, delay));
        self.print_finish(id, |tx, _| {
            tx.execute(
                "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?2, last_error = ?3, updated = ?4 WHERE id = ?1",
                params![id.0, next, error, at],
            )
            .map(drop)
        })
    }

    /// Job `id` was refused for good (or ran out of attempts): it stays, failed, with `error`.
    pub fn print_fail(
        &mut self,
        id: PrintJobId,
        now: OffsetDateTime,
        error: &str,
    ) -> Result<PrintJob, PrintJobError> {
        let at = timestamp(now);
        self.print_finish(id, |tx, _| {
            tx.execute(
                "UPDATE print_jobs SET state = 'failed', last_error = ?2, updated = ?3 WHERE id = ?1",
                params![id.0, error, at],
            )
            .map(drop)
        })
    }

    /// Puts a failed job back in line with its attempts reset (`stagebench print-queue retry`).
    pub fn print_requeue(&mut self, id: PrintJobId) -> Result<PrintJob, PrintJobError> {
        let now = self.now();
        let outcome = self.transact(|tx| {
            let Some(job) = get(tx, id)? else {
                return Ok(Err(PrintJobError::Unknown(id)));
            };
            if job.state != PrintJobState::Failed {
                return Ok(Err(PrintJobError::WrongState {
                    id,
                    state: job.state,
                    hint: "only failed jobs are retried by hand; queued ones are sent by the queue",
                }));
            }
            tx.execute(
                "UPDATE print_jobs SET state = 'queued', attempts = 0, next_attempt_at = ?2, updated = ?2 WHERE id = ?1",
                params![id.0, now],
            )?;
            get(tx, id).map(|job| job.ok_or(PrintJobError::Unknown(id)))
        });
        outcome?
    }

    /// Takes a queued job out of line: it stays, failed, saying who cancelled it, and
    /// `print-queue retry` puts it back. A job being sent can't be called back from the printer.
    pub fn print_cancel(&mut self, id: PrintJobId, actor: &str) -> Result<PrintJob, PrintJobError> {
        let now = self.now();
        let outcome = self.transact(|tx| {
            let Some(job) = get(tx, id)? else {
                return Ok(Err(PrintJobError::Unknown(id)));
            };
            if job.state != PrintJobState::Queued {
                return Ok(Err(PrintJobError::WrongState {
                    id,
                    state: job.state,
                    hint: "only queued jobs are cancelled; one being sent may already be at the printer (cancel it there)",
                }));
            }
            let why = format!("cancelled by {actor}; retry sends it again");
            tx.execute(
                "UPDATE print_jobs SET state = 'failed', last_error = ?2, updated = ?3 WHERE id = ?1 AND state = 'queued'",
                params![id.0, why, now],
            )?;
            get(tx, id).map(|job| job.ok_or(PrintJobError::Unknown(id)))
        });
        outcome?
    }

    /// Runs `f` on job `id` when it awaits a result (`sending`, or `queued` again after its
    /// lease ran out), then returns the job as it is now.
    fn print_finish(
        &mut self,
        id: PrintJobId,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &PrintJob) -> rusqlite::Result<()>,
    ) -> Result<PrintJob, PrintJobError> {
        let outcome = self.transact(|tx| {
            let Some(job) = get(tx, id)? else {
                return Ok(Err(PrintJobError::Unknown(id)));
            };
            if matches!(job.state, PrintJobState::Done | PrintJobState::Failed) {
                return Ok(Err(PrintJobError::WrongState {
                    id,
                    state: job.state,
                    hint: "report a send's result once, for jobs claimed with print_claim",
                }));
            }
            f(tx, &job)?;
            get(tx, id).map(|job| job.ok_or(PrintJobError::Unknown(id)))
        });
        outcome?
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditRecord;
    use crate::clock::{Clock, ManualClock};
    use crate::store::AuditFilter;

    fn store() -> (Store, ManualClock) {
        let clock = ManualClock::at_test_epoch();
        (
            Store::open_in_memory().unwrap().with_clock(clock.clone()),
            clock,
        )
    }

    #[test]
    fn a_job_goes_queued_sending_done_with_an_audit_record() {
        let (mut store, clock) = store();
        let mut job = NewPrintJob::new("zebra", "zpl", b"^XA^XZ".to_vec(), "zoë");
        job.device_serial = Some("R58N".into());
        job.label_kind = Some("device".into());
        let id = store.print_enqueue(&job).unwrap();
        let due = store.print_due(clock.now(), 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].state, due[0].bytes, due[0].attempts),
            (PrintJobState::Queued, 6, 0)
        );
        let claimed = store.print_claim(id, clock.now()).unwrap().unwrap();
        assert_eq!(
            (claimed.state, claimed.attempts),
            (PrintJobState::Sending, 1)
        );
        assert!(
            store.print_claim(id, clock.now()).unwrap().is_none(),
            "claimed once"
        );
        assert_eq!(
            store.print_job_data(id).unwrap(),
            Some(PrintData::Bytes(b"^XA^XZ".to_vec()))
        );
        let done = store.print_done(id, clock.now(), None).unwrap();
        assert_eq!(done.state, PrintJobState::Done);
        let log: Vec<AuditRecord> = store.audit_log(&AuditFilter::default()).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            (
                log[0].action.as_str(),
                log[0].device.as_deref(),
                log[0].actor.as_str()
            ),
            ("label-print", Some("R58N"), "zoë")
        );
        assert_eq!(log[0].detail["printer"], "zebra");
        assert!(matches!(
            store.print_done(id, clock.now(), None),
            Err(PrintJobError::WrongState { .. })
        ));
    }

    #[test]
    fn a_lost_send_is_recovered_after_the_lease_and_failed_jobs_retry_by_hand() {
        let (mut store, clock) = store();
        let id = store
            .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"x".to_vec(), "t"))
            .unwrap();
        store.print_claim(id, clock.now()).unwrap().unwrap();
        assert!(store.print_due(clock.now(), 10).unwrap().is_empty());
        clock.advance(time::Duration::try_from(PRINT_LEASE).unwrap());
        let due = store.print_due(clock.now(), 10).unwrap();
        assert_eq!(
            (due[0].id, due[0].state, due[0].attempts),
            (id, PrintJobState::Queued, 1)
        );
        store.print_claim(id, clock.now()).unwrap().unwrap();
        store
            .print_retry(id, clock.now(), Duration::from_secs(4), "refused")
            .unwrap();
        assert!(
            store.print_due(clock.now(), 10).unwrap().is_empty(),
            "not before its backoff"
        );
        clock.advance(time::Duration::seconds(4));
        assert_eq!(store.print_due(clock.now(), 10).unwrap().len(), 1);
        store.print_claim(id, clock.now()).unwrap().unwrap();
        let failed = store
            .print_fail(id, clock.now(), "printer zebra: gave up")
            .unwrap();
        assert_eq!((failed.state, failed.attempts), (PrintJobState::Failed, 3));
        let again = store.print_requeue(id).unwrap();
        assert_eq!((again.state, again.attempts), (PrintJobState::Queued, 0));
        assert!(matches!(
            store.print_requeue(id),
            Err(PrintJobError::WrongState { .. })
        ));
        assert!(matches!(
            store.print_requeue(PrintJobId(99)),
            Err(PrintJobError::Unknown(_))
        ));
    }

    #[test]
    fn a_queued_job_is_cancelled_and_not_sent_but_one_being_sent_is_not() {
        let (mut store, clock) = store();
        let first = store
            .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"x".to_vec(), "t"))
            .unwrap();
        let second = store
            .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"y".to_vec(), "t"))
            .unwrap();
        let cancelled = store.print_cancel(first, "ana").unwrap();
        assert_eq!(cancelled.state, PrintJobState::Failed);
        assert_eq!(
            cancelled.last_error.as_deref(),
            Some("cancelled by ana; retry sends it again")
        );
        let due: Vec<PrintJobId> = store
            .print_due(clock.now(), 10)
            .unwrap()
            .into_iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(due, [second], "a cancelled job is not sent");
        store.print_claim(second, clock.now()).unwrap().unwrap();
        let err = store.print_cancel(second, "ana").unwrap_err();
        assert!(
            err.to_string().contains("may already be at the printer"),
            "{err}"
        );
        assert!(
            matches!(
                store.print_cancel(first, "ana"),
                Err(PrintJobError::WrongState { .. })
            ),
            "cancelled once"
        );
        assert_eq!(
            store.print_requeue(first).unwrap().state,
            PrintJobState::Queued,
            "retry puts it back"
        );
        assert!(matches!(
            store.print_cancel(PrintJobId(99), "ana"),
            Err(PrintJobError::Unknown(_))
        ));
    }

    #[test]
    fn bad_jobs_are_refused_with_the_fix() {
        let (mut store, _) = store();
        let mut job = NewPrintJob::new("zebra", "zpl", Vec::new(), "t");
        assert!(store
            .print_enqueue(&job)
            .unwrap_err()
            .to_string()
            .contains("render the label first"));
        job.data = PrintData::Bytes(b"x".to_vec());
        job.copies = 0;
        assert!(store
            .print_enqueue(&job)
            .unwrap_err()
            .to_string()
            .contains("1 to 1000"));
    }
}
