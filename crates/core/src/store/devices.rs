//! The `devices` table: one row per physical device as the bench knows it, with its latest
//! bench slot and facts. Who a device *is* lives in `device_serials`.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::json_column;
use super::serials::{self, SerialRecord};
use crate::ids::DeviceId;

/// Schema version 1 of the table.
///
/// `slot` is where the device was last seen (USB port path such as `usb:1-4.3`, or a TCP
/// address); a slot holds one device at a time, hence the partial unique index. `facts` is the
/// latest JSON object the device module reported (model, Android version, …).
pub(super) const SCHEMA: &str = "
CREATE TABLE devices (
    id         INTEGER PRIMARY KEY,
    slot       TEXT,
    facts      TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(facts)),
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX devices_slot ON devices(slot) WHERE slot IS NOT NULL;
";

/// A device with everything the store knows about it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRecord {
    /// Row id.
    pub id: DeviceId,
    /// Every serial seen for the device, with its source, oldest first.
    pub serials: Vec<SerialRecord>,
    /// Where the device was last seen, unless another device has been seen there since.
    pub slot: Option<String>,
    /// The latest facts reported for the device (`null` until some are).
    pub facts: serde_json::Value,
    /// First sighting, RFC 3339 UTC.
    pub first_seen: String,
    /// Latest sighting, RFC 3339 UTC.
    pub last_seen: String,
}

const COLUMNS: &str = "id, slot, facts, first_seen, last_seen";

fn from_row(row: &Row<'_>) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: DeviceId(row.get(0)?),
        serials: Vec::new(),
        slot: row.get(1)?,
        facts: json_column(row, 2)?,
        first_seen: row.get(3)?,
        last_seen: row.get(4)?,
    })
}

/// Adds a device first seen `now`.
pub(super) fn insert(
    conn: &Connection,
    facts: &serde_json::Value,
    now: &str,
) -> rusqlite::Result<DeviceId> {
    conn.execute(
        "INSERT INTO devices (facts, first_seen, last_seen) VALUES (?1, ?2, ?2)",
        params![facts.to_string(), now],
    )?;
    Ok(DeviceId(conn.last_insert_rowid()))
}

/// Marks the device seen `now`; `facts` replaces the stored facts unless it is `null`.
pub(super) fn touch(
    conn: &Connection,
    id: DeviceId,
    facts: &serde_json::Value,
    now: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE devices SET last_seen = ?2, facts = CASE WHEN ?3 = 'null' THEN facts ELSE ?3 END
         WHERE id = ?1",
        params![id.0, now, facts.to_string()],
    )?;
    Ok(())
}

/// Puts the device at `slot`, taking the slot from whichever device was seen there before.
pub(super) fn move_to_slot(conn: &Connection, id: DeviceId, slot: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE devices SET slot = NULL WHERE slot = ?1 AND id <> ?2",
        params![slot, id.0],
    )?;
    conn.execute(
        "UPDATE devices SET slot = ?1 WHERE id = ?2",
        params![slot, id.0],
    )?;
    Ok(())
}

/// The device last seen at `slot`.
pub(super) fn at_slot(conn: &Connection, slot: &str) -> rusqlite::Result<Option<DeviceId>> {
    conn.query_row("SELECT id FROM devices WHERE slot = ?1", [slot], |row| {
        row.get(0)
    })
    .optional()
    .map(|id| id.map(DeviceId))
}

/// Of `ids`, the device first seen earliest (lowest id on a tie).
pub(super) fn earliest(conn: &Connection, ids: &[DeviceId]) -> rusqlite::Result<Option<DeviceId>> {
    let mut stmt = conn.prepare_cached("SELECT first_seen FROM devices WHERE id = ?1")?;
    let mut best: Option<(String, DeviceId)> = None;
    for &id in ids {
        let first_seen: String = stmt.query_row([id.0], |row| row.get(0))?;
        if best
            .as_ref()
            .is_none_or(|b| (first_seen.as_str(), id) < (b.0.as_str(), b.1))
        {
            best = Some((first_seen, id));
        }
    }
    Ok(best.map(|(_, id)| id))
}

