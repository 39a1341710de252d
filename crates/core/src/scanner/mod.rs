//! Barcode scanners: what a scan is, the bench's scanner settings, and serial-port scanners.
//!
//! A handheld scanner either types like a keyboard (a "keyboard wedge": the app catches fast
//! keystrokes ending in Enter, see the UI) or sends each scan as a line over a serial port
//! (USB CDC or RS-232). Both end up as text that [`parse_scan`] cleans: CR/LF/Tab terminators,
//! surrounding blanks, and an AIM symbology identifier (`]C0` Code 128, `]Q1` QR, `]E0` EAN-13…)
//! when the scanner is set to send one. A scanned device serial then joins the batch at hand; a
//! box label is tied to the device in the slot picked ([`box_label`]), never made a device.
//!
//! The serial side (`serial`) lists the ports, reads one on its own thread (blocking I/O
//! stays synchronous, as DESIGN.md asks), and keeps watching a port that went away until the
//! scanner is plugged in again. Which port and baud rate the bench uses are bench settings
//! ([`ScannerSettings`]). Tests stand a socat PTY pair in for the scanner (`pty`, feature
//! `testing`).
//!
//! Layout: this file cleans scans and keeps the settings; `serial` reads ports; [`into_batch`]
//! is the one rule for where a scan goes (a device's serial into the batch asked for, else the
//! active one, else held in the store; any other code to the device in the slot picked, or
//! waiting for one), used by the CLI and the app alike; [`intake`] is the service that reads the
//! bench's scanner into batches and publishes its status and recent scans on a `watch` channel.

pub mod box_label;
pub mod intake;
pub mod into_batch;
#[cfg(feature = "testing")]
pub mod pty;
mod serial;

pub use intake::{ScanRecord, ScannerIntake, ScannerView};
pub use into_batch::{ScanResult, NO_ACTIVE_BATCH, WAITING_FOR_SLOT};
pub use serial::{
    ports, ScannerEvent, ScannerPort, ScannerReadError, ScannerStatus, ScannerWatcher,
    SerialScanner, SerialScannerError,
};

use crate::store::{Store, StoreError};

/// The longest scan accepted (a QR can hold more, but a serial or IMEI never does).
pub const MAX_SCAN: usize = 256;

/// One scan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Scan {
    /// The scanned text, cleaned.
    pub text: String,
    /// The AIM symbology identifier, when the scanner sent one (`]C0`).
    pub symbology: Option<String>,
}

/// Why a scan was refused: a typed reason the front ends word (and the UI may act on); the
/// message says it in the domain's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, ts_rs::TS)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum ScanError {
    /// Nothing but blanks.
    #[error("the scan was empty: scan the label again")]
    Empty,
    /// Longer than [`MAX_SCAN`].
    #[error("the scan is {length} characters long, more than a serial can be: scan the serial barcode, not the enrollment QR")]
    TooLong {
        /// How many characters it had.
        length: usize,
    },
    /// An enrollment, Wi-Fi or web-link QR code, not a serial (its text is never kept: it may
    /// carry a token or a Wi-Fi key).
    #[error("that is a QR code's contents (enrollment, Wi-Fi or a link), not a serial: scan the serial barcode")]
    NotASerial,
    /// Control characters inside (a scanner set to the wrong keyboard layout or baud rate).
    #[error("the scan has control characters in it: check the scanner's baud rate (serial) or keyboard layout (wedge)")]
    Garbled,
}

/// Cleans one scan: terminators and blanks trimmed, an AIM identifier split off.
pub fn parse_scan(raw: &str) -> Result<Scan, ScanError> {
    let text = raw.trim_matches(|c: char| c.is_whitespace());
    if text.is_empty() {
        return Err(ScanError::Empty);
    }
    let (symbology, text) = match text.strip_prefix(']') {
        Some(rest)
            if rest.len() >= 2
                && rest.is_char_boundary(2)
                && rest[..2].chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (Some(format!("]{}", &rest[..2])), rest[2..].trim())
        }
        _ => (None, text),
    };
    if text.is_empty() {
        return Err(ScanError::Empty);
    }
    let count = text.chars().count();
    if count > MAX_SCAN {
        return Err(ScanError::TooLong { length: count });
    }
    if is_qr_payload(text) {
        return Err(ScanError::NotASerial);
    }
    if text.chars().any(char::is_control) {
        return Err(ScanError::Garbled);
    }
    Ok(Scan {
        text: text.to_owned(),
        symbology,
    })
}

