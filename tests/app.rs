//! The real app under Xvfb, driven over WebDriver (Debian's WebKitWebDriver, which starts the
//! app with automation on). Two fake devices are attached through Debian's real adb server:
//! the Bench view must list both serials, and the QR view must show a code that decodes, from a
//! screenshot, to exactly the expected payload. Screenshots land in artifacts/e2e/.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use stagebench_core::provisioning::{Payload, WifiConfig, WifiSecurity};
use stagebench_core::testing::{free_port, RealAdbServer, SimulatedBench};
use stagebench_e2e::{artifacts_dir, built_binary, decode_qr_png};
use tokio::process::{Child, Command};

const TOKEN: &str = "E2E-T0K3N-staging";
const SSID: &str = "Bench \"5\"; café";
const PASSWORD: &str = "p@ss;\\word\"";

async fn start_driver(app_data: &std::path::Path, adb_port: u16) -> (Child, u16) {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run the end-to-end tests under Xvfb (`make test` does this)"
    );
    let port = free_port().unwrap();
    let driver = Command::new("WebKitWebDriver")
        .arg(format!("--port={port}"))
        .env("TAURI_WEBVIEW_AUTOMATION", "true")
        .env("ANDROID_ADB_SERVER_PORT", adb_port.to_string())
        .env("STAGEBENCH_DATA_DIR", app_data)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("WebKitWebDriver runs (package webkit2gtk-driver; `make test` installs it)");
    (driver, port)
}

async fn connect(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "webkitgtk:browserOptions".into(),
        serde_json::json!({ "binary": built_binary("stagebench-app").to_string_lossy(), "args": [] }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("WebDriver session did not start within 30 s: {e}"),
        }
    }
}

async fn serials_shown(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for card in client.find_all(Locator::Css("#device-cards li.card")).await.unwrap_or_default() {
        if let Ok(Some(s)) = card.attr("data-serial").await {
            out.push(s);
        }
    }
    out.sort();
    out
}

