//! Keeping the bench and Intune in step: read each bench device's Intune status into its
//! history, and drain the outbox of changes bound for Intune.
//!
//! The Graph side is behind [`IntuneDirectory`] (the Graph client implements it; tests use an
//! in-memory one), so the rules here are tested without HTTP:
//!
//! - **Matching.** A bench device whose Intune id is known is looked up by id (the serial leaves
//!   the name at stage 3; a 404 means it left Intune, and it is then looked up by serial again,
//!   because a factory reset and re-enrollment gives a new id). Other devices are looked up by
//!   each of their identifying serials (placeholders such as `1234567890ABCDEF` and network
//!   addresses never are: they would match strangers). An Intune device that matches more than
//!   one bench device by serial is recorded unmatched and reported as ambiguous rather than
//!   guessed.
//! - **Outbox.** Due items are claimed, sent as one `$batch`, and settled one by one: done;
//!   retried later (throttled, 5xx, timeout, offline — offline never uses up attempts, so a bench
//!   offline for days loses nothing); failed for good (a 4xx Graph will refuse again, or retries
//!   used up); or, on 401 that a refresh did not cure, put back and the drain stops to ask for a
//!   sign-in.
//!
//! Layout: this file holds the Graph seam ([`IntuneDirectory`], what a lookup and a send
//! return, [`SyncError`]); `refresh` reads Intune's status into the store ([`refresh_status`]);
//! `drain` sends the outbox ([`drain_outbox`]); `notes` writes the bench's stage summary into a
//! device's Intune notes ([`stage_summary`], [`merge_notes`], [`queue_notes`]); `tests` runs
//! them against an in-memory directory.

use std::collections::BTreeMap;

use super::backoff::RetryAfter;
use super::status::IntuneStatus;
use super::{BoxFuture, SignInError};
use crate::remedy::{HasRemedy, Remedy};
use crate::store::{OutboxItem, StoreError};

mod drain;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
mod notes;
mod refresh;
#[cfg(test)]
mod tests;

pub use drain::{drain_outbox, OutboxDrainReport};
pub use notes::{merge_notes, queue_notes, stage_summary, NOTES_BEGIN, NOTES_END};
pub use refresh::{refresh_status, RefreshReport};

/// Outbox kind: a device's notes (the bench's stage summary block).
pub const KIND_NOTES: &str = "device-notes";
/// Outbox kind: set a Windows device's primary user.
pub const KIND_PRIMARY_USER: &str = "primary-user";
/// Outbox kind: import corporate identifiers.
pub const KIND_IDENTITIES: &str = "corporate-identifiers";

/// Items per drain round: Graph's `$batch` limit.
pub const BATCH: usize = crate::intune::graph::BATCH_MAX;

/// Serials or ids handed to the directory per call: many `$batch`es' worth (the client keeps
/// several in flight), few enough that a huge fleet is not held in memory at once.
pub(crate) const LOOKUP_CHUNK: usize = 1000;

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Sign-in needed (the drain put everything back first).
    #[error(transparent)]
    Auth(#[from] SignInError),
    /// Graph or the network could not be reached; nothing was lost, the outbox waits.
    #[error("Intune is unreachable ({0}); working offline, changes wait in the outbox")]
    Offline(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Graph answered something the client could not use.
    #[error("Graph: {0}")]
    Graph(String),
}

impl HasRemedy for SyncError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            SyncError::Auth(e) => e.remedy(),
            SyncError::Offline(_) | SyncError::Store(_) | SyncError::Graph(_) => None,
        }
    }
}

/// Results of a lookup: what was found, and the keys whose lookup failed (with why), which the
/// next sync tries again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lookup<T> {
    /// By key (serial or Intune id).
    pub found: BTreeMap<String, T>,
    /// Keys that could not be looked up this time.
    pub failed: Vec<(String, String)>,
}

/// How one outbox item fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Graph took it.
    Done,
    /// Try again: throttled or a passing fault, with the server's `Retry-After` if it gave one.
    Retry {
        /// Why.
        error: String,
        /// The server's wait.
        retry_after: Option<RetryAfter>,
    },
    /// Not sent: the network or Graph is unreachable (does not use up attempts).
    Offline(String),
    /// 401 even after a refresh: a sign-in is needed.
    Reauthenticate(String),
    /// Refused for good.
    Fail(String),
}

/// The Graph operations a sync needs.
pub trait IntuneDirectory: Send + Sync {
    /// Managed devices whose `serialNumber` equals each serial (re-checked on our side), keyed
    /// by the serial asked for; a serial Intune does not know maps to an empty list.
    fn find_by_serials<'a>(
        &'a self,
        serials: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Vec<IntuneStatus>>, SyncError>>;
    /// Managed devices by Intune id; `None` for an id Intune does not have (404).
    fn find_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Option<IntuneStatus>>, SyncError>>;
    /// Sends outbox items (at most [`BATCH`]); one outcome per item, in order.
    fn send<'a>(
        &'a self,
        items: &'a [OutboxItem],
    ) -> BoxFuture<'a, Result<Vec<SendOutcome>, SyncError>>;
}

fn outbox_err(e: crate::store::OutboxError) -> SyncError {
    match e {
        crate::store::OutboxError::Store(e) => SyncError::Store(e),
        other => SyncError::Graph(other.to_string()),
    }
}
