//! Runs one bench watcher for the whole app and fans its events out to every subscriber (each
//! open view gets the latest snapshot at once, then every change).
//!
//! Every snapshot goes out with each card's batch and stage read fresh from the store, so a
//! card the watcher kept from an earlier read (it re-reads a device only when its adb state
//! changes) never shows a stage older than the event log. After a technician action or a batch
//! change, [`BenchHub::refresh`] sends the last snapshot again with the new stages.

use std::sync::{Arc, Mutex, MutexGuard};

use stagebench_adb::server::AdbServer;
use stagebench_core::batch::progress::stage_of;
use stagebench_core::device::usb;
use stagebench_core::device::{BenchDevice, BenchEvent, ReadOptions, SharedStore};
use stagebench_core::identity::is_identifying_serial;
use stagebench_core::ids::DeviceId;
use stagebench_core::store::Store;

type Subscriber = Box<dyn FnMut(BenchEvent) -> bool + Send>;

#[derive(Default)]
struct Inner {
    started: bool,
    sticky: Option<BenchEvent>,
    last: Option<BenchEvent>,
    subscribers: Vec<Subscriber>,
    store: Option<SharedStore>,
}

/// Shares one bench watcher between all views.
#[derive(Default, Clone)]
pub struct BenchHub {
    inner: Arc<Mutex<Inner>>,
}

impl BenchHub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber; it gets the latest event now and every event after. A subscriber that
    /// returns `false` is dropped. The watcher starts with the first subscriber.
    pub fn subscribe(&self, mut subscriber: impl FnMut(BenchEvent) -> bool + Send + 'static) {
        let mut inner = self.lock();
        for event in inner.sticky.iter().chain(&inner.last) {
            if !subscriber(event.clone()) {
                return;
            }
        }
        inner.subscribers.push(Box::new(subscriber));
        if !inner.started {
            inner.started = true;
            let hub = self.clone();
            tauri::async_runtime::spawn(async move { hub.run().await });
        }
    }

    // The hub's lock is held from reading the stages to sending them (always before the
    // store's), so a refresh never sends an older snapshot after a newer one.
    fn publish(&self, mut event: BenchEvent) {
        let mut inner = self.lock();
        if let (BenchEvent::Snapshot { devices }, Some(store)) = (&mut event, &inner.store) {
            restage(
                &mut store.lock().unwrap_or_else(|p| p.into_inner()),
                devices,
                false,
            );
        }
        inner.subscribers.retain_mut(|s| s(event.clone()));
        match event {
            // A warning that stays true for the whole run: every later subscriber must see it too.
            BenchEvent::HistoryOff { .. } => inner.sticky = Some(event),
            _ => inner.last = Some(event),
        }
    }

    /// Sends the last snapshot again with every card's batch and stage read now; with
    /// `assign`, attached devices in no batch first join the batch that expects them or the
    /// active one (after a batch was created or made active).
    pub fn refresh(&self, assign: bool) {
        let mut inner = self.lock();
        let (Some(BenchEvent::Snapshot { devices }), Some(store)) = (&inner.last, &inner.store)
        else {
            return;
        };
        let mut devices = devices.clone();
        restage(
            &mut store.lock().unwrap_or_else(|p| p.into_inner()),
            &mut devices,
            assign,
        );
        let event = BenchEvent::Snapshot { devices };
        inner.subscribers.retain_mut(|s| s(event.clone()));
        inner.last = Some(event);
    }

    /// The attached device whose card has this key, as last shown.
    pub fn card(&self, key: &str) -> Option<BenchDevice> {
        match &self.lock().last {
            Some(BenchEvent::Snapshot { devices }) => {
                devices.iter().find(|d| d.key == key).cloned()
            }
            _ => None,
        }
    }

    async fn run(self) {
        let store = match Store::open_default() {
            Ok(store) => Some(Arc::new(Mutex::new(store))),
            Err(e) => {
                tracing::error!(error = %e, "bench history is not being saved");
                self.publish(BenchEvent::HistoryOff {
                    message: format!("Devices are shown but not saved: {e}"),
                });
                None
            }
        };
        self.lock().store = store.clone();
        let server = AdbServer::from_env();
        // Devices are read straight over USB too; without libusb, through the adb server only.
        let usb = match usb::rusb_bench(&server, false) {
            Ok(usb) => Some(usb),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        };
        let options = ReadOptions {
            stage: Some(stage_of),
            ..ReadOptions::default()
        };
        usb::watch_bench(server, usb, store, options, move |event| {
            self.publish(event);
            true
        })
        .await;
    }
}

