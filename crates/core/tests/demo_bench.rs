//! The demo bench (`testing::demo`): devices of varied makers with fresh serials each run (the
//! same for a seed), that move only when the bench shows the QR of their batch, whose ADB
//! evidence goes through provisioning, device owner and setup done, that power off when the
//! technician records it, and only then enroll in the fake tenant (`Staging_<serial>_…`) and get
//! a user; and the controls (plug, unplug, allow, advance, fail) through the control file and
//! endpoint the app and the CLI use.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use stagebench_adb::auth::AdbKey;
use stagebench_adb::host::{AdbDevice, ConnectOptions};
use stagebench_core::batch::BatchStore;
use stagebench_core::demo::{
    ControlFile, DemoAction, DemoControl, DemoDevice, DemoError, DemoFailure, DemoPhase,
    CONTROL_FILE,
};
use stagebench_core::device::evidence::{parse_evidence, StageEvidence, EVIDENCE_COMMAND};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::store::{JoinedBy, Sighting, Store, EVENT_POWERED_OFF, FILE_NAME};
use stagebench_core::testing::demo::{DemoBench, DemoOptions, END_USER, PLACEHOLDER_SERIAL};
use stagebench_core::testing::graph::FakeGraph;

/// The longest any wait here may take (a loaded machine); a healthy run is far below.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `look` gives `Some`, or panics with `what` and the last thing seen.
async fn until<T, F, Fut>(what: &str, mut look: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match look().await {
            Ok(value) => return value,
            Err(seen) if started.elapsed() > PATIENCE => {
                panic!("gave up waiting for {what} after {PATIENCE:?}; last saw: {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn options(data: Option<&std::path::Path>) -> DemoOptions {
    DemoOptions {
        step: Duration::from_millis(150),
        data_dir: data.map(std::path::Path::to_path_buf),
        ..DemoOptions::default()
    }
}

fn device(devices: &[DemoDevice], number: u32) -> DemoDevice {
    devices.iter().find(|d| d.number == number).unwrap().clone()
}

/// Reads the stage evidence of the device at `addr` over the wire, as a host would.
async fn evidence_of(addr: &str) -> Result<StageEvidence, String> {
    let key = AdbKey::generate().map_err(|e| e.to_string())?;
    let options = ConnectOptions::default().auth_prompt_timeout(Duration::from_secs(2));
    let device = AdbDevice::connect_tcp(addr.parse().unwrap(), &key, options)
        .await
        .map_err(|e| e.to_string())?;
    let out = device
        .shell(EVIDENCE_COMMAND)
        .await
        .map_err(|e| e.to_string())?;
    Ok(parse_evidence(&String::from_utf8_lossy(&out.stdout)))
}

/// Waits until the devices looked at the bench for three of their steps' time more.
async fn three_steps_of_looks(bench: &DemoBench) {
    let started = Instant::now();
    let from = bench.looks();
    until("three steps of looks", || async {
        let looks = bench.looks() - from;
        (looks >= 3 && started.elapsed() >= bench.step() * 3)
            .then_some(())
            .ok_or(format!("{looks} looks"))
    })
    .await;
}

async fn reachable(addr: &str) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_ok()
}

#[tokio::test]
async fn eight_makers_quirks_and_fresh_serials_each_run() {
    let serials =
        |devices: Vec<DemoDevice>| devices.into_iter().map(|d| d.serial).collect::<Vec<_>>();
    let first = DemoBench::start(options(None), None).await.unwrap();
    let devices = first.devices().await;
    assert_eq!(devices.len(), 8);
    for maker in ["samsung", "Zebra", "Google", "RealWear", "LENOVO"] {
        assert!(
            devices.iter().any(|d| d.manufacturer.starts_with(maker)),
            "{maker}: {devices:?}"
        );
    }
    let placeholder: Vec<_> = devices
        .iter()
        .filter(|d| d.serial == PLACEHOLDER_SERIAL)
        .collect();
    assert_eq!(placeholder.len(), 1, "{devices:?}");
    let asking: Vec<_> = devices.iter().filter(|d| d.awaiting_allow).collect();
    assert_eq!(asking.len(), 1, "one waits for Allow: {devices:?}");
    assert!(asking[0].actions.contains(&DemoAction::Allow));
    let off: Vec<_> = devices
        .iter()
        .filter(|d| d.phase == DemoPhase::UsbDebuggingOff)
        .collect();
    assert_eq!(off.len(), 1, "{devices:?}");
    assert!(!off[0].on_adb && off[0].plugged && !reachable(&off[0].addr).await);
    assert!(devices
        .iter()
        .filter(|d| d.phase == DemoPhase::Fresh)
        .all(|d| d.on_adb));

    let second = DemoBench::start(options(None), None).await.unwrap();
    let (a, b) = (
        serials(first.devices().await),
        serials(second.devices().await),
    );
    let fresh: Vec<_> = a
        .iter()
        .filter(|s| *s != PLACEHOLDER_SERIAL && b.contains(s))
        .collect();
    assert!(
        fresh.is_empty(),
        "a second run reuses serials {fresh:?}: {a:?} / {b:?}"
    );
    let seeded = |seed| DemoOptions {
        seed: Some(seed),
        ..options(None)
    };
    let (c, d) = (
        DemoBench::start(seeded(7), None).await.unwrap(),
        DemoBench::start(seeded(7), None).await.unwrap(),
    );
    assert_eq!(
        serials(c.devices().await),
        serials(d.devices().await),
        "a seed repeats them"
    );
}

/// A plain bench (the ten-device end-to-end run): every device a staging-token one that reaches
/// its user — no placeholder serial, no prompt, no USB debugging off, no RealWear headset
/// (AOSP userless) — still of several makers, each serial its own.
#[tokio::test]
async fn a_plain_bench_has_only_devices_that_reach_their_user() {
    let bench = DemoBench::start(
        DemoOptions {
            devices: 10,
            plain: true,
            ..options(None)
        },
        None,
    )
    .await
    .unwrap();
    let devices = bench.devices().await;
    assert_eq!(devices.len(), 10);
    for d in &devices {
        assert!(
            d.phase == DemoPhase::Fresh && d.on_adb && !d.awaiting_allow,
            "{d:?}"
        );
        assert!(!d.manufacturer.starts_with("RealWear"), "{d:?}");
        assert_ne!(d.serial, PLACEHOLDER_SERIAL, "{d:?}");
    }
    let makers: std::collections::BTreeSet<_> =
        devices.iter().map(|d| d.manufacturer.as_str()).collect();
    assert!(makers.len() >= 4, "{makers:?}");
    let serials: std::collections::BTreeSet<_> = devices.iter().map(|d| &d.serial).collect();
    assert_eq!(serials.len(), 10, "{devices:?}");
}

/// The story of one device: nothing moves before its batch's QR is shown; then its evidence
/// moves (Enrolling on the bench) and it waits at setup done, not in Intune; the technician's
/// Powered off takes it off adb, and only then does the tenant enroll it as Staging_<serial>_…
/// and give it a user. A device in no batch stays fresh all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_moves_a_device_and_powered_off_comes_before_intune() {
    let data = tempfile::tempdir().unwrap();
    let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
    let fake = Arc::new(FakeGraph::start().await.unwrap());
    fake.seed_demo();
    let bench = DemoBench::start(options(Some(data.path())), Some(fake.clone()))
        .await
        .unwrap();
    let devices = bench.devices().await;
    let (samsung, zebra) = (device(&devices, 1), device(&devices, 2));
    assert_eq!(samsung.manufacturer, "samsung");

    // The bench has read both; only the Samsung is in the batch.
    let mut ids = Vec::new();
    for d in [&samsung, &zebra] {
        let sighting = Sighting::new([SerialObservation::new(SerialSource::RoSerialno, &d.serial)])
            .at_slot(d.addr.clone());
        ids.push(store.record_sighting(&sighting).unwrap());
    }
    let batch = support::batch::staging_batch("Demo wave");
    store.create_batch(&batch).unwrap();
    store
        .add_to_batch(&batch.id, ids[0], JoinedBy::ActiveBatch)
        .unwrap();
    let fresh = evidence_of(&samsung.addr).await.unwrap();
    assert_eq!(fresh.device_provisioned, Some(false));
    assert!(!fresh.owned_by_intune());
    // The clock is not what holds it: three steps of looks later it is still fresh.
    three_steps_of_looks(&bench).await;
    assert_eq!(
        device(&bench.devices().await, 1).phase,
        DemoPhase::Fresh,
        "no QR, no move"
    );

    store.record_qr_shown(&batch.id, "tech").unwrap();
    until("the Samsung at setup done", || async {
        let d = device(&bench.devices().await, 1);
        (d.phase == DemoPhase::SetupDone)
            .then_some(())
            .ok_or(format!("{:?}: {}", d.phase, d.doing))
    })
    .await;
    let enrolled = until("the enrolled evidence over adb", || {
        evidence_of(&samsung.addr)
    })
    .await;
    assert_eq!(enrolled.device_provisioned, Some(true));
    assert_eq!(enrolled.user_setup_complete, Some(true));
    assert!(enrolled.owned_by_intune(), "{enrolled:?}");
    assert_eq!(
        device(&bench.devices().await, 2).phase,
        DemoPhase::Fresh,
        "not in the batch"
    );
    // At setup done and for steps after, Intune does not have it: the bench is not done.
    three_steps_of_looks(&bench).await;
    fake.advance_lifecycles();
    assert_eq!(
        fake.scheduled_device_id(&samsung.serial),
        None,
        "enrolled in Intune before Powered off"
    );

    // A stuck device ignores the bench, Powered off too, until advanced.
    bench
        .act(1, DemoAction::Fail, Some(DemoFailure::Stuck))
        .await
        .unwrap();
    store
        .record_action(ids[0], EVENT_POWERED_OFF, "tech")
        .unwrap();
    three_steps_of_looks(&bench).await;
    let held = device(&bench.devices().await, 1);
    assert!(
        held.phase == DemoPhase::SetupDone && held.on_adb,
        "{held:?}"
    );
    bench.act(1, DemoAction::Advance, None).await.unwrap();
    let off = until("the Samsung powered off", || async {
        let d = device(&bench.devices().await, 1);
        (d.phase >= DemoPhase::PoweredOff)
            .then_some(d.clone())
            .ok_or(format!("{:?}", d.phase))
    })
    .await;
    assert!(!off.on_adb && !reachable(&samsung.addr).await, "off adb");
    let id = until("Intune to show the Samsung", || async {
        fake.advance_lifecycles();
        fake.scheduled_device_id(&samsung.serial)
            .ok_or_else(|| "not yet".to_owned())
    })
    .await;
    let name = fake.device(&id).unwrap()["deviceName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        name.starts_with(&format!("Staging_{}_AndroidEnterprise_", samsung.serial)),
        "{name}"
    );
    until("its user", || async {
        let d = device(&bench.devices().await, 1);
        (d.phase == DemoPhase::UserSignedIn)
            .then_some(())
            .ok_or(format!("{:?}", d.phase))
    })
    .await;
    let user = fake.primary_user(&id).unwrap();
    let upn = fake.device(&id).unwrap()["userPrincipalName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(upn, END_USER, "user {user}");
    assert!(
        !device(&bench.devices().await, 1)
            .actions
            .contains(&DemoAction::Advance),
        "done"
    );
}

/// The controls, through the control file and endpoint as the CLI and the app use them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controls_plug_unplug_allow_advance_and_fail() {
    let data = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeGraph::start().await.unwrap());
    let slow = DemoOptions {
        step: Duration::from_secs(3600),
        ..options(Some(data.path()))
    };
    let bench = DemoBench::start(slow, Some(fake.clone())).await.unwrap();
    let file = data.path().join(CONTROL_FILE);
    assert_eq!(bench.control_file(), Some(file.as_path()));
    assert!(stagebench_files::looseness(&file).is_none(), "owner-only");
    let control = DemoControl::find(data.path())
        .unwrap()
        .expect("the control file");
    assert!(control.addr().ip().is_loopback());
    assert_eq!(
        control.env()["STAGEBENCH_GRAPH_URL"],
        fake.base_url(),
        "the tenant's env"
    );
    let devices = control.list().await.unwrap();
    assert_eq!(devices, bench.devices().await);
    let number =
        |pick: &dyn Fn(&DemoDevice) -> bool| devices.iter().find(|d| pick(d)).unwrap().number;

    // Unplug and plug: the device leaves adb and comes back on its address.
    let one = device(&devices, 1);
    assert_eq!(
        one.failures,
        [DemoFailure::Reboot, DemoFailure::Stuck],
        "{one:?}"
    );
    let after = control.act(1, DemoAction::Unplug, None).await.unwrap();
    assert!(!device(&after, 1).plugged && !device(&after, 1).on_adb);
    assert!(!reachable(&one.addr).await);
    assert!(device(&after, 1).actions.contains(&DemoAction::Plug));
    let again = control.act(1, DemoAction::Unplug, None).await.unwrap_err();
    assert!(again.to_string().contains("already unplugged"), "{again}");
    let after = control.act(1, DemoAction::Plug, None).await.unwrap();
    assert!(device(&after, 1).on_adb);
    evidence_of(&one.addr).await.unwrap();

    // Allow: a host's key is refused until the prompt is tapped.
    let asking = number(&|d| d.awaiting_allow);
    let addr = device(&devices, asking).addr;
    assert!(
        evidence_of(&addr).await.is_err(),
        "unauthorized before Allow"
    );
    let after = control.act(asking, DemoAction::Allow, None).await.unwrap();
    assert!(!device(&after, asking).awaiting_allow);
    until("the allowed device to answer", || evidence_of(&addr)).await;

    // Advance: USB debugging on (then it asks to allow); fresh → provisioning → device owner.
    let off = number(&|d| d.phase == DemoPhase::UsbDebuggingOff);
    let after = control.act(off, DemoAction::Advance, None).await.unwrap();
    let on = device(&after, off);
    assert!(
        on.on_adb && on.awaiting_allow && on.phase == DemoPhase::Fresh,
        "{on:?}"
    );
    assert!(reachable(&on.addr).await);
    control.act(1, DemoAction::Advance, None).await.unwrap();
    let after = control.act(1, DemoAction::Advance, None).await.unwrap();
    assert_eq!(device(&after, 1).phase, DemoPhase::DeviceOwner);
    let owner = until("the device owner's evidence", || async {
        let e = evidence_of(&one.addr).await?;
        e.owned_by_intune()
            .then_some(e.clone())
            .ok_or(format!("{e:?}"))
    })
    .await;

    // Fail: a restart during enrollment raises the boot count; stuck holds it until advanced.
    let after = control.act(1, DemoAction::Fail, None).await.unwrap();
    assert_eq!(device(&after, 1).phase, DemoPhase::DeviceOwner);
    let rebooted = until("the boot count up", || async {
        let e = evidence_of(&one.addr).await?;
        (e.boot_count > owner.boot_count)
            .then_some(e.clone())
            .ok_or(format!("{e:?}"))
    })
    .await;
    assert_eq!(rebooted.boot_count, owner.boot_count.map(|b| b + 1));
    let after = control
        .act(2, DemoAction::Fail, Some(DemoFailure::Stuck))
        .await
        .unwrap();
    assert!(device(&after, 2).stuck && device(&after, 2).doing.contains("stuck"));
    let after = control.act(2, DemoAction::Advance, None).await.unwrap();
    assert!(!device(&after, 2).stuck);
    assert_eq!(device(&after, 2).phase, DemoPhase::Provisioning);

    // Advance through the tenant: setup done, powered off, in Intune, the user.
    for _ in 0..4 {
        control.act(1, DemoAction::Advance, None).await.unwrap();
    }
    let done = device(&control.list().await.unwrap(), 1);
    assert_eq!(done.phase, DemoPhase::UserSignedIn, "{done:?}");
    let refused = control.act(1, DemoAction::Advance, None).await.unwrap_err();
    assert!(
        refused.to_string().contains("its user has signed in"),
        "{refused}"
    );
    // Powered off, it is off adb until powered on: then back, one boot more.
    assert!(!done.powered && !done.on_adb && done.actions.contains(&DemoAction::PowerOn));
    let on = device(&control.act(1, DemoAction::PowerOn, None).await.unwrap(), 1);
    assert!(on.powered && on.on_adb, "{on:?}");
    let booted = until("the device back on adb", || evidence_of(&one.addr)).await;
    assert_eq!(booted.boot_count, rebooted.boot_count.map(|b| b + 1));
    assert!(booted.owned_by_intune() && booted.user_setup_complete == Some(true));
    let refused = control.act(99, DemoAction::Plug, None).await.unwrap_err();
    assert!(
        matches!(refused, DemoError::Refused(ref m) if m.contains("devices 1 to 8")),
        "{refused}"
    );

    // A wrong token is refused; the file leaves with the bench.
    let mut contents: ControlFile = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    contents.token = "0".repeat(contents.token.len());
    let forged = serde_json::to_string(&contents).unwrap();
    stagebench_files::write_private(&file, forged.as_bytes()).unwrap();
    let refused = DemoControl::find(data.path())
        .unwrap()
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("wrong token"), "{refused}");
    drop(bench);
    assert!(!file.exists() || std::fs::read_to_string(&file).unwrap() == forged);
}
