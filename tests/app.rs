//! The real app under Xvfb, driven over WebDriver (Debian's WebKitWebDriver, which starts the
//! app with automation on). Two fake devices are attached through Debian's real adb server:
//! the Bench view must list both serials, and the QR view must show a code that decodes, from a
//! screenshot, to exactly the expected payload. Against the fake tenant (identity platform and
//! Graph, started in the test): sign in from the Tenant screen, see the status strip go online,
//! and on the Profiles screen show a profile's QR (decoded from a screenshot) and revoke its
//! token through the typed confirmation. A batch staged like a technician would: created in the
//! form, its devices walked from "Factory-reset…" to Bench done on their cards, counted on the
//! Batches screen. A vendor bench imports a bench pack, shows its QR (decoded from a screenshot),
//! exports the signed report (verified here), sees it all on the Activity screen with the chain
//! intact and the key on Settings, and is refused a tampered report. Screenshots land in
//! artifacts/e2e/.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::provisioning::{Payload, WifiConfig, WifiSecurity};
use stagebench_core::store::{Sighting, Store, FILE_NAME};
use stagebench_core::testing::graph::FakeGraph;
use stagebench_core::testing::{free_port, RealAdbServer, SimulatedBench};
use stagebench_e2e::decode_qr_png;
use stagebench_e2e::webdriver::{
    attr_of, click, connect, screenshot, set_value, start_driver, text_of, type_into, wait_for,
};

const TOKEN: &str = "E2E-T0K3N-staging";
const SSID: &str = "Bench \"5\"; café";
const PASSWORD: &str = "p@ss;\\word\"";

