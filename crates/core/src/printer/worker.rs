//! The print-queue worker service: it drains the store's print queue in the background (every
//! [`BUSY_EVERY`] while jobs wait, at once on [`PrintWorker::kick`], every [`IDLE_EVERY`]
//! otherwise, so jobs queued by another process such as the CLI go out too) and publishes the
//! queue as the panel shows it ([`QueueState`]) on a `tokio::sync::watch` channel.
//!
//! The worker keeps a store connection of its own and holds it across sends; a SQLite connection
//! can't be shared between threads, so the worker has a thread (and a small runtime) of its own
//! instead of a task on the caller's runtime.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::{watch, Notify};

use super::queue::PRINT_RETRY;
use super::{drain_once, IppClient, PrintTransport, SystemPrinters};
use crate::store::{PrintJob, PrintJobState, Store, StoreError, StoreHandle};

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

impl QueueState {
    fn problem(message: String) -> QueueState {
        QueueState {
            jobs: Vec::new(),
            problem: Some(message),
        }
    }
}

/// The newest jobs in `store`, as the panel shows them.
pub fn newest_jobs(store: &Store) -> Result<Vec<QueueJob>, StoreError> {
    Ok(store
        .print_jobs(JOBS_SHOWN)?
        .into_iter()
        .map(QueueJob::from)
        .collect())
}

/// One print-queue worker for a whole process; cheap to clone (clones share it).
#[derive(Clone)]
pub struct PrintWorker {
    inner: Arc<Inner>,
}

struct Inner {
    state: watch::Sender<QueueState>,
    wake: Notify,
    started: AtomicBool,
    store: StoreHandle,
}

impl PrintWorker {
    /// A worker for the queue in `store` (it opens a connection of its own when it starts).
    pub fn new(store: StoreHandle) -> PrintWorker {
        PrintWorker {
            inner: Arc::new(Inner {
                state: watch::Sender::new(QueueState::default()),
                wake: Notify::new(),
                started: AtomicBool::new(false),
                store,
            }),
        }
    }

    /// The queue now and after every change; the worker starts with the first subscriber or
    /// kick.
    pub fn subscribe(&self) -> watch::Receiver<QueueState> {
        self.start();
        self.receiver()
    }

    /// The queue now and after every change, without starting the worker.
    pub fn receiver(&self) -> watch::Receiver<QueueState> {
        self.inner.state.subscribe()
    }

    /// Drains the queue now (after a print was queued or a job put back in line).
    pub fn kick(&self) {
        self.start();
        self.inner.wake.notify_one();
    }

    fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let worker = self.clone();
        let spawned = std::thread::Builder::new()
            .name("print-queue".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => {
                        let store = worker.inner.store.clone();
                        runtime.block_on(worker.run(|| store.open_another(), system_printers));
                    }
                    Err(e) => worker.publish(QueueState::problem(format!(
                        "The print queue can't run: {e}"
                    ))),
                }
            });
        if let Err(e) = spawned {
            self.publish(QueueState::problem(format!(
                "The print queue can't run: {e}"
            )));
        }
    }

    /// Sends `state` to every subscriber when it changed.
    fn publish(&self, state: QueueState) {
        self.inner.state.send_if_modified(|old| {
            let changed = *old != state;
            *old = state;
            changed
        });
    }

    /// The worker's loop, forever: a round (send what is due, then read the queue), publish,
    /// wait. The store is opened with `open` (again each round until it opens); the transport
    /// is made for each round with `transport` (an error holds the queue with its message).
    /// [`PrintWorker::subscribe`] runs it on a thread of its own with the real printers; tests
    /// run it on theirs with a fake.
    pub async fn run<T: PrintTransport>(
        &self,
        open: impl Fn() -> Result<Store, StoreError>,
        transport: impl Fn(&Store) -> Result<T, String>,
    ) {
        self.inner.started.store(true, Ordering::SeqCst);
        let mut store = None;
        loop {
            let (state, busy) = round(&mut store, &open, &transport).await;
            self.publish(state);
            let wait = if busy { BUSY_EVERY } else { IDLE_EVERY };
            let _ = tokio::time::timeout(wait, self.inner.wake.notified()).await;
        }
    }
}

/// The real printers, printing as the bench's technician.
fn system_printers(store: &Store) -> Result<SystemPrinters, String> {
    IppClient::new()
        .map(|ipp| SystemPrinters::new(ipp, store.technician()))
        .map_err(|e| format!("no HTTP client for IPP printers ({e})"))
}

