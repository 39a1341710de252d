//! Printing through real peers: a private cupsd with the cups-pdf printer (IPP listing, a PDF
//! job followed to completion, the output rasterized with pdftoppm and its QR decoded), raw TCP
//! listeners (the ZPL received; a printer that closes early), the fake Zebra answering `~HS`
//! (out of labels: held; ready: sent; silent or garbled: sent anyway), a socat pty pair
//! (serial, with `~HS` answered on the far end), and the queue across a killed process.

#[path = "support/cups.rs"]
mod cups;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use stagebench_core::audit::AuditAction;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::printer::fake::{FakeAnswer, FakeZebra};
use stagebench_core::printer::queue::NOT_READY_RECHECK;
use stagebench_core::printer::status::HostStatusAnswer;
use stagebench_core::printer::{
    self, drain_once, DocumentKind, IppClient, IppJobState, PrintTransport, PrinterConfig,
    PrinterStore, PrinterTarget, Readiness, SystemPrinters,
};
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::scanner::pty::PtyPair;
use stagebench_core::store::{AuditFilter, NewPrintJob, PrintJobState, Store, PRINT_LEASE};
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;

/// No jitter, 2 attempts, 1 s apart: failures are predictable.
const TWO_TRIES: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    base: Duration::from_secs(1),
    max_delay: Duration::from_secs(1),
    jitter: false,
};

/// How long a printer that answers `~HS` may take: an upper bound for a loaded machine (the
/// fakes answer at once, so a healthy run never waits for it).
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// How long a printer that never answers `~HS` is waited for: what those tests are about, and
/// short, since silence looks the same whatever the wait.
const SILENCE: Duration = Duration::from_millis(500);

/// The longest a test here waits for something to show (a job's bytes, a CUPS job finishing):
/// an upper bound for a loaded machine, never waited out by a healthy one.
const PATIENCE: Duration = Duration::from_secs(120);

/// Printers whose `~HS` answer matters: a late answer is waited for.
fn system() -> SystemPrinters {
    SystemPrinters::new(IppClient::new().unwrap(), "stagebench-test-nobody")
        .with_status_timeout(ANSWER_WITHIN)
}

/// Printers that never answer `~HS` (silent fakes, listeners that only read).
fn silent() -> SystemPrinters {
    system().with_status_timeout(SILENCE)
}

fn raw_printer(name: &str, port: u16) -> PrinterConfig {
    PrinterConfig {
        name: name.into(),
        target: PrinterTarget::Raw {
            host: "127.0.0.1".into(),
            port,
        },
        dpi: Some(203),
        media: Some("2x1in".into()),
    }
}

fn unique_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("sbtest{}x{}", std::process::id(), nanos % 1_000_000_000)
}

