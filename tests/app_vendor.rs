//! A vendor bench without a tenant, in the real app under Xvfb over WebDriver: a bench pack
//! sealed by the test (core's `seal_with_work_factor`) is refused with a wrong passphrase and
//! imported with the right one (made active, the two plugged-in devices it expects join it); a
//! keyboard-wedge scan lands in the batch; Show QR is decoded from a screenshot to the pack's
//! payload; Settings shows the bench key and names the technician; the report exported from the
//! Batches screen (by file name, into the export folder) verifies with `report::verify` and
//! carries that fingerprint; the Activity screen lists the pack import, QR shown and report
//! export (newest first, by who) and says the chain is intact; a tampered report is refused with
//! "changed after the bench signed it"; the page's own call to a command the window is not
//! granted is refused. Screenshots land in artifacts/e2e/.
//!
//! Files are read from the file chosen in the native open dialog, which WebDriver cannot click:
//! the app (a debug build) is started with `STAGEBENCH_DIALOG_ANSWER` naming a file, kept apart
//! from the export folder, that the test writes the chosen path into before each import.

use fantoccini::{Client, Locator};
use stagebench_core::provisioning::Payload;
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::bench_view::serials_shown;
use stagebench_e2e::qr::decode_qr_png;
use stagebench_e2e::wait::{Look, PATIENCE};
use stagebench_e2e::webdriver::{
    absent, attr_of, click, connect, element, filled, present, screenshot, screenshot_until,
    select, set_value, start_driver, text_at, text_matching, text_of, type_into, wait_for,
};

const PACK_PASS: &str = "correct-horse-battery-staple-42";
const PACK_TOKEN: &str = "E2E-PACK-T0K3N";

/// The admin's side, done in the test: a bench pack of a batch expecting `serials`, whose QR
/// is a staging token's, sealed at a low work factor (cheap to open in a test).
fn admin_pack(serials: &[String]) -> (stagebench_core::batch::Batch, String, Vec<u8>) {
    use stagebench_core::batch::pack::{seal_with_work_factor, BenchPack};
    use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
    use stagebench_core::ids::BatchId;
    use stagebench_core::secret::SecretText;
    use stagebench_core::stage::Flow;
    let now = time::OffsetDateTime::now_utc();
    let batch = Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: "Leeds scanners: wave 3".into(),
            profile: ProfileFacts {
                profile_id: "e2e-staging-profile".into(),
                profile_name: "Warehouse staging".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: Some(now + time::Duration::days(30)),
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: None,
            },
            vendor: "Acme Staging".into(),
            due: None,
            expected_count: Some(serials.len() as u32),
            expected_serials: serials.to_vec(),
        },
        created_at: now,
        created_by: "admin@contoso.com".into(),
        origin: BatchOrigin::Local,
    };
    let payload = Payload::android_enterprise(PACK_TOKEN, None)
        .unwrap()
        .qr_text()
        .to_string();
    let pack = BenchPack::new(
        batch.clone(),
        SecretText::new(payload.clone()),
        "admin@contoso.com",
        now,
    );
    let sealed = seal_with_work_factor(&pack, &SecretText::new(PACK_PASS), 10).unwrap();
    (batch, payload, sealed)
}

