//! Where a device stands in its enrollment flow, derived from what was observed, with the one
//! next thing the technician should do.
//!
//! Flows (DESIGN.md stage model; seed rules 3, 6, 7, 11, 13, 68): the Android Enterprise
//! **staging token** has three stages — 1 admin (profile and token), 2 bench (scan the QR,
//! finish setup, stop at the sign-in screen, power off), 3 the user signs in to the Intune app;
//! the **default token** has two (the user does the rest at first sign-in); **AOSP userless** is
//! done once Intune shows the device; **AOSP user-associated** waits for the user; **Windows
//! Device Preparation with a DEM account** (seed 004, rules 119–129): the serial is captured
//! and imported as a corporate identifier, the technician signs in at OOBE with the DEM
//! account, Device Preparation provisions, the user signs in, and the primary user is
//! reassigned from the DEM account to the user.
//!
//! A state is derived from [`Observation`]s (ADB evidence, technician actions, Intune evidence)
//! by reaching milestones, never by undoing them, after sorting by time: so any order or
//! duplication of the same observations gives the same state, and nothing observed is lost.
//! Problems are raised, not hidden: a reboot during enrollment (the boot count went up between
//! two reads while the device was enrolling), a device Intune still does not show long after
//! the bench finished, a device leaving Intune.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::remedy::Remedy;

/// The enrollment flow, chosen by the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
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
    /// Windows Autopilot Device Preparation with a DEM account.
    WindowsDem,
}

impl Flow {
    /// Every flow, in the order they are offered.
    pub const ALL: [Flow; 5] = [
        Flow::StagingToken,
        Flow::DefaultToken,
        Flow::AospUserless,
        Flow::AospUserAssociated,
        Flow::WindowsDem,
    ];

    /// The stages a batch of this flow goes through, in order (for progress columns).
    pub fn stages(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Flow::StagingToken => &[New, Scanning, Enrolling, BenchDone, InIntune, UserSignedIn],
            Flow::DefaultToken | Flow::AospUserAssociated => {
                &[New, Scanning, Enrolling, InIntune, UserSignedIn]
            }
            Flow::AospUserless => &[New, Scanning, Enrolling, InIntune],
            Flow::WindowsDem => &[
                New,
                Scanning,
                Enrolling,
                InIntune,
                UserSignedIn,
                OwnerAssigned,
            ],
        }
    }

    /// Its name on the command line and in files (`staging-token`, …).
    pub fn name(self) -> &'static str {
        match self {
            Flow::StagingToken => "staging-token",
            Flow::DefaultToken => "default-token",
            Flow::AospUserless => "aosp-userless",
            Flow::AospUserAssociated => "aosp-user-associated",
            Flow::WindowsDem => "windows-dem",
        }
    }
}

impl std::str::FromStr for Flow {
    type Err = String;
    fn from_str(s: &str) -> Result<Flow, String> {
        Flow::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Flow::ALL.iter().map(|f| f.name()).collect();
                format!("unknown flow {s:?}: use one of {}", names.join(", "))
            })
    }
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
    /// Windows: the serial was imported into Intune as a corporate identifier.
    SerialImported,
    /// Windows: the technician signed in at OOBE with the DEM account.
    DemSignIn,
    /// Windows: Intune shows a user other than the DEM account logged on.
    UserLoggedOn,
    /// The batch's token stopped being usable (expired, or revoked when `revoked`).
    TokenUnusable {
        /// Revoked rather than expired.
        revoked: bool,
    },
    /// The device's serial sources disagree (or one is a known placeholder).
    SerialsDisagree,
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
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
    /// Windows: the primary user was reassigned from the DEM account to the user.
    OwnerAssigned,
}

impl Stage {
    /// Its name in files and on the command line (`bench-done`, …).
    pub fn name(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Scanning => "scanning",
            Stage::Enrolling => "enrolling",
            Stage::BenchDone => "bench-done",
            Stage::InIntune => "in-intune",
            Stage::UserSignedIn => "user-signed-in",
            Stage::OwnerAssigned => "owner-assigned",
        }
    }

    /// A short label for people.
    pub fn label(self) -> &'static str {
        match self {
            Stage::New => "New",
            Stage::Scanning => "Scanning",
            Stage::Enrolling => "Enrolling",
            Stage::BenchDone => "Bench done",
            Stage::InIntune => "In Intune",
            Stage::UserSignedIn => "User signed in",
            Stage::OwnerAssigned => "Owner assigned",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Stage, String> {
        use Stage::*;
        [New, Scanning, Enrolling, BenchDone, InIntune, UserSignedIn, OwnerAssigned]
            .into_iter()
            .find(|st| st.name() == s)
            .ok_or_else(|| format!("unknown stage {s:?}: use new, scanning, enrolling, bench-done, in-intune, user-signed-in or owner-assigned"))
    }
}

