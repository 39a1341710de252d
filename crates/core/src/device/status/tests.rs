//! One status per card, whatever the parts say: each rule of `derive`, stage-aware findings and
//! duplicate serials.

use super::*;
use crate::device::{Finding, Severity, StageEvidence};
use crate::intune::status::IntuneStatus;
use crate::stage::{derive, Flow, Observation, Observed, Stage};

fn at(minute: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_735_689_600 + minute * 60).unwrap()
}

/// A staging-token device at `stage`, reached through the observations that lead there.
fn staged(stage: Stage) -> crate::stage::DeviceStage {
    let enrolled = Observation::Adb {
        provisioned: true,
        intune_owner: true,
        boot_count: Some(3),
    };
    let path = [
        (Stage::Scanning, Observation::QrShown),
        (Stage::Enrolling, enrolled),
        (Stage::BenchDone, Observation::PoweredOff),
        (Stage::InIntune, Observation::IntuneEnrolled),
        (Stage::UserSignedIn, Observation::IntuneUser),
    ];
    let observed: Vec<Observed> = path
        .into_iter()
        .enumerate()
        .take_while(|(_, (reached, _))| *reached <= stage)
        .map(|(i, (_, what))| Observed {
            at: at(i as i64),
            what,
        })
        .collect();
    let derived = derive(Flow::StagingToken, &observed, at(10));
    assert_eq!(derived.stage, stage);
    derived
}

fn finding(rule: &'static str, severity: Severity) -> Finding {
    Finding {
        rule,
        severity,
        message: format!("{rule} message"),
        next_step: format!("{rule} next step"),
    }
}

fn card(serial: &str) -> BenchDevice {
    BenchDevice {
        model: Some("SM-G991B".into()),
        ..BenchDevice::for_tests(serial, serial)
    }
}

fn intune(name: &str, upn: Option<&str>, enrolled: Option<&str>) -> IntuneStatus {
    IntuneStatus::derive(
        "md-1",
        name,
        "R5CR1",
        Some("androidEnterpriseFullyManaged"),
        Some("managed"),
        upn,
        None,
        enrolled,
        None,
    )
}

fn settled(mut cards: Vec<BenchDevice>) -> Vec<BenchDevice> {
    settle(&mut cards);
    cards
}

fn one(card: BenchDevice) -> BenchDevice {
    settled(vec![card]).remove(0)
}

#[test]
fn a_blocker_is_never_shown_beside_ready_to_hand_over() {
    // A device Intune confirmed: the pre-staging blocker (Android 8) is set aside, and the one
    // status is the stage's.
    let mut c = card("R5CR1");
    c.problems = vec![finding("android-8", Severity::Blocker)];
    c.stage = Some(staged(Stage::InIntune));
    c.intune = Some(intune("Staging_R5CR1_x", None, None));
    let c = one(c);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(
        (c.status.kind, c.status.word.as_str()),
        (StatusKind::Done, "Ready to hand over")
    );
    // A blocker that still matters (the AOSP Intune app) is the status itself.
    let mut c = card("R5CR1");
    c.problems = vec![finding("intune-app-aosp", Severity::Blocker)];
    c.stage = Some(staged(Stage::InIntune));
    c.intune = Some(intune("Staging_R5CR1_x", None, None));
    let c = one(c);
    assert_eq!(
        (c.status.kind, c.status.word.as_str()),
        (StatusKind::Problem, "Blocked")
    );
    assert_eq!(c.status.next_step, "intune-app-aosp next step");
}

#[test]
fn no_factory_reset_on_a_device_this_batch_enrolled_but_before_it_yes() {
    let mut c = card("R5CR1");
    c.problems = vec![
        finding("serial-identity", Severity::Warning),
        finding("factory-reset", Severity::Warning),
    ];
    c.stage = Some(staged(Stage::BenchDone));
    let done = one(c.clone());
    assert_eq!(
        done.problems.iter().map(|f| f.rule).collect::<Vec<_>>(),
        ["serial-identity"],
        "the reset finding is set aside past scanning"
    );
    assert_eq!(done.status.kind, StatusKind::Waiting);
    // Settled again at an earlier stage (another batch), the finding is back: nothing lost.
    let mut back = done.clone();
    back.stage = Some(staged(Stage::Scanning));
    let back = one(back);
    assert_eq!(
        back.problems.iter().map(|f| f.rule).collect::<Vec<_>>(),
        ["factory-reset", "serial-identity"]
    );
    assert_eq!(
        (back.status.kind, back.status.word.as_str()),
        (StatusKind::NeedsTechnician, "Reset first")
    );
}

