//! Recording read devices in the store (their sighting, and the batch that expects them), and
//! what the store adds to each card: its slot number, its stored device and Intune status,
//! and, through the [`StageLookup`] a front end passes, its batch and stage.

use std::sync::{Arc, Mutex};

use stagebench_adb::server::DeviceFacts;
use time::OffsetDateTime;

use super::{history, BenchDevice};
use crate::identity::is_identifying_serial;
use crate::ids::{BatchId, DeviceId};
use crate::intune::profile::ProfileContext;
use crate::stage::DeviceStage;
use crate::store::{is_usb_port_path, Sighting, Store, StoreError};

/// How devices are read and recorded.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Give a USB port without a slot number the lowest free one when a device is first seen
    /// there (needs a store). TCP addresses are never numbered automatically: they change with
    /// every connection; number them with [`Store::assign_slot`].
    pub auto_assign_slots: bool,
    /// Where a recorded device stands in its batch, put on its card ([`BenchDevice::batch`],
    /// [`BenchDevice::stage`]). Batches are a floor above devices, so the front end passes the
    /// batch module's lookup (`batch::progress::stage_of`); `None` (the default) leaves both
    /// unset.
    pub stage: Option<StageLookup>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            auto_assign_slots: true,
            stage: None,
        }
    }
}

/// Finds where the stored device stands in its batch at `now`, or `None` when it is in no
/// batch.
pub type StageLookup =
    fn(&Store, DeviceId, OffsetDateTime) -> Result<Option<BatchPlace>, StoreError>;

/// Where a stored device stands in its batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPlace {
    /// The batch.
    pub batch: BatchId,
    /// The device's stage in it.
    pub stage: DeviceStage,
    /// The batch's enrollment profile as the preflight rules need it, when the batch says
    /// enough of it (see [`BenchDevice::place_in_batch`]).
    pub profile: Option<ProfileContext>,
}

/// Records a read device in the store: serials, slot, facts, slot number and stage evidence
/// go into the `seen` event. Only devices whose facts were read are recorded.
pub fn record(
    store: &mut Store,
    device: &BenchDevice,
    facts: &DeviceFacts,
) -> Result<DeviceId, StoreError> {
    let facts_json = serde_json::json!({
        "manufacturer": facts.manufacturer,
        "model": facts.model,
        "device": facts.device,
        "android_release": facts.android_release,
        "sdk": facts.sdk,
        "build_id": facts.build_id,
        "build_display_id": facts.build_display_id,
        "fingerprint": facts.fingerprint,
        "slot_number": device.slot_number,
        "evidence": device.evidence,
    });
    let id = store.record_sighting(&Sighting {
        serials: device.serials.clone(),
        slot: device.slot.clone(),
        facts: facts_json,
    })?;
    // Into the batch that expects it, or the bench's active batch.
    store.assign_batch(id)?;
    Ok(id)
}

/// A store shared between the watcher and its owner.
pub type SharedStore = Arc<Mutex<Store>>;

/// Fills in slot numbers (numbering new USB ports when `options` say so), and the stored device
/// (for cards that were not recorded, see [`history::identify`]) and its Intune status, all
/// read from the store now.
pub(super) fn number_slots(store: &mut Store, devices: &mut [BenchDevice], options: ReadOptions) {
    for device in devices.iter_mut() {
        history::identify(store, device);
        history::put_intune(store, device);
    }
    for device in devices {
        let Some(slot) = device.slot.as_deref() else {
            continue;
        };
        let found = if options.auto_assign_slots && is_usb_port_path(slot) {
            store
                .auto_assign_slot(slot)
                .map(Some)
                .map_err(|e| e.to_string())
        } else {
            store.slot_for(slot).map_err(|e| e.to_string())
        };
        match found {
            Ok(found) => device.slot_number = found.map(|s| s.number),
            Err(e) => {
                tracing::warn!(device = %device.key, error = %e, "could not look up the bench slot")
            }
        }
    }
}

