//! A print job's life: queued, due (jobs whose lease ran out go back in line first), held
//! unclaimed while its printer is not ready, claimed (with an owner token and a lease the
//! sender renews), and finished by its owner: done (with its audit record), retried later, or
//! failed; a failed job is requeued by hand and a queued one cancelled.

use std::time::Duration;

use rusqlite::params;
use time::OffsetDateTime;

use super::{
    from_row, get, NewPrintJob, PrintClaim, PrintData, PrintJob, PrintJobError, PrintJobState,
    COLUMNS, PRINT_LEASE,
};
use crate::audit::{AuditAction, AuditEntry};
use crate::clock::timestamp;
use crate::ids::{BatchId, PrintJobId};
use crate::store::lease::{self, lease_until};
use crate::store::{audit, ClaimToken, Store, StoreError};

fn later(now: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| now.checked_add(by))
        .unwrap_or(now + time::Duration::days(365))
}

impl Store {
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
        let (data, path, sealed_key) = match &job.data {
            PrintData::Bytes(bytes) | PrintData::Sealed { bytes, .. } if bytes.is_empty() => {
                return Err(PrintJobError::Invalid(
                    "the document is empty; render the label first".into(),
                ))
            }
            PrintData::Cleared => {
                return Err(PrintJobError::Invalid(
                    "the document was cleared; render the label again".into(),
                ))
            }
            PrintData::Bytes(bytes) => (Some(bytes.as_slice()), None, None),
            PrintData::Sealed { bytes, key } => (Some(bytes.as_slice()), None, Some(key.as_str())),
            PrintData::Path(path) => (None, Some(path.to_string_lossy().into_owned()), None),
        };
        let now = self.now();
        Ok(self.transact(|tx| {
            tx.prepare_cached(
                "INSERT INTO print_jobs (created, printer, document_kind, data, path, title, copies,
                                         next_attempt_at, actor, batch_id, device_serial, label_kind, updated,
                                         secret, sealed_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1, ?8, ?9, ?10, ?11, ?1, ?12 IS NOT NULL, ?12)",
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
                sealed_key,
            ])?;
            Ok(PrintJobId(tx.last_insert_rowid()))
        })?)
    }

    /// Up to `limit` queued jobs due at `now`, oldest first. Jobs whose claim's lease ran out
    /// by `now` (their process died: a live sender renews it) go back in line first.
    pub fn print_due(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<PrintJob>, StoreError> {
        let at = timestamp(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.transact(|tx| {
            tx.prepare_cached(
                "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?1, updated = ?1,
                        last_error = coalesce(last_error, 'the process sending it stopped; sent again')
                 WHERE state = 'sending' AND lease_until <= ?1",
            )?
            .execute(params![at])?;
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM print_jobs
                 WHERE state = 'queued' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![at, limit], from_row)?;
            rows.collect()
        })
    }

    /// Marks job `id` `sending` (one more attempt) when it is still queued, at the store
    /// clock's time, with a fresh owner token and a lease of [`PRINT_LEASE`]; `None` when
    /// another process claimed it first.
    pub fn print_claim(&mut self, id: PrintJobId) -> Result<Option<PrintClaim>, StoreError> {
        let now = self.clock_now();
        let (at, until) = (timestamp(now), lease_until(now, PRINT_LEASE));
        let token = ClaimToken::new();
        self.transact(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE print_jobs SET state = 'sending', attempts = attempts + 1, claimed_at = ?2,
                                           claim_owner = ?3, lease_until = ?4, updated = ?2
                     WHERE id = ?1 AND state = 'queued'",
                )?
                .execute(params![id.0, at, token.as_str(), until])?;
            if changed == 1 {
                Ok(get(tx, id)?.map(|job| PrintClaim { token, job }))
            } else {
                Ok(None)
            }
        })
    }

    /// Pushes the lease of the claim `token` holds out to [`PRINT_LEASE`] from the store
    /// clock's now (a send still running). `false` when the claim is no longer held: its lease
    /// ran out and another process took the job over, or its result was reported.
    pub fn print_renew(&mut self, token: &ClaimToken) -> Result<bool, StoreError> {
        let until = lease_until(self.clock_now(), PRINT_LEASE);
        self.transact(|tx| lease::renew(tx, "print_jobs", "sending", token, &until))
    }

    /// Holds queued, unclaimed job `id` until `delay` after `now` with `why` (its printer is not
    /// ready); no attempt is spent. `None` when it is no longer queued (another process claimed
    /// or finished it meanwhile).
    pub fn print_hold(
        &mut self,
        id: PrintJobId,
        now: OffsetDateTime,
        delay: Duration,
        why: &str,
    ) -> Result<Option<PrintJob>, StoreError> {
        let at = timestamp(now);
        let next = timestamp(later(now, delay));
        self.transact(|tx| {
            let changed = tx.execute(
                "UPDATE print_jobs SET next_attempt_at = ?2, last_error = ?3, updated = ?4
                 WHERE id = ?1 AND state = 'queued'",
                params![id.0, next, why, at],
            )?;
            if changed == 1 {
                get(tx, id)
            } else {
                Ok(None)
            }
        })
    }

    /// The printer took job `id`, sent under the claim `token` holds: it is done, its audit
    /// record appended in the same transaction.
    pub fn print_done(
        &mut self,
        id: PrintJobId,
        token: &ClaimToken,
        now: OffsetDateTime,
        remote_job: Option<&str>,
    ) -> Result<PrintJob, PrintJobError> {
        let at = timestamp(now);
        let (audit_at, signer) = (self.now(), self.audit_signer());
        self.print_finish(id, token, |tx, job| {
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
            audit::append(tx, &entry, &audit_at, signer.as_deref())?;
            Ok(())
        })
    }

    /// Sending job `id` under the claim `token` holds failed for now: it is due again after
    /// `delay`.
    pub fn print_retry(
        &mut self,
        id: PrintJobId,
        token: &ClaimToken,
        now: OffsetDateTime,
        delay: Duration,
        error: &str,
    ) -> Result<PrintJob, PrintJobError> {
        let at = timestamp(now);
        let next = timestamp(later(now, delay));
        self.print_finish(id, token, |tx, _| {
            tx.execute(
                "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?2, last_error = ?3, updated = ?4 WHERE id = ?1",
                params![id.0, next, error, at],
            )
            .map(drop)
        })
    }

    /// Job `id`, sent under the claim `token` holds, was refused for good (or ran out of
    /// attempts): it stays, failed, with `error`.
    pub fn print_fail(
        &mut self,
        id: PrintJobId,
        token: &ClaimToken,
        now: OffsetDateTime,
        error: &str,
    ) -> Result<PrintJob, PrintJobError> {
        let at = timestamp(now);
        self.print_finish(id, token, |tx, _| {
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
            if is_cleared(tx, id)? {
                return Ok(Err(PrintJobError::Cleared(id)));
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

    /// Ended jobs (done or failed) whose sealed document's key is still named: the keyring
    /// entries to remove, then to mark forgotten with [`Store::print_key_forgotten`].
    pub fn print_sealed_ended(&self) -> Result<Vec<(PrintJobId, String)>, StoreError> {
        let read = || -> rusqlite::Result<Vec<(PrintJobId, String)>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, sealed_key FROM print_jobs
                 WHERE sealed_key IS NOT NULL AND state IN ('done', 'failed') ORDER BY id",
            )?;
            let rows = stmt.query_map([], |row| Ok((PrintJobId(row.get(0)?), row.get(1)?)))?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }

    /// The keyring entry of ended job `id` was removed: the job names it no more.
    pub fn print_key_forgotten(&mut self, id: PrintJobId) -> Result<(), StoreError> {
        self.transact(|tx| {
            tx.execute(
                "UPDATE print_jobs SET sealed_key = NULL
                 WHERE id = ?1 AND state IN ('done', 'failed')",
                [id.0],
            )
            .map(drop)
        })
    }

    /// Runs `f` on job `id` when `token` holds its last claim and it awaits a result
    /// (`sending`, or `queued` again after its lease ran out and no one claimed it since), then
    /// returns the job as it is now. Anyone else's result changes nothing
    /// ([`PrintJobError::ClaimLost`]).
    fn print_finish(
        &mut self,
        id: PrintJobId,
        token: &ClaimToken,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &PrintJob) -> rusqlite::Result<()>,
    ) -> Result<PrintJob, PrintJobError> {
        let outcome = self.transact(|tx| {
            let Some(job) = get(tx, id)? else {
                return Ok(Err(PrintJobError::Unknown(id)));
            };
            if !lease::is_owner(tx, "print_jobs", id.0, token)? {
                return Ok(Err(PrintJobError::ClaimLost {
                    id,
                    state: job.state,
                }));
            }
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
}

/// Whether job `id`'s document carried a secret and was cleared when the job ended.
fn is_cleared(tx: &rusqlite::Transaction<'_>, id: PrintJobId) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT secret = 1 AND coalesce(length(data), 0) = 0 AND path IS NULL FROM print_jobs WHERE id = ?1",
        [id.0],
        |row| row.get(0),
    )
}
