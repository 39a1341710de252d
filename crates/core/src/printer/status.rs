//! Is a printer ready to print? Zebra's host status (`~HS`) for raw and serial printers, IPP's
//! `printer-state` and `printer-state-reasons` for IPP ones, both as one [`PrinterStatus`].
//!
//! The `~HS` answer is parsed without I/O ([`HostStatus::parse`]; "not all three strings yet" is
//! a normal answer). Field positions follow Zebra's ZPL II Programming Guide, command `~HS`
//! ("Host Status Return": Volume One 45541L-004 Rev. A, pp. 171–173, and the current
//! docs.zebra.com page for `~HS`): three strings, each `<STX>…<ETX><CR><LF>`,
//!
//! 1. `aaa,b,c,dddd,eee,f,g,h,iii,j,k,l`: interface settings, paper out, pause, label length in
//!    dots, formats in the receive buffer, buffer full, communications diagnostics mode, partial
//!    format in progress, unused (`000`), corrupt RAM, under temperature, over temperature;
//! 2. `mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www`: function settings, unused, head up, ribbon out, thermal
//!    transfer mode, print mode, print width mode, label waiting (peel-off), labels remaining in
//!    the batch, format while printing (always 1), graphic images stored;
//! 3. `xxxx,y`: the printer's password, and whether static RAM is installed. The password is
//!    read past and never kept.
//!
//! The same guide says some printers do not answer `~HS` at all while out of media or ribbon,
//! with the head open, or overheated, and printers that only emulate ZPL often ignore it: so
//! silence is [`Readiness::Unknown`], never an error, and the queue then sends the job anyway.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ipp::IppPrinter;
use super::PrintError;

/// What is sent to ask a Zebra for its status.
pub const HOST_STATUS_QUERY: &[u8] = b"~HS";

/// How long a printer has to answer `~HS` before its status is taken as unknown.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

const STX: u8 = 0x02;
const ETX: u8 = 0x03;

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

/// The fields of a Zebra's `~HS` answer (see the module's notes for where they come from).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostStatus {
    /// String 1 `aaa`: baud, data bits, stop bits, parity and handshake, as a bit field.
    pub interface_settings: u32,
    /// `b`: out of paper (labels).
    pub paper_out: bool,
    /// `c`: paused.
    pub paused: bool,
    /// `dddd`: label length in dots.
    pub label_length_dots: u32,
    /// `eee`: formats waiting in the receive buffer.
    pub formats_in_buffer: u32,
    /// `f`: the receive buffer is full.
    pub buffer_full: bool,
    /// `g`: communications diagnostics mode is on.
    pub diagnostic_mode: bool,
    /// `h`: a format is partly received.
    pub partial_format: bool,
    /// `j`: configuration data lost.
    pub corrupt_ram: bool,
    /// `k`: under temperature.
    pub under_temperature: bool,
    /// `l`: over temperature.
    pub over_temperature: bool,
    /// String 2 `mmm`: media type, sensor profile and diagnostics settings, as a bit field.
    pub function_settings: u32,
    /// `o`: the print head is up (open).
    pub head_up: bool,
    /// `p`: out of ribbon.
    pub ribbon_out: bool,
    /// `q`: thermal transfer mode (else direct thermal).
    pub thermal_transfer: bool,
    /// `r`: print mode as sent (`0` rewind, `1` peel-off, `2` tear-off, `3` cutter, `4`
    /// applicator, `5` delayed cut; newer firmware has more).
    pub print_mode: String,
    /// `s`: print width mode.
    pub print_width_mode: String,
    /// `t`: a label waits to be taken (peel-off mode).
    pub label_waiting: bool,
    /// `uuuuuuuu`: labels left in the batch being printed.
    pub labels_remaining: u32,
    /// `www`: graphic images stored in memory.
    pub graphics_stored: u32,
    /// String 3 `y`: static RAM installed (`None` when the printer left it out).
    pub static_ram: Option<bool>,
}

