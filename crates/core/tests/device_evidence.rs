//! The simulated bench read through Debian's real adb server: facts, stage evidence,
//! preflight problems and bench slot numbers per device, recorded in a store on disk, and the
//! two look-alike tablets (`1234567890ABCDEF`) told apart by their slots.
//!
//! Needs the `adb` package (`make test` installs it).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stagebench_core::device::evidence::{read_evidence, EVIDENCE_COMMAND};
use stagebench_core::device::{
    snapshot_server, AppVersion, BenchDevice, Finding, ReadOptions, Severity,
};
use stagebench_core::intune::profile::{EnrollmentMode, ProfileContext, TokenType};
use stagebench_core::store::Store;
use stagebench_core::testing::{simulated_device, RealAdbServer, SimulatedBench};

const PLACEHOLDER: &str = "1234567890ABCDEF";

fn rules(device: &BenchDevice) -> Vec<&'static str> {
    rules_of(&device.problems)
}

fn rules_of(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|p| p.rule).collect()
}

/// A real adb server with `count` simulated devices attached and online.
async fn attached_bench(count: usize) -> (RealAdbServer, SimulatedBench) {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(count, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(count, Duration::from_secs(120))
        .await
        .unwrap();
    (adb, bench)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simulated_bench_shows_evidence_problems_and_slots_through_the_real_adb_server() {
    // 15 devices: the catalog twice, so two look-alike tablets (positions 6 and 14).
    let (adb, bench) = attached_bench(15).await;

    let data = tempfile::tempdir().unwrap();
    let path = data.path().join("stagebench.sqlite3");
    let addrs: Vec<String> = bench.addrs().iter().map(ToString::to_string).collect();
    {
        // Set the bench up once: slot n+1 is the n-th device's address.
        let mut store = Store::open(&path).unwrap();
        for (i, addr) in addrs.iter().enumerate() {
            store
                .assign_slot(addr, u32::try_from(i).unwrap() + 1, None)
                .unwrap();
        }
    }
    let store = Arc::new(Mutex::new(Store::open(&path).unwrap()));

    let devices = snapshot_server(&adb.client(), Some(&store), ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(devices.len(), 15);
    let at = |i: usize| -> &BenchDevice {
        devices
            .iter()
            .find(|d| d.key == addrs[i])
            .unwrap_or_else(|| panic!("device {i} at {} listed", addrs[i]))
    };
    for (i, addr) in addrs.iter().enumerate() {
        let d = at(i);
        assert_eq!(d.slot.as_deref(), Some(addr.as_str()));
        assert_eq!(
            d.slot_number,
            Some(u32::try_from(i).unwrap() + 1),
            "device {i}"
        );
        assert_eq!(d.error, None, "device {i}");
        let evidence = d
            .evidence
            .as_ref()
            .unwrap_or_else(|| panic!("device {i} has evidence"));
        assert!(
            evidence.unread.is_empty(),
            "device {i}: {:?}",
            evidence.unread
        );
    }

    // A fresh Samsung: nothing in the way.
    let samsung = at(0);
    let e = samsung.evidence.as_ref().unwrap();
    assert_eq!(
        (e.device_provisioned, e.user_setup_complete, e.boot_count),
        (Some(false), Some(false), Some(2))
    );
    assert_eq!((&e.intune_app, &e.device_owner), (&None, &None));
    assert_eq!(samsung.problems, []);
    assert_eq!(samsung.next_step, None);

    // The Navigator 500 with Intune app 24.6.0: the AOSP blocker, and its next step shown.
    let navigator = at(2);
    let e = navigator.evidence.as_ref().unwrap();
    assert_eq!(
        e.intune_app.as_ref().map(AppVersion::as_str),
        Some("24.6.0")
    );
    assert_eq!(e.firmware.realwear.as_deref(), Some("Navigator 500"));
    assert_eq!(rules(navigator), ["intune-app-aosp"]);
    assert_eq!(navigator.problems[0].severity, Severity::Blocker);
    assert_eq!(
        navigator.next_step.as_deref(),
        Some(navigator.problems[0].next_step.as_str())
    );

    // The Pixel already enrolled by CloudDPC: no reset warning.
    let pixel = at(3);
    let e = pixel.evidence.as_ref().unwrap();
    assert!(e.owned_by_intune(), "{:?}", e.device_owner);
    assert_eq!(e.intune_app, AppVersion::parse("24.8.2"));
    assert_eq!(pixel.problems, []);

    // The HMT-1 on firmware 11.1.2: below 11.2.
    let hmt = at(5);
    assert_eq!(rules(hmt), ["realwear-firmware"]);
    assert!(
        hmt.next_step.as_deref().unwrap().contains("11.2"),
        "{:?}",
        hmt.next_step
    );

    // The moto set up by a previous user: a warning, so no blocking next step.
    let moto = at(7);
    assert_eq!(rules(moto), ["factory-reset"]);
    assert_eq!(moto.problems[0].severity, Severity::Warning);
    assert_eq!(moto.next_step, None);

    // With a profile chosen, the rules that need one join in.
    let aosp = ProfileContext::new(
        EnrollmentMode::CorporateOwnedAospUserlessDevice,
        TokenType::Default,
    );
    let cope_staging = ProfileContext::new(
        EnrollmentMode::CorporateOwnedWorkProfile,
        TokenType::DeviceStaging,
    );
    assert_eq!(navigator.preflight_with(None), navigator.problems);
    assert_eq!(
        rules_of(&navigator.preflight_with(Some(aosp))),
        ["intune-app-aosp"]
    );
    assert_eq!(
        rules_of(&samsung.preflight_with(Some(cope_staging))),
        ["cope-qr-only"]
    );
    assert!(samsung.preflight_with(Some(aosp)).is_empty());
    let dedicated_staging = ProfileContext::new(
        EnrollmentMode::CorporateOwnedDedicatedDevice,
        TokenType::DeviceStaging,
    );
    assert_eq!(
        rules_of(&pixel.preflight_with(Some(dedicated_staging))),
        ["staging-token-mode"]
    );

    // The look-alike tablets: same placeholder serial, flagged, told apart by slot.
    let (left, right) = (at(6), at(14));
    for tablet in [left, right] {
        assert_eq!(tablet.serial.as_deref(), Some(PLACEHOLDER));
        assert_eq!(rules(tablet), ["serial-identity"]);
        // Said once, as the finding (with its next step), not again as a raw flag.
        assert!(tablet.flags.is_empty(), "{:?}", tablet.flags);
        assert!(tablet.problems[0].message.contains("1234567890ABCDEF"));
    }
    assert_eq!((left.slot_number, right.slot_number), (Some(7), Some(15)));

    // A second read records the same 15 physical devices, the two tablets included.
    let again = snapshot_server(&adb.client(), Some(&store), ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        again
            .iter()
            .map(|d| d.slot_number)
            .collect::<BTreeSet<_>>()
            .len(),
        15
    );
    let store = store.lock().unwrap();
    assert_eq!(store.devices().unwrap().len(), 15);
    let tablets = store.devices_with_serial(PLACEHOLDER).unwrap();
    assert_eq!(tablets.len(), 2, "two look-alike devices stay two devices");
    let slots: BTreeSet<Option<String>> = tablets
        .iter()
        .map(|id| store.device(*id).unwrap().unwrap().slot)
        .collect();
    assert_eq!(
        slots,
        BTreeSet::from([Some(addrs[6].clone()), Some(addrs[14].clone())])
    );

    // The seen event carries the evidence and the slot number.
    let events = store.events(Some(tablets[0]), 10).unwrap();
    let seen = events.iter().rev().find(|e| e.kind == "seen").unwrap();
    assert_eq!(seen.data["facts"]["evidence"]["device_provisioned"], false);
    assert!(seen.data["facts"]["slot_number"].is_u64(), "{}", seen.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_evidence_sends_the_one_command_the_simulated_device_answers() {
    let (adb, bench) = attached_bench(3).await;
    let navigator = bench.addrs()[2].to_string();
    let evidence = read_evidence(&adb.client(), &navigator).await.unwrap();
    let expected = stagebench_core::device::parse_evidence(
        &simulated_device(2).shell_answers[EVIDENCE_COMMAND].stdout,
    );
    assert_eq!(evidence, expected);
    assert_eq!(
        evidence.intune_app.as_ref().map(AppVersion::as_str),
        Some("24.6.0")
    );
}
