//! Is a printer ready to print? Zebra's host status (`~HS`) for raw and serial printers, IPP's
//! `printer-state` and `printer-state-reasons` for IPP ones, both as one [`PrinterStatus`].
//!
//! Layout: this file holds [`PrinterStatus`] (readiness and the conditions that hold a job) and
//! how it is made from either answer; `zebra` reads the `~HS` answer ([`HostStatus`]) and
//! writes one for fakes ([`HostStatusAnswer`]); `tests` checks both.
//!
//! Zebra's programming guide says some printers do not answer `~HS` at all while out of media or
//! ribbon, with the head open, or overheated, and printers that only emulate ZPL often ignore
//! it: so silence is [`Readiness::Unknown`], never an error, and the queue then sends the job
//! anyway.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ipp::IppPrinter;
use super::PrintError;

#[cfg(test)]
mod tests;
mod zebra;

pub use zebra::{HostStatus, HostStatusAnswer, HostStatusError, HOST_STATUS_QUERY};

/// How long a printer has to answer `~HS` before its status is taken as unknown.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether a printer can print now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readiness {
    /// It said it is ready.
    Ready,
    /// It said something stops it printing: see [`PrinterStatus::conditions`].
    NotReady,
    /// It did not say (no answer, or one we could not read): jobs are sent anyway.
    Unknown,
    /// Nothing answered at its address.
    Unreachable,
}

impl Readiness {
    /// `ready`, `not ready`, `unknown`, `unreachable`.
    pub fn label(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::NotReady => "not ready",
            Readiness::Unknown => "unknown",
            Readiness::Unreachable => "unreachable",
        }
    }
}

/// Something a printer reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// Out of labels (Zebra paper-out flag, IPP `media-empty`/`media-needed`).
    PaperOut,
    /// Out of ribbon (thermal transfer).
    RibbonOut,
    /// The print head is up (open).
    HeadOpen,
    /// Paused (from the front panel or by a command).
    Paused,
    /// The receive buffer is full.
    BufferFull,
    /// In communications diagnostics mode: it prints what it receives as hex, not labels.
    DiagnosticMode,
    /// The print head is too hot.
    OverTemperature,
    /// The print head is too cold (prints come out light); it still prints.
    UnderTemperature,
    /// The printer lost its configuration; it still prints, maybe with the wrong settings.
    CorruptRam,
    /// Media jammed (IPP `media-jam`).
    MediaJam,
    /// A cover or door is open (IPP `cover-open`, `door-open`, `interlock-open`).
    CoverOpen,
    /// Offline (IPP `offline`).
    Offline,
    /// Stopped (IPP `printer-state` 5) for no reason it names.
    Stopped,
    /// Not accepting jobs (IPP `printer-is-accepting-jobs` false).
    RejectingJobs,
}

impl Condition {
    /// Whether it stops labels from printing (the others are warnings).
    pub fn blocks(self) -> bool {
        !matches!(self, Condition::UnderTemperature | Condition::CorruptRam)
    }

