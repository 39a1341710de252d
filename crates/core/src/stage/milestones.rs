//! Deriving a device's stage: milestones reached from observations sorted by time (never
//! undone), the problems to raise, and the one next instruction for the flow and stage.
//!
//! Stage 2 from Intune's evidence alone: Intune showing the device (`Staging_<serial>_…`)
//! confirms stage 2 whatever the bench saw last. A device that left USB after the bench saw
//! Intune's agent own it and before the technician's Powered off (its policy probably closed
//! USB, issue 15 §3) gets the [`USB_LEFT_NOTE`] note instead of a problem, and waits for Intune
//! from its departure as a powered-off device does from its Powered off ([`INTUNE_GRACE`]).

use std::time::Duration;

use time::OffsetDateTime;

use super::{DeviceStage, Flow, Observation, Observed, Stage, StageProblem, USB_LEFT_NOTE};
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
    // When the device left USB after enrolling, before any Powered off (cleared when it is
    // read over ADB again).
    let mut usb_left_at: Option<OffsetDateTime> = None;
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
                usb_left_at = None;
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
            Observation::UsbLeft
                if stage >= Stage::Enrolling
                    && bench_done_at.is_none()
                    && flow != Flow::WindowsDem =>
            {
                usb_left_at.get_or_insert(o.at);
            }
            Observation::UsbLeft => {}
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
    // Left USB after enrolling and before Powered off: the policy probably closed USB.
    if let Some(left) = usb_left_at.filter(|_| bench_done_at.is_none()) {
        problems.push(StageProblem {
            id: USB_LEFT_NOTE,
            message: if stage >= Stage::InIntune {
                "USB closed by policy (expected): the device left USB after Intune's agent became its owner, and Intune confirmed stage 2.".into()
            } else {
                format!(
                    "USB closed by policy (expected): the device left USB at {} after Intune's agent became its owner, before Powered off. Finish setup on the device (stop at the sign-in screen) and power it off; stage 2 completes when Intune shows it as Staging_<serial>_….",
                    crate::clock::timestamp(left)
                )
            },
        });
    }
    let waiting_since = match flow {
        Flow::WindowsDem => None,
        _ => bench_done_at.or(usb_left_at),
    };
    if let (Stage::Enrolling | Stage::BenchDone, Some(done)) = (stage, waiting_since) {
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