fn later(secs: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::seconds(secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cups_lists_prints_a_pdf_and_the_output_decodes_to_what_was_sent() {
    let cups = match cups::Cups::start() {
        Ok(cups) => cups,
        Err(why) => {
            eprintln!("SKIPPED cups test: {why}");
            return;
        }
    };
    let client = IppClient::new().unwrap();
    let printers = client.cups_printers(&cups.server_uri()).await.unwrap();
    let queue = printers
        .iter()
        .find(|p| p.name == cups.queue)
        .unwrap_or_else(|| panic!("{} not in {printers:?}", cups.queue));
    assert_eq!(queue.state, "idle");
    assert_eq!(queue.accepting_jobs, Some(true));
    assert!(
        queue
            .uri
            .as_deref()
            .is_some_and(|u| u.ends_with(&format!("/printers/{}", cups.queue))),
        "{queue:?}"
    );
    let attributes = client
        .printer_attributes(&cups.queue, &cups.printer_uri())
        .await
        .unwrap();
    assert_eq!(attributes.name, cups.queue);
    assert!(
        !attributes.media.is_empty(),
        "media-supported: {attributes:?}"
    );

    // Through the queue, as the app prints.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
    store
        .printer_save(&PrinterConfig {
            name: "PDF".into(),
            target: PrinterTarget::Ipp {
                url: cups.printer_uri(),
            },
            dpi: Some(203),
            media: None,
        })
        .unwrap();
    let status = system()
        .status(&store.printer("PDF").unwrap().unwrap())
        .await;
    assert_eq!(
        (status.readiness, status.ipp_state.as_deref()),
        (Readiness::Ready, Some("idle")),
        "{status:?}"
    );
    let tag = unique_tag();
    let text = format!("STAGEBENCH {tag}");
    let pdf = printer::test_pdf(&text, 216.0, 144.0);
    let mut job = NewPrintJob::new("PDF", DocumentKind::Pdf, pdf, "zoë");
    job.title = tag.clone();
    job.device_serial = Some("R58N123".into());
    job.label_kind = Some("device".into());
    let id = store.print_enqueue(&job).unwrap();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(report.done, [id], "{report:?}");
    let stored = store.print_job(id).unwrap().unwrap();
    assert_eq!(stored.state, PrintJobState::Done);
    let job_uri = stored.remote_job.expect("IPP job-uri kept");
    let job_id: i32 = job_uri
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .expect(&job_uri);

    let asked = std::time::Instant::now();
    let mut state = IppJobState::Pending;
    while asked.elapsed() < PATIENCE {
        state = client
            .job(&cups.queue, &cups.printer_uri(), job_id)
            .await
            .unwrap()
            .state;
        if state.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        state,
        IppJobState::Completed,
        "see {}",
        cups.log().display()
    );

    let output = cups.wait_for_output(&tag, PATIENCE).unwrap_or_else(|| {
        panic!(
            "no cups-pdf output with {tag} in {} within {PATIENCE:?}",
            cups::Cups::output_dir().display()
        )
    });
    let decoded = decode_qr_in_pdf(&output, dir.path());
    let _ = std::fs::remove_file(&output);
    assert_eq!(decoded, text);

    let audit = store.audit_log(&AuditFilter::default()).unwrap();
    let print = audit
        .iter()
        .find(|r| r.action == AuditAction::LabelPrint.name())
        .expect("label-print audited");
    assert_eq!(
        (print.device.as_deref(), print.actor.as_str()),
        (Some("R58N123"), "zoë")
    );
    assert_eq!(print.detail["printer"], "PDF");
    assert_eq!(print.detail["remote_job"], job_uri.as_str());
}

/// Rasterizes `pdf` at 203 dpi in black and white, as a thermal printer would, and decodes the
/// QR code on it.
fn decode_qr_in_pdf(pdf: &Path, dir: &Path) -> String {
    let prefix = dir.join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "203", "-mono", "-png", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) installed");
    assert!(status.success());
    let png = PathBuf::from(format!("{}.png", prefix.display()));
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn raw_9100_delivers_the_zpl_as_sent() {
    let zebra = FakeZebra::start(FakeAnswer::Status(HostStatusAnswer::READY)).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store
        .printer_save(&raw_printer("zebra", zebra.port()))
        .unwrap();
    let zpl = printer::test_zpl("R58N123");
    let mut job = NewPrintJob::new("zebra", DocumentKind::Zpl, zpl.clone(), "t");
    job.copies = 2;
    let id = store.print_enqueue(&job).unwrap();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(report.done, [id], "{report:?}");
    assert_eq!(
        zebra.wait_for_jobs(1, PATIENCE),
        [[zpl.clone(), zpl].concat()]
    );
    assert_eq!(zebra.queries(), 1, "asked for its status first");
}

#[tokio::test]
async fn a_zebra_out_of_labels_keeps_the_job_queued_until_labels_are_loaded() {
    let out = HostStatusAnswer {
        paper_out: true,
        ..HostStatusAnswer::READY
    };
    let zebra = FakeZebra::start(FakeAnswer::Status(out)).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store
        .printer_save(&raw_printer("Zebra-1", zebra.port()))
        .unwrap();
    let zpl = printer::test_zpl("R58N123");
    let first = store
        .print_enqueue(&NewPrintJob::new(
            "Zebra-1",
            DocumentKind::Zpl,
            zpl.clone(),
            "t",
        ))
        .unwrap();
    let second = store
        .print_enqueue(&NewPrintJob::new(
            "Zebra-1",
            DocumentKind::Zpl,
            zpl.clone(),
            "t",
        ))
        .unwrap();

    let now = OffsetDateTime::now_utc();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, now)
        .await
        .unwrap();
    let reason = "Zebra-1 is out of labels: load labels and the queue sends it again";
    assert_eq!(
        report.retried,
        [(first, reason.to_owned()), (second, reason.to_owned())],
        "{report:?}"
    );
    assert!(
        report.done.is_empty() && report.failed.is_empty(),
        "{report:?}"
    );
    for id in [first, second] {
        let job = store.print_job(id).unwrap().unwrap();
        assert_eq!(
            (job.state, job.attempts, job.last_error.as_deref()),
            (PrintJobState::Queued, 0, Some(reason))
        );
    }
    assert_eq!(zebra.queries(), 1, "one question per printer and pass");
    assert!(
        zebra.jobs().is_empty(),
        "nothing sent to a printer without labels"
    );

    // Many passes while nobody loads labels: still queued, still no attempt spent.
    let recheck = i64::try_from(NOT_READY_RECHECK.as_secs()).unwrap() + 1;
    for pass in 1..=4 {
        let report = drain_once(
            &mut store,
            &system(),
            &TWO_TRIES,
            now + time::Duration::seconds(recheck * pass),
        )
        .await
        .unwrap();
        assert_eq!(report.retried.len(), 2, "{report:?}");
    }
    assert_eq!(store.print_job(first).unwrap().unwrap().attempts, 0);

    zebra.set_answer(FakeAnswer::Status(HostStatusAnswer::READY));
    let report = drain_once(
        &mut store,
        &system(),
        &TWO_TRIES,
        now + time::Duration::seconds(recheck * 5),
    )
    .await
    .unwrap();
    assert_eq!(report.done, [first, second], "{report:?}");
    assert_eq!(zebra.wait_for_jobs(2, PATIENCE), [zpl.clone(), zpl]);
    let job = store.print_job(first).unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts, job.last_error),
        (PrintJobState::Done, 1, None)
    );
}

