//! Why a document did not reach a printer, whether trying again can help, and the remedy when
//! the printer's settings are at fault.

use std::time::Duration;

use crate::remedy::{HasRemedy, Remedy};

/// Why a document did not reach a printer. Every message names the printer and the next step;
/// [`PrintError::is_transient`] says whether trying again can help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// Nothing answered at the address.
    #[error("printer {printer}: cannot connect to {address}: {source}; check that it is on and on the network, and the address")]
    Connect {
        /// Printer name.
        printer: String,
        /// Where.
        address: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The printer did not answer in time.
    #[error("printer {printer}: {address} did not {what} within {}s; check that it is on and not busy with another job", timeout.as_secs())]
    Timeout {
        /// Printer name.
        printer: String,
        /// Where.
        address: String,
        /// What it did not do: `accept the connection`, `take the data`, `answer`.
        what: &'static str,
        /// How long we waited.
        timeout: Duration,
    },
    /// The connection broke while sending.
    #[error("printer {printer}: {address} closed the connection before taking the whole label ({source}); check the printer for errors (head open, out of media) and retry")]
    ClosedEarly {
        /// Printer name.
        printer: String,
        /// Where.
        address: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The address or URL cannot be used.
    #[error("printer {printer}: bad address {address:?}: {detail}; save printer {printer} again with a correct address")]
    BadAddress {
        /// Printer name.
        printer: String,
        /// The address.
        address: String,
        /// What is wrong.
        detail: String,
    },
    /// The printer does not take this kind of document at all.
    #[error("printer {printer}: a {target} printer does not take {kind}; {hint}")]
    WrongDocument {
        /// Printer name.
        printer: String,
        /// `ipp`, `raw` or `serial`.
        target: &'static str,
        /// What was sent.
        kind: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// The serial port could not be opened or written.
    #[error("printer {printer}: serial port {path}: {detail}; check the cable and the port name against the bench's serial ports, and that no other program holds it")]
    Serial {
        /// Printer name.
        printer: String,
        /// The port.
        path: String,
        /// What failed.
        detail: String,
        /// Whether the port is missing or busy (worth retrying) rather than refused.
        transient: bool,
    },
    /// The HTTP side of IPP failed (no IPP answer).
    #[error("printer {printer}: {url} answered HTTP {status}; {hint}")]
    Http {
        /// Printer name.
        printer: String,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What to do.
        hint: &'static str,
    },
    /// The IPP printer refused the request.
    #[error("printer {printer}: {status}{}: {hint}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Ipp {
        /// Printer name.
        printer: String,
        /// The IPP status keyword, e.g. `client-error-document-format-not-supported`.
        status: String,
        /// The printer's own `status-message`, if any.
        message: Option<String>,
        /// What to do.
        hint: String,
        /// Whether trying again later can help (`server-error-busy`, …).
        transient: bool,
        /// The printer (or job) was not found at its URL: check the printer's address.
        not_found: bool,
    },
    /// The answer was not IPP.
    #[error("printer {printer}: {url} did not answer in IPP ({detail}); check that the URL is an IPP printer, e.g. ipp://host:631/printers/NAME")]
    Protocol {
        /// Printer name.
        printer: String,
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The printer's answer (IPP, or a status answer) was larger than its limit
    /// ([`crate::limits::IPP_RESPONSE`], [`crate::limits::PRINTER_STATUS`]); it was cut there.
    #[error("printer {printer}: {source}")]
    TooLarge {
        /// Printer name.
        printer: String,
        /// The limit and what to do.
        source: crate::limits::InputError,
    },
}

impl PrintError {
    /// Whether trying again later can help: connection refused, timeouts, a busy printer.
    pub fn is_transient(&self) -> bool {
        match self {
            PrintError::Connect { .. }
            | PrintError::Timeout { .. }
            | PrintError::ClosedEarly { .. } => true,
            PrintError::Serial { transient, .. } | PrintError::Ipp { transient, .. } => *transient,
            PrintError::Http { status, .. } => *status >= 500,
            PrintError::BadAddress { .. }
            | PrintError::WrongDocument { .. }
            | PrintError::Protocol { .. }
            | PrintError::TooLarge { .. } => false,
        }
    }
}

impl HasRemedy for PrintError {
    /// Checking the printer's address when it is wrong or leads nowhere; the other causes are
    /// at the printer (media, cable, queue) and their messages say what to do there.
    fn remedy(&self) -> Option<Remedy> {
        match self {
            PrintError::BadAddress { printer, .. }
            | PrintError::Serial { printer, .. }
            | PrintError::TooLarge { printer, .. } => Some(Remedy::CheckPrinter {
                name: printer.clone(),
            }),
            PrintError::Http {
                printer,
                status: 404,
                ..
            } => Some(Remedy::CheckPrinter {
                name: printer.clone(),
            }),
            PrintError::Ipp {
                printer,
                not_found: true,
                ..
            } => Some(Remedy::CheckPrinter {
                name: printer.clone(),
            }),
            PrintError::Connect { .. }
            | PrintError::Timeout { .. }
            | PrintError::ClosedEarly { .. }
            | PrintError::WrongDocument { .. }
            | PrintError::Http { .. }
            | PrintError::Ipp { .. }
            | PrintError::Protocol { .. } => None,
        }
    }
}
