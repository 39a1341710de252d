//! The one-command demo, end to end: `scripts/demo.sh --prepare-only` does what `make demo` does
//! before it opens the window (a fresh demo folder, the simulator with its fake tenant, the bench
//! signed in, the demo batch active) against the test's adb server, then the real app runs under
//! Xvfb over WebDriver with the environment the script printed. The demo panel lists the eight
//! simulated devices and drives them (allow, USB debugging on, stick, restart, advance, power on,
//! unplug and plug), and the bench's own stages appear on cards: Scanning once the profile's QR
//! is shown, Enrolling with its Powered off button, Bench done after the click, then — powered on
//! again — In Intune and User signed in as the fake tenant enrolls the device and its user signs
//! in. Screenshots land in artifacts/e2e/ (demo-*.png); the README shows demo-bench.png
//! (copied to docs/).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};

use fantoccini::Client;
use stagebench_e2e::bench_view::{card, on_card, serials_shown};
use stagebench_e2e::webdriver::{
    attr_is, click, connect, count_of, present, screenshot, start_driver, text_at, wait_for,
};
use stagebench_e2e::{built_binary, read_lines};

/// `scripts/demo.sh --prepare-only`, stopped (as Ctrl-C or closing the app would) when dropped.
struct DemoScript(Child);

