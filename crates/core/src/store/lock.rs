//! The store's write lock held across slow work that is not SQL: a step that must happen once
//! for the bench even when the app and the CLI race to do it (making the bench's signing key).
//! SQLite's lock is shared by every process using the file and released when a process dies, so
//! a crash never leaves the bench locked.

use super::{Store, StoreError};

/// Holds the store's write lock (an open `BEGIN IMMEDIATE`) until dropped. Other writers, in
/// this process or another, wait for it as for any write (up to the busy timeout).
#[derive(Debug)]
pub struct WriteLock<'a> {
    store: &'a mut Store,
}

impl Store {
    /// Takes the write lock, waiting as a write would; see [`WriteLock`].
    pub fn write_lock(&mut self) -> Result<WriteLock<'_>, StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))?;
        Ok(WriteLock { store: self })
    }
}

impl Drop for WriteLock<'_> {
    fn drop(&mut self) {
        // Nothing was written under the lock: ending the transaction only releases it.
        let _ = self.store.conn.execute_batch("ROLLBACK");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_second_writer_waits_for_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let mut first = Store::open(&path).unwrap();
        let mut second = Store::open(&path).unwrap();
        second.conn.busy_timeout(Duration::ZERO).unwrap();
        let held = first.write_lock().unwrap();
        let err = second.write_lock().unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }), "{err}");
        drop(held);
        drop(second.write_lock().unwrap());
    }
}
