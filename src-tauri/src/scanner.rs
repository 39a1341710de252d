//! The bench's serial-port barcode scanner: one reader for the whole app (started from the
//! saved setting when the app starts, restarted when the setting changes), each scan sent into
//! the bench's active batch, and its status and recent scans fanned out to every view like
//! [`crate::bench::BenchHub`] does.
//!
//! A scan that arrives while no batch is active is kept ("held") in the recent scans, not
//! dropped: the Batches screen offers to add the held scans to the batch on screen.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use stagebench_core::batch::exchange::scan_into_batch;
use stagebench_core::batch::ops;
use stagebench_core::batch::BatchStore;
use stagebench_core::ids::BatchId;
use stagebench_core::scanner::{
    ports, Scan, ScanLine, ScannerEvent, ScannerPort, ScannerSettings, ScannerStatus,
    ScannerWatcher,
};
use stagebench_core::store::Store;
use tauri::ipc::Channel;
use tauri::State;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::bench::BenchHub;
use crate::error::ApiError;

/// How many recent scans are kept (held ones are kept beyond that until added).
const RECENT: usize = 30;

/// How often a missing or unusable port is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// What became of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum ScanResult {
    /// The device joined the batch.
    Added,
    /// It was in the batch already.
    AlreadyThere,
    /// Not a serial, or the batch would not take it: see the message.
    Refused,
    /// No batch to put it in: kept until it is added to one.
    Held,
}

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
    /// The batch it went into.
    pub batch: Option<String>,
    /// That batch's name.
    pub batch_name: Option<String>,
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

/// Why a scan was held: there is no batch to put it in.
pub const NO_ACTIVE_BATCH: &str =
    "no active batch: make one active on the Batches screen, then add the held scans to it there";

/// Sends one scan into `batch` (none: the active one) and says what became of it.
fn into_batch(
    store: &mut Store,
    batch: Option<&BatchId>,
    scan: &Scan,
) -> (ScanResult, Option<String>, Option<(BatchId, String)>) {
    let batch = match batch
        .cloned()
        .map(Ok)
        .or_else(|| store.active_batch().transpose())
    {
        Some(Ok(id)) => id,
        Some(Err(e)) => {
            return (
                ScanResult::Held,
                Some(format!("{e}; the scan is kept here")),
                None,
            )
        }
        None => return (ScanResult::Held, Some(NO_ACTIVE_BATCH.into()), None),
    };
    let record = match store.find_batch(batch.as_str()) {
        Ok(record) => record,
        Err(e) => {
            return (
                ScanResult::Held,
                Some(format!("{e}; the scan is kept here")),
                None,
            )
        }
    };
    let name = record.batch.spec.name.clone();
    if record.closed_at.is_some() {
        let message = format!(
            "batch “{name}” is closed: devices can no longer join it; make another batch active"
        );
        return (ScanResult::Held, Some(message), Some((batch, name)));
    }
    let actor = ops::technician(store);
    match scan_into_batch(store, &batch, scan, &actor) {
        Ok(outcome) => {
            let result = if outcome.joined {
                ScanResult::Added
            } else {
                ScanResult::AlreadyThere
            };
            (result, None, Some((batch, name)))
        }
        Err(e) => (
            ScanResult::Refused,
            Some(e.to_string()),
            Some((batch, name)),
        ),
    }
}

type Subscriber = Box<dyn FnMut(ScannerView) -> bool + Send>;

struct Inner {
    settings: ScannerSettings,
    status: ScannerStatus,
    scans: VecDeque<ScanRecord>,
    next_id: u64,
    /// Counts restarts, so a late event from a stopped reader is dropped.
    generation: u64,
    watcher: Option<ScannerWatcher>,
    subscribers: Vec<Subscriber>,
    bench: Option<BenchHub>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            settings: ScannerSettings::default(),
            status: ScannerStatus::Off,
            scans: VecDeque::new(),
            next_id: 1,
            generation: 0,
            watcher: None,
            subscribers: Vec::new(),
            bench: None,
        }
    }
}

impl Inner {
    fn view(&self) -> ScannerView {
        ScannerView {
            settings: self.settings.clone(),
            status: self.status.clone(),
            scans: self.scans.iter().cloned().collect(),
        }
    }