/// One device with its serials.
pub(super) fn get(conn: &Connection, id: DeviceId) -> rusqlite::Result<Option<DeviceRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM devices WHERE id = ?1");
    let Some(mut device) = conn.query_row(&sql, [id.0], from_row).optional()? else {
        return Ok(None);
    };
    device.serials = serials::for_device(conn, id)?;
    Ok(Some(device))
}

/// Every device with its serials, oldest first.
pub(super) fn all(conn: &Connection) -> rusqlite::Result<Vec<DeviceRecord>> {
    let mut by_device: HashMap<DeviceId, Vec<SerialRecord>> = HashMap::new();
    for (id, serial) in serials::all(conn)? {
        by_device.entry(id).or_default().push(serial);
    }
    let sql = format!("SELECT {COLUMNS} FROM devices ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], from_row)?;
    rows.map(|device| {
        let mut device = device?;
        device.serials = by_device.remove(&device.id).unwrap_or_default();
        Ok(device)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::test_connection;
    use serde_json::json;

    #[test]
    fn insert_touch_and_read_back() {
        let conn = test_connection();
        let id = insert(&conn, &json!({"model": "T21G"}), "2025-01-01T00:00:00.000Z").unwrap();
        touch(&conn, id, &json!(null), "2025-01-01T00:01:00.000Z").unwrap();
        let device = get(&conn, id).unwrap().unwrap();
        assert_eq!(
            device.facts,
            json!({"model": "T21G"}),
            "null facts keep the old ones"
        );
        assert_eq!(device.first_seen, "2025-01-01T00:00:00.000Z");
        assert_eq!(device.last_seen, "2025-01-01T00:01:00.000Z");
        touch(
            &conn,
            id,
            &json!({"model": "T1100G"}),
            "2025-01-01T00:02:00.000Z",
        )
        .unwrap();
        assert_eq!(
            get(&conn, id).unwrap().unwrap().facts,
            json!({"model": "T1100G"})
        );
        assert!(get(&conn, DeviceId(999)).unwrap().is_none());
        assert_eq!(all(&conn).unwrap().len(), 1);
    }

    #[test]
    fn a_slot_holds_one_device() {
        let conn = test_connection();
        let a = insert(&conn, &json!(null), "2025-01-01T00:00:00.000Z").unwrap();
        let b = insert(&conn, &json!(null), "2025-01-01T00:00:01.000Z").unwrap();
        move_to_slot(&conn, a, "usb:1-4.3").unwrap();
        assert_eq!(at_slot(&conn, "usb:1-4.3").unwrap(), Some(a));
        move_to_slot(&conn, b, "usb:1-4.3").unwrap();
        assert_eq!(at_slot(&conn, "usb:1-4.3").unwrap(), Some(b));
        assert_eq!(get(&conn, a).unwrap().unwrap().slot, None);
        let err = conn.execute("UPDATE devices SET slot = 'usb:1-4.3' WHERE id = ?1", [a.0]);
        assert!(
            err.is_err(),
            "the unique index refuses two devices in one slot"
        );
    }

    #[test]
    fn earliest_by_first_seen_then_id() {
        let conn = test_connection();
        let late = insert(&conn, &json!(null), "2025-01-02T00:00:00.000Z").unwrap();
        let early = insert(&conn, &json!(null), "2025-01-01T00:00:00.000Z").unwrap();
        let tie = insert(&conn, &json!(null), "2025-01-01T00:00:00.000Z").unwrap();
        assert_eq!(earliest(&conn, &[late, tie, early]).unwrap(), Some(early));
        assert_eq!(earliest(&conn, &[]).unwrap(), None);
    }

    #[test]
    fn facts_must_be_json() {
        let conn = test_connection();
        let err = conn.execute(
            "INSERT INTO devices (facts, first_seen, last_seen) VALUES ('{not json', 'a', 'a')",
            [],
        );
        assert!(err.is_err());
    }
}
