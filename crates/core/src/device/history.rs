//! What the bench history says about a card: which stored device it shows and what Intune last
//! said about it. (Its batch and stage are the bench service's, a floor above: `crate` root's
//! `bench` module.)
//!
//! A card learns its [`DeviceId`] once: when its sighting is recorded, or, for a card that was
//! not read (ADB off, unauthorized), from [`stored_device`], the one read-only lookup of a
//! device from a sighting. Everything after that (restaging after a technician action or a
//! batch change, the actions themselves, the Intune status) uses the card's id.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{BenchDevice, Finding, Severity};
use crate::identity::{is_identifying_serial, SerialObservation};
use crate::ids::DeviceId;
use crate::intune::restage::{android_major, notes_for, NoteKind};
use crate::intune::status::{IntuneStage, IntuneStatus, IntuneStatusStore};
use crate::store::{Store, StoreError};

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

/// Puts on a card what Intune last said about its stored device, read from the store now: the
/// live record and when the bench last asked, or, when Intune no longer shows any record it
/// showed, since when. A card without a stored device is left as it is.
pub fn put_intune(store: &Store, card: &mut BenchDevice) {
    let Some(id) = card.device_id else {
        return;
    };
    let links = match store.intune_links(id) {
        Ok(links) => links,
        Err(e) => {
            tracing::warn!(device = %card.key, error = %e, "could not read the Intune status");
            return;
        }
    };
    let live = links.iter().find(|l| l.gone_since.is_none());
    card.intune = live.map(|l| l.status.clone());
    card.intune_checked_at = live.map(|l| l.last_checked.clone());
    card.intune_gone_since = match live {
        Some(_) => None,
        None => links.iter().filter_map(|l| l.gone_since.clone()).max(),
    };
    put_restage(store, id, card);
}

/// The findings of a returned device ([`crate::intune::restage`]).
pub const RESTAGE_RULES: &[&str] = &["intune-existing-record", "cope-frp"];

/// Puts the re-staging findings on a card whose live Intune record enrolled before the device
/// joined its current batch: a device back for re-staging, whose old record must go before it
/// is wiped (rule `intune-existing-record`, with the Entra hint in its next step), and, for a
/// corporate-owned work profile device on Android 15 or later, the factory reset protection
/// warning (`cope-frp`). Each next step names its source.
fn put_restage(store: &Store, id: DeviceId, card: &mut BenchDevice) {
    card.problems.retain(|f| !RESTAGE_RULES.contains(&f.rule));
    card.set_aside.retain(|f| !RESTAGE_RULES.contains(&f.rule));
    // A record Intune is already removing has its own status (Leaving Intune).
    let Some(record) = card
        .intune
        .as_ref()
        .filter(|r| r.stage != IntuneStage::Leaving)
    else {
        return;
    };
    let parse = |t: &str| OffsetDateTime::parse(t, &Rfc3339).ok();
    let Some(enrolled) = record.enrolled.as_deref().and_then(parse) else {
        return;
    };
    let joined = joined_batch_at(store, id).unwrap_or_else(|e| {
        tracing::warn!(device = %card.key, error = %e, "could not read when the device joined its batch");
        None
    });
    // Only a record from before the device joined its batch is an old one.
    if joined
        .as_deref()
        .and_then(parse)
        .is_none_or(|j| enrolled >= j)
    {
        return;
    }
    let android = card.android_release.as_deref().and_then(android_major);
    let notes = notes_for(record, android);
    let hints: Vec<String> = notes
        .iter()
        .filter(|n| n.kind == NoteKind::Hint && n.id == "entra-record")
        .map(|n| n.next_step.clone())
        .collect();
    for note in notes.iter().filter(|n| n.kind == NoteKind::Warning) {
        let mut next_step = note.next_step.clone();
        if note.id == "intune-existing-record" {
            for hint in &hints {
                next_step = format!("{next_step} {hint}");
            }
        }
        card.problems.push(Finding {
            rule: note.id,
            severity: Severity::Warning,
            message: note.message.clone(),
            next_step: format!("{next_step} (Source: {}.)", note.source),
        });
    }
}

/// When the device joined the batch it is in (RFC 3339), if it is in one.
fn joined_batch_at(store: &Store, id: DeviceId) -> Result<Option<String>, StoreError> {
    Ok(store.joined_batch(id)?.map(|(_, at)| at))
}

#[cfg(test)]
mod tests {
    use crate::store::Sighting;

    use super::*;

    fn card(key: &str, serial: &str, slot: &str) -> BenchDevice {
        BenchDevice {
            slot: Some(slot.into()),
            ..BenchDevice::for_tests(key, serial)
        }
    }

    fn lookup(store: &Store, card: &BenchDevice) -> Option<DeviceId> {
        stored_device(store, &card.serials, card.slot.as_deref()).unwrap()
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