#[test]
fn provisioned_no_beside_user_signed_in_is_a_disagreement() {
    let mut c = card("R5CR1");
    c.evidence = Some(StageEvidence {
        device_provisioned: Some(false),
        ..StageEvidence::default()
    });
    c.read_at = Some("2025-01-01T10:00:00.000Z".into());
    c.stage = Some(staged(Stage::UserSignedIn));
    c.intune = Some(intune(
        "ana_AndroidEnterprise_x",
        Some("ana@contoso.com"),
        Some("2025-01-01T09:00:00Z"),
    ));
    let c = one(c);
    assert_eq!(
        (c.status.kind, c.status.word.as_str()),
        (StatusKind::Disagree, "Device and Intune disagree")
    );
    assert!(
        c.status.next_step.contains("factory-reset"),
        "{}",
        c.status.next_step
    );
    // Read before Intune enrolled it: the evidence is stale, read it again.
    let mut stale = c.clone();
    stale.read_at = Some("2025-01-01T08:00:00.000Z".into());
    let stale = one(stale);
    assert_eq!(stale.status.word, "Read before enrolling");
    assert!(stale.status.next_step.contains("plug it back in"));
}

#[test]
fn stage_2_confirmed_while_intune_no_longer_shows_it_is_a_disagreement() {
    let mut c = card("R5CR1");
    c.stage = Some(staged(Stage::InIntune));
    c.intune = None;
    c.intune_gone_since = Some("2025-01-01T10:00:00.000Z".into());
    let c = one(c);
    assert_eq!(
        (c.status.kind, c.status.word.as_str()),
        (StatusKind::Disagree, "Intune lost it")
    );
    // Reset after the bench saw it enroll, Intune silent: a disagreement with the history.
    let mut reset = card("R5CR1");
    reset.stage = Some(staged(Stage::Enrolling));
    reset.evidence = Some(StageEvidence {
        device_provisioned: Some(false),
        ..StageEvidence::default()
    });
    assert_eq!(one(reset).status.word, "Reset after enrolling?");
}

#[test]
fn two_live_devices_with_one_serial_are_a_problem_on_both() {
    let mut a = card("2109100002");
    a.slot_number = Some(3);
    a.stage = Some(staged(Stage::UserSignedIn));
    a.intune = Some(intune("ana_x", Some("ana@contoso.com"), None));
    let mut b = card("2109100002");
    b.key = "127.0.0.1:5556".into();
    b.slot_number = Some(8);
    let cards = settled(vec![a.clone(), b.clone()]);
    for (c, other) in cards.iter().zip(["slot 8", "slot 3"]) {
        assert_eq!(
            (c.status.kind, c.status.word.as_str()),
            (StatusKind::Problem, "Duplicate serial"),
            "{c:?}"
        );
        assert!(c.status.next_step.contains(other), "{}", c.status.next_step);
    }
    // A placeholder serial many devices share is no duplicate (they are told apart by slot).
    let p1 = card("1234567890ABCDEF");
    let mut p2 = card("1234567890ABCDEF");
    p2.key = "other".into();
    assert!(settled(vec![p1, p2])
        .iter()
        .all(|c| c.status.word != "Duplicate serial"));
    // A device that left is no duplicate of the one now plugged in.
    b.unplugged_at = Some("2025-01-01T10:00:00.000Z".into());
    let cards = settled(vec![a, b]);
    assert_eq!(cards[0].status.word, "Done");
    assert_eq!(cards[1].status.kind, StatusKind::Unplugged);
}

#[test]
fn an_unplugged_tile_says_where_to_plug_it_back() {
    let mut c = card("2109100002");
    c.slot_number = Some(8);
    c.unplugged_at = Some("2025-01-01T15:01:00.000Z".into());
    c.stage = Some(staged(Stage::Scanning));
    let c = one(c);
    assert_eq!(
        (c.status.kind, c.status.icon, c.status.tone),
        (
            StatusKind::Unplugged,
            StatusIcon::Unplugged,
            StatusTone::Muted
        )
    );
    assert!(
        c.status.next_step.contains("slot 8"),
        "{}",
        c.status.next_step
    );
}

#[test]
fn a_device_powered_off_at_bench_done_leaves_a_tile_that_says_so_not_plug_it_back() {
    for stage in [Stage::BenchDone, Stage::InIntune, Stage::UserSignedIn] {
        let mut c = card("R5CR100001");
        c.slot_number = Some(3);
        c.unplugged_at = Some("2025-01-01T15:01:00.000Z".into());
        c.stage = Some(staged(stage));
        let c = one(c);
        assert_eq!(c.status.kind, StatusKind::Unplugged, "{stage:?}");
        assert_eq!(c.status.word, "Powered off", "{stage:?}");
        assert!(
            !c.status.next_step.contains("Plug it back"),
            "{stage:?}: {}",
            c.status.next_step
        );
    }
}

