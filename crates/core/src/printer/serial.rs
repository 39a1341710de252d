//! Serial label printers: open the port at the printer's baud rate, write the bytes, wait
//! until they have left. The port is blocking I/O, run on tokio's blocking pool.
//!
//! Ports are taken by path as typed (`/dev/ttyUSB0`, `COM3`, a pseudo-terminal in tests):
//! [`ports`] lists what the OS knows, which leaves out pseudo-terminals.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{PrintError, WRITE_TIMEOUT};

/// A serial port the OS lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialPortInfo {
    /// Its path or name.
    pub path: String,
    /// `usb`, `pci`, `bluetooth` or `unknown`.
    pub kind: &'static str,
    /// For USB adapters: maker and product, when known.
    pub description: Option<String>,
}

/// The serial ports the OS lists (an empty list when it cannot tell).
pub fn ports() -> Vec<SerialPortInfo> {
    serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|port| {
            let (kind, description) = match port.port_type {
                serialport::SerialPortType::UsbPort(usb) => (
                    "usb",
                    Some(
                        [usb.manufacturer, usb.product]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                    .filter(|d| !d.is_empty()),
                ),
                serialport::SerialPortType::PciPort => ("pci", None),
                serialport::SerialPortType::BluetoothPort => ("bluetooth", None),
                serialport::SerialPortType::Unknown => ("unknown", None),
            };
            SerialPortInfo {
                path: port.port_name,
                kind,
                description,
            }
        })
        .collect()
}

/// Sends `copies` copies of `bytes` to the port at `path`, at `baud` (8 data bits, no parity,
/// one stop bit, no flow control: the Zebra default).
pub async fn send(
    printer: &str,
    path: &str,
    baud: u32,
    bytes: &[u8],
    copies: u32,
) -> Result<(), PrintError> {
    let (printer, path, bytes) = (printer.to_owned(), path.to_owned(), bytes.to_vec());
    let job_printer = printer.clone();
    let job_path = path.clone();
    tokio::task::spawn_blocking(move || {
        send_blocking(&job_printer, &job_path, baud, &bytes, copies)
    })
    .await
    .unwrap_or_else(|e| {
        Err(PrintError::Serial {
            printer,
            path,
            detail: format!("the sending task stopped: {e}"),
            transient: true,
        })
    })
}

fn send_blocking(
    printer: &str,
    path: &str,
    baud: u32,
    bytes: &[u8],
    copies: u32,
) -> Result<(), PrintError> {
    let fail = |detail: String, transient: bool| failure(printer, path, detail, transient);
    let mut port = open(printer, path, baud)?;
    for _ in 0..copies.max(1) {
        port.write_all(bytes)
            .map_err(|e| fail(format!("write failed: {e}"), true))?;
    }
    port.flush()
        .map_err(|e| fail(format!("flush failed: {e}"), true))?;
    Ok(())
}

/// Sends `request` to the port at `path` and collects the answer until `whole` says it is
/// complete or `wait` runs out; returns what arrived (maybe nothing). Only failing to open the
/// port or to write is an error.
pub async fn query(
    printer: &str,
    path: &str,
    baud: u32,
    request: &[u8],
    wait: Duration,
    whole: impl Fn(&[u8]) -> bool + Send + 'static,
) -> Result<Vec<u8>, PrintError> {
    let (printer, path, request) = (printer.to_owned(), path.to_owned(), request.to_vec());
    let job_printer = printer.clone();
    let job_path = path.clone();
    tokio::task::spawn_blocking(move || {
        query_blocking(&job_printer, &job_path, baud, &request, wait, whole)
    })
    .await
    .unwrap_or_else(|e| {
        Err(PrintError::Serial {
            printer,
            path,
            detail: format!("the status task stopped: {e}"),
            transient: true,
        })
    })
}

fn query_blocking(
    printer: &str,
    path: &str,
    baud: u32,
    request: &[u8],
    wait: Duration,
    whole: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, PrintError> {
    let fail = |detail: String, transient: bool| failure(printer, path, detail, transient);
    let mut port = open(printer, path, baud)?;
    port.write_all(request)
        .map_err(|e| fail(format!("write failed: {e}"), true))?;
    port.flush()
        .map_err(|e| fail(format!("flush failed: {e}"), true))?;
    let deadline = Instant::now() + wait;
    let mut answer = Vec::new();
    let mut buf = [0u8; 256];
    while !whole(&answer) && !super::raw::too_long(&answer) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // Short reads, so the deadline holds however the port's own timeout behaves.
        let _ = port.set_timeout(left.min(Duration::from_millis(100)));
        match port.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(10)),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::TimedOut
                    || e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    super::raw::status_answer(printer, path, answer)
}

/// Opens the port at `baud`, 8N1 without flow control (the Zebra default).
fn open(
    printer: &str,
    path: &str,
    baud: u32,
) -> Result<Box<dyn serialport::SerialPort>, PrintError> {
    let fail = |detail: String, transient: bool| failure(printer, path, detail, transient);
    if baud == 0 {
        return Err(fail(
            "baud rate 0; set the printer's baud rate (e.g. 9600)".into(),
            false,
        ));
    }
    serialport::new(path, baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(WRITE_TIMEOUT)
        .open()
        .map_err(|e| {
            // A missing port (unplugged adapter) or one held by another program may come back;
            // an invalid setting will not.
            let transient = matches!(
                e.kind(),
                serialport::ErrorKind::NoDevice | serialport::ErrorKind::Io(_)
            );
            fail(format!("cannot open at {baud} baud: {e}"), transient)
        })
}

fn failure(printer: &str, path: &str, detail: String, transient: bool) -> PrintError {
    PrintError::Serial {
        printer: printer.to_owned(),
        path: path.to_owned(),
        detail,
        transient,
    }
}
