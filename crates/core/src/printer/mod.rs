//! Label printers: where already-rendered labels (PDF, PNG or ZPL bytes) go, and the queue that
//! gets them there.
//!
//! Layout: this file holds the printer settings ([`PrinterConfig`], [`PrinterTarget`]), the
//! document ([`Document`]), the errors ([`PrintError`], each transient or permanent and naming
//! the printer and the fix) and the one seam the queue needs ([`PrintTransport`]). The adapters
//! are [`ipp`] (CUPS and IPP Everywhere printers, listing included), [`raw`] (TCP port 9100,
//! Zebra) and [`serial`]; [`SystemPrinters`] picks one by target. [`status`] reads whether a
//! printer is ready (Zebra `~HS`, IPP printer state). [`queue`] drains the store's `print_jobs`
//! table through any transport, holding ZPL jobs while a Zebra says it cannot print; `saved`
//! turns the store's printer rows into [`PrinterConfig`]s ([`PrinterStore`]); [`worker`] is the
//! service that drains the queue in the background and publishes it on a `watch` channel.
//! Rendering labels is not here (the `label` module, a floor above). With the `testing`
//! feature, [`fake`] is a Zebra on a local TCP port that answers `~HS` as told and keeps what it
//! is sent.
//!
//! Everything here is portable: IPP and raw TCP are plain sockets, serial ports go through the
//! `serialport` crate on Linux, macOS and Windows.

#[cfg(any(test, feature = "testing"))]
pub mod fake;
pub mod ipp;
pub mod queue;
pub mod raw;
mod saved;
pub mod serial;
pub mod status;
pub mod worker;

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::remedy::{HasRemedy, Remedy};

pub use ipp::{IppClient, IppJob, IppJobState, IppPrinter};
pub use queue::{drain_once, PrintDrainReport};
pub use saved::{test_label, PrinterStore};
pub use status::{Condition, HostStatus, HostStatusError, PrinterStatus, Readiness};
pub use worker::{PrintWorker, QueueJob, QueueState};

/// The port Zebra and most label printers take raw jobs on.
pub const RAW_PORT: u16 = 9100;

/// How long a connection to a printer may take before the attempt counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one write (or an IPP request as a whole) may stall.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Resolutions a printer may be saved with, and PNG and PDF labels rendered at (ZPL: only the
/// print head's, `label::ZPL_DPIS`).
pub const DPI_RANGE: std::ops::RangeInclusive<u32> = 72..=2400;

/// What a document is, so the right printer gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// A PDF at the label's physical size (IPP printers, sheets).
    Pdf,
    /// A PNG at the printer's resolution (IPP printers that take images).
    Png,
    /// Zebra Programming Language (raw TCP and serial thermal printers).
    Zpl,
}

impl DocumentKind {
    /// The name used in the store and on the command line: `pdf`, `png`, `zpl`.
    pub fn name(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Png => "png",
            DocumentKind::Zpl => "zpl",
        }
    }

    /// The MIME type sent as IPP `document-format`.
    pub fn mime(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Png => "image/png",
            DocumentKind::Zpl => "application/vnd.zebra-zpl",
        }
    }

    /// The name people read: `PDF`, `PNG`, `ZPL`.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "PDF",
            DocumentKind::Png => "PNG",
            DocumentKind::Zpl => "ZPL",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<DocumentKind> for String {
    fn from(kind: DocumentKind) -> String {
        kind.name().to_owned()
    }
}

impl FromStr for DocumentKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [DocumentKind::Pdf, DocumentKind::Png, DocumentKind::Zpl]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown document kind {s:?}; use pdf, png or zpl"))
    }
}

/// A rendered label or sheet, ready to print.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    /// What the bytes are.
    pub kind: DocumentKind,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The job's title (IPP `job-name`); ignored by raw and serial printers.
    pub title: String,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .field("title", &self.title)
            .finish()
    }
}

/// How a printer is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PrinterTarget {
    /// An IPP printer or CUPS queue: `ipp://host:631/printers/NAME` (also `ipps://`, `http://`,
    /// `https://`).
    Ipp {
        /// The printer's URI.
        url: String,
    },
    /// A raw TCP socket (Zebra "port 9100"): the document's bytes go as they are.
    Raw {
        /// Host name or address.
        host: String,
        /// TCP port, usually [`RAW_PORT`].
        port: u16,
    },
    /// A serial port (USB-serial adapter, RS-232): the bytes go as they are.
    Serial {
        /// The port: `/dev/ttyUSB0`, `COM3`, or any path (pseudo-terminals are not listed by the
        /// OS, so the path is taken as typed).
        path: String,
        /// Baud rate, e.g. 9600.
        baud: u32,
    },
}

