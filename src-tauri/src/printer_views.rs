//! What the Printers panel shows and sends: a bench printer, the Add printer form (checked into
//! a printer), the CUPS server's printers, and what a printer says about itself.

use serde::{Deserialize, Serialize};
use stagebench_core::printer::{IppPrinter, PrinterConfig, PrinterStatus, PrinterTarget};

use crate::error::{invalid, sentence, ApiError};

/// A bench printer as the Printers panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PrinterView {
    /// The name labels are printed to.
    pub name: String,
    /// `ipp`, `raw` or `serial`.
    pub kind: String,
    /// The URL, `host:port`, or the port's path.
    pub address: String,
    /// A serial port's baud rate.
    pub baud: Option<u32>,
    /// Its resolution, when known.
    pub dpi: Option<u32>,
    /// Its media, e.g. `2x1in`.
    pub media: Option<String>,
    /// What labels for it are rendered as: `pdf` (IPP) or `zpl` (raw, serial).
    pub format: String,
}

impl From<PrinterConfig> for PrinterView {
    fn from(p: PrinterConfig) -> Self {
        let baud = match p.target {
            PrinterTarget::Serial { baud, .. } => Some(baud),
            _ => None,
        };
        PrinterView {
            kind: p.target.kind_name().to_owned(),
            address: p.target.address(),
            format: stagebench_core::label::printer_format(&p)
                .0
                .name()
                .to_owned(),
            baud,
            dpi: p.dpi,
            media: p.media,
            name: p.name,
        }
    }
}

/// The Add printer form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
pub struct PrinterForm {
    /// The name to print to.
    pub name: String,
    /// `ipp`, `raw` or `serial`.
    pub kind: String,
    /// IPP: `ipp://host:631/printers/NAME`; raw: `HOST[:PORT]`; serial: the port's path.
    pub address: String,
    /// A serial port's baud rate (9600 when left out).
    pub baud: Option<u32>,
    /// Resolution in dots per inch (203, 300, 600).
    pub dpi: Option<u32>,
    /// Media, e.g. `2x1in`, `A4`.
    pub media: Option<String>,
}

/// The printer `form` describes, checked.
pub fn printer_from_form(form: &PrinterForm) -> Result<PrinterConfig, ApiError> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(invalid("Give the printer a name."));
    }
    let target = PrinterTarget::from_kind(name, &form.kind, &form.address, form.baud)
        .map_err(|e| invalid(sentence(e)))?;
    let media = form
        .media
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    Ok(PrinterConfig {
        name: name.to_owned(),
        target,
        dpi: form.dpi,
        media,
    })
}

/// A printer the CUPS server has, for one-click adding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CupsPrinterView {
    /// The CUPS queue's name.
    pub name: String,
    /// The URI to print to.
    pub uri: Option<String>,
    /// `idle`, `processing` or `stopped`.
    pub state: String,
    /// Make and model.
    pub make_and_model: Option<String>,
    /// Resolutions it supports.
    pub resolutions_dpi: Vec<u32>,
    /// Its default media.
    pub media_default: Option<String>,
}

impl From<IppPrinter> for CupsPrinterView {
    fn from(p: IppPrinter) -> Self {
        CupsPrinterView {
            name: p.name,
            uri: p.uri,
            state: p.state,
            make_and_model: p.make_and_model,
            resolutions_dpi: p.resolutions_dpi,
            media_default: p.media_default,
        }
    }
}

/// What asking the CUPS server found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CupsDiscovery {
    /// The server asked (`CUPS_SERVER`, else localhost:631).
    pub server: String,
    /// Its printers.
    pub printers: Vec<CupsPrinterView>,
    /// Why it could not be asked, when it could not.
    pub problem: Option<String>,
}

/// What a printer says about itself, in words: "ready", or what stops it and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PrinterStatusView {
    /// The printer.
    pub printer: String,
    /// `ready`, `not-ready`, `unknown` (it did not say; jobs are sent anyway) or `unreachable`.
    pub readiness: String,
    /// One line: the readiness, what the printer reports, and why it did not say.
    pub text: String,
    /// What to do before it can print, when something stops it.
    pub fix: Option<String>,
}

impl From<PrinterStatus> for PrinterStatusView {
    fn from(status: PrinterStatus) -> Self {
        let readiness = serde_json::to_value(status.readiness)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        PrinterStatusView {
            printer: status.printer.clone(),
            readiness,
            text: status.to_string(),
            fix: status.hold_message(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, address: &str) -> PrinterForm {
        PrinterForm {
            name: " zebra ".into(),
            kind: kind.into(),
            address: address.into(),
            baud: None,
            dpi: Some(300),
            media: Some(" ".into()),
        }
    }

    #[test]
    fn the_add_form_becomes_a_printer_or_says_what_to_fix() {
        let raw = printer_from_form(&form("raw", "10.0.0.5")).unwrap();
        assert_eq!(
            raw.target,
            PrinterTarget::Raw {
                host: "10.0.0.5".into(),
                port: 9100
            }
        );
        assert_eq!(
            (raw.name.as_str(), raw.dpi, raw.media.as_deref()),
            ("zebra", Some(300), None)
        );
        let serial = printer_from_form(&form("serial", "/dev/ttyUSB0")).unwrap();
        assert_eq!(
            serial.target,
            PrinterTarget::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600
            }
        );
        let ipp = printer_from_form(&form("ipp", "ipp://cups:631/printers/Office")).unwrap();
        assert_eq!(PrinterView::from(ipp).format, "pdf");
        assert_eq!(PrinterView::from(raw).format, "zpl");
        let bad = printer_from_form(&form("raw", "host:x")).unwrap_err();
        assert_eq!(bad.code, "invalid-input");
        assert!(bad.message.contains("HOST:PORT"), "{}", bad.message);
        assert!(printer_from_form(&form("ipp", "ftp://nope")).is_err());
        assert!(printer_from_form(&form("lpt", "x"))
            .unwrap_err()
            .message
            .contains("ipp, raw or serial"));
        let mut unnamed = form("raw", "h");
        unnamed.name = " ".into();
        assert!(printer_from_form(&unnamed).is_err());
    }
}