#[tokio::test]
async fn a_printer_that_ignores_or_garbles_host_status_still_gets_the_job() {
    let zpl = printer::test_zpl("R58N123");
    for answer in [
        FakeAnswer::Silent,
        FakeAnswer::Bytes(b"@PJL INFO STATUS\r\n".to_vec()),
    ] {
        let zebra = FakeZebra::start(answer.clone()).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        store
            .printer_save(&raw_printer("zebra", zebra.port()))
            .unwrap();
        let ids = [
            store
                .print_enqueue(&NewPrintJob::new(
                    "zebra",
                    DocumentKind::Zpl,
                    zpl.clone(),
                    "t",
                ))
                .unwrap(),
            store
                .print_enqueue(&NewPrintJob::new(
                    "zebra",
                    DocumentKind::Zpl,
                    zpl.clone(),
                    "t",
                ))
                .unwrap(),
        ];
        let status = silent().status(&raw_printer("zebra", zebra.port())).await;
        assert_eq!(
            status.readiness,
            Readiness::Unknown,
            "{answer:?}: {status:?}"
        );
        let report = drain_once(&mut store, &silent(), &TWO_TRIES, OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!(report.done, ids, "{answer:?}: {report:?}");
        assert_eq!(
            zebra.wait_for_jobs(2, PATIENCE),
            [zpl.clone(), zpl.clone()],
            "{answer:?}"
        );
        assert_eq!(
            zebra.queries(),
            2,
            "{answer:?}: asked once by hand, once by the pass (not once per job)"
        );
    }
}

#[tokio::test]
async fn status_names_what_stops_a_zebra_and_an_unreachable_one() {
    let answer = HostStatusAnswer {
        head_up: true,
        ..HostStatusAnswer::READY
    };
    let zebra = FakeZebra::start(FakeAnswer::Status(answer)).unwrap();
    let status = system().status(&raw_printer("zebra", zebra.port())).await;
    assert_eq!(status.readiness, Readiness::NotReady);
    assert_eq!(
        status.hold_message().unwrap(),
        "zebra has its print head open: close the print head and the queue sends it again"
    );
    assert!(
        status
            .host_status
            .as_ref()
            .is_some_and(|h| h.head_up && h.label_length_dots == 203),
        "{status:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let status = system().status(&raw_printer("zebra", closed)).await;
    assert_eq!(status.readiness, Readiness::Unreachable);
    assert!(
        status
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("cannot connect")),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_raw_printer_that_closes_early_is_retried_then_failed_with_the_reason() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Takes a few bytes, then drops the connection with the rest unread: the peer sees a reset.
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut head = [0u8; 4];
            let _ = stream.read_exact(&mut head).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(stream);
        }
    });
    let mut store = Store::open_in_memory().unwrap();
    store.printer_save(&raw_printer("zebra", port)).unwrap();
    let big = [b"^XA".as_slice(), &vec![b'A'; 256 * 1024], b"^XZ"].concat();
    let id = store
        .print_enqueue(&NewPrintJob::new("zebra", DocumentKind::Zpl, big, "t"))
        .unwrap();

    let first = drain_once(&mut store, &silent(), &TWO_TRIES, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(first.retried.len(), 1, "{first:?}");
    assert!(
        first.retried[0]
            .1
            .contains("closed the connection before taking the whole label"),
        "{first:?}"
    );
    assert_eq!(
        store.print_job(id).unwrap().unwrap().state,
        PrintJobState::Queued
    );

    let second = drain_once(&mut store, &silent(), &TWO_TRIES, later(2))
        .await
        .unwrap();
    assert_eq!(second.failed.len(), 1, "{second:?}");
    let job = store.print_job(id).unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (PrintJobState::Failed, 2));
    let message = job.last_error.unwrap();
    assert!(
        message.starts_with("gave up after 2 attempts: printer zebra: 127.0.0.1:"),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("; then retry print job {}", id.0)),
        "{message}"
    );
    assert_eq!(
        store.print_job(id).unwrap().unwrap().remedy(),
        Some(Remedy::RetryPrintJob { job: id }),
        "a failed job is retried by hand"
    );
    assert!(
        store.audit_log(&AuditFilter::default()).unwrap().is_empty(),
        "nothing printed, nothing audited"
    );
}