impl PrinterTarget {
    /// `ipp`, `raw` or `serial`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            PrinterTarget::Ipp { .. } => "ipp",
            PrinterTarget::Raw { .. } => "raw",
            PrinterTarget::Serial { .. } => "serial",
        }
    }

    /// Where it is: the URL, `host:port`, or the port path.
    pub fn address(&self) -> String {
        match self {
            PrinterTarget::Ipp { url } => url.clone(),
            PrinterTarget::Raw { host, port } => format!("{host}:{port}"),
            PrinterTarget::Serial { path, .. } => path.clone(),
        }
    }

    /// Whether this kind of printer takes `kind` at all (an IPP printer may still refuse a
    /// format; it says so when asked to print).
    pub fn takes(&self, kind: DocumentKind) -> bool {
        match self {
            PrinterTarget::Ipp { .. } => kind != DocumentKind::Zpl,
            PrinterTarget::Raw { .. } | PrinterTarget::Serial { .. } => kind == DocumentKind::Zpl,
        }
    }

    /// The target a kind (`ipp`, `raw`, `serial`) and an address describe, checked: an IPP URL
    /// must be one, a raw address is `HOST[:PORT]`, a serial port gets `baud` (9600 when left
    /// out). `printer` names the printer in errors.
    pub fn from_kind(
        printer: &str,
        kind: &str,
        address: &str,
        baud: Option<u32>,
    ) -> Result<PrinterTarget, String> {
        let address = address.trim();
        if address.is_empty() {
            return Err(format!(
                "say how to reach {printer}: an IPP URL, a HOST:PORT, or a serial port"
            ));
        }
        match kind {
            "ipp" => {
                ipp::http_url(printer, address).map_err(|e| e.to_string())?;
                Ok(PrinterTarget::Ipp {
                    url: address.to_owned(),
                })
            }
            "raw" => PrinterTarget::parse_raw(address),
            "serial" => Ok(PrinterTarget::Serial {
                path: address.to_owned(),
                baud: baud.unwrap_or(9600),
            }),
            other => Err(format!(
                "{other:?} is not a printer kind: use ipp, raw or serial"
            )),
        }
    }

    /// A raw target from `HOST:PORT` or `HOST` (port [`RAW_PORT`]); `[::1]:9100` for IPv6.
    pub fn parse_raw(address: &str) -> Result<PrinterTarget, String> {
        let address = address.trim();
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(':') => {
                let port = port.parse::<u16>().map_err(|_| {
                    format!("bad port in {address:?}; write HOST:PORT, e.g. 10.0.0.5:9100")
                })?;
                (host.trim_start_matches('[').trim_end_matches(']'), port)
            }
            _ => (address, RAW_PORT),
        };
        if host.is_empty() || port == 0 {
            return Err(format!(
                "bad printer address {address:?}; write HOST:PORT, e.g. 10.0.0.5:9100"
            ));
        }
        Ok(PrinterTarget::Raw {
            host: host.to_owned(),
            port,
        })
    }
}

/// A printer the bench knows by name, with what labels for it are rendered at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterConfig {
    /// The name technicians pick it by (unique on the bench).
    pub name: String,
    /// How it is reached.
    pub target: PrinterTarget,
    /// Its resolution in dots per inch (203, 300, 600), when known.
    pub dpi: Option<u32>,
    /// Its media, e.g. `2x1in`, `4x6in`, `50x30mm`, `A4`.
    pub media: Option<String>,
}

/// What a printer said when it took a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// The printer's own job reference, when it has one (IPP: the `job-uri`).
    pub remote_job: Option<String>,
}

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
            | PrintError::Protocol { .. } => false,
        }
    }
}