pub(super) fn finish(
    read: Vec<(BenchDevice, Option<DeviceFacts>)>,
    store: Option<&SharedStore>,
    options: ReadOptions,
) -> Vec<BenchDevice> {
    let Some(store) = store else {
        let read_at = crate::clock::timestamp(OffsetDateTime::now_utc());
        return read
            .into_iter()
            .map(|(device, facts)| BenchDevice {
                read_at: facts.map(|_| read_at.clone()),
                ..device
            })
            .collect();
    };
    let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
    let read_at = crate::clock::timestamp(store.clock_now());
    let (mut devices, facts): (Vec<BenchDevice>, Vec<Option<DeviceFacts>>) =
        read.into_iter().unzip();
    for (device, facts) in devices.iter_mut().zip(&facts) {
        if facts.is_some() {
            device.read_at = Some(read_at.clone());
        }
    }
    number_slots(&mut store, &mut devices, options);
    for (device, facts) in devices.iter_mut().zip(facts) {
        if let Some(facts) = facts {
            match record(&mut store, device, &facts) {
                Ok(id) => recorded(&store, device, id, options),
                Err(e) => {
                    tracing::warn!(device = %device.key, error = %e, "could not record device");
                    device
                        .flags
                        .push(format!("Not saved to the bench history: {e}"));
                }
            }
        }
    }
    devices
}

/// A card whose sighting was recorded as device `id`: the id is the card's from now on, with
/// its Intune status and (through the options' lookup) its batch and stage.
fn recorded(store: &Store, device: &mut BenchDevice, id: DeviceId, options: ReadOptions) {
    device.device_id = Some(id);
    history::put_intune(store, device);
    if let Some(stage_of) = options.stage {
        match stage_of(store, id, store.clock_now()) {
            Ok(found) => device.place_in_batch(found),
            Err(e) => {
                tracing::warn!(device = %device.key, error = %e, "could not derive the stage")
            }
        }
    }
}

/// Records a device known only by its USB descriptor (USB debugging off): a factory-fresh
/// device in the set-up wizard shows a locked MTP (or charging) function whose USB serial is
/// its Android serial (issue 15 §6: AOSP `UsbDeviceManager` falls back to MTP when ADB is off;
/// vendor init scripts write `ro.serialno` into the gadget's serial string). Its serial and
/// slot are recorded (facts only for a device new to the history: an earlier ADB read's stay)
/// and it joins the batch that expects it or the active one, so Intune's `Staging_<serial>_…`
/// finds it later. A serial that can't tell devices apart (a placeholder, none) is not
/// recorded: the card keeps its next step.
pub(super) fn finish_descriptor(
    mut card: BenchDevice,
    store: Option<&SharedStore>,
    options: ReadOptions,
) -> BenchDevice {
    let Some(store) = store else {
        return card;
    };
    let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
    number_slots(&mut store, std::slice::from_mut(&mut card), options);
    let Some(serial) = card
        .serials
        .iter()
        .map(|s| s.value.trim())
        .find(|s| is_identifying_serial(s))
        .map(str::to_owned)
    else {
        return card;
    };
    let known = match store.devices_with_serial(&serial) {
        Ok(ids) => !ids.is_empty(),
        Err(e) => {
            tracing::warn!(device = %card.key, error = %e, "could not look the device up");
            return card;
        }
    };
    let facts = if known {
        serde_json::Value::Null
    } else {
        serde_json::json!({
            "manufacturer": card.manufacturer,
            "model": card.model,
            "slot_number": card.slot_number,
            "evidence": null,
        })
    };
    let sighting = Sighting {
        serials: card.serials.clone(),
        slot: card.slot.clone(),
        facts,
    };
    match store
        .record_sighting(&sighting)
        .and_then(|id| store.assign_batch(id).map(|_| id))
    {
        Ok(id) => recorded(&store, &mut card, id, options),
        Err(e) => {
            tracing::warn!(device = %card.key, error = %e, "could not record device");
            card.flags
                .push(format!("Not saved to the bench history: {e}"));
        }
    }
    card
}