impl HostStatus {
    /// The print mode's name, when it is one the guide lists.
    pub fn print_mode_name(&self) -> Option<&'static str> {
        Some(match self.print_mode.as_str() {
            "0" => "rewind",
            "1" => "peel-off",
            "2" => "tear-off",
            "3" => "cutter",
            "4" => "applicator",
            "5" => "delayed cut",
            _ => return None,
        })
    }

    /// Reads a `~HS` answer: `Ok(None)` while fewer than three strings have arrived, the status
    /// once all three have. Blank bytes (CR, LF, spaces) between strings are skipped; anything
    /// else outside `<STX>…<ETX>` is an error, as is a string with missing or non-numeric fields.
    pub fn parse(bytes: &[u8]) -> Result<Option<HostStatus>, HostStatusError> {
        let mut strings: Vec<&[u8]> = Vec::with_capacity(3);
        let mut at = 0;
        while strings.len() < 3 {
            while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n' | b' ' | b'\t' | 0) {
                at += 1;
            }
            let Some(&first) = bytes.get(at) else {
                return Ok(None);
            };
            if first != STX {
                return Err(HostStatusError::NotFramed { at, byte: first });
            }
            let body = &bytes[at + 1..];
            match body.iter().position(|&b| b == ETX || b == STX) {
                None => {
                    // Not all there yet; but what has come must already be text.
                    if let Some(bad) = body.iter().position(|b| !(0x20..0x7f).contains(b)) {
                        return Err(HostStatusError::NotFramed {
                            at: at + 1 + bad,
                            byte: body[bad],
                        });
                    }
                    return Ok(None);
                }
                Some(end) if body[end] == STX => {
                    return Err(HostStatusError::NotFramed {
                        at: at + 1 + end,
                        byte: STX,
                    });
                }
                Some(end) => {
                    strings.push(&body[..end]);
                    at += end + 2;
                }
            }
        }
        let s1 = Fields::split(1, strings[0], 12)?;
        let s2 = Fields::split(2, strings[1], 11)?;
        let s3 = Fields::split(3, strings[2], 1)?;
        Ok(Some(HostStatus {
            interface_settings: s1.number(0, "interface settings")?,
            paper_out: s1.flag(1, "paper-out flag")?,
            paused: s1.flag(2, "pause flag")?,
            label_length_dots: s1.number(3, "label length")?,
            formats_in_buffer: s1.number(4, "formats in the buffer")?,
            buffer_full: s1.flag(5, "buffer-full flag")?,
            diagnostic_mode: s1.flag(6, "diagnostics-mode flag")?,
            partial_format: s1.flag(7, "partial-format flag")?,
            // 8 is unused (always 000).
            corrupt_ram: s1.flag(9, "corrupt-RAM flag")?,
            under_temperature: s1.flag(10, "under-temperature flag")?,
            over_temperature: s1.flag(11, "over-temperature flag")?,
            function_settings: s2.number(0, "function settings")?,
            // 1 is unused.
            head_up: s2.flag(2, "head-up flag")?,
            ribbon_out: s2.flag(3, "ribbon-out flag")?,
            thermal_transfer: s2.flag(4, "thermal-transfer flag")?,
            print_mode: s2.text(5),
            print_width_mode: s2.text(6),
            label_waiting: s2.flag(7, "label-waiting flag")?,
            labels_remaining: s2.number(8, "labels remaining")?,
            // 9 is "format while printing", always 1.
            graphics_stored: s2.number(10, "graphics stored")?,
            // Field 0 of string 3 is the printer's password: skipped, never kept.
            static_ram: s3
                .fields
                .get(1)
                .map(|_| s3.flag(1, "static-RAM flag"))
                .transpose()?,
        }))
    }

    /// [`HostStatus::parse`] of an answer that is over (the printer stopped sending): fewer
    /// than three strings is [`HostStatusError::Truncated`].
    pub fn parse_complete(bytes: &[u8]) -> Result<HostStatus, HostStatusError> {
        HostStatus::parse(bytes)?.ok_or_else(|| HostStatusError::Truncated {
            strings: bytes.iter().filter(|&&b| b == ETX).count().min(2),
            bytes: bytes.len(),
        })
    }
}

/// One `~HS` string's comma-separated fields.
struct Fields<'a> {
    string: u8,
    fields: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    fn split(string: u8, body: &'a [u8], at_least: usize) -> Result<Fields<'a>, HostStatusError> {
        let text = std::str::from_utf8(body).map_err(|_| HostStatusError::Fields {
            string,
            expected: at_least,
            found: 0,
        })?;
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        if fields.len() < at_least {
            return Err(HostStatusError::Fields {
                string,
                expected: at_least,
                found: fields.len(),
            });
        }
        Ok(Fields { string, fields })
    }

    fn number(&self, index: usize, name: &'static str) -> Result<u32, HostStatusError> {
        let value = self.fields[index];
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad(index, name));
        }
        value.parse().map_err(|_| self.bad(index, name))
    }

    fn flag(&self, index: usize, name: &'static str) -> Result<bool, HostStatusError> {
        match self.fields[index] {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(self.bad(index, name)),
        }
    }

    fn text(&self, index: usize) -> String {
        self.fields[index].to_owned()
    }

    fn bad(&self, index: usize, name: &'static str) -> HostStatusError {
        HostStatusError::Field {
            string: self.string,
            field: name,
            value: self.fields[index].chars().take(16).collect(),
        }
    }
}

