//! Serial-port scanners: the ports the OS lists, a port read on its own thread, and a watcher
//! that keeps a scanner's port open across unplugging.
//!
//! A USB scanner in serial (CDC) mode is a port that appears when it is plugged in and vanishes
//! when it is pulled: reading it then fails, and opening it fails until it is back. The
//! [`ScannerWatcher`] turns that into a status the technician can act on ("waiting for
//! /dev/ttyACM0 — plug the scanner in") and reopens the port by itself, so a bench never needs
//! a restart after a cable was knocked out.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use serde::Serialize;

use super::{Scan, ScanError, ScanLine, ScanSplitter};

/// How long one read waits for bytes before the reader looks at its stop flag again.
const READ_WAIT: Duration = Duration::from_millis(200);

/// USB vendor ids of barcode-scanner makers, to mark likely scanners in the port list.
const SCANNER_VENDORS: &[(u16, &str)] = &[
    (0x05e0, "Zebra (Symbol)"),
    (0x05f9, "Datalogic"),
    (0x0c2e, "Honeywell"),
];

/// A serial port the OS lists, as the port picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ScannerPort {
    /// Its path or name (`/dev/ttyACM0`, `COM3`): what the settings store.
    pub path: String,
    /// `usb`, `pci`, `bluetooth` or `unknown`.
    pub kind: String,
    /// USB vendor id, when it is a USB port.
    pub vid: Option<u16>,
    /// USB product id, when it is a USB port.
    pub pid: Option<u16>,
    /// What the device says it is (maker and product), when known.
    pub description: Option<String>,
    /// The USB device's serial number, when it has one (tells two identical scanners apart).
    pub serial_number: Option<String>,
    /// Made by a barcode-scanner maker (by USB vendor id).
    pub likely_scanner: bool,
    /// One line for the picker: path, description, `USB vvvv:pppp`.
    pub label: String,
}

/// What a USB port says about its device.
struct UsbFacts<'a> {
    vid: u16,
    pid: u16,
    manufacturer: Option<&'a str>,
    product: Option<&'a str>,
    serial_number: Option<&'a str>,
}

impl<'a> From<&'a serialport::UsbPortInfo> for UsbFacts<'a> {
    fn from(u: &'a serialport::UsbPortInfo) -> Self {
        UsbFacts {
            vid: u.vid,
            pid: u.pid,
            manufacturer: u.manufacturer.as_deref(),
            product: u.product.as_deref(),
            serial_number: u.serial_number.as_deref(),
        }
    }
}

impl ScannerPort {
    fn new(path: String, kind: &str, usb: Option<UsbFacts<'_>>) -> ScannerPort {
        let (vid, pid) = (usb.as_ref().map(|u| u.vid), usb.as_ref().map(|u| u.pid));
        let maker = vid.and_then(|v| SCANNER_VENDORS.iter().find(|(id, _)| *id == v));
        let description = usb
            .as_ref()
            .map(|u| {
                [u.manufacturer, u.product]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|d| !d.trim().is_empty())
            .or_else(|| maker.map(|(_, name)| format!("{name} scanner")));
        let mut label = path.clone();
        if let Some(d) = &description {
            label.push_str(" — ");
            label.push_str(d);
        }
        if let (Some(v), Some(p)) = (vid, pid) {
            label.push_str(&format!(" (USB {v:04x}:{p:04x})"));
        }
        ScannerPort {
            path,
            kind: kind.to_owned(),
            vid,
            pid,
            description,
            serial_number: usb.and_then(|u| u.serial_number.map(str::to_owned)),
            likely_scanner: maker.is_some(),
            label,
        }
    }
}

/// The serial ports the OS lists, likely scanners first, then USB ports, then by path.
/// Pseudo-terminals are not listed: type their path instead.
pub fn ports() -> Result<Vec<ScannerPort>, SerialScannerError> {
    let found = serialport::available_ports().map_err(|e| SerialScannerError::List {
        reason: e.to_string(),
    })?;
    let mut ports: Vec<ScannerPort> = found
        .into_iter()
        .map(|port| match &port.port_type {
            serialport::SerialPortType::UsbPort(usb) => {
                ScannerPort::new(port.port_name, "usb", Some(usb.into()))
            }
            serialport::SerialPortType::PciPort => ScannerPort::new(port.port_name, "pci", None),
            serialport::SerialPortType::BluetoothPort => {
                ScannerPort::new(port.port_name, "bluetooth", None)
            }
            serialport::SerialPortType::Unknown => {
                ScannerPort::new(port.port_name, "unknown", None)
            }
        })
        .collect();
    ports.sort_by(|a, b| {
        (!a.likely_scanner, a.kind != "usb", &a.path).cmp(&(
            !b.likely_scanner,
            b.kind != "usb",
            &b.path,
        ))
    });
    Ok(ports)
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

    #[test]
    fn ports_are_labelled_and_scanner_makers_marked() {
        let usb = UsbFacts {
            vid: 0x0c2e,
            pid: 0x0b61,
            manufacturer: None,
            product: Some("Xenon 1900"),
            serial_number: Some("17081B0123"),
        };
        let port = ScannerPort::new("/dev/ttyACM0".into(), "usb", Some(usb));
        assert_eq!(port.label, "/dev/ttyACM0 — Xenon 1900 (USB 0c2e:0b61)");
        assert!(port.likely_scanner);
        assert_eq!(port.serial_number.as_deref(), Some("17081B0123"));
        let plain = ScannerPort::new("COM1".into(), "pci", None);
        assert_eq!(
            (plain.label.as_str(), plain.likely_scanner, plain.vid),
            ("COM1", false, None)
        );
    }

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
