//! Which device a sighting belongs to: the identity rule on top of the three tables.
//!
//! A device's identity is the set of its serials with their sources. A sighting belongs to the
//! device that has one of its *identifying* serials (not a placeholder, not a network address)
//! from a comparable source ([`SerialSource::comparable`]). A sighting with no identifying
//! serial can only be placed by its bench slot: it belongs to the device last seen in that slot
//! when that device showed the same placeholder or address; otherwise it is a new device. That
//! is how two look-alike phones that both say `1234567890ABCDEF` stay two devices. A sighting
//! that matches two devices is never merged: it goes to the one first seen, and an
//! `identity-conflict` event names both, for a person to sort out.
//!
//! [`SerialSource::comparable`]: crate::identity::SerialSource::comparable

use std::collections::BTreeSet;

use rusqlite::Connection;
use serde_json::json;

use super::devices;
use super::{events, serials, EVENT_IDENTITY_CONFLICT, EVENT_SEEN};
use crate::identity::{is_identifying_serial, SerialObservation};
use crate::ids::DeviceId;

/// One look at one device: the serials read from it, where it sits, and what else was read.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sighting {
    /// Serials as read, from every source that answered (values are trimmed when stored).
    pub serials: Vec<SerialObservation>,
    /// The bench slot: a USB port path (`usb:1-4.3`) or a TCP address (`127.0.0.1:5555`).
    pub slot: Option<String>,
    /// Facts about the device (model, Android version, …); `null` keeps the stored ones.
    pub facts: serde_json::Value,
}

impl Sighting {
    /// A sighting with these serials, no slot and no facts.
    pub fn new(serials: impl IntoIterator<Item = SerialObservation>) -> Self {
        Self {
            serials: serials.into_iter().collect(),
            slot: None,
            facts: serde_json::Value::Null,
        }
    }

    /// The same sighting at `slot`.
    pub fn at_slot(mut self, slot: impl Into<String>) -> Self {
        self.slot = Some(slot.into());
        self
    }

    /// The same sighting with `facts`.
    pub fn with_facts(mut self, facts: serde_json::Value) -> Self {
        self.facts = facts;
        self
    }
}

/// What [`Store::record_sighting_outcome`](super::Store::record_sighting_outcome) did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SightingOutcome {
    /// The device the sighting was recorded on.
    pub device: DeviceId,
    /// Whether that device was created by this sighting.
    pub created: bool,
    /// Other devices the sighting also matched (an `identity-conflict` event was appended).
    pub conflicts: Vec<DeviceId>,
}

/// Records `sighting` at `now` inside the caller's transaction.
pub(super) fn record(
    conn: &Connection,
    sighting: &Sighting,
    now: &str,
) -> rusqlite::Result<SightingOutcome> {
    let mut observations: Vec<SerialObservation> = Vec::new();
    for o in &sighting.serials {
        let o = SerialObservation::new(o.source, o.trimmed());
        if !observations.contains(&o) {
            observations.push(o);
        }
    }
    let slot = sighting
        .slot
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());

    let matched = matching_devices(conn, &observations)?;
    let (existing, conflicts) = match matched.as_slice() {
        [] if observations.iter().any(|o| o.identifies()) => (None, Vec::new()),
        [] => (slot_match(conn, slot, &observations)?, Vec::new()),
        [one] => (Some(*one), Vec::new()),
        many => {
            let first = devices::earliest(conn, many)?;
            (
                first,
                many.iter()
                    .copied()
                    .filter(|id| Some(*id) != first)
                    .collect(),
            )
        }
    };
    let device = match existing {
        Some(id) => {
            devices::touch(conn, id, &sighting.facts, now)?;
            id
        }
        None => devices::insert(conn, &sighting.facts, now)?,
    };
    if let Some(slot) = slot {
        devices::move_to_slot(conn, device, slot)?;
    }
    for o in &observations {
        serials::upsert(conn, device, o.source, &o.value, now)?;
    }
    let created = existing.is_none();
    events::append(
        conn,
        Some(device),
        now,
        EVENT_SEEN,
        &json!({ "serials": observations, "slot": slot, "facts": sighting.facts, "created": created }),
    )?;
    if !conflicts.is_empty() {
        events::append(
            conn,
            Some(device),
            now,
            EVENT_IDENTITY_CONFLICT,
            &conflict_data(device, &conflicts, &observations),
        )?;
    }
    Ok(SightingOutcome {
        device,
        created,
        conflicts,
    })
}

