//! Raw TCP printing ("port 9100", JetDirect/AppSocket): connect, write the bytes, close.
//!
//! A printer that takes the bytes keeps the connection open until we close our side, then
//! closes its own. One that drops the connection with our data still unread answers with a
//! reset, which is the only sign a raw printer gives that a label did not go through: so after
//! writing we half-close and wait briefly for its close, and a reset then is an error.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{PrintError, CONNECT_TIMEOUT, WRITE_TIMEOUT};

/// How long to wait for the printer's close after ours before taking the job as delivered.
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Sends `copies` copies of `bytes` to `host:port`, one connection for all.
pub async fn send(
    printer: &str,
    host: &str,
    port: u16,
    bytes: &[u8],
    copies: u32,
) -> Result<(), PrintError> {
    let address = format!("{host}:{port}");
    let mut stream = connect(printer, host, port, &address).await?;
    let broken = |source: std::io::Error| PrintError::ClosedEarly {
        printer: printer.to_owned(),
        address: address.clone(),
        source,
    };
    let timed_out = |what| PrintError::Timeout {
        printer: printer.to_owned(),
        address: address.clone(),
        what,
        timeout: WRITE_TIMEOUT,
    };
    for _ in 0..copies.max(1) {
        match timeout(WRITE_TIMEOUT, stream.write_all(bytes)).await {
            Err(_) => return Err(timed_out("take the data")),
            Ok(result) => result.map_err(broken)?,
        }
    }
    match timeout(WRITE_TIMEOUT, stream.shutdown()).await {
        Err(_) => return Err(timed_out("take the data")),
        Ok(result) => result.map_err(broken)?,
    }
    // Anything the printer sends back is read and dropped; its close ends the job, a reset
    // means it did not take everything, and silence is a printer that keeps connections open.
    let mut sink = [0u8; 512];
    let drain = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    };
    match timeout(CLOSE_WAIT, drain).await {
        Ok(Err(source)) => Err(broken(source)),
        Ok(Ok(())) | Err(_) => Ok(()),
    }
}

/// Sends `request` to `host:port` and collects the answer until `whole` says it is complete,
/// the printer closes, or `wait` runs out; returns what arrived (maybe nothing: many printers
/// never answer). Failing to connect or to send is an error, and so is an answer longer than
/// [`crate::limits::PRINTER_STATUS`] (reading stops there).
pub async fn query(
    printer: &str,
    host: &str,
    port: u16,
    request: &[u8],
    wait: Duration,
    whole: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, PrintError> {
    let address = format!("{host}:{port}");
    let mut stream = connect(printer, host, port, &address).await?;
    match timeout(wait, stream.write_all(request)).await {
        Err(_) => {
            return Err(PrintError::Timeout {
                printer: printer.to_owned(),
                address,
                what: "take the data",
                timeout: wait,
            })
        }
        Ok(Err(source)) => {
            return Err(PrintError::ClosedEarly {
                printer: printer.to_owned(),
                address,
                source,
            })
        }
        Ok(Ok(())) => {}
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if whole(&answer) || too_long(&answer) {
                        return;
                    }
                }
            }
        }
    };
    let _ = timeout(wait, read).await;
    status_answer(printer, &address, answer)
}

/// Whether a status answer is past [`crate::limits::PRINTER_STATUS`].
pub(super) fn too_long(answer: &[u8]) -> bool {
    answer.len() as u64 > crate::limits::PRINTER_STATUS.bytes
}

/// `answer`, unless it ran past [`crate::limits::PRINTER_STATUS`].
pub(super) fn status_answer(
    printer: &str,
    address: &str,
    answer: Vec<u8>,
) -> Result<Vec<u8>, PrintError> {
    if !too_long(&answer) {
        return Ok(answer);
    }
    Err(PrintError::TooLarge {
        printer: printer.to_owned(),
        source: crate::limits::PRINTER_STATUS.exceeded(format!("from {address}"), None),
    })
}

/// A connection to `host:port` within [`CONNECT_TIMEOUT`].
async fn connect(
    printer: &str,
    host: &str,
    port: u16,
    address: &str,
) -> Result<TcpStream, PrintError> {
    match timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port))).await {
        Err(_) => Err(PrintError::Timeout {
            printer: printer.to_owned(),
            address: address.to_owned(),
            what: "accept the connection",
            timeout: CONNECT_TIMEOUT,
        }),
        Ok(Err(source)) => Err(PrintError::Connect {
            printer: printer.to_owned(),
            address: address.to_owned(),
            source,
        }),
        Ok(Ok(stream)) => Ok(stream),
    }
}
