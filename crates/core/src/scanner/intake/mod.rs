//! The scanner intake service: one reader of the bench's serial-port scanner for a whole process
//! (started from the saved setting, restarted when the setting changes), each scan sent into the
//! active batch by the one rule ([`super::into_batch`]), and the scanner's status and recent
//! scans published as a [`ScannerView`] on a `tokio::sync::watch` channel.
//!
//! Held scans live in the store, so scans the CLI held show here too, and adding the held scans
//! to a batch takes them all, whoever held them.
//!
//! Layout: this file is the service; `tests` runs it on an in-memory store.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::box_label::{self, TieError};
use super::into_batch::{self, AddHeldError, ScanReply, ScanResult, Taken, WAITING_FOR_SLOT};
use super::{
    ScanError, ScanLine, ScannerEvent, ScannerSettings, ScannerSettingsError, ScannerStatus,
    ScannerWatcher,
};
use crate::ids::BatchId;
use crate::store::{HeldScanRow, StoreHandle};

/// How many recent scans are kept (held ones are kept beyond that until added).
pub const RECENT: usize = 30;

/// How often a missing or unusable port is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// One scan from the serial scanner, as the Settings and Batches screens list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScanRecord {
    /// Counts up for every scan since the app started (keys the rows).
    #[ts(type = "number")]
    pub id: u64,
    /// When it was read (RFC 3339).
    pub at: String,
    /// The serial (as linked, upper-case), or for a refused scan the part that may be shown.
    pub text: String,
    /// The AIM symbology identifier the scanner sent, if any.
    pub symbology: Option<String>,
    /// What became of it.
    pub result: ScanResult,
    /// Why it was refused or held, and what to do.
    pub message: Option<String>,
    /// Why the line was refused as no serial at all, as data (the message says it in words).
    pub refusal: Option<ScanError>,
    /// The batch it went into.
    pub batch: Option<BatchId>,
    /// That batch's name.
    pub batch_name: Option<String>,
    /// The kept row of a held or waiting scan (to tie it to a slot).
    #[ts(type = "number | null")]
    pub held: Option<i64>,
    /// The slot it was tied to, as a box label.
    pub slot: Option<u32>,
}

impl ScanRecord {
    fn new(at: String, text: String, symbology: Option<String>, taken: Taken) -> ScanRecord {
        let (batch, batch_name) = taken.batch.unzip();
        ScanRecord {
            id: 0,
            at,
            text,
            symbology,
            result: taken.result,
            message: taken.message,
            refusal: None,
            batch,
            batch_name,
            held: taken.held.map(|h| h.id),
            slot: taken.slot,
        }
    }

    /// Whether it is kept in the store (held, or waiting for a slot).
    fn is_kept(&self) -> bool {
        matches!(self.result, ScanResult::Held | ScanResult::Waiting)
    }

    fn from_held(row: &HeldScanRow) -> ScanRecord {
        ScanRecord {
            id: 0,
            at: row.at.clone(),
            text: row.text.clone(),
            symbology: row.symbology.clone(),
            result: match row.reason == WAITING_FOR_SLOT {
                true => ScanResult::Waiting,
                false => ScanResult::Held,
            },
            message: Some(row.reason.clone()),
            refusal: None,
            batch: None,
            batch_name: None,
            held: Some(row.id),
            slot: None,
        }
    }
}

/// The serial scanner as the views show it: its settings, status and recent scans (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScannerView {
    /// The saved settings.
    pub settings: ScannerSettings,
    /// Connected, waiting for the port, …
    pub status: ScannerStatus,
    /// Newest first.
    pub scans: Vec<ScanRecord>,
}

/// One serial-scanner reader shared by every view; cheap to clone (clones share it).
#[derive(Clone)]
pub struct ScannerIntake {
    inner: Arc<Inner>,
}

struct Inner {
    view: watch::Sender<ScannerView>,
    state: Mutex<State>,
    store: StoreHandle,
    on_joined: Box<dyn Fn() + Send + Sync>,
}