    fn publish(&mut self) {
        let view = self.view();
        self.subscribers.retain_mut(|s| s(view.clone()));
    }

    fn push(&mut self, mut record: ScanRecord) {
        record.id = self.next_id;
        self.next_id += 1;
        self.scans.push_front(record);
        while self.scans.len() > RECENT {
            match self
                .scans
                .iter()
                .rposition(|r| r.result != ScanResult::Held)
            {
                Some(oldest) => drop(self.scans.remove(oldest)),
                None => break,
            }
        }
    }
}

/// Shares one serial-scanner reader between all views and commands.
#[derive(Default, Clone)]
pub struct ScannerHub {
    inner: Arc<Mutex<Inner>>,
}

impl ScannerHub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts reading the saved scanner port, if one is set (at app start).
    pub fn start(&self, bench: BenchHub) {
        self.lock().bench = Some(bench);
        let loaded = Store::open_default()
            .map_err(|e| e.to_string())
            .and_then(|s| ScannerSettings::load(&s).map_err(|e| e.to_string()));
        match loaded {
            Ok(settings) => self.restart(settings),
            Err(message) => {
                tracing::warn!(%message, "the barcode scanner setting could not be read");
                let mut inner = self.lock();
                inner.status = ScannerStatus::Failed {
                    port: String::new(),
                    message,
                };
                inner.publish();
            }
        }
    }

    /// Adds a subscriber; it gets the view now and after every change. A subscriber that
    /// returns `false` is dropped.
    pub fn subscribe(&self, mut subscriber: impl FnMut(ScannerView) -> bool + Send + 'static) {
        let mut inner = self.lock();
        if subscriber(inner.view()) {
            inner.subscribers.push(Box::new(subscriber));
        }
    }

    /// The current settings.
    pub fn settings(&self) -> ScannerSettings {
        self.lock().settings.clone()
    }

    /// Reads the port `settings` name from now on (stops the old reader; no port: off).
    pub fn restart(&self, settings: ScannerSettings) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.watcher = None;
        inner.status = match &settings.port {
            Some(port) => ScannerStatus::Opening { port: port.clone() },
            None => ScannerStatus::Off,
        };
        if let Some(port) = &settings.port {
            let (hub, generation) = (self.clone(), inner.generation);
            match ScannerWatcher::start(port, settings.baud, RETRY, move |event| {
                hub.on_event(generation, event)
            }) {
                Ok(watcher) => inner.watcher = Some(watcher),
                Err(e) => {
                    inner.status = ScannerStatus::Failed {
                        port: port.clone(),
                        message: e.to_string(),
                    }
                }
            }
        }
        inner.settings = settings;
        inner.publish();
    }

    fn on_event(&self, generation: u64, event: ScannerEvent) {
        match event {
            ScannerEvent::Status(status) => {
                let mut inner = self.lock();
                if inner.generation == generation {
                    inner.status = status;
                    inner.publish();
                }
            }
            ScannerEvent::Line(line) => {
                if self.lock().generation != generation {
                    return;
                }
                let record = self.take(&line);
                let joined = record.result == ScanResult::Added;
                let bench = {
                    let mut inner = self.lock();
                    inner.push(record);
                    inner.publish();
                    inner.bench.clone()
                };
                if let (true, Some(bench)) = (joined, bench) {
                    bench.refresh(false);
                }
            }
        }
    }

    /// One line from the scanner, into the active batch (the store work happens outside the
    /// hub's lock: the reader's thread is the only one waiting on it).
    fn take(&self, line: &ScanLine) -> ScanRecord {
        let at = OffsetDateTime::now_utc();
        let scan = match &line.scan {
            Ok(scan) => scan,
            Err(e) => {
                return record(
                    at,
                    line.shown(),
                    None,
                    (ScanResult::Refused, Some(e.to_string()), None),
                )
            }
        };
        let result = match Store::open_default() {
            Ok(mut store) => into_batch(&mut store, None, scan),
            Err(e) => (
                ScanResult::Held,
                Some(format!("{e}; the scan is kept here")),
                None,
            ),
        };
        let serial = scan.text.to_ascii_uppercase();
        tracing::info!(%serial, result = ?result.0, "serial scanner");
        record(at, serial, scan.symbology.clone(), result)
    }

    /// Adds the held scans to `batch` (the one on screen); returns how many joined it.
    pub fn add_held(&self, batch: &str) -> Result<usize, ApiError> {
        let mut store = Store::open_default()?;
        let record = store.find_batch(batch)?;
        if record.closed_at.is_some() {
            return Err(ApiError {
                code: "invalid-input",
                message: format!(
                    "Batch “{}” is closed: devices can no longer join it.",
                    record.batch.spec.name
                ),
            });
        }
        let held: Vec<ScanRecord> = self
            .lock()
            .scans
            .iter()
            .filter(|r| r.result == ScanResult::Held)
            .cloned()
            .collect();
        let mut added = 0;
        let mut done = Vec::new();
        for old in held {
            let scan = Scan {
                text: old.text.clone(),
                symbology: old.symbology.clone(),
            };
            let result = into_batch(&mut store, Some(&record.batch.id), &scan);
            added += usize::from(result.0 == ScanResult::Added);
            done.push((
                old.id,
                record_at(old.at.clone(), old.text, old.symbology, result),
            ));
        }
        let bench = {
            let mut inner = self.lock();
            for (id, mut new) in done {
                if let Some(row) = inner.scans.iter_mut().find(|r| r.id == id) {
                    new.id = id;
                    *row = new;
                }
            }
            inner.publish();
            inner.bench.clone()
        };
        if let Some(bench) = bench.filter(|_| added > 0) {
            bench.refresh(false);
        }
        Ok(added)
    }
}