#[test]
fn connection_states_and_devices_in_no_batch() {
    let mut unauthorized = BenchDevice::blank("X".into(), crate::device::AdbState::Unauthorized);
    unauthorized.next_step = Some("Accept the prompt.".into());
    let s = one(unauthorized).status;
    assert_eq!(
        (s.kind, s.remedy),
        (
            StatusKind::NeedsTechnician,
            Some(crate::remedy::Remedy::AcceptUsbPrompt)
        )
    );
    // ADB off after enrolling (policy turned debugging off): the stage speaks, not the cable.
    let mut off = BenchDevice::blank("Y".into(), crate::device::AdbState::AdbOff);
    off.stage = Some(staged(Stage::BenchDone));
    assert_eq!(one(off).status.word, "Waiting for Intune");
    // No batch: what the device and Intune say.
    assert_eq!(one(card("R5CR1")).status.word, "Ready to stage");
    let mut shown = card("R5CR1");
    shown.intune = Some(intune("Staging_R5CR1_x", None, None));
    assert_eq!(one(shown).status.kind, StatusKind::Done);
    // Nothing ever says two things: the stage instruction is the status's next step.
    let mut scanning = card("R5CR1");
    scanning.stage = Some(staged(Stage::Scanning));
    let s = one(scanning);
    assert_eq!(s.status.next_step, s.stage.unwrap().instruction);
}

/// Issue 15 §3: a device that left USB after Intune's agent became its owner, and before
/// Powered off, says USB was probably closed by policy and what to check, not "plug it back";
/// once Intune shows it, stage 2 is done from Intune's evidence alone.
#[test]
fn a_device_that_leaves_after_enrolling_says_usb_closed_by_policy_and_what_to_check() {
    let tile = |stage: Option<crate::stage::DeviceStage>| {
        let mut c = card("R5CR100002");
        c.slot_number = Some(4);
        c.unplugged_at = Some("2025-01-01T15:01:00.000Z".into());
        c.evidence = Some(StageEvidence {
            device_owner: Some(crate::device::evidence::CLOUD_DPC.into()),
            ..Default::default()
        });
        c.stage = stage;
        one(c).status
    };
    let enrolling = tile(Some(staged(Stage::Enrolling)));
    assert_eq!(
        (enrolling.kind, enrolling.word.as_str()),
        (StatusKind::Waiting, "USB closed by policy (expected)")
    );
    for words in [
        "Disallow USB data transfer",
        "Android 12+",
        "USB file transfer = Block",
        "developer settings",
        "2026-08-20",
        "Staging_R5CR100002_",
    ] {
        assert!(
            enrolling.next_step.contains(words),
            "{words}: {}",
            enrolling.next_step
        );
    }
    assert!(!enrolling.next_step.contains("Plug it back"));
    // In no batch: the device's own evidence says Intune's agent owned it.
    assert_eq!(tile(None).word, "USB closed by policy (expected)");
    // Intune confirmed it after it left: done, from Intune's evidence alone.
    let obs = |what, minute| Observed {
        at: at(minute),
        what,
    };
    // Enrolled, then gone from USB before any Powered off.
    let left = vec![
        obs(Observation::QrShown, 0),
        obs(
            Observation::Adb {
                provisioned: true,
                intune_owner: true,
                boot_count: Some(3),
            },
            1,
        ),
        obs(Observation::UsbLeft, 2),
    ];
    let mut seen = left.clone();
    seen.push(obs(Observation::IntuneEnrolled, 3));
    let confirmed = derive(Flow::StagingToken, &seen, at(10));
    assert_eq!(confirmed.stage, Stage::InIntune);
    let done = tile(Some(confirmed));
    assert_eq!(
        (done.kind, done.word.as_str()),
        (StatusKind::Done, "USB closed by policy (expected)")
    );
    assert!(
        done.next_step.starts_with("Intune confirmed stage 2."),
        "{}",
        done.next_step
    );
    // A day after it left, Intune still does not show it: that is the problem shown.
    let late = derive(Flow::StagingToken, &left, at(2 + 25 * 60));
    assert_eq!(tile(Some(late)).word, "Not in Intune");
    // Powered off by the technician, then confirmed: the tile still says Powered off.
    assert_eq!(tile(Some(staged(Stage::InIntune))).word, "Powered off");
}
