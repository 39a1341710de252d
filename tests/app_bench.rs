//! The Bench and QR views of the real app under Xvfb, driven over WebDriver (Debian's
//! WebKitWebDriver, which starts the app with automation on). Two fake devices are attached
//! through Debian's real adb server: the Bench view must list both serials (one with its Intune
//! staging name), slots are given, refused when another attached device has the number, and
//! freed (after a question) from the cards, the doctor panel
//! checks the adb server, and the QR view must show a code that decodes, from a screenshot, to
//! exactly the expected payload, also full screen; a device unplugged leaves the Bench view by
//! itself. Screenshots land in artifacts/e2e/.

use fantoccini::Locator;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::provisioning::{Payload, WifiConfig, WifiSecurity};
use stagebench_core::store::{Sighting, Store, FILE_NAME};
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::bench_view::{card, serials_are, serials_shown};
use stagebench_e2e::qr::qr_codes_are;
use stagebench_e2e::wait::PATIENCE;
use stagebench_e2e::webdriver::{
    attr, attr_of, click, connect, present, screenshot, screenshot_until, start_driver, text_at,
    text_matching, text_of, type_into, wait_for,
};

const TOKEN: &str = "E2E-T0K3N-staging";
const SSID: &str = "Bench \"5\"; café";
const PASSWORD: &str = "p@ss;\\word\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_lists_devices_and_qr_view_shows_a_scannable_code() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(2, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(2, PATIENCE).await.unwrap();
    let mut expected: Vec<String> = bench
        .models()
        .iter()
        .map(|(serial, _, _)| serial.clone())
        .collect();
    expected.sort();

    // The last sync found the first device in Intune with its staging name (stage 2): its card
    // says so; the other one is not in Intune yet.
    let data = tempfile::tempdir().unwrap();
    let staged = expected[0].clone();
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        let id = store
            .record_sighting(&Sighting::new([SerialObservation::new(
                SerialSource::RoSerialno,
                &staged,
            )]))
            .unwrap();
        let name = format!("Staging_{staged}_AndroidEnterprise_11/21/26_9.05 AM");
        let status = IntuneStatus::derive(
            "md-e2e",
            &name,
            &staged,
            Some("androidEnterpriseFullyManaged"),
            Some("managed"),
            None,
            None,
            None,
            Some("2026-11-22T09:00:00Z"),
        );
        store
            .record_intune_status(Some(id), &status, time::OffsetDateTime::now_utc())
            .unwrap();
    }
    // The staging network's endpoints are loopback listeners (issue 15 point 5): every host at
    // one that listens, Intune's at a port that does not.
    let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let resolve = format!(
        "*={},manage.microsoft.com:443={closed}",
        listening.local_addr().unwrap()
    );
    let (_driver, port) = start_driver(
        data.path(),
        adb.port(),
        &[("STAGEBENCH_NETWORK_RESOLVE", resolve)],
    )
    .await;
    let client = connect(port).await;

    // Bench view: both fake devices appear with their ro.serialno.
    let shown = wait_for(&client, "both devices on the Bench view", || {
        serials_are(&client, &expected)
    })
    .await;
    screenshot(&client, "bench.png").await;
    assert_eq!(
        shown, expected,
        "the Bench view lists both attached devices by serial"
    );
    let cards = client
        .find(Locator::Css("#device-cards"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (_, maker, model) in bench.models() {
        assert!(
            cards.contains(model.as_str()),
            "card text shows model {model}: {cards}"
        );
        assert!(
            cards.contains(maker.as_str()),
            "card text shows maker {maker}: {cards}"
        );
    }
    for serial in &expected {
        // What Intune says is a detail: it opens behind the card's Details button.
        click(&client, &format!("{} .card-details-toggle", card(serial))).await;
        let intune = format!("{} .intune", card(serial));
        let stage = attr_of(&client, &intune, "data-stage").await;
        let text = text_of(&client, &intune).await.unwrap_or_default();
        if *serial == staged {
            assert_eq!(stage.as_deref(), Some("enrolled"), "{text}");
            assert!(
                text.contains("enrolled, staging name")
                    && text.contains(&format!("Staging_{staged}_")),
                "{text}"
            );
        } else {
            assert_eq!(stage.as_deref(), Some("not-seen"), "{text}");
            assert!(text.contains("not seen yet"), "{text}");
        }
    }

    // Slots: give the first card slot 5 from the app; it is saved; a taken number is refused.
    let first_serial = attr(&client, "#device-cards li.card", "data-serial")
        .await
        .unwrap();
    let card_part = |serial: &str, inner: &str| format!("{} {inner}", card(serial));
    let card_text = |serial: String| {
        let client = client.clone();
        async move {
            text_of(&client, &card_part(&serial, ".slot-number"))
                .await
                .unwrap_or_default()
        }
    };
    let first_slot = card_part(&first_serial, ".slot-number");
    click(&client, &card_part(&first_serial, ".slot-set")).await;
    type_into(&client, &card_part(&first_serial, ".slot-input"), "5").await;
    click(&client, &card_part(&first_serial, ".slot-save")).await;
    wait_for(&client, "slot 5 on the first card", || {
        text_matching(&client, &first_slot, |t| t == "Slot 5")
    })
    .await;
    assert_eq!(card_text(first_serial.clone()).await, "Slot 5");
    let store =
        stagebench_core::store::Store::open(&data.path().join("stagebench.sqlite3")).unwrap();
    let slots = store.slots().unwrap();
    assert_eq!(
        slots.iter().map(|s| s.number).collect::<Vec<_>>(),
        vec![5],
        "saved in the bench history: {slots:?}"
    );
    let other = expected
        .iter()
        .find(|s| **s != first_serial)
        .unwrap()
        .clone();
    click(&client, &card_part(&other, ".slot-set")).await;
    type_into(&client, &card_part(&other, ".slot-input"), "5").await;
    click(&client, &card_part(&other, ".slot-save")).await;
    let (other_slot, other_error) = (
        card_part(&other, ".slot-number"),
        card_part(&other, ".slot-error"),
    );
    let refused = wait_for(&client, "the taken number refused", || {
        text_at(&client, &other_error)
    })
    .await;
    assert!(
        refused.contains("slot 5 is port") && refused.contains("another device is attached"),
        "{refused}"
    );
    // The core's remedy (the lowest free number) is offered as a button beside its words.
    let remedy = card_part(&other, ".slot-error .slot-use-free");
    let offered = wait_for(&client, "the remedy's button", || text_at(&client, &remedy)).await;
    assert_eq!(offered, "Use slot 1");
    screenshot(&client, "slots.png").await;
    // Free slot 5 on the first card (it asks first; once the app says it is free), then the
    // second card can have it.
    click(&client, &card_part(&first_serial, ".slot-free")).await;
    let question = card_part(&first_serial, ".slot-confirm");
    let asked = wait_for(&client, "the question before freeing", || {
        text_at(&client, &question)
    })
    .await;
    assert!(
        asked.contains(&format!("Free slot 5 of {first_serial}?")),
        "{asked}"
    );
    click(&client, &card_part(&first_serial, ".slot-free-confirm")).await;
    wait_for(&client, "slot 5 freed on the first card", || {
        text_matching(&client, &first_slot, |t| t != "Slot 5")
    })
    .await;
    click(&client, &card_part(&other, ".slot-save")).await;
    wait_for(&client, "slot 5 on the second card", || {
        text_matching(&client, &other_slot, |t| t == "Slot 5")
    })
    .await;
    assert_eq!(
        card_text(other.clone()).await,
        "Slot 5",
        "the freed number went to the second card"
    );
    let slots = store.slots().unwrap();
    assert_eq!(slots.len(), 1, "{slots:?}");
    assert_ne!(card_text(first_serial.clone()).await, "Slot 5");

    // Bench health: the doctor panel runs the same checks as `stagebench doctor`.
    click(&client, "#doctor summary").await;
    click(&client, "#doctor-run").await;
    let text = wait_for(&client, "the doctor's adb server check", || {
        text_at(&client, "#doctor-checks li[data-id='usb.adb-server']")
    })
    .await;
    assert!(
        text.starts_with("ok") && text.contains(&adb.port().to_string()),
        "adb server check: {text}"
    );
    // The staging network: the closed endpoint names the step that will likely fail.
    click(&client, "#doctor-network").await;
    let intune = wait_for(&client, "the network check of Intune's endpoint", || {
        text_at(
            &client,
            "#doctor-checks li[data-id='net-manage.microsoft.com']",
        )
    })
    .await;
    assert!(
        intune.starts_with("fail")
            && intune.contains("Likely failing step")
            && intune.contains("allow TCP 443 and 80 to manage.microsoft.com"),
        "{intune}"
    );
    let play = text_of(&client, "#doctor-checks li[data-id='net-play.google.com']").await;
    assert!(
        play.as_deref().is_some_and(|t| t.starts_with("ok")),
        "{play:?}"
    );
    screenshot(&client, "doctor.png").await;

    // QR view: token + Wi-Fi with awkward characters.
    click(&client, "#nav-qr").await;
    type_into(&client, "#qr-token", TOKEN).await;
    click(&client, "#qr-use-wifi").await;
    type_into(&client, "#qr-ssid", SSID).await;
    // A key too short for WPA is refused with the reason, and nothing is shown.
    type_into(&client, "#qr-password", "1234567").await;
    click(&client, "#qr-show").await;
    let error = wait_for(&client, "the short key refused", || {
        text_at(&client, "#qr-error")
    })
    .await;
    assert!(
        error.contains("WPA key is 7 characters"),
        "the error names the problem: {error}"
    );
    assert!(
        client.find(Locator::Id("qr-canvas")).await.is_err(),
        "no QR for a refused payload"
    );
    screenshot(&client, "qr-error.png").await;

    type_into(&client, "#qr-password", PASSWORD).await;
    click(&client, "#qr-show").await;
    wait_for(&client, "the QR canvas", || present(&client, "#qr-canvas")).await;

    let summary = text_at(&client, "#qr-summary").await.unwrap();
    assert!(summary.contains(SSID), "summary shows the SSID: {summary}");
    assert!(
        !summary.contains(PASSWORD),
        "summary masks the Wi-Fi password: {summary}"
    );
    assert!(
        !summary.contains(TOKEN),
        "summary masks the token: {summary}"
    );

    assert!(
        client.find(Locator::Id("qr-token-clear")).await.is_err(),
        "the token stays hidden until revealed"
    );
    click(&client, "#qr-reveal").await;
    let token_shown = wait_for(&client, "the revealed token", || {
        text_at(&client, "#qr-token-clear")
    })
    .await;
    assert_eq!(token_shown, TOKEN, "revealed token for manual entry");
    click(&client, "#qr-reveal").await;

    let wifi = WifiConfig::new(SSID, WifiSecurity::Wpa, Some(PASSWORD), false).unwrap();
    let expected_payload = Payload::android_enterprise(TOKEN, Some(&wifi)).unwrap();
    let want = [expected_payload.qr_text().to_string()];
    let decoded = screenshot_until(&client, "qr.png", "the payload's QR on screen", |png| {
        qr_codes_are(png, &want)
    })
    .await;
    assert_eq!(
        decoded,
        vec![expected_payload.qr_text().to_string()],
        "the on-screen QR decodes to the payload"
    );
    let json: serde_json::Value = serde_json::from_str(&decoded[0]).unwrap();
    assert_eq!(json["android.app.extra.PROVISIONING_WIFI_SSID"], SSID);
    assert_eq!(
        json["android.app.extra.PROVISIONING_WIFI_PASSWORD"],
        PASSWORD
    );

    // The QR is drawn at a whole number of device pixels per module.
    let module_px = wait_for(&client, "the canvas's module size", || {
        attr(&client, "#qr-canvas", "data-module-px")
    })
    .await;
    let module_px: u32 = module_px.parse().unwrap();
    assert!(
        module_px >= 4,
        "QR fills the window: {module_px} px per module"
    );

    // Full screen hides the form: bigger modules, still the same payload.
    click(&client, "#qr-fullscreen").await;
    let full_px = wait_for(&client, "the QR redrawn full screen", || async {
        let px = attr(&client, "#qr-canvas", "data-module-px").await?;
        if px == module_px.to_string() {
            Err(format!("still {px} px per module"))
        } else {
            Ok(px)
        }
    })
    .await;
    let decoded = screenshot_until(
        &client,
        "qr-fullscreen.png",
        "the full-screen QR on screen",
        |png| qr_codes_are(png, &want),
    )
    .await;
    assert_eq!(decoded, vec![expected_payload.qr_text().to_string()]);
    let full_px: u32 = full_px.parse().unwrap();
    assert!(
        full_px > module_px,
        "full screen draws bigger modules: {full_px} vs {module_px}"
    );
    click(&client, "#qr-fullscreen").await;

    // Live updates: a device that goes away disappears from the Bench view by itself.
    click(&client, "#nav-bench").await;
    let gone = bench.addrs()[0].to_string();
    adb.client().disconnect(&gone).await.unwrap();
    let remaining: Vec<String> = expected
        .iter()
        .filter(|s| **s != bench.models()[0].0)
        .cloned()
        .collect();
    wait_for(
        &client,
        "the unplugged device gone from the Bench view",
        || serials_are(&client, &remaining),
    )
    .await;
    screenshot(&client, "bench-after-unplug.png").await;
    assert_eq!(
        serials_shown(&client).await,
        remaining,
        "the unplugged device left the Bench view"
    );

    client.close().await.unwrap();
}
