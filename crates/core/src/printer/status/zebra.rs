//! Zebra's host status (`~HS`), parsed without I/O ([`HostStatus::parse`]; "not all three
//! strings yet" is a normal answer).
//!
//! Field positions follow Zebra's ZPL II Programming Guide, command `~HS`
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

use serde::Serialize;

/// What is sent to ask a Zebra for its status.
pub const HOST_STATUS_QUERY: &[u8] = b"~HS";

pub(super) const STX: u8 = 0x02;
const ETX: u8 = 0x03;

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