/// Devices holding one of the identifying serials from a comparable source, by id.
fn matching_devices(
    conn: &Connection,
    observations: &[SerialObservation],
) -> rusqlite::Result<Vec<DeviceId>> {
    let mut ids = BTreeSet::new();
    for o in observations.iter().filter(|o| o.identifies()) {
        for (id, source) in serials::with_value(conn, &o.value)? {
            if source.comparable(o.source) {
                ids.insert(id);
            }
        }
    }
    Ok(ids.into_iter().collect())
}

/// The device last seen at `slot`, if it showed one of these (non-identifying) serials, or if
/// neither it nor the sighting has any serial at all.
fn slot_match(
    conn: &Connection,
    slot: Option<&str>,
    observations: &[SerialObservation],
) -> rusqlite::Result<Option<DeviceId>> {
    let Some(candidate) = slot
        .map(|slot| devices::at_slot(conn, slot))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    let known = serials::for_device(conn, candidate)?;
    let same = if observations.is_empty() {
        known.iter().all(|k| !is_identifying_serial(&k.value))
    } else {
        observations.iter().any(|o| {
            known
                .iter()
                .any(|k| k.value == o.value && k.source.comparable(o.source))
        })
    };
    Ok(same.then_some(candidate))
}

fn conflict_data(
    device: DeviceId,
    others: &[DeviceId],
    observations: &[SerialObservation],
) -> serde_json::Value {
    let mut all = vec![device];
    all.extend_from_slice(others);
    let named: Vec<String> = all.iter().map(ToString::to_string).collect();
    json!({
        "devices": all,
        "attached_to": device,
        "serials": observations,
        "message": format!(
            "This device's serials match devices {}; the sighting was recorded on {device}, the \
             first seen. Two devices may share a serial, or one device was recorded twice: \
             compare the labels and slots of these devices.",
            named.join(" and ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{EventRecord, Store};
    use super::*;
    use crate::clock::ManualClock;
    use crate::identity::SerialSource::{self, *};

    fn store() -> Store {
        Store::open_in_memory()
            .unwrap()
            .with_clock(ManualClock::at_test_epoch())
    }

    fn seen(
        store: &mut Store,
        serials: &[(SerialSource, &str)],
        slot: Option<&str>,
    ) -> SightingOutcome {
        let mut sighting =
            Sighting::new(serials.iter().map(|(s, v)| SerialObservation::new(*s, *v)));
        sighting.slot = slot.map(str::to_owned);
        store.record_sighting_outcome(&sighting).unwrap()
    }

    fn kinds(events: &[EventRecord]) -> Vec<&str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    /// Table: a first sighting, then a second one; are they the same device?
    #[test]
    fn identity_rule_table() {
        type Seen<'a> = (&'a [(SerialSource, &'a str)], Option<&'a str>);
        let cases: &[(&str, Seen, Seen, bool)] = &[
            (
                "same serial, same source",
                (&[(RoSerialno, "R3CR609J7HW")], None),
                (&[(RoSerialno, "R3CR609J7HW")], None),
                true,
            ),
            (
                "usb descriptor then ro.serialno",
                (&[(UsbDescriptor, "R3CR609J7HW")], Some("usb:1-1")),
                (&[(RoSerialno, "R3CR609J7HW")], Some("usb:1-2")),
                true,
            ),
            (
                "trimmed",
                (&[(RoSerialno, "R3CR609J7HW\n")], None),
                (&[(AdbTransport, " R3CR609J7HW")], None),
                true,
            ),
            (
                "case-sensitive",
                (&[(RoSerialno, "r3cr609j7hw")], None),
                (&[(RoSerialno, "R3CR609J7HW")], None),
                false,
            ),
            (
                "intune serial matches the device family",
                (&[(BootSerialno, "HT7A1")], None),
                (&[(Intune, "HT7A1")], None),
                true,
            ),
            (
                "imei does not match a serial",
                (&[(RoSerialno, "35693803564380")], None),
                (&[(Imei, "35693803564380")], None),
                false,
            ),
            (
                "imei matches imei",
                (&[(Imei, "356938035643809")], None),
                (&[(Imei, "356938035643809"), (RoSerialno, "X1")], None),
                true,
            ),
            (
                "scanner matches anything",
                (&[(Imei, "356938035643809")], None),
                (&[(Scanner, "356938035643809")], None),
                true,
            ),
            (
                "placeholder, no slot",
                (&[(RoSerialno, "1234567890ABCDEF")], None),
                (&[(RoSerialno, "1234567890ABCDEF")], None),
                false,
            ),
            (
                "placeholder, same slot",
                (&[(RoSerialno, "1234567890ABCDEF")], Some("usb:1-4.3")),
                (&[(RoSerialno, "1234567890ABCDEF")], Some("usb:1-4.3")),
                true,
            ),
            (
                "placeholder, other slot",
                (&[(RoSerialno, "1234567890ABCDEF")], Some("usb:1-4.3")),
                (&[(RoSerialno, "1234567890ABCDEF")], Some("usb:1-4.4")),
                false,
            ),
            (
                "other placeholder, same slot",
                (&[(RoSerialno, "1234567890ABCDEF")], Some("usb:1-4.3")),
                (&[(RoSerialno, "0123456789ABCDEF")], Some("usb:1-4.3")),
                false,
            ),
            (
                "address is not identity",
                (&[(AdbTransport, "127.0.0.1:5555")], None),
                (&[(AdbTransport, "127.0.0.1:5555")], None),
                false,
            ),
            (
                "address at the same slot",
                (&[(AdbTransport, "127.0.0.1:5555")], Some("127.0.0.1:5555")),
                (&[(AdbTransport, "127.0.0.1:5555")], Some("127.0.0.1:5555")),
                true,
            ),
            (
                "real serial beats the slot",
                (&[(RoSerialno, "AAA1")], Some("usb:1-1")),
                (&[(RoSerialno, "BBB2")], Some("usb:1-1")),
                false,
            ),
            (
                "no serials, same slot",
                (&[], Some("usb:1-1")),
                (&[], Some("usb:1-1")),
                true,
            ),
        ];
        for (name, (first, first_slot), (second, second_slot), same) in cases {
            let mut store = store();
            let a = seen(&mut store, first, *first_slot);
            let b = seen(&mut store, second, *second_slot);
            assert!(a.created, "{name}");
            assert_eq!(a.device == b.device, *same, "{name}");
            assert_eq!(b.created, !*same, "{name}");
            assert!(b.conflicts.is_empty(), "{name}");
        }
    }

    #[test]
    fn look_alike_placeholder_devices_are_told_apart_by_slot() {
        let mut store = store();
        let placeholder = [
            (UsbDescriptor, "1234567890ABCDEF"),
            (RoSerialno, "1234567890ABCDEF"),
        ];
        let left = seen(&mut store, &placeholder, Some("usb:1-4.3")).device;
        let right = seen(&mut store, &placeholder, Some("usb:1-4.4")).device;
        assert_ne!(left, right);
        for _ in 0..3 {
            assert_eq!(
                seen(&mut store, &placeholder, Some("usb:1-4.3")).device,
                left
            );
            assert_eq!(
                seen(&mut store, &placeholder, Some("usb:1-4.4")).device,
                right
            );
        }
        assert_eq!(store.devices().unwrap().len(), 2);
        let left = store.device(left).unwrap().unwrap();
        assert_eq!(left.slot.as_deref(), Some("usb:1-4.3"));
        assert_eq!(left.serials.len(), 2, "one row per source, seen four times");
    }

    #[test]
    fn new_serials_join_the_matched_device() {
        let mut store = store();
        let d = seen(
            &mut store,
            &[(UsbDescriptor, "R3CR609J7HW")],
            Some("usb:1-1"),
        )
        .device;
        let again = seen(
            &mut store,
            &[
                (UsbDescriptor, "R3CR609J7HW"),
                (Imei, "356938035643809"),
                (RoSerialno, "R3CR609J7HW"),
            ],
            Some("usb:1-1"),
        );
        assert_eq!((again.device, again.created), (d, false));
        let by_imei = seen(&mut store, &[(Imei, "356938035643809")], None);
        assert_eq!(
            by_imei.device, d,
            "the IMEI learned above now identifies the device"
        );
        let sources: Vec<SerialSource> = store
            .device(d)
            .unwrap()
            .unwrap()
            .serials
            .iter()
            .map(|s| s.source)
            .collect();
        assert_eq!(sources, [UsbDescriptor, Imei, RoSerialno]);
        assert_eq!(store.devices_with_serial("R3CR609J7HW").unwrap(), [d]);
    }

    #[test]
    fn a_sighting_matching_two_devices_is_not_merged() {
        let mut store = store();
        let a = seen(&mut store, &[(UsbDescriptor, "USB-A")], Some("usb:1-1")).device;
        let b = seen(&mut store, &[(Imei, "356938035643809")], Some("usb:1-2")).device;
        let both = seen(
            &mut store,
            &[(UsbDescriptor, "USB-A"), (Imei, "356938035643809")],
            Some("usb:1-3"),
        );
        assert_eq!(both.device, a, "attached to the earliest");
        assert_eq!(both.conflicts, [b]);
        assert_eq!(store.devices().unwrap().len(), 2, "nothing merged");
        let events = store.events(Some(a), 10).unwrap();
        assert_eq!(kinds(&events), ["seen", "seen", "identity-conflict"]);
        let conflict = &events[2].data;
        assert_eq!(conflict["devices"], json!([a, b]));
        assert_eq!(conflict["attached_to"], json!(a));
        assert!(conflict["message"]
            .as_str()
            .unwrap()
            .contains("devices #1 and #2"));
        // The other device is untouched.
        let b = store.device(b).unwrap().unwrap();
        assert_eq!(b.serials.len(), 1);
        assert_eq!(b.slot.as_deref(), Some("usb:1-2"));
    }

    #[test]
    fn seen_event_and_last_seen_follow_the_clock() {
        let clock = ManualClock::at_test_epoch();
        let mut store = Store::open_in_memory().unwrap().with_clock(clock.clone());
        let sighting = Sighting::new([SerialObservation::new(RoSerialno, "R3CR609J7HW")])
            .at_slot("usb:1-4.3")
            .with_facts(json!({"model": "SM-A525F"}));
        let d = store.record_sighting(&sighting).unwrap();
        clock.advance(time::Duration::minutes(5));
        store
            .record_sighting(&Sighting::new([SerialObservation::new(
                RoSerialno,
                "R3CR609J7HW",
            )]))
            .unwrap();
        let device = store.device(d).unwrap().unwrap();
        assert_eq!(device.first_seen, "2025-01-01T00:00:00.000Z");
        assert_eq!(device.last_seen, "2025-01-01T00:05:00.000Z");
        assert_eq!(device.serials[0].first_seen, "2025-01-01T00:00:00.000Z");
        assert_eq!(device.serials[0].last_seen, "2025-01-01T00:05:00.000Z");
        assert_eq!(
            device.facts,
            json!({"model": "SM-A525F"}),
            "null facts keep the last ones"
        );
        assert_eq!(
            device.slot.as_deref(),
            Some("usb:1-4.3"),
            "no slot keeps the last one"
        );
        let events = store.events(Some(d), 10).unwrap();
        assert_eq!(kinds(&events), ["seen", "seen"]);
        assert_eq!(events[0].data["slot"], "usb:1-4.3");
        assert_eq!(
            events[0].data["serials"],
            json!([{"source": "ro-serialno", "value": "R3CR609J7HW"}])
        );
        assert_eq!(events[0].data["created"], true);
        assert_eq!(events[1].data["created"], false);
    }

    #[test]
    fn a_device_moving_in_takes_the_slot() {
        let mut store = store();
        let a = seen(
            &mut store,
            &[(RoSerialno, "1234567890ABCDEF")],
            Some("usb:1-1"),
        )
        .device;
        let b = seen(&mut store, &[(RoSerialno, "R3CR609J7HW")], Some("usb:1-1")).device;
        assert_ne!(a, b);
        assert_eq!(store.device(a).unwrap().unwrap().slot, None);
        // The placeholder device comes back to the slot it lost: it is not recognized.
        let c = seen(
            &mut store,
            &[(RoSerialno, "1234567890ABCDEF")],
            Some("usb:1-1"),
        );
        assert!(c.created);
    }
}
