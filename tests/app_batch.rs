//! A batch staged like a technician would, in the real app under Xvfb over WebDriver: an
//! offline batch whose token expires before its due date warns on creation; signed in to the
//! fake tenant, a batch made in the form from the staging profile expects two of three fake
//! devices, whose cards show the batch and "Factory-reset…", then "Scan the QR now" once the
//! profile's QR is shown; one device's evidence is switched to enrolled and re-plugged, its card
//! says "do not restart … Power off", the Powered off button moves it to Bench done, and the
//! Batches screen counts the stages; Set active pulls in the third device and Close batch asks
//! first. Screenshots land in artifacts/e2e/.

use fantoccini::Locator;
use stagebench_core::store::{Store, FILE_NAME};
use stagebench_core::testing::graph::FakeGraph;
use stagebench_core::testing::RealAdbServer;
use stagebench_e2e::bench_view::{
    batch_on_card, card, card_text, on_card, serials_are, serials_shown,
};
use stagebench_e2e::tenant::client_id;
use stagebench_e2e::wait::PATIENCE;
use stagebench_e2e::webdriver::{
    absent, attr_of, click, connect, count_of, filled, present, screenshot, select, set_value,
    start_driver, text_at, text_matching, text_of, type_into, wait_for,
};

/// What a device answers to the evidence command once the QR enrolled it: `fresh`'s answer (its
/// own properties, IMEI and boot count) with the enrolled sections (provisioned, setup done,
/// Android Device Policy as device owner, the Intune app) of `enrolled`'s.
fn enrolled_evidence(fresh: &str, enrolled: &str) -> String {
    use stagebench_core::device::evidence::{INTUNE_APP, SECTION_MARKER};
    let sections = |answer: &str| -> Vec<(String, String)> {
        answer
            .split(SECTION_MARKER)
            .filter(|chunk| !chunk.is_empty())
            .map(|chunk| {
                let (name, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
                (name.to_owned(), body.to_owned())
            })
            .collect()
    };
    let take = [
        "device_provisioned",
        "user_setup_complete",
        "device_owner",
        INTUNE_APP,
    ];
    let donor = sections(enrolled);
    sections(fresh)
        .into_iter()
        .map(|(name, body)| {
            let body = match donor
                .iter()
                .find(|(n, _)| take.contains(&name.as_str()) && *n == name)
            {
                Some((_, enrolled_body)) => enrolled_body.clone(),
                None => body,
            };
            format!("{SECTION_MARKER}{name}\n{body}")
        })
        .collect()
}

/// A technician's batch, end to end: a batch whose token expires before its due date warns on
/// creation; signed in, a batch made from the tenant's staging profile expects two of the three
/// bench devices (and one serial never seen), which show its name and "Factory-reset…" at once,
/// "Scan the QR now" once the profile's QR is shown; one device enrolls (provisioned, Android
/// Device Policy as owner) and its card says "do not restart … Power off" with a Powered off
/// button; clicked, the card goes to Bench done, and the Batches screen counts one device scanning
/// and one bench done. Making the batch active pulls in the third device; closing it asks first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_from_the_form_walks_bench_devices_to_bench_done() {
    use stagebench_adb::testing::FakeDevice;
    use stagebench_core::device::evidence::EVIDENCE_COMMAND;
    use stagebench_core::store::EVENT_POWERED_OFF;
    use stagebench_core::testing::simulated_device;

    const UPN: &str = "tech@contoso.onmicrosoft.com";
    let fake = FakeGraph::start().await.unwrap();
    let demo = fake.seed_demo();
    fake.set_poll_interval(1);
    fake.approve_all_as(UPN, 1);
    let client_id = client_id();

    // Three fresh devices (a Samsung, a Zebra, a RealWear); the first two are the batch's.
    let adb = RealAdbServer::start().await.expect("real adb server");
    let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut devices = Vec::new();
    for i in 0..3 {
        let config = simulated_device(i);
        let serial = config.properties["ro.serialno"].clone();
        let answer = config.shell_answers[EVIDENCE_COMMAND].stdout.clone();
        let device = FakeDevice::spawn(config, any_port).await.unwrap();
        adb.client()
            .connect(&device.addr().to_string())
            .await
            .unwrap();
        devices.push((serial, answer, device));
    }
    adb.wait_for_devices(3, PATIENCE).await.unwrap();
    let (first, second, third) = (
        devices[0].0.clone(),
        devices[1].0.clone(),
        devices[2].0.clone(),
    );

    let data = tempfile::tempdir().unwrap();
    let env = [
        ("STAGEBENCH_AUTHORITY", fake.authority_url()),
        ("STAGEBENCH_GRAPH_URL", fake.base_url()),
        ("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1".to_owned()),
        ("STAGEBENCH_TECHNICIAN", "E2E Technician".to_owned()),
    ];
    let (_driver, port) = start_driver(data.path(), adb.port(), &env).await;
    let client = connect(port).await;
    let mut all = vec![first.clone(), second.clone(), third.clone()];
    all.sort();
    wait_for(&client, "three cards on the bench", || {
        serials_are(&client, &all)
    })
    .await;
    assert!(
        client
            .find(Locator::Css("#device-cards .stage-box"))
            .await
            .is_err(),
        "no batch yet, no stage"
    );

    let today = time::OffsetDateTime::now_utc().date();
    let day = |n: i64| (today + time::Duration::days(n)).to_string();

    // Offline, a token that expires before the batch is due: created, with the warning.
    click(&client, "#nav-batches").await;
    click(&client, "#batch-new").await;
    type_into(&client, "#batch-name", "Loaner phones (offline)").await;
    type_into(&client, "#batch-vendor", "Acme Staging").await;
    set_value(&client, "#batch-due", &day(60)).await;
    select(&client, "#batch-flow", "staging-token").await;
    set_value(&client, "#batch-token-expires", &day(10)).await;
    screenshot(&client, "batch-form-offline.png").await;
    click(&client, "#batch-create").await;
    let notice = wait_for(&client, "the creation notice", || {
        text_at(&client, "#batch-notice")
    })
    .await;
    assert!(
        notice.contains("“Loaner phones (offline)” created") && notice.contains("token"),
        "{notice}"
    );
    let message = wait_for(&client, "the new batch's token message", || {
        text_at(&client, "#batch-token-message")
    })
    .await;
    assert!(
        message.starts_with("Printing blocked")
            && message.contains(&format!("expires on {}, before the batch is due", day(10))),
        "{message}"
    );
    assert_eq!(
        text_of(&client, "#batch-token-badge").await.as_deref(),
        Some("token expires before due")
    );
    screenshot(&client, "batch-token-warning.png").await;

    // Sign in, then a batch from the tenant's staging profile that expects two devices.
    click(&client, "#nav-tenant").await;
    type_into(&client, "#tenant-name", "contoso.onmicrosoft.com").await;
    type_into(&client, "#tenant-client-id", &client_id).await;
    click(&client, "#tenant-sign-in").await;
    wait_for(&client, "the signed-in account", || {
        text_at(&client, "#tenant-account")
    })
    .await;
    click(&client, "#nav-batches").await;
    click(&client, "#batch-new").await;
    wait_for(&client, "the tenant's profiles in the form", || {
        count_of(&client, "#batch-profile option:not([value=''])", 4)
    })
    .await;
    let tenant_source = client
        .find(Locator::Css("input[name='source'][value='tenant']"))
        .await
        .unwrap();
    assert_eq!(
        tenant_source.prop("checked").await.unwrap().as_deref(),
        Some("true"),
        "signed in: the tenant's profiles"
    );
    select(&client, "#batch-profile", &demo.staging_profile).await;
    type_into(&client, "#batch-name", "Warehouse wave 1").await;
    type_into(&client, "#batch-vendor", "Acme Staging, Leeds").await;
    set_value(&client, "#batch-due", &day(20)).await;
    type_into(&client, "#batch-count", "3").await;
    // Lower case, a comma, a line break (the Enter key) and a repeat, as pasted from a list.
    let enter = char::from(fantoccini::key::Key::Enter);
    type_into(
        &client,
        "#batch-serials",
        &format!(
            "{}, {second}{enter}{first}{enter}not-here-1",
            first.to_lowercase()
        ),
    )
    .await;
    let parsed = text_of(&client, "#batch-serial-count").await.unwrap();
    assert_eq!(parsed, format!("3 serials: {first}, {second}, NOT-HERE-1"));
    screenshot(&client, "batch-form-tenant.png").await;
    click(&client, "#batch-create").await;
    let notice = wait_for(&client, "the new batch", || {
        text_matching(&client, "#batch-notice", |n| n.contains("Warehouse wave 1"))
    })
    .await;
    assert_eq!(notice, "Batch “Warehouse wave 1” created.");
    wait_for(&client, "the new batch shown", || {
        text_matching(&client, "#batch-title", |t| t == "Warehouse wave 1")
    })
    .await;
    assert!(
        client
            .find(Locator::Id("batch-token-message"))
            .await
            .is_err(),
        "the staging token outlasts the due date"
    );

    // The expected devices joined at once: batch name and the first instruction on their cards.
    click(&client, "#nav-bench").await;
    for serial in [&first, &second] {
        let instruction = wait_for(&client, "the batch's first instruction", || {
            on_card(&client, serial, ".instruction", |t| {
                t.starts_with("Factory-reset")
            })
        })
        .await;
        assert!(instruction.contains("show the QR code"), "{instruction}");
    }
    screenshot(&client, "bench-batch-new.png").await;
    for serial in [&first, &second] {
        assert_eq!(
            batch_on_card(&client, serial).await.as_deref(),
            Some("Warehouse wave 1")
        );
    }
    assert!(
        card_text(&client, &third, ".stage-box").await.is_none(),
        "the third device is not expected"
    );

    // Showing the profile's QR moves them to "Scan the QR now".
    click(&client, "#nav-profiles").await;
    let staging = format!(
        "#profile-list li.profile[data-id='{}']",
        demo.staging_profile
    );
    wait_for(&client, "the staging profile", || {
        text_at(&client, &staging)
    })
    .await;
    click(&client, &format!("{staging} .profile-show-qr")).await;
    wait_for(&client, "the profile's QR", || {
        present(&client, "#profile-qr-canvas")
    })
    .await;
    click(&client, "#profile-qr-back").await;
    click(&client, "#nav-bench").await;
    for serial in [&first, &second] {
        wait_for(&client, "Scan the QR now", || {
            on_card(&client, serial, ".instruction", |t| {
                t.starts_with("Scan the QR now")
            })
        })
        .await;
    }
    assert_eq!(
        card_text(&client, &first, ".stage-label").await.as_deref(),
        Some("Scanning")
    );
    screenshot(&client, "bench-batch-scanning.png").await;

    // The first device enrolls: Android Device Policy is its owner. It comes back on the bus.
    let enrolled = simulated_device(3).shell_answers[EVIDENCE_COMMAND]
        .stdout
        .clone();
    devices[0].2.set_shell_answer(
        EVIDENCE_COMMAND,
        &enrolled_evidence(&devices[0].1, &enrolled),
        0,
    );
    let addr = devices[0].2.addr().to_string();
    adb.client().disconnect(&addr).await.unwrap();
    wait_for(&client, "the device to leave", || async {
        let shown = serials_shown(&client).await;
        if shown.contains(&first) {
            Err(format!("the Bench view's cards are {shown:?}"))
        } else {
            Ok(())
        }
    })
    .await;
    adb.client().connect(&addr).await.unwrap();
    let instruction = wait_for(&client, "the enrolling instruction", || {
        on_card(&client, &first, ".instruction", |t| {
            t.starts_with("Enrolling")
        })
    })
    .await;
    assert!(
        instruction.contains("do not restart") && instruction.contains("Power off"),
        "{instruction}"
    );
    assert_eq!(
        card_text(&client, &first, ".stage-action").await.as_deref(),
        Some("Powered off")
    );
    assert!(
        card_text(&client, &second, ".stage-action").await.is_none(),
        "no action while scanning"
    );
    screenshot(&client, "bench-batch-enrolling.png").await;

    click(
        &client,
        &format!("{} .stage-action[data-action='powered-off']", card(&first)),
    )
    .await;
    let done = wait_for(&client, "Bench done", || {
        on_card(&client, &first, ".stage-label", |t| t == "Bench done")
    })
    .await;
    assert_eq!(done, "Bench done");
    let instruction = card_text(&client, &first, ".instruction").await.unwrap();
    assert!(instruction.contains("waiting for Intune"), "{instruction}");
    assert!(card_text(&client, &first, ".stage-action").await.is_none());
    screenshot(&client, "bench-batch-done.png").await;
    {
        let store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        let id = store.devices_with_serial(&first).unwrap()[0];
        let action = store
            .device_events(id)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == EVENT_POWERED_OFF)
            .expect("powered-off recorded");
        assert_eq!(action.data["technician"], "E2E Technician");
    }

    // The Batches screen counts them by stage and lists both devices.
    click(&client, "#nav-batches").await;
    let item = "#batch-list .batch-item[data-name='Warehouse wave 1']";
    // The screen reads its list again when shown; the one from before may predate the joins.
    let devices = format!("{item} .batch-devices");
    wait_for(&client, "the batch's device count in the list", || {
        text_matching(&client, &devices, |t| t == "2 / 3 devices")
    })
    .await;
    assert_eq!(
        text_of(&client, &devices).await.as_deref(),
        Some("2 / 3 devices")
    );
    click(&client, item).await;
    let count = |stage: &'static str| {
        let client = client.clone();
        async move {
            text_of(
                &client,
                &format!("#batch-counts li[data-stage='{stage}'] .stage-count"),
            )
            .await
        }
    };
    wait_for(&client, "the counts", || async {
        match count("bench-done").await {
            Some(n) if n == "1" => Ok(()),
            other => Err(format!("bench done counts {other:?}")),
        }
    })
    .await;
    assert_eq!(count("scanning").await.as_deref(), Some("1"));
    assert_eq!(count("new").await.as_deref(), Some("0"));
    let labels: Vec<String> = {
        let mut out = Vec::new();
        for li in client
            .find_all(Locator::Css("#batch-counts li .stage-name"))
            .await
            .unwrap()
        {
            out.push(li.text().await.unwrap());
        }
        out
    };
    assert_eq!(
        labels,
        [
            "New",
            "Scanning",
            "Enrolling",
            "Bench done",
            "In Intune",
            "User signed in"
        ],
        "the staging token's stages in order"
    );
    assert_eq!(
        attr_of(
            &client,
            &format!("#batch-devices tr[data-serial='{first}']"),
            "data-stage"
        )
        .await
        .as_deref(),
        Some("bench-done")
    );
    assert_eq!(
        attr_of(
            &client,
            &format!("#batch-devices tr[data-serial='{second}']"),
            "data-stage"
        )
        .await
        .as_deref(),
        Some("scanning")
    );
    assert_eq!(
        text_of(&client, "#batch-device-count").await.as_deref(),
        Some("2 of 3 devices")
    );
    assert_eq!(
        text_of(&client, "#batch-not-seen").await.as_deref(),
        Some("NOT-HERE-1"),
        "expected, never seen"
    );
    screenshot(&client, "batches-progress.png").await;

    // Set active: the third device, in no batch, joins it; the Bench header shows it.
    click(&client, "#batch-set-active").await;
    click(&client, "#nav-bench").await;
    wait_for(
        &client,
        "the third device to join the active batch",
        || async {
            match batch_on_card(&client, &third).await {
                Some(n) if n == "Warehouse wave 1" => Ok(()),
                other => Err(format!("the third card's batch is {other:?}")),
            }
        },
    )
    .await;
    let selected = wait_for(&client, "the header to pick the active batch", || {
        filled(&client, "#active-batch")
    })
    .await;
    assert_eq!(selected.len(), 32, "the header picks the batch: {selected}");
    screenshot(&client, "bench-active-batch.png").await;

    // Close it, after confirming: no longer active.
    click(&client, "#nav-batches").await;
    click(&client, "#batch-close").await;
    wait_for(&client, "the close dialog", || {
        present(&client, "#close-dialog")
    })
    .await;
    screenshot(&client, "batch-close-dialog.png").await;
    click(&client, "#close-confirm").await;
    wait_for(&client, "the batch to close", || {
        text_matching(&client, "#batch-notice", |n| n.contains("is closed"))
    })
    .await;
    // The notice comes first; the batch is read again after it.
    wait_for(&client, "the closed batch without Set active", || {
        absent(&client, "#batch-set-active")
    })
    .await;
    assert!(
        client.find(Locator::Id("batch-set-active")).await.is_err()
            && client.find(Locator::Id("batch-close")).await.is_err()
    );
    let store = Store::open(&data.path().join(FILE_NAME)).unwrap();
    assert_eq!(store.active_batch().unwrap(), None);
    client.close().await.unwrap();
    fake.assert_no_violations();
}