/// Look: the actions of the Activity screen's rows, top to bottom.
async fn audit_actions(client: &Client) -> Look<Vec<String>> {
    let mut actions = Vec::new();
    for row in client
        .find_all(Locator::Css("#activity-rows tbody tr"))
        .await
        .map_err(|e| format!("#activity-rows: {e}"))?
    {
        let action = row
            .attr("data-action")
            .await
            .map_err(|e| format!("a row went away ({e})"))?;
        actions.push(action.unwrap_or_default());
    }
    Ok(actions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_imports_a_pack_shows_its_qr_exports_a_signed_report_and_the_activity_shows_it() {
    // A vendor bench with no tenant, two devices plugged in that the pack's batch expects.
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(2, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(2, PATIENCE).await.unwrap();
    let serials: Vec<String> = bench.models().iter().map(|(s, _, _)| s.clone()).collect();
    let (batch, payload, sealed) = admin_pack(&serials);
    let files = tempfile::tempdir().unwrap();
    let pack_path = files.path().join("wave 3.stagebench-pack");
    std::fs::write(&pack_path, &sealed).unwrap();
    let answers = tempfile::tempdir().unwrap();
    let answer = answers.path().join("dialog-answer");
    let choose = |path: &std::path::Path| std::fs::write(&answer, path.display().to_string());

    let data = tempfile::tempdir().unwrap();
    let env = [
        ("STAGEBENCH_TECHNICIAN", "vendor-tech".to_string()),
        ("STAGEBENCH_EXPORT_DIR", files.path().display().to_string()),
        ("STAGEBENCH_DIALOG_ANSWER", answer.display().to_string()),
    ];
    let (_driver, port) = start_driver(data.path(), adb.port(), &env).await;
    let client = connect(port).await;
    wait_for(&client, "the bench cards", || async {
        let shown = serials_shown(&client).await;
        if shown.len() == 2 {
            Ok(())
        } else {
            Err(format!("the Bench view's cards are {shown:?}"))
        }
    })
    .await;

    // Import the pack: a wrong passphrase is refused in the dialog, the right one imports and
    // makes it the active batch.
    click(&client, "#nav-batches").await;
    click(&client, "#pack-import-open").await;
    choose(&pack_path).unwrap();
    type_into(&client, "#pack-import-passphrase", "not-the-passphrase").await;
    click(&client, "#pack-import-go").await;
    let refused = wait_for(&client, "the wrong passphrase refused", || {
        text_at(&client, "#pack-import-error")
    })
    .await;
    assert!(
        refused.contains("passphrase does not open this bench pack"),
        "{refused}"
    );
    screenshot(&client, "pack-import-wrong-passphrase.png").await;
    type_into(&client, "#pack-import-passphrase", PACK_PASS).await;
    assert_eq!(
        element(&client, "#pack-import-activate")
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    click(&client, "#pack-import-go").await;
    let item = format!(".batch-item[data-id='{}']", batch.id);
    wait_for(&client, "the imported batch in the list", || {
        text_at(&client, &item)
    })
    .await;
    let title = wait_for(&client, "the imported batch selected", || {
        text_at(&client, "#batch-title")
    })
    .await;
    assert_eq!(title, "Leeds scanners: wave 3");
    let listed = wait_for(&client, "the imported batch made active", || {
        text_matching(&client, &item, |t| t.contains("active"))
    })
    .await;
    assert!(listed.contains("active"), "made active");
    assert!(
        client.find(Locator::Id("batch-export-pack")).await.is_err(),
        "a vendor does not re-export the admin's pack"
    );
    wait_for(&client, "the expected devices in the batch", || {
        text_matching(&client, "#batch-device-count", |t| t.starts_with("2 of 2"))
    })
    .await;
    screenshot(&client, "pack-imported.png").await;

    // A keyboard-wedge scanner types into the scan field and ends with Enter: a device already
    // in the batch says so; a scan too long to be a serial is refused and the field carries on.
    let wedge = format!("{}\u{E007}", serials[0].to_lowercase());
    type_into(&client, "#scan-input", &wedge).await;
    let row = format!("#scan-results li.ok[data-serial='{}']", serials[0]);
    let said = wait_for(&client, "the scan's outcome", || text_at(&client, &row)).await;
    assert!(said.contains("already in the batch"), "{said}");
    type_into(
        &client,
        "#scan-input",
        &format!("{}\u{E007}", "X".repeat(300)),
    )
    .await;
    let refused = wait_for(&client, "the refused scan", || {
        text_at(&client, "#scan-results li.bad")
    })
    .await;
    assert!(refused.contains("more than a serial can be"), "{refused}");
    screenshot(&client, "batch-scan.png").await;

    // Show QR: the pack's payload, full screen, read back from a screenshot; Exit closes it.
    click(&client, "#batch-show-qr").await;
    wait_for(&client, "the batch's QR", || {
        present(&client, "#batch-qr-canvas")
    })
    .await;
    let decoded = screenshot_until(&client, "batch-qr.png", "one QR on screen", |png| {
        let decoded = decode_qr_png(png);
        if decoded.len() == 1 {
            Ok(decoded)
        } else {
            Err(format!("the screenshot's QR codes read {decoded:?}"))
        }
    })
    .await;
    assert_eq!(decoded.len(), 1, "one QR on screen");
    let shown: serde_json::Value = serde_json::from_str(&decoded[0]).unwrap();
    assert_eq!(
        shown,
        serde_json::from_str::<serde_json::Value>(&payload).unwrap(),
        "the on-screen QR is the pack's payload"
    );
    click(&client, "#batch-qr-fullscreen").await;
    wait_for(&client, "the QR closed", || absent(&client, "#batch-qr")).await;

    // Settings: the bench's key, and the technician's name for what follows.
    click(&client, "#nav-settings").await;
    let fingerprint = wait_for(&client, "the bench key", || {
        filled(&client, "#settings-fingerprint")
    })
    .await;
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    type_into(&client, "#settings-technician-name", "Ana at Acme").await;
    click(&client, "#settings-technician-save").await;
    let saved = wait_for(&client, "the technician saved", || {
        text_at(&client, "#settings-technician-saved")
    })
    .await;
    assert!(saved.contains("Ana at Acme"), "{saved}");
    screenshot(&client, "settings.png").await;

    // Export the report with its CSV: named by file name (prefilled from the batch's), written
    // to the export folder; a path is refused.
    click(&client, "#nav-batches").await;
    click(&client, "#batch-export-report").await;
    let prefilled = wait_for(&client, "the report's file name prefilled", || {
        filled(&client, "#report-export-file")
    })
    .await;
    assert_eq!(
        prefilled, "Leeds scanners wave 3.stagebench-report",
        "named after the batch, path-safe"
    );
    let outside = data.path().join("report.stagebench-report");
    set_value(
        &client,
        "#report-export-file",
        &outside.display().to_string(),
    )
    .await;
    click(&client, "#report-export-go").await;
    let refused = wait_for(&client, "a path refused as a file name", || {
        text_at(&client, "#report-export-error")
    })
    .await;
    assert!(refused.contains("export folder"), "{refused}");
    assert!(
        !outside.exists(),
        "nothing written outside the export folder"
    );
    let report_path = files.path().join("wave 3.stagebench-report");
    let csv_path = files.path().join("wave 3.csv");
    set_value(&client, "#report-export-file", "wave 3.stagebench-report").await;
    set_value(&client, "#report-export-csv", "wave 3.csv").await;
    click(&client, "#report-export-go").await;
    wait_for(&client, "the report written", || {
        text_at(&client, "#report-export-result")
    })
    .await;
    assert_eq!(
        text_of(&client, "#report-export-devices").await.as_deref(),
        Some("2 devices")
    );
    assert_eq!(
        text_of(&client, "#report-export-fingerprint")
            .await
            .as_deref(),
        Some(fingerprint.as_str())
    );
    screenshot(&client, "report-exported.png").await;
    let written = std::fs::read(&report_path).unwrap();
    let verified =
        stagebench_core::batch::report::verify(&written).expect("the app's report verifies");
    assert_eq!(
        verified.signer.fingerprint, fingerprint,
        "signed by the key Settings shows"
    );
    assert_eq!(verified.report.batch.id, batch.id);
    assert_eq!(verified.report.devices.len(), 2);
    for serial in &serials {
        assert!(
            verified
                .report
                .devices
                .iter()
                .any(|d| d.serials.iter().any(|s| s.value == *serial)),
            "the report lists {serial}"
        );
    }
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(serials.iter().all(|s| csv.contains(s.as_str())), "{csv}");

    // Activity: the pack import, the QR shown and the report export, by who did them; intact.
    click(&client, "#nav-activity").await;
    let rows = wait_for(&client, "the audit rows", || async {
        let actions = audit_actions(&client).await?;
        if actions.contains(&"report-export".to_string()) {
            Ok(actions)
        } else {
            Err(format!("the rows' actions are {actions:?}"))
        }
    })
    .await;
    for action in ["pack-import", "qr-display", "report-export"] {
        assert!(rows.iter().any(|a| a == action), "{action} in {rows:?}");
    }
    assert_eq!(
        rows.first().map(String::as_str),
        Some("report-export"),
        "newest first: {rows:?}"
    );
    let log = text_of(&client, "#activity-rows").await.unwrap();
    assert!(
        log.contains("Bench pack imported")
            && log.contains("QR shown")
            && log.contains("Report exported"),
        "{log}"
    );
    let export_row = text_of(&client, "#activity-rows tr[data-action='report-export']")
        .await
        .unwrap();
    assert!(
        export_row.contains("Ana at Acme") && export_row.contains("Leeds scanners: wave 3"),
        "{export_row}"
    );
    let import_row = text_of(&client, "#activity-rows tr[data-action='pack-import']")
        .await
        .unwrap();
    assert!(
        import_row.contains("vendor-tech"),
        "before the name was set: {import_row}"
    );
    click(&client, "#activity-verify").await;
    wait_for(&client, "the integrity check", || {
        text_at(&client, "#activity-integrity")
    })
    .await;
    assert_eq!(
        attr_of(&client, "#activity-integrity", "data-status")
            .await
            .as_deref(),
        Some("intact")
    );
    screenshot(&client, "activity.png").await;
    select(&client, "#activity-action", "qr-display").await;
    wait_for(&client, "the filtered rows", || async {
        let actions = audit_actions(&client).await?;
        if !actions.is_empty() && actions.iter().all(|a| a == "qr-display") {
            Ok(())
        } else {
            Err(format!("the rows' actions are {actions:?}"))
        }
    })
    .await;

    // A report changed after signing is refused with the reason; the real one imports.
    let text = String::from_utf8(written).unwrap();
    assert!(text.contains("Acme Staging"));
    let tampered = files.path().join("tampered.stagebench-report");
    std::fs::write(&tampered, text.replacen("Acme Staging", "Acme Stagink", 1)).unwrap();
    click(&client, "#nav-batches").await;
    click(&client, "#report-import-open").await;
    choose(&tampered).unwrap();
    click(&client, "#report-import-go").await;
    let refused = wait_for(&client, "the tampered report refused", || {
        text_at(&client, "#report-import-error")
    })
    .await;
    assert!(
        refused.contains("changed after the bench signed it"),
        "{refused}"
    );
    screenshot(&client, "report-import-tampered.png").await;
    choose(&report_path).unwrap();
    click(&client, "#report-import-go").await;
    // This bench never exported the batch's pack: its signer is refused until accepted by
    // fingerprint, which the dialog shows with the action that accepts it.
    let untrusted = wait_for(&client, "the report's signer shown to accept", || {
        text_at(&client, "#report-import-untrusted-key")
    })
    .await;
    assert_eq!(untrusted, fingerprint);
    screenshot(&client, "report-import-untrusted.png").await;
    click(&client, "#report-import-accept-key").await;
    wait_for(&client, "the report imported", || {
        text_at(&client, "#report-import-result")
    })
    .await;
    assert_eq!(
        text_of(&client, "#report-import-signer").await.as_deref(),
        Some(fingerprint.as_str())
    );
    screenshot(&client, "report-imported.png").await;

    // The page itself may call only what its window is granted: a plugin command it was not
    // given (the file dialog, which only Rust opens) is refused.
    let said = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            window.__TAURI_INTERNALS__.invoke("plugin:dialog|open", { options: {} })
              .then(() => done("allowed"), (e) => done(String(e)));"#,
            vec![],
        )
        .await
        .unwrap();
    let said = said.as_str().unwrap_or_default().to_owned();
    assert!(said.contains("not allowed"), "{said}");

    client.close().await.unwrap();
}
