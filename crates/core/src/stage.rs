//! Where a device stands in its enrollment flow, derived from what was observed, with the one
//! next thing the technician should do (issue 5's foundation; the Windows DEM flow comes later).
//!
//! Flows (DESIGN.md stage model; seed rules 3, 6, 7, 11, 13, 68): the Android Enterprise
//! **staging token** has three stages — 1 admin (profile and token), 2 bench (scan the QR,
//! finish setup, stop at the sign-in screen, power off), 3 the user signs in to the Intune app;
//! the **default token** has two (the user does the rest at first sign-in); **AOSP userless** is
//! done once Intune shows the device; **AOSP user-associated** waits for the user.
//!
//! A state is derived from [`Observation`]s (ADB evidence, technician actions, Intune evidence)
//! by reaching milestones, never by undoing them, after sorting by time: so any order or
//! duplication of the same observations gives the same state, and nothing observed is lost.
//! Problems are raised, not hidden: a reboot during enrollment (the boot count went up between
//! two reads while the device was enrolling), a device Intune still does not show long after
//! the bench finished, a device leaving Intune.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

/// The enrollment flow, chosen by the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// Android Enterprise with a staging token (three stages).
    StagingToken,
    /// Android Enterprise with a default token (two stages).
    DefaultToken,
    /// AOSP userless (RealWear).
    AospUserless,
    /// AOSP user-associated.
    AospUserAssociated,
}

/// One thing observed about a device.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Observation {
    /// The technician showed the enrollment QR for it.
    QrShown,
    /// A read over ADB.
    Adb {
        /// `device_provisioned`.
        provisioned: bool,
        /// Whether Intune's agent is the device owner.
        intune_owner: bool,
        /// `boot_count`, when read.
        boot_count: Option<u32>,
    },
    /// The technician confirmed the device is powered off (end of the bench's stage 2).
    PoweredOff,
    /// Intune shows the device with no user.
    IntuneEnrolled,
    /// Intune shows a user on the device.
    IntuneUser,
    /// Intune shows the device being retired or wiped.
    IntuneLeaving,
}

/// An observation and when it was made (ordered by time, then by what, so that even
/// observations made at the same instant are taken in one order whatever order they came in).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Observed {
    /// When.
    pub at: OffsetDateTime,
    /// What.
    pub what: Observation,
}

/// Where a device stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Nothing done yet.
    New,
    /// The QR was shown; the device is not provisioned yet.
    Scanning,
    /// Provisioned with Intune as owner; setup still running.
    Enrolling,
    /// The bench's part is done and the device is off; waiting for Intune to confirm.
    BenchDone,
    /// Intune shows the device (stage 2 confirmed; for AOSP userless and default token: the bench is done).
    InIntune,
    /// A user signed in (stage 3).
    UserSignedIn,
}

/// A problem to show with the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageProblem {
    /// Stable id (`reboot-during-enrollment`, `not-in-intune`, `leaving-intune`).
    pub id: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// The derived state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceStage {
    /// The flow.
    pub flow: Flow,
    /// Where it stands.
    pub stage: Stage,
    /// The one next thing to do.
    pub instruction: String,
    /// Problems, most serious first.
    pub problems: Vec<StageProblem>,
}

/// How long after the bench finished a device may be missing from Intune before it is flagged.
pub const INTUNE_GRACE: Duration = Duration::from_secs(24 * 3600);

/// Derives the state at `now` from `observations` (any order, duplicates allowed).
pub fn derive(flow: Flow, observations: &[Observed], now: OffsetDateTime) -> DeviceStage {
    let mut sorted: Vec<&Observed> = observations.iter().collect();
    sorted.sort();
    let mut stage = Stage::New;
    let mut problems = Vec::new();
    let mut last_boot: Option<u32> = None;
    let mut bench_done_at: Option<OffsetDateTime> = None;
    let mut leaving = false;
    let mut rebooted = false;
    let reach = |stage: &mut Stage, to: Stage| *stage = (*stage).max(to);
    for o in sorted {
        match &o.what {
            Observation::QrShown => reach(&mut stage, Stage::Scanning),
            Observation::Adb { provisioned, intune_owner, boot_count } => {
                if *provisioned && *intune_owner {
                    if stage == Stage::Enrolling {
                        if let (Some(before), Some(now)) = (last_boot, boot_count) {
                            rebooted |= now > &before;
                        }
                    }
                    reach(&mut stage, Stage::Enrolling);
                }
                if boot_count.is_some() {
                    last_boot = *boot_count;
                }
            }
            Observation::PoweredOff if stage >= Stage::Enrolling => {
                reach(&mut stage, Stage::BenchDone);
                bench_done_at.get_or_insert(o.at);
            }
            Observation::PoweredOff => {}
            Observation::IntuneEnrolled => reach(&mut stage, Stage::InIntune),
            Observation::IntuneUser => reach(&mut stage, Stage::UserSignedIn),
            Observation::IntuneLeaving => leaving = true,
        }
    }
    if rebooted {
        problems.push(StageProblem {
            id: "reboot-during-enrollment",
            message: "The device restarted during enrollment (its boot count went up): check that setup finished, and factory-reset and stage it again if it did not.".into(),
        });
    }
    if leaving {
        problems.push(StageProblem {
            id: "leaving-intune",
            message: "Intune shows the device being retired or wiped: do not hand it over; check it in Intune.".into(),
        });
    }
    if let (Stage::BenchDone, Some(done)) = (stage, bench_done_at) {
        let waited = now - done;
        if waited > INTUNE_GRACE {
            problems.push(StageProblem {
                id: "not-in-intune",
                message: format!(
                    "In stage 2 for {} h and Intune still does not show it: check the device in Intune (Devices → Android) and the bench's sync.",
                    waited.whole_hours()
                ),
            });
        }
    }
    DeviceStage { flow, stage, instruction: instruction(flow, stage).into(), problems }
}

