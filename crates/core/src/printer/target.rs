//! The printer settings: how a printer is reached ([`PrinterTarget`]), what the bench knows it
//! by ([`PrinterConfig`]), and which documents it takes.

use serde::{Deserialize, Serialize};

use super::{ipp, DocumentKind, PrintError, RAW_PORT};

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
}
