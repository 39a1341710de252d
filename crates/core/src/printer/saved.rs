//! The bench's printers as the store keeps them: a [`PrinterConfig`] to and from the store's
//! plain [`PrinterRow`], checked before it is saved (a name, an address, a printer's
//! resolution), and the small test label a printer is tried with.

use super::{DocumentKind, PrinterConfig, PrinterTarget, DPI_RANGE, RAW_PORT};
use crate::store::{NewPrintJob, PrintJobError, PrinterRow, Store, StoreError};

/// The printers the store keeps, as [`PrinterConfig`]s.
pub trait PrinterStore {
    /// Adds the printer, or replaces the settings of the one with its name. A printer without a
    /// name or an address, or with a resolution no printer has, is refused.
    fn printer_save(&mut self, printer: &PrinterConfig) -> Result<(), PrintJobError>;

    /// The printer called `name`.
    fn printer(&self, name: &str) -> Result<Option<PrinterConfig>, StoreError>;

    /// Every printer, by name.
    fn printers(&self) -> Result<Vec<PrinterConfig>, StoreError>;
}

impl PrinterStore for Store {
    fn printer_save(&mut self, printer: &PrinterConfig) -> Result<(), PrintJobError> {
        let row = to_row(printer)?;
        Ok(self.save_printer_row(&row)?)
    }

    fn printer(&self, name: &str) -> Result<Option<PrinterConfig>, StoreError> {
        self.printer_row(name)?
            .map(|row| from_row(row).map_err(|why| self.unreadable(why)))
            .transpose()
    }

    fn printers(&self) -> Result<Vec<PrinterConfig>, StoreError> {
        self.printer_rows()?
            .into_iter()
            .map(|row| from_row(row).map_err(|why| self.unreadable(why)))
            .collect()
    }
}

/// The row for `printer`, trimmed and checked.
fn to_row(printer: &PrinterConfig) -> Result<PrinterRow, PrintJobError> {
    let name = printer.name.trim();
    if name.is_empty() {
        return Err(PrintJobError::Invalid("a printer needs a name".into()));
    }
    let (address, port, baud) = match &printer.target {
        PrinterTarget::Ipp { url } => (url.trim().to_owned(), None, None),
        PrinterTarget::Raw { host, port } => (host.trim().to_owned(), Some(*port), None),
        PrinterTarget::Serial { path, baud } => (path.trim().to_owned(), None, Some(*baud)),
    };
    if address.is_empty() {
        return Err(PrintJobError::Invalid(format!(
            "printer {name} needs an address"
        )));
    }
    if let Some(dpi) = printer.dpi.filter(|d| !DPI_RANGE.contains(d)) {
        return Err(PrintJobError::Invalid(format!(
            "{dpi} dpi is not a printer resolution: use 203, 300 or 600 for thermal printers"
        )));
    }
    Ok(PrinterRow {
        name: name.to_owned(),
        kind: printer.target.kind_name().to_owned(),
        address,
        port,
        baud,
        dpi: printer.dpi,
        media: printer.media.clone(),
    })
}

/// The printer a stored row describes.
fn from_row(row: PrinterRow) -> Result<PrinterConfig, String> {
    let target = match row.kind.as_str() {
        "ipp" => PrinterTarget::Ipp { url: row.address },
        "raw" => PrinterTarget::Raw {
            host: row.address,
            port: row.port.unwrap_or(RAW_PORT),
        },
        "serial" => PrinterTarget::Serial {
            path: row.address,
            baud: row.baud.unwrap_or(9600),
        },
        other => return Err(format!("unknown printer kind {other:?}")),
    };
    Ok(PrinterConfig {
        name: row.name,
        target,
        dpi: row.dpi,
        media: row.media,
    })
}

/// A small test label for `printer` (a one-page PDF for IPP printers, a tiny ZPL for raw and
/// serial ones), queued by `actor`.
pub fn test_label(printer: &PrinterConfig, actor: impl Into<String>) -> NewPrintJob {
    let text = format!("StageBench test {}", printer.name);
    let (kind, bytes) = match printer.target {
        PrinterTarget::Ipp { .. } => (DocumentKind::Pdf, super::test_pdf(&text, 144.0, 72.0)),
        _ => (DocumentKind::Zpl, super::test_zpl(&text)),
    };
    let mut job = NewPrintJob::new(printer.name.clone(), kind, bytes, actor);
    job.title = text;
    job.label_kind = Some("test".into());
    job
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn store() -> (Store, ManualClock) {
        let clock = ManualClock::at_test_epoch();
        (
            Store::open_in_memory().unwrap().with_clock(clock.clone()),
            clock,
        )
    }

    fn zebra() -> PrinterConfig {
        PrinterConfig {
            name: "zebra".into(),
            target: PrinterTarget::Raw {
                host: "10.0.0.5".into(),
                port: 9100,
            },
            dpi: Some(203),
            media: Some("2x1in".into()),
        }
    }

    #[test]
    fn printers_are_saved_replaced_and_removed_by_name() {
        let (mut store, _) = store();
        store.printer_save(&zebra()).unwrap();
        let serial = PrinterConfig {
            name: "desk".into(),
            target: PrinterTarget::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600,
            },
            dpi: None,
            media: None,
        };
        store.printer_save(&serial).unwrap();
        assert_eq!(store.printers().unwrap(), [serial.clone(), zebra()]);
        let moved = PrinterConfig {
            target: PrinterTarget::Ipp {
                url: "ipp://h/printers/z".into(),
            },
            ..zebra()
        };
        store.printer_save(&moved).unwrap();
        assert_eq!(store.printer("zebra").unwrap(), Some(moved));
        assert!(store.printer_remove("zebra").unwrap());
        assert!(!store.printer_remove("zebra").unwrap());
        assert!(store
            .printer_save(&PrinterConfig {
                name: " ".into(),
                ..zebra()
            })
            .is_err());
    }

    #[test]
    fn printers_are_saved_from_a_kind_and_address_and_odd_resolutions_are_refused() {
        let (mut store, _) = store();
        let raw = PrinterTarget::from_kind("zebra", "raw", " 10.0.0.5 ", None).unwrap();
        assert_eq!(
            raw,
            PrinterTarget::Raw {
                host: "10.0.0.5".into(),
                port: RAW_PORT
            }
        );
        let serial = PrinterTarget::from_kind("belt", "serial", "COM3", None).unwrap();
        assert_eq!(
            serial,
            PrinterTarget::Serial {
                path: "COM3".into(),
                baud: 9600
            }
        );
        assert!(PrinterTarget::from_kind("office", "ipp", "not a url", None).is_err());
        assert!(PrinterTarget::from_kind("x", "lpt", "LPT1", None)
            .unwrap_err()
            .contains("use ipp, raw or serial"));
        assert!(PrinterTarget::from_kind("x", "raw", "  ", None)
            .unwrap_err()
            .contains("say how to reach x"));
        let mut config = PrinterConfig {
            name: "zebra".into(),
            target: raw,
            dpi: Some(5),
            media: None,
        };
        let err = store.printer_save(&config).unwrap_err();
        assert!(
            err.to_string()
                .contains("5 dpi is not a printer resolution"),
            "{err}"
        );
        assert!(store.printer("zebra").unwrap().is_none(), "nothing saved");
        config.dpi = Some(300);
        store.printer_save(&config).unwrap();
        let job = test_label(&config, "t");
        assert_eq!(
            (
                job.kind.as_str(),
                job.title.as_str(),
                job.label_kind.as_deref()
            ),
            (
                DocumentKind::Zpl.name(),
                "StageBench test zebra",
                Some("test")
            )
        );
    }
}
