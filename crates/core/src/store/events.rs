//! The `events` table: the append-only log of what happened at the bench (sightings, stage
//! changes, prints, identity conflicts). Triggers refuse UPDATE and DELETE, so the log can be
//! handed to an auditor as it was written.

use rusqlite::{params, Connection, Row};

use super::json_column;
use crate::ids::{DeviceId, EventId};

/// Schema version 1 of the table.
pub(super) const SCHEMA: &str = "
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    device_id INTEGER REFERENCES devices(id),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind <> ''),
    data      TEXT NOT NULL CHECK (json_valid(data))
) STRICT;
CREATE INDEX events_device ON events(device_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
";

/// One logged event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventRecord {
    /// Row id.
    pub id: EventId,
    /// The device it is about, or `None` for the bench as a whole.
    pub device: Option<DeviceId>,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// What kind (`seen`, `identity-conflict`, …).
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        id: EventId(row.get(0)?),
        device: row.get::<_, Option<i64>>(1)?.map(DeviceId),
        at: row.get(2)?,
        kind: row.get(3)?,
        data: json_column(row, 4)?,
    })
}

/// Appends an event.
pub(super) fn append(
    conn: &Connection,
    device: Option<DeviceId>,
    at: &str,
    kind: &str,
    data: &serde_json::Value,
) -> rusqlite::Result<EventId> {
    conn.prepare_cached("INSERT INTO events (device_id, at, kind, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![device.map(|d| d.0), at, kind, data.to_string()])?;
    Ok(EventId(conn.last_insert_rowid()))
}

/// The newest `limit` events of `device` (or of all devices and the bench when `None`), oldest
/// first.
pub(super) fn latest(
    conn: &Connection,
    device: Option<DeviceId>,
    limit: usize,
) -> rusqlite::Result<Vec<EventRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Two statements, not `?1 IS NULL OR device_id = ?1`: SQLite cannot use the
    // `events_device` index for such an OR, and one device's history would scan the whole log.
    match device {
        Some(device) => {
            let mut stmt = conn.prepare_cached(
                "SELECT * FROM (
                     SELECT id, device_id, at, kind, data FROM events
                     WHERE device_id = ?1
                     ORDER BY id DESC LIMIT ?2
                 ) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![device.0, limit], from_row)?;
            rows.collect()
        }
        None => {
            let mut stmt = conn.prepare_cached(
                "SELECT * FROM (
                     SELECT id, device_id, at, kind, data FROM events
                     ORDER BY id DESC LIMIT ?1
                 ) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![limit], from_row)?;
            rows.collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::devices;
    use crate::store::migrations::test_connection;
    use serde_json::json;

    #[test]
    fn newest_last_within_the_limit() {
        let conn = test_connection();
        let d = devices::insert(&conn, &json!(null), "t0").unwrap();
        for i in 0..5 {
            append(
                &conn,
                if i % 2 == 0 { Some(d) } else { None },
                "t",
                "note",
                &json!({"i": i}),
            )
            .unwrap();
        }
        let all: Vec<i64> = latest(&conn, None, 3)
            .unwrap()
            .iter()
            .map(|e| e.data["i"].as_i64().unwrap())
            .collect();
        assert_eq!(all, [2, 3, 4]);
        let of_device = latest(&conn, Some(d), 10).unwrap();
        assert_eq!(
            of_device
                .iter()
                .map(|e| e.data["i"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            [0, 2, 4]
        );
        assert!(of_device
            .iter()
            .all(|e| e.device == Some(d) && e.kind == "note"));
        assert!(latest(&conn, None, 0).unwrap().is_empty());
        assert_eq!(latest(&conn, None, usize::MAX).unwrap().len(), 5);
    }

    #[test]
    fn update_and_delete_are_refused() {
        let conn = test_connection();
        let id = append(&conn, None, "t", "note", &json!({"a": 1})).unwrap();
        let update = conn
            .execute("UPDATE events SET kind = 'forged' WHERE id = ?1", [id.0])
            .unwrap_err();
        assert!(update.to_string().contains("append-only"), "{update}");
        let delete = conn
            .execute("DELETE FROM events WHERE id = ?1", [id.0])
            .unwrap_err();
        assert!(delete.to_string().contains("append-only"), "{delete}");
        let delete_all = conn.execute("DELETE FROM events", []).unwrap_err();
        assert!(
            delete_all.to_string().contains("append-only"),
            "{delete_all}"
        );
        assert_eq!(latest(&conn, None, 10).unwrap()[0].kind, "note");
    }

    #[test]
    fn a_device_with_events_cannot_be_deleted() {
        let conn = test_connection();
        let d = devices::insert(&conn, &json!(null), "t0").unwrap();
        append(&conn, Some(d), "t", "note", &json!(null)).unwrap();
        assert!(conn
            .execute("DELETE FROM devices WHERE id = ?1", [d.0])
            .is_err());
    }

    #[test]
    fn kind_must_not_be_empty() {
        let conn = test_connection();
        assert!(append(&conn, None, "t", "", &json!(null)).is_err());
    }
}