struct State {
    settings: ScannerSettings,
    status: ScannerStatus,
    scans: VecDeque<ScanRecord>,
    next_id: u64,
    /// Counts restarts, so a late event from a stopped reader is dropped.
    generation: u64,
    watcher: Option<ScannerWatcher>,
}

impl State {
    fn view(&self) -> ScannerView {
        ScannerView {
            settings: self.settings.clone(),
            status: self.status.clone(),
            scans: self.scans.iter().cloned().collect(),
        }
    }

    fn push(&mut self, mut record: ScanRecord) {
        record.id = self.next_id;
        self.next_id += 1;
        self.scans.push_front(record);
        while self.scans.len() > RECENT {
            match self.scans.iter().rposition(|r| !r.is_kept()) {
                Some(oldest) => drop(self.scans.remove(oldest)),
                None => break,
            }
        }
    }

    /// Lists the held scans the store has: new ones (held by another process) are added, and
    /// held ones the store no longer has (added elsewhere) leave.
    fn sync_held(&mut self, rows: &[HeldScanRow]) {
        let kept: HashSet<i64> = rows.iter().map(|r| r.id).collect();
        self.scans
            .retain(|r| r.held.is_none_or(|id| kept.contains(&id)) || !r.is_kept());
        let shown: HashSet<i64> = self.scans.iter().filter_map(|r| r.held).collect();
        for row in rows.iter().filter(|r| !shown.contains(&r.id)) {
            self.push(ScanRecord::from_held(row));
        }
    }
}

