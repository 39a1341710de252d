//! The bench as the front ends show it: the bench watcher service (one watcher of the attached
//! devices for a whole process, its latest state on a `tokio::sync::watch` channel for every
//! view), each card with its batch and stage as the batch's history says.
//!
//! This module sits above `device` (reading and recording devices) and `batch` (the stage
//! rule): the device floor knows a card's [`DeviceId`](crate::ids::DeviceId), and this one turns
//! it into the batch and stage the card shows.
//!
//! Every snapshot goes out with each card's slot number, Intune status, batch and stage read
//! fresh from the store, and its one status settled from them
//! ([`settle`](crate::device::settle)), so a card the watcher kept from an earlier read (it
//! re-reads a device only when its adb state changes) never shows a slot number, Intune status
//! or stage older than the store. After a technician action, a batch or slot change or a sync,
//! [`BenchWatcher::refresh`] restages the cards shown and publishes them again. Devices that
//! left stay as unplugged tiles until they are back or [`BenchWatcher::dismiss`]ed. Devices of
//! the active batch known only by the serial scanned from their box, never seen on USB, are
//! cards too ([`scanned_cards`]), so a device that does not enumerate in set-up is still
//! tracked to stage 2.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use serde::Serialize;
use stagebench_adb::server::AdbServer;
use time::OffsetDateTime;
use tokio::runtime::Handle;
use tokio::sync::watch;

use crate::batch::action::{TechnicianAction, UnknownAction};
use crate::batch::progress::place_of;
use crate::device::record::refresh_from_store;
use crate::device::usb::setup::{scanned_card, SCANNED_KEY};
use crate::device::{settle, usb, BenchDevice, BenchEvent, ReadOptions, SharedStore};
use crate::identity::{SerialObservation, SerialSource};
use crate::intune::state::TenantState;
use crate::stage::Stage;
use crate::store::{JoinedBy, Store, StoreError};

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

/// Why an unplugged tile was not dismissed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DismissError {
    /// The device with that key is plugged in: its card is live, not a tile.
    #[error("that device is plugged in: only the tile of a device that left can be dismissed")]
    StillPlugged,
    /// No tile (any more) has that key.
    #[error("no unplugged tile has that key any more: it was dismissed, or the device is back")]
    NoTile,
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
    /// Devices that left the bench, as grey tiles (each with its `unplugged_at`), oldest
    /// first, until they are back or dismissed.
    pub unplugged: Vec<BenchDevice>,
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
    /// The tiles dismissed, by key and unplugged time, while the device watcher still sends
    /// them (forgotten once it no longer does).
    dismissed: std::sync::Mutex<Vec<(String, Option<String>)>>,
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
                dismissed: std::sync::Mutex::default(),
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
                BenchEvent::Snapshot {
                    mut devices,
                    unplugged,
                } => {
                    let mut unplugged = self.not_dismissed(unplugged);
                    self.restage_live(&mut devices, false);
                    self.restage(&mut unplugged, false);
                    view.devices = devices;
                    view.unplugged = unplugged;
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
            let before = view.clone();
            self.restage_live(&mut view.devices, assign);
            self.restage(&mut view.unplugged, false);
            *view != before
        });
    }

    /// Refreshes the cards after every sync `tenant` reports (its Intune status refresh), so a
    /// card shows what the sync found at once, with its stage from the same store.
    pub fn refresh_after_syncs(&self, mut tenant: watch::Receiver<TenantState>) {
        let this = self.clone();
        // The sync seen now, taken before the task runs: a sync that ends meanwhile still counts.
        let mut last = tenant.borrow_and_update().last_sync.clone();
        self.inner.runtime.spawn(async move {
            while tenant.changed().await.is_ok() {
                let now = tenant.borrow_and_update().last_sync.clone();
                if now != last {
                    last = now;
                    this.refresh(false);
                }
            }
        });
    }

    /// Dismisses the unplugged tile with this key: it is gone from the view until the device
    /// leaves again.
    pub fn dismiss(&self, key: &str) -> Result<(), DismissError> {
        let mut outcome = Err(DismissError::NoTile);
        self.inner.view.send_if_modified(|view| {
            if view.devices.iter().any(|d| d.key == key) {
                outcome = Err(DismissError::StillPlugged);
                return false;
            }
            let Some(at) = view.unplugged.iter().position(|d| d.key == key) else {
                return false;
            };
            let tile = view.unplugged.remove(at);
            self.inner
                .dismissed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((tile.key, tile.unplugged_at));
            outcome = Ok(());
            true
        });
        outcome
    }

    /// The tiles the device watcher sends that were not dismissed; dismissals it no longer
    /// sends are forgotten.
    fn not_dismissed(&self, tiles: Vec<BenchDevice>) -> Vec<BenchDevice> {
        let mut dismissed = self
            .inner
            .dismissed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let same = |t: &BenchDevice, (key, at): &(String, Option<String>)| {
            t.key == *key && t.unplugged_at == *at
        };
        dismissed.retain(|d| tiles.iter().any(|t| same(t, d)));
        tiles
            .into_iter()
            .filter(|t| !dismissed.iter().any(|d| same(t, d)))
            .collect()
    }

    /// Records a technician action (`powered-off`, `dem-sign-in`, `serial-imported`,
    /// `user-logged-on`) on the device of the card (or unplugged tile) with this key, by the
    /// bench's technician, and shows the cards again (the card moves at once).
    pub fn record_action(&self, key: &str, action: &str) -> Result<(), ActionError> {
        let action: TechnicianAction = action.parse()?;
        // A tile counts too: a device whose USB its policy closed is powered off unseen.
        let card = self
            .card(key)
            .or_else(|| self.tile(key))
            .ok_or(ActionError::NotOnBench)?;
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

    /// The unplugged tile with this key, as last shown.
    fn tile(&self, key: &str) -> Option<BenchDevice> {
        let view = self.inner.view.borrow();
        view.unplugged.iter().find(|d| d.key == key).cloned()
    }

    fn restage(&self, devices: &mut [BenchDevice], assign: bool) {
        match &self.inner.store {
            Some(store) => {
                let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
                restage(&mut store, devices, assign);
            }
            None => settle(devices),
        }
    }

    /// Restages the attached devices' cards with the scanned-only ones after them.
    fn restage_live(&self, devices: &mut Vec<BenchDevice>, assign: bool) {
        if let Some(store) = &self.inner.store {
            let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
            with_scanned(&mut store, devices);
        }
        self.restage(devices, assign);
    }
}

