//! The rules that give a card its one status, in order: the first that applies wins.

use super::{CardStatus, Duplicate, StatusKind};
use crate::device::departed::{closed_by_policy, POLICY_CHECKS, USB_CLOSED_BY_POLICY};
use crate::device::preflight::capitalized;
use crate::device::usb::setup::NOT_ON_USB;
use crate::device::{AdbState, BenchDevice, Severity};
use crate::intune::status::IntuneStage;
use crate::stage::{DeviceStage, Flow, Stage, USB_LEFT_NOTE};

use StatusKind::*;

/// The one status of `card`; `duplicate` is another live card with the same serial.
pub fn card_status(card: &BenchDevice, duplicate: Option<&Duplicate>) -> CardStatus {
    if closed_by_policy(card) {
        // A day without Intune (or Intune retiring it) is still a problem.
        return stage_problem(card.stage.as_ref()).unwrap_or_else(|| usb_closed(card));
    }
    if card.unplugged_at.is_some() {
        // Powered off by the technician at the end of the bench's part: leaving was the step.
        if let Some(stage) = card.stage.as_ref().filter(|s| s.stage >= Stage::BenchDone) {
            return CardStatus::new(
                Unplugged,
                "Powered off",
                format!(
                    "{} Dismiss this tile when the device leaves the bench.",
                    stage.instruction
                ),
            );
        }
        let place = match card.slot_number {
            Some(n) => format!("slot {n}"),
            None => "its slot".to_owned(),
        };
        return CardStatus::new(
            Unplugged,
            "Unplugged",
            format!(
                "Plug it back into {place}, or dismiss this tile if it left the bench on purpose."
            ),
        );
    }
    if let Some(d) = duplicate {
        let other = match d.slot_number {
            Some(n) => format!("The device in slot {n}"),
            None => format!("Another device ({})", d.key),
        };
        return CardStatus::new(
            Problem,
            "Duplicate serial",
            format!(
                "{other} also reports serial {}: two devices can't share a serial. Check the serial on both devices' labels or boxes and scan the right one before either goes into a report.",
                d.serial
            ),
        );
    }
    let past = super::past_scanning(card);
    // A device past scanning often has USB debugging turned off by its new policy: its stage
    // says more than its connection.
    if !past {
        if let Some(status) = connection(card) {
            return status;
        }
    }
    if let Some(status) = disagreement(card) {
        return status;
    }
    // A device back for re-staging whose old Intune record is still there (issue 15, see
    // `intune::restage`): that record goes before the wipe, whatever its old stages say.
    if let Some(old) = card
        .problems
        .iter()
        .find(|p| p.rule == "intune-existing-record")
    {
        return CardStatus::new(NeedsTechnician, "Delete old record", &old.next_step);
    }
    if let Some(status) = stage_problem(card.stage.as_ref()) {
        return status;
    }
    if let Some(blocker) = card
        .problems
        .iter()
        .find(|p| p.severity == Severity::Blocker)
    {
        return CardStatus::new(Problem, "Blocked", &blocker.next_step);
    }
    if !past {
        if let Some(reset) = card.problems.iter().find(|p| p.rule == "factory-reset") {
            return CardStatus::new(NeedsTechnician, "Reset first", &reset.next_step);
        }
    }
    match &card.stage {
        Some(stage) => by_stage(stage),
        None => without_batch(card),
    }
}

/// A device that left USB after enrolling, before Powered off: probably closed by policy
/// (see [`crate::device::departed`]); it waits for Intune, or is done once Intune shows it.
fn usb_closed(card: &BenchDevice) -> CardStatus {
    let serial = card.serial.as_deref().unwrap_or("<serial>");
    let (kind, then) = match card.stage.as_ref().map(|s| s.stage) {
        Some(stage) if stage >= Stage::InIntune => (
            Done,
            format!(
                "Intune confirmed stage 2. {}",
                card.stage.as_ref().map_or("", |s| s.instruction.as_str())
            ),
        ),
        None if card.intune.is_some() => (Done, "Intune shows it.".to_owned()),
        _ => (
            Waiting,
            format!("Finish setup on the device (stop at the sign-in screen, do not sign in) and power it off; stage 2 completes when Intune shows it as Staging_{serial}_… (sync to check)."),
        ),
    };
    CardStatus::new(
        kind,
        USB_CLOSED_BY_POLICY,
        format!("{then} {POLICY_CHECKS}"),
    )
}

