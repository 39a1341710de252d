//! The bench as the front ends show it: the bench watcher service (one watcher of the attached
//! devices for a whole process, its latest state on a `tokio::sync::watch` channel for every
//! view), each card with its batch and stage as the batch's history says.
//!
//! This module sits above `device` (reading and recording devices) and `batch` (the stage
//! rule): the device floor knows a card's [`DeviceId`](crate::ids::DeviceId), and this one turns
//! it into the batch and stage the card shows.
//!
//! Every snapshot goes out with each card's batch and stage read fresh from the store, so a card
//! the watcher kept from an earlier read (it re-reads a device only when its adb state changes)
//! never shows a stage older than the event log. After a technician action or a batch change,
//! [`BenchWatcher::refresh`] restages the cards shown and publishes them again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use serde::Serialize;
use stagebench_adb::server::AdbServer;
use time::OffsetDateTime;
use tokio::runtime::Handle;
use tokio::sync::watch;

use crate::batch::action::{TechnicianAction, UnknownAction};
use crate::batch::progress::stage_of;
use crate::device::{usb, BenchDevice, BenchEvent, ReadOptions, SharedStore};
use crate::store::{Store, StoreError};

/// Why a technician action was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Not a [`TechnicianAction`].
    #[error(transparent)]
    Unknown(#[from] UnknownAction),
    /// No card has that key (any more).
    #[error("that device is no longer on the bench: plug it back in first")]
    NotOnBench,
    /// The card's device is not in the bench history (not read yet, or history is off).
    #[error("that device is not in the bench history yet: wait until it has been read")]
    NotRecorded,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bench as the views show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct BenchView {
    /// The attached devices as last read (in the adb server's order), each with its batch and
    /// stage as the history says now; the last ones known while the adb server is down.
    pub devices: Vec<BenchDevice>,
    /// The adb server can't be reached, and what to do; `None` once a snapshot came.
    pub server_down: Option<String>,
    /// Devices are shown but not saved to the bench history (the store could not be opened):
    /// true for the whole run.
    pub history_off: Option<String>,
}

impl BenchView {
    /// The ports (USB port paths or addresses) with a device attached, for renumbering slots.
    pub fn ports(&self) -> Vec<String> {
        self.devices.iter().filter_map(|d| d.slot.clone()).collect()
    }
}

/// One bench watcher shared by every view; cheap to clone (clones share it).
#[derive(Clone)]
pub struct BenchWatcher {
    inner: Arc<Inner>,
}

struct Inner {
    view: watch::Sender<BenchView>,
    store: Option<SharedStore>,
    runtime: Handle,
    started: AtomicBool,
}

impl BenchWatcher {
    /// A watcher recording into `store` (when it could not be opened, devices are shown but not
    /// saved, and the view says why), running on `runtime` once started.
    pub fn new(store: Result<SharedStore, &StoreError>, runtime: Handle) -> BenchWatcher {
        let (store, history_off) = match store {
            Ok(store) => (Some(store), None),
            Err(e) => {
                tracing::error!(error = %e, "bench history is not being saved");
                (None, Some(format!("Devices are shown but not saved: {e}")))
            }
        };
        let view = BenchView {
            history_off,
            ..BenchView::default()
        };
        BenchWatcher {
            inner: Arc::new(Inner {
                view: watch::Sender::new(view),
                store,
                runtime,
                started: AtomicBool::new(false),
            }),
        }
    }

    /// The bench now and after every change; the first subscriber starts the watcher (the adb
    /// server `ADB_SERVER_SOCKET` names, and USB devices directly when libusb is there).
    pub fn subscribe(&self) -> watch::Receiver<BenchView> {
        self.start();
        self.receiver()
    }

    /// The bench now and after every change, without starting the watcher.
    pub fn receiver(&self) -> watch::Receiver<BenchView> {
        self.inner.view.subscribe()
    }

    fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        self.inner.runtime.spawn(async move {
            let server = AdbServer::from_env();
            // Devices are read straight over USB too; without libusb, through the server only.
            let usb = match usb::rusb_bench(&server, false) {
                Ok(usb) => Some(usb),
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            };
            let store = this.inner.store.clone();
            usb::watch_bench(server, usb, store, ReadOptions::default(), move |event| {
                this.apply(event);
                true
            })
            .await;
        });
    }

    /// Takes in one event of the device watcher: a snapshot is restaged and shown, the server
    /// being down is noted (the last cards stay), history off stays for the whole run.
    pub fn apply(&self, event: BenchEvent) {
        self.inner.view.send_if_modified(|view| {
            let before = view.clone();
            match event {
                BenchEvent::Snapshot { mut devices } => {
                    self.restage(&mut devices, false);
                    view.devices = devices;
                    view.server_down = None;
                }
                BenchEvent::ServerDown { message } => view.server_down = Some(message),
                BenchEvent::HistoryOff { message } => view.history_off = Some(message),
            }
            *view != before
        });
    }

    /// Restages the cards shown and publishes them again; with `assign`, attached devices in no
    /// batch first join the batch that expects them or the active one (after a batch was
    /// created or made active). The view's lock is held from reading the stages to publishing
    /// them, so a refresh never publishes an older stage after a newer one.
    pub fn refresh(&self, assign: bool) {
        self.inner.view.send_if_modified(|view| {
            let before = view.devices.clone();
            self.restage(&mut view.devices, assign);
            view.devices != before
        });
    }

    /// Records a technician action (`powered-off`, `dem-sign-in`, `serial-imported`,
    /// `user-logged-on`) on the device of the card with this key, by the bench's technician,
    /// and shows the cards again (the card moves at once).
    pub fn record_action(&self, key: &str, action: &str) -> Result<(), ActionError> {
        let action: TechnicianAction = action.parse()?;
        let card = self.card(key).ok_or(ActionError::NotOnBench)?;
        let (Some(device), Some(store)) = (card.device_id, &self.inner.store) else {
            return Err(ActionError::NotRecorded);
        };
        {
            let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
            let actor = store.technician();
            action.record(&mut store, device, &actor)?;
        }
        self.refresh(false);
        Ok(())
    }

    /// The attached device whose card has this key, as last shown.
    pub fn card(&self, key: &str) -> Option<BenchDevice> {
        let view = self.inner.view.borrow();
        view.devices.iter().find(|d| d.key == key).cloned()
    }

    fn restage(&self, devices: &mut [BenchDevice], assign: bool) {
        if let Some(store) = &self.inner.store {
            let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
            restage(&mut store, devices, assign);
        }
    }
}