/// Text no serial looks like and QR codes hold: an enrollment payload (JSON), Wi-Fi
/// credentials (`WIFI:`), a link.
fn is_qr_payload(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with('{')
        || text
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("WIFI:"))
        || text.contains("://")
}

/// Splits a byte stream into scans at CR, LF or Tab (what scanners send as the terminator).
#[derive(Debug, Default)]
pub struct ScanSplitter {
    pending: Vec<u8>,
}

/// One line a scanner sent: what it said (for showing a refused scan), and the scan.
#[derive(Clone, PartialEq, Eq)]
pub struct ScanLine {
    /// The line as received, terminator removed (may hold control characters or a secret read
    /// by mistake: show it through [`ScanLine::shown`] only).
    pub raw: String,
    /// The cleaned scan, or why it was refused.
    pub scan: Result<Scan, ScanError>,
}

impl ScanLine {
    /// The line as it may be shown next to a refusal: control characters made visible, at most
    /// 24 characters, and nothing at all of a line too long to be a serial (that is an
    /// enrollment QR read by mistake, and may carry its token or Wi-Fi key).
    pub fn shown(&self) -> String {
        shown(&self.raw)
    }
}

impl std::fmt::Debug for ScanLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanLine")
            .field("raw", &self.shown())
            .field("scan", &self.scan)
            .finish()
    }
}

/// See [`ScanLine::shown`].
pub fn shown(raw: &str) -> String {
    let raw = raw.trim_matches(|c: char| c.is_whitespace());
    let count = raw.chars().count();
    if count > MAX_SCAN {
        return format!("({count} characters)");
    }
    if is_qr_payload(raw) {
        return "(a QR code's contents, not shown)".into();
    }
    let mut out = String::new();
    for c in raw.chars().take(24) {
        match c.is_control() {
            true => out.extend(c.escape_unicode()),
            false => out.push(c),
        }
    }
    if count > 24 {
        out.push('…');
    }
    out
}

impl ScanSplitter {
    /// Feeds bytes; returns every scan they complete (empty lines are skipped).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<Scan, ScanError>> {
        self.feed_lines(bytes)
            .into_iter()
            .map(|line| line.scan)
            .collect()
    }

    /// Like [`ScanSplitter::feed`], with each line as received.
    pub fn feed_lines(&mut self, bytes: &[u8]) -> Vec<ScanLine> {
        let mut out = Vec::new();
        for &b in bytes {
            if matches!(b, b'\r' | b'\n' | b'\t') {
                if !self.pending.is_empty() {
                    let raw = String::from_utf8_lossy(&self.pending).into_owned();
                    self.pending.clear();
                    let scan = parse_scan(&raw);
                    out.push(ScanLine { raw, scan });
                }
            } else if self.pending.len() < crate::limits::SCAN_LINE_BYTES {
                self.pending.push(b);
            }
        }
        out
    }
}

/// The next line of `input` (a keyboard-wedge scanner or a pipe), its terminator left off, at
/// most [`crate::limits::SCAN_LINE_BYTES`] of it kept (the rest is skipped, and [`parse_scan`]
/// refuses what was kept as too long); `None` at the end of the input.
pub fn read_scan_line(input: &mut dyn std::io::BufRead) -> std::io::Result<Option<String>> {
    let mut kept = Vec::new();
    let mut read_any = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(read_any.then(|| String::from_utf8_lossy(&kept).into_owned()));
        }
        read_any = true;
        let end = buf.iter().position(|&b| b == b'\n');
        let part = &buf[..end.unwrap_or(buf.len())];
        let room = crate::limits::SCAN_LINE_BYTES.saturating_sub(kept.len());
        kept.extend_from_slice(&part[..part.len().min(room)]);
        let used = end.map_or(buf.len(), |i| i + 1);
        input.consume(used);
        if end.is_some() {
            return Ok(Some(String::from_utf8_lossy(&kept).into_owned()));
        }
    }
}

/// The bench setting holding the scanner's port.
pub const SCANNER_PORT: &str = "scanner_port";
/// The bench setting holding the scanner's baud rate.
pub const SCANNER_BAUD: &str = "scanner_baud";
/// The baud rate USB and RS-232 scanners ship with.
pub const DEFAULT_BAUD: u32 = 9600;
/// The baud rates a scanner can be set to.
pub const BAUD_RATES: &[u32] = &[
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
];

