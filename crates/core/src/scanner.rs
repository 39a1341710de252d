//! Barcode scanners: what a scan is, and serial-port scanners.
//!
//! A handheld scanner either types like a keyboard (a "keyboard wedge": the app catches fast
//! keystrokes ending in Enter, see the UI) or sends each scan as a line over a serial port
//! (USB CDC or RS-232). Both end up as text that [`parse_scan`] cleans: CR/LF/Tab terminators,
//! surrounding blanks, and an AIM symbology identifier (`]C0` Code 128, `]Q1` QR, `]E0` EAN-13…)
//! when the scanner is set to send one. A scanned box or device serial then joins the batch at
//! hand ([`crate::batch::ops::link_serial`]) — which is also how Windows serials are captured.
//!
//! The serial port is read on its own thread (blocking I/O stays synchronous, as DESIGN.md
//! asks) and scans are handed over a channel.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

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

/// Why a scan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Nothing but blanks.
    #[error("the scan was empty: scan the label again")]
    Empty,
    /// Longer than [`MAX_SCAN`].
    #[error("the scan is {0} characters long, more than a serial can be: scan the serial barcode, not the enrollment QR")]
    TooLong(usize),
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
        Some(rest) if rest.len() >= 2 && rest.is_char_boundary(2) && rest[..2].chars().all(|c| c.is_ascii_alphanumeric()) => {
            (Some(format!("]{}", &rest[..2])), rest[2..].trim())
        }
        _ => (None, text),
    };
    if text.is_empty() {
        return Err(ScanError::Empty);
    }
    let count = text.chars().count();
    if count > MAX_SCAN {
        return Err(ScanError::TooLong(count));
    }
    if text.chars().any(char::is_control) {
        return Err(ScanError::Garbled);
    }
    Ok(Scan { text: text.to_owned(), symbology })
}

/// Splits a byte stream into scans at CR, LF or Tab (what scanners send as the terminator).
#[derive(Debug, Default)]
pub struct ScanSplitter {
    pending: Vec<u8>,
}

impl ScanSplitter {
    /// Feeds bytes; returns every scan they complete (empty lines are skipped).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<Scan, ScanError>> {
        let mut out = Vec::new();
        for &b in bytes {
            if matches!(b, b'\r' | b'\n' | b'\t') {
                if !self.pending.is_empty() {
                    let line = String::from_utf8_lossy(&self.pending).into_owned();
                    self.pending.clear();
                    out.push(parse_scan(&line));
                }
            } else if self.pending.len() <= MAX_SCAN * 4 {
                self.pending.push(b);
            }
        }
        out
    }
}

/// Why a serial scanner could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SerialScannerError {
    /// The port could not be opened.
    #[error("can't open the scanner port {path}: {reason}; check the path (e.g. /dev/ttyACM0 or COM3), that the scanner is in serial (CDC) mode, and that you may use the port (Linux: the dialout group)")]
    Open {
        /// The port.
        path: String,
        /// Why.
        reason: String,
    },
}

/// A serial-port scanner being read on its own thread; dropping it stops the thread.
#[derive(Debug)]
pub struct SerialScanner {
    rx: mpsc::Receiver<Result<Scan, String>>,
    stop: Arc<AtomicBool>,
}

impl SerialScanner {
    /// Opens `path` at `baud` and starts reading.
    pub fn open(path: &str, baud: u32) -> Result<SerialScanner, SerialScannerError> {
        let mut port = serialport::new(path, baud)
            .timeout(Duration::from_millis(200))
            .open()
            .map_err(|e| SerialScannerError::Open { path: path.to_owned(), reason: e.to_string() })?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let shown = path.to_owned();
        std::thread::Builder::new()
            .name(format!("scanner {path}"))
            .spawn(move || {
                let mut splitter = ScanSplitter::default();
                let mut buf = [0u8; 512];
                while !stopped.load(Ordering::Relaxed) {
                    match port.read(&mut buf) {
                        Ok(n) => {
                            for scan in splitter.feed(&buf[..n]) {
                                if tx.send(scan.map_err(|e| e.to_string())).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(e) => {
                            let _ = tx.send(Err(format!("the scanner on {shown} stopped: {e}; plug it in again and restart the scan")));
                            return;
                        }
                    }
                }
            })
            .map_err(|e| SerialScannerError::Open { path: path.to_owned(), reason: e.to_string() })?;
        Ok(SerialScanner { rx, stop })
    }

    /// The next scan (or a refused one, as its message), waiting up to `timeout`; `None` when
    /// nothing came. A port that failed gives its message once, then nothing more.
    pub fn next(&self, timeout: Duration) -> Option<Result<Scan, String>> {
        self.rx.recv_timeout(timeout).ok()
    }
}

impl Drop for SerialScanner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_are_cleaned_and_aim_identifiers_split_off() {
        assert_eq!(parse_scan("  R5CR100001\r\n").unwrap(), Scan { text: "R5CR100001".into(), symbology: None });
        assert_eq!(parse_scan("]C0PF3WK2X9").unwrap(), Scan { text: "PF3WK2X9".into(), symbology: Some("]C0".into()) });
        assert_eq!(parse_scan(" \r\n"), Err(ScanError::Empty));
        assert_eq!(parse_scan("]C0"), Err(ScanError::Empty));
        assert_eq!(parse_scan("AB\u{1b}CD"), Err(ScanError::Garbled));
        assert!(matches!(parse_scan(&"x".repeat(300)), Err(ScanError::TooLong(300))));
    }

    #[test]
    fn a_byte_stream_splits_into_scans_whatever_the_chunking() {
        let stream = b"R5CR0001\r\n]C1PF3WK2X9\r\n\r\n358240051111110\t";
        for chunk in 1..stream.len() {
            let mut s = ScanSplitter::default();
            let scans: Vec<String> = stream.chunks(chunk).flat_map(|c| s.feed(c)).map(|r| r.unwrap().text).collect();
            assert_eq!(scans, ["R5CR0001", "PF3WK2X9", "358240051111110"], "chunk {chunk}");
        }
    }
}