#[tokio::test]
async fn refused_connections_retry_and_wrong_documents_fail_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut store = Store::open_in_memory().unwrap();
    store.printer_save(&raw_printer("zebra", port)).unwrap();
    let zpl = store
        .print_enqueue(&NewPrintJob::new(
            "zebra",
            DocumentKind::Zpl,
            b"^XA^XZ".to_vec(),
            "t",
        ))
        .unwrap();
    let pdf = store
        .print_enqueue(&NewPrintJob::new(
            "zebra",
            DocumentKind::Pdf,
            b"%PDF-1.4".to_vec(),
            "t",
        ))
        .unwrap();
    let nowhere = store
        .print_enqueue(&NewPrintJob::new(
            "gone",
            DocumentKind::Zpl,
            b"^XA^XZ".to_vec(),
            "t",
        ))
        .unwrap();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(
        report.retried.iter().map(|r| r.0).collect::<Vec<_>>(),
        [zpl]
    );
    assert!(
        report.retried[0]
            .1
            .contains("printer zebra: cannot connect to 127.0.0.1:"),
        "{report:?}"
    );
    let failed: Vec<_> = report.failed.iter().map(|r| r.0).collect();
    assert_eq!(failed, [pdf, nowhere]);
    assert_eq!(
        report.failed[0].1,
        "printer zebra: a raw printer does not take PDF; render the label as ZPL for this printer, or print the PDF to an IPP/CUPS printer"
    );
    assert!(
        report.failed[1].1.starts_with(
            "no printer named gone on this bench; add a printer named gone, then retry the job"
        ),
        "{report:?}"
    );
    assert_eq!(
        store.print_job(pdf).unwrap().unwrap().attempts,
        1,
        "failed without retrying"
    );
}

