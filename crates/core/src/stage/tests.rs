//! Each flow walked through its stages, the problems raised, and order-independence.

use super::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn t(min: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::minutes(min)
}

fn at(min: i64, what: Observation) -> Observed {
    Observed { at: t(min), what }
}

fn adb(boot: u32) -> Observation {
    Observation::Adb {
        provisioned: true,
        intune_owner: true,
        boot_count: Some(boot),
    }
}

#[test]
fn a_staging_device_walks_through_every_stage_with_the_right_instruction() {
    let mut seen = vec![];
    let mut check = |o: Observed, stage: Stage, words: &str| {
        seen.push(o);
        let s = derive(Flow::StagingToken, &seen, t(10_000));
        assert_eq!(s.stage, stage, "{seen:?}");
        assert!(s.instruction.contains(words), "{}", s.instruction);
    };
    check(
        at(0, Observation::QrShown),
        Stage::Scanning,
        "Scan the QR now",
    );
    check(
        at(5, adb(3)),
        Stage::Enrolling,
        "stop at the sign-in screen. Do not sign in. Power off.",
    );
    check(
        at(20, Observation::PoweredOff),
        Stage::BenchDone,
        "waiting for Intune",
    );
    check(
        at(30, Observation::IntuneEnrolled),
        Stage::InIntune,
        "Ready to hand over",
    );
    check(
        at(900, Observation::IntuneUser),
        Stage::UserSignedIn,
        "Done",
    );
}

#[test]
fn problems_are_raised_reboot_missing_in_intune_and_leaving() {
    let obs = [
        at(0, Observation::QrShown),
        at(5, adb(3)),
        at(9, adb(4)),
        at(20, Observation::PoweredOff),
    ];
    let s = derive(Flow::StagingToken, &obs, t(20 + 26 * 60));
    let ids: Vec<&str> = s.problems.iter().map(|p| p.id).collect();
    assert_eq!(ids, ["reboot-during-enrollment", "not-in-intune"]);
    assert!(
        s.problems[1].message.starts_with("In stage 2 for 26 h"),
        "{}",
        s.problems[1].message
    );
    // Within a day, no "not in Intune"; a boot count that stayed put is no reboot.
    let calm = [
        at(0, Observation::QrShown),
        at(5, adb(3)),
        at(9, adb(3)),
        at(20, Observation::PoweredOff),
    ];
    assert!(derive(Flow::StagingToken, &calm, t(60)).problems.is_empty());
    let leaving = [
        at(0, Observation::IntuneEnrolled),
        at(5, Observation::IntuneLeaving),
    ];
    assert_eq!(
        derive(Flow::AospUserless, &leaving, t(10)).problems[0].id,
        "leaving-intune"
    );
    // Powered off before it ever enrolled is not "bench done".
    assert_eq!(
        derive(Flow::StagingToken, &[at(0, Observation::PoweredOff)], t(1)).stage,
        Stage::New
    );
}

#[test]
fn a_windows_dem_device_walks_from_serial_to_owner() {
    let mut seen = vec![];
    let mut check = |o: Observed, stage: Stage, words: &str| {
        seen.push(o);
        let s = derive(Flow::WindowsDem, &seen, t(10_000));
        assert_eq!(s.stage, stage, "{seen:?}");
        assert!(s.instruction.contains(words), "{}", s.instruction);
        // Only the reassignment is a step a front end takes for the technician.
        assert_eq!(
            s.remedy,
            (stage == Stage::UserSignedIn).then_some(Remedy::ReassignPrimaryUser),
            "{stage:?}"
        );
    };
    check(
        at(-5, Observation::QrShown),
        Stage::New,
        "Capture the serial",
    );
    check(
        at(0, Observation::SerialImported),
        Stage::Scanning,
        "sign in with the DEM account",
    );
    check(
        at(5, Observation::DemSignIn),
        Stage::Enrolling,
        "do not restart",
    );
    check(
        at(30, Observation::IntuneEnrolled),
        Stage::InIntune,
        "the user signs in normally",
    );
    check(
        at(60, Observation::UserLoggedOn),
        Stage::UserSignedIn,
        "reassign the primary user",
    );
    check(
        at(61, Observation::IntuneUser),
        Stage::OwnerAssigned,
        "primary user is the end user",
    );
}

#[test]
fn an_unusable_token_flags_only_devices_that_had_not_enrolled() {
    let expired = at(50, Observation::TokenUnusable { revoked: false });
    let waiting = derive(
        Flow::StagingToken,
        &[at(0, Observation::QrShown), expired.clone()],
        t(60),
    );
    assert_eq!(waiting.problems[0].id, "token-unusable");
    assert!(
        waiting.problems[0].message.contains("expired"),
        "{}",
        waiting.problems[0].message
    );
    let enrolled = derive(Flow::StagingToken, &[at(0, adb(2)), expired], t(60));
    assert!(enrolled.problems.is_empty(), "{:?}", enrolled.problems);
    let revoked = derive(
        Flow::AospUserless,
        &[at(9, Observation::TokenUnusable { revoked: true })],
        t(60),
    );
    assert!(revoked.problems[0].message.contains("revoked"));
}

