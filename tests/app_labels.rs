//! The Labels screen of the real app under Xvfb, over WebDriver. A batch with two devices is in
//! the bench history: its device labels preview as the printer prints them (the preview's QR
//! decodes to the first serial), a raw 9100 printer (a TCP listener here) is added from the
//! Printers panel, the batch is printed, the queue panel shows the job printed, and the ZPL the
//! listener received holds rasters whose QR codes decode to the batch's serials. The batch's
//! enrollment label previews masked (a stand-in, no QR display recorded) until Reveal, which
//! shows the real payload and is audited. A batch whose token expired shows its enrollment
//! label blocked with the reason, and nothing is shown or audited. Screenshots land in
//! artifacts/e2e/.

use fantoccini::Client;
use stagebench_core::audit::AuditAction;
use stagebench_core::batch::exchange::keep_qr;
use stagebench_core::batch::BatchStore;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::BatchId;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::label::output::read_zpl;
use stagebench_core::printer::fake::{FakeAnswer, FakeZebra};
use stagebench_core::printer::status::HostStatusAnswer;
use stagebench_core::provisioning::Payload;
use stagebench_core::secret::SecretText;
use stagebench_core::store::{AuditFilter, Sighting, Store, FILE_NAME};
use stagebench_core::testing::free_port;
use stagebench_e2e::batches::local_batch;
use stagebench_e2e::qr::{decode_qr_bitmap, decode_qr_png};
use stagebench_e2e::wait::{Look, PATIENCE};
use stagebench_e2e::webdriver::{
    absent, attr_is, attr_of, click, connect, element, screenshot, select, start_driver, text_at,
    text_matching, text_of, type_into, wait_for,
};

const SERIALS: [&str; 2] = ["R5CRLBL0001", "R5CRLBL0002"];
const TOKEN: &str = "E2E-LABELS-T0K3N";

/// Look: the preview image's bytes, from its `data:` URL.
async fn preview_png(client: &Client) -> Look<Vec<u8>> {
    let bytes = client
        .execute(
            "const i = document.querySelector('#label-preview-img'); return i && Array.from(atob(i.src.split(',')[1]), c => c.charCodeAt(0));",
            vec![],
        )
        .await
        .map_err(|e| format!("the preview script failed: {e}"))?;
    let bytes = bytes.as_array().ok_or("no preview image")?;
    Ok(bytes.iter().map(|b| b.as_u64().unwrap() as u8).collect())
}

/// Waits for a preview whose image decodes to exactly one QR code that `accept` takes, and
/// returns its text.
async fn preview_qr(client: &Client, what: &str, accept: impl Fn(&str) -> bool) -> String {
    let accept = &accept;
    wait_for(client, what, || async move {
        let decoded = decode_qr_png(&preview_png(client).await?);
        match decoded.as_slice() {
            [one] if accept(one) => Ok(one.clone()),
            _ => Err(format!("the preview's QR codes read {decoded:?}")),
        }
    })
    .await
}