/// Two linked pseudo-terminals from socat (core's test PTY pair): the bench prints to its host
/// end, a fake Zebra reads the other; `None` (skipped) without socat.
struct SerialLine {
    pair: PtyPair,
    dir: tempfile::TempDir,
}

impl SerialLine {
    fn start() -> Option<SerialLine> {
        if Command::new("socat")
            .arg("-V")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("SKIPPED serial test: socat missing (make deps-test)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let pair = PtyPair::start(dir.path());
        Some(SerialLine { pair, dir })
    }

    fn printer(&self, name: &str) -> PrinterConfig {
        PrinterConfig {
            name: name.into(),
            target: PrinterTarget::Serial {
                path: self.pair.host(),
                baud: 9600,
            },
            dpi: Some(203),
            media: None,
        }
    }

    /// A Zebra on the far end, returned once it has the port open: answers `~HS` with `answer`
    /// (when given), then collects what follows until `expected` bytes came or nothing more
    /// comes for `quiet`.
    fn zebra(
        &self,
        answer: Option<HostStatusAnswer>,
        expected: usize,
        quiet: Duration,
    ) -> std::thread::JoinHandle<(usize, Vec<u8>)> {
        use std::io::{Read, Write};
        // The end PtyPair::start links as `scanner` (the device's side).
        let path = self.dir.path().join("scanner").display().to_string();
        let (opened, open) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || {
            let mut port = serialport::new(path, 9600).timeout(quiet).open().unwrap();
            let _ = opened.send(());
            let (mut queries, mut got) = (0, Vec::new());
            let mut buf = [0u8; 256];
            while got.len() < expected {
                match port.read(&mut buf) {
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
                    Err(e) => panic!("after {} bytes: {e}", got.len()),
                }
                if got.starts_with(b"~HS") {
                    got.drain(..3);
                    queries += 1;
                    if let Some(answer) = answer {
                        port.write_all(&answer.bytes()).unwrap();
                    }
                }
            }
            (queries, got)
        });
        open.recv_timeout(PATIENCE)
            .expect("the fake Zebra opens its end of the PTY pair");
        handle
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_printer_over_a_pty_pair_gets_the_bytes() {
    let Some(pty) = SerialLine::start() else {
        return;
    };
    let zpl = printer::test_zpl("SERIAL R58N123");
    let zebra = pty.zebra(Some(HostStatusAnswer::READY), zpl.len(), PATIENCE);
    let mut store = Store::open_in_memory().unwrap();
    store.printer_save(&pty.printer("desk")).unwrap();
    let id = store
        .print_enqueue(&NewPrintJob::new(
            "desk",
            DocumentKind::Zpl,
            zpl.clone(),
            "t",
        ))
        .unwrap();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(report.done, [id], "{report:?}");
    assert_eq!(zebra.join().unwrap(), (1, zpl));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serial_zebra_with_its_head_open_is_not_sent_the_job_and_a_silent_one_is() {
    let Some(pty) = SerialLine::start() else {
        return;
    };
    let zpl = printer::test_zpl("SERIAL R58N123");
    let mut store = Store::open_in_memory().unwrap();
    store.printer_save(&pty.printer("desk")).unwrap();
    let id = store
        .print_enqueue(&NewPrintJob::new(
            "desk",
            DocumentKind::Zpl,
            zpl.clone(),
            "t",
        ))
        .unwrap();

    let open = HostStatusAnswer {
        head_up: true,
        ..HostStatusAnswer::READY
    };
    let zebra = pty.zebra(Some(open), zpl.len(), Duration::from_secs(2));
    let now = OffsetDateTime::now_utc();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, now)
        .await
        .unwrap();
    let reason = "desk has its print head open: close the print head and the queue sends it again";
    assert_eq!(report.retried, [(id, reason.to_owned())], "{report:?}");
    assert_eq!(
        zebra.join().unwrap(),
        (1, Vec::new()),
        "asked, and sent nothing after"
    );
    let job = store.print_job(id).unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (PrintJobState::Queued, 0));

    // A printer that never answers ~HS gets the job once the wait is over.
    let zebra = pty.zebra(None, zpl.len(), PATIENCE);
    let recheck = i64::try_from(NOT_READY_RECHECK.as_secs()).unwrap() + 1;
    let report = drain_once(
        &mut store,
        &silent(),
        &TWO_TRIES,
        now + time::Duration::seconds(recheck),
    )
    .await
    .unwrap();
    assert_eq!(report.done, [id], "{report:?}");
    assert_eq!(zebra.join().unwrap(), (1, zpl));
}

const CHILD_DB: &str = "STAGEBENCH_PRINT_CHILD_DB";

/// Run by `a_job_claimed_by_a_killed_process_is_sent_again` as a child process: drains the
/// queue into a printer that never reads, so it hangs mid-send until killed.
#[tokio::test]
async fn print_child() {
    let Some(path) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let mut store = Store::open(Path::new(&path)).unwrap();
    let _ = drain_once(&mut store, &silent(), &TWO_TRIES, OffsetDateTime::now_utc()).await;
    unreachable!("the send should hang until the parent kills this process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_claimed_by_a_killed_process_is_sent_again() {
    // A printer that accepts and never reads (nor answers ~HS): the child's status question
    // goes unanswered, then its write stalls once buffers are full.
    let stuck = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stuck_port = stuck.local_addr().unwrap().port();
    let (accepted, connections) = std::sync::mpsc::channel();
    let (release, held_until) = std::sync::mpsc::channel::<()>();
    let _held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for conn in stuck.incoming().take(2) {
            conns.push(conn);
            let _ = accepted.send(());
        }
        // Held open (never read) until the test is done with them.
        let _ = held_until.recv();
        drop(conns);
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let zpl = [b"^XA".as_slice(), &vec![b'B'; 16 * 1024 * 1024], b"^XZ"].concat();
    let id = {
        let mut store = Store::open(&db).unwrap();
        store
            .printer_save(&raw_printer("zebra", stuck_port))
            .unwrap();
        let mut job = NewPrintJob::new("zebra", DocumentKind::Zpl, zpl.clone(), "zoë");
        job.device_serial = Some("R58N123".into());
        store.print_enqueue(&job).unwrap()
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "print_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, &db)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // The printer's first connection is the status question, its second the send: once it has
    // both, the child has claimed the job and is inside the send.
    let asked = std::time::Instant::now();
    let mut connected = 0;
    while connected < 2 {
        match connections.recv_timeout(Duration::from_millis(100)) {
            Ok(()) => connected += 1,
            Err(_) => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("the child ended ({status}) after {connected} connections");
                }
                assert!(
                    asked.elapsed() < PATIENCE,
                    "the child made {connected} of 2 connections to the printer in {PATIENCE:?}"
                );
            }
        }
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.print_job(id).unwrap().unwrap().state,
        PrintJobState::Sending,
        "the child claimed the job"
    );
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed mid-send: {status}");
    drop(store);

    // A new process: the job stays claimed until the lease runs out, then goes to a printer
    // that works.
    let good = FakeZebra::start(FakeAnswer::Status(HostStatusAnswer::READY)).unwrap();
    let mut store = Store::open(&db).unwrap();
    store
        .printer_save(&raw_printer("zebra", good.port()))
        .unwrap();
    let early = drain_once(&mut store, &system(), &TWO_TRIES, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(early, Default::default(), "not before the lease runs out");
    let lease = i64::try_from(PRINT_LEASE.as_secs()).unwrap();
    let report = drain_once(&mut store, &system(), &TWO_TRIES, later(lease + 1))
        .await
        .unwrap();
    assert_eq!(report.done, [id], "{report:?}");
    let received = good.wait_for_jobs(1, PATIENCE);
    assert_eq!(
        received.iter().map(Vec::len).collect::<Vec<_>>(),
        [zpl.len()]
    );
    let job = store.print_job(id).unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (PrintJobState::Done, 2));
    let audit = store.audit_log(&AuditFilter::default()).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].device.as_deref()),
        ("label-print", Some("R58N123"))
    );
    drop(release);
}
