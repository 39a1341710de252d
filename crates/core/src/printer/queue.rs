//! The print queue's worker: [`drain_once`] sends every due job in the store's `print_jobs`
//! table through a [`PrintTransport`] and records what happened. Call it on a timer (the app)
//! or once (the CLI); it never waits for a backoff, the next call picks the job up when due.
//!
//! Transient failures (refused connections, timeouts, a busy printer) go back in line with
//! backoff from a [`RetryPolicy`] until its attempts are used up; permanent ones (wrong document
//! format, bad address, unknown printer) fail at once. Either way the job's `last_error` says
//! which printer and what to do.
//!
//! Each job is claimed when its turn comes, at the store clock's time and with an owner token
//! of its own; the lease is renewed while the printer takes the job, and the result is reported
//! under the token. A result the store refuses because another process took the job over (this
//! one stalled past the lease) is listed as lost, not as an error of the pass.
//!
//! Before a ZPL job goes to a raw or serial printer the queue asks the printer's status
//! ([`PrintTransport::status`]). When it reports something that stops it printing (out of
//! labels, head open, paused, out of ribbon…) the job is not sent: it stays queued, unclaimed
//! and without spending an attempt, with a `last_error` that says what to do, and is looked at
//! again after [`NOT_READY_RECHECK`]. A printer that does not answer (status unknown) gets the
//! job as before. Each printer is asked at most once per job, and a printer that did not answer
//! or was not ready is not asked again in the same pass.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use super::sealed::{self, SealError};
use super::{
    check_document, Document, DocumentKind, PrintError, PrintTransport, PrinterConfig,
    PrinterStatus, PrinterStore, PrinterTarget, Readiness,
};
use crate::ids::PrintJobId;
use crate::intune::auth::{OsKeyring, SecretStore};
use crate::intune::backoff::RetryPolicy;
use crate::store::{
    PrintClaim, PrintData, PrintJob, PrintJobError, Store, StoreError, PRINT_LEASE,
};

/// The policy the queue uses unless told otherwise: 5 attempts, 2 s doubling to at most 60 s,
/// with jitter (about two minutes of trying before a job is marked failed).
pub const PRINT_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 5,
    base: Duration::from_secs(2),
    max_delay: Duration::from_secs(60),
    jitter: true,
};

/// How long a job held for a printer that is not ready (out of labels, head open…) waits
/// before the queue asks the printer again.
pub const NOT_READY_RECHECK: Duration = Duration::from_secs(15);

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrintDrainReport {
    /// Jobs the printer took.
    pub done: Vec<PrintJobId>,
    /// Jobs that failed for now, with the error; they are due again later. Jobs held because
    /// their printer is not ready are here too, with what to do.
    pub retried: Vec<(PrintJobId, String)>,
    /// Jobs that failed for good, with the message the technician sees.
    pub failed: Vec<(PrintJobId, String)>,
    /// Jobs another process took over while this one was sending (it stalled past the lease):
    /// their results were not recorded, with why.
    pub lost: Vec<(PrintJobId, String)>,
}

/// Sends every job due at `now`, oldest first, through `transport`; sealed documents (labels
/// that carry a secret) are opened with their keys from the OS keyring.
pub async fn drain_once<T: PrintTransport>(
    store: &mut Store,
    transport: &T,
    policy: &RetryPolicy,
    now: OffsetDateTime,
) -> Result<PrintDrainReport, PrintJobError> {
    drain_once_with(store, transport, &OsKeyring::new(), policy, now).await
}