/// Reads again from the store what a card shows of the bench history: its slot number, its
/// stored device and its Intune status (no slot is numbered). Every publisher runs it before
/// a list goes out, so no card shows a slot number or Intune status older than the store's.
pub fn refresh_from_store(store: &mut Store, cards: &mut [BenchDevice]) {
    number_slots(
        store,
        cards,
        ReadOptions {
            auto_assign_slots: false,
            stage: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use stagebench_adb::server::DeviceEntry;

    use super::*;
    use crate::device::card::unread;
    use crate::intune::status::{IntuneStage, IntuneStatus, IntuneStatusStore};

    #[test]
    fn cards_carry_the_live_intune_status_of_the_stored_device() {
        let mut store = Store::open_in_memory().unwrap();
        let entry = DeviceEntry::parse_line("R58N1 device usb:1-2 model:SM_G991B").unwrap();
        let mut cards = vec![unread(&entry)];
        number_slots(&mut store, &mut cards, ReadOptions::default());
        assert_eq!(cards[0].intune, None, "nothing known yet");
        let id = store
            .record_sighting(&Sighting::new(cards[0].serials.clone()))
            .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let old = IntuneStatus::derive(
            "md-old",
            "Staging_R58N1_AndroidEnterprise_11/20/26_9.05 AM",
            "R58N1",
            None,
            Some("managed"),
            None,
            None,
            None,
            None,
        );
        store.record_intune_status(Some(id), &old, now).unwrap();
        store.record_intune_gone("md-old", now).unwrap();
        let new = IntuneStatus::derive(
            "md-new",
            "ana_AndroidEnterprise_11/21/26_9.05 AM",
            "R58N1",
            None,
            Some("managed"),
            Some("ana@contoso.com"),
            None,
            None,
            None,
        );
        store.record_intune_status(Some(id), &new, now).unwrap();
        number_slots(&mut store, &mut cards, ReadOptions::default());
        let intune = cards[0].intune.as_ref().expect("status attached");
        assert_eq!(
            (intune.intune_id.as_str(), intune.stage),
            ("md-new", IntuneStage::UserAssigned)
        );
        assert_eq!(cards[0].slot_number, Some(1), "slots still numbered");
    }

    /// Puts every recorded device in one batch, at the start of the staging-token flow.
    fn in_one_batch(
        _: &Store,
        _: DeviceId,
        now: OffsetDateTime,
    ) -> Result<Option<BatchPlace>, StoreError> {
        let batch = BatchId::try_from("0123456789abcdef0123456789abcdef".to_owned()).unwrap();
        Ok(Some(BatchPlace {
            batch,
            stage: crate::stage::derive(crate::stage::Flow::StagingToken, &[], now),
            profile: None,
        }))
    }

    /// [`in_one_batch`], a fully managed staging batch.
    fn in_one_staging_batch(
        store: &Store,
        id: DeviceId,
        now: OffsetDateTime,
    ) -> Result<Option<BatchPlace>, StoreError> {
        use crate::intune::profile::{EnrollmentMode, TokenType};
        let profile = ProfileContext::new(
            EnrollmentMode::CorporateOwnedFullyManaged,
            TokenType::DeviceStaging,
        );
        let place = in_one_batch(store, id, now)?;
        Ok(place.map(|p| BatchPlace {
            profile: Some(profile),
            ..p
        }))
    }

    #[test]
    fn a_card_in_a_staging_batch_is_checked_against_its_profile() {
        let store: SharedStore = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
        let entry = DeviceEntry::parse_line("R58N9 device usb:1-3 model:SM_A105F").unwrap();
        let facts = DeviceFacts::from_properties(
            "R58N9".into(),
            [
                ("ro.serialno", "R58N9"),
                ("ro.product.manufacturer", "samsung"),
                ("ro.build.version.release", "9"),
                ("ro.build.version.sdk", "28"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
        );
        let read = || {
            let card = crate::device::bench_device(&entry, &facts, None, Vec::new());
            vec![(card, Some(facts.clone()))]
        };
        let rules = |cards: &[BenchDevice]| -> Vec<&'static str> {
            cards[0].problems.iter().map(|f| f.rule).collect()
        };
        let plain = finish(read(), Some(&store), ReadOptions::default());
        assert_eq!(rules(&plain), Vec::<&str>::new(), "no batch, no profile");
        let options = ReadOptions {
            stage: Some(in_one_staging_batch),
            ..ReadOptions::default()
        };
        let staged = finish(read(), Some(&store), options);
        assert_eq!(rules(&staged), ["android-10"]);
        let message = &staged[0].problems[0].message;
        assert!(
            message.contains("2026-05-19") && message.contains("2025-06-04"),
            "{message}"
        );
    }

    #[test]
    fn recorded_cards_carry_the_batch_and_stage_of_the_lookup_they_are_given() {
        let store: SharedStore = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
        let entry = DeviceEntry::parse_line("R58N1 device usb:1-2 model:SM_G991B").unwrap();
        let facts = DeviceFacts::from_properties(
            "R58N1".into(),
            [("ro.serialno".to_owned(), "R58N1".to_owned())].into(),
        );
        let read = || vec![(unread(&entry), Some(facts.clone()))];
        let plain = finish(read(), Some(&store), ReadOptions::default());
        assert_eq!(
            (&plain[0].batch, &plain[0].stage),
            (&None, &None),
            "no lookup, no stage"
        );
        let options = ReadOptions {
            stage: Some(in_one_batch),
            ..ReadOptions::default()
        };
        let staged = finish(read(), Some(&store), options);
        assert_eq!(
            staged[0].batch.as_ref().map(BatchId::as_str),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            staged[0].stage.as_ref().map(|s| s.stage),
            Some(crate::stage::Stage::New)
        );
    }
}
