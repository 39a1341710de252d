//! The local store: one SQLite file in WAL mode holding devices, their serials, bench slots,
//! the outbox of changes bound for Intune, and an append-only event log.
//!
//! Layout: one module per table or group of tables (`devices`, `serials`, `events`, `slots`,
//! `intune`, `outbox`, `tenant`, `audit`, `batches`, `print_jobs`, `held_scans`: schema, row type
//! and queries together), `lease` the owners and leases of print job and outbox claims,
//! `migrations` puts the schemas in order, `sighting` holds the identity rule that decides which
//! device a sighting belongs to, and `handle` shares one opened store within a process
//! ([`StoreHandle`]). [`Store`] owns the connection, the path and a [`Clock`],
//! and turns SQLite errors into [`StoreError`]s that name the file and the fix.
//!
//! Rows are plain: ids, strings, numbers, times and JSON. The store sits on the ground floor
//! (`ids`, `clock`, and `remedy` for the next step its errors name), `identity` and the audit record types, and knows no domain type; the
//! modules above turn rows into their own types (batches, Intune statuses, tenant settings,
//! printers) and report a row they cannot read with [`Store::unreadable`].
//!
//! Durability: `journal_mode=WAL` with `synchronous=FULL`. WAL with `NORMAL` already survives a
//! killed process (a commit is in the WAL in the OS page cache when `commit` returns), but it can
//! lose the last commits on power loss, and bench PCs get unplugged. `FULL` syncs the WAL on
//! every commit; the bench writes a few rows a second at most, so the cost does not show, and an
//! event the app has reported as recorded stays recorded ("offline for days without losing an
//! event", DESIGN.md). At rest: `secure_delete` overwrites what is cleared, and a folder and
//! file made here are owner-only (`-wal`, `-shm` take the file's mode; `doctor` mends others).

mod audit;
mod audit_heads;
mod batches;
mod box_labels;
mod devices;
mod events;
mod handle;
mod held_scans;
mod intune;
mod lease;
mod lock;
mod migrations;
mod outbox;
mod print_jobs;
mod serials;
mod sighting;
mod slot_moves;
mod slots;
mod tenant;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use crate::clock::{timestamp, Clock, SystemClock};
use crate::ids::{DeviceId, EventId};

pub use audit::{AuditCheck, AuditFilter, AUDIT_GENESIS};
pub use audit_heads::SignedAuditCheck;
pub use batches::{
    BatchRow, BatchStoreError, JoinedBy, NewBatchRow, StoredReport, EVENT_BATCH_JOINED,
    EVENT_DEM_SIGN_IN, EVENT_POWERED_OFF, EVENT_QR_SHOWN, EVENT_SERIAL_IMPORTED,
    EVENT_USER_LOGGED_ON, TECHNICIAN_SETTING,
};
pub use box_labels::EVENT_BOX_LABEL;
pub use devices::DeviceRecord;
pub use events::EventRecord;
pub use handle::StoreHandle;
pub use held_scans::HeldScanRow;
pub use intune::{
    IntuneChange, IntuneLinkRow, StatusChanges, EVENT_INTUNE_CHANGED, EVENT_INTUNE_GONE,
    EVENT_INTUNE_SEEN,
};
pub use lease::{ClaimToken, RENEW_CHECK};
pub use lock::WriteLock;
pub use outbox::{
    OutboxClaim, OutboxCounts, OutboxError, OutboxItem, OutboxState, EVENT_OUTBOX_CLAIMED,
    EVENT_OUTBOX_DONE, EVENT_OUTBOX_ENQUEUED, EVENT_OUTBOX_FAILED, EVENT_OUTBOX_RECOVERED,
    EVENT_OUTBOX_RETRY, EVENT_OUTBOX_SUPERSEDED, OUTBOX_LEASE,
};
pub use print_jobs::{
    NewPrintJob, PrintClaim, PrintData, PrintJob, PrintJobError, PrintJobState, PrinterRow,
    PRINT_LEASE,
};
pub use serials::SerialRecord;
pub use sighting::{Sighting, SightingOutcome};
pub use slot_moves::{Attached, SlotMove};
pub use slots::{
    is_usb_port_path, normalize_port_path, Slot, SlotError, EVENT_SLOT_ASSIGNED, EVENT_SLOT_FREED,
    MAX_SLOT,
};
pub use tenant::TenantRow;

/// The store's file name inside the data folder.
pub const FILE_NAME: &str = "stagebench.sqlite3";

/// Environment variable that replaces the OS data folder (tests, E2E runs, portable installs).
pub const DATA_DIR_ENV: &str = "STAGEBENCH_DATA_DIR";

/// How long a write waits for another process (the CLI beside the app) to finish its own.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Event kind appended by [`Store::record_sighting`].
pub const EVENT_SEEN: &str = "seen";

/// Event kind appended when a sighting matches more than one device.
pub const EVENT_IDENTITY_CONFLICT: &str = "identity-conflict";