/// One pass: send what is due, then read the queue. `busy` when jobs still wait to be sent.
async fn round<T: PrintTransport>(
    store: &mut Option<Store>,
    open: &impl Fn() -> Result<Store, StoreError>,
    transport: &impl Fn(&Store) -> Result<T, String>,
) -> (QueueState, bool) {
    if store.is_none() {
        match open() {
            Ok(s) => *store = Some(s),
            Err(e) => {
                let problem = format!("The print queue can't be read: {e}");
                return (QueueState::problem(problem), false);
            }
        }
    }
    let Some(store) = store.as_mut() else {
        return (QueueState::default(), false);
    };
    let mut problem = None;
    match transport(store) {
        Ok(printers) => {
            let now = OffsetDateTime::now_utc();
            if let Err(e) = drain_once(store, &printers, &PRINT_RETRY, now).await {
                tracing::warn!(error = %e, "print queue pass failed");
                problem = Some(format!("Printing is held up: {e}"));
            }
        }
        Err(e) => problem = Some(format!("Printing is held up: {e}")),
    }
    match store.print_jobs(JOBS_SHOWN) {
        Ok(jobs) => {
            let busy = jobs
                .iter()
                .any(|j| matches!(j.state, PrintJobState::Queued | PrintJobState::Sending));
            let jobs = jobs.into_iter().map(QueueJob::from).collect();
            (QueueState { jobs, problem }, busy)
        }
        Err(e) => {
            let problem = format!("The print queue can't be read: {e}");
            (QueueState::problem(problem), false)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;
    use crate::printer::{Document, PrintError, PrinterConfig, PrinterStore, PrinterTarget, Sent};

    /// Takes every document and keeps its title.
    #[derive(Clone, Default)]
    struct Taken(Arc<Mutex<Vec<String>>>);

    impl PrintTransport for Taken {
        async fn send(
            &self,
            _printer: &PrinterConfig,
            document: &Document,
            _copies: u32,
        ) -> Result<Sent, PrintError> {
            self.0.lock().unwrap().push(document.title.clone());
            Ok(Sent::default())
        }
    }

    fn queue(store: &StoreHandle, title: &str) {
        let printer = PrinterConfig {
            name: "office".into(),
            target: PrinterTarget::Ipp {
                url: "ipp://127.0.0.1:1/printers/office".into(),
            },
            dpi: None,
            media: None,
        };
        let mut s = store.lock();
        s.printer_save(&printer).unwrap();
        let mut job = crate::printer::test_label(&printer, "tech");
        job.title = title.into();
        s.print_enqueue(&job).unwrap();
    }

    async fn until(rx: &mut watch::Receiver<QueueState>, what: impl Fn(&QueueState) -> bool) {
        rx.wait_for(|s| what(s)).await.unwrap();
    }

    fn sent(s: &QueueState, title: &str) -> bool {
        s.jobs.iter().any(|j| j.title == title && j.state == "done")
    }

    #[tokio::test(start_paused = true)]
    async fn a_kick_sends_at_once_and_an_idle_queue_is_looked_at_every_30_s() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreHandle::new(Store::open(&dir.path().join("s.sqlite3")).unwrap());
        let worker = PrintWorker::new(store.clone());
        let mut rx = worker.receiver();
        let printers = Taken::default();
        let taken = printers.clone();
        let test = async {
            until(&mut rx, |s| s.problem.is_none() && s.jobs.is_empty()).await;
            queue(&store, "first");
            let kicked = Instant::now();
            worker.kick();
            until(&mut rx, |s| sent(s, "first")).await;
            assert!(kicked.elapsed() < BUSY_EVERY, "sent at once");
            // Queued by another process, no kick: the idle look finds it.
            queue(&store, "from the CLI");
            let queued = Instant::now();
            until(&mut rx, |s| sent(s, "from the CLI")).await;
            let waited = queued.elapsed();
            assert!(
                (IDLE_EVERY..IDLE_EVERY + BUSY_EVERY).contains(&waited),
                "{waited:?}"
            );
            assert_eq!(*taken.0.lock().unwrap(), ["first", "from the CLI"]);
        };
        tokio::select! {
            _ = worker.run(|| store.open_another(), |_| Ok(printers.clone())) => unreachable!(),
            _ = test => {}
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_store_that_cannot_be_opened_is_the_panels_problem() {
        let worker = PrintWorker::new(StoreHandle::new(Store::open_in_memory().unwrap()));
        let mut rx = worker.receiver();
        let test = until(&mut rx, |s| {
            s.problem
                .as_deref()
                .is_some_and(|p| p.starts_with("The print queue can't be read: an in-memory store"))
        });
        tokio::select! {
            _ = worker.run(|| Err(StoreError::InMemory), |_| Ok(Taken::default())) => unreachable!(),
            _ = test => {}
        }
    }
}