/// [`drain_once`] with sealed documents' keys in `secrets`. After the pass, the keys of jobs
/// that ended (here or elsewhere: cancelled, failed, done by another process) are removed
/// ([`sealed::forget_ended`]).
pub async fn drain_once_with<T: PrintTransport>(
    store: &mut Store,
    transport: &T,
    secrets: &dyn SecretStore,
    policy: &RetryPolicy,
    now: OffsetDateTime,
) -> Result<PrintDrainReport, PrintJobError> {
    let mut report = PrintDrainReport::default();
    // Printers asked this pass whose answer holds for the rest of it (not ready, or silent).
    let mut settled: HashMap<String, PrinterStatus> = HashMap::new();
    for due in store.print_due(now, 100)? {
        if let Some(message) = not_ready(store, transport, &due, &mut settled).await {
            // Not claimed: the attempt is not spent while someone loads labels. `None`: another
            // process claimed or finished it meanwhile.
            if store
                .print_hold(due.id, now, NOT_READY_RECHECK, &message)?
                .is_some()
            {
                report.retried.push((due.id, message));
            }
            continue;
        }
        let Some(PrintClaim { token, job }) = store.print_claim(due.id)? else {
            continue; // another process took it
        };
        let sent = match prepare(store, secrets, &job).await {
            Ok((printer, document)) => {
                let sending = transport.send(&printer, &document, job.copies);
                store
                    .while_renewing(PRINT_LEASE, |s| s.print_renew(&token), sending)
                    .await
                    .map(|sent| sent.remote_job)
                    .map_err(QueueError::from)
            }
            Err(error) => Err(error),
        };
        let settled = match sent {
            Ok(remote_job) => store
                .print_done(job.id, &token, now, remote_job.as_deref())
                .map(|_| report.done.push(job.id)),
            Err(error) => {
                let delay = if error.is_transient() {
                    policy.next_delay(job.attempts, None, &mut rand::thread_rng())
                } else {
                    None
                };
                match delay {
                    Some(delay) => {
                        let message = error.to_string();
                        store
                            .print_retry(job.id, &token, now, delay, &message)
                            .map(|_| report.retried.push((job.id, message)))
                    }
                    None => {
                        let message = if error.is_transient() {
                            format!(
                                "gave up after {} attempts: {error}; then retry print job {}",
                                job.attempts, job.id.0
                            )
                        } else {
                            error.to_string()
                        };
                        store
                            .print_fail(job.id, &token, now, &message)
                            .map(|_| report.failed.push((job.id, message)))
                    }
                }
            }
        };
        match settled {
            Ok(()) => {}
            Err(error @ PrintJobError::ClaimLost { .. }) => {
                tracing::warn!(%error, "a print result was not recorded");
                report.lost.push((job.id, error.to_string()));
            }
            Err(other) => return Err(other),
        }
    }
    // A key left behind is a key to nothing the store still holds; the next pass tries again.
    if let Err(e) = sealed::forget_ended(store, secrets).await {
        tracing::warn!("could not remove ended print jobs' keys from the keyring: {e}");
    }
    Ok(report)
}

/// Why `job` must wait, when it is ZPL for a raw or serial printer that says it cannot print.
async fn not_ready<T: PrintTransport>(
    store: &Store,
    transport: &T,
    job: &PrintJob,
    settled: &mut HashMap<String, PrinterStatus>,
) -> Option<String> {
    if job.kind != DocumentKind::Zpl.name() {
        return None;
    }
    // An unknown printer or a store error: the send path reports it properly.
    let printer = store.printer(&job.printer).ok()??;
    if !matches!(
        printer.target,
        PrinterTarget::Raw { .. } | PrinterTarget::Serial { .. }
    ) {
        return None;
    }
    let status = match settled.get(&printer.name) {
        Some(status) => status.clone(),
        None => {
            let status = transport.status(&printer).await;
            // A ready printer is asked again before its next job (it may run out mid-batch);
            // any other answer stands for this pass, so a silent printer costs one wait.
            if status.readiness != Readiness::Ready {
                settled.insert(printer.name.clone(), status.clone());
            }
            status
        }
    };
    status.hold_message()
}

/// The printer and the document of a claimed job, ready to send; a sealed document is opened
/// with its key from `secrets`.
async fn prepare(
    store: &Store,
    secrets: &dyn SecretStore,
    job: &PrintJob,
) -> Result<(PrinterConfig, Document), QueueError> {
    let printer = store
        .printer(&job.printer)?
        .ok_or_else(|| QueueError::UnknownPrinter(job.printer.clone()))?;
    let kind: DocumentKind = job.kind.parse().map_err(|e: String| store.unreadable(e))?;
    check_document(&printer, kind)?;
    let bytes = match store.print_job_data(job.id)? {
        Some(PrintData::Bytes(bytes)) => bytes,
        Some(PrintData::Path(path)) => crate::limits::read_file(&path, &crate::limits::PRINT_FILE)
            .map_err(|e| QueueError::File {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?,
        Some(PrintData::Sealed { bytes, key }) => sealed::open(secrets, &key, &bytes).await?,
        Some(PrintData::Cleared) => return Err(QueueError::Cleared(job.id)),
        None => {
            return Err(QueueError::Store(StoreError::Sqlite {
                path: store.path().map(ToOwned::to_owned).unwrap_or_default(),
                source: rusqlite::Error::QueryReturnedNoRows,
            }))
        }
    };
    let title = if job.title.is_empty() {
        format!("StageBench job {}", job.id.0)
    } else {
        job.title.clone()
    };
    Ok((printer, Document { kind, bytes, title }))
}

/// Why a job could not be sent, beyond the printer's own errors.
#[derive(Debug, thiserror::Error)]
enum QueueError {
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error("no printer named {0} on this bench; add a printer named {0}, then retry the job")]
    UnknownPrinter(String),
    #[error("cannot read the label file {path}: {detail}; render the label again")]
    File { path: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sealed(#[from] SealError),
    #[error("{}", PrintJobError::Cleared(*.0))]
    Cleared(PrintJobId),
}

impl QueueError {
    fn is_transient(&self) -> bool {
        match self {
            QueueError::Print(e) => e.is_transient(),
            // A locked keyring may open later; a missing key or a damaged document won't.
            QueueError::Store(_) | QueueError::Sealed(SealError::Keyring(_)) => true,
            QueueError::UnknownPrinter(_)
            | QueueError::File { .. }
            | QueueError::Sealed(_)
            | QueueError::Cleared(_) => false,
        }
    }
}
