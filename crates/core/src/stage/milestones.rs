//! Deriving a device's stage: milestones reached from observations sorted by time (never
//! undone), the problems to raise, and the one next instruction for the flow and stage.

use std::time::Duration;

use time::OffsetDateTime;

use super::{DeviceStage, Flow, Observation, Observed, Stage, StageProblem};
use crate::remedy::Remedy;

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
        (WindowsDem, New) => "Capture the serial (scan the box or device label) with the manufacturer and model, then import it as a corporate identifier: Intune takes the three together for Windows, never the serial alone.",
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
