//! The Bench screen read as a technician reads it, from a metre away, in the real app under
//! Xvfb at 1920×1080 with simulated devices behind Debian's real adb server: slot numbers and
//! serials large, each state a word and an icon, every text at WCAG AA contrast, all sixteen
//! cards in view (fifty in dense mode, without scrolling), Ctrl +/−/0 zoom that is remembered,
//! the active batch's QR beside the grid with its batch, profile and token expiry, and a
//! full-screen QR that leaves on Esc and hides itself after the time set in Settings.
//! Screenshots land in artifacts/e2e/ (bench-8.png, bench-16.png, bench-50.png, …).

use std::time::Instant;

use stagebench_core::batch::exchange::keep_qr;
use stagebench_core::batch::BatchStore;
use stagebench_core::intune::auth::{OsKeyring, SecretStore};
use stagebench_core::provisioning::Payload;
use stagebench_core::secret::SecretText;
use stagebench_core::store::{Store, FILE_NAME};
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::batches::local_batch;
use stagebench_e2e::qr::qr_codes_are;
use stagebench_e2e::readable::{
    bench_look, ctrl, font_px, low_contrast, press, viewport, BenchLook, ESCAPE,
};
use stagebench_e2e::wait::{Look, PATIENCE};
use stagebench_e2e::webdriver::{
    attr, attr_is, click, connect, screenshot, screenshot_until, set_value, start_driver, text_at,
    wait_for,
};

const TOKEN: &str = "E2E-BENCH-SCREEN-T0K3N";

