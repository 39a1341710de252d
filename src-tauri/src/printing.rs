//! The app's print queue and printers: one [`PrintHub`] drains the store's print queue in the
//! background (every 2 s while jobs wait, at once when a print is queued, every 30 s otherwise
//! so jobs queued by the CLI go out too) and fans the queue's state out to every open view over
//! Tauri channels, like [`crate::bench::BenchHub`]. The commands list, discover, add, remove and
//! test printers, and list and retry jobs; each is a few lines over `stagebench_core::printer`
//! and the store.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stagebench_core::batch::ops::technician;
use stagebench_core::ids::PrintJobId;
use stagebench_core::printer::queue::PRINT_RETRY;
use stagebench_core::printer::{
    drain_once, test_label, IppClient, IppPrinter, PrintTransport, PrinterConfig, PrinterStore,
    PrinterTarget, SystemPrinters,
};
use stagebench_core::store::{PrintJob, PrintJobError, PrintJobState, Store};
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::Notify;

use crate::error::ApiError;

/// How often the queue is drained while jobs wait.
pub const BUSY_EVERY: Duration = Duration::from_secs(2);
/// How often an idle queue is looked at (for jobs queued elsewhere, e.g. by the CLI).
pub const IDLE_EVERY: Duration = Duration::from_secs(30);
/// Jobs the queue panel shows.
pub const JOBS_SHOWN: usize = 50;

/// A print job as the queue panel shows it (no document bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct QueueJob {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// When it was queued, RFC 3339 UTC.
    pub created: String,
    /// The printer's name.
    pub printer: String,
    /// `pdf`, `png` or `zpl`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// `queued`, `sending`, `done` or `failed`.
    pub state: String,
    /// Sends started so far.
    pub attempts: u32,
    /// Not sent again before this, RFC 3339 UTC.
    pub next_attempt_at: String,
    /// Why the last send failed.
    pub last_error: Option<String>,
    /// `enrollment`, `device`, `box`, `test`.
    pub label_kind: Option<String>,
    /// The device, for a one-label job.
    pub device_serial: Option<String>,
}

impl From<PrintJob> for QueueJob {
    fn from(j: PrintJob) -> Self {
        QueueJob {
            id: j.id.0,
            created: j.created,
            printer: j.printer,
            kind: j.kind,
            title: j.title,
            state: j.state.to_string(),
            attempts: j.attempts,
            next_attempt_at: j.next_attempt_at,
            last_error: j.last_error,
            label_kind: j.label_kind,
            device_serial: j.device_serial,
        }
    }
}

/// The queue as the panel shows it: the newest jobs, or why the queue can't be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct QueueState {
    /// The newest jobs, newest first.
    pub jobs: Vec<QueueJob>,
    /// Why the queue could not be read or drained, when it could not.
    pub problem: Option<String>,
}

type Subscriber = Box<dyn FnMut(QueueState) -> bool + Send>;

#[derive(Default)]
struct Inner {
    started: bool,
    last: Option<QueueState>,
    subscribers: Vec<Subscriber>,
}

/// Drains the print queue for the whole app and shares its state with every view.
#[derive(Default, Clone)]
pub struct PrintHub {
    inner: Arc<Mutex<Inner>>,
    wake: Arc<Notify>,
}

impl PrintHub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber; it gets the latest state now and every change after. A subscriber
    /// that returns `false` is dropped. The worker starts with the first subscriber or print.
    pub fn subscribe(&self, mut subscriber: impl FnMut(QueueState) -> bool + Send + 'static) {
        self.ensure_started();
        let mut inner = self.lock();
        if let Some(state) = &inner.last {
            if !subscriber(state.clone()) {
                return;
            }
        }
        inner.subscribers.push(Box::new(subscriber));
    }

    /// Drains the queue now (after a print was queued or a job put back in line).
    pub fn kick(&self) {
        self.ensure_started();
        self.wake.notify_one();
    }

    fn ensure_started(&self) {
        let mut inner = self.lock();
        if inner.started {
            return;
        }
        inner.started = true;
        drop(inner);
        // The worker keeps one store connection and borrows it across sends; a SQLite
        // connection can't be shared between threads, so the worker has a thread (and a small
        // runtime) of its own instead of a task on the app's runtime.
        let hub = self.clone();
        let spawned = std::thread::Builder::new()
            .name("print-queue".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(hub.run()),
                    Err(e) => hub.publish(QueueState {
                        jobs: Vec::new(),
                        problem: Some(format!("The print queue can't run: {e}")),
                    }),
                }
            });
        if let Err(e) = spawned {
            self.publish(QueueState {
                jobs: Vec::new(),
                problem: Some(format!("The print queue can't run: {e}")),
            });
        }
    }

    /// Sends `state` to every subscriber when it changed.
    fn publish(&self, state: QueueState) {
        let mut inner = self.lock();
        if inner.last.as_ref() == Some(&state) {
            return;
        }
        inner.subscribers.retain_mut(|s| s(state.clone()));
        inner.last = Some(state);
    }

    async fn run(self) {
        let mut store = None;
        loop {
            let (state, busy) = round(&mut store).await;
            self.publish(state);
            let wait = if busy { BUSY_EVERY } else { IDLE_EVERY };
            let _ = tokio::time::timeout(wait, self.wake.notified()).await;
        }
    }
}