async fn serials_shown(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for card in client
        .find_all(Locator::Css("#device-cards li.card"))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(s)) = card.attr("data-serial").await {
            out.push(s);
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_lists_devices_and_qr_view_shows_a_scannable_code() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(2, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(2, Duration::from_secs(20))
        .await
        .unwrap();
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
    let (_driver, port) = start_driver(data.path(), adb.port(), &[]).await;
    let client = connect(port).await;

    // Bench view: both fake devices appear with their ro.serialno.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut shown = Vec::new();
    while Instant::now() < deadline {
        shown = serials_shown(&client).await;
        if shown == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
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
        let intune = format!("#device-cards li.card[data-serial='{serial}'] .intune");
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
    let first = client
        .find(Locator::Css("#device-cards li.card"))
        .await
        .unwrap();
    let first_serial = first.attr("data-serial").await.unwrap().unwrap();
    first
        .find(Locator::Css(".slot-set"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let input = first.find(Locator::Css(".slot-input")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("5").await.unwrap();
    first
        .find(Locator::Css(".slot-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let card_text = |serial: String| {
        let client = client.clone();
        async move {
            let css = format!("#device-cards li.card[data-serial='{serial}'] .slot-number");
            client
                .find(Locator::Css(&css))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    while card_text(first_serial.clone()).await != "Slot 5" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    let second = client
        .find(Locator::Css(&format!(
            "#device-cards li.card[data-serial='{other}']"
        )))
        .await
        .unwrap();
    second
        .find(Locator::Css(".slot-set"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let input = second.find(Locator::Css(".slot-input")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("5").await.unwrap();
    second
        .find(Locator::Css(".slot-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css(".slot-error"))
        .await
        .unwrap();
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("slot 5 is already port") && refused.contains("stagebench slots free 5"),
        "{refused}"
    );
    screenshot(&client, "slots.png").await;
    // Free slot 5 on the first card, then the second card can have it.
    let first = client
        .find(Locator::Css(&format!(
            "#device-cards li.card[data-serial='{first_serial}']"
        )))
        .await
        .unwrap();
    first
        .find(Locator::Css(".slot-set"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    first
        .find(Locator::Css(".slot-free"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let second = client
        .find(Locator::Css(&format!(
            "#device-cards li.card[data-serial='{other}']"
        )))
        .await
        .unwrap();
    second
        .find(Locator::Css(".slot-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while card_text(other.clone()).await != "Slot 5" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        card_text(other.clone()).await,
        "Slot 5",
        "the freed number went to the second card"
    );
    let slots = store.slots().unwrap();
    assert_eq!(slots.len(), 1, "{slots:?}");
    assert_ne!(card_text(first_serial.clone()).await, "Slot 5");

    // Bench health: the doctor panel runs the same checks as `stagebench doctor`.
    client
        .find(Locator::Css("#doctor summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("doctor-run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let adb_check = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#doctor-checks li[data-id='usb.adb-server']"))
        .await
        .expect("doctor results shown");
    let text = adb_check.text().await.unwrap();
    assert!(
        text.starts_with("ok") && text.contains(&adb.port().to_string()),
        "adb server check: {text}"
    );
    screenshot(&client, "doctor.png").await;

    // QR view: token + Wi-Fi with awkward characters.
    client
        .find(Locator::Id("nav-qr"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("qr-token"))
        .await
        .unwrap()
        .send_keys(TOKEN)
        .await
        .unwrap();
    client
        .find(Locator::Id("qr-use-wifi"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("qr-ssid"))
        .await
        .unwrap()
        .send_keys(SSID)
        .await
        .unwrap();
    // A key too short for WPA is refused with the reason, and nothing is shown.
    client
        .find(Locator::Id("qr-password"))
        .await
        .unwrap()
        .send_keys("1234567")
        .await
        .unwrap();
    client
        .find(Locator::Id("qr-show"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("qr-error"))
        .await
        .expect("error shown");
    let error = error.text().await.unwrap();
    assert!(
        error.contains("WPA key is 7 characters"),
        "the error names the problem: {error}"
    );
    assert!(
        client.find(Locator::Id("qr-canvas")).await.is_err(),
        "no QR for a refused payload"
    );
    screenshot(&client, "qr-error.png").await;

    let password = client.find(Locator::Id("qr-password")).await.unwrap();
    password.clear().await.unwrap();
    password.send_keys(PASSWORD).await.unwrap();
    client
        .find(Locator::Id("qr-show"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("qr-canvas"))
        .await
        .expect("QR canvas shown");

    let summary = client
        .find(Locator::Id("qr-summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    client
        .find(Locator::Id("qr-reveal"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let token_shown = client
        .find(Locator::Id("qr-token-clear"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(token_shown, TOKEN, "revealed token for manual entry");
    client
        .find(Locator::Id("qr-reveal"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let png = screenshot(&client, "qr.png").await;
    let decoded = decode_qr_png(&png);
    let wifi = WifiConfig::new(SSID, WifiSecurity::Wpa, Some(PASSWORD), false).unwrap();
    let expected_payload = Payload::android_enterprise(TOKEN, Some(&wifi)).unwrap();
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
    let module_px = client
        .find(Locator::Id("qr-canvas"))
        .await
        .unwrap()
        .attr("data-module-px")
        .await
        .unwrap();
    let module_px: u32 = module_px
        .expect("canvas records its module size")
        .parse()
        .unwrap();
    assert!(
        module_px >= 4,
        "QR fills the window: {module_px} px per module"
    );

    // Full screen hides the form: bigger modules, still the same payload.
    client
        .find(Locator::Id("qr-fullscreen"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let png = screenshot(&client, "qr-fullscreen.png").await;
    assert_eq!(
        decode_qr_png(&png),
        vec![expected_payload.qr_text().to_string()]
    );
    let full_px: u32 = client
        .find(Locator::Id("qr-canvas"))
        .await
        .unwrap()
        .attr("data-module-px")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        full_px > module_px,
        "full screen draws bigger modules: {full_px} vs {module_px}"
    );
    client
        .find(Locator::Id("qr-fullscreen"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Live updates: a device that goes away disappears from the Bench view by itself.
    client
        .find(Locator::Id("nav-bench"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let gone = bench.addrs()[0].to_string();
    adb.client().disconnect(&gone).await.unwrap();
    let remaining: Vec<String> = expected
        .iter()
        .filter(|s| **s != bench.models()[0].0)
        .cloned()
        .collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && serials_shown(&client).await != remaining {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&client, "bench-after-unplug.png").await;
    assert_eq!(
        serials_shown(&client).await,
        remaining,
        "the unplugged device left the Bench view"
    );

    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_sign_in_status_strip_and_profiles_with_qr_and_revoke() {
    const UPN: &str = "tech@contoso.onmicrosoft.com";
    let fake = FakeGraph::start().await.unwrap();
    let demo = fake.seed_demo();
    fake.set_poll_interval(1);
    fake.approve_all_as(UPN, 2);
    // Keyring entries are named after the client id: a fresh one per run.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let client_id = format!(
        "{:08x}-2222-4333-8444-{:012x}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff
    );

    let data = tempfile::tempdir().unwrap();
    let no_adb = free_port().unwrap();
    let env = [
        ("STAGEBENCH_AUTHORITY", fake.authority_url()),
        ("STAGEBENCH_GRAPH_URL", fake.base_url()),
    ];
    let (_driver, port) = start_driver(data.path(), no_adb, &env).await;
    let client = connect(port).await;

    // Not signed in: the strip says so on every view.
    let badge = wait_for(20, "the status strip", || text_of(&client, "#tenant-badge")).await;
    assert_eq!(badge, "Not signed in");

    // Tenant screen: the code appears big, then the account once the fake approves it.
    click(&client, "#nav-tenant").await;
    type_into(&client, "#tenant-name", "contoso.onmicrosoft.com").await;
    type_into(&client, "#tenant-client-id", &client_id).await;
    click(&client, "#tenant-sign-in").await;
    let code = wait_for(15, "the user code", || async {
        text_of(&client, "#tenant-user-code")
            .await
            .filter(|c| !c.is_empty())
    })
    .await;
    let link = text_of(&client, "#tenant-link").await.unwrap();
    assert_eq!(link, "https://microsoft.com/devicelogin");
    screenshot(&client, "tenant-code.png").await;
    let account = wait_for(30, "the signed-in account", || {
        text_of(&client, "#tenant-account")
    })
    .await;
    assert_eq!(account, UPN);
    assert!(
        !fake.device_code_polls(&code).is_empty(),
        "the app polled for code {code}"
    );

    // The first sync runs at once: online, nothing waiting.
    wait_for(30, "the strip to go online", || async {
        (attr_of(&client, "#tenant-badge", "data-online")
            .await
            .as_deref()
            == Some("true"))
        .then_some(())
    })
    .await;
    assert_eq!(
        text_of(&client, "#tenant-badge").await.as_deref(),
        Some("Online")
    );
    assert_eq!(
        text_of(&client, "#tenant-outbox").await.as_deref(),
        Some("Outbox 0")
    );
    let synced = wait_for(15, "the last sync", || async {
        text_of(&client, "#tenant-last-sync")
            .await
            .filter(|t| t.starts_with("synced"))
    })
    .await;
    assert!(
        synced.contains("just now") || synced.ends_with("s ago"),
        "{synced}"
    );
    screenshot(&client, "tenant.png").await;

    // Profiles: all four, the expired one marked and without a QR.
    click(&client, "#nav-profiles").await;
    let cards = wait_for(30, "four profile cards", || async {
        let cards = client
            .find_all(Locator::Css("#profile-list li.profile"))
            .await
            .ok()?;
        (cards.len() == 4).then_some(cards)
    })
    .await;
    assert_eq!(cards.len(), 4);
    let card = |id: &str| format!("#profile-list li.profile[data-id='{id}']");
    let expired = card(&demo.expired_profile);
    assert_eq!(
        attr_of(&client, &expired, "data-state").await.as_deref(),
        Some("expired")
    );
    let expired_text = text_of(&client, &expired).await.unwrap();
    assert!(
        expired_text.contains("expired or revoked"),
        "{expired_text}"
    );
    assert!(
        client
            .find(Locator::Css(&format!("{expired} .profile-show-qr")))
            .await
            .is_err(),
        "no QR for an expired token"
    );
    assert!(client
        .find(Locator::Css(&format!("{expired} .profile-revoke")))
        .await
        .is_err());
    let staging = card(&demo.staging_profile);
    assert_eq!(
        attr_of(&client, &staging, "data-state").await.as_deref(),
        Some("valid")
    );
    let staging_text = text_of(&client, &staging).await.unwrap();
    assert!(
        staging_text.contains("expires in 29 d") || staging_text.contains("expires in 30 d"),
        "{staging_text}"
    );
    screenshot(&client, "profiles.png").await;

    // Show QR of the staging profile: the screenshot decodes to Intune's qrCodeContent verbatim.
    let stored = fake.profile(&demo.staging_profile).unwrap();
    let content = stored["qrCodeContent"].as_str().unwrap().to_owned();
    let token = stored["tokenValue"].as_str().unwrap().to_owned();
    click(&client, &format!("{staging} .profile-show-qr")).await;
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("profile-qr-canvas"))
        .await
        .expect("profile QR shown");
    let page = client.source().await.unwrap();
    assert!(
        !page.contains(&token),
        "the token is not in the page until revealed"
    );
    let png = screenshot(&client, "profile-qr.png").await;
    assert_eq!(
        decode_qr_png(&png),
        vec![content],
        "the on-screen QR is the profile's qrCodeContent"
    );
    click(&client, "#profile-reveal").await;
    let shown = wait_for(10, "the revealed token", || {
        text_of(&client, "#profile-token-clear")
    })
    .await;
    assert_eq!(shown, token);
    click(&client, "#profile-reveal").await;
    click(&client, "#profile-qr-back").await;

    // Revoke through the dialog: the name must be typed exactly.
    click(&client, &format!("{staging} .profile-revoke")).await;
    client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Id("revoke-dialog"))
        .await
        .unwrap();
    type_into(&client, "#revoke-name", "Bench").await;
    let confirm = client.find(Locator::Id("revoke-confirm")).await.unwrap();
    assert!(
        confirm.attr("disabled").await.unwrap().is_some(),
        "a partial name does not enable Revoke"
    );
    screenshot(&client, "profiles-revoke-dialog.png").await;
    let name = stored["displayName"].as_str().unwrap().to_owned();
    type_into(&client, "#revoke-name", &name).await;
    click(&client, "#revoke-confirm").await;
    wait_for(15, "the staging token to show as revoked", || async {
        (attr_of(&client, &staging, "data-state").await.as_deref() == Some("expired")).then_some(())
    })
    .await;
    assert!(
        client.find(Locator::Id("revoke-dialog")).await.is_err(),
        "the dialog closed"
    );
    assert!(
        client
            .find(Locator::Css(&format!("{staging} .profile-show-qr")))
            .await
            .is_err(),
        "no QR after revoking"
    );
    assert!(
        fake.profile(&demo.staging_profile).unwrap()["tokenValue"].is_null(),
        "revoked in the tenant"
    );
    screenshot(&client, "profiles-revoked.png").await;
    client.close().await.unwrap();

    // Started again, the app resumes the sign-in from the store and the OS keyring.
    let (_driver, port) = start_driver(data.path(), no_adb, &env).await;
    let client = connect(port).await;
    wait_for(30, "the resumed sign-in to go online", || async {
        (attr_of(&client, "#tenant-badge", "data-online")
            .await
            .as_deref()
            == Some("true"))
        .then_some(())
    })
    .await;
    click(&client, "#nav-tenant").await;
    assert_eq!(
        text_of(&client, "#tenant-account").await.as_deref(),
        Some(UPN)
    );
    // Signing out keeps the tenant and client id for the next sign-in.
    click(&client, "#tenant-sign-out").await;
    let badge = wait_for(10, "the strip to say signed out", || async {
        text_of(&client, "#tenant-badge")
            .await
            .filter(|b| b == "Not signed in")
    })
    .await;
    assert_eq!(badge, "Not signed in");
    let form_tenant = client
        .find(Locator::Id("tenant-name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(form_tenant.as_deref(), Some("contoso.onmicrosoft.com"));
    client.close().await.unwrap();
    fake.assert_no_violations();
}

/// Sets an input's value the way typing would end (an `input` event), for date inputs that
/// WebDriver can't type into the same way on every engine.
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

async fn card_css(client: &Client, serial: &str, inner: &str) -> Option<String> {
    text_of(
        client,
        &format!("#device-cards li.card[data-serial='{serial}'] {inner}"),
    )
    .await
}

/// The batch named on a card (its text node: WebDriver's visible text of a span cut with an
/// ellipsis comes back empty in WebKit).
async fn batch_on_card(client: &Client, serial: &str) -> Option<String> {
    let css = format!("#device-cards li.card[data-serial='{serial}'] .batch-name");
    client
        .find(Locator::Css(&css))
        .await
        .ok()?
        .prop("textContent")
        .await
        .ok()?
}

/// A technician's batch, end to end: a batch whose token expires before its due date warns on
/// creation; signed in, a batch made from the tenant's staging profile expects two of the three
/// bench devices (and one serial never seen), which show its name and "Factory-reset…" at once, "Scan the QR now" once the
/// profile's QR is shown; one device enrolls (provisioned, Android Device Policy as owner) and
/// its card says "do not restart … Power off" with a Powered off button; clicked, the card goes
/// to Bench done, and the Batches screen counts one device scanning and one bench done. Making
/// the batch active pulls in the third device; closing it asks first.
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
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let client_id = format!(
        "{:08x}-3333-4333-8444-{:012x}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff
    );

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
    adb.wait_for_devices(3, Duration::from_secs(20))
        .await
        .unwrap();
    let (first, second, third) = (
        devices[0].0.clone(),
        devices[1].0.clone(),
        devices[2].0.clone(),
    );

    let data = tempfile::tempdir().unwrap();
    let env = [
        ("STAGEBENCH_AUTHORITY", fake.authority_url()),
        ("STAGEBENCH_GRAPH_URL", fake.base_url()),
        ("STAGEBENCH_TECHNICIAN", "E2E Technician".to_owned()),
    ];
    let (_driver, port) = start_driver(data.path(), adb.port(), &env).await;
    let client = connect(port).await;
    let mut all = vec![first.clone(), second.clone(), third.clone()];
    all.sort();
    wait_for(30, "three cards on the bench", || async {
        (serials_shown(&client).await == all).then_some(())
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
    client
        .find(Locator::Id("batch-flow"))
        .await
        .unwrap()
        .select_by_value("staging-token")
        .await
        .unwrap();
    set_value(&client, "#batch-token-expires", &day(10)).await;
    screenshot(&client, "batch-form-offline.png").await;
    click(&client, "#batch-create").await;
    let notice = wait_for(10, "the creation notice", || {
        text_of(&client, "#batch-notice")
    })
    .await;
    assert!(
        notice.contains("“Loaner phones (offline)” created") && notice.contains("token"),
        "{notice}"
    );
    let message = text_of(&client, "#batch-token-message").await.unwrap();
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
    wait_for(30, "the signed-in account", || {
        text_of(&client, "#tenant-account")
    })
    .await;
    click(&client, "#nav-batches").await;
    click(&client, "#batch-new").await;
    wait_for(15, "the tenant's profiles in the form", || async {
        let options = client
            .find_all(Locator::Css("#batch-profile option:not([value=''])"))
            .await
            .ok()?;
        (options.len() == 4).then_some(())
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
    client
        .find(Locator::Id("batch-profile"))
        .await
        .unwrap()
        .select_by_value(&demo.staging_profile)
        .await
        .unwrap();
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
    let notice = wait_for(15, "the new batch", || async {
        text_of(&client, "#batch-notice")
            .await
            .filter(|n| n.contains("Warehouse wave 1"))
    })
    .await;
    assert_eq!(notice, "Batch “Warehouse wave 1” created.");
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
        let instruction = wait_for(10, "the batch's first instruction", || async {
            card_css(&client, serial, ".instruction")
                .await
                .filter(|t| t.starts_with("Factory-reset"))
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
        card_css(&client, &third, ".stage-box").await.is_none(),
        "the third device is not expected"
    );

    // Showing the profile's QR moves them to "Scan the QR now".
    click(&client, "#nav-profiles").await;
    let staging = format!(
        "#profile-list li.profile[data-id='{}']",
        demo.staging_profile
    );
    wait_for(30, "the staging profile", || text_of(&client, &staging)).await;
    click(&client, &format!("{staging} .profile-show-qr")).await;
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("profile-qr-canvas"))
        .await
        .unwrap();
    click(&client, "#profile-qr-back").await;
    click(&client, "#nav-bench").await;
    for serial in [&first, &second] {
        wait_for(10, "Scan the QR now", || async {
            card_css(&client, serial, ".instruction")
                .await
                .filter(|t| t.starts_with("Scan the QR now"))
        })
        .await;
    }
    assert_eq!(
        card_css(&client, &first, ".stage-label").await.as_deref(),
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
    wait_for(15, "the device to leave", || async {
        (!serials_shown(&client).await.contains(&first)).then_some(())
    })
    .await;
    adb.client().connect(&addr).await.unwrap();
    let instruction = wait_for(30, "the enrolling instruction", || async {
        card_css(&client, &first, ".instruction")
            .await
            .filter(|t| t.starts_with("Enrolling"))
    })
    .await;
    assert!(
        instruction.contains("do not restart") && instruction.contains("Power off"),
        "{instruction}"
    );
    assert_eq!(
        card_css(&client, &first, ".stage-action").await.as_deref(),
        Some("Powered off")
    );
    assert!(
        card_css(&client, &second, ".stage-action").await.is_none(),
        "no action while scanning"
    );
    screenshot(&client, "bench-batch-enrolling.png").await;

    click(
        &client,
        &format!(
            "#device-cards li.card[data-serial='{first}'] .stage-action[data-action='powered-off']"
        ),
    )
    .await;
    let done = wait_for(10, "Bench done", || async {
        card_css(&client, &first, ".stage-label")
            .await
            .filter(|t| t == "Bench done")
    })
    .await;
    assert_eq!(done, "Bench done");
    let instruction = card_css(&client, &first, ".instruction").await.unwrap();
    assert!(instruction.contains("waiting for Intune"), "{instruction}");
    assert!(card_css(&client, &first, ".stage-action").await.is_none());
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
    assert_eq!(
        text_of(&client, &format!("{item} .batch-devices"))
            .await
            .as_deref(),
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
    wait_for(10, "the counts", || async {
        (count("bench-done").await.as_deref() == Some("1")).then_some(())
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
    wait_for(10, "the third device to join the active batch", || async {
        batch_on_card(&client, &third)
            .await
            .filter(|n| n == "Warehouse wave 1")
    })
    .await;
    let selected = client
        .find(Locator::Id("active-batch"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(selected.len(), 32, "the header picks the batch: {selected}");
    screenshot(&client, "bench-active-batch.png").await;

    // Close it, after confirming: no longer active.
    click(&client, "#nav-batches").await;
    click(&client, "#batch-close").await;
    client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Id("close-dialog"))
        .await
        .unwrap();
    screenshot(&client, "batch-close-dialog.png").await;
    click(&client, "#close-confirm").await;
    wait_for(10, "the batch to close", || async {
        text_of(&client, "#batch-notice")
            .await
            .filter(|n| n.contains("is closed"))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_imports_a_pack_shows_its_qr_exports_a_signed_report_and_the_activity_shows_it() {
    // A vendor bench with no tenant, two devices plugged in that the pack's batch expects.
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(2, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(2, Duration::from_secs(20))
        .await
        .unwrap();
    let serials: Vec<String> = bench.models().iter().map(|(s, _, _)| s.clone()).collect();
    let (batch, payload, sealed) = admin_pack(&serials);
    let files = tempfile::tempdir().unwrap();
    let pack_path = files.path().join("wave 3.stagebench-pack");
    std::fs::write(&pack_path, &sealed).unwrap();

    let data = tempfile::tempdir().unwrap();
    let env = [("STAGEBENCH_TECHNICIAN", "vendor-tech".to_string())];
    let (_driver, port) = start_driver(data.path(), adb.port(), &env).await;
    let client = connect(port).await;
    wait_for(20, "the bench cards", || async {
        (serials_shown(&client).await.len() == 2).then_some(())
    })
    .await;

    // Import the pack: a wrong passphrase is refused in the dialog, the right one imports and
    // makes it the active batch.
    click(&client, "#nav-batches").await;
    click(&client, "#pack-import-open").await;
    set_value(
        &client,
        "#pack-import-path",
        &pack_path.display().to_string(),
    )
    .await;
    type_into(&client, "#pack-import-passphrase", "not-the-passphrase").await;
    click(&client, "#pack-import-go").await;
    let refused = wait_for(20, "the wrong passphrase refused", || {
        text_of(&client, "#pack-import-error")
    })
    .await;
    assert!(
        refused.contains("passphrase does not open this bench pack"),
        "{refused}"
    );
    screenshot(&client, "pack-import-wrong-passphrase.png").await;
    type_into(&client, "#pack-import-passphrase", PACK_PASS).await;
    assert_eq!(
        client
            .find(Locator::Id("pack-import-activate"))
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
    wait_for(20, "the imported batch in the list", || {
        text_of(&client, &item)
    })
    .await;
    let title = wait_for(10, "the imported batch selected", || {
        text_of(&client, "#batch-title")
    })
    .await;
    assert_eq!(title, "Leeds scanners: wave 3");
    assert!(
        text_of(&client, &item).await.unwrap().contains("active"),
        "made active"
    );
    assert!(
        client.find(Locator::Id("batch-export-pack")).await.is_err(),
        "a vendor does not re-export the admin's pack"
    );
    wait_for(20, "the expected devices in the batch", || async {
        (text_of(&client, "#batch-device-count")
            .await?
            .starts_with("2 of 2"))
        .then_some(())
    })
    .await;
    screenshot(&client, "pack-imported.png").await;

    // A keyboard-wedge scanner types into the scan field and ends with Enter: a device already
    // in the batch says so; a scan too long to be a serial is refused and the field carries on.
    let wedge = format!("{}\u{E007}", serials[0].to_lowercase());
    type_into(&client, "#scan-input", &wedge).await;
    let row = format!("#scan-results li.ok[data-serial='{}']", serials[0]);
    let said = wait_for(10, "the scan's outcome", || text_of(&client, &row)).await;
    assert!(said.contains("already in the batch"), "{said}");
    type_into(
        &client,
        "#scan-input",
        &format!("{}\u{E007}", "X".repeat(300)),
    )
    .await;
    let refused = wait_for(10, "the refused scan", || {
        text_of(&client, "#scan-results li.bad")
    })
    .await;
    assert!(refused.contains("more than a serial can be"), "{refused}");
    screenshot(&client, "batch-scan.png").await;

    // Show QR: the pack's payload, full screen, read back from a screenshot; Exit closes it.
    click(&client, "#batch-show-qr").await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("batch-qr-canvas"))
        .await
        .expect("batch QR shown");
    let png = screenshot(&client, "batch-qr.png").await;
    let decoded = decode_qr_png(&png);
    assert_eq!(decoded.len(), 1, "one QR on screen");
    let shown: serde_json::Value = serde_json::from_str(&decoded[0]).unwrap();
    assert_eq!(
        shown,
        serde_json::from_str::<serde_json::Value>(&payload).unwrap(),
        "the on-screen QR is the pack's payload"
    );
    click(&client, "#batch-qr-fullscreen").await;
    wait_for(5, "the QR closed", || async {
        client
            .find(Locator::Id("batch-qr"))
            .await
            .is_err()
            .then_some(())
    })
    .await;

    // Settings: the bench's key, and the technician's name for what follows.
    click(&client, "#nav-settings").await;
    let fingerprint = wait_for(20, "the bench key", || async {
        client
            .find(Locator::Id("settings-fingerprint"))
            .await
            .ok()?
            .prop("value")
            .await
            .ok()?
            .filter(|v| !v.is_empty())
    })
    .await;
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    type_into(&client, "#settings-technician-name", "Ana at Acme").await;
    click(&client, "#settings-technician-save").await;
    let saved = wait_for(10, "the technician saved", || {
        text_of(&client, "#settings-technician-saved")
    })
    .await;
    assert!(saved.contains("Ana at Acme"), "{saved}");
    screenshot(&client, "settings.png").await;

    // Export the report (prefilled in the export folder; written here instead) with its CSV.
    click(&client, "#nav-batches").await;
    click(&client, "#batch-export-report").await;
    let prefilled = client
        .find(Locator::Id("report-export-path"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        prefilled.ends_with("/Leeds scanners wave 3.stagebench-report"),
        "named after the batch, path-safe: {prefilled}"
    );
    let report_path = files.path().join("wave 3.stagebench-report");
    let csv_path = files.path().join("wave 3.csv");
    set_value(
        &client,
        "#report-export-path",
        &report_path.display().to_string(),
    )
    .await;
    set_value(
        &client,
        "#report-export-csv",
        &csv_path.display().to_string(),
    )
    .await;
    click(&client, "#report-export-go").await;
    wait_for(20, "the report written", || {
        text_of(&client, "#report-export-result")
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
    let rows = wait_for(20, "the audit rows", || async {
        let mut actions = Vec::new();
        for row in client
            .find_all(Locator::Css("#activity-rows tbody tr"))
            .await
            .ok()?
        {
            actions.push(row.attr("data-action").await.ok()??);
        }
        actions
            .contains(&"report-export".to_string())
            .then_some(actions)
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
    wait_for(10, "the integrity check", || {
        text_of(&client, "#activity-integrity")
    })
    .await;
    assert_eq!(
        attr_of(&client, "#activity-integrity", "data-status")
            .await
            .as_deref(),
        Some("intact")
    );
    screenshot(&client, "activity.png").await;
    client
        .find(Locator::Id("activity-action"))
        .await
        .unwrap()
        .select_by_value("qr-display")
        .await
        .unwrap();
    wait_for(10, "the filtered rows", || async {
        let rows = client
            .find_all(Locator::Css("#activity-rows tbody tr"))
            .await
            .ok()?;
        let mut all_qr = !rows.is_empty();
        for row in rows {
            all_qr &= row.attr("data-action").await.ok()?.as_deref() == Some("qr-display");
        }
        all_qr.then_some(())
    })
    .await;

    // A report changed after signing is refused with the reason; the real one imports.
    let text = String::from_utf8(written).unwrap();
    assert!(text.contains("Acme Staging"));
    let tampered = files.path().join("tampered.stagebench-report");
    std::fs::write(&tampered, text.replacen("Acme Staging", "Acme Stagink", 1)).unwrap();
    click(&client, "#nav-batches").await;
    click(&client, "#report-import-open").await;
    set_value(
        &client,
        "#report-import-path",
        &tampered.display().to_string(),
    )
    .await;
    click(&client, "#report-import-go").await;
    let refused = wait_for(10, "the tampered report refused", || {
        text_of(&client, "#report-import-error")
    })
    .await;
    assert!(
        refused.contains("changed after the bench signed it"),
        "{refused}"
    );
    screenshot(&client, "report-import-tampered.png").await;
    set_value(
        &client,
        "#report-import-path",
        &report_path.display().to_string(),
    )
    .await;
    click(&client, "#report-import-go").await;
    wait_for(10, "the report imported", || {
        text_of(&client, "#report-import-result")
    })
    .await;
    assert_eq!(
        text_of(&client, "#report-import-signer").await.as_deref(),
        Some(fingerprint.as_str())
    );
    screenshot(&client, "report-imported.png").await;

    client.close().await.unwrap();
}