fn qr_displays(store: &Store) -> usize {
    store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::QrDisplay),
            ..AuditFilter::default()
        })
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_preview_print_to_a_raw_printer_and_guard_enrollment_labels() {
    // The bench history: a batch with two devices read on the bench, and one whose token expired.
    let data = tempfile::tempdir().unwrap();
    let good = local_batch("Dock 7 scanners", 30, &SERIALS);
    let expired = local_batch("Expired wave", -2, &[]);
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        store.create_batch(&good).unwrap();
        store.create_batch(&expired).unwrap();
        for serial in SERIALS {
            let sighting =
                Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)])
                    .with_facts(serde_json::json!({"manufacturer": "Zebra", "model": "TC58"}));
            let id = store.record_sighting(&sighting).unwrap();
            store.assign_batch(id).unwrap();
        }
    }
    // The good batch's QR is kept in the keyring, as a pack import keeps it.
    let payload = Payload::android_enterprise(TOKEN, None)
        .unwrap()
        .qr_text()
        .to_string();
    let keyring = OsKeyring::new();
    keep_qr(&keyring, &good.id, &SecretText::new(payload.clone()))
        .await
        .expect("the test Secret Service (scripts/test-env.sh)");

    // A raw 9100 Zebra that answers `~HS`: out of labels at first, so the job waits for it.
    let zebra = FakeZebra::start(FakeAnswer::Status(HostStatusAnswer {
        paper_out: true,
        ..HostStatusAnswer::READY
    }))
    .unwrap();
    let printer_port = zebra.port();

    let no_adb = free_port().unwrap();
    let env = [("STAGEBENCH_TECHNICIAN", "label-tech".to_string())];
    let (_driver, port) = start_driver(data.path(), no_adb, &env).await;
    let client = connect(port).await;

    // Labels: a device template and the batch; the preview's QR is the first device's serial.
    click(&client, "#nav-labels").await;
    let option = format!("#label-batch option[value='{}']", good.id);
    wait_for(&client, "the batch in the picker", || {
        text_at(&client, &option)
    })
    .await;
    click(&client, "#label-source-batch").await;
    select(&client, "#label-batch", good.id.as_str()).await;
    select(&client, "#label-template", "device-2x1in").await;
    let first = preview_qr(&client, "the device label preview", |t| t == SERIALS[0]).await;
    assert_eq!(first, SERIALS[0]);
    let facts = text_of(&client, "#label-facts").await.unwrap();
    assert!(
        facts.contains("50.8 × 25.4 mm label, 406 × 203 dots at 203 dpi")
            && facts.contains("2 labels on 2 pages"),
        "{facts}"
    );
    assert!(facts.contains("dots per module"), "{facts}");
    screenshot(&client, "labels-preview.png").await;

    // Add the raw printer at 300 dpi from the Printers panel; the preview follows its resolution.
    type_into(&client, "#printer-add-name", "zebra").await;
    select(&client, "#printer-add-kind", "raw").await;
    type_into(
        &client,
        "#printer-add-address",
        &format!("127.0.0.1:{printer_port}"),
    )
    .await;
    select(&client, "#printer-add-dpi", "300").await;
    click(&client, "#printer-add-go").await;
    let zebra_row = "#printers-list li[data-name='zebra']";
    let row = wait_for(&client, "the printer listed", || {
        text_at(&client, zebra_row)
    })
    .await;
    assert!(
        row.contains(&format!("raw 127.0.0.1:{printer_port}"))
            && row.contains("300 dpi")
            && row.contains("ZPL"),
        "{row}"
    );
    select(&client, "#label-printer", "zebra").await;
    wait_for(&client, "the preview at the printer's 300 dpi", || {
        attr_is(&client, "#label-preview-img", "data-dpi", "300")
    })
    .await;
    preview_qr(&client, "the 300 dpi preview", |t| t == SERIALS[0]).await;

    // Print the batch: the queue panel shows the job printed.
    click(&client, "#label-print").await;
    let result = wait_for(&client, "the print queued", || {
        text_at(&client, "#label-print-result")
    })
    .await;
    assert!(
        result.contains("2 label(s) at 300 dpi as ZPL for zebra"),
        "{result}"
    );
    // Asked, the printer says it is out of labels and what to do. (The queue's first word on
    // the job may arrive just now and push the Printers panel down: the click holds anyway.)
    click(&client, &format!("{zebra_row} .printer-status")).await;
    let answer = format!("{zebra_row} .printer-status-text[data-readiness]");
    let said = wait_for(&client, "the printer's status", || async {
        match text_of(&client, &answer).await {
            Some(said) => Ok(said),
            None => Err(format!(
                "the zebra row says {:?}",
                text_of(&client, zebra_row).await
            )),
        }
    })
    .await;
    assert!(
        said.contains("zebra is out of labels: load labels"),
        "{said}"
    );
    // Out of labels: the job stays queued and the queue says what to do; labels loaded, it prints.
    let held = wait_for(&client, "the job held for labels", || {
        text_matching(&client, "#print-queue li", |t| t.contains("out of labels"))
    })
    .await;
    assert!(held.contains("load labels"), "{held}");
    assert!(
        zebra.jobs().is_empty(),
        "nothing is sent to a printer that is out of labels"
    );
    screenshot(&client, "labels-held.png").await;
    // A test label queued behind it is cancelled: it stays in the list, failed, and is never sent.
    click(&client, &format!("{zebra_row} .printer-test")).await;
    let test_job = "2"; // the batch's job is 1
    wait_for(&client, "the test label queued", || {
        text_at(
            &client,
            "#print-queue li[data-id='2'][data-state='queued'] .job-cancel",
        )
    })
    .await;
    click(
        &client,
        &format!("#print-queue li[data-id='{test_job}'] .job-cancel"),
    )
    .await;
    let failed_row = format!("#print-queue li[data-id='{test_job}'][data-state='failed']");
    let cancelled = wait_for(&client, "the test label cancelled", || {
        text_at(&client, &failed_row)
    })
    .await;
    assert!(cancelled.contains("cancelled by label-tech"), "{cancelled}");
    zebra.set_answer(FakeAnswer::Status(HostStatusAnswer::READY));
    // Held jobs are asked about again after the queue's recheck interval (15 s).
    let done = wait_for(&client, "the job printed", || async {
        match text_of(&client, "#print-queue li[data-state='done']").await {
            Some(done) => Ok(done),
            None => Err(format!(
                "the queue says {:?}",
                text_of(&client, "#print-queue").await
            )),
        }
    })
    .await;
    assert!(done.contains("printed") && done.contains("zebra"), "{done}");
    screenshot(&client, "labels-printed.png").await;

    // What the printer got: ZPL at 300 dpi whose rasters' QR codes are the batch's serials.
    let jobs = zebra.wait_for_jobs(1, PATIENCE);
    assert_eq!(
        jobs.len(),
        1,
        "one job for the batch, and the cancelled test label never sent"
    );
    let text = String::from_utf8(jobs[0].clone()).expect("ZPL is text");
    let labels = read_zpl(&text).expect("our own ZPL reads back");
    assert_eq!(labels.len(), 2, "one label per device");
    let mut decoded = Vec::new();
    for label in &labels {
        assert_eq!(label.print_width, 600, "2 in at 300 dpi");
        decoded.extend(decode_qr_bitmap(&label.raster));
    }
    assert_eq!(
        decoded, SERIALS,
        "the labels' QR codes are the serials, in batch order"
    );

    // The enrollment label previews masked: the same size of code, holding no token, no QR display.
    let store = Store::open(&data.path().join(FILE_NAME)).unwrap();
    select(&client, "#label-printer", "").await;
    click(&client, "#label-source-enrollment").await;
    select(&client, "#label-template", "enrollment-4x6in").await;
    let masked = preview_qr(&client, "the masked enrollment preview", |t| {
        t.starts_with("masked")
    })
    .await;
    assert_eq!(
        masked.len(),
        payload.len(),
        "the stand-in is as long as the payload"
    );
    assert!(!masked.contains(TOKEN));
    assert_eq!(
        attr_of(&client, "#label-preview-img", "data-masked")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        qr_displays(&store),
        0,
        "a masked preview is not a QR display"
    );
    screenshot(&client, "labels-enrollment-masked.png").await;

    // Reveal: the real payload, recorded as a QR display by the technician.
    click(&client, "#label-reveal").await;
    let shown = preview_qr(&client, "the revealed enrollment preview", |t| {
        t.contains(TOKEN)
    })
    .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
        serde_json::from_str::<serde_json::Value>(&payload).unwrap()
    );
    assert_eq!(
        attr_of(&client, "#label-preview-img", "data-masked")
            .await
            .as_deref(),
        Some("false")
    );
    let displays = store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::QrDisplay),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(displays.len(), 1, "the reveal is audited once");
    assert_eq!(displays[0].actor, "label-tech");
    screenshot(&client, "labels-enrollment-revealed.png").await;

    // A batch whose token expired: its enrollment label is blocked with the reason, nothing drawn.
    select(&client, "#label-batch", expired.id.as_str()).await;
    let guard = wait_for(&client, "the token guard", || {
        text_at(&client, "#label-token-guard")
    })
    .await;
    assert!(
        guard.contains("Enrollment printing blocked") && guard.contains("expired on"),
        "{guard}"
    );
    let blocked = wait_for(&client, "the blocked preview", || {
        text_at(&client, "#label-blocked")
    })
    .await;
    assert!(
        blocked.contains("Printing blocked") && blocked.contains("expired on"),
        "{blocked}"
    );
    wait_for(&client, "the old preview gone", || {
        absent(&client, "#label-preview-img")
    })
    .await;
    let print = element(&client, "#label-print").await.unwrap();
    assert!(
        !print.is_enabled().await.unwrap(),
        "Print is off for a blocked label"
    );
    assert_eq!(qr_displays(&store), 1, "the blocked label read no payload");
    screenshot(&client, "labels-enrollment-blocked.png").await;

    let _ = keyring_cleanup(&keyring, &good.id).await;
    client.close().await.unwrap();
}

async fn keyring_cleanup(
    keyring: &OsKeyring,
    batch: &BatchId,
) -> Result<bool, stagebench_core::intune::SignInError> {
    use stagebench_core::intune::auth::SecretStore;
    keyring
        .delete(&stagebench_core::batch::exchange::qr_secret_name(batch))
        .await
}