impl ScannerIntake {
    /// An intake taking scans into `store`; `on_joined` runs after a device joined a batch (the
    /// app refreshes the bench's cards then). Nothing is read until [`ScannerIntake::start`].
    pub fn new(store: StoreHandle, on_joined: impl Fn() + Send + Sync + 'static) -> ScannerIntake {
        let state = State {
            settings: ScannerSettings::default(),
            status: ScannerStatus::Off,
            scans: VecDeque::new(),
            next_id: 1,
            generation: 0,
            watcher: None,
        };
        ScannerIntake {
            inner: Arc::new(Inner {
                view: watch::Sender::new(state.view()),
                state: Mutex::new(state),
                store,
                on_joined: Box::new(on_joined),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes the view of `state` (called with the state locked, so views go out in order).
    fn publish(&self, state: &State) {
        self.inner.view.send_replace(state.view());
    }

    /// Lists the store's held scans and reads the saved scanner port, if one is set.
    pub fn start(&self) {
        self.refresh_held();
        let loaded = ScannerSettings::load(&self.inner.store.lock());
        match loaded {
            Ok(settings) => self.restart(settings),
            Err(e) => {
                tracing::warn!(error = %e, "the barcode scanner setting could not be read");
                let mut state = self.lock();
                state.status = ScannerStatus::Failed {
                    port: String::new(),
                    message: e.to_string(),
                };
                self.publish(&state);
            }
        }
    }

    /// The view now and after every change (held scans kept by other processes are listed
    /// first).
    pub fn subscribe(&self) -> watch::Receiver<ScannerView> {
        self.refresh_held();
        self.inner.view.subscribe()
    }

    /// The current settings.
    pub fn settings(&self) -> ScannerSettings {
        self.lock().settings.clone()
    }

    /// Saves `settings` as the bench's and reads their port from now on.
    pub fn save(&self, settings: ScannerSettings) -> Result<(), ScannerSettingsError> {
        settings.save(&mut self.inner.store.lock())?;
        self.restart(settings);
        Ok(())
    }

    /// Reads the port `settings` name from now on (stops the old reader; no port: off).
    pub fn restart(&self, settings: ScannerSettings) {
        let mut state = self.lock();
        state.generation += 1;
        state.watcher = None;
        state.status = match &settings.port {
            Some(port) => ScannerStatus::Opening { port: port.clone() },
            None => ScannerStatus::Off,
        };
        if let Some(port) = &settings.port {
            let (intake, generation) = (self.clone(), state.generation);
            match ScannerWatcher::start(port, settings.baud, RETRY, move |event| {
                intake.on_event(generation, event)
            }) {
                Ok(watcher) => state.watcher = Some(watcher),
                Err(e) => {
                    state.status = ScannerStatus::Failed {
                        port: port.clone(),
                        message: e.to_string(),
                    }
                }
            }
        }
        state.settings = settings;
        self.publish(&state);
    }

    fn on_event(&self, generation: u64, event: ScannerEvent) {
        match event {
            ScannerEvent::Status(status) => {
                let mut state = self.lock();
                if state.generation == generation {
                    state.status = status;
                    self.publish(&state);
                }
            }
            ScannerEvent::Line(line) => {
                if self.lock().generation == generation {
                    self.take(&line);
                }
            }
        }
    }

    /// One line from the scanner, into the active batch (the store work happens outside the
    /// state's lock: the reader's thread is the only one waiting on it).
    pub fn take(&self, line: &ScanLine) {
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let record = match &line.scan {
            Err(e) => {
                let refused = Taken::refused(e.to_string());
                ScanRecord {
                    refusal: Some(e.clone()),
                    ..ScanRecord::new(at, line.shown(), None, refused)
                }
            }
            Ok(scan) => {
                let taken = into_batch::take(&mut self.inner.store.lock(), None, None, scan);
                let serial = scan.text.to_ascii_uppercase();
                tracing::info!(%serial, result = ?taken.result, "serial scanner");
                ScanRecord::new(at, serial, scan.symbology.clone(), taken)
            }
        };
        let joined = matches!(record.result, ScanResult::Added | ScanResult::Tied);
        {
            let mut state = self.lock();
            state.push(record);
            self.publish(&state);
        }
        if joined {
            (self.inner.on_joined)();
        }
    }

    /// Adds the held scans (this process's and others') to `batch`; returns how many joined it.
    pub fn add_held(&self, batch: &str) -> Result<usize, AddHeldError> {
        let done = into_batch::add_held(&mut self.inner.store.lock(), batch)?;
        let added = done
            .iter()
            .filter(|(_, t)| t.result == ScanResult::Added)
            .count();
        self.show_done(done);
        if added > 0 {
            (self.inner.on_joined)();
        }
        Ok(added)
    }

    /// Ties the waiting scan `held` to the device in slot `slot` (as its box label); returns
    /// what it did.
    pub fn tie_held(&self, held: i64, slot: u32) -> Result<ScanReply, TieError> {
        let (row, taken) = box_label::tie_held(&mut self.inner.store.lock(), held, slot)?;
        let reply = taken.reply(&row.text);
        self.show_done(vec![(row, taken)]);
        (self.inner.on_joined)();
        Ok(reply)
    }

    /// Shows what became of held scans in place of their rows, then lists the held ones again.
    fn show_done(&self, done: Vec<(HeldScanRow, Taken)>) {
        {
            let mut state = self.lock();
            for (row, taken) in done {
                let mut record = ScanRecord::new(
                    row.at.clone(),
                    row.text.clone(),
                    row.symbology.clone(),
                    taken,
                );
                if record.is_kept() {
                    record.held = Some(row.id);
                }
                match state.scans.iter_mut().find(|r| r.held == Some(row.id)) {
                    Some(shown) => {
                        *shown = ScanRecord {
                            id: shown.id,
                            ..record
                        }
                    }
                    None => state.push(record),
                }
            }
            self.publish(&state);
        }
        self.refresh_held();
    }

    /// Brings the listed held scans in line with the store's (another process, such as
    /// `stagebench scan`, may have held or added some); publishes when they changed.
    pub fn refresh_held(&self) {
        let rows = self.inner.store.lock().held_scans();
        match rows {
            Ok(rows) => {
                let mut state = self.lock();
                let before = state.scans.clone();
                state.sync_held(&rows);
                if state.scans != before {
                    self.publish(&state);
                }
            }
            Err(e) => tracing::warn!(error = %e, "the held scans could not be read"),
        }
    }
}

#[cfg(test)]
mod tests;
