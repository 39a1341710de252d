//! Watching a scanner's port: open it, read scans, and when it goes away say so and wait for
//! it to come back, reopening it by itself.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{open, read_lines, SerialScannerError};
use crate::scanner::ScanLine;

/// The serial scanner as the technician sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ScannerStatus {
    /// No serial scanner is set (a keyboard wedge needs no setting).
    Off,
    /// Opening the port.
    Opening {
        /// The port.
        port: String,
    },
    /// Reading scans.
    Connected {
        /// The port.
        port: String,
        /// At this rate.
        baud: u32,
    },
    /// The port is not there (the scanner is unplugged, or another program holds it); tried
    /// again every few seconds.
    Waiting {
        /// The port.
        port: String,
        /// What is going on and what to do.
        message: String,
    },
    /// The port is there but can't be used; tried again every few seconds too.
    Failed {
        /// The port.
        port: String,
        /// What went wrong and what to do.
        message: String,
    },
}

impl ScannerStatus {
    /// The status after opening `port` failed with `e`; `lost` when it was connected before.
    fn open_failed(port: &str, e: &serialport::Error, lost: bool) -> ScannerStatus {
        use serialport::ErrorKind;
        let port = port.to_owned();
        match e.kind() {
            ErrorKind::Io(io::ErrorKind::NotFound) if lost => {
                let message =
                    format!("the scanner on {port} went away: waiting for it — plug it back in");
                ScannerStatus::Waiting { port, message }
            }
            ErrorKind::Io(io::ErrorKind::NotFound) => {
                let message = format!("waiting for {port} — plug the scanner in (if it is plugged in: set it to serial/USB CDC mode, or pick its port from the list)");
                ScannerStatus::Waiting { port, message }
            }
            // Unix: the port is held by another program (TIOCEXCL); Windows: no such port.
            ErrorKind::NoDevice => {
                let message = format!("waiting for {port} — plug the scanner in, or close the program that has the port open (a serial terminal, another StageBench)");
                ScannerStatus::Waiting { port, message }
            }
            ErrorKind::Io(io::ErrorKind::PermissionDenied) => {
                let message = format!("not allowed to open {port}: on Linux add your user to the dialout group (sudo usermod -aG dialout $USER) and log in again");
                ScannerStatus::Failed { port, message }
            }
            _ => {
                let message = format!("can't open {port}: {e}; check the port and the baud rate");
                ScannerStatus::Failed { port, message }
            }
        }
    }
}

/// What a [`ScannerWatcher`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerEvent {
    /// The status changed.
    Status(ScannerStatus),
    /// The scanner sent a line.
    Line(ScanLine),
}

/// Reads a scanner's port on its own thread and keeps reading across unplugging: when the port
/// fails or is not there, the watcher says so and tries again every `retry`. Dropping it stops
/// the thread (within a fraction of a second; no event is sent after the drop returns, except
/// one already being delivered).
#[derive(Debug)]
pub struct ScannerWatcher {
    stop: Arc<AtomicBool>,
}

impl ScannerWatcher {
    /// Starts watching `port` at `baud`; every status change and every line goes to `on_event`,
    /// on the watcher's thread.
    pub fn start(
        port: &str,
        baud: u32,
        retry: Duration,
        mut on_event: impl FnMut(ScannerEvent) + Send + 'static,
    ) -> Result<ScannerWatcher, SerialScannerError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let path = port.to_owned();
        std::thread::Builder::new()
            .name(format!("scanner {port}"))
            .spawn(move || {
                let mut last: Option<ScannerStatus> = None;
                let mut status = |status: ScannerStatus, on_event: &mut dyn FnMut(ScannerEvent)| {
                    if last.as_ref() != Some(&status) && !stopped.load(Ordering::Relaxed) {
                        last = Some(status.clone());
                        on_event(ScannerEvent::Status(status));
                    }
                };
                status(ScannerStatus::Opening { port: path.clone() }, &mut on_event);
                let mut lost = false;
                while !stopped.load(Ordering::Relaxed) {
                    match open(&path, baud) {
                        Ok(mut serial) => {
                            status(ScannerStatus::Connected { port: path.clone(), baud }, &mut on_event);
                            let failed = read_lines(&mut serial, &stopped, |line| {
                                if !stopped.load(Ordering::Relaxed) {
                                    on_event(ScannerEvent::Line(line));
                                }
                                true
                            });
                            match failed {
                                None => return,
                                Some(e) => {
                                    tracing::info!(port = %path, error = %e, "the scanner's port went away");
                                    lost = true;
                                    // Reopen at once: a port that is back (or never left) shows as connected again.
                                    continue;
                                }
                            }
                        }
                        Err(e) => status(ScannerStatus::open_failed(&path, &e, lost), &mut on_event),
                    }
                    sleep_unless(&stopped, retry);
                }
            })
            .map_err(|e| SerialScannerError::Open { path: port.to_owned(), reason: e.to_string() })?;
        Ok(ScannerWatcher { stop })
    }
}

impl Drop for ScannerWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Sleeps for `total` in short steps, returning early once `stop` is set.
fn sleep_unless(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::Relaxed) {
        let now = left.min(step);
        std::thread::sleep(now);
        left -= now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_failures_say_what_to_do() {
        let missing = serialport::Error::new(
            serialport::ErrorKind::Io(io::ErrorKind::NotFound),
            "No such file",
        );
        let ScannerStatus::Waiting { message, .. } =
            ScannerStatus::open_failed("/dev/ttyACM0", &missing, false)
        else {
            panic!()
        };
        assert!(
            message.starts_with("waiting for /dev/ttyACM0 — plug the scanner in"),
            "{message}"
        );
        let ScannerStatus::Waiting { message, .. } =
            ScannerStatus::open_failed("/dev/ttyACM0", &missing, true)
        else {
            panic!()
        };
        assert!(
            message.contains("went away") && message.contains("plug it back in"),
            "{message}"
        );
        let denied = serialport::Error::new(
            serialport::ErrorKind::Io(io::ErrorKind::PermissionDenied),
            "Permission denied",
        );
        let ScannerStatus::Failed { message, .. } =
            ScannerStatus::open_failed("/dev/ttyACM0", &denied, false)
        else {
            panic!()
        };
        assert!(message.contains("dialout"), "{message}");
    }
}
