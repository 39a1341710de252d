//! The real app with a serial-port barcode scanner (a socat PTY pair stands in for the USB CDC
//! port; the test writes scans into the other end), driven over WebDriver under Xvfb. The port
//! is set on the Settings screen; scans (CR LF terminated, one with an AIM `]C1` prefix) land in
//! the active batch and show on Settings and on the Batches screen; a garbled scan is refused
//! with the reason; the scanner unplugged shows as waiting and is read again once back; a scan
//! with no active batch is held and then added from the Batches screen. Screenshots land in
//! artifacts/e2e/.

use std::path::Path;

use fantoccini::Client;
use stagebench_core::audit::AuditAction;
use stagebench_core::batch::BatchStore;
use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
use stagebench_core::ids::BatchId;
use stagebench_core::scanner::pty::PtyPair;
use stagebench_core::stage::Flow;
use stagebench_core::store::{AuditFilter, Store, FILE_NAME};
use stagebench_core::testing::RealAdbServer;
use stagebench_e2e::wait::Look;
use stagebench_e2e::webdriver::{
    absent, attr_of, click, connect, present, screenshot, start_driver, text_at, text_of,
    type_into, wait_for,
};

fn batch(name: &str) -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: name.into(),
            profile: ProfileFacts::offline(
                Flow::StagingToken,
                "Corporate-owned, fully managed",
                Some(time::OffsetDateTime::now_utc() + time::Duration::days(30)),
                None,
            ),
            vendor: "Dock 4".into(),
            due: None,
            expected_count: None,
            // The serials scanned below are the batch's devices (a code that is no device's
            // serial waits for a slot instead: see app_slots.rs).
            expected_serials: ["R5CR0001", "PF3WK2X9", "R5CR0003", "R5CR0004", "NEWBOX0009"]
                .map(String::from)
                .to_vec(),
        },
        created_at: time::OffsetDateTime::now_utc(),
        created_by: "admin@contoso.com".into(),
        origin: BatchOrigin::Local,
    }
}

/// Whether the batch holds the device with this serial.
fn in_batch(data: &Path, batch: &BatchId, serial: &str) -> bool {
    let store = Store::open(&data.join(FILE_NAME)).unwrap();
    let members: Vec<_> = store
        .batch_devices(batch)
        .unwrap()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    store
        .devices_with_serial(serial)
        .unwrap()
        .iter()
        .any(|id| members.contains(id))
}

/// Look: the text of the Settings screen's last-scans row with this result and serial.
async fn settings_row(client: &Client, result: &str, serial: &str) -> Look<String> {
    let row = format!("#settings-scanner-scans li[data-result='{result}'][data-serial='{serial}']");
    match text_of(client, &row).await {
        Some(text) => Ok(text),
        None => Err(format!(
            "the last scans are {:?}",
            text_of(client, "#settings-scanner-scans").await
        )),
    }
}

