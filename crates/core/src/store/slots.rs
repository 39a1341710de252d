//! The `bench_slots` table: the numbers technicians see on the bench, each bound to one USB
//! port path (`1-4.3`, as `adb devices -l` prints after `usb:`) or one TCP address.
//!
//! Set up once and kept: a slot is where a device sits, not who it is, so look-alike devices
//! (the same placeholder serial) are still told apart by their slot number (field notes, pain
//! points 8 and 10). A number names one port and a port has one number. [`Store::assign_slot`]
//! refuses to change either; renumbering a port is one step with [`Store::move_slot`]
//! (`slot_moves`), which frees the old number and takes the new one in one transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{events, Store, StoreError};
use crate::identity::is_network_address;
use crate::remedy::{HasRemedy, Remedy};

/// Schema version 4: the slots.
pub(super) const SCHEMA: &str = "
CREATE TABLE bench_slots (
    number    INTEGER PRIMARY KEY CHECK (number BETWEEN 1 AND 9999),
    port_path TEXT NOT NULL UNIQUE CHECK (port_path <> ''),
    label     TEXT,
    created   TEXT NOT NULL
) STRICT;
";

/// The highest slot number.
pub const MAX_SLOT: u32 = 9999;

/// Event kind appended when a slot is assigned (bench event, no device).
pub const EVENT_SLOT_ASSIGNED: &str = "slot-assigned";
/// Event kind appended when a slot is freed.
pub const EVENT_SLOT_FREED: &str = "slot-freed";

/// One bench slot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Slot {
    /// The number on the bench (1, 2, …).
    pub number: u32,
    /// The USB port path (`1-4.3`) or TCP address (`192.168.1.20:5555`).
    pub port_path: String,
    /// An optional name (`left rack, top`).
    pub label: Option<String>,
    /// When it was assigned, RFC 3339 UTC.
    pub created: String,
}

/// Why a slot could not be assigned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SlotError {
    /// The number already names another port.
    #[error("slot {number} is already port {port_path}; free slot {number} first, or pick another number")]
    NumberTaken {
        /// The number asked for.
        number: u32,
        /// The port it names.
        port_path: String,
    },
    /// The port already has another number.
    #[error("port {port_path} is already slot {number}; free slot {number} first to renumber it")]
    PortTaken {
        /// The port asked for.
        port_path: String,
        /// Its current number.
        number: u32,
    },
    /// The number names the port of another device that is attached now.
    #[error("slot {number} is port {port_path}, where another device is attached: {}", match next_free {
        Some(free) => format!("use slot {free}, which is free, or unplug that device first"),
        None => "pick another number, or unplug that device first".to_owned(),
    })]
    InUse {
        /// The number asked for.
        number: u32,
        /// The port it names.
        port_path: String,
        /// The lowest free number, offered instead.
        next_free: Option<u32>,
    },
    /// The number names another port, and whether a device is attached there is not known.
    #[error("slot {number} is port {port_path}, and whether a device is attached there is not known (the adb server did not answer): free slot {number} first, or pick another number")]
    MaybeInUse {
        /// The number asked for.
        number: u32,
        /// The port it names.
        port_path: String,
    },
    /// The number is outside 1..=9999.
    #[error("slot number {0} is out of range: use 1 to {MAX_SLOT}")]
    BadNumber(u32),
    /// Not a USB port path or a TCP address.
    #[error("{0:?} is neither a USB port path (like 1-4.3, as `adb devices -l` shows after usb:) nor a TCP address (like 192.168.1.20:5555)")]
    BadPort(String),
    /// Every number is in use.
    #[error("all {MAX_SLOT} slot numbers are in use; free some of them first")]
    Full,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HasRemedy for SlotError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            SlotError::NumberTaken { number, .. }
            | SlotError::PortTaken { number, .. }
            | SlotError::MaybeInUse { number, .. } => Some(Remedy::FreeSlot { number: *number }),
            SlotError::InUse { next_free, .. } => {
                next_free.map(|number| Remedy::UseSlot { number })
            }
            SlotError::BadNumber(_)
            | SlotError::BadPort(_)
            | SlotError::Full
            | SlotError::Store(_) => None,
        }
    }
}

