//! One opened store shared within a process: the app opens the store once and hands this handle
//! to its commands and services. Short work locks the shared connection; a service that keeps a
//! connection busy across slow I/O (the print queue sending to a printer, a sync round talking
//! to Graph) asks the handle for a connection of its own to the same file, so it never holds up
//! the others.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{Store, StoreError};
use crate::audit::HeadSigner;

type Signer = Arc<Mutex<Option<Arc<dyn HeadSigner>>>>;

/// A store opened once and shared (cheap to clone; clones share the connection and the audit
/// signer).
#[derive(Clone)]
pub struct StoreHandle {
    shared: Arc<Mutex<Store>>,
    path: Option<PathBuf>,
    signer: Signer,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHandle")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl StoreHandle {
    /// Shares `store`.
    pub fn new(store: Store) -> StoreHandle {
        let path = store.path().map(Path::to_owned);
        let signer = Arc::new(Mutex::new(store.audit_signer()));
        StoreHandle {
            shared: Arc::new(Mutex::new(store)),
            path,
            signer,
        }
    }

    /// Signs the audit chain's head with `signer` on the shared connection and on every
    /// connection opened from now on ([`Store::sign_audit_with`]).
    pub fn sign_audit_with(&self, signer: Arc<dyn HeadSigner>) {
        *self.signer.lock().unwrap_or_else(PoisonError::into_inner) = Some(signer.clone());
        self.lock().sign_audit_with(signer);
    }

    /// The shared connection, for short work (a panic elsewhere while it was held does not
    /// lock it for good: SQLite's own transactions keep the data whole).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shared connection itself, for code that locks it around its own steps (the bench
    /// watcher).
    pub fn shared(&self) -> Arc<Mutex<Store>> {
        self.shared.clone()
    }

    /// A new connection to the same file, for work that holds a connection across slow I/O.
    /// An in-memory store has none ([`StoreError::InMemory`]).
    pub fn open_another(&self) -> Result<Store, StoreError> {
        let mut store = match &self.path {
            Some(path) => Store::open(path)?,
            None => return Err(StoreError::InMemory),
        };
        let signer = self.signer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(signer) = signer.clone() {
            store.sign_audit_with(signer);
        }
        Ok(store)
    }

    /// The file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_connection_sees_what_the_shared_one_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let handle = StoreHandle::new(Store::open(&dir.path().join("s.sqlite3")).unwrap());
        handle
            .lock()
            .set_bench_setting("technician", Some("Ana"))
            .unwrap();
        let other = handle.open_another().unwrap();
        assert_eq!(
            other.bench_setting("technician").unwrap().as_deref(),
            Some("Ana")
        );
        assert_eq!(handle.path(), other.path());
        let memory = StoreHandle::new(Store::open_in_memory().unwrap());
        assert!(matches!(memory.open_another(), Err(StoreError::InMemory)));
    }
}