    /// What is wrong, after the printer's name: "is out of labels".
    pub fn problem(self) -> &'static str {
        match self {
            Condition::PaperOut => "is out of labels",
            Condition::RibbonOut => "is out of ribbon",
            Condition::HeadOpen => "has its print head open",
            Condition::Paused => "is paused",
            Condition::BufferFull => "has a full receive buffer",
            Condition::DiagnosticMode => {
                "is in communications diagnostics mode (it prints what it receives as hex)"
            }
            Condition::OverTemperature => "has an overheated print head",
            Condition::UnderTemperature => "has a cold print head (labels may print light)",
            Condition::CorruptRam => "lost its configuration (corrupt RAM; check its settings)",
            Condition::MediaJam => "has a media jam",
            Condition::CoverOpen => "has a cover open",
            Condition::Offline => "is offline",
            Condition::Stopped => "is stopped",
            Condition::RejectingJobs => "is not accepting jobs",
        }
    }

    /// What the technician does about it: "load labels".
    pub fn fix(self) -> &'static str {
        match self {
            Condition::PaperOut => "load labels",
            Condition::RibbonOut => "load a ribbon",
            Condition::HeadOpen => "close the print head",
            Condition::Paused => "press PAUSE on the printer to resume",
            Condition::BufferFull => "let it print what it has",
            Condition::DiagnosticMode => "turn diagnostics off (send ~JE, or power-cycle it)",
            Condition::OverTemperature => "let the head cool down",
            Condition::UnderTemperature => "let it warm up",
            Condition::CorruptRam => "check its settings and save them again",
            Condition::MediaJam => "clear the jam",
            Condition::CoverOpen => "close the cover",
            Condition::Offline => "switch it on and reconnect it",
            Condition::Stopped => "resume it (CUPS: `cupsenable QUEUE`)",
            Condition::RejectingJobs => "let it accept jobs again (CUPS: `cupsaccept QUEUE`)",
        }
    }
}

/// A printer's status as it reported it, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterStatus {
    /// The printer's name on the bench.
    pub printer: String,
    /// Whether it can print now.
    pub readiness: Readiness,
    /// What it reports, blocking or not.
    pub conditions: Vec<Condition>,
    /// Why the status is unknown or unreachable, or the printer's own message (IPP).
    pub detail: Option<String>,
    /// The `~HS` fields, for a Zebra that answered.
    pub host_status: Option<HostStatus>,
    /// IPP `printer-state` (`idle`, `processing`, `stopped`), for an IPP printer.
    pub ipp_state: Option<String>,
    /// IPP `printer-state-reasons` as the printer gave them.
    pub ipp_reasons: Vec<String>,
}

impl PrinterStatus {
    /// A printer that did not say: `detail` is why.
    pub fn unknown(printer: impl Into<String>, detail: impl Into<String>) -> PrinterStatus {
        PrinterStatus::bare(printer, Readiness::Unknown, Some(detail.into()))
    }

    /// A printer nothing answered for: `detail` is the connection error.
    pub fn unreachable(printer: impl Into<String>, detail: impl Into<String>) -> PrinterStatus {
        PrinterStatus::bare(printer, Readiness::Unreachable, Some(detail.into()))
    }

    fn bare(
        printer: impl Into<String>,
        readiness: Readiness,
        detail: Option<String>,
    ) -> PrinterStatus {
        PrinterStatus {
            printer: printer.into(),
            readiness,
            conditions: Vec::new(),
            detail,
            host_status: None,
            ipp_state: None,
            ipp_reasons: Vec::new(),
        }
    }

