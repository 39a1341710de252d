//! What the bench history says about a card: which stored device it shows, its batch and stage,
//! and what Intune last said about it.
//!
//! A card learns its [`DeviceId`] once: when its sighting is recorded, or, for a card that was
//! not read (ADB off, unauthorized), from [`stored_device`], the one read-only lookup of a
//! device from a sighting. Everything after that (restaging after a technician action or a
//! batch change, the actions themselves, the Intune status) uses the card's id.

use time::OffsetDateTime;

use super::BenchDevice;
use crate::batch::progress::stage_of;
use crate::identity::{is_identifying_serial, SerialObservation};
use crate::intune::status::IntuneStatus;
use crate::store::{DeviceId, Store, StoreError};

/// The stored device a sighting shows, without recording anything: the one device holding its
/// identifying serials, else the one last seen in its slot when that one holds none of them
/// or one of them (look-alike devices that share a placeholder serial are told apart there).
pub fn stored_device(
    store: &Store,
    serials: &[SerialObservation],
    slot: Option<&str>,
) -> Result<Option<DeviceId>, StoreError> {
    let mut ids = Vec::new();
    for s in serials.iter().filter(|s| is_identifying_serial(&s.value)) {
        ids.extend(store.devices_with_serial(&s.value)?);
    }
    ids.sort();
    ids.dedup();
    if let [one] = ids.as_slice() {
        return Ok(Some(*one));
    }
    let Some(slot) = slot else {
        return Ok(None);
    };
    let in_slot = store.device_at_slot(slot)?;
    Ok(in_slot.filter(|id| ids.is_empty() || ids.contains(id)))
}

/// Gives a card that has no device id yet the one [`stored_device`] finds, if any.
pub fn identify(store: &Store, card: &mut BenchDevice) {
    if card.device_id.is_some() {
        return;
    }
    match stored_device(store, &card.serials, card.slot.as_deref()) {
        Ok(id) => card.device_id = id,
        Err(e) => tracing::warn!(device = %card.key, error = %e, "could not look the device up"),
    }
}

/// The live Intune record of a stored device, from the last sync.
pub fn live_intune(store: &Store, id: DeviceId) -> Option<IntuneStatus> {
    store
        .intune_links(id)
        .ok()?
        .into_iter()
        .find(|l| l.gone_since.is_none())
        .map(|l| l.status)
}

/// Fills in a card's batch and stage from its device's history at `now`.
pub fn stage_card(store: &Store, card: &mut BenchDevice, now: OffsetDateTime) {
    let Some(id) = card.device_id else {
        return;
    };
    match stage_of(store, id, now) {
        Ok(found) => {
            card.batch = found.as_ref().map(|(batch, _)| batch.clone());
            card.stage = found.map(|(_, stage)| stage);
        }
        Err(e) => tracing::warn!(device = %card.key, error = %e, "could not derive the stage"),
    }
}

/// Fills in each card's batch and stage from the store; with `assign`, devices in no batch first
/// join the batch that expects them or the active one (after a batch was created or made
/// active). Cards without a device id (not in the history yet) are left as they are.
pub fn restage(store: &mut Store, cards: &mut [BenchDevice], assign: bool) {
    let now = store.clock_now();
    for card in cards {
        let Some(id) = card.device_id else {
            continue;
        };
        if assign {
            if let Err(e) = store.assign_batch(id) {
                tracing::warn!(device = %card.key, error = %e, "could not put the device into a batch");
            }
        }
        stage_card(store, card, now);
    }
}

#[cfg(test)]
mod tests {
    use crate::batch::Batch;
    use crate::stage::Stage;
    use crate::store::{Sighting, EVENT_POWERED_OFF};

    use super::*;

    fn card(key: &str, serial: &str, slot: &str) -> BenchDevice {
        BenchDevice {
            slot: Some(slot.into()),
            ..super::super::test_card(key, serial)
        }
    }

    fn batch(expected: &[&str]) -> Batch {
        Batch::for_tests("Wave 1", expected)
    }

    fn lookup(store: &Store, card: &BenchDevice) -> Option<DeviceId> {
        stored_device(store, &card.serials, card.slot.as_deref()).unwrap()
    }

    #[test]
    fn devices_already_attached_join_a_new_batch_and_actions_show_at_once() {
        let mut store = Store::open_in_memory().unwrap();
        let mut cards = vec![
            card("a", "R5CR1", "127.0.0.1:5555"),
            card("b", "OTHER", "127.0.0.1:5556"),
        ];
        for c in &mut cards {
            c.device_id = Some(
                store
                    .record_sighting(
                        &Sighting::new(c.serials.clone()).at_slot(c.slot.clone().unwrap()),
                    )
                    .unwrap(),
            );
        }
        let b = batch(&["R5CR1"]);
        store.create_batch(&b).unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(cards[0].batch, None, "joining waits for assign");
        restage(&mut store, &mut cards, true);
        assert_eq!(cards[0].batch.as_ref(), Some(&b.id));
        assert_eq!(cards[0].stage.as_ref().map(|s| s.stage), Some(Stage::New));
        assert_eq!(
            (cards[1].batch.as_ref(), cards[1].stage.as_ref()),
            (None, None),
            "not expected, no active batch"
        );
        let id = cards[0].device_id.unwrap();
        assert_eq!(lookup(&store, &cards[0]), Some(id), "the lookup agrees");
        store.record_action(id, EVENT_POWERED_OFF, "tech").unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(
            cards[0].stage.as_ref().map(|s| s.stage),
            Some(Stage::New),
            "powered off before enrolling changes nothing"
        );
    }

    #[test]
    fn look_alike_devices_are_told_apart_by_slot() {
        let mut store = Store::open_in_memory().unwrap();
        let a = card("a", "1234567890ABCDEF", "usb:1-1");
        let b = card("b", "1234567890ABCDEF", "usb:1-2");
        let ia = store
            .record_sighting(&Sighting::new(a.serials.clone()).at_slot("usb:1-1"))
            .unwrap();
        let ib = store
            .record_sighting(&Sighting::new(b.serials.clone()).at_slot("usb:1-2"))
            .unwrap();
        assert_ne!(ia, ib);
        assert_eq!(
            (lookup(&store, &a), lookup(&store, &b)),
            (Some(ia), Some(ib))
        );
        assert_eq!(lookup(&store, &card("c", "NEVERSEEN", "usb:9-9")), None);
    }

    #[test]
    fn a_card_keeps_the_id_it_has_and_an_unread_card_is_looked_up() {
        let mut store = Store::open_in_memory().unwrap();
        let mut unread = card("a", "R5CR1", "usb:1-1");
        let id = store
            .record_sighting(&Sighting::new(unread.serials.clone()).at_slot("usb:1-1"))
            .unwrap();
        identify(&store, &mut unread);
        assert_eq!(unread.device_id, Some(id));
        let mut recorded = card("b", "R5CR1", "usb:1-1");
        recorded.device_id = Some(DeviceId(4242));
        identify(&store, &mut recorded);
        assert_eq!(
            recorded.device_id,
            Some(DeviceId(4242)),
            "the recorded id stands"
        );
    }
}