/// Why a `~HS` answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostStatusError {
    /// A byte where a string's `<STX>` should be, or a control byte inside a string.
    #[error("byte {at} of the answer is 0x{byte:02x} where Zebra's ~HS answer has <STX>-framed text: the printer does not answer ~HS as a Zebra does")]
    NotFramed {
        /// Offset in the answer.
        at: usize,
        /// The byte found.
        byte: u8,
    },
    /// The answer stopped early.
    #[error("the ~HS answer stopped after {strings} of its 3 strings ({bytes} bytes): the connection dropped or the printer was slow; ask again")]
    Truncated {
        /// Complete strings received.
        strings: usize,
        /// Bytes received.
        bytes: usize,
    },
    /// A string has fewer fields than the guide lists.
    #[error(
        "~HS string {string} has {found} fields, fewer than the {expected} Zebra's guide lists"
    )]
    Fields {
        /// 1, 2 or 3.
        string: u8,
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A field is not what the guide says it holds.
    #[error("~HS string {string}: the {field} is {value:?}, not a number (flags are 0 or 1)")]
    Field {
        /// 1, 2 or 3.
        string: u8,
        /// Which field.
        field: &'static str,
        /// What it held (at most 16 characters).
        value: String,
    },
}

/// A `~HS` answer as a Zebra sends it, with these flags set and plausible other fields (a
/// 2×1 in label at 203 dpi, 9600 baud 8N1, tear-off mode): for fakes and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostStatusAnswer {
    /// String 1 `b`.
    pub paper_out: bool,
    /// String 1 `c`.
    pub paused: bool,
    /// String 1 `f`.
    pub buffer_full: bool,
    /// String 2 `o`.
    pub head_up: bool,
    /// String 2 `p`.
    pub ribbon_out: bool,
}

impl HostStatusAnswer {
    /// A ready printer.
    pub const READY: HostStatusAnswer = HostStatusAnswer {
        paper_out: false,
        paused: false,
        buffer_full: false,
        head_up: false,
        ribbon_out: false,
    };