    /// The status a Zebra's `~HS` answer gives.
    pub fn from_host_status(printer: impl Into<String>, status: HostStatus) -> PrinterStatus {
        let flags = [
            (status.paper_out, Condition::PaperOut),
            (status.ribbon_out, Condition::RibbonOut),
            (status.head_up, Condition::HeadOpen),
            (status.paused, Condition::Paused),
            (status.buffer_full, Condition::BufferFull),
            (status.diagnostic_mode, Condition::DiagnosticMode),
            (status.over_temperature, Condition::OverTemperature),
            (status.under_temperature, Condition::UnderTemperature),
            (status.corrupt_ram, Condition::CorruptRam),
        ];
        let conditions: Vec<Condition> = flags
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| c)
            .collect();
        let mut out = PrinterStatus::bare(printer, Readiness::Ready, None);
        out.readiness = if conditions.iter().any(|c| c.blocks()) {
            Readiness::NotReady
        } else {
            Readiness::Ready
        };
        out.conditions = conditions;
        out.host_status = Some(status);
        out
    }

    /// The status an IPP printer's attributes give (Get-Printer-Attributes). Reasons suffixed
    /// `-warning` or `-report` are kept in [`PrinterStatus::ipp_reasons`] but block nothing.
    pub fn from_ipp(printer: impl Into<String>, ipp: &IppPrinter) -> PrinterStatus {
        let mut conditions = Vec::new();
        for reason in &ipp.state_reasons {
            if reason.ends_with("-warning") || reason.ends_with("-report") {
                continue;
            }
            let keyword = reason.strip_suffix("-error").unwrap_or(reason);
            let condition = match keyword {
                "media-empty" | "media-needed" => Condition::PaperOut,
                "media-jam" => Condition::MediaJam,
                "cover-open" | "door-open" | "interlock-open" => Condition::CoverOpen,
                "paused" | "moving-to-paused" => Condition::Paused,
                "offline" | "shutdown" => Condition::Offline,
                _ => continue,
            };
            if !conditions.contains(&condition) {
                conditions.push(condition);
            }
        }
        if ipp.accepting_jobs == Some(false) {
            conditions.push(Condition::RejectingJobs);
        }
        if ipp.state == "stopped" && !conditions.iter().any(|c| c.blocks()) {
            conditions.push(Condition::Stopped);
        }
        let mut out = PrinterStatus::bare(printer, Readiness::Ready, ipp.state_message.clone());
        out.readiness = if conditions.iter().any(|c| c.blocks()) {
            Readiness::NotReady
        } else {
            Readiness::Ready
        };
        out.conditions = conditions;
        out.ipp_state = Some(ipp.state.clone()).filter(|s| !s.is_empty());
        out.ipp_reasons = ipp.state_reasons.clone();
        out
    }

    /// The conditions that stop it printing.
    pub fn blocking(&self) -> impl Iterator<Item = Condition> + '_ {
        self.conditions.iter().copied().filter(|c| c.blocks())
    }

    /// Why a job waits, with what to do, when something stops the printer: "Zebra-1 is out of
    /// labels: load labels and the queue sends it again". `None` when it is ready or unknown.
    pub fn hold_message(&self) -> Option<String> {
        let blocking: Vec<Condition> = self.blocking().collect();
        if blocking.is_empty() {
            return None;
        }
        let problems: Vec<&str> = blocking.iter().map(|c| c.problem()).collect();
        let fixes: Vec<&str> = blocking.iter().map(|c| c.fix()).collect();
        Some(format!(
            "{} {}: {} and the queue sends it again",
            self.printer,
            problems.join(" and "),
            fixes.join(", then ")
        ))
    }
}

impl fmt::Display for PrinterStatus {
    /// One line: "ready", "not ready: is out of labels, is paused", "unknown (no answer …)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.readiness.label())?;
        if !self.conditions.is_empty() {
            let problems: Vec<&str> = self.conditions.iter().map(|c| c.problem()).collect();
            write!(f, ": {}", problems.join(", "))?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// The status of a raw or serial printer from what it answered to `~HS` within `waited`: no
/// answer is [`Readiness::Unknown`], an unreadable one too (with the reason), a failed
/// connection [`Readiness::Unreachable`].
pub fn from_answer(
    printer: &str,
    answer: Result<Vec<u8>, PrintError>,
    waited: Duration,
) -> PrinterStatus {
    match answer {
        // It answered, with far more than a status: not unreachable, just unreadable.
        Err(e @ PrintError::TooLarge { .. }) => PrinterStatus::unknown(printer, e.to_string()),
        Err(e) => PrinterStatus::unreachable(printer, e.to_string()),
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => PrinterStatus::unknown(
            printer,
            format!(
                "no answer to ~HS within {} ms: printers that only emulate ZPL often ignore it, and some Zebras stay silent while out of media or with the head open",
                waited.as_millis()
            ),
        ),
        Ok(bytes) => match HostStatus::parse_complete(&bytes) {
            Ok(status) => PrinterStatus::from_host_status(printer, status),
            Err(e) => PrinterStatus::unknown(printer, e.to_string()),
        },
    }
}