type Outcome = (ScanResult, Option<String>, Option<(BatchId, String)>);

fn record(
    at: OffsetDateTime,
    text: String,
    symbology: Option<String>,
    outcome: Outcome,
) -> ScanRecord {
    record_at(
        at.format(&Rfc3339).unwrap_or_default(),
        text,
        symbology,
        outcome,
    )
}

fn record_at(
    at: String,
    text: String,
    symbology: Option<String>,
    (result, message, batch): Outcome,
) -> ScanRecord {
    let (batch, batch_name) = batch.map(|(id, name)| (id.to_string(), name)).unzip();
    ScanRecord {
        id: 0,
        at,
        text,
        symbology,
        result,
        message,
        batch,
        batch_name,
    }
}

/// The serial ports the OS lists, likely scanners first.
#[tauri::command]
pub fn scanner_ports() -> Result<Vec<ScannerPort>, ApiError> {
    ports().map_err(|e| ApiError {
        code: "internal",
        message: e.to_string(),
    })
}

/// The bench's serial-scanner settings.
#[tauri::command]
pub fn scanner_settings_get(hub: State<'_, ScannerHub>) -> ScannerSettings {
    hub.settings()
}

/// Saves the serial-scanner settings and reads the new port (a blank port: off).
#[tauri::command]
pub fn scanner_settings_set(
    hub: State<'_, ScannerHub>,
    port: String,
    baud: u32,
) -> Result<ScannerSettings, ApiError> {
    let settings = ScannerSettings::new(&port, baud).map_err(|e| ApiError {
        code: "invalid-input",
        message: e.to_string(),
    })?;
    settings
        .save(&mut Store::open_default()?)
        .map_err(|e| ApiError {
            code: "internal",
            message: e.to_string(),
        })?;
    hub.restart(settings.clone());
    Ok(settings)
}

/// Streams the serial scanner's settings, status and recent scans to `on_event`: now and after
/// every change.
#[tauri::command]
pub fn scanner_watch(hub: State<'_, ScannerHub>, on_event: Channel<ScannerView>) {
    hub.subscribe(move |view| on_event.send(view).is_ok());
}

/// Adds the scans held while no batch was active to `batch`; returns how many joined it.
#[tauri::command]
pub fn scanner_add_held(hub: State<'_, ScannerHub>, batch: String) -> Result<usize, ApiError> {
    hub.add_held(&batch)
}

