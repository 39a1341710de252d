//! The one-command demo, end to end: `scripts/demo.sh --prepare-only` does what `make demo` does
//! before it opens the window (a fresh demo folder, the simulator with its fake tenant, the bench
//! signed in, the demo batch active) against the test's adb server, then the real app runs under
//! Xvfb over WebDriver with the environment the script printed. The demo panel lists the eight
//! simulated devices and drives them (allow, USB debugging on, stick, restart, advance, power on,
//! unplug and plug), and the bench's own stages appear on cards: Scanning once the profile's QR
//! is shown, Enrolling with its Powered off button, Bench done after the click, then — powered on
//! again — In Intune and User signed in as the fake tenant enrolls the device and its user signs
//! in. A second run is a technician's batch of ten plain devices: one QR, ten Powered off, their
//! labels printed, all ten at User signed in (stage 3), and a signed report that verifies.
//! Screenshots land in artifacts/e2e/ (demo-*.png, ten-*.png); the README shows demo-bench.png
//! (copied to docs/).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::Client;
use stagebench_e2e::bench_view::{batch_on_card, card, on_card, serials_shown};
use stagebench_e2e::webdriver::{
    attr_is, click, connect, count_of, present, screenshot, start_driver, text_at, text_matching,
    text_of, wait_for,
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

/// The demo bench `scripts/demo.sh --prepare-only` made (what `make demo` does before the
/// window opens), stopped when dropped.
struct Demo {
    _script: DemoScript,
    /// The test's adb server the demo's devices are attached to.
    adb: stagebench_core::testing::RealAdbServer,
    _tmp: tempfile::TempDir,
    /// The demo's data folder.
    data: PathBuf,
    /// The environment the script printed for the app.
    env: BTreeMap<String, String>,
}

impl Demo {
    /// Runs the script against an adb server of its own, with its folder in a temporary one,
    /// the app's Intune sync every second and the demo's `knobs` (`STAGEBENCH_DEMO_*`).
    async fn start(knobs: &[(&str, &str)]) -> Demo {
        let adb = stagebench_core::testing::RealAdbServer::start()
            .await
            .expect("real adb server");
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path();
        let adb_port = adb.port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.sh");
        let mut child = Command::new(script)
            .args([
                "--prepare-only",
                built_binary("stagebench").to_str().unwrap(),
            ])
            .env("TMPDIR", tmp)
            .env("STAGEBENCH_DEMO_ADB_PORT", adb_port.to_string())
            .env("STAGEBENCH_SYNC_SECONDS", "1")
            .envs(knobs.iter().copied())
            .env_remove("STAGEBENCH_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("scripts/demo.sh runs");
        let said = read_lines(child.stdout.take().unwrap(), 8, "the demo's environment");
        let script = DemoScript(child);
        assert_eq!(said.last().map(String::as_str), Some("ready"), "{said:?}");
        let env: BTreeMap<String, String> = said
            .iter()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let data = PathBuf::from(&env["STAGEBENCH_DATA_DIR"]);
        assert!(data.starts_with(tmp), "a demo folder of its own: {data:?}");
        Demo {
            _script: script,
            adb,
            _tmp: dir,
            data,
            env,
        }
    }

    /// The app's environment: what the script printed (but the data folder and the adb server,
    /// which the driver sets), and `more`.
    fn app_env<'a>(&'a self, more: &[(&'a str, String)]) -> Vec<(&'a str, String)> {
        self.env
            .iter()
            .filter(|(k, _)| {
                !["STAGEBENCH_DATA_DIR", "ANDROID_ADB_SERVER_PORT"].contains(&k.as_str())
            })
            .map(|(k, v)| (k.as_str(), v.clone()))
            .chain(more.iter().cloned())
            .collect()
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

/// Shows the demo batch's profile's QR on the Profiles screen (the devices in the batch see it
/// and start), then goes back to the Bench.
async fn show_the_staging_qr(client: &Client) {
    click(client, "#nav-profiles").await;
    let staging = "#profile-list li.profile[data-name='Bench – fully managed (staging)']";
    wait_for(client, "the staging profile", || text_at(client, staging)).await;
    click(client, &format!("{staging} .profile-show-qr")).await;
    wait_for(client, "the profile's QR", || {
        present(client, "#profile-qr-canvas")
    })
    .await;
    click(client, "#profile-qr-back").await;
    click(client, "#nav-bench").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_bench_shows_every_stage_on_a_card() {
    let demo = Demo::start(&[("STAGEBENCH_DEMO_STEP_MS", "1000")]).await;
    // Device 1 gets stuck before any QR (from the CLI, before the window opens: the Bench shows
    // the active batch's QR beside its grid as soon as it opens, and the devices start then).
    let stuck = Command::new(built_binary("stagebench"))
        .args(["simulate", "control", "fail", "1", "--how", "stuck"])
        .env("STAGEBENCH_DATA_DIR", &demo.data)
        .output()
        .expect("stagebench simulate control runs");
    assert!(stuck.status.success(), "{stuck:?}");
    let (_driver, port) = start_driver(&demo.data, demo.adb.port(), &demo.app_env(&[])).await;
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

    // Device 1, stuck before the QR, stays at Scanning; the others move on.
    let first = row(1);
    wait_for(&client, "device 1 stuck in the panel", || {
        text_matching(&client, &first, |t| t.contains("stuck"))
    })
    .await;
    show_the_staging_qr(&client).await;
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

/// Waits until the Batches screen's row of `serial` is at `stage` (its `data-stage`).
async fn batch_row_at(client: &Client, serial: &str, stage: &str) {
    let row = format!("#batch-devices tr[data-serial='{serial}']");
    wait_for(
        client,
        &format!("{serial} at {stage} on the Batches screen"),
        || attr_is(client, &row, "data-stage", stage),
    )
    .await;
}

/// A day's batch on the simulated bench, as a technician works it: ten plain demo devices
/// (`STAGEBENCH_DEMO_PLAIN`: no quirks, no RealWear, so each reaches its user) join the active
/// demo batch; the batch's QR beside the Bench's grid is shown once and all ten enroll at the same time; each is
/// powered off from its card once at the sign-in screen and leaves a Powered off tile; their
/// labels print to a raw 9100 printer (a `FakeZebra`, as `app_labels.rs` uses) whose ZPL reads
/// back to the ten serials; the fake tenant enrolls them (stage 2) and their users sign in
/// (stage 3), which the tiles and the Batches screen show; the batch's report, exported by file
/// name, verifies and lists the ten at User signed in. Screenshots: artifacts/e2e/ten-*.png.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_devices_go_from_the_qr_through_powered_off_to_their_users_with_labels_and_a_report() {
    use stagebench_core::label::output::read_zpl;
    use stagebench_core::printer::fake::{FakeAnswer, FakeZebra};
    use stagebench_core::printer::status::HostStatusAnswer;
    use stagebench_core::stage::Stage;
    use stagebench_e2e::qr::decode_qr_bitmap;
    use stagebench_e2e::wait::PATIENCE;
    use stagebench_e2e::webdriver::{select, set_value, type_into};

    const TEN: usize = 10;
    let demo = Demo::start(&[
        ("STAGEBENCH_DEMO_DEVICES", "10"),
        ("STAGEBENCH_DEMO_PLAIN", "1"),
        ("STAGEBENCH_DEMO_STEP_MS", "1000"),
    ])
    .await;
    let exports = tempfile::tempdir().unwrap();
    let zebra = FakeZebra::start(FakeAnswer::Status(HostStatusAnswer::READY)).unwrap();
    let env = demo.app_env(&[(
        "STAGEBENCH_EXPORT_DIR",
        exports.path().display().to_string(),
    )]);
    let (_driver, port) = start_driver(&demo.data, demo.adb.port(), &env).await;
    let client = connect(port).await;

    // Ten cards, each in the active demo batch.
    let rows = wait_for(&client, "the demo panel's ten devices", || {
        count_of(&client, "#demo-devices tbody tr", TEN)
    })
    .await;
    let mut serials = Vec::new();
    for r in &rows {
        serials.push(r.attr("data-serial").await.unwrap().unwrap_or_default());
    }
    for serial in &serials {
        wait_for(
            &client,
            &format!("{serial}'s card in the demo batch"),
            || async {
                match batch_on_card(&client, serial).await {
                    Some(batch) if batch == "Demo bench" => Ok(()),
                    other => Err(format!("{serial}'s card names batch {other:?}")),
                }
            },
        )
        .await;
    }
    screenshot(&client, "ten-bench.png").await;

    // One QR for the batch, beside the grid: all ten enroll at once; each at the sign-in screen
    // is powered off from its card, and leaves a tile that says so.
    let beside = wait_for(&client, "the batch's QR beside the grid", || {
        text_at(&client, "#bench-qr-batch")
    })
    .await;
    assert!(beside.contains("Demo bench"), "{beside}");
    for (n, serial) in (1..).zip(&serials) {
        phase(&client, n, "setup-done").await;
        stage(&client, serial, "Enrolling").await;
    }
    screenshot(&client, "ten-enrolling.png").await;
    for serial in &serials {
        click(
            &client,
            &format!("{} .stage-action[data-action='powered-off']", card(serial)),
        )
        .await;
    }
    for serial in &serials {
        let tile = format!("#device-cards li.tile[data-serial='{serial}'] .tile-label");
        wait_for(&client, &format!("{serial}'s Powered off tile"), || async {
            match text_matching(&client, &tile, |t| t.contains("powered off")).await {
                Ok(said) => Ok(said),
                // Still a live card (adb still lists it, offline say)? Say what it shows.
                Err(no) => Err(format!(
                    "{no}; its live card says {:?}",
                    text_of(&client, &card(serial)).await
                )),
            }
        })
        .await;
    }
    screenshot(&client, "ten-powered-off.png").await;

    // Their labels, while Intune takes over: the batch's ten to the raw printer.
    click(&client, "#nav-labels").await;
    click(&client, "#label-source-batch").await;
    select(&client, "#label-template", "device-2x1in").await;
    type_into(&client, "#printer-add-name", "zebra").await;
    select(&client, "#printer-add-kind", "raw").await;
    type_into(
        &client,
        "#printer-add-address",
        &format!("127.0.0.1:{}", zebra.port()),
    )
    .await;
    select(&client, "#printer-add-dpi", "203").await;
    click(&client, "#printer-add-go").await;
    select(&client, "#label-printer", "zebra").await;
    click(&client, "#label-print").await;
    let queued = wait_for(&client, "the labels queued", || {
        text_at(&client, "#label-print-result")
    })
    .await;
    assert!(queued.contains("10 label(s)"), "{queued}");
    wait_for(&client, "the labels printed", || {
        text_at(&client, "#print-queue li[data-state='done']")
    })
    .await;
    screenshot(&client, "ten-labels-printed.png").await;
    let jobs = zebra.wait_for_jobs(1, PATIENCE);
    let labels = read_zpl(std::str::from_utf8(&jobs[0]).expect("ZPL is text")).unwrap();
    let mut printed: Vec<String> = labels
        .iter()
        .flat_map(|l| decode_qr_bitmap(&l.raster))
        .collect();
    printed.sort();
    let mut expected = serials.clone();
    expected.sort();
    assert_eq!(
        printed, expected,
        "one label per device, its serial in the QR"
    );

    // Stage 2, then 3: the tiles and the Batches screen follow Intune.
    click(&client, "#nav-bench").await;
    for serial in &serials {
        let next = format!("#device-cards li.tile[data-serial='{serial}'] .tile-next");
        wait_for(&client, &format!("{serial}'s user signed in"), || {
            text_matching(&client, &next, |t| t.contains("the user has signed in"))
        })
        .await;
    }
    screenshot(&client, "ten-users-signed-in.png").await;
    click(&client, "#nav-batches").await;
    click(&client, "#batch-list .batch-item[data-name='Demo bench']").await;
    for serial in &serials {
        batch_row_at(&client, serial, "user-signed-in").await;
    }
    let signed_in = "#batch-counts li[data-stage='user-signed-in'] .stage-count";
    wait_for(&client, "ten at User signed in", || {
        text_matching(&client, signed_in, |t| t == "10")
    })
    .await;
    screenshot(&client, "ten-batch.png").await;

    // The signed report: exported by file name, it verifies and has the ten at stage 3.
    click(&client, "#batch-export-report").await;
    set_value(&client, "#report-export-file", "ten.stagebench-report").await;
    click(&client, "#report-export-go").await;
    wait_for(&client, "the report written", || {
        text_at(&client, "#report-export-result")
    })
    .await;
    screenshot(&client, "ten-report.png").await;
    let written = std::fs::read(exports.path().join("ten.stagebench-report")).unwrap();
    let verified =
        stagebench_core::batch::report::verify(&written).expect("the app's report verifies");
    assert_eq!(
        text_of(&client, "#report-export-fingerprint")
            .await
            .as_deref(),
        Some(verified.signer.fingerprint.as_str())
    );
    let mut staged: Vec<(String, Stage)> = verified
        .report
        .devices
        .iter()
        .map(|d| {
            let serial = d.serials.iter().find(|s| expected.contains(&s.value));
            (serial.map(|s| s.value.clone()).unwrap_or_default(), d.stage)
        })
        .collect();
    staged.sort();
    let want: Vec<(String, Stage)> = expected
        .iter()
        .map(|s| (s.clone(), Stage::UserSignedIn))
        .collect();
    assert_eq!(staged, want);
    client.close().await.unwrap();
}