/// One pass: send what is due, then read the queue. `busy` when jobs still wait to be sent.
async fn round(store: &mut Option<Store>) -> (QueueState, bool) {
    if store.is_none() {
        match Store::open_default() {
            Ok(s) => *store = Some(s),
            Err(e) => {
                return (
                    QueueState {
                        jobs: Vec::new(),
                        problem: Some(format!("The print queue can't be read: {e}")),
                    },
                    false,
                )
            }
        }
    }
    let Some(store) = store.as_mut() else {
        return (QueueState::default(), false);
    };
    let mut problem = None;
    match IppClient::new() {
        Ok(ipp) => {
            let printers = SystemPrinters::new(ipp, technician(store));
            if let Err(e) = drain_once(
                store,
                &printers,
                &PRINT_RETRY,
                time::OffsetDateTime::now_utc(),
            )
            .await
            {
                tracing::warn!(error = %e, "print queue pass failed");
                problem = Some(format!("Printing is held up: {e}"));
            }
        }
        Err(e) => {
            problem = Some(format!(
                "Printing is held up: no HTTP client for IPP printers ({e})"
            ))
        }
    }
    match store.print_jobs(JOBS_SHOWN) {
        Ok(jobs) => {
            let busy = jobs
                .iter()
                .any(|j| matches!(j.state, PrintJobState::Queued | PrintJobState::Sending));
            (
                QueueState {
                    jobs: jobs.into_iter().map(QueueJob::from).collect(),
                    problem,
                },
                busy,
            )
        }
        Err(e) => (
            QueueState {
                jobs: Vec::new(),
                problem: Some(format!("The print queue can't be read: {e}")),
            },
            false,
        ),
    }
}

/// A core message as a sentence the UI shows: its first letter upper-case.
fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        code: "invalid-input",
        message: message.into(),
    }
}

pub(crate) fn queue_error(e: PrintJobError) -> ApiError {
    match e {
        PrintJobError::Store(e) => ApiError::from(e),
        e => invalid(e.to_string()),
    }
}

/// A bench printer as the Printers panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PrinterView {
    /// The name labels are printed to.
    pub name: String,
    /// `ipp`, `raw` or `serial`.
    pub kind: String,
    /// The URL, `host:port`, or the port's path.
    pub address: String,
    /// A serial port's baud rate.
    pub baud: Option<u32>,
    /// Its resolution, when known.
    pub dpi: Option<u32>,
    /// Its media, e.g. `2x1in`.
    pub media: Option<String>,
    /// What labels for it are rendered as: `pdf` (IPP) or `zpl` (raw, serial).
    pub format: String,
}

impl From<PrinterConfig> for PrinterView {
    fn from(p: PrinterConfig) -> Self {
        let baud = match p.target {
            PrinterTarget::Serial { baud, .. } => Some(baud),
            _ => None,
        };
        PrinterView {
            kind: p.target.kind_name().to_owned(),
            address: p.target.address(),
            format: stagebench_core::label::printer_format(&p)
                .0
                .name()
                .to_owned(),
            baud,
            dpi: p.dpi,
            media: p.media,
            name: p.name,
        }
    }
}