    /// The answer's bytes.
    pub fn bytes(self) -> Vec<u8> {
        let flag = |on: bool| if on { '1' } else { '0' };
        format!(
            "\x02030,{},{},0203,000,{},0,0,000,0,0,0\x03\r\n\x02001,0,{},{},0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
            flag(self.paper_out),
            flag(self.paused),
            flag(self.buffer_full),
            flag(self.head_up),
            flag(self.ribbon_out),
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZT410 at 203 dpi, idle, with a 4×6 in label (shaped like the guide's example).
    const READY: &[u8] = b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n";

    #[test]
    fn a_ready_answer_reads_every_field() {
        let status = HostStatus::parse(READY).unwrap().unwrap();
        assert_eq!(status.interface_settings, 30);
        assert_eq!(status.label_length_dots, 1218);
        assert!(!status.paper_out && !status.paused && !status.head_up && !status.ribbon_out);
        assert!(status.thermal_transfer);
        assert_eq!(status.print_mode_name(), Some("tear-off"));
        assert_eq!(status.static_ram, Some(false));
        let printer = PrinterStatus::from_host_status("Zebra-1", status);
        assert_eq!(printer.readiness, Readiness::Ready);
        assert_eq!(printer.hold_message(), None);
        assert_eq!(printer.to_string(), "ready");
    }

    #[test]
    fn paper_out_and_paused_hold_with_what_to_do() {
        let answer = HostStatusAnswer {
            paper_out: true,
            paused: true,
            ..HostStatusAnswer::READY
        }
        .bytes();
        let status = PrinterStatus::from_host_status(
            "Zebra-1",
            HostStatus::parse_complete(&answer).unwrap(),
        );
        assert_eq!(status.readiness, Readiness::NotReady);
        assert_eq!(status.conditions, [Condition::PaperOut, Condition::Paused]);
        assert_eq!(
            status.hold_message().unwrap(),
            "Zebra-1 is out of labels and is paused: load labels, then press PAUSE on the printer to resume and the queue sends it again"
        );
        let alone = HostStatusAnswer {
            paper_out: true,
            ..HostStatusAnswer::READY
        }
        .bytes();
        let status =
            PrinterStatus::from_host_status("Zebra-1", HostStatus::parse_complete(&alone).unwrap());
        assert_eq!(
            status.hold_message().unwrap(),
            "Zebra-1 is out of labels: load labels and the queue sends it again"
        );
    }

    #[test]
    fn head_open_and_ribbon_out_come_from_string_two() {
        let answer = HostStatusAnswer {
            head_up: true,
            ribbon_out: true,
            ..HostStatusAnswer::READY
        }
        .bytes();
        let status =
            PrinterStatus::from_host_status("z", HostStatus::parse_complete(&answer).unwrap());
        assert_eq!(
            status.conditions,
            [Condition::RibbonOut, Condition::HeadOpen]
        );
        assert!(status
            .hold_message()
            .unwrap()
            .contains("load a ribbon, then close the print head"));
    }

    #[test]
    fn warnings_alone_do_not_hold() {
        let answer = b"\x02030,0,0,0406,000,0,0,0,000,1,1,0\x03\r\n\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n";
        let status =
            PrinterStatus::from_host_status("z", HostStatus::parse_complete(answer).unwrap());
        assert_eq!(
            status.conditions,
            [Condition::UnderTemperature, Condition::CorruptRam]
        );
        assert_eq!(
            (status.readiness, status.hold_message()),
            (Readiness::Ready, None)
        );
    }

    #[test]
    fn partial_answers_ask_for_more() {
        for end in [0, 1, 10, 40, READY.len() - 10] {
            assert_eq!(HostStatus::parse(&READY[..end]), Ok(None), "{end} bytes");
        }
        let err = HostStatus::parse_complete(&READY[..40]).unwrap_err();
        assert_eq!(
            err,
            HostStatusError::Truncated {
                strings: 1,
                bytes: 40
            }
        );
        assert!(
            err.to_string().contains("stopped after 1 of its 3 strings"),
            "{err}"
        );
        // Without the last CR LF the answer is still whole.
        assert!(HostStatus::parse(&READY[..READY.len() - 2])
            .unwrap()
            .is_some());
    }

    #[test]
    fn garbled_answers_are_errors_that_say_what() {
        let err = HostStatus::parse(b"@PJL INFO STATUS\r\n").unwrap_err();
        assert_eq!(err, HostStatusError::NotFramed { at: 0, byte: b'@' });
        assert!(
            err.to_string()
                .contains("does not answer ~HS as a Zebra does"),
            "{err}"
        );

        let short = b"\x02030,0,0,1218\x03\r\n\x02001\x03\r\n\x021234\x03\r\n";
        assert_eq!(
            HostStatus::parse(short),
            Err(HostStatusError::Fields {
                string: 1,
                expected: 12,
                found: 4
            })
        );

        let mut flag = READY.to_vec();
        flag[5] = b'7'; // paper-out flag
        let err = HostStatus::parse(&flag).unwrap_err();
        assert_eq!(
            err,
            HostStatusError::Field {
                string: 1,
                field: "paper-out flag",
                value: "7".into()
            }
        );

        let mut framing = READY.to_vec();
        framing[20] = STX;
        assert!(matches!(
            HostStatus::parse(&framing),
            Err(HostStatusError::NotFramed { byte: STX, .. })
        ));
        assert!(matches!(
            HostStatus::parse(b"\x02030,\x1b"),
            Err(HostStatusError::NotFramed { byte: 0x1b, .. })
        ));
    }

    #[test]
    fn the_password_is_never_kept() {
        let status = HostStatus::parse_complete(READY).unwrap();
        assert!(!format!("{status:?}").contains("1234"));
        assert!(!serde_json::to_string(&status).unwrap().contains("1234"));
    }

    #[test]
    fn ipp_states_and_reasons_map_to_conditions() {
        let mut ipp = IppPrinter {
            name: "Office".into(),
            state: "idle".into(),
            ..IppPrinter::default()
        };
        assert_eq!(
            PrinterStatus::from_ipp("Office", &ipp).readiness,
            Readiness::Ready
        );

        ipp.state = "stopped".into();
        ipp.state_reasons = vec![
            "media-empty-error".into(),
            "media-jam".into(),
            "toner-low-warning".into(),
            "cover-open-report".into(),
        ];
        ipp.state_message = Some("Load paper".into());
        let status = PrinterStatus::from_ipp("Office", &ipp);
        assert_eq!(status.readiness, Readiness::NotReady);
        assert_eq!(
            status.conditions,
            [Condition::PaperOut, Condition::MediaJam]
        );
        assert_eq!(status.detail.as_deref(), Some("Load paper"));
        assert_eq!(status.ipp_reasons.len(), 4);

        ipp.state_reasons = vec!["paused".into()];
        assert_eq!(
            PrinterStatus::from_ipp("Office", &ipp).conditions,
            [Condition::Paused]
        );
        ipp.state_reasons = vec!["offline-report".into()];
        assert_eq!(
            PrinterStatus::from_ipp("Office", &ipp).conditions,
            [Condition::Stopped]
        );
        ipp.state = "idle".into();
        ipp.accepting_jobs = Some(false);
        assert_eq!(
            PrinterStatus::from_ipp("Office", &ipp).conditions,
            [Condition::RejectingJobs]
        );
    }
}