/// A problem to show with the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StageProblem {
    /// Stable id (`reboot-during-enrollment`, `not-in-intune`, `leaving-intune`,
    /// `token-unusable`, `serial-identity`).
    #[ts(type = "string")]
    pub id: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// The derived state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DeviceStage {
    /// The flow.
    pub flow: Flow,
    /// Where it stands.
    pub stage: Stage,
    /// The one next thing to do.
    pub instruction: String,
    /// That next thing as a step the front ends offer (a command, a button), when it is one.
    pub remedy: Option<Remedy>,
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
    let mut token_unusable: Option<bool> = None;
    let mut serials_disagree = false;
    let reach = |stage: &mut Stage, to: Stage| *stage = (*stage).max(to);
    for o in sorted {
        match &o.what {
            Observation::QrShown if flow != Flow::WindowsDem => reach(&mut stage, Stage::Scanning),
            Observation::QrShown => {}
            Observation::Adb {
                provisioned,
                intune_owner,
                boot_count,
            } => {
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
            Observation::PoweredOff if stage >= Stage::Enrolling && flow != Flow::WindowsDem => {
                reach(&mut stage, Stage::BenchDone);
                bench_done_at.get_or_insert(o.at);
            }
            Observation::PoweredOff => {}
            Observation::IntuneEnrolled => reach(&mut stage, Stage::InIntune),
            // For Windows the user Intune shows is the primary user: the DEM account until
            // it is reassigned (the caller says IntuneEnrolled then), the user after.
            Observation::IntuneUser if flow == Flow::WindowsDem => {
                reach(&mut stage, Stage::OwnerAssigned)
            }
            // A userless device has no user to sign in: Intune showing one changes nothing.
            Observation::IntuneUser if flow == Flow::AospUserless => {
                reach(&mut stage, Stage::InIntune)
            }
            Observation::IntuneUser => reach(&mut stage, Stage::UserSignedIn),
            Observation::IntuneLeaving => leaving = true,
            Observation::SerialImported if flow == Flow::WindowsDem => {
                reach(&mut stage, Stage::Scanning)
            }
            Observation::DemSignIn if flow == Flow::WindowsDem => {
                reach(&mut stage, Stage::Enrolling)
            }
            Observation::UserLoggedOn if flow == Flow::WindowsDem => {
                reach(&mut stage, Stage::UserSignedIn)
            }
            Observation::SerialImported | Observation::DemSignIn | Observation::UserLoggedOn => {}
            Observation::TokenUnusable { revoked } => {
                token_unusable = Some(token_unusable.unwrap_or(false) || *revoked)
            }
            Observation::SerialsDisagree => serials_disagree = true,
        }
    }
    if let Some(revoked) = token_unusable {
        // Only devices that have not enrolled yet are hurt: the QR can no longer enroll them.
        if stage < Stage::Enrolling && flow != Flow::WindowsDem {
            problems.push(StageProblem {
                id: "token-unusable",
                message: format!(
                    "The batch's enrollment token was {} before this device enrolled: do not scan the old QR; ask the admin to replace the token and send a new QR or bench pack.",
                    if revoked { "revoked" } else { "expired" }
                ),
            });
        }
    }
    if serials_disagree {
        problems.push(StageProblem {
            id: "serial-identity",
            message: "The device's serials disagree between sources (or one is a placeholder): check the serial on the box or label before it goes into the report.".into(),
        });
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
    let waiting_since = match flow {
        Flow::WindowsDem => None,
        _ => bench_done_at,
    };
    if let (Stage::BenchDone, Some(done)) = (stage, waiting_since) {
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
    DeviceStage {
        flow,
        stage,
        instruction: instruction(flow, stage).into(),
        remedy: remedy(flow, stage),
        problems,
    }
}

/// The step the instruction for `flow` at `stage` asks for, when a front end can take it.
fn remedy(flow: Flow, stage: Stage) -> Option<Remedy> {
    (flow == Flow::WindowsDem && stage == Stage::UserSignedIn)
        .then_some(Remedy::ReassignPrimaryUser)
}

/// The next thing to do for `flow` at `stage`.
fn instruction(flow: Flow, stage: Stage) -> &'static str {
    use Flow::*;
    use Stage::*;
    match (flow, stage) {
        (WindowsDem, New) => "Capture the serial (scan the box or device label), then import it as a corporate identifier.",
        (WindowsDem, Scanning) => "Serial imported. Factory-reset if needed; at the sign-in screen sign in with the DEM account.",
        (WindowsDem, Enrolling | BenchDone) => "Device Preparation is running — do not restart. Wait for the desktop, then sync to check Intune.",
        (WindowsDem, InIntune) => "Provisioned under the DEM account. Ready to hand over; the user signs in normally.",
        (WindowsDem, UserSignedIn) => "The user has signed in: reassign the primary user from the DEM account.",
        (_, New) => "Factory-reset if needed, power on, and show the QR code.",
        (_, Scanning) => "Scan the QR now (tap the welcome screen six times to open the scanner).",
        (StagingToken, Enrolling) => "Enrolling — do not restart. Finish setup; stop at the sign-in screen. Do not sign in. Power off.",
        (DefaultToken | AospUserAssociated, Enrolling) => "Enrolling — do not restart. Finish setup, then hand over for the user's sign-in.",
        (AospUserless, Enrolling) => "Enrolling — do not restart. Wait for Intune to show the device.",
        (_, BenchDone) => "Powered off: waiting for Intune to show the device (sync to check).",
        (StagingToken, InIntune) => "Stage 2 confirmed by Intune. Ready to hand over; the user signs in to the Intune app.",
        (DefaultToken | AospUserAssociated, InIntune) => "In Intune. Ready to hand over for the user's sign-in.",
        (AospUserless, InIntune) => "Enrolled in Intune. Ready to hand over.",
        (_, OwnerAssigned) => "Done: the primary user is the end user.",
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
}