/// The stored device a card shows: the one holding its identifying serials, else the one last
/// seen in its slot (look-alike devices that share a placeholder serial are told apart there).
pub fn device_id(store: &Store, card: &BenchDevice) -> Option<DeviceId> {
    let mut ids = Vec::new();
    for s in card
        .serials
        .iter()
        .filter(|s| is_identifying_serial(&s.value))
    {
        ids.extend(store.devices_with_serial(&s.value).ok()?);
    }
    ids.sort();
    ids.dedup();
    if let [one] = ids.as_slice() {
        return Some(*one);
    }
    let slot = card.slot.as_deref()?;
    let in_slot = store
        .devices()
        .ok()?
        .into_iter()
        .find(|d| d.slot.as_deref() == Some(slot))?;
    (ids.is_empty() || ids.contains(&in_slot.id)).then_some(in_slot.id)
}

/// Fills in each card's batch and stage from the store (joining a batch first with `assign`).
/// Cards of devices the store does not know (not read yet) are left as they are.
fn restage(store: &mut Store, devices: &mut [BenchDevice], assign: bool) {
    let now = store.clock_now();
    for card in devices {
        let Some(id) = device_id(store, card) else {
            continue;
        };
        if assign {
            if let Err(e) = store.assign_batch(id) {
                tracing::warn!(device = %card.key, error = %e, "could not put the device into a batch");
            }
        }
        match stage_of(store, id, now) {
            Ok(found) => {
                card.batch = found.as_ref().map(|(batch, _)| batch.to_string());
                card.stage = found.map(|(_, stage)| stage);
            }
            Err(e) => tracing::warn!(device = %card.key, error = %e, "could not derive the stage"),
        }
    }
}

#[cfg(test)]
mod tests {
    use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, BatchStore, ProfileFacts};
    use stagebench_core::identity::{SerialObservation, SerialSource};
    use stagebench_core::ids::BatchId;
    use stagebench_core::stage::{Flow, Stage};
    use stagebench_core::store::{Sighting, EVENT_POWERED_OFF};

    use super::*;

    fn card(key: &str, serial: &str, slot: &str) -> BenchDevice {
        let serials = vec![SerialObservation::new(SerialSource::RoSerialno, serial)];
        BenchDevice {
            key: key.into(),
            state: "device".into(),
            next_step: None,
            serial: Some(serial.into()),
            serials,
            manufacturer: None,
            model: None,
            android_release: None,
            sdk: None,
            build_id: None,
            slot: Some(slot.into()),
            slot_number: None,
            flags: vec![],
            evidence: None,
            problems: vec![],
            error: None,
            intune: None,
            batch: None,
            stage: None,
        }
    }

    fn batch(expected: &[&str]) -> Batch {
        Batch {
            id: BatchId::random(),
            spec: BatchSpec {
                name: "Wave 1".into(),
                profile: ProfileFacts::offline(Flow::StagingToken, "Offline", None, None),
                vendor: "Acme".into(),
                due: None,
                expected_count: None,
                expected_serials: expected.iter().map(|s| s.to_string()).collect(),
            },
            created_at: time::OffsetDateTime::now_utc(),
            created_by: "tech".into(),
            origin: BatchOrigin::Local,
        }
    }

    #[test]
    fn devices_already_attached_join_a_new_batch_and_actions_show_at_once() {
        let mut store = Store::open_in_memory().unwrap();
        let mut cards = vec![
            card("a", "R5CR1", "127.0.0.1:5555"),
            card("b", "OTHER", "127.0.0.1:5556"),
        ];
        for c in &cards {
            store
                .record_sighting(&Sighting::new(c.serials.clone()).at_slot(c.slot.clone().unwrap()))
                .unwrap();
        }
        let b = batch(&["R5CR1"]);
        store.create_batch(&b).unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(cards[0].batch, None, "joining waits for assign");
        restage(&mut store, &mut cards, true);
        assert_eq!(cards[0].batch.as_deref(), Some(b.id.as_str()));
        assert_eq!(cards[0].stage.as_ref().map(|s| s.stage), Some(Stage::New));
        assert_eq!(
            (cards[1].batch.as_deref(), cards[1].stage.as_ref()),
            (None, None),
            "not expected, no active batch"
        );
        let id = device_id(&store, &cards[0]).unwrap();
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
            (device_id(&store, &a), device_id(&store, &b)),
            (Some(ia), Some(ib))
        );
        assert_eq!(device_id(&store, &card("c", "NEVERSEEN", "usb:9-9")), None);
    }
}