/// The next thing to do for `flow` at `stage`.
fn instruction(flow: Flow, stage: Stage) -> &'static str {
    use Flow::*;
    use Stage::*;
    match (flow, stage) {
        (_, New) => "Factory-reset if needed, power on, and show the QR code.",
        (_, Scanning) => "Scan the QR now (tap the welcome screen six times to open the scanner).",
        (StagingToken, Enrolling) => "Enrolling — do not restart. Finish setup; stop at the sign-in screen. Do not sign in. Power off.",
        (DefaultToken | AospUserAssociated, Enrolling) => "Enrolling — do not restart. Finish setup, then hand over for the user's sign-in.",
        (AospUserless, Enrolling) => "Enrolling — do not restart. Wait for Intune to show the device.",
        (_, BenchDone) => "Powered off: waiting for Intune to show the device (sync to check).",
        (StagingToken, InIntune) => "Stage 2 confirmed by Intune. Ready to hand over; the user signs in to the Intune app.",
        (DefaultToken | AospUserAssociated, InIntune) => "In Intune. Ready to hand over for the user's sign-in.",
        (AospUserless, InIntune) => "Enrolled in Intune. Ready to hand over.",
        (_, UserSignedIn) => "Done: the user has signed in.",
    }
}

#[cfg(test)]
mod tests {
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
        Observation::Adb { provisioned: true, intune_owner: true, boot_count: Some(boot) }
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
        check(at(0, Observation::QrShown), Stage::Scanning, "Scan the QR now");
        check(at(5, adb(3)), Stage::Enrolling, "stop at the sign-in screen. Do not sign in. Power off.");
        check(at(20, Observation::PoweredOff), Stage::BenchDone, "waiting for Intune");
        check(at(30, Observation::IntuneEnrolled), Stage::InIntune, "Ready to hand over");
        check(at(900, Observation::IntuneUser), Stage::UserSignedIn, "Done");
    }

    #[test]
    fn problems_are_raised_reboot_missing_in_intune_and_leaving() {
        let obs = [at(0, Observation::QrShown), at(5, adb(3)), at(9, adb(4)), at(20, Observation::PoweredOff)];
        let s = derive(Flow::StagingToken, &obs, t(20 + 26 * 60));
        let ids: Vec<&str> = s.problems.iter().map(|p| p.id).collect();
        assert_eq!(ids, ["reboot-during-enrollment", "not-in-intune"]);
        assert!(s.problems[1].message.starts_with("In stage 2 for 26 h"), "{}", s.problems[1].message);
        // Within a day, no "not in Intune"; a boot count that stayed put is no reboot.
        let calm = [at(0, Observation::QrShown), at(5, adb(3)), at(9, adb(3)), at(20, Observation::PoweredOff)];
        assert!(derive(Flow::StagingToken, &calm, t(60)).problems.is_empty());
        let leaving = [at(0, Observation::IntuneEnrolled), at(5, Observation::IntuneLeaving)];
        assert_eq!(derive(Flow::AospUserless, &leaving, t(10)).problems[0].id, "leaving-intune");
        // Powered off before it ever enrolled is not "bench done".
        assert_eq!(derive(Flow::StagingToken, &[at(0, Observation::PoweredOff)], t(1)).stage, Stage::New);
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
            Observation::Adb { provisioned: false, intune_owner: false, boot_count: None },
            Observation::PoweredOff,
            Observation::IntuneEnrolled,
            Observation::IntuneUser,
            Observation::IntuneLeaving,
        ];
        let flows = [Flow::StagingToken, Flow::DefaultToken, Flow::AospUserless, Flow::AospUserAssociated];
        for _ in 0..2_000 {
            let n = rng.gen_range(0..8);
            let mut obs: Vec<Observed> = (0..n)
                .map(|i| at(i * 10 + rng.gen_range(0..5), kinds[rng.gen_range(0..kinds.len())].clone()))
                .collect();
            let flow = flows[rng.gen_range(0..flows.len())];
            let now = t(rng.gen_range(0..4_000));
            let want = derive(flow, &obs, now);
            assert!(!want.instruction.is_empty());
            // Shuffle and duplicate.
            let dups: Vec<Observed> = obs.iter().filter(|_| rng.gen_bool(0.3)).cloned().collect();
            obs.extend(dups);
            obs.shuffle(&mut rng);
            assert_eq!(derive(flow, &obs, now), want, "{flow:?} {obs:?}");
        }
    }
}