async fn screenshot(client: &Client, name: &str) -> Vec<u8> {
    // WebKit can hand back the previous frame right after a change; let it paint first.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let png = client.screenshot().await.expect("WebDriver screenshot");
    std::fs::write(artifacts_dir("e2e").join(name), &png).unwrap();
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_lists_devices_and_qr_view_shows_a_scannable_code() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(2, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(2, Duration::from_secs(20)).await.unwrap();
    let mut expected: Vec<String> = bench.models().iter().map(|(serial, _, _)| serial.clone()).collect();
    expected.sort();

    let data = tempfile::tempdir().unwrap();
    let (_driver, port) = start_driver(data.path(), adb.port()).await;
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
    assert_eq!(shown, expected, "the Bench view lists both attached devices by serial");
    let cards = client.find(Locator::Css("#device-cards")).await.unwrap().text().await.unwrap();
    for (_, maker, model) in bench.models() {
        assert!(cards.contains(model.as_str()), "card text shows model {model}: {cards}");
        assert!(cards.contains(maker.as_str()), "card text shows maker {maker}: {cards}");
    }

    // Slots: give the first card slot 5 from the app; it is saved; a taken number is refused.
    let first = client.find(Locator::Css("#device-cards li.card")).await.unwrap();
    let first_serial = first.attr("data-serial").await.unwrap().unwrap();
    first.find(Locator::Css(".slot-set")).await.unwrap().click().await.unwrap();
    let input = first.find(Locator::Css(".slot-input")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("5").await.unwrap();
    first.find(Locator::Css(".slot-save")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let card_text = |serial: String| {
        let client = client.clone();
        async move {
            let css = format!("#device-cards li.card[data-serial='{serial}'] .slot-number");
            client.find(Locator::Css(&css)).await.unwrap().text().await.unwrap()
        }
    };
    while card_text(first_serial.clone()).await != "Slot 5" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(card_text(first_serial.clone()).await, "Slot 5");
    let store = stagebench_core::store::Store::open(&data.path().join("stagebench.sqlite3")).unwrap();
    let slots = store.slots().unwrap();
    assert_eq!(slots.iter().map(|s| s.number).collect::<Vec<_>>(), vec![5], "saved in the bench history: {slots:?}");
    let other = expected.iter().find(|s| **s != first_serial).unwrap().clone();
    let second = client.find(Locator::Css(&format!("#device-cards li.card[data-serial='{other}']"))).await.unwrap();
    second.find(Locator::Css(".slot-set")).await.unwrap().click().await.unwrap();
    let input = second.find(Locator::Css(".slot-input")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("5").await.unwrap();
    second.find(Locator::Css(".slot-save")).await.unwrap().click().await.unwrap();
    let refused = client.wait().at_most(Duration::from_secs(5)).for_element(Locator::Css(".slot-error")).await.unwrap();
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("slot 5 is already port") && refused.contains("stagebench slots free 5"), "{refused}");
    screenshot(&client, "slots.png").await;
    // Free slot 5 on the first card, then the second card can have it.
    let first = client.find(Locator::Css(&format!("#device-cards li.card[data-serial='{first_serial}']"))).await.unwrap();
    first.find(Locator::Css(".slot-set")).await.unwrap().click().await.unwrap();
    first.find(Locator::Css(".slot-free")).await.unwrap().click().await.unwrap();
    let second = client.find(Locator::Css(&format!("#device-cards li.card[data-serial='{other}']"))).await.unwrap();
    second.find(Locator::Css(".slot-save")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while card_text(other.clone()).await != "Slot 5" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(card_text(other.clone()).await, "Slot 5", "the freed number went to the second card");
    let slots = store.slots().unwrap();
    assert_eq!(slots.len(), 1, "{slots:?}");
    assert_ne!(card_text(first_serial.clone()).await, "Slot 5");

    // Bench health: the doctor panel runs the same checks as `stagebench doctor`.
    client.find(Locator::Css("#doctor summary")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("doctor-run")).await.unwrap().click().await.unwrap();
    let adb_check = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#doctor-checks li[data-id='usb.adb-server']"))
        .await
        .expect("doctor results shown");
    let text = adb_check.text().await.unwrap();
    assert!(text.starts_with("ok") && text.contains(&adb.port().to_string()), "adb server check: {text}");
    screenshot(&client, "doctor.png").await;

    // QR view: token + Wi-Fi with awkward characters.
    client.find(Locator::Id("nav-qr")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("qr-token")).await.unwrap().send_keys(TOKEN).await.unwrap();
    client.find(Locator::Id("qr-use-wifi")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("qr-ssid")).await.unwrap().send_keys(SSID).await.unwrap();
    // A key too short for WPA is refused with the reason, and nothing is shown.
    client.find(Locator::Id("qr-password")).await.unwrap().send_keys("1234567").await.unwrap();
    client.find(Locator::Id("qr-show")).await.unwrap().click().await.unwrap();
    let error = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("qr-error")).await.expect("error shown");
    let error = error.text().await.unwrap();
    assert!(error.contains("WPA key is 7 characters"), "the error names the problem: {error}");
    assert!(client.find(Locator::Id("qr-canvas")).await.is_err(), "no QR for a refused payload");
    screenshot(&client, "qr-error.png").await;

    let password = client.find(Locator::Id("qr-password")).await.unwrap();
    password.clear().await.unwrap();
    password.send_keys(PASSWORD).await.unwrap();
    client.find(Locator::Id("qr-show")).await.unwrap().click().await.unwrap();
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("qr-canvas")).await.expect("QR canvas shown");

    let summary = client.find(Locator::Id("qr-summary")).await.unwrap().text().await.unwrap();
    assert!(summary.contains(SSID), "summary shows the SSID: {summary}");
    assert!(!summary.contains(PASSWORD), "summary masks the Wi-Fi password: {summary}");
    assert!(!summary.contains(TOKEN), "summary masks the token: {summary}");

    assert!(client.find(Locator::Id("qr-token-clear")).await.is_err(), "the token stays hidden until revealed");
    client.find(Locator::Id("qr-reveal")).await.unwrap().click().await.unwrap();
    let token_shown = client.find(Locator::Id("qr-token-clear")).await.unwrap().text().await.unwrap();
    assert_eq!(token_shown, TOKEN, "revealed token for manual entry");
    client.find(Locator::Id("qr-reveal")).await.unwrap().click().await.unwrap();

    let png = screenshot(&client, "qr.png").await;
    let decoded = decode_qr_png(&png);
    let wifi = WifiConfig::new(SSID, WifiSecurity::Wpa, Some(PASSWORD), false).unwrap();
    let expected_payload = Payload::android_enterprise(TOKEN, Some(&wifi)).unwrap();
    assert_eq!(decoded, vec![expected_payload.qr_text().to_string()], "the on-screen QR decodes to the payload");
    let json: serde_json::Value = serde_json::from_str(&decoded[0]).unwrap();
    assert_eq!(json["android.app.extra.PROVISIONING_WIFI_SSID"], SSID);
    assert_eq!(json["android.app.extra.PROVISIONING_WIFI_PASSWORD"], PASSWORD);

    // The QR is drawn at a whole number of device pixels per module.
    let module_px = client.find(Locator::Id("qr-canvas")).await.unwrap().attr("data-module-px").await.unwrap();
    let module_px: u32 = module_px.expect("canvas records its module size").parse().unwrap();
    assert!(module_px >= 4, "QR fills the window: {module_px} px per module");

    // Full screen hides the form: bigger modules, still the same payload.
    client.find(Locator::Id("qr-fullscreen")).await.unwrap().click().await.unwrap();
    let png = screenshot(&client, "qr-fullscreen.png").await;
    assert_eq!(decode_qr_png(&png), vec![expected_payload.qr_text().to_string()]);
    let full_px: u32 =
        client.find(Locator::Id("qr-canvas")).await.unwrap().attr("data-module-px").await.unwrap().unwrap().parse().unwrap();
    assert!(full_px > module_px, "full screen draws bigger modules: {full_px} vs {module_px}");
    client.find(Locator::Id("qr-fullscreen")).await.unwrap().click().await.unwrap();

    // Live updates: a device that goes away disappears from the Bench view by itself.
    client.find(Locator::Id("nav-bench")).await.unwrap().click().await.unwrap();
    let gone = bench.addrs()[0].to_string();
    adb.client().disconnect(&gone).await.unwrap();
    let remaining: Vec<String> = expected.iter().filter(|s| **s != bench.models()[0].0).cloned().collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && serials_shown(&client).await != remaining {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&client, "bench-after-unplug.png").await;
    assert_eq!(serials_shown(&client).await, remaining, "the unplugged device left the Bench view");

    client.close().await.unwrap();
}