/// The Add printer form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
pub struct PrinterForm {
    /// The name to print to.
    pub name: String,
    /// `ipp`, `raw` or `serial`.
    pub kind: String,
    /// IPP: `ipp://host:631/printers/NAME`; raw: `HOST[:PORT]`; serial: the port's path.
    pub address: String,
    /// A serial port's baud rate (9600 when left out).
    pub baud: Option<u32>,
    /// Resolution in dots per inch (203, 300, 600).
    pub dpi: Option<u32>,
    /// Media, e.g. `2x1in`, `A4`.
    pub media: Option<String>,
}

/// The printer `form` describes, checked.
pub fn printer_from_form(form: &PrinterForm) -> Result<PrinterConfig, ApiError> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(invalid("Give the printer a name."));
    }
    let target = PrinterTarget::from_kind(name, &form.kind, &form.address, form.baud)
        .map_err(|e| invalid(format!("{}.", capitalized(&e))))?;
    let media = form
        .media
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    Ok(PrinterConfig {
        name: name.to_owned(),
        target,
        dpi: form.dpi,
        media,
    })
}

/// A printer the CUPS server has, for one-click adding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CupsPrinterView {
    /// The CUPS queue's name.
    pub name: String,
    /// The URI to print to.
    pub uri: Option<String>,
    /// `idle`, `processing` or `stopped`.
    pub state: String,
    /// Make and model.
    pub make_and_model: Option<String>,
    /// Resolutions it supports.
    pub resolutions_dpi: Vec<u32>,
    /// Its default media.
    pub media_default: Option<String>,
}

impl From<IppPrinter> for CupsPrinterView {
    fn from(p: IppPrinter) -> Self {
        CupsPrinterView {
            name: p.name,
            uri: p.uri,
            state: p.state,
            make_and_model: p.make_and_model,
            resolutions_dpi: p.resolutions_dpi,
            media_default: p.media_default,
        }
    }
}

/// What asking the CUPS server found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CupsDiscovery {
    /// The server asked (`CUPS_SERVER`, else localhost:631).
    pub server: String,
    /// Its printers.
    pub printers: Vec<CupsPrinterView>,
    /// Why it could not be asked, when it could not.
    pub problem: Option<String>,
}

/// Streams the print queue's state to `on_event`: now, then after every change.
#[tauri::command]
pub fn print_queue_watch(hub: State<'_, PrintHub>, on_event: Channel<QueueState>) {
    hub.subscribe(move |state| on_event.send(state).is_ok());
}

/// The bench's printers.
#[tauri::command]
pub fn printers_list() -> Result<Vec<PrinterView>, ApiError> {
    Ok(Store::open_default()?
        .printers()?
        .into_iter()
        .map(PrinterView::from)
        .collect())
}

/// The printers of the CUPS server (none, with the reason, when no CUPS answers).
#[tauri::command]
pub async fn printers_discover() -> Result<CupsDiscovery, ApiError> {
    let server = IppClient::cups_server_from_env();
    let client = IppClient::new().map_err(|e| ApiError {
        code: "internal",
        message: e.to_string(),
    })?;
    Ok(match client.cups_printers(&server).await {
        Ok(list) => CupsDiscovery { server, printers: list.into_iter().map(CupsPrinterView::from).collect(), problem: None },
        Err(e) => CupsDiscovery {
            problem: Some(format!("No CUPS server answered at {server} ({e}). Start CUPS on this computer, set CUPS_SERVER to the print server, or add the printer by its address below.")),
            server,
            printers: Vec::new(),
        },
    })
}

/// Adds a printer, or changes the one with that name.
#[tauri::command]
pub fn printer_add(form: PrinterForm) -> Result<PrinterView, ApiError> {
    let config = printer_from_form(&form)?;
    Store::open_default()?
        .printer_save(&config)
        .map_err(queue_error)?;
    Ok(PrinterView::from(config))
}

/// Removes a printer (its queued jobs stay, and fail until a printer of that name is back).
#[tauri::command]
pub fn printer_remove(name: String) -> Result<bool, ApiError> {
    Ok(Store::open_default()?.printer_remove(&name)?)
}

/// Queues a small test label for the printer (PDF for IPP, ZPL for raw and serial) and sends it.
#[tauri::command]
pub fn printer_test(hub: State<'_, PrintHub>, name: String) -> Result<i64, ApiError> {
    let mut store = Store::open_default()?;
    let config = store
        .printer(&name)?
        .ok_or_else(|| invalid(format!("There is no printer {name}: add it first.")))?;
    let job = test_label(&config, technician(&store));
    let id = store.print_enqueue(&job).map_err(queue_error)?;
    hub.kick();
    Ok(id.0)
}