impl Drop for DemoScript {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The demo panel's row of simulated device `n`.
fn row(n: u32) -> String {
    format!("#demo-devices tr[data-number='{n}']")
}

/// Clicks control `action` (with `failure`) on simulated device `n` in the demo panel.
async fn control(client: &Client, n: u32, action: &str, failure: Option<&str>) {
    let button = match failure {
        Some(f) => format!(
            "{} .demo-act[data-action='fail'][data-failure='{f}']",
            row(n)
        ),
        None => format!("{} .demo-act[data-action='{action}']", row(n)),
    };
    wait_for(
        client,
        &format!("the {action} control of device {n}"),
        || present(client, &button),
    )
    .await;
    click(client, &button).await;
}

/// Waits until simulated device `n` is in `phase` (the panel's word).
async fn phase(client: &Client, n: u32, phase: &str) {
    let row = row(n);
    wait_for(client, &format!("device {n} {phase}"), || {
        attr_is(client, &row, "data-phase", phase)
    })
    .await;
}

/// Waits until the Bench shows `serial`'s card.
async fn card_shown(client: &Client, serial: &str) {
    let card = card(serial);
    wait_for(client, &format!("{serial}'s card"), || {
        present(client, &card)
    })
    .await;
}

/// Waits until `serial`'s card says `stage`.
async fn stage(client: &Client, serial: &str, stage: &str) -> String {
    wait_for(client, &format!("{serial} at {stage}"), || {
        on_card(client, serial, ".stage-label", |t| t == stage)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_bench_shows_every_stage_on_a_card() {
    let adb = stagebench_core::testing::RealAdbServer::start()
        .await
        .expect("real adb server");
    let tmp = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.sh");
    let mut child = Command::new(script)
        .args([
            "--prepare-only",
            built_binary("stagebench").to_str().unwrap(),
        ])
        .env("TMPDIR", tmp.path())
        .env("STAGEBENCH_DEMO_ADB_PORT", adb.port().to_string())
        .env("STAGEBENCH_DEMO_STEP_MS", "1000")
        .env("STAGEBENCH_SYNC_SECONDS", "1")
        .env_remove("STAGEBENCH_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("scripts/demo.sh runs");
    let said = read_lines(child.stdout.take().unwrap(), 8, "the demo's environment");
    let _script = DemoScript(child);
    assert_eq!(said.last().map(String::as_str), Some("ready"), "{said:?}");
    let env: BTreeMap<&str, String> = said
        .iter()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    let data = std::path::PathBuf::from(&env["STAGEBENCH_DATA_DIR"]);
    assert!(
        data.starts_with(tmp.path()),
        "a demo folder of its own: {data:?}"
    );
    let app_env: Vec<(&str, String)> = env
        .iter()
        .filter(|(k, _)| !["STAGEBENCH_DATA_DIR", "ANDROID_ADB_SERVER_PORT"].contains(k))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    let (_driver, port) = start_driver(&data, adb.port(), &app_env).await;
    let client = connect(port).await;

    // The demo panel lists the eight devices; the bench shows those adb can read.
    let rows = wait_for(&client, "the demo panel's eight devices", || {
        count_of(&client, "#demo-devices tbody tr", 8)
    })
    .await;
    let mut serials = Vec::new();
    for r in &rows {
        serials.push(r.attr("data-serial").await.unwrap().unwrap_or_default());
    }
    let serial = |n: u32| serials[n as usize - 1].clone();
    for n in [1, 2, 3, 4, 6, 8] {
        card_shown(&client, &serial(n)).await;
    }
    assert!(
        serials_shown(&client).await.iter().all(|s| *s != serial(7)),
        "USB debugging off"
    );
    let summary = text_at(&client, "#demo-panel summary").await.unwrap();
    assert_eq!(summary, "Demo bench — 8 simulated devices");
    screenshot(&client, "demo-start.png").await;

    // Allow the prompt on device 5; turn on USB debugging on device 7 and allow it too.
    control(&client, 5, "allow", None).await;
    control(&client, 7, "advance", None).await;
    control(&client, 7, "allow", None).await;
    for n in [5, 7] {
        card_shown(&client, &serial(n)).await;
    }

    // Device 1 is stuck before the QR, so it stays at Scanning; the others move on.
    control(&client, 1, "fail", Some("stuck")).await;
    click(&client, "#nav-profiles").await;
    let staging = "#profile-list li.profile[data-name='Bench – fully managed (staging)']";
    wait_for(&client, "the staging profile", || text_at(&client, staging)).await;
    click(&client, &format!("{staging} .profile-show-qr")).await;
    wait_for(&client, "the profile's QR", || {
        present(&client, "#profile-qr-canvas")
    })
    .await;
    click(&client, "#profile-qr-back").await;
    click(&client, "#nav-bench").await;
    stage(&client, &serial(1), "Scanning").await;
    screenshot(&client, "demo-scanning.png").await;

    // Device 2 enrolls: Enrolling, with the Powered off button; stuck there, it waits for us.
    stage(&client, &serial(2), "Enrolling").await;
    phase(&client, 2, "setup-done").await;
    control(&client, 2, "fail", Some("stuck")).await;
    let action = format!(
        "{} .stage-action[data-action='powered-off']",
        card(&serial(2))
    );
    wait_for(&client, "the Powered off button", || {
        text_at(&client, &action)
    })
    .await;
    screenshot(&client, "demo-enrolling.png").await;
    click(&client, &action).await;
    stage(&client, &serial(2), "Bench done").await;
    screenshot(&client, "demo-bench-done.png").await;

    // Let go, it powers off (leaves adb); powered on again, its card follows Intune.
    control(&client, 2, "advance", None).await;
    control(&client, 2, "power-on", None).await;
    stage(&client, &serial(2), "In Intune").await;
    screenshot(&client, "demo-in-intune.png").await;
    stage(&client, &serial(2), "User signed in").await;
    screenshot(&client, "demo-user-signed-in.png").await;

    // A restart while enrolling is a problem on the card; unplug and plug from the panel.
    stage(&client, &serial(3), "Enrolling").await;
    control(&client, 3, "fail", Some("reboot")).await;
    let restart = format!(
        "{} .stage-problem[data-id='reboot-during-enrollment']",
        card(&serial(3))
    );
    let problem = wait_for(&client, "the restart on device 3's card", || {
        text_at(&client, &restart)
    })
    .await;
    assert!(problem.contains("boot count went up"), "{problem}");
    control(&client, 4, "unplug", None).await;
    let plug = format!("{} .demo-act[data-action='plug']", row(4));
    wait_for(&client, "device 4 unplugged", || present(&client, &plug)).await;
    control(&client, 4, "plug", None).await;
    card_shown(&client, &serial(4)).await;
    screenshot(&client, "demo-end.png").await;

    // The README's picture (docs/demo-bench.png): the panel folded, that card among the others.
    click(&client, "#demo-panel summary").await;
    let centre = format!(
        "document.querySelector(\"{}\").scrollIntoView({{block: 'center'}})",
        card(&serial(2))
    );
    client.execute(&centre, Vec::new()).await.unwrap();
    screenshot(&client, "demo-bench.png").await;
    client.close().await.unwrap();
}