/// `1-4.3` from `usb:1-4.3` or ` 1-4.3 `; addresses stay as they are.
pub fn normalize_port_path(port_path: &str) -> String {
    let trimmed = port_path.trim();
    trimmed.strip_prefix("usb:").unwrap_or(trimmed).to_owned()
}

/// Whether `p` (normalized) is a USB port path: `<bus>-<port>[.<port>…]`, all numbers.
pub fn is_usb_port_path(p: &str) -> bool {
    let Some((bus, ports)) = p.split_once('-') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    number(bus) && ports.split('.').all(number)
}

pub(super) fn checked_port(port_path: &str) -> Result<String, SlotError> {
    let port = normalize_port_path(port_path);
    if is_usb_port_path(&port) || is_network_address(&port) {
        Ok(port)
    } else {
        Err(SlotError::BadPort(port_path.to_owned()))
    }
}

const COLUMNS: &str = "number, port_path, label, created";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Slot> {
    Ok(Slot {
        number: row.get(0)?,
        port_path: row.get(1)?,
        label: row.get(2)?,
        created: row.get(3)?,
    })
}

pub(super) fn by_port(conn: &Connection, port_path: &str) -> rusqlite::Result<Option<Slot>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM bench_slots WHERE port_path = ?1"),
        [port_path],
        from_row,
    )
    .optional()
}

pub(super) fn by_number(conn: &Connection, number: u32) -> rusqlite::Result<Option<Slot>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM bench_slots WHERE number = ?1"),
        [number],
        from_row,
    )
    .optional()
}

/// The lowest number not in use.
pub(super) fn next_free(conn: &Connection) -> rusqlite::Result<Option<u32>> {
    let mut stmt = conn.prepare("SELECT number FROM bench_slots ORDER BY number")?;
    let used = stmt.query_map([], |row| row.get::<_, u32>(0))?;
    let mut candidate = 1;
    for number in used {
        if number? != candidate {
            break;
        }
        candidate += 1;
    }
    Ok((candidate <= MAX_SLOT).then_some(candidate))
}

/// Adds a slot and logs it; returns it.
pub(super) fn insert(conn: &Connection, slot: Slot) -> rusqlite::Result<Slot> {
    conn.execute(
        "INSERT INTO bench_slots (number, port_path, label, created) VALUES (?1, ?2, ?3, ?4)",
        params![slot.number, slot.port_path, slot.label, slot.created],
    )?;
    events::append(
        conn,
        None,
        &slot.created,
        EVENT_SLOT_ASSIGNED,
        &serde_json::json!({ "number": slot.number, "port_path": slot.port_path, "label": slot.label }),
    )?;
    Ok(slot)
}

/// Frees `slot` and logs it.
pub(super) fn remove(conn: &Connection, slot: &Slot, now: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM bench_slots WHERE number = ?1", [slot.number])?;
    events::append(
        conn,
        None,
        now,
        EVENT_SLOT_FREED,
        &serde_json::json!({ "number": slot.number, "port_path": slot.port_path }),
    )?;
    Ok(())
}

