//! Box labels (asset tags): a scanned code tied to a device, kept as a `box-label` event in the
//! device's history (the log is append-only, so a label scanned again is a newer event and the
//! newest one is the device's label). No table of their own: nothing but the event log holds
//! them, and a box label never becomes a device.

use rusqlite::OptionalExtension;

use super::slots::by_number;
use super::{devices, events, Store, StoreError};
use crate::ids::DeviceId;

/// Event kind appended when a box label is tied to a device.
pub const EVENT_BOX_LABEL: &str = "box-label";

impl Store {
    /// The device last seen in slot `number` (its port, as USB port path or `usb:` path or
    /// address), if the slot exists and a device was seen there.
    pub fn device_in_slot(&self, number: u32) -> Result<Option<DeviceId>, StoreError> {
        let find = || -> rusqlite::Result<Option<DeviceId>> {
            let Some(slot) = by_number(&self.conn, number)? else {
                return Ok(None);
            };
            match devices::at_slot(&self.conn, &slot.port_path)? {
                Some(id) => Ok(Some(id)),
                None => devices::at_slot(&self.conn, &format!("usb:{}", slot.port_path)),
            }
        };
        find().map_err(|e| self.err(e))
    }

    /// Ties box label `label` to `device` (scanned at slot `slot` by `actor`).
    pub fn record_box_label(
        &mut self,
        device: DeviceId,
        label: &str,
        slot: Option<u32>,
        actor: &str,
    ) -> Result<(), StoreError> {
        let at = self.now();
        let data = serde_json::json!({ "label": label, "slot": slot, "actor": actor });
        self.transact(|tx| events::append(tx, Some(device), &at, EVENT_BOX_LABEL, &data))
            .map(drop)
    }

    /// The box label last tied to `device`, if any.
    pub fn box_label(&self, device: DeviceId) -> Result<Option<String>, StoreError> {
        let newest = || -> rusqlite::Result<Option<String>> {
            self.conn
                .prepare_cached(
                    "SELECT json_extract(data, '$.label') FROM events
                     WHERE device_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT 1",
                )?
                .query_row(rusqlite::params![device.0, EVENT_BOX_LABEL], |row| {
                    row.get(0)
                })
                .optional()
        };
        newest().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{SerialObservation, SerialSource};
    use crate::store::Sighting;

    #[test]
    fn the_newest_box_label_is_the_devices_and_a_slot_finds_its_device() {
        let mut store = Store::open_in_memory().unwrap();
        let serials = [SerialObservation::new(SerialSource::RoSerialno, "R5CR0001")];
        let device = store
            .record_sighting(&Sighting::new(serials).at_slot("1-4"))
            .unwrap();
        assert_eq!(store.device_in_slot(7).unwrap(), None, "no slot 7");
        store.assign_slot("1-4", 7, None).unwrap();
        assert_eq!(store.device_in_slot(7).unwrap(), Some(device));
        assert_eq!(store.box_label(device).unwrap(), None);
        store
            .record_box_label(device, "BOX0042", Some(7), "ana")
            .unwrap();
        store
            .record_box_label(device, "BOX0043", Some(7), "ana")
            .unwrap();
        assert_eq!(store.box_label(device).unwrap().as_deref(), Some("BOX0043"));
        let last = store.events(Some(device), 1).unwrap().remove(0);
        assert_eq!(
            (last.kind.as_str(), &last.data),
            (
                EVENT_BOX_LABEL,
                &serde_json::json!({"label": "BOX0043", "slot": 7, "actor": "ana"})
            )
        );
        assert_eq!(
            store.devices_with_serial("BOX0043").unwrap(),
            [],
            "a box label is no serial"
        );
    }
}
