//! A card's one status: what the technician should make of a bench card at a glance, derived
//! from everything the card holds (the connection, the evidence read over ADB, the preflight
//! findings, Intune's last word, the batch stage) so no two parts of a card contradict.
//!
//! Where the sources disagree (the device says it is not provisioned while Intune shows it
//! enrolled; Intune no longer shows a device that enrolled here; the device was reset after the
//! bench saw it enroll), the disagreement is the status, with its next step. Findings are
//! stage-aware: a rule that only matters before staging ([`Rule::pre_staging`]) is set aside
//! once the device is past scanning. Two live cards with the same identifying serial are a
//! problem on both. A card whose device left is a grey, unplugged tile until dismissed.
//!
//! Layout: this file holds the vocabulary ([`CardStatus`], [`StatusKind`]) and [`settle`], which
//! a front end's publisher runs over the whole list; `derive` holds the rules, first match
//! wins; `tests` walks them.

use serde::Serialize;

use super::preflight::{Rule, RULES};
use super::BenchDevice;
use crate::identity::is_identifying_serial;
use crate::remedy::Remedy;
use crate::stage::Stage;

mod derive;
#[cfg(test)]
mod tests;

pub use derive::card_status;

/// What kind of status a card shows: decides its colour, icon and whether it calls for the
/// technician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum StatusKind {
    /// The technician has to do something at this device now.
    NeedsTechnician,
    /// The device (or the bench reading it) is busy; leave it be.
    Working,
    /// Waiting for something off the bench (Intune, a sync).
    Waiting,
    /// The bench's part is done: hand it over (or nothing is left to do).
    Done,
    /// Something is wrong: fix it before going on.
    Problem,
    /// The device's own evidence and Intune (or the bench history) disagree: find out which is
    /// right before going on.
    Disagree,
    /// The device left the bench; the tile stays until dismissed.
    Unplugged,
}

impl StatusKind {
    /// The tone a front end colours it with (never the only cue: the word and icon say it too).
    pub fn tone(self) -> StatusTone {
        match self {
            StatusKind::NeedsTechnician => StatusTone::Warn,
            StatusKind::Working | StatusKind::Waiting => StatusTone::Info,
            StatusKind::Done => StatusTone::Ok,
            StatusKind::Problem | StatusKind::Disagree => StatusTone::Bad,
            StatusKind::Unplugged => StatusTone::Muted,
        }
    }

    /// The icon that goes with the word.
    pub fn icon(self) -> StatusIcon {
        match self {
            StatusKind::NeedsTechnician => StatusIcon::Hand,
            StatusKind::Working => StatusIcon::Spinner,
            StatusKind::Waiting => StatusIcon::Hourglass,
            StatusKind::Done => StatusIcon::Check,
            StatusKind::Problem => StatusIcon::Alert,
            StatusKind::Disagree => StatusIcon::Split,
            StatusKind::Unplugged => StatusIcon::Unplugged,
        }
    }
}

/// A status's colour family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum StatusTone {
    /// Done.
    Ok,
    /// Busy or waiting.
    Info,
    /// The technician is needed.
    Warn,
    /// Wrong, or in disagreement.
    Bad,
    /// Gone from the bench.
    Muted,
}

/// A status's icon, by name (each front end draws its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum StatusIcon {
    /// A raised hand: the technician is needed.
    Hand,
    /// Busy.
    Spinner,
    /// Waiting.
    Hourglass,
    /// Done.
    Check,
    /// A problem.
    Alert,
    /// Two sources that disagree.
    Split,
    /// A pulled plug.
    Unplugged,
}

/// The one status a card shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CardStatus {
    /// What kind of status it is.
    pub kind: StatusKind,
    /// One or two words for the badge (`Scan the QR`, `Duplicate serial`, `Unplugged`).
    pub word: String,
    /// The icon to draw beside the word.
    pub icon: StatusIcon,
    /// The colour family.
    pub tone: StatusTone,
    /// The one next thing to do (or to know).
    pub next_step: String,
    /// That next step as a step a front end offers (a button), when it is one.
    pub remedy: Option<Remedy>,
}

impl CardStatus {
    /// A status of `kind` with its word and next step.
    pub fn new(kind: StatusKind, word: &str, next_step: impl Into<String>) -> CardStatus {
        CardStatus {
            kind,
            word: word.to_owned(),
            icon: kind.icon(),
            tone: kind.tone(),
            next_step: next_step.into(),
            remedy: None,
        }
    }

    /// With `remedy` as the step to offer.
    pub fn with_remedy(mut self, remedy: Option<Remedy>) -> CardStatus {
        self.remedy = remedy;
        self
    }

    /// What a card shows before anything was derived: it is being read.
    pub fn reading() -> CardStatus {
        CardStatus::new(
            StatusKind::Working,
            "Reading",
            "Wait a moment: the device is being read.",
        )
    }
}

/// Another live card that shows the same identifying serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The serial both show.
    pub serial: String,
    /// The other card's slot number, when it has one.
    pub slot_number: Option<u32>,
    /// The other card's key (shown when it has no slot number).
    pub key: String,
}

/// Settles every card of a bench list in place: findings set aside or brought back for the
/// card's stage, and the one status each card shows (duplicate serials among the live cards
/// noted on both). Run by every publisher after the list is complete and its stages read.
pub fn settle(cards: &mut [BenchDevice]) {
    for card in cards.iter_mut() {
        sort_findings_for_stage(card);
    }
    let serials: Vec<Option<String>> = cards.iter().map(identifying_serial).collect();
    for i in 0..cards.len() {
        let duplicate = serials[i].as_ref().and_then(|serial| {
            let j = (0..cards.len()).find(|&j| {
                j != i && cards[j].unplugged_at.is_none() && serials[j].as_ref() == Some(serial)
            })?;
            Some(Duplicate {
                serial: cards[i].serial.clone().unwrap_or_else(|| serial.clone()),
                slot_number: cards[j].slot_number,
                key: cards[j].key.clone(),
            })
        });
        let duplicate = duplicate.filter(|_| cards[i].unplugged_at.is_none());
        cards[i].status = card_status(&cards[i], duplicate.as_ref());
    }
}

/// The card's serial when it can tell a device apart (not a placeholder or an address), for
/// comparing cards: trimmed, upper case.
fn identifying_serial(card: &BenchDevice) -> Option<String> {
    let serial = card.serial.as_deref()?.trim();
    is_identifying_serial(serial).then(|| serial.to_ascii_uppercase())
}

/// Whether the device is past scanning: its batch saw it enroll, or (in no batch) the device
/// itself says Intune owns it, or Intune shows it.
pub fn past_scanning(card: &BenchDevice) -> bool {
    match &card.stage {
        Some(stage) => stage.stage >= Stage::Enrolling,
        None => {
            card.evidence.as_ref().is_some_and(|e| e.owned_by_intune()) || card.intune.is_some()
        }
    }
}

/// Moves the findings of rules that only matter before staging out of [`BenchDevice::problems`]
/// once the device is past scanning, and back when it is not (so nothing is lost when a card
/// is settled again), keeping blockers first in [`RULES`] order.
fn sort_findings_for_stage(card: &mut BenchDevice) {
    let past = past_scanning(card);
    let mut all = std::mem::take(&mut card.problems);
    all.append(&mut card.set_aside);
    let rank = |rule: &str| RULES.iter().position(|r: &Rule| r.id == rule);
    all.sort_by_key(|f| (f.severity, rank(f.rule)));
    let (aside, shown): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|f| past && RULES.iter().any(|r| r.id == f.rule && r.pre_staging));
    card.problems = shown;
    card.set_aside = aside;
}