/// Any order or duplication of the same observations gives the same state, and every
/// state has an instruction.
#[test]
fn order_and_duplicates_never_change_the_state() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let kinds = [
        Observation::QrShown,
        adb(1),
        adb(2),
        Observation::Adb {
            provisioned: false,
            intune_owner: false,
            boot_count: None,
        },
        Observation::PoweredOff,
        Observation::IntuneEnrolled,
        Observation::IntuneUser,
        Observation::IntuneLeaving,
        Observation::SerialImported,
        Observation::DemSignIn,
        Observation::UserLoggedOn,
        Observation::TokenUnusable { revoked: false },
        Observation::TokenUnusable { revoked: true },
        Observation::SerialsDisagree,
    ];
    let flows = Flow::ALL;
    for _ in 0..5_000 {
        let n = rng.gen_range(0..10);
        let mut obs: Vec<Observed> = (0..n)
            .map(|i| {
                at(
                    i * 10 + rng.gen_range(0..5),
                    kinds[rng.gen_range(0..kinds.len())].clone(),
                )
            })
            .collect();
        let flow = flows[rng.gen_range(0..flows.len())];
        let now = t(rng.gen_range(0..4_000));
        let want = derive(flow, &obs, now);
        assert!(!want.instruction.is_empty());
        // A valid state: one of the flow's stages (New…), reached only with evidence.
        assert!(
            flow.stages().contains(&want.stage)
                || (want.stage == Stage::BenchDone && flow != Flow::WindowsDem),
            "{flow:?} reached {:?}",
            want.stage
        );
        // Nothing lost: each problem-raising observation shows up as its problem.
        if obs.iter().any(|o| o.what == Observation::SerialsDisagree) {
            assert!(want.problems.iter().any(|p| p.id == "serial-identity"));
        }
        if obs.iter().any(|o| o.what == Observation::IntuneLeaving) {
            assert!(want.problems.iter().any(|p| p.id == "leaving-intune"));
        }
        // Shuffle and duplicate.
        let dups: Vec<Observed> = obs.iter().filter(|_| rng.gen_bool(0.3)).cloned().collect();
        obs.extend(dups);
        obs.shuffle(&mut rng);
        assert_eq!(derive(flow, &obs, now), want, "{flow:?} {obs:?}");
    }
}

/// Issue 15 §3: a device whose policy closes USB once Intune's agent owns it leaves the bench
/// without a Powered off; stage 2 then completes from Intune's evidence alone, the departure is a
/// note (not a problem), and a day without Intune is flagged from the departure.
#[test]
fn usb_closed_after_enrolling_waits_for_intune_alone_and_is_a_note() {
    let ids = |s: &DeviceStage| s.problems.iter().map(|p| p.id).collect::<Vec<_>>();
    let left = vec![
        at(0, Observation::QrShown),
        at(5, adb(3)),
        at(6, Observation::UsbLeft),
    ];
    let s = derive(Flow::StagingToken, &left, t(60));
    assert_eq!((s.stage, ids(&s)), (Stage::Enrolling, vec![USB_LEFT_NOTE]));
    assert!(
        s.problems[0]
            .message
            .starts_with("USB closed by policy (expected)")
            && s.problems[0].message.contains("Staging_<serial>_"),
        "{}",
        s.problems[0].message
    );
    // A day later Intune still does not show it: flagged, as for a powered-off device.
    let late = derive(Flow::StagingToken, &left, t(6 + 25 * 60));
    assert_eq!(ids(&late), vec![USB_LEFT_NOTE, "not-in-intune"]);
    // Intune shows it: stage 2 confirmed without any Powered off.
    let mut confirmed = left.clone();
    confirmed.push(at(40, Observation::IntuneEnrolled));
    let s = derive(Flow::StagingToken, &confirmed, t(6 + 25 * 60));
    assert_eq!((s.stage, ids(&s)), (Stage::InIntune, vec![USB_LEFT_NOTE]));
    // Powered off first: leaving USB was the step, no note.
    let powered = vec![
        at(0, Observation::QrShown),
        at(5, adb(3)),
        at(6, Observation::PoweredOff),
        at(7, Observation::UsbLeft),
    ];
    let s = derive(Flow::StagingToken, &powered, t(60));
    assert_eq!((s.stage, ids(&s)), (Stage::BenchDone, vec![]));
    // Back on ADB after leaving (a link that dropped while provisioning): no note.
    let back = vec![
        at(0, Observation::QrShown),
        at(5, adb(3)),
        at(6, Observation::UsbLeft),
        at(8, adb(3)),
    ];
    assert!(derive(Flow::StagingToken, &back, t(60)).problems.is_empty());
    // Leaving before enrolling is no policy's doing.
    let early = vec![at(0, Observation::QrShown), at(1, Observation::UsbLeft)];
    assert!(derive(Flow::StagingToken, &early, t(60))
        .problems
        .is_empty());
}