/// What a printer says about itself, in words: "ready", or what stops it and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PrinterStatusView {
    /// The printer.
    pub printer: String,
    /// `ready`, `not-ready`, `unknown` (it did not say; jobs are sent anyway) or `unreachable`.
    pub readiness: String,
    /// One line: the readiness, what the printer reports, and why it did not say.
    pub text: String,
    /// What to do before it can print, when something stops it.
    pub fix: Option<String>,
}

/// Asks a printer whether it is ready: Zebra host status (`~HS`) for raw and serial printers,
/// the printer state for IPP ones. A printer that does not answer is `unknown`, not an error.
#[tauri::command]
pub async fn printer_status(name: String) -> Result<PrinterStatusView, ApiError> {
    let (config, actor) = {
        let store = Store::open_default()?;
        let config = store
            .printer(&name)?
            .ok_or_else(|| invalid(format!("There is no printer {name}: add it first.")))?;
        (config, technician(&store))
    };
    let client = IppClient::new().map_err(|e| ApiError {
        code: "internal",
        message: e.to_string(),
    })?;
    let status = SystemPrinters::new(client, actor).status(&config).await;
    let readiness = serde_json::to_value(status.readiness)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(PrinterStatusView {
        printer: status.printer.clone(),
        readiness,
        text: status.to_string(),
        fix: status.hold_message(),
    })
}

/// The newest print jobs, newest first.
#[tauri::command]
pub fn print_queue_list() -> Result<Vec<QueueJob>, ApiError> {
    Ok(Store::open_default()?
        .print_jobs(JOBS_SHOWN)?
        .into_iter()
        .map(QueueJob::from)
        .collect())
}

/// Takes a queued job out of line (it stays, failed, saying who cancelled it, until retried).
#[tauri::command]
pub fn print_job_cancel(hub: State<'_, PrintHub>, id: i64) -> Result<QueueJob, ApiError> {
    let mut store = Store::open_default()?;
    let job = store
        .print_cancel(PrintJobId(id), &technician(&store))
        .map_err(queue_error)?;
    hub.kick();
    Ok(QueueJob::from(job))
}

/// Puts a failed job back in line (attempts reset) and sends it now.
#[tauri::command]
pub fn print_job_retry(hub: State<'_, PrintHub>, id: i64) -> Result<QueueJob, ApiError> {
    let job = Store::open_default()?
        .print_requeue(PrintJobId(id))
        .map_err(queue_error)?;
    hub.kick();
    Ok(QueueJob::from(job))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, address: &str) -> PrinterForm {
        PrinterForm {
            name: " zebra ".into(),
            kind: kind.into(),
            address: address.into(),
            baud: None,
            dpi: Some(300),
            media: Some(" ".into()),
        }
    }

    #[test]
    fn the_add_form_becomes_a_printer_or_says_what_to_fix() {
        let raw = printer_from_form(&form("raw", "10.0.0.5")).unwrap();
        assert_eq!(
            raw.target,
            PrinterTarget::Raw {
                host: "10.0.0.5".into(),
                port: 9100
            }
        );
        assert_eq!(
            (raw.name.as_str(), raw.dpi, raw.media.as_deref()),
            ("zebra", Some(300), None)
        );
        let serial = printer_from_form(&form("serial", "/dev/ttyUSB0")).unwrap();
        assert_eq!(
            serial.target,
            PrinterTarget::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600
            }
        );
        let ipp = printer_from_form(&form("ipp", "ipp://cups:631/printers/Office")).unwrap();
        assert_eq!(PrinterView::from(ipp).format, "pdf");
        assert_eq!(PrinterView::from(raw).format, "zpl");
        let bad = printer_from_form(&form("raw", "host:x")).unwrap_err();
        assert_eq!(bad.code, "invalid-input");
        assert!(bad.message.contains("HOST:PORT"), "{}", bad.message);
        assert!(printer_from_form(&form("ipp", "ftp://nope")).is_err());
        assert!(printer_from_form(&form("lpt", "x"))
            .unwrap_err()
            .message
            .contains("ipp, raw or serial"));
        let mut unnamed = form("raw", "h");
        unnamed.name = " ".into();
        assert!(printer_from_form(&unnamed).is_err());
    }
}
