//! What the bench's store says about a simulated device, read the way a phone on a real bench
//! "sees" the bench: the QR on the screen for the batch it is in, and the technician's Powered
//! off. The store is opened read-only, beside the app that writes it; a store not made yet, or
//! older than the queries, says nothing.

use std::path::PathBuf;

use crate::identity::is_identifying_serial;
use crate::store::{Store, EVENT_POWERED_OFF, FILE_NAME};

/// What the bench shows for one device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// The enrollment QR of the batch the device is in was shown.
    pub qr_shown: bool,
    /// The technician recorded it as powered off.
    pub powered_off: bool,
}

/// The bench's store, watched read-only.
pub struct BenchStore {
    path: PathBuf,
    store: Option<Store>,
}

impl BenchStore {
    /// The store in `data_dir` (it may not exist yet).
    pub fn in_folder(data_dir: &std::path::Path) -> BenchStore {
        BenchStore {
            path: data_dir.join(FILE_NAME),
            store: None,
        }
    }

    /// What the bench shows now for the device at TCP address `slot` with `ro.serialno` `serial`.
    pub fn look(&mut self, slot: &str, serial: &str) -> Seen {
        if self.store.is_none() && self.path.exists() {
            self.store = Store::open_read_only(&self.path).ok();
        }
        let Some(store) = &self.store else {
            return Seen::default();
        };
        match look_in(store, slot, serial) {
            Ok(seen) => seen,
            Err(error) => {
                tracing::debug!(%error, "demo bench: the store can't say yet");
                // Opened again next time: the app may have been migrating it.
                self.store = None;
                Seen::default()
            }
        }
    }
}

fn look_in(store: &Store, slot: &str, serial: &str) -> Result<Seen, crate::store::StoreError> {
    let device = match store.device_at_slot(slot)? {
        Some(id) => Some(id),
        None if is_identifying_serial(serial) => match store.devices_with_serial(serial)?[..] {
            [one] => Some(one),
            _ => None,
        },
        None => None,
    };
    let Some(device) = device else {
        return Ok(Seen::default());
    };
    let qr_shown = match store.batch_of(device)? {
        Some(batch) => !store.qr_shown_times(&batch)?.is_empty(),
        None => false,
    };
    let powered_off = store
        .device_events(device)?
        .iter()
        .any(|e| e.kind == EVENT_POWERED_OFF);
    Ok(Seen {
        qr_shown,
        powered_off,
    })
}