/// Which serial-port scanner the bench reads: no port means no serial scanner (a keyboard
/// wedge needs no setting).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ScannerSettings {
    /// The port (`/dev/ttyACM0`, `COM3`), or none.
    pub port: Option<String>,
    /// The baud rate (USB CDC scanners ignore it; RS-232 ones need it right).
    pub baud: u32,
}

impl Default for ScannerSettings {
    fn default() -> Self {
        ScannerSettings {
            port: None,
            baud: DEFAULT_BAUD,
        }
    }
}

/// Why scanner settings were refused or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScannerSettingsError {
    /// Not a baud rate scanners use.
    #[error("{0} baud is not a rate scanners use: pick one of 1200 to 921600 (most scanners: 9600 or 115200)")]
    Baud(u32),
    /// A port name no system uses.
    #[error("“{0}” is not a serial port name: pick one from the list or type its path (e.g. /dev/ttyACM0 or COM3)")]
    Port(String),
    /// The saved setting is not one this version understands.
    #[error("the saved scanner setting {key} = “{value}” is not valid: set the scanner again on the Settings screen")]
    Saved {
        /// The bench setting.
        key: &'static str,
        /// What it holds.
        value: String,
    },
    /// The bench history.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ScannerSettings {
    /// Checked settings from what a technician typed: a blank port turns the serial scanner off.
    pub fn new(port: &str, baud: u32) -> Result<ScannerSettings, ScannerSettingsError> {
        let port = port.trim();
        if port.len() > 255 || port.chars().any(char::is_control) {
            return Err(ScannerSettingsError::Port(shown(port)));
        }
        if !BAUD_RATES.contains(&baud) {
            return Err(ScannerSettingsError::Baud(baud));
        }
        Ok(ScannerSettings {
            port: (!port.is_empty()).then(|| port.to_owned()),
            baud,
        })
    }

    /// The bench's scanner settings (the defaults when none were saved).
    pub fn load(store: &Store) -> Result<ScannerSettings, ScannerSettingsError> {
        let port = store
            .bench_setting(SCANNER_PORT)?
            .filter(|p| !p.trim().is_empty());
        let baud = match store.bench_setting(SCANNER_BAUD)? {
            None => DEFAULT_BAUD,
            Some(value) => match value.parse() {
                Ok(baud) if BAUD_RATES.contains(&baud) => baud,
                _ => {
                    return Err(ScannerSettingsError::Saved {
                        key: SCANNER_BAUD,
                        value: shown(&value),
                    })
                }
            },
        };
        Ok(ScannerSettings { port, baud })
    }

    /// Saves them as the bench's scanner settings.
    pub fn save(&self, store: &mut Store) -> Result<(), ScannerSettingsError> {
        store.set_bench_setting(SCANNER_PORT, self.port.as_deref())?;
        store.set_bench_setting(SCANNER_BAUD, Some(&self.baud.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn a_line_that_never_ends_is_kept_to_its_limit_and_refused() {
        let mut input: Vec<u8> = vec![b'7'; 10 << 20];
        input.extend_from_slice(b"\r\nR5CR100001\n\nlast");
        let mut reader = std::io::BufReader::new(&input[..]);
        let huge = read_scan_line(&mut reader).unwrap().unwrap();
        assert_eq!(huge.len(), crate::limits::SCAN_LINE_BYTES);
        assert!(matches!(parse_scan(&huge), Err(ScanError::TooLong { .. })));
        let next = read_scan_line(&mut reader).unwrap().unwrap();
        assert_eq!(parse_scan(&next).unwrap().text, "R5CR100001");
        assert_eq!(read_scan_line(&mut reader).unwrap().as_deref(), Some(""));
        assert_eq!(
            read_scan_line(&mut reader).unwrap().as_deref(),
            Some("last")
        );
        assert_eq!(read_scan_line(&mut reader).unwrap(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_are_cleaned_and_aim_identifiers_split_off() {
        assert_eq!(
            parse_scan("  R5CR100001\r\n").unwrap(),
            Scan {
                text: "R5CR100001".into(),
                symbology: None
            }
        );
        assert_eq!(
            parse_scan("]C0PF3WK2X9").unwrap(),
            Scan {
                text: "PF3WK2X9".into(),
                symbology: Some("]C0".into())
            }
        );
        assert_eq!(parse_scan(" \r\n"), Err(ScanError::Empty));
        assert_eq!(parse_scan("]C0"), Err(ScanError::Empty));
        assert_eq!(parse_scan("AB\u{1b}CD"), Err(ScanError::Garbled));
        assert!(matches!(
            parse_scan(&"x".repeat(300)),
            Err(ScanError::TooLong { length: 300 })
        ));
        assert_eq!(
            serde_json::to_value(ScanError::TooLong { length: 300 }).unwrap(),
            serde_json::json!({"reason": "too-long", "length": 300})
        );
        assert_eq!(
            serde_json::to_value(ScanError::NotASerial).unwrap(),
            serde_json::json!({"reason": "not-a-serial"})
        );
    }

    #[test]
    fn qr_contents_are_refused_and_never_shown() {
        for qr in [
            "WIFI:T:WPA;S:Bench;P:correct horse;;",
            "wifi:S:x;;",
            "{\"android.app.extra.PROVISIONING_X\":1}",
            "https://example.com/enroll?token=T0K3N",
        ] {
            assert_eq!(parse_scan(qr), Err(ScanError::NotASerial), "{qr}");
            assert_eq!(shown(qr), "(a QR code's contents, not shown)");
        }
        let line = ScanSplitter::default()
            .feed_lines(b"WIFI:S:Bench;P:hunter22;;\n")
            .remove(0);
        assert!(!format!("{line:?}").contains("hunter22"), "{line:?}");
    }

    #[test]
    fn refused_lines_are_shown_with_control_characters_visible_and_long_ones_not_at_all() {
        let mut s = ScanSplitter::default();
        let lines = s.feed_lines(b"AB\x1bCD\r\n");
        assert_eq!(lines[0].scan, Err(ScanError::Garbled));
        assert_eq!(lines[0].shown(), "AB\\u{1b}CD");
        let qr = format!(
            "{{\"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{{\"token\":\"SECRET\"}}{}",
            " ".repeat(300)
        );
        assert_eq!(
            shown(&format!("{qr}x")),
            format!("({} characters)", qr.len() + 1)
        );
        assert_eq!(
            shown("R5CR1000010000200003000040000"),
            "R5CR10000100002000030000…"
        );
    }

    #[test]
    fn settings_are_checked_saved_and_loaded() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(
            ScannerSettings::load(&store).unwrap(),
            ScannerSettings::default()
        );
        let set = ScannerSettings::new(" /dev/ttyACM0 ", 115200).unwrap();
        assert_eq!(
            set,
            ScannerSettings {
                port: Some("/dev/ttyACM0".into()),
                baud: 115200
            }
        );
        set.save(&mut store).unwrap();
        assert_eq!(ScannerSettings::load(&store).unwrap(), set);
        let off = ScannerSettings::new("  ", 9600).unwrap();
        assert_eq!(off.port, None, "a blank port turns the scanner off");
        off.save(&mut store).unwrap();
        assert_eq!(ScannerSettings::load(&store).unwrap(), off);
        assert!(matches!(
            ScannerSettings::new("COM3", 9601),
            Err(ScannerSettingsError::Baud(9601))
        ));
        assert!(matches!(
            ScannerSettings::new("COM\n3", 9600),
            Err(ScannerSettingsError::Port(_))
        ));
        store.set_bench_setting(SCANNER_BAUD, Some("fast")).unwrap();
        let err = ScannerSettings::load(&store).unwrap_err();
        assert!(
            err.to_string().contains("scanner_baud = “fast”")
                && err.to_string().contains("Settings screen"),
            "{err}"
        );
    }

    #[test]
    fn a_byte_stream_splits_into_scans_whatever_the_chunking() {
        let stream = b"R5CR0001\r\n]C1PF3WK2X9\r\n\r\n358240051111110\t";
        for chunk in 1..stream.len() {
            let mut s = ScanSplitter::default();
            let scans: Vec<String> = stream
                .chunks(chunk)
                .flat_map(|c| s.feed(c))
                .map(|r| r.unwrap().text)
                .collect();
            assert_eq!(
                scans,
                ["R5CR0001", "PF3WK2X9", "358240051111110"],
                "chunk {chunk}"
            );
        }
    }
}
