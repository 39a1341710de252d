//! An Intune directory kept in memory, for tests of the sync rules and of the bench.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{IntuneDirectory, Lookup, SendOutcome, SyncError};
use crate::intune::status::IntuneStatus;
use crate::intune::BoxFuture;
use crate::store::OutboxItem;

/// An in-memory Intune for tests: devices by id, found by serial or id; sends answered from
/// `outcomes` in order (then done) and noted in `sent`; `offline` refuses everything.
#[derive(Default)]
pub struct MemoryDirectory {
    /// The devices Intune shows, by Intune id.
    pub devices: Mutex<BTreeMap<String, IntuneStatus>>,
    /// What the next sends answer, in order (then done).
    pub outcomes: Mutex<Vec<SendOutcome>>,
    /// The target of every item sent.
    pub sent: Mutex<Vec<String>>,
    /// No route to Intune: every call fails as offline.
    pub offline: Mutex<bool>,
}

impl MemoryDirectory {
    /// Intune shows this device as it is.
    pub fn insert(&self, status: IntuneStatus) {
        let id = status.intune_id.clone();
        self.devices.lock().unwrap().insert(id, status);
    }

    /// Intune shows a managed device `id` named `name` with this serial (and user, if any).
    pub fn put(&self, id: &str, serial: &str, name: &str, upn: Option<&str>) {
        let s = IntuneStatus::derive(
            id,
            name,
            serial,
            None,
            Some("managed"),
            upn,
            None,
            None,
            None,
        );
        self.devices.lock().unwrap().insert(id.into(), s);
    }
}

impl IntuneDirectory for MemoryDirectory {
    fn find_by_serials<'a>(
        &'a self,
        serials: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Vec<IntuneStatus>>, SyncError>> {
        Box::pin(async move {
            if *self.offline.lock().unwrap() {
                return Err(SyncError::Offline("no route".into()));
            }
            let devices = self.devices.lock().unwrap();
            let mut lookup = Lookup::default();
            for s in serials {
                let hits = devices
                    .values()
                    .filter(|d| &d.serial_number == s)
                    .cloned()
                    .collect();
                lookup.found.insert(s.clone(), hits);
            }
            Ok(lookup)
        })
    }
    fn find_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Option<IntuneStatus>>, SyncError>> {
        Box::pin(async move {
            let devices = self.devices.lock().unwrap();
            let mut lookup = Lookup::default();
            for id in ids {
                lookup.found.insert(id.clone(), devices.get(id).cloned());
            }
            Ok(lookup)
        })
    }
    fn send<'a>(
        &'a self,
        items: &'a [OutboxItem],
    ) -> BoxFuture<'a, Result<Vec<SendOutcome>, SyncError>> {
        Box::pin(async move {
            if *self.offline.lock().unwrap() {
                return Err(SyncError::Offline("no route".into()));
            }
            let mut script = self.outcomes.lock().unwrap();
            let mut out = Vec::new();
            for item in items {
                self.sent.lock().unwrap().push(item.target.clone());
                out.push(if script.is_empty() {
                    SendOutcome::Done
                } else {
                    script.remove(0)
                });
            }
            Ok(out)
        })
    }
}