/// The webview's own storage folder for this test, so display preferences one test leaves
/// (dense mode, zoom) never reach another.
fn own_webview(data: &tempfile::TempDir) -> [(&'static str, String); 1] {
    let dir = data.path().join("webview");
    std::fs::create_dir_all(&dir).unwrap();
    [("XDG_DATA_HOME", dir.to_string_lossy().into_owned())]
}

/// Look: the Bench screen once it shows `count` cards.
async fn cards(client: &fantoccini::Client, count: usize) -> Look<BenchLook> {
    let look = bench_look(client).await?;
    if look.cards.len() == count {
        Ok(look)
    } else {
        Err(format!("{} cards, not {count}", look.cards.len()))
    }
}

/// Waits until the slot digits' font size is one `accept` takes, and returns it.
async fn digits_until(app: &fantoccini::Client, what: &str, accept: impl Fn(f64) -> bool) -> f64 {
    let accept = &accept;
    wait_for(app, what, || async move {
        let px = font_px(app, "#device-cards .slot-digits").await?;
        if accept(px) {
            Ok(px)
        } else {
            Err(format!("slot digits at {px} px"))
        }
    })
    .await
}

/// Every card reads from a metre away: a numbered slot in digits of 40 px or more (a card
/// without a number says so in a few words, never an address), its serial at `serial_px` or
/// more, and its state as a word with an icon.
fn assert_readable(look: &BenchLook, serial_px: f64) {
    for c in &look.cards {
        if c.slot_text.starts_with("Slot ") {
            assert!(c.slot_px >= 40.0, "slot number at {} px: {c:?}", c.slot_px);
        } else {
            assert!(
                c.slot_text.len() <= 12 && !c.slot_text.contains(':') && c.slot_text != c.key,
                "a card without a slot number says so, not its address: {c:?}"
            );
        }
        assert!(
            c.serial_px >= serial_px,
            "serial at {} px: {c:?}",
            c.serial_px
        );
        assert!(
            c.status_icon && !c.status_word.is_empty(),
            "the state is a word and an icon: {c:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_reads_from_a_metre_at_1080p_with_its_qr_beside() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(16, None).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let active = local_batch("Dock 7 scanners", 30, &[]);
    let expires = active
        .spec
        .profile
        .token_expires
        .unwrap()
        .date()
        .to_string();
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        store.create_batch(&active).unwrap();
        store.set_active_batch(Some(&active.id)).unwrap();
        // Twelve of the sixteen ports have a slot number; four do not.
        for (i, addr) in bench.addrs().iter().take(12).enumerate() {
            store
                .assign_slot(&addr.to_string(), i as u32 + 1, None)
                .unwrap();
        }
    }
    let payload = Payload::android_enterprise(TOKEN, None)
        .unwrap()
        .qr_text()
        .to_string();
    let keyring = OsKeyring::new();
    keep_qr(&keyring, &active.id, &SecretText::new(payload.clone()))
        .await
        .expect("the test Secret Service (scripts/test-env.sh)");

    let client = adb.client();
    for addr in bench.addrs().iter().take(8) {
        client.connect(&addr.to_string()).await.unwrap();
    }
    adb.wait_for_devices(8, PATIENCE).await.unwrap();
    let (_driver, port) = start_driver(data.path(), adb.port(), &own_webview(&data)).await;
    let app = connect(port).await;
    viewport(&app, 1920, 1080).await;

    // Eight devices, the batch's QR beside them.
    let look = wait_for(&app, "eight cards", || cards(&app, 8)).await;
    assert_readable(&look, 24.0);
    wait_for(&app, "the QR beside the grid", || {
        text_at(&app, "#bench-qr-batch")
    })
    .await;
    let want = [payload.clone()];
    screenshot_until(&app, "bench-8.png", "the QR beside eight cards", |png| {
        qr_codes_are(png, &want)
    })
    .await;

    // Sixteen: all in view, each readable, every text at AA contrast.
    for addr in bench.addrs().iter().skip(8) {
        client.connect(&addr.to_string()).await.unwrap();
    }
    let look = wait_for(&app, "sixteen cards", || cards(&app, 16)).await;
    assert_readable(&look, 24.0);
    // With the QR beside the grid (five columns) three full rows show: the sixteenth tile is
    // below them. All sixteen fit without the QR (checked below), and fifty in dense mode.
    wait_for(
        &app,
        "three rows of cards in view beside the QR",
        || async {
            let look = cards(&app, 16).await?;
            match look.fully_visible() {
                n if n >= 15 => Ok(look),
                n => Err(format!("{n} of 16 cards fully visible")),
            }
        },
    )
    .await;
    screenshot(&app, "bench-16.png").await;
    let low = low_contrast(&app).await;
    assert!(low.is_empty(), "texts below WCAG AA contrast: {low:#?}");

    // The QR beside the grid: batch, profile and token expiry, and it decodes to the payload.
    let beside = text_at(&app, "#bench-qr").await.unwrap();
    assert!(
        beside.contains("Dock 7 scanners")
            && beside.contains("Warehouse staging")
            && beside.contains(&expires),
        "the QR is labelled with batch, profile and expiry ({expires}): {beside}"
    );
    screenshot_until(&app, "bench-16-qr.png", "the QR beside 16 cards", |png| {
        qr_codes_are(png, &want)
    })
    .await;
    let module_px: u32 = attr(&app, "#bench-qr-canvas", "data-module-px")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        module_px >= 4,
        "the QR beside the grid is large enough for phone cameras: {module_px} px per module"
    );
    // Without the QR beside, the cards still all fit.
    click(&app, "#bench-qr-toggle").await;
    wait_for(&app, "the QR put away", || async {
        match text_at(&app, "#bench-qr").await {
            Ok(t) => Err(format!("still there: {t}")),
            Err(_) => Ok(()),
        }
    })
    .await;
    let look = wait_for(&app, "all sixteen cards in view without the QR", || async {
        let look = bench_look(&app).await?;
        match look.fully_visible() {
            16 => Ok(look),
            n => Err(format!("{n} of 16 cards fully visible")),
        }
    })
    .await;
    assert!(!look.scrolls, "sixteen cards fit without scrolling");
    click(&app, "#bench-qr-toggle").await;
    wait_for(&app, "the QR back beside the grid", || {
        text_at(&app, "#bench-qr-batch")
    })
    .await;

    // Ctrl + zooms in, Ctrl − out, Ctrl 0 back; the zoom is remembered.
    let base = font_px(&app, "#device-cards .slot-digits").await.unwrap();
    ctrl(&app, '=').await;
    let bigger = digits_until(&app, "Ctrl + to zoom in", |px| px > base).await;
    app.refresh().await.unwrap();
    digits_until(&app, "the zoom remembered after a reload", |px| {
        (px - bigger).abs() < 0.01
    })
    .await;
    ctrl(&app, '-').await;
    ctrl(&app, '-').await;
    digits_until(&app, "Ctrl − to zoom out", |px| px < base).await;
    ctrl(&app, '0').await;
    digits_until(&app, "Ctrl 0 to reset the zoom", |px| {
        (px - base).abs() < 0.01
    })
    .await;

    // Full screen: pure black on white with its labels; Esc leaves it.
    let full = "#bench-qr .qr-area";
    wait_for(&app, "the QR beside the grid", || {
        text_at(&app, "#bench-qr-batch")
    })
    .await;
    click(&app, "#bench-qr-fullscreen").await;
    wait_for(&app, "full screen", || {
        attr_is(&app, full, "data-full", "true")
    })
    .await;
    let colours = app
        .execute(
            "const a = getComputedStyle(document.querySelector(arguments[0])); return [a.backgroundColor, a.color];",
            vec![serde_json::json!(full)],
        )
        .await
        .unwrap();
    assert_eq!(
        colours,
        serde_json::json!(["rgb(255, 255, 255)", "rgb(0, 0, 0)"]),
        "full screen is black on white"
    );
    let caption = text_at(&app, &format!("{full} .qr-caption")).await.unwrap();
    assert!(
        caption.contains("Dock 7 scanners") && caption.contains(&expires),
        "{caption}"
    );
    screenshot_until(
        &app,
        "bench-qr-fullscreen.png",
        "the full-screen QR",
        |png| qr_codes_are(png, &want),
    )
    .await;
    press(&app, ESCAPE).await;
    wait_for(&app, "Esc to leave full screen", || {
        attr_is(&app, full, "data-full", "false")
    })
    .await;

    // Full screen hides itself after the time set in Settings.
    click(&app, "#nav-settings").await;
    set_value(&app, "#qr-hide-seconds", "3").await;
    click(&app, "#nav-bench").await;
    click(&app, "#bench-qr-fullscreen").await;
    wait_for(&app, "full screen again", || {
        attr_is(&app, full, "data-full", "true")
    })
    .await;
    let shown = Instant::now();
    wait_for(&app, "the full-screen QR to hide itself", || {
        attr_is(&app, full, "data-full", "false")
    })
    .await;
    assert!(
        shown.elapsed().as_secs_f64() >= 2.0,
        "it stayed until its time: {:?}",
        shown.elapsed()
    );

    let _ = keyring
        .delete(&stagebench_core::batch::exchange::qr_secret_name(
            &active.id,
        ))
        .await;
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dense_mode_shows_fifty_devices_without_scrolling() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(50, None).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        for (i, addr) in bench.addrs().iter().take(48).enumerate() {
            store
                .assign_slot(&addr.to_string(), i as u32 + 1, None)
                .unwrap();
        }
    }
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(50, PATIENCE).await.unwrap();
    let (_driver, port) = start_driver(data.path(), adb.port(), &own_webview(&data)).await;
    let app = connect(port).await;
    viewport(&app, 1920, 1080).await;
    wait_for(&app, "fifty cards", || cards(&app, 50)).await;

    click(&app, "#bench-dense").await;
    let look = wait_for(&app, "all fifty cards in view", || async {
        let look = cards(&app, 50).await?;
        match (look.fully_visible(), look.scrolls) {
            (50, false) => Ok(look),
            (n, scrolls) => Err(format!("{n} of 50 fully visible, scrolls: {scrolls}")),
        }
    })
    .await;
    assert_readable(&look, 20.0);
    screenshot(&app, "bench-50.png").await;
    let low = low_contrast(&app).await;
    assert!(low.is_empty(), "texts below WCAG AA contrast: {low:#?}");

    // Dense mode is remembered.
    app.refresh().await.unwrap();
    wait_for(&app, "dense mode after a reload", || async {
        let look = cards(&app, 50).await?;
        match look.fully_visible() {
            50 => Ok(()),
            n => Err(format!("{n} of 50 fully visible")),
        }
    })
    .await;
    app.close().await.unwrap();
}
