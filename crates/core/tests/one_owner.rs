//! One owner per job: two drainers (two connections to one store file, as the app and the CLI
//! are) against one slow IPP printer send each print job exactly once, and against the fake
//! tenant send each Intune change exactly once.
//!
//! The printer and the tenant take a request and keep their answer back until the test releases
//! them, so a send stays in flight as long as the test needs; time moves on a [`ManualClock`]
//! both connections share. A sender renews its lease every [`RENEW_CHECK`] of real time once a
//! third of the lease has passed on the store clock; each renewal is waited for, by reading the
//! row, before the clock moves on.

mod support;

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use serde_json::json;
use stagebench_core::clock::{timestamp, Clock, ManualClock};
use stagebench_core::ids::PrintJobId;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::sync::{drain_outbox, OutboxDrainReport};
use stagebench_core::printer::fake_ipp::FakeIppPrinter;
use stagebench_core::printer::{
    self, drain_once, IppClient, PrintDrainReport, PrinterConfig, PrinterStore, PrinterTarget,
    SystemPrinters,
};
use stagebench_core::store::{
    AuditFilter, PrintJobError, PrintJobState, Store, OUTBOX_LEASE, PRINT_LEASE,
};
use support::graph::{client_with, static_token, tenant};

/// The longest a test here waits for something to show (a job at the printer, a renewal, a
/// drainer finishing): an upper bound for a loaded machine, never waited out by a healthy one.
const PATIENCE: Duration = Duration::from_secs(60);

const TRIES: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base: Duration::from_secs(1),
    max_delay: Duration::from_secs(1),
    jitter: false,
};

fn open(db: &Path, clock: &ManualClock) -> Store {
    Store::open(db).unwrap().with_clock(clock.clone())
}

fn printers() -> SystemPrinters {
    SystemPrinters::new(IppClient::new().unwrap(), "stagebench-test")
}

/// The fake printer saved as `office`, and one test label queued per title.
fn queue(store: &mut Store, fake: &FakeIppPrinter, titles: &[&str]) -> Vec<PrintJobId> {
    let office = PrinterConfig {
        name: "office".into(),
        target: PrinterTarget::Ipp { url: fake.url() },
        dpi: Some(203),
        media: None,
    };
    store.printer_save(&office).unwrap();
    titles
        .iter()
        .map(|title| {
            let mut job = printer::test_label(&office, "zoë");
            job.title = (*title).into();
            store.print_enqueue(&job).unwrap()
        })
        .collect()
}

/// A store file on a manual clock with a held fake IPP printer saved as `office` and a test
/// label queued for it per title: the folder (kept while the test runs), the file, the clock,
/// the printer, the first drainer's store and the jobs.
fn slow_printer_with(
    titles: &[&str],
) -> (
    tempfile::TempDir,
    PathBuf,
    ManualClock,
    FakeIppPrinter,
    Store,
    Vec<PrintJobId>,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let clock = ManualClock::at_test_epoch();
    let fake = FakeIppPrinter::start().unwrap();
    fake.hold();
    let mut store = open(&db, &clock);
    let ids = queue(&mut store, &fake, titles);
    (dir, db, clock, fake, store, ids)
}

/// The `lease_until` of row `id` in `table`, read as another process would.
fn lease_until(db: &Path, table: &str, id: i64) -> Option<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        &format!("SELECT lease_until FROM {table} WHERE id = ?1"),
        [id],
        |row| row.get(0),
    )
    .unwrap_or_else(|e| panic!("reading the lease of {table} {id}: {e}"))
}

/// Moves `clock` on by `by` while row `id` is being sent, then waits until its sender has
/// renewed the lease to outlast `by` again (the sender looks at the clock every RENEW_CHECK).
fn advance_and_wait_for_renewal(
    db: &Path,
    table: &str,
    id: i64,
    clock: &ManualClock,
    by: Duration,
) {
    let before = lease_until(db, table, id);
    clock.advance(time::Duration::try_from(by).unwrap());
    let wanted = timestamp(clock.now() + time::Duration::try_from(by).unwrap());
    let asked = Instant::now();
    loop {
        let now = lease_until(db, table, id);
        if now.as_deref().is_some_and(|until| until >= wanted.as_str()) {
            return;
        }
        assert!(
            asked.elapsed() < PATIENCE,
            "{table} {id}: its lease stayed {now:?} (was {before:?}) while the clock moved on by \
             {by:?}; the sender should renew it"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `pass` (one drainer's pass, as its own process would: a thread with a runtime of its
/// own) and returns its thread.
fn drainer<T: Send + 'static, F: std::future::Future<Output = T>>(
    pass: impl FnOnce() -> F + Send + 'static,
) -> JoinHandle<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(pass())
    })
}