/// Scrolls the element matching `css` to the top of the view (for the screenshots).
async fn scroll_to(client: &Client, css: &str) {
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'start' });",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Look: the scanner's status on Settings is `state`.
async fn scanner_state(client: &Client, state: &str) -> Look<()> {
    let status = "#settings-scanner-status";
    match attr_of(client, status, "data-state").await {
        Some(now) if now == state => Ok(()),
        now => Err(format!(
            "the scanner is {now:?}: {:?}",
            text_of(client, status).await
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serial_scanner_set_on_settings_adds_scanned_devices_to_the_active_batch() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let data = tempfile::tempdir().unwrap();
    let boxes = batch("Boxes from Dock 4");
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        store.create_batch(&boxes).unwrap();
        store.set_active_batch(Some(&boxes.id)).unwrap();
    }
    let ports = tempfile::tempdir().unwrap();
    let host = ports.path().join("host").display().to_string();
    let pair = PtyPair::start(ports.path());

    let (_driver, port) = start_driver(data.path(), adb.port(), &[]).await;
    let client = connect(port).await;

    // Settings: no scanner yet; type the port (a PTY is not in the OS's port list), save.
    click(&client, "#nav-settings").await;
    wait_for(&client, "the scanner off", || scanner_state(&client, "off")).await;
    type_into(&client, "#settings-scanner-port", &host).await;
    click(&client, "#settings-scanner-save").await;
    let saved = wait_for(&client, "the scanner saved", || {
        text_at(&client, "#settings-scanner-saved")
    })
    .await;
    assert_eq!(saved, format!("Saved: reading {host} at 9600 baud."));
    wait_for(&client, "the scanner connected", || {
        scanner_state(&client, "connected")
    })
    .await;
    let status = text_of(&client, "#settings-scanner-status").await.unwrap();
    assert!(
        status.contains(&format!("Connected to {host} at 9600 baud")),
        "{status}"
    );
    {
        let store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        assert_eq!(
            store.bench_setting("scanner_port").unwrap().as_deref(),
            Some(host.as_str()),
            "saved as a bench setting"
        );
    }

    // Scans with CR LF, one with an AIM identifier, one garbled.
    pair.scan(b"R5CR0001\r\n]C1pf3wk2x9\r\nAB\x1bCD\r\n");
    let first = wait_for(&client, "the first scan on Settings", || {
        settings_row(&client, "added", "R5CR0001")
    })
    .await;
    assert!(first.contains("added to “Boxes from Dock 4”"), "{first}");
    let second = wait_for(&client, "the AIM scan on Settings", || {
        settings_row(&client, "added", "PF3WK2X9")
    })
    .await;
    assert!(second.contains("]C1"), "the symbology is shown: {second}");
    let refused = wait_for(&client, "the garbled scan refused", || {
        text_at(&client, "#settings-scanner-scans li[data-result='refused']")
    })
    .await;
    assert!(
        refused.contains("control characters") && refused.contains("baud rate"),
        "{refused}"
    );
    assert!(
        refused.contains(r"AB\u{1b}CD"),
        "the control character is shown, not sent to the screen raw: {refused}"
    );
    scroll_to(&client, "#settings-scanner").await;
    screenshot(&client, "scanner-settings.png").await;
    assert!(
        in_batch(data.path(), &boxes.id, "R5CR0001")
            && in_batch(data.path(), &boxes.id, "PF3WK2X9"),
        "both devices joined the batch"
    );

    // Unplugged: the status says what to do; plugged in again: read again without a restart.
    pair.unplug();
    wait_for(&client, "the scanner waiting", || {
        scanner_state(&client, "waiting")
    })
    .await;
    let waiting = text_of(&client, "#settings-scanner-status").await.unwrap();
    assert!(
        waiting.contains(&host) && waiting.contains("plug it back in"),
        "{waiting}"
    );
    scroll_to(&client, "#settings-scanner").await;
    screenshot(&client, "scanner-unplugged.png").await;
    let pair = PtyPair::start(ports.path());
    wait_for(&client, "the scanner connected again", || {
        scanner_state(&client, "connected")
    })
    .await;
    pair.scan(b"R5CR0003\r\n");
    wait_for(&client, "a scan after replugging", || {
        settings_row(&client, "added", "R5CR0003")
    })
    .await;

    // The Batches screen: the serial scans show under the batch's scan field as they land.
    click(&client, "#nav-batches").await;
    click(&client, &format!(".batch-item[data-id='{}']", boxes.id)).await;
    wait_for(&client, "the serial scanner's status on the batch", || {
        text_at(&client, "#serial-scanner-status")
    })
    .await;
    pair.scan(b"]C0R5CR0004\r\n");
    let landed = wait_for(&client, "the scan on the Batches screen", || {
        text_at(
            &client,
            "#serial-scan-results li[data-result='added'][data-serial='R5CR0004']",
        )
    })
    .await;
    assert!(landed.contains("added to “Boxes from Dock 4”"), "{landed}");
    let listed = text_of(&client, "#serial-scan-results").await.unwrap();
    assert!(
        listed.contains("R5CR0001")
            && listed.contains("PF3WK2X9")
            && listed.contains("control characters"),
        "{listed}"
    );
    screenshot(&client, "scanner-batch.png").await;

    // No active batch: the scan is held, not lost, and added to the batch on screen.
    click(&client, "#batch-clear-active").await;
    wait_for(&client, "the batch no longer active", || {
        present(&client, "#batch-set-active")
    })
    .await;
    pair.scan(b"NEWBOX0009\r\n");
    let held = wait_for(&client, "the held scan", || {
        text_at(
            &client,
            "#serial-scan-results li[data-result='held'][data-serial='NEWBOX0009']",
        )
    })
    .await;
    assert!(held.contains("no active batch"), "{held}");
    assert!(!in_batch(data.path(), &boxes.id, "NEWBOX0009"));
    screenshot(&client, "scanner-held.png").await;
    click(&client, "#serial-add-held").await;
    let added = wait_for(&client, "the held scan added", || {
        text_at(
            &client,
            "#serial-scan-results li[data-result='added'][data-serial='NEWBOX0009']",
        )
    })
    .await;
    assert!(added.contains("added to “Boxes from Dock 4”"), "{added}");
    assert!(
        in_batch(data.path(), &boxes.id, "NEWBOX0009"),
        "the held scan joined the batch"
    );
    wait_for(&client, "nothing held any more", || {
        absent(&client, "#serial-add-held")
    })
    .await;

    // Every device that joined is in the audit log as added by a scan.
    let store = Store::open(&data.path().join(FILE_NAME)).unwrap();
    let filter = AuditFilter {
        batch: Some(boxes.id.clone()),
        action: Some(AuditAction::DeviceAdded),
        ..AuditFilter::default()
    };
    let audited = store.audit_log(&filter).unwrap();
    let mut serials: Vec<_> = audited.iter().filter_map(|r| r.device.clone()).collect();
    serials.sort();
    assert_eq!(
        serials,
        ["NEWBOX0009", "PF3WK2X9", "R5CR0001", "R5CR0003", "R5CR0004"]
    );
    drop(pair);
    client.close().await.unwrap();
}