/// The TypeScript types of the serial scanner (for ui/src/lib/app_bindings.ts, written by
/// `batches::tests::ui_app_bindings_match_the_rust_types`).
#[cfg(test)]
pub(crate) fn ts_declarations(cfg: &ts_rs::Config) -> String {
    use ts_rs::TS;
    fn declaration<T: TS>(cfg: &ts_rs::Config) -> String {
        let docs = T::docs()
            .map(|d| format!("{}\n", d.trim_end()))
            .unwrap_or_default();
        format!("{docs}export {}\n", T::decl(cfg))
    }
    [
        declaration::<ScannerPort>(cfg),
        declaration::<ScannerSettings>(cfg),
        declaration::<ScannerStatus>(cfg),
        declaration::<ScanResult>(cfg),
        declaration::<ScanRecord>(cfg),
        declaration::<ScannerView>(cfg),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
    use stagebench_core::stage::Flow;

    use super::*;

    fn batch(store: &mut Store, name: &str) -> BatchId {
        let b = Batch {
            id: BatchId::random(),
            spec: BatchSpec {
                name: name.into(),
                profile: ProfileFacts::offline(Flow::StagingToken, "Offline", None, None),
                vendor: "Acme".into(),
                due: None,
                expected_count: None,
                expected_serials: vec![],
            },
            created_at: OffsetDateTime::now_utc(),
            created_by: "tech".into(),
            origin: BatchOrigin::Local,
        };
        store.create_batch(&b).unwrap();
        b.id
    }

    fn scan(text: &str) -> Scan {
        Scan {
            text: text.into(),
            symbology: None,
        }
    }

    #[test]
    fn scans_go_into_the_active_batch_and_are_held_without_one() {
        let mut store = Store::open_in_memory().unwrap();
        let (result, message, into) = into_batch(&mut store, None, &scan("r5cr0001"));
        assert_eq!(
            (result, message.as_deref(), into),
            (ScanResult::Held, Some(NO_ACTIVE_BATCH), None)
        );
        let wave = batch(&mut store, "Wave 1");
        store.set_active_batch(Some(&wave)).unwrap();
        let (result, _, into) = into_batch(&mut store, None, &scan("r5cr0001"));
        assert_eq!(
            (result, into),
            (ScanResult::Added, Some((wave.clone(), "Wave 1".to_owned())))
        );
        assert_eq!(
            into_batch(&mut store, None, &scan("R5CR0001")).0,
            ScanResult::AlreadyThere
        );
        let other = batch(&mut store, "Wave 2");
        assert_eq!(
            into_batch(&mut store, Some(&other), &scan("R5CR0002")).0,
            ScanResult::Added,
            "held scans go to the batch on screen"
        );
        store.close_batch(&wave).unwrap();
        let (result, message, _) = into_batch(&mut store, None, &scan("R5CR0003"));
        assert_eq!(
            (result, message.as_deref()),
            (ScanResult::Held, Some(NO_ACTIVE_BATCH)),
            "closing it ended it being active"
        );
        let (result, message, _) = into_batch(&mut store, Some(&wave), &scan("R5CR0003"));
        assert_eq!(result, ScanResult::Held);
        assert!(message.unwrap().contains("“Wave 1” is closed"));
    }

    #[test]
    fn held_scans_outlive_the_recent_list_and_the_view_goes_to_subscribers() {
        let hub = ScannerHub::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        hub.subscribe(move |view| {
            sink.lock().unwrap().push(view);
            true
        });
        let at = OffsetDateTime::UNIX_EPOCH;
        {
            let mut inner = hub.lock();
            inner.push(record(
                at,
                "HELD1".into(),
                None,
                (ScanResult::Held, Some(NO_ACTIVE_BATCH.into()), None),
            ));
            for i in 0..RECENT + 5 {
                inner.push(record(
                    at,
                    format!("S{i}"),
                    None,
                    (ScanResult::Refused, Some("no".into()), None),
                ));
            }
            inner.publish();
        }
        let views = seen.lock().unwrap();
        assert_eq!(
            views[0].status,
            ScannerStatus::Off,
            "a subscriber gets the view at once"
        );
        let last = views.last().unwrap();
        assert_eq!(last.scans.len(), RECENT);
        assert_eq!(
            last.scans[0].text,
            format!("S{}", RECENT + 4),
            "newest first"
        );
        assert_eq!(
            last.scans.last().unwrap().text,
            "HELD1",
            "a held scan is never dropped"
        );
        assert_eq!(last.scans[0].at, "1970-01-01T00:00:00Z");
    }
}