/// At most this many cards for devices known only by a scanned serial: a bench holds about 50
/// devices at once (DESIGN.md), however many boxes a batch scanned ahead.
pub const SCANNED_CARDS: usize = 50;

/// Cards for the devices of the active batch known only by the serial scanned from their box
/// (never seen on USB: some makers' devices don't enumerate in the set-up wizard, issue 15 §6),
/// not shown by a `live` card: the newest scans first, at most [`SCANNED_CARDS`], each with its
/// stage and status; those Intune already shows are left out (nothing is left for the bench to
/// do).
pub fn scanned_cards(store: &Store, live: &[BenchDevice]) -> Vec<BenchDevice> {
    let found = || -> Result<Vec<BenchDevice>, StoreError> {
        let Some(batch) = store.active_batch()? else {
            return Ok(Vec::new());
        };
        let mut joined = store.batch_devices(&batch)?;
        joined.reverse();
        let now = store.clock_now();
        let mut cards = Vec::new();
        for (id, how, _) in joined {
            if cards.len() == SCANNED_CARDS {
                break;
            }
            if how != JoinedBy::Scan || live.iter().any(|c| c.device_id == Some(id)) {
                continue;
            }
            let Some(device) = store.device(id)? else {
                continue;
            };
            let scanned_only = !device.serials.is_empty()
                && device
                    .serials
                    .iter()
                    .all(|s| s.source == SerialSource::Scanner);
            if !scanned_only {
                continue;
            }
            let serials = device
                .serials
                .iter()
                .map(|s| SerialObservation::new(s.source, s.value.clone()))
                .collect();
            let Some(mut card) = scanned_card(id, serials, None) else {
                continue;
            };
            stage_card(store, &mut card, now);
            if card
                .stage
                .as_ref()
                .is_some_and(|s| s.stage >= Stage::InIntune)
            {
                continue;
            }
            cards.push(card);
        }
        settle(&mut cards);
        Ok(cards)
    };
    found().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not list the scanned devices");
        Vec::new()
    })
}

/// The cards a view shows: the attached devices' (read), then the scanned-only ones.
fn with_scanned(store: &mut Store, devices: &mut Vec<BenchDevice>) {
    devices.retain(|d| !d.key.starts_with(SCANNED_KEY));
    let scanned = scanned_cards(store, devices);
    devices.extend(scanned);
}

/// Fills in a card's slot number from the bench's slots (renumbered since the device was read,
/// perhaps), and its batch and stage from its device's history at `now` (its preflight findings
/// then follow the batch's profile: [`BenchDevice::place_in_batch`]).
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
    match place_of(store, id, now) {
        Ok(found) => card.place_in_batch(found),
        Err(e) => tracing::warn!(device = %card.key, error = %e, "could not derive the stage"),
    }
    card.box_label = store.box_label(id).unwrap_or_else(|e| {
        tracing::warn!(device = %card.key, error = %e, "could not read the box label");
        None
    });
}

/// Reads each card's slot number, Intune status, batch and stage from the store again and
/// settles the cards' statuses ([`settle`]); with `assign`, devices in no batch first join the
/// batch that expects them or the active one (after a batch was created or made active).
/// Cards without a device id (not in the history yet) keep no batch or stage.
pub fn restage(store: &mut Store, cards: &mut [BenchDevice], assign: bool) {
    refresh_from_store(store, cards);
    let now = store.clock_now();
    for card in cards.iter_mut() {
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
    settle(cards);
}

#[cfg(test)]
mod tests;