/// The connection when it keeps the device from being read, or reading failed.
fn connection(card: &BenchDevice) -> Option<CardStatus> {
    let step = |fallback: &str| {
        card.next_step
            .clone()
            .unwrap_or_else(|| fallback.to_owned())
    };
    let status = match &card.state {
        AdbState::Device => {
            let error = card.error.as_ref()?;
            let next = card
                .next_step
                .clone()
                .unwrap_or_else(|| format!("{error}: unplug the cable and plug it back in."));
            CardStatus::new(Problem, "Read failed", next)
        }
        AdbState::Unauthorized => CardStatus::new(
            NeedsTechnician,
            "Allow USB debugging",
            step("Accept the USB debugging prompt on the device."),
        )
        .with_remedy(card.state.remedy()),
        AdbState::Other(word) if word == NOT_ON_USB => {
            let instruction = card.stage.as_ref().map_or("", |s| s.instruction.as_str());
            CardStatus::new(
                NeedsTechnician,
                "Not visible on USB",
                format!("{instruction} {}", card.next_step.as_deref().unwrap_or("")),
            )
        }
        AdbState::AdbOff if card.device_id.is_some() && card.stage.is_some() => in_setup(card),
        AdbState::AdbOff => CardStatus::new(
            NeedsTechnician,
            "Turn on USB debugging",
            step("Turn on USB debugging in Developer options."),
        ),
        AdbState::Authorizing | AdbState::Connecting => CardStatus::new(
            Working,
            "Connecting",
            step("Wait a moment: the device is connecting."),
        ),
        other => CardStatus::new(
            Problem,
            &capitalized(other.as_str()),
            step("Unplug the device and plug it back in."),
        ),
    };
    Some(status)
}

/// A device with USB debugging off recorded by its USB serial into a batch: as a device in
/// the set-up wizard is, which needs no ADB to scan the QR (issue 15 §6).
fn in_setup(card: &BenchDevice) -> CardStatus {
    let instruction = card.stage.as_ref().map_or("", |s| s.instruction.as_str());
    let serial = card.serial.as_deref().unwrap_or("<serial>");
    CardStatus::new(
        NeedsTechnician,
        "In set-up (no ADB)",
        format!("{instruction} USB debugging is off, as in the set-up wizard: there is no need to turn it on. The bench tracks the device by its USB serial {serial}; Intune will show it as Staging_{serial}_…."),
    )
}

/// Where the device's own evidence, Intune and the bench history disagree.
fn disagreement(card: &BenchDevice) -> Option<CardStatus> {
    let evidence = card.evidence.as_ref();
    let unprovisioned = evidence.is_some_and(|e| e.device_provisioned == Some(false));
    let enrolled_here = card
        .stage
        .as_ref()
        .is_some_and(|s| s.stage >= Stage::Enrolling)
        || evidence.is_some_and(|e| e.owned_by_intune());
    match &card.intune {
        Some(intune) if intune.stage != IntuneStage::Leaving && unprovisioned => {
            let stale = match (&card.read_at, &intune.enrolled) {
                (Some(read), Some(enrolled)) => read < enrolled,
                _ => false,
            };
            let next = if stale {
                format!("Intune shows it enrolled as {}, but the device was last read before it enrolled: unplug it and plug it back in so the bench reads it again.", intune.device_name)
            } else {
                format!("Intune shows it enrolled as {}, but the device says it is not provisioned: it was factory-reset after enrolling, or Intune holds an old record. Re-plug it to read it again; if it stays so, delete the old record in Intune (Retire is not offered for corporate-owned Android) and stage the device again.", intune.device_name)
            };
            Some(CardStatus::new(
                Disagree,
                if stale {
                    "Read before enrolling"
                } else {
                    "Device and Intune disagree"
                },
                next,
            ))
        }
        None if card.intune_gone_since.is_some()
            && (enrolled_here
                || card
                    .stage
                    .as_ref()
                    .is_some_and(|s| s.stage >= Stage::InIntune)) =>
        {
            Some(CardStatus::new(
                Disagree,
                "Intune lost it",
                "Intune no longer shows this device, though it enrolled: check it in Intune (deleted or retired?). If it was removed, factory-reset it and stage it again; do not hand it over.",
            ))
        }
        None if unprovisioned
            && card
                .stage
                .as_ref()
                .is_some_and(|s| s.stage >= Stage::Enrolling) =>
        {
            Some(CardStatus::new(
                Disagree,
                "Reset after enrolling?",
                "The bench saw this device enroll, but it now says it is not provisioned: it was factory-reset. Stage it again from the QR, and check Intune for its old record.",
            ))
        }
        _ => None,
    }
}