/// Why the store could not do what was asked. Each message names the file and the next step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Neither `STAGEBENCH_DATA_DIR` nor a home folder is available.
    #[error(
        "no data folder: the OS reports no home folder; set {DATA_DIR_ENV} to a writable folder"
    )]
    NoDataDir,
    /// The folder for the store could not be created.
    #[error("cannot create the data folder {}: {source}; make it writable or set {DATA_DIR_ENV} to another folder", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not an SQLite database, or it is damaged.
    #[error("{} is not a StageBench store or is damaged ({source}); move it aside (for example rename it to {}.damaged) and start again to create a new store; StageBench never deletes it", path.display(), path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file is an SQLite database of another application.
    #[error("{} is an SQLite database of another application (application_id {application_id:#x}); point {DATA_DIR_ENV} elsewhere or move the file aside; StageBench leaves it untouched", path.display())]
    ForeignDatabase {
        /// The file.
        path: PathBuf,
        /// The `PRAGMA application_id` found.
        application_id: i32,
    },
    /// The file was written by a newer StageBench.
    #[error("{} was written by a newer StageBench (schema version {found}, this build knows up to {known}); update StageBench to open it", path.display())]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
    /// Another process held the store locked for longer than [`BUSY_TIMEOUT`].
    #[error("{} stayed locked by another process for {}s; close other StageBench windows or command-line runs and retry", path.display(), BUSY_TIMEOUT.as_secs())]
    Busy {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A schema migration failed; the transaction rolled back and the file is unchanged.
    #[error("cannot update the schema of {}: {source}; the file is unchanged, report this with a support bundle", path.display())]
    Migration {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: rusqlite_migration::Error,
    },
    /// An event was attached to a device id the store does not have.
    #[error("no device {0} in the store; record a sighting first")]
    UnknownDevice(DeviceId),
    /// A second connection was asked of a store that lives in memory (tests, dry runs).
    #[error("an in-memory store has no second connection; open the store from a file")]
    InMemory,
    /// Any other SQLite error.
    #[error("store {}: {source}", path.display())]
    Sqlite {
        /// The file (`:memory:` for an in-memory store).
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

/// The StageBench store. One per process is enough; other processes (the CLI) may open the same
/// file at the same time.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    clock: Box<dyn Clock>,
    signer: Option<std::sync::Arc<dyn crate::audit::HeadSigner>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store at `path`, creating missing folders and bringing the schema
    /// up to date. A file that is not a StageBench store gives [`StoreError::Damaged`] or
    /// [`StoreError::ForeignDatabase`] and is left as it was.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // Owner-only from the start: a folder made here, and the file before SQLite opens it.
        stagebench_files::create_private_file(path).map_err(|e| StoreError::CreateDir {
            path: e.path,
            source: e.source,
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| classify(path, source))?;
        Store::init(conn, Some(path.to_owned()))
    }

    /// Opens an existing store at `path` to read only (a watcher beside the app, such as the
    /// simulated bench): nothing is created, migrated or written; what the schema lacks yet
    /// reads as an error of the query that needed it.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| classify(path, source))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| classify(path, source))?;
        migrations::check_owner(&conn, path)?;
        Ok(Store {
            conn,
            path: Some(path.to_owned()),
            clock: Box::new(SystemClock),
            signer: None,
        })
    }

    /// Opens the store in [`Store::data_dir`].
    pub fn open_default() -> Result<Store, StoreError> {
        Store::open(&Store::data_dir()?.join(FILE_NAME))
    }

    /// A fresh store that lives in memory (tests, dry runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|source| classify(Path::new(":memory:"), source))?;
        Store::init(conn, None)
    }

    /// The data folder: `$STAGEBENCH_DATA_DIR` when set and not empty, else the OS data folder
    /// (`~/.local/share/stagebench` on Linux, `~/Library/Application Support/dev.StageBench.StageBench`
    /// on macOS, `%APPDATA%\StageBench\StageBench\data` on Windows).
    pub fn data_dir() -> Result<PathBuf, StoreError> {
        data_dir_from(std::env::var_os(DATA_DIR_ENV))
    }

    /// The file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Replaces the clock (tests pass a [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Store {
        self.clock = Box::new(clock);
        self
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| classify(&shown, source))?;
        // Processes creating the file at once can meet SQLITE_BUSY where SQLite does not wait
        // (switching to WAL, a lock upgrade it treats as a deadlock); every step is idempotent,
        // so retry them for as long as a write would wait.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match Store::prepare(&mut conn, &shown) {
                Err(StoreError::Busy { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                result => break result?,
            }
        }
        Ok(Store {
            conn,
            path,
            clock: Box::new(SystemClock),
            signer: None,
        })
    }

    /// Settings and schema, once per connection.
    fn prepare(conn: &mut Connection, shown: &Path) -> Result<(), StoreError> {
        let err = |source| classify(shown, source);
        // Read the header before writing anything (switching to WAL rewrites two header bytes):
        // a file that is not SQLite, or belongs to another application, stays as it was.
        migrations::check_owner(conn, shown)?;
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(err)?;
        // Cleared values (a print job's label) are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(err)?;
        // Every transaction on this connection writes, so take the write lock at BEGIN (see
        // `transact`); the migrations' own transaction follows this too.
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        migrations::migrate(conn, shown)
    }

    fn shown_path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(":memory:"))
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        classify(self.shown_path(), source)
    }

    /// The error for a value this store holds that a module above cannot read as its own type
    /// (written by a newer StageBench, or changed behind its back): a conversion error that
    /// names the file, as SQLite's own are.
    pub fn unreadable(
        &self,
        why: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> StoreError {
        self.err(rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            why.into(),
        ))
    }

    fn now(&self) -> String {
        timestamp(self.clock.now())
    }

    /// The store clock's current time.
    pub fn clock_now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// Records that a device was seen with these serials, at this slot, with these facts: finds
    /// the device by the identity rule (see [`Sighting`]) or creates one, adds new serials,
    /// refreshes `last_seen`, slot and facts, and appends a `seen` event. Returns the device.
    pub fn record_sighting(&mut self, sighting: &Sighting) -> Result<DeviceId, StoreError> {
        self.record_sighting_outcome(sighting)
            .map(|outcome| outcome.device)
    }

    /// As [`Store::record_sighting`], and also says whether the device is new and which other
    /// devices the sighting matched.
    pub fn record_sighting_outcome(
        &mut self,
        sighting: &Sighting,
    ) -> Result<SightingOutcome, StoreError> {
        let now = self.now();
        self.transact(|tx| sighting::record(tx, sighting, &now))
    }

    /// Runs `f` in one transaction: all of it is committed, or none.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front. A deferred transaction that reads and
    /// then writes fails at once with `SQLITE_BUSY_SNAPSHOT` when another process (the CLI) wrote
    /// in between, without waiting out the busy timeout.
    fn transact<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let result = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .and_then(|tx| {
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            });
        result.map_err(|e| self.err(e))
    }

    /// Every device, oldest first.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        devices::all(&self.conn).map_err(|e| self.err(e))
    }

    /// One device, or `None` when the store has no such id.
    pub fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        devices::get(&self.conn, id).map_err(|e| self.err(e))
    }

    /// Devices that have `value` (trimmed, case-sensitive) among their serials, from any source.
    pub fn devices_with_serial(&self, value: &str) -> Result<Vec<DeviceId>, StoreError> {
        let mut ids: Vec<DeviceId> = serials::with_value(&self.conn, value.trim())
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ids.dedup();
        Ok(ids)
    }

    /// The device last seen at `slot` (a USB port path or an address), unless another device
    /// has been seen there since.
    pub fn device_at_slot(&self, slot: &str) -> Result<Option<DeviceId>, StoreError> {
        devices::at_slot(&self.conn, slot.trim()).map_err(|e| self.err(e))
    }

    /// Appends an event, about a device or about the bench (`None`). Events are never changed or
    /// deleted: the table refuses it.
    pub fn append_event(
        &mut self,
        device: Option<DeviceId>,
        kind: &str,
        data: &serde_json::Value,
    ) -> Result<EventId, StoreError> {
        let now = self.now();
        events::append(&self.conn, device, &now, kind, data).map_err(|e| {
            match (device, is_foreign_key(&e)) {
                (Some(id), true) => StoreError::UnknownDevice(id),
                _ => self.err(e),
            }
        })
    }

    /// The newest `limit` events, of one device or (`None`) of all, returned oldest first.
    pub fn events(
        &self,
        device: Option<DeviceId>,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        events::latest(&self.conn, device, limit).map_err(|e| self.err(e))
    }

    /// Every event of `device`, oldest first.
    pub fn device_events(&self, device: DeviceId) -> Result<Vec<EventRecord>, StoreError> {
        self.events(Some(device), usize::MAX)
    }

    /// The connection, for tables added by other modules of this crate.
    #[allow(dead_code)]
    pub(crate) fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

fn data_dir_from(env: Option<std::ffi::OsString>) -> Result<PathBuf, StoreError> {
    match env.filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => directories::ProjectDirs::from("dev", "StageBench", "StageBench")
            .map(|dirs| dirs.data_dir().to_owned())
            .ok_or(StoreError::NoDataDir),
    }
}

/// Turns an SQLite error into the [`StoreError`] that tells the technician what to do.
fn classify(path: &Path, source: rusqlite::Error) -> StoreError {
    let path = path.to_owned();
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StoreError::Damaged { path, source }
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy { path, source }
        }
        _ => StoreError::Sqlite { path, source },
    }
}

fn is_foreign_key(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

/// Reads a JSON column written by this module.
fn json_column(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<serde_json::Value> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

#[cfg(test)]
mod tests;