impl Store {
    /// Every slot, by number.
    pub fn slots(&self) -> Result<Vec<Slot>, StoreError> {
        let all = || -> rusqlite::Result<Vec<Slot>> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {COLUMNS} FROM bench_slots ORDER BY number"
            ))?;
            let rows = stmt.query_map([], from_row)?;
            rows.collect()
        };
        all().map_err(|e| self.err(e))
    }

    /// The slot of `port_path` (`1-4.3`, `usb:1-4.3` or an address), if it has one.
    pub fn slot_for(&self, port_path: &str) -> Result<Option<Slot>, StoreError> {
        by_port(&self.conn, &normalize_port_path(port_path)).map_err(|e| self.err(e))
    }

    /// Gives `port_path` the number `number`, with an optional label. Assigning a port the number
    /// it already has only updates the label. A number that names another port, or a port that
    /// has another number, is refused ([`SlotError::NumberTaken`], [`SlotError::PortTaken`]).
    pub fn assign_slot(
        &mut self,
        port_path: &str,
        number: u32,
        label: Option<&str>,
    ) -> Result<Slot, SlotError> {
        if !(1..=MAX_SLOT).contains(&number) {
            return Err(SlotError::BadNumber(number));
        }
        let port = checked_port(port_path)?;
        let label = label
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        let now = self.now();
        // The inner result is the refusal; the outer one the store failing.
        let assigned = self.transact(|tx| {
            if let Some(taken) = by_number(tx, number)? {
                if taken.port_path != port {
                    return Ok(Err(SlotError::NumberTaken {
                        number,
                        port_path: taken.port_path,
                    }));
                }
                tx.execute(
                    "UPDATE bench_slots SET label = ?2 WHERE number = ?1",
                    params![number, label],
                )?;
                return Ok(Ok(Slot { label, ..taken }));
            }
            if let Some(existing) = by_port(tx, &port)? {
                return Ok(Err(SlotError::PortTaken {
                    port_path: port,
                    number: existing.number,
                }));
            }
            let slot = Slot {
                number,
                port_path: port,
                label,
                created: now,
            };
            insert(tx, slot).map(Ok)
        });
        assigned?
    }

    /// The slot of `port_path`, giving it the lowest free number first when it has none.
    pub fn auto_assign_slot(&mut self, port_path: &str) -> Result<Slot, SlotError> {
        let port = checked_port(port_path)?;
        let now = self.now();
        let assigned = self.transact(|tx| {
            if let Some(existing) = by_port(tx, &port)? {
                return Ok(Ok(existing));
            }
            let Some(number) = next_free(tx)? else {
                return Ok(Err(SlotError::Full));
            };
            let slot = Slot {
                number,
                port_path: port,
                label: None,
                created: now,
            };
            insert(tx, slot).map(Ok)
        });
        assigned?
    }

    /// Frees slot `number`; returns what it was, or `None` when it was not in use.
    pub fn free_slot(&mut self, number: u32) -> Result<Option<Slot>, StoreError> {
        let now = self.now();
        self.transact(|tx| {
            let Some(slot) = by_number(tx, number)? else {
                return Ok(None);
            };
            remove(tx, &slot, &now)?;
            Ok(Some(slot))
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::clock::ManualClock;

    /// An in-memory store on the test clock.
    pub(in crate::store) fn store() -> Store {
        Store::open_in_memory()
            .unwrap()
            .with_clock(ManualClock::at_test_epoch())
    }

    #[test]
    fn port_paths() {
        for (text, usb) in [
            ("1-4.3", true),
            ("3-1", true),
            ("usb:1-4", false),
            ("1-", false),
            ("1-4.", false),
            ("a-1", false),
            ("", false),
        ] {
            assert_eq!(is_usb_port_path(text), usb, "{text:?}");
        }
        assert_eq!(normalize_port_path(" usb:1-4.3 "), "1-4.3");
        assert_eq!(normalize_port_path("127.0.0.1:5555"), "127.0.0.1:5555");
        assert!(checked_port("usb:2-1.1").is_ok());
        assert!(checked_port("10.0.0.7:5555").is_ok());
        assert!(matches!(
            checked_port("left shelf"),
            Err(SlotError::BadPort(_))
        ));
    }

    #[test]
    fn assign_look_up_and_relabel() {
        let mut store = store();
        let slot = store
            .assign_slot("usb:1-4.3", 3, Some(" top left "))
            .unwrap();
        assert_eq!(
            (slot.number, slot.port_path.as_str(), slot.label.as_deref()),
            (3, "1-4.3", Some("top left"))
        );
        assert_eq!(slot.created, "2025-01-01T00:00:00.000Z");
        assert_eq!(store.slot_for("1-4.3").unwrap(), Some(slot.clone()));
        assert_eq!(store.slot_for("usb:1-4.3").unwrap(), Some(slot.clone()));
        assert_eq!(store.slot_for("1-4.4").unwrap(), None);
        // Same port, same number: only the label changes.
        let relabeled = store.assign_slot("1-4.3", 3, None).unwrap();
        assert_eq!(relabeled.label, None);
        assert_eq!(relabeled.created, slot.created);
        assert_eq!(store.slots().unwrap().len(), 1);
    }

    #[test]
    fn numbers_and_ports_are_unique_with_clear_errors() {
        let mut store = store();
        store.assign_slot("1-4.2", 3, None).unwrap();
        let err = store.assign_slot("1-4.3", 3, None).unwrap_err();
        assert!(
            matches!(&err, SlotError::NumberTaken { number: 3, port_path } if port_path == "1-4.2"),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "slot 3 is already port 1-4.2; free slot 3 first, or pick another number"
        );
        assert_eq!(err.remedy(), Some(Remedy::FreeSlot { number: 3 }));
        let err = store.assign_slot("1-4.2", 5, None).unwrap_err();
        assert!(
            matches!(&err, SlotError::PortTaken { number: 3, .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("port 1-4.2 is already slot 3; free slot 3 first"),
            "{err}"
        );
        assert_eq!(err.remedy(), Some(Remedy::FreeSlot { number: 3 }));
        assert!(matches!(
            store.assign_slot("1-4.5", 0, None),
            Err(SlotError::BadNumber(0))
        ));
        assert!(matches!(
            store.assign_slot("1-4.5", MAX_SLOT + 1, None),
            Err(SlotError::BadNumber(_))
        ));
        assert!(matches!(
            store.assign_slot("shelf", 4, None),
            Err(SlotError::BadPort(_))
        ));
        assert_eq!(store.slots().unwrap().len(), 1, "refusals change nothing");
    }

    #[test]
    fn auto_assign_takes_the_lowest_free_number() {
        let mut store = store();
        store.assign_slot("1-1", 1, None).unwrap();
        store.assign_slot("1-3", 3, None).unwrap();
        assert_eq!(store.auto_assign_slot("1-2").unwrap().number, 2);
        assert_eq!(store.auto_assign_slot("1-4").unwrap().number, 4);
        assert_eq!(
            store.auto_assign_slot("usb:1-2").unwrap().number,
            2,
            "a known port keeps its number"
        );
        let freed = store.free_slot(3).unwrap().unwrap();
        assert_eq!(freed.port_path, "1-3");
        assert_eq!(store.free_slot(3).unwrap(), None);
        assert_eq!(store.auto_assign_slot("127.0.0.1:5555").unwrap().number, 3);
        let numbers: Vec<u32> = store.slots().unwrap().iter().map(|s| s.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        let kinds: Vec<String> = store
            .events(None, 20)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == EVENT_SLOT_ASSIGNED).count(),
            5
        );
        assert_eq!(kinds.iter().filter(|k| *k == EVENT_SLOT_FREED).count(), 1);
    }

    #[test]
    fn the_table_refuses_duplicates_and_bad_numbers() {
        let store = store();
        let conn = &store.conn;
        conn.execute("INSERT INTO bench_slots VALUES (1, '1-1', NULL, 't')", [])
            .unwrap();
        assert!(conn
            .execute("INSERT INTO bench_slots VALUES (2, '1-1', NULL, 't')", [])
            .is_err());
        assert!(conn
            .execute("INSERT INTO bench_slots VALUES (1, '1-2', NULL, 't')", [])
            .is_err());
        assert!(conn
            .execute("INSERT INTO bench_slots VALUES (0, '1-3', NULL, 't')", [])
            .is_err());
        assert!(conn
            .execute("INSERT INTO bench_slots VALUES (3, '', NULL, 't')", [])
            .is_err());
    }
}
