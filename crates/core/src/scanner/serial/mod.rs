//! Serial-port scanners: the ports the OS lists, a port read on its own thread, and a watcher
//! that keeps a scanner's port open across unplugging.
//!
//! A USB scanner in serial (CDC) mode is a port that appears when it is plugged in and vanishes
//! when it is pulled: reading it then fails, and opening it fails until it is back. The
//! [`ScannerWatcher`] turns that into a status the technician can act on ("waiting for
//! /dev/ttyACM0 — plug the scanner in") and reopens the port by itself, so a bench never needs
//! a restart after a cable was knocked out.
//!
//! Layout: this file reads one port ([`SerialScanner`]); `ports` lists the ports the OS knows
//! and marks likely scanners; `watcher` keeps a scanner's port open across unplugging
//! ([`ScannerWatcher`]) and says where it stands ([`ScannerStatus`]).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::{Scan, ScanError, ScanLine, ScanSplitter};

mod ports;
mod watcher;

pub use ports::{ports, ScannerPort};
pub use watcher::{ScannerEvent, ScannerStatus, ScannerWatcher};

/// How long one read waits for bytes before the reader looks at its stop flag again.
const READ_WAIT: Duration = Duration::from_millis(200);

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
    /// The OS would not list its serial ports.
    #[error("can't list the serial ports: {reason}; type the scanner's port instead (e.g. /dev/ttyACM0 or COM3)")]
    List {
        /// Why.
        reason: String,
    },
}

/// What a [`SerialScanner`] read instead of a scan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScannerReadError {
    /// A line that is not a serial.
    #[error(transparent)]
    Refused(#[from] ScanError),
    /// The port failed (the scanner was unplugged): nothing more comes from it.
    #[error("the scanner on {port} stopped: {reason}; plug it in again and restart the scan")]
    Stopped {
        /// The port.
        port: String,
        /// What the OS said.
        reason: String,
    },
}

fn open(path: &str, baud: u32) -> serialport::Result<Box<dyn serialport::SerialPort>> {
    serialport::new(path, baud).timeout(READ_WAIT).open()
}

/// Reads scans from `port` until `stop` is set or `on_line` returns `false` (`None`), or the
/// port fails (`Some`: a scanner unplugged). A port that says it has nothing more (end of file)
/// has hung up too.
fn read_lines(
    port: &mut dyn Read,
    stop: &AtomicBool,
    mut on_line: impl FnMut(ScanLine) -> bool,
) -> Option<io::Error> {
    let mut splitter = ScanSplitter::default();
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buf) {
            Ok(0) => {
                return Some(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the port hung up",
                ))
            }
            Ok(n) => {
                for line in splitter.feed_lines(&buf[..n]) {
                    if !on_line(line) {
                        return None;
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Some(e),
        }
    }
    None
}

/// A serial-port scanner being read on its own thread; dropping it stops the thread. It reads
/// until the port fails; [`ScannerWatcher`] also waits for the scanner to come back.
#[derive(Debug)]
pub struct SerialScanner {
    rx: mpsc::Receiver<Result<Scan, ScannerReadError>>,
    stop: Arc<AtomicBool>,
}

impl SerialScanner {
    /// Opens `path` at `baud` and starts reading.
    pub fn open(path: &str, baud: u32) -> Result<SerialScanner, SerialScannerError> {
        let mut port = open(path, baud).map_err(|e| SerialScannerError::Open {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let shown = path.to_owned();
        std::thread::Builder::new()
            .name(format!("scanner {path}"))
            .spawn(move || {
                let failed = read_lines(&mut port, &stopped, |line| {
                    tx.send(line.scan.map_err(ScannerReadError::from)).is_ok()
                });
                if let Some(e) = failed {
                    let _ = tx.send(Err(ScannerReadError::Stopped {
                        port: shown,
                        reason: e.to_string(),
                    }));
                }
            })
            .map_err(|e| SerialScannerError::Open {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(SerialScanner { rx, stop })
    }

    /// The next scan (or why a line was refused), waiting up to `timeout`; `None` when nothing
    /// came. A port that failed says [`ScannerReadError::Stopped`] once, then nothing more.
    pub fn next(&self, timeout: Duration) -> Option<Result<Scan, ScannerReadError>> {
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
    use std::collections::VecDeque;

    use super::*;
    use crate::scanner::ScanError;

    /// A port that hands out chunks, a timeout between each, then fails.
    struct Chunks(VecDeque<io::Result<Vec<u8>>>);

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.pop_front() {
                Some(Ok(bytes)) => {
                    buf[..bytes.len()].copy_from_slice(&bytes);
                    Ok(bytes.len())
                }
                Some(Err(e)) => Err(e),
                None => Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone")),
            }
        }
    }

    #[test]
    fn lines_are_read_across_timeouts_until_the_port_fails() {
        let timeout = || Err(io::Error::new(io::ErrorKind::TimedOut, "nothing yet"));
        let mut port = Chunks(VecDeque::from([
            Ok(b"R5CR".to_vec()),
            timeout(),
            Ok(b"0001\r\nAB\x07C\n".to_vec()),
            timeout(),
        ]));
        let mut lines = Vec::new();
        let failed = read_lines(&mut port, &AtomicBool::new(false), |l| {
            lines.push(l);
            true
        });
        assert_eq!(failed.map(|e| e.kind()), Some(io::ErrorKind::BrokenPipe));
        assert_eq!(
            lines[0].scan.as_ref().map(|s| s.text.as_str()),
            Ok("R5CR0001")
        );
        assert_eq!(lines[1].scan, Err(ScanError::Garbled));
        assert_eq!(lines.len(), 2);

        let mut hung_up = Chunks(VecDeque::from([Ok(Vec::new())]));
        assert_eq!(
            read_lines(&mut hung_up, &AtomicBool::new(false), |_| true).map(|e| e.kind()),
            Some(io::ErrorKind::UnexpectedEof)
        );
        let mut stopped = Chunks(VecDeque::new());
        assert!(
            read_lines(&mut stopped, &AtomicBool::new(true), |_| true).is_none(),
            "a stopped reader is not a failure"
        );
    }
}