/// Fills in a card's slot number from the bench's slots (renumbered since the device was read,
/// perhaps), and its batch and stage from its device's history at `now`.
pub fn stage_card(store: &Store, card: &mut BenchDevice, now: OffsetDateTime) {
    if let Some(port) = card.slot.as_deref() {
        match store.slot_for(port) {
            Ok(slot) => card.slot_number = slot.map(|s| s.number),
            Err(e) => tracing::warn!(device = %card.key, error = %e, "could not read the slot"),
        }
    }
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
    card.box_label = store.box_label(id).unwrap_or_else(|e| {
        tracing::warn!(device = %card.key, error = %e, "could not read the box label");
        None
    });
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
    use std::sync::Mutex;

    use super::*;
    use crate::batch::{Batch, BatchStore};
    use crate::stage::Stage;
    use crate::store::{Sighting, EVENT_POWERED_OFF};

    fn card(key: &str, serial: &str) -> BenchDevice {
        BenchDevice::for_tests(key, serial)
    }

    fn slotted(key: &str, serial: &str, slot: &str) -> BenchDevice {
        BenchDevice {
            slot: Some(slot.into()),
            ..BenchDevice::for_tests(key, serial)
        }
    }

    /// Issue 14: renumbered from 8 to 12, a card went back to "Slot 8" when the cards were sent
    /// again (the read it kept had the old number); its box label shows once scanned.
    #[test]
    fn every_restage_shows_the_current_slot_number_and_box_label() {
        let mut store = Store::open_in_memory().unwrap();
        let mut cards = vec![slotted("a", "R5CR8", "1-8")];
        let id = store
            .record_sighting(&Sighting::new(cards[0].serials.clone()).at_slot("1-8"))
            .unwrap();
        cards[0].device_id = Some(id);
        store.assign_slot("1-8", 8, None).unwrap();
        cards[0].slot_number = Some(8);
        store
            .move_slot("1-8", 12, None, crate::store::Attached::Ports(&[]))
            .unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(cards[0].slot_number, Some(12));
        store
            .record_box_label(id, "BOX0042", Some(12), "ana")
            .unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(cards[0].box_label.as_deref(), Some("BOX0042"));
        store.free_slot(12).unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(cards[0].slot_number, None, "freed");
    }

    #[test]
    fn devices_already_attached_join_a_new_batch_and_actions_show_at_once() {
        let mut store = Store::open_in_memory().unwrap();
        let mut cards = vec![
            slotted("a", "R5CR1", "127.0.0.1:5555"),
            slotted("b", "OTHER", "127.0.0.1:5556"),
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
        let b = Batch::for_tests("Wave 1", &["R5CR1"]);
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
        assert_eq!(
            crate::device::history::stored_device(
                &store,
                &cards[0].serials,
                cards[0].slot.as_deref()
            )
            .unwrap(),
            Some(id),
            "the lookup agrees"
        );
        store.record_action(id, EVENT_POWERED_OFF, "tech").unwrap();
        restage(&mut store, &mut cards, false);
        assert_eq!(
            cards[0].stage.as_ref().map(|s| s.stage),
            Some(Stage::New),
            "powered off before enrolling changes nothing"
        );
    }

    fn batch(name: &str) -> Batch {
        Batch::for_tests(name, &[])
    }

    #[tokio::test]
    async fn snapshots_are_restaged_and_refresh_joins_the_active_batch() {
        let store: SharedStore = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
        let watcher = BenchWatcher::new(Ok(store.clone()), Handle::current());
        let mut rx = watcher.receiver();
        let mut a = card("a", "R5CR1");
        a.device_id = Some(
            store
                .lock()
                .unwrap()
                .record_sighting(&Sighting::new(a.serials.clone()))
                .unwrap(),
        );
        watcher.apply(BenchEvent::Snapshot {
            devices: vec![a, card("b", "UNREAD")],
        });
        assert!(rx.has_changed().unwrap());
        let view = rx.borrow_and_update().clone();
        assert_eq!(view.devices.len(), 2);
        assert_eq!(view.devices[0].batch, None);
        assert_eq!(watcher.card("b").map(|c| c.key), Some("b".to_owned()));
        assert_eq!(watcher.card("zz"), None);

        let wave = batch("Wave 1");
        {
            let mut s = store.lock().unwrap();
            s.create_batch(&wave).unwrap();
            s.set_active_batch(Some(&wave.id)).unwrap();
        }
        watcher.refresh(false);
        assert!(!rx.has_changed().unwrap(), "nothing changed without assign");
        watcher.refresh(true);
        let view = rx.borrow_and_update().clone();
        assert_eq!(view.devices[0].batch.as_ref(), Some(&wave.id));
        assert!(view.devices[0].stage.is_some());
        assert_eq!(
            view.devices[1].batch, None,
            "a card without a device id stays"
        );

        // A technician action lands on the card's device and is shown at once.
        assert!(matches!(
            watcher.record_action("a", "switched-on"),
            Err(ActionError::Unknown(_))
        ));
        assert!(matches!(
            watcher.record_action("zz", "powered-off"),
            Err(ActionError::NotOnBench)
        ));
        assert!(matches!(
            watcher.record_action("b", "powered-off"),
            Err(ActionError::NotRecorded)
        ));
        watcher.record_action("a", "powered-off").unwrap();
        let id = view.devices[0].device_id.unwrap();
        let events = store.lock().unwrap().device_events(id).unwrap();
        assert!(events.iter().any(|e| e.kind == "powered-off"), "{events:?}");

        // The same snapshot again (the watcher's cached card has no batch): restaged, unchanged.
        let mut again = card("a", "R5CR1");
        again.device_id = view.devices[0].device_id;
        rx.borrow_and_update();
        watcher.apply(BenchEvent::Snapshot {
            devices: vec![again, card("b", "UNREAD")],
        });
        assert!(!rx.has_changed().unwrap(), "restaged: nothing new to send");
    }

    #[tokio::test]
    async fn server_down_keeps_the_cards_and_history_off_stays() {
        let watcher = BenchWatcher::new(Err(&StoreError::NoDataDir), Handle::current());
        let rx = watcher.receiver();
        let off = rx.borrow().history_off.clone().unwrap();
        assert!(
            off.starts_with("Devices are shown but not saved: "),
            "{off}"
        );
        watcher.apply(BenchEvent::Snapshot {
            devices: vec![card("a", "R5CR1")],
        });
        watcher.apply(BenchEvent::ServerDown {
            message: "start it".into(),
        });
        let view = rx.borrow().clone();
        assert_eq!(
            (view.devices.len(), view.server_down.as_deref()),
            (1, Some("start it"))
        );
        assert_eq!(view.history_off.as_deref(), Some(off.as_str()));
        watcher.apply(BenchEvent::Snapshot { devices: vec![] });
        let view = rx.borrow().clone();
        assert_eq!((view.devices.len(), view.server_down), (0, None));
        assert!(view.history_off.is_some(), "for the whole run");
    }
}
