//! `stagebench printers status` and `labels print` against a fake Zebra on raw TCP 9100, and
//! `print-queue send` beside another process that is still sending a job.

use stagebench_e2e::cli::CliBench;
use stagebench_e2e::qr::decode_qr_bitmap;
use stagebench_e2e::wait::PATIENCE;

/// `printers status` reads the fake Zebra's `~HS` answer (out of labels, then ready); `labels
/// print` to it (raw 9100): the label is rendered at the printer's resolution as ZPL, queued,
/// sent, and the print is in the audit log; the ZPL read back holds the exact raster (the QR
/// decodes to the serial).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_print_to_a_raw_9100_printer_through_the_queue() {
    use stagebench_core::printer::fake::{FakeAnswer, FakeZebra};
    use stagebench_core::printer::status::HostStatusAnswer;
    let bench = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: None,
    };
    // A Zebra that answers ~HS: out of labels first, so `printers status` has something to say.
    let zebra = FakeZebra::start(FakeAnswer::Status(HostStatusAnswer {
        paper_out: true,
        ..HostStatusAnswer::READY
    }))
    .unwrap();
    let port = zebra.port();
    bench
        .ok(&[
            "printers",
            "add",
            "zebra",
            "--raw",
            &format!("127.0.0.1:{port}"),
            "--dpi",
            "300",
        ])
        .await;
    let status = bench.json(&["printers", "status", "--json"]).await;
    assert_eq!(
        (
            status[0]["printer"].as_str(),
            status[0]["readiness"].as_str()
        ),
        (Some("zebra"), Some("not-ready")),
        "{status:#}"
    );
    assert_eq!(status[0]["conditions"], serde_json::json!(["paper-out"]));
    assert_eq!(status[0]["host_status"]["paper_out"], true);
    let text = bench.ok(&["printers", "status", "zebra"]).await;
    assert!(
        text.contains("zebra is out of labels: load labels and the queue sends it again"),
        "{text}"
    );
    zebra.set_answer(FakeAnswer::Status(HostStatusAnswer::READY));
    assert_eq!(
        bench.json(&["printers", "status", "zebra", "--json"]).await[0]["readiness"],
        "ready"
    );

    let printed = bench
        .json(&[
            "labels",
            "print",
            "--printer",
            "zebra",
            "--template",
            "device-2x1in",
            "--serial",
            "R5CR100001",
            "--json",
        ])
        .await;
    assert_eq!(
        (printed["dpi"].as_u64(), printed["format"].as_str()),
        (Some(300), Some("zpl")),
        "{printed:#}"
    );
    let jobs = zebra.wait_for_jobs(1, PATIENCE);
    assert_eq!(jobs.len(), 1, "one job sent");
    let text = String::from_utf8_lossy(&jobs[0]);
    assert!(
        text.starts_with("^XA") && text.contains("^PW600") && text.trim_end().ends_with("^XZ"),
        "{}",
        &text[..80.min(text.len())]
    );
    let labels = stagebench_core::label::output::read_zpl(&text).expect("our own ZPL reads back");
    let decoded = decode_qr_bitmap(&labels[0].raster);
    assert_eq!(decoded, ["R5CR100001"]);
    let log = bench
        .json(&["audit", "--action", "label-print", "--json"])
        .await;
    assert_eq!(log[0]["device"], "R5CR100001");
}

/// The CLI's `print-queue send` (a process of its own, on the wall clock) beside a drainer in
/// this process whose printer takes longer than a lease: the job being sent is the drainer's,
/// kept by its renewals, and the CLI leaves it alone. The job prints once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_queue_send_leaves_a_job_another_process_is_still_sending() {
    use stagebench_core::clock::{Clock, ManualClock};
    use stagebench_core::printer::fake_ipp::FakeIppPrinter;
    use stagebench_core::printer::queue::PRINT_RETRY;
    use stagebench_core::printer::{
        drain_once, test_label, IppClient, PrinterConfig, PrinterStore, PrinterTarget,
        SystemPrinters,
    };
    use stagebench_core::store::{PrintJobState, Store, FILE_NAME, PRINT_LEASE};
    use stagebench_e2e::wait::{until, until_blocking};

    let bench = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: None,
    };
    let fake = FakeIppPrinter::start().unwrap();
    fake.hold();
    // This process's drain began two and a half minutes ago (more than a lease) on its clock,
    // which catches up with the wall clock while the printer holds the job.
    let lease = time::Duration::try_from(PRINT_LEASE).unwrap();
    let clock = ManualClock::new(time::OffsetDateTime::now_utc() - lease * 5 / 4);
    let db = bench.data.path().join(FILE_NAME);
    let mut store = Store::open(&db).unwrap().with_clock(clock.clone());
    let office = PrinterConfig {
        name: "office".into(),
        target: PrinterTarget::Ipp { url: fake.url() },
        dpi: Some(203),
        media: None,
    };
    store.printer_save(&office).unwrap();
    let id = store.print_enqueue(&test_label(&office, "zoë")).unwrap();
    let start = clock.now();
    let drainer = std::thread::spawn(move || {
        let printers = SystemPrinters::new(IppClient::new().unwrap(), "zoë");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(drain_once(&mut store, &printers, &PRINT_RETRY, start))
    });
    fake.wait_for_jobs(1, PATIENCE);
    let reader = Store::open(&db).unwrap();
    for _ in 0..2 {
        clock.advance(lease * 5 / 8);
        let wanted = stagebench_core::clock::timestamp(clock.now() + lease / 2);
        until_blocking("the drainer renews its lease", || {
            let job = reader.print_job(id).unwrap().unwrap();
            match job.lease_until {
                Some(until) if until >= wanted => Ok(()),
                other => Err(format!("lease until {other:?}")),
            }
        });
    }

    let cli = bench.run(&["print-queue", "send", "--json"]);
    tokio::pin!(cli);
    let sent_again = until("the printer gets the job again", || {
        let jobs = fake.jobs().len();
        async move {
            if jobs > 1 {
                Ok(())
            } else {
                Err(format!("{jobs} job"))
            }
        }
    });
    let out = tokio::select! {
        out = &mut cli => Some(out),
        () = sent_again => None,
    };
    fake.release();
    let out = match out {
        Some(out) => out,
        None => cli.await,
    };
    let report = drainer.join().unwrap().unwrap();

    assert_eq!(fake.jobs().len(), 1, "printed once");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        cli_report,
        serde_json::json!({"done": [], "retried": [], "failed": [], "lost": []})
    );
    assert_eq!(report.done, [id]);
    let job = reader.print_job(id).unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (PrintJobState::Done, 1));
}