/// Waits until `done` says so, naming `what` if it never does.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let asked = Instant::now();
    while !done() {
        assert!(
            asked.elapsed() < PATIENCE,
            "{what}: not within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A drainer's pass over the print queue, begun at `store`'s clock's now; it gives its store
/// back with its report.
fn print_pass(mut store: Store) -> JoinHandle<(Store, Result<PrintDrainReport, PrintJobError>)> {
    let start = store.clock_now();
    drainer(move || async move {
        let report = drain_once(&mut store, &printers(), &TRIES, start).await;
        (store, report)
    })
}

/// Another process's pass over the print queue, while the printer holds what it has: run to its
/// end (or until it has sent something more than the `sent` jobs the printer has), then the
/// printer answers everything.
async fn other_print_pass(
    db: &Path,
    clock: &ManualClock,
    fake: &FakeIppPrinter,
    sent: usize,
) -> Result<PrintDrainReport, PrintJobError> {
    let second = print_pass(open(db, clock));
    until("the other drainer finishes or sends", || {
        second.is_finished() || fake.jobs().len() > sent
    })
    .await;
    fake.release();
    second.join().unwrap().1
}

fn titles(fake: &FakeIppPrinter) -> Vec<String> {
    fake.jobs().into_iter().map(|j| j.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_longer_than_the_lease_keeps_its_job_and_is_printed_once() {
    let (_dir, db, clock, fake, first, ids) = slow_printer_with(&["badge 1"]);
    let id = ids[0];
    let first = print_pass(first);
    fake.wait_for_jobs(1, PATIENCE);

    // The printer takes its time: twice the lease goes by, in steps the sender renews across.
    let step = PRINT_LEASE * 2 / 3;
    for _ in 0..3 {
        advance_and_wait_for_renewal(&db, "print_jobs", id.0, &clock, step);
    }
    // Another process drains now: the job is still being sent, so it is not taken.
    let second = other_print_pass(&db, &clock, &fake, 1).await;
    let (first, report) = first.join().unwrap();

    assert_eq!(titles(&fake), ["badge 1"], "sent exactly once");
    assert_eq!(
        second.unwrap(),
        PrintDrainReport::default(),
        "nothing for the other"
    );
    let report = report.unwrap();
    assert_eq!((report.done, report.lost), (vec![id], vec![]));
    let job = first.print_job(id).unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (PrintJobState::Done, 1));
    assert_eq!(first.audit_log(&AuditFilter::default()).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_claim_is_stamped_when_it_is_taken_not_when_the_pass_began() {
    let (_dir, db, clock, fake, first, ids) = slow_printer_with(&["badge 1", "badge 2"]);
    let first = print_pass(first);
    // The first label takes most of a lease to print (the sender renews it once on the way).
    fake.wait_for_jobs(1, PATIENCE);
    advance_and_wait_for_renewal(&db, "print_jobs", ids[0].0, &clock, PRINT_LEASE * 5 / 6);
    fake.answer(1);
    fake.wait_for_jobs(2, PATIENCE);
    // The second is claimed just now, long after the pass began; a little later another
    // process drains. Only a claim stamped with the pass's start looks expired to it.
    clock.advance(time::Duration::seconds(30));
    let second = other_print_pass(&db, &clock, &fake, 2).await;
    let (_, report) = first.join().unwrap();

    assert_eq!(titles(&fake), ["badge 1", "badge 2"], "each sent once");
    assert_eq!(second.unwrap(), PrintDrainReport::default());
    assert_eq!(report.unwrap().done, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_drainers_send_each_intune_change_once_however_long_graph_takes() {
    let (graph, timer) = tenant().await;
    let device = graph.add_device(json!({"serialNumber": "R58NAAA1", "deviceName": "bench-1"}));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let clock = ManualClock::new(graph.clock().now());
    let mut first = open(&db, &clock);
    let item = first
        .outbox_enqueue(
            "device-notes",
            &device,
            Some(&format!("notes:{device}")),
            &json!({"notes": "stage 2 confirmed"}),
        )
        .unwrap();
    graph.hold();
    let start = clock.now();
    let client = client_with(&graph, timer.clone(), static_token());
    let first = drainer(move || async move {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let report = drain_outbox(
            &mut first,
            &client,
            &RetryPolicy::default(),
            &mut rng,
            start,
        )
        .await;
        (first, report)
    });
    until("Graph has the first drain's batch", || graph.held() == 1).await;
    // Graph takes longer than a lease to answer; the drain renews its claim on the way.
    let step = OUTBOX_LEASE * 2 / 3;
    for _ in 0..3 {
        advance_and_wait_for_renewal(&db, "outbox", item.0, &clock, step);
    }
    let mut other = open(&db, &clock);
    let now = clock.now();
    let client = client_with(&graph, timer.clone(), static_token());
    let second = drainer(move || async move {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        drain_outbox(&mut other, &client, &RetryPolicy::default(), &mut rng, now).await
    });
    until("the other drainer finishes or sends", || {
        second.is_finished() || graph.held() > 1
    })
    .await;
    graph.release();
    let second = second.join().unwrap();
    let (first, report) = first.join().unwrap();

    let writes = graph
        .exchanges()
        .into_iter()
        .filter(|e| e.method == "PATCH" && e.url.contains(&device))
        .count();
    assert_eq!(
        writes,
        1,
        "the notes were written once: {:?}",
        graph.exchanges()
    );
    assert_eq!(
        second.unwrap(),
        OutboxDrainReport::default(),
        "nothing for the other"
    );
    let report = report.unwrap();
    assert_eq!((report.sent, report.lost), (1, 0), "{report:?}");
    assert_eq!(first.outbox_len().unwrap(), Default::default());
}