impl HasRemedy for PrintError {
    /// Checking the printer's address when it is wrong or leads nowhere; the other causes are
    /// at the printer (media, cable, queue) and their messages say what to do there.
    fn remedy(&self) -> Option<Remedy> {
        match self {
            PrintError::BadAddress { printer, .. } | PrintError::Serial { printer, .. } => {
                Some(Remedy::CheckPrinter {
                    name: printer.clone(),
                })
            }
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

/// Refuses, before anything is sent, a document the printer's kind cannot take.
pub fn check_document(printer: &PrinterConfig, kind: DocumentKind) -> Result<(), PrintError> {
    if printer.target.takes(kind) {
        return Ok(());
    }
    Err(PrintError::WrongDocument {
        printer: printer.name.clone(),
        target: printer.target.kind_name(),
        kind: kind.label(),
        hint: match printer.target {
            PrinterTarget::Ipp { .. } => "render the label as PDF (or PNG) for this printer, or add the Zebra as a raw or serial printer",
            _ => "render the label as ZPL for this printer, or print the PDF to an IPP/CUPS printer",
        },
    })
}

/// The seam between the print queue and printers: the real one is [`SystemPrinters`]; tests
/// pass fakes that fail on cue.
pub trait PrintTransport {
    /// Sends `copies` copies of `document` to `printer`.
    fn send(
        &self,
        printer: &PrinterConfig,
        document: &Document,
        copies: u32,
    ) -> impl Future<Output = Result<Sent, PrintError>> + Send;

    /// Whether `printer` is ready. The queue asks before sending ZPL to a raw or serial
    /// printer and holds the job while a blocking condition lasts. A transport that cannot tell
    /// says [`Readiness::Unknown`] (the default), and jobs go as before.
    fn status(&self, printer: &PrinterConfig) -> impl Future<Output = PrinterStatus> + Send {
        let name = printer.name.clone();
        async move {
            PrinterStatus::unknown(
                name,
                "this transport does not ask printers for their status",
            )
        }
    }
}

/// The real printers: IPP over HTTP, raw TCP and serial ports.
#[derive(Debug, Clone)]
pub struct SystemPrinters {
    ipp: IppClient,
    user: String,
    status_timeout: Duration,
}

impl SystemPrinters {
    /// Printers reached with `ipp`, submitting IPP jobs as `user` (IPP `requesting-user-name`).
    pub fn new(ipp: IppClient, user: impl Into<String>) -> SystemPrinters {
        SystemPrinters {
            ipp,
            user: user.into(),
            status_timeout: status::STATUS_TIMEOUT,
        }
    }

    /// How long a raw or serial printer has to answer `~HS` (default
    /// [`status::STATUS_TIMEOUT`]).
    pub fn with_status_timeout(mut self, wait: Duration) -> SystemPrinters {
        self.status_timeout = wait;
        self
    }
}

impl PrintTransport for SystemPrinters {
    async fn send(
        &self,
        printer: &PrinterConfig,
        document: &Document,
        copies: u32,
    ) -> Result<Sent, PrintError> {
        check_document(printer, document.kind)?;
        match &printer.target {
            PrinterTarget::Ipp { url } => {
                let job = self
                    .ipp
                    .print_job(&printer.name, url, document, copies, &self.user)
                    .await?;
                Ok(Sent {
                    remote_job: Some(job.uri.unwrap_or_else(|| format!("{url} job {}", job.id))),
                })
            }
            PrinterTarget::Raw { host, port } => {
                raw::send(&printer.name, host, *port, &document.bytes, copies).await?;
                Ok(Sent::default())
            }
            PrinterTarget::Serial { path, baud } => {
                serial::send(&printer.name, path, *baud, &document.bytes, copies).await?;
                Ok(Sent::default())
            }
        }
    }

    async fn status(&self, printer: &PrinterConfig) -> PrinterStatus {
        let wait = self.status_timeout;
        let whole = |answer: &[u8]| !matches!(HostStatus::parse(answer), Ok(None));
        let answer = match &printer.target {
            PrinterTarget::Ipp { url } => {
                return match self.ipp.printer_attributes(&printer.name, url).await {
                    Ok(attributes) => PrinterStatus::from_ipp(&printer.name, &attributes),
                    Err(e @ (PrintError::Connect { .. } | PrintError::Timeout { .. })) => {
                        PrinterStatus::unreachable(&printer.name, e.to_string())
                    }
                    Err(e) => PrinterStatus::unknown(&printer.name, e.to_string()),
                }
            }
            PrinterTarget::Raw { host, port } => {
                raw::query(
                    &printer.name,
                    host,
                    *port,
                    status::HOST_STATUS_QUERY,
                    wait,
                    whole,
                )
                .await
            }
            PrinterTarget::Serial { path, baud } => {
                serial::query(
                    &printer.name,
                    path,
                    *baud,
                    status::HOST_STATUS_QUERY,
                    wait,
                    whole,
                )
                .await
            }
        };
        status::from_answer(&printer.name, answer, wait)
    }
}

/// A one-page test PDF, `width_pt` × `height_pt` points, with `text` and a QR code of `text`
/// (`stagebench printers test`).
pub fn test_pdf(text: &str, width_pt: f32, height_pt: f32) -> Vec<u8> {
    use crate::pdf::{Font, PdfDocument};
    let mut doc = PdfDocument::new().with_title("StageBench printer test");
    let page = doc.add_page(width_pt, height_pt);
    let margin = 6.0;
    if let Ok(qr) = crate::qr::QrCode::encode(text.as_bytes()) {
        let side = qr.side_modules();
        let dark: Vec<bool> = (0..side * side)
            .map(|i| {
                // side_modules includes the quiet zone; is_dark takes module coordinates.
                let quiet = (side - qr.width()) / 2;
                let (x, y) = (i % side, i / side);
                x >= quiet
                    && y >= quiet
                    && x - quiet < qr.width()
                    && y - quiet < qr.width()
                    && qr.is_dark(x - quiet, y - quiet)
            })
            .collect();
        let box_side = (height_pt - 2.0 * margin).min(width_pt / 2.0);
        let px = u32::try_from(side).unwrap_or(u32::MAX);
        let _ = page.image_mono(margin, margin, box_side, box_side, px, px, &dark);
        page.text(
            box_side + 2.0 * margin,
            height_pt / 2.0,
            8.0,
            Font::Helvetica,
            text,
        );
    } else {
        page.text(margin, height_pt / 2.0, 8.0, Font::Helvetica, text);
    }
    doc.finish()
}

/// A tiny ZPL label with `text` and a QR code of `text` (`stagebench printers test`).
pub fn test_zpl(text: &str) -> Vec<u8> {
    // ZPL field data ends at ^FS and treats ^ and ~ as commands: keep them out of the text.
    let text: String = text
        .chars()
        .map(|c| if matches!(c, '^' | '~') { '-' } else { c })
        .collect();
    format!("^XA^CI28^FO20,20^BQN,2,4^FDQA,{text}^FS^FO200,40^A0N,24,24^FD{text}^FS^XZ\n")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_addresses_parse_with_a_default_port() {
        assert_eq!(
            PrinterTarget::parse_raw("10.0.0.5").unwrap(),
            PrinterTarget::Raw {
                host: "10.0.0.5".into(),
                port: 9100
            }
        );
        assert_eq!(
            PrinterTarget::parse_raw("zebra.local:6101").unwrap(),
            PrinterTarget::Raw {
                host: "zebra.local".into(),
                port: 6101
            }
        );
        assert_eq!(
            PrinterTarget::parse_raw("[::1]:9101").unwrap(),
            PrinterTarget::Raw {
                host: "::1".into(),
                port: 9101
            }
        );
        assert!(PrinterTarget::parse_raw("host:x")
            .unwrap_err()
            .contains("HOST:PORT"));
        assert!(PrinterTarget::parse_raw(":9100").is_err());
    }

    #[test]
    fn documents_go_only_to_printers_that_take_them() {
        let zebra = PrinterConfig {
            name: "zebra".into(),
            target: PrinterTarget::Raw {
                host: "h".into(),
                port: 9100,
            },
            dpi: Some(203),
            media: None,
        };
        check_document(&zebra, DocumentKind::Zpl).unwrap();
        let err = check_document(&zebra, DocumentKind::Pdf).unwrap_err();
        assert!(!err.is_transient());
        assert!(
            err.to_string().contains(
                "printer zebra: a raw printer does not take PDF; render the label as ZPL"
            ),
            "{err}"
        );
        assert_eq!("ZPL".parse::<DocumentKind>(), Ok(DocumentKind::Zpl));
    }

    #[test]
    fn test_documents_are_well_formed() {
        assert!(test_pdf("StageBench", 144.0, 72.0).starts_with(b"%PDF-"));
        let zpl = String::from_utf8(test_zpl("a^b")).unwrap();
        assert!(zpl.starts_with("^XA") && zpl.trim_end().ends_with("^XZ") && zpl.contains("a-b"));
    }
}
