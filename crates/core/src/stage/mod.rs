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
//!
//! Layout: this file holds the vocabulary (flows, observations, stages, problems, a device's
//! stage); `milestones` derives a device's stage from its observations ([`derive()`]) with the
//! next instruction; `tests` walks each flow.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::remedy::Remedy;

mod milestones;
#[cfg(test)]
mod tests;

pub use milestones::{derive, INTUNE_GRACE};

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
    /// The device left USB (the bench watcher noted it) while the bench saw Intune's agent own
    /// it: without a Powered off before it, USB was probably closed by its new policy.
    UsbLeft,
}

/// The id of the note a device gets when it left USB after enrolling and before Powered off
/// (see [`Observation::UsbLeft`]): its stage 2 then completes from Intune's evidence alone.
pub const USB_LEFT_NOTE: &str = "usb-closed-by-policy";

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
