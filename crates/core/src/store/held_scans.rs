//! The `held_scans` table: barcode scans that found no batch to join (none was active), kept
//! until a technician adds them to one. The CLI and the app hold scans the same way, so scans
//! held by a `stagebench scan` that has since exited are still there for the app's Batches
//! screen. Only cleaned serial text is kept: a scan that looks like a QR code's contents is
//! refused before it gets here and never stored.

use rusqlite::{params, Row};

use super::{Store, StoreError};

/// Schema version 11.
pub(super) const SCHEMA: &str = "
CREATE TABLE held_scans (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    text      TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 256),
    symbology TEXT,
    reason    TEXT NOT NULL
) STRICT;
";

/// One held scan, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldScanRow {
    /// Row id.
    pub id: i64,
    /// When it was scanned, RFC 3339 UTC.
    pub at: String,
    /// The scanned serial, cleaned.
    pub text: String,
    /// The AIM symbology identifier the scanner sent, if any.
    pub symbology: Option<String>,
    /// Why it was held.
    pub reason: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<HeldScanRow> {
    Ok(HeldScanRow {
        id: row.get(0)?,
        at: row.get(1)?,
        text: row.get(2)?,
        symbology: row.get(3)?,
        reason: row.get(4)?,
    })
}

impl Store {
    /// Keeps a scan that found no batch; returns its row.
    pub fn hold_scan(
        &mut self,
        text: &str,
        symbology: Option<&str>,
        reason: &str,
    ) -> Result<HeldScanRow, StoreError> {
        let at = self.now();
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO held_scans (at, text, symbology, reason) VALUES (?1, ?2, ?3, ?4)",
                params![at, text, symbology, reason],
            )?;
            Ok(HeldScanRow {
                id: tx.last_insert_rowid(),
                at: at.clone(),
                text: text.to_owned(),
                symbology: symbology.map(str::to_owned),
                reason: reason.to_owned(),
            })
        })
    }

    /// Every held scan, oldest first.
    pub fn held_scans(&self) -> Result<Vec<HeldScanRow>, StoreError> {
        let all = || -> rusqlite::Result<Vec<HeldScanRow>> {
            let mut stmt = self
                .conn
                .prepare("SELECT id, at, text, symbology, reason FROM held_scans ORDER BY id")?;
            let rows = stmt.query_map([], from_row)?;
            rows.collect()
        };
        all().map_err(|e| self.err(e))
    }

    /// Forgets a held scan (it went into a batch, or was refused there); `false` when another
    /// process took it first.
    pub fn release_held_scan(&mut self, id: i64) -> Result<bool, StoreError> {
        self.transact(|tx| tx.execute("DELETE FROM held_scans WHERE id = ?1", [id]))
            .map(|n| n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_scans_are_kept_in_order_until_released() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store
            .hold_scan("R5CR0001", Some("]C0"), "no active batch")
            .unwrap();
        let b = store
            .hold_scan("NEWBOX0009", None, "no active batch")
            .unwrap();
        let held = store.held_scans().unwrap();
        assert_eq!(held, [a.clone(), b.clone()]);
        assert_eq!(held[0].symbology.as_deref(), Some("]C0"));
        assert!(store.release_held_scan(a.id).unwrap());
        assert!(
            !store.release_held_scan(a.id).unwrap(),
            "released once only"
        );
        assert_eq!(store.held_scans().unwrap(), [b]);
        assert!(
            store.hold_scan("", None, "x").is_err(),
            "an empty scan is never held"
        );
    }
}
