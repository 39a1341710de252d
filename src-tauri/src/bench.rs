//! Runs one bench watcher for the whole app and fans its events out to every subscriber (each
//! open view gets the latest snapshot at once, then every change).

use std::sync::{Arc, Mutex};

use stagebench_adb::server::AdbServer;
use stagebench_core::device::usb;
use stagebench_core::device::{BenchEvent, ReadOptions};
use stagebench_core::store::Store;

type Subscriber = Box<dyn FnMut(BenchEvent) -> bool + Send>;

#[derive(Default)]
struct Inner {
    started: bool,
    sticky: Option<BenchEvent>,
    last: Option<BenchEvent>,
    subscribers: Vec<Subscriber>,
}

/// Shares one bench watcher between all views.
#[derive(Default, Clone)]
pub struct BenchHub {
    inner: Arc<Mutex<Inner>>,
}

impl BenchHub {
    /// Adds a subscriber; it gets the latest event now and every event after. A subscriber that
    /// returns `false` is dropped. The watcher starts with the first subscriber.
    pub fn subscribe(&self, mut subscriber: impl FnMut(BenchEvent) -> bool + Send + 'static) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
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

    fn publish(&self, event: BenchEvent) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.subscribers.retain_mut(|s| s(event.clone()));
        match event {
            // A warning that stays true for the whole run: every later subscriber must see it too.
            BenchEvent::HistoryOff { .. } => inner.sticky = Some(event),
            _ => inner.last = Some(event),
        }
    }

    async fn run(self) {
        let store = match Store::open_default() {
            Ok(store) => Some(Arc::new(Mutex::new(store))),
            Err(e) => {
                tracing::error!(error = %e, "bench history is not being saved");
                self.publish(BenchEvent::HistoryOff { message: format!("Devices are shown but not saved: {e}") });
                None
            }
        };
        let server = AdbServer::from_env();
        // Devices are read straight over USB too; without libusb, through the adb server only.
        let usb = match usb::rusb_bench(&server, false) {
            Ok(usb) => Some(usb),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        };
        usb::watch_bench(server, usb, store, ReadOptions::default(), move |event| {
            self.publish(event);
            true
        })
        .await;
    }
}
