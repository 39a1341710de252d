//! The `device_serials` table: every serial seen for a device, with its source and when it was
//! first and last seen. This is the device's identity (see [`crate::identity`]).

use rusqlite::{params, Connection, Row};

use crate::identity::SerialSource;
use crate::ids::DeviceId;

/// Schema version 1 of the table.
///
/// Placeholders and addresses are stored too: they are what was seen, and the slot rule needs
/// them. No CHECK on `source`, so a newer source name needs no table rebuild; reading an
/// unknown name is an error instead. The index on `value` serves the identity lookup.
pub(super) const SCHEMA: &str = "
CREATE TABLE device_serials (
    device_id  INTEGER NOT NULL REFERENCES devices(id),
    source     TEXT NOT NULL,
    value      TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    UNIQUE (device_id, source, value)
) STRICT;
CREATE INDEX device_serials_value ON device_serials(value);
";

/// One serial of a device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SerialRecord {
    /// Where it was read.
    pub source: SerialSource,
    /// The value, trimmed.
    pub value: String,
    /// First seen, RFC 3339 UTC.
    pub first_seen: String,
    /// Last seen, RFC 3339 UTC.
    pub last_seen: String,
}

fn source_column(row: &Row<'_>, idx: usize) -> rusqlite::Result<SerialSource> {
    let text: String = row.get(idx)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<(DeviceId, SerialRecord)> {
    Ok((
        DeviceId(row.get(0)?),
        SerialRecord {
            source: source_column(row, 1)?,
            value: row.get(2)?,
            first_seen: row.get(3)?,
            last_seen: row.get(4)?,
        },
    ))
}

const SELECT: &str = "SELECT device_id, source, value, first_seen, last_seen FROM device_serials";

/// Records that `device` showed `value` from `source` at `now`: a new row, or a later
/// `last_seen` on the existing one.
pub(super) fn upsert(
    conn: &Connection,
    device: DeviceId,
    source: SerialSource,
    value: &str,
    now: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO device_serials (device_id, source, value, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (device_id, source, value) DO UPDATE SET last_seen = excluded.last_seen",
    )?
    .execute(params![device.0, source.as_str(), value, now])?;
    Ok(())
}

/// The serials of one device, oldest first.
pub(super) fn for_device(
    conn: &Connection,
    device: DeviceId,
) -> rusqlite::Result<Vec<SerialRecord>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE device_id = ?1 ORDER BY rowid"))?;
    let rows = stmt.query_map([device.0], from_row)?;
    rows.map(|row| row.map(|(_, serial)| serial)).collect()
}

/// Every serial of every device, by device then oldest first.
pub(super) fn all(conn: &Connection) -> rusqlite::Result<Vec<(DeviceId, SerialRecord)>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY device_id, rowid"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.collect()
}

/// The devices that have `value` from some source, with that source, by device id.
pub(super) fn with_value(
    conn: &Connection,
    value: &str,
) -> rusqlite::Result<Vec<(DeviceId, SerialSource)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE value = ?1 ORDER BY device_id, rowid"
    ))?;
    let rows = stmt.query_map([value], from_row)?;
    rows.map(|row| row.map(|(id, serial)| (id, serial.source)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::devices;
    use crate::store::migrations::test_connection;
    use SerialSource::*;

    #[test]
    fn upsert_keeps_first_seen_and_moves_last_seen() {
        let conn = test_connection();
        let d = devices::insert(&conn, &serde_json::Value::Null, "t0").unwrap();
        upsert(&conn, d, UsbDescriptor, "R3CR609J7HW", "t1").unwrap();
        upsert(&conn, d, RoSerialno, "R3CR609J7HW", "t1").unwrap();
        upsert(&conn, d, UsbDescriptor, "R3CR609J7HW", "t2").unwrap();
        let serials = for_device(&conn, d).unwrap();
        assert_eq!(serials.len(), 2, "one row per (device, source, value)");
        assert_eq!(
            (
                serials[0].source,
                serials[0].first_seen.as_str(),
                serials[0].last_seen.as_str()
            ),
            (UsbDescriptor, "t1", "t2")
        );
        assert_eq!(serials[1].source, RoSerialno);
    }

    #[test]
    fn lookup_by_value_is_exact() {
        let conn = test_connection();
        let a = devices::insert(&conn, &serde_json::Value::Null, "t0").unwrap();
        let b = devices::insert(&conn, &serde_json::Value::Null, "t0").unwrap();
        upsert(&conn, a, RoSerialno, "ABC", "t1").unwrap();
        upsert(&conn, b, Imei, "ABC", "t1").unwrap();
        upsert(&conn, b, RoSerialno, "abc", "t1").unwrap();
        assert_eq!(
            with_value(&conn, "ABC").unwrap(),
            vec![(a, RoSerialno), (b, Imei)]
        );
        assert_eq!(all(&conn).unwrap().len(), 3);
    }

    #[test]
    fn serials_need_a_device_and_a_known_source() {
        let conn = test_connection();
        assert!(
            upsert(&conn, DeviceId(7), RoSerialno, "ABC", "t1").is_err(),
            "foreign key"
        );
        let d = devices::insert(&conn, &serde_json::Value::Null, "t0").unwrap();
        conn.execute(
            "INSERT INTO device_serials VALUES (?1, 'bluetooth', 'x', 't', 't')",
            [d.0],
        )
        .unwrap();
        let err = for_device(&conn, d).unwrap_err();
        assert!(err.to_string().contains("bluetooth"), "{err}");
    }
}
