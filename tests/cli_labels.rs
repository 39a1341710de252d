//! `stagebench printers status` and `labels print` against a fake Zebra on raw TCP 9100.

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
