//! One job per device at a time: an exclusive lease per device key (the USB port path, or
//! `host:port` for TCP), so a facts read and an install never interleave on one phone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Hands out [`DeviceLease`]s. Clones share the same leases.
#[derive(Debug, Clone, Default)]
pub struct DeviceLeases {
    slots: Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>,
}

/// Exclusive use of one device until dropped.
#[derive(Debug)]
pub struct DeviceLease {
    key: String,
    _guard: OwnedMutexGuard<()>,
}

impl DeviceLease {
    /// The device this lease is for.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl DeviceLeases {
    /// No leases yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, key: &str) -> Arc<AsyncMutex<()>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget devices nobody holds or waits for, so the map follows the bench, not history.
        slots.retain(|k, slot| k == key || Arc::strong_count(slot) > 1);
        slots.entry(key.to_owned()).or_default().clone()
    }

    /// Wait until nobody else uses `key`, then take it. Waiters are served in order.
    pub async fn acquire(&self, key: &str) -> DeviceLease {
        let guard = self.slot(key).lock_owned().await;
        DeviceLease {
            key: key.to_owned(),
            _guard: guard,
        }
    }

    /// Take `key` if free.
    pub fn try_acquire(&self, key: &str) -> Option<DeviceLease> {
        let guard = self.slot(key).try_lock_owned().ok()?;
        Some(DeviceLease {
            key: key.to_owned(),
            _guard: guard,
        })
    }

    /// Whether someone holds `key` now.
    pub fn is_leased(&self, key: &str) -> bool {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.get(key).is_some_and(|slot| slot.try_lock().is_err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_slots_are_forgotten() {
        let leases = DeviceLeases::new();
        drop(leases.try_acquire("1-1"));
        let _b = leases.try_acquire("1-2").unwrap();
        let slots = leases.slots.lock().unwrap();
        assert_eq!(slots.keys().collect::<Vec<_>>(), ["1-2"]);
    }
}
