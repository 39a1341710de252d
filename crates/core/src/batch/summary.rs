//! The batch list as the Batches screen shows it: what is cheap to know about every batch
//! without reading each device's history (the selected batch's
//! [`BatchProgress`](super::progress::BatchProgress) has the rest).

use serde::Serialize;

use super::progress::{token_check, TokenCheck};
use super::{Batch, BatchStore};
use crate::store::{Store, StoreError};

/// A batch as the Batches list shows it: what is cheap to know without reading every device's
/// history (the selected batch's [`BatchProgress`](super::progress::BatchProgress) has the rest).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BatchSummary {
    /// The batch.
    pub batch: Batch,
    /// Whether it is closed.
    pub closed: bool,
    /// Whether it is the bench's active batch.
    pub active: bool,
    /// The token against the due date.
    pub token: TokenCheck,
    /// How many devices joined it.
    pub devices: u32,
}

/// Every batch on this bench, newest first.
pub fn summaries(store: &Store) -> Result<Vec<BatchSummary>, StoreError> {
    let now = store.clock_now();
    let active = store.active_batch()?;
    let mut out = Vec::new();
    for record in store.batches()? {
        let devices = store.batch_devices(&record.batch.id)?.len();
        out.push(BatchSummary {
            token: token_check(&record.batch, record.token_revoked_at.as_deref(), now),
            closed: record.closed_at.is_some(),
            active: active.as_ref() == Some(&record.batch.id),
            devices: u32::try_from(devices).unwrap_or(u32::MAX),
            batch: record.batch,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::BatchId;

    #[test]
    fn the_list_says_which_batch_is_active_closed_and_how_many_joined() {
        let mut store = Store::open_in_memory().unwrap();
        let mut ids = Vec::new();
        for name in ["Wave 1", "Wave 2"] {
            let b = Batch::for_tests(name, &[]);
            store.create_batch(&b).unwrap();
            ids.push(b.id);
        }
        store.set_active_batch(Some(&ids[1])).unwrap();
        super::super::ops::link_serial(&mut store, &ids[1], "R5CR1").unwrap();
        store.close_batch(&ids[0]).unwrap();
        let list = summaries(&store).unwrap();
        let of = |id: &BatchId| list.iter().find(|s| &s.batch.id == id).unwrap();
        assert_eq!((of(&ids[0]).closed, of(&ids[0]).active), (true, false));
        assert_eq!((of(&ids[1]).active, of(&ids[1]).devices), (true, 1));
    }
}
