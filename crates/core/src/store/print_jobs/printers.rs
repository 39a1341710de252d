//! The `printers` table: the bench's printers by name, as plain rows the printer module checks
//! and converts.

use rusqlite::{params, OptionalExtension, Row};

use crate::store::{Store, StoreError};

/// A printer as stored: how to reach it (`kind` `ipp`, `raw` or `serial`, its `address`, a raw
/// printer's `port`, a serial one's `baud`) and what labels for it are rendered at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterRow {
    /// The name technicians pick it by (unique on the bench).
    pub name: String,
    /// `ipp`, `raw` or `serial`.
    pub kind: String,
    /// The IPP URL, the raw printer's host, or the serial port.
    pub address: String,
    /// A raw printer's TCP port.
    pub port: Option<u16>,
    /// A serial printer's baud rate.
    pub baud: Option<u32>,
    /// Resolution in dots per inch, when known.
    pub dpi: Option<u32>,
    /// Media, e.g. `2x1in`.
    pub media: Option<String>,
}

const PRINTER_COLUMNS: &str = "name, kind, address, port, baud, dpi, media";

fn printer_from_row(row: &Row<'_>) -> rusqlite::Result<PrinterRow> {
    Ok(PrinterRow {
        name: row.get(0)?,
        kind: row.get(1)?,
        address: row.get(2)?,
        port: row.get(3)?,
        baud: row.get(4)?,
        dpi: row.get(5)?,
        media: row.get(6)?,
    })
}

impl Store {
    /// Adds the printer, or replaces the settings of the one with its name (the printer
    /// module checks them first).
    pub fn save_printer_row(&mut self, printer: &PrinterRow) -> Result<(), StoreError> {
        let now = self.now();
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO printers (name, kind, address, port, baud, dpi, media, created, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, address = excluded.address,
                     port = excluded.port, baud = excluded.baud, dpi = excluded.dpi,
                     media = excluded.media, updated = excluded.updated",
                params![
                    printer.name,
                    printer.kind,
                    printer.address,
                    printer.port,
                    printer.baud,
                    printer.dpi,
                    printer.media,
                    now
                ],
            )
            .map(drop)
        })
    }

    /// Removes the printer `name`; false when there was none. Its jobs stay in the queue
    /// (and fail with the fix when sent, unless a printer of that name is added again).
    pub fn printer_remove(&mut self, name: &str) -> Result<bool, StoreError> {
        let name = name.trim();
        self.transact(|tx| {
            tx.execute("DELETE FROM printers WHERE name = ?1", [name])
                .map(|n| n > 0)
        })
    }

    /// The printer called `name`.
    pub fn printer_row(&self, name: &str) -> Result<Option<PrinterRow>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {PRINTER_COLUMNS} FROM printers WHERE name = ?1"
            ))
            .and_then(|mut stmt| stmt.query_row([name.trim()], printer_from_row).optional())
            .map_err(|e| self.err(e))
    }

    /// Every printer, by name.
    pub fn printer_rows(&self) -> Result<Vec<PrinterRow>, StoreError> {
        let read = || -> rusqlite::Result<Vec<PrinterRow>> {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {PRINTER_COLUMNS} FROM printers ORDER BY name"
            ))?;
            let rows = stmt.query_map([], printer_from_row)?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }
}