/// A problem the batch stage raises, other than the serial note (a warning beside the stage).
fn stage_problem(stage: Option<&DeviceStage>) -> Option<CardStatus> {
    // The serial note and the USB-closed note are beside the stage, not problems.
    let problem = stage?
        .problems
        .iter()
        .find(|p| p.id != "serial-identity" && p.id != USB_LEFT_NOTE)?;
    let word = match problem.id {
        "token-unusable" => "Token unusable",
        "reboot-during-enrollment" => "Restarted while enrolling",
        "leaving-intune" => "Leaving Intune",
        "not-in-intune" => "Not in Intune",
        _ => "Problem",
    };
    Some(CardStatus::new(Problem, word, &problem.message))
}

/// The batch stage's status, with its instruction as the next step.
fn by_stage(stage: &DeviceStage) -> CardStatus {
    let (kind, word) = match (stage.flow, stage.stage) {
        (Flow::WindowsDem, Stage::New) => (NeedsTechnician, "Capture serial"),
        (Flow::WindowsDem, Stage::Scanning) => (NeedsTechnician, "Sign in with DEM"),
        (_, Stage::New) => (NeedsTechnician, "Show the QR"),
        (_, Stage::Scanning) => (NeedsTechnician, "Scan the QR"),
        (Flow::StagingToken, Stage::Enrolling) => (NeedsTechnician, "Finish setup, power off"),
        (Flow::DefaultToken | Flow::AospUserAssociated, Stage::Enrolling) => {
            (NeedsTechnician, "Finish setup")
        }
        (_, Stage::Enrolling) => (Working, "Enrolling"),
        (Flow::WindowsDem, Stage::BenchDone) => (Working, "Provisioning"),
        (_, Stage::BenchDone) => (Waiting, "Waiting for Intune"),
        (Flow::AospUserless, Stage::InIntune) => (Done, "Enrolled"),
        (_, Stage::InIntune) => (Done, "Ready to hand over"),
        (Flow::WindowsDem, Stage::UserSignedIn) => (NeedsTechnician, "Reassign user"),
        (_, Stage::UserSignedIn | Stage::OwnerAssigned) => (Done, "Done"),
    };
    CardStatus::new(kind, word, &stage.instruction).with_remedy(stage.remedy.clone())
}

/// A device in no batch: what the device and Intune say.
fn without_batch(card: &BenchDevice) -> CardStatus {
    const TRACK: &str = "Make a batch active so the bench tracks it.";
    match &card.intune {
        Some(i) if i.stage == IntuneStage::Leaving => {
            return CardStatus::new(
                Problem,
                "Leaving Intune",
                "Intune shows the device being retired or wiped: do not hand it over; check it in Intune.",
            )
        }
        Some(i) if i.stage == IntuneStage::UserAssigned => {
            let user = i.user_principal_name.as_deref().unwrap_or("a user");
            return CardStatus::new(
                Done,
                "User signed in",
                format!("Intune shows {user} signed in: nothing is left to do at the bench."),
            );
        }
        Some(i) => {
            return CardStatus::new(
                Done,
                "In Intune",
                format!("Intune shows it enrolled as {}. Not in a batch: {TRACK}", i.device_name),
            )
        }
        None => {}
    }
    if card.evidence.as_ref().is_some_and(|e| e.owned_by_intune()) {
        return CardStatus::new(
            Waiting,
            "Waiting for Intune",
            "Intune's agent owns the device; Intune does not show it yet (sync to check).",
        );
    }
    if let Some(warning) = card.problems.first() {
        return CardStatus::new(NeedsTechnician, "Check", &warning.next_step);
    }
    CardStatus::new(
        NeedsTechnician,
        "Ready to stage",
        format!("Factory-reset if needed, power on, and show the QR code. {TRACK}"),
    )
}
