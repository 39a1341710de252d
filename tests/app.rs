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

use fantoccini::{Client, Locator};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::provisioning::{Payload, WifiConfig, WifiSecurity};
use stagebench_core::store::{Sighting, Store, FILE_NAME};
use stagebench_core::testing::graph::FakeGraph;
use stagebench_core::testing::{free_port, RealAdbServer, SimulatedBench};
use stagebench_e2e::decode_qr_png;
use stagebench_e2e::wait::{Look, PATIENCE};
use stagebench_e2e::webdriver::{
    absent, attr, attr_is, attr_of, click, connect, count_of, element, filled, present, screenshot,
    screenshot_until, select, set_value, start_driver, text_at, text_matching, text_of, type_into,
    wait_for,
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

/// Look: the Bench view's cards are those of `serials` (sorted).
async fn serials_are(client: &Client, serials: &[String]) -> Look<Vec<String>> {
    let shown = serials_shown(client).await;
    if shown == serials {
        Ok(shown)
    } else {
        Err(format!("the Bench view's cards are {shown:?}"))
    }
}

/// Look: a screenshot's QR codes, once they are exactly `want`.
fn qr_codes_are(png: &[u8], want: &[String]) -> Look<Vec<String>> {
    let decoded = decode_qr_png(png);
    if decoded == want {
        Ok(decoded)
    } else {
        Err(format!("the screenshot's QR codes read {decoded:?}"))
    }
}

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
    let (_driver, port) = start_driver(data.path(), adb.port(), &[]).await;
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
    let first_serial = attr(&client, "#device-cards li.card", "data-serial")
        .await
        .unwrap();
    let card_part = |serial: &str, inner: &str| {
        format!("#device-cards li.card[data-serial='{serial}'] {inner}")
    };
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
        refused.contains("slot 5 is already port") && refused.contains("free slot 5 first"),
        "{refused}"
    );
    // The core's remedy (free slot 5) is offered as a button beside its words.
    let remedy = card_part(&other, ".slot-error .slot-free-other");
    let offered = wait_for(&client, "the remedy's button", || text_at(&client, &remedy)).await;
    assert_eq!(offered, "Free slot 5 and use it here");
    screenshot(&client, "slots.png").await;
    // Free slot 5 on the first card (once the app says it is free), then the second card can
    // have it.
    click(&client, &card_part(&first_serial, ".slot-set")).await;
    click(&client, &card_part(&first_serial, ".slot-free")).await;
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
    let badge = wait_for(&client, "the status strip", || {
        text_at(&client, "#tenant-badge")
    })
    .await;
    assert_eq!(badge, "Not signed in");

    // Tenant screen: the code appears big, then the account once the fake approves it.
    click(&client, "#nav-tenant").await;
    type_into(&client, "#tenant-name", "contoso.onmicrosoft.com").await;
    type_into(&client, "#tenant-client-id", &client_id).await;
    click(&client, "#tenant-sign-in").await;
    let code = wait_for(&client, "the user code", || {
        text_matching(&client, "#tenant-user-code", |c| !c.is_empty())
    })
    .await;
    let link = text_of(&client, "#tenant-link").await.unwrap();
    assert_eq!(link, "https://microsoft.com/devicelogin");
    screenshot(&client, "tenant-code.png").await;
    let account = wait_for(&client, "the signed-in account", || {
        text_at(&client, "#tenant-account")
    })
    .await;
    assert_eq!(account, UPN);
    assert!(
        !fake.device_code_polls(&code).is_empty(),
        "the app polled for code {code}"
    );

    // The first sync runs at once: online, nothing waiting.
    wait_for(&client, "the strip to go online", || {
        attr_is(&client, "#tenant-badge", "data-online", "true")
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
    let synced = wait_for(&client, "the last sync", || {
        text_matching(&client, "#tenant-last-sync", |t| t.starts_with("synced"))
    })
    .await;
    assert!(
        synced.contains("just now") || synced.ends_with("s ago"),
        "{synced}"
    );
    screenshot(&client, "tenant.png").await;

    // Profiles: all four, the expired one marked and without a QR.
    click(&client, "#nav-profiles").await;
    let cards = wait_for(&client, "four profile cards", || {
        count_of(&client, "#profile-list li.profile", 4)
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
    wait_for(&client, "the profile's QR", || {
        present(&client, "#profile-qr-canvas")
    })
    .await;
    let page = client.source().await.unwrap();
    assert!(
        !page.contains(&token),
        "the token is not in the page until revealed"
    );
    let want = [content.clone()];
    let decoded = screenshot_until(
        &client,
        "profile-qr.png",
        "the profile's QR on screen",
        |png| qr_codes_are(png, &want),
    )
    .await;
    assert_eq!(
        decoded,
        vec![content],
        "the on-screen QR is the profile's qrCodeContent"
    );
    click(&client, "#profile-reveal").await;
    let shown = wait_for(&client, "the revealed token", || {
        text_at(&client, "#profile-token-clear")
    })
    .await;
    assert_eq!(shown, token);
    click(&client, "#profile-reveal").await;
    click(&client, "#profile-qr-back").await;

    // Revoke through the dialog: the name must be typed exactly.
    click(&client, &format!("{staging} .profile-revoke")).await;
    wait_for(&client, "the revoke dialog", || {
        present(&client, "#revoke-dialog")
    })
    .await;
    type_into(&client, "#revoke-name", "Bench").await;
    let confirm = element(&client, "#revoke-confirm").await.unwrap();
    assert!(
        confirm.attr("disabled").await.unwrap().is_some(),
        "a partial name does not enable Revoke"
    );
    screenshot(&client, "profiles-revoke-dialog.png").await;
    let name = stored["displayName"].as_str().unwrap().to_owned();
    type_into(&client, "#revoke-name", &name).await;
    click(&client, "#revoke-confirm").await;
    wait_for(&client, "the staging token to show as revoked", || {
        attr_is(&client, &staging, "data-state", "expired")
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
    wait_for(&client, "the resumed sign-in to go online", || {
        attr_is(&client, "#tenant-badge", "data-online", "true")
    })
    .await;
    click(&client, "#nav-tenant").await;
    let account = wait_for(&client, "the resumed account", || {
        text_at(&client, "#tenant-account")
    })
    .await;
    assert_eq!(account, UPN);
    // Signing out keeps the tenant and client id for the next sign-in.
    click(&client, "#tenant-sign-out").await;
    let badge = wait_for(&client, "the strip to say signed out", || {
        text_matching(&client, "#tenant-badge", |b| b == "Not signed in")
    })
    .await;
    assert_eq!(badge, "Not signed in");
    let form_tenant = wait_for(&client, "the sign-in form", || {
        element(&client, "#tenant-name")
    })
    .await
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

/// Look: the text of `inner` on `serial`'s card, once `accept` takes it.
async fn on_card(
    client: &Client,
    serial: &str,
    inner: &str,
    accept: impl Fn(&str) -> bool,
) -> Look<String> {
    text_matching(
        client,
        &format!("#device-cards li.card[data-serial='{serial}'] {inner}"),
        accept,
    )
    .await
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
        card_css(&client, &third, ".stage-box").await.is_none(),
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
    let done = wait_for(&client, "Bench done", || {
        on_card(&client, &first, ".stage-label", |t| t == "Bench done")
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
    adb.wait_for_devices(2, PATIENCE).await.unwrap();
    let serials: Vec<String> = bench.models().iter().map(|(s, _, _)| s.clone()).collect();
    let (batch, payload, sealed) = admin_pack(&serials);
    let files = tempfile::tempdir().unwrap();
    let pack_path = files.path().join("wave 3.stagebench-pack");
    std::fs::write(&pack_path, &sealed).unwrap();

    let data = tempfile::tempdir().unwrap();
    let env = [("STAGEBENCH_TECHNICIAN", "vendor-tech".to_string())];
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
    set_value(
        &client,
        "#pack-import-path",
        &pack_path.display().to_string(),
    )
    .await;
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

    // Export the report (prefilled in the export folder; written here instead) with its CSV.
    click(&client, "#nav-batches").await;
    click(&client, "#batch-export-report").await;
    let prefilled = wait_for(&client, "the report's path prefilled", || {
        filled(&client, "#report-export-path")
    })
    .await;
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
    set_value(
        &client,
        "#report-import-path",
        &tampered.display().to_string(),
    )
    .await;
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
    set_value(
        &client,
        "#report-import-path",
        &report_path.display().to_string(),
    )
    .await;
    click(&client, "#report-import-go").await;
    wait_for(&client, "the report imported", || {
        text_at(&client, "#report-import-result")
    })
    .await;
    assert_eq!(
        text_of(&client, "#report-import-signer").await.as_deref(),
        Some(fingerprint.as_str())
    );
    screenshot(&client, "report-imported.png").await;

    client.close().await.unwrap();
}
