//! Renumbering a port in one step: the next free number to propose, and a move that frees the
//! old number and takes the new one in one transaction. Only a number whose port has a device
//! attached right now is refused (with the lowest free number offered instead); a number held by
//! a port with nothing attached is stale, and moves here.
//!
//! The store does not know what is attached: the caller says ([`Attached`]) — the app from the
//! bench cards it shows, the CLI from the adb server.

use super::slots::{by_number, by_port, checked_port, insert, next_free, remove, Slot, SlotError};
use super::{Store, StoreError, MAX_SLOT};

/// Which ports have a device attached now, as the caller knows it.
#[derive(Debug, Clone, Copy)]
pub enum Attached<'a> {
    /// These ports (USB port paths or TCP addresses, as the slots hold them).
    Ports(&'a [String]),
    /// Not known (the adb server did not answer): no other port's number is taken.
    Unknown,
}

impl Attached<'_> {
    /// Whether a device is attached at `port`: `None` when not known.
    fn holds(&self, port: &str) -> Option<bool> {
        match self {
            Attached::Ports(ports) => {
                Some(ports.iter().any(|p| super::normalize_port_path(p) == port))
            }
            Attached::Unknown => None,
        }
    }
}

/// What a move did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SlotMove {
    /// The slot now.
    pub slot: Slot,
    /// The number the port had before, if another.
    pub from: Option<u32>,
    /// The port that held the number before (nothing was attached there), if another.
    pub taken_from: Option<String>,
}

impl Store {
    /// The lowest slot number not in use (`None` when all 9999 are).
    pub fn next_free_slot(&self) -> Result<Option<u32>, StoreError> {
        next_free(&self.conn).map_err(|e| self.err(e))
    }

    /// Gives `port_path` the number `number` in one step: its old number is freed, and a number
    /// held by a port with nothing attached (see [`Attached`]) is taken from it; a number whose
    /// port has a device attached is refused with [`SlotError::InUse`], naming the lowest free
    /// number. The label stays unless `label` gives a new one. Each change is logged
    /// (`slot-freed`, `slot-assigned`).
    pub fn move_slot(
        &mut self,
        port_path: &str,
        number: u32,
        label: Option<&str>,
        attached: Attached<'_>,
    ) -> Result<SlotMove, SlotError> {
        if !(1..=MAX_SLOT).contains(&number) {
            return Err(SlotError::BadNumber(number));
        }
        let port = checked_port(port_path)?;
        let label = label.map(str::trim).map(str::to_owned);
        let now = self.now();
        let moved = self.transact(|tx| {
            let old = by_port(tx, &port)?;
            if old.as_ref().is_some_and(|o| o.number == number) {
                let slot = old.expect("just checked");
                return Ok(Ok(SlotMove {
                    slot,
                    from: None,
                    taken_from: None,
                }));
            }
            let holder = by_number(tx, number)?;
            if let Some(holder) = &holder {
                let port_path = holder.port_path.clone();
                match attached.holds(&holder.port_path) {
                    Some(false) => {}
                    Some(true) => {
                        // The lowest number free once this port's own is freed too.
                        let next_free = next_free(tx)?.or(old.as_ref().map(|o| o.number));
                        return Ok(Err(SlotError::InUse {
                            number,
                            port_path,
                            next_free,
                        }));
                    }
                    None => return Ok(Err(SlotError::MaybeInUse { number, port_path })),
                }
            }
            for freed in old.iter().chain(holder.iter()) {
                remove(tx, freed, &now)?;
            }
            let kept_label = old.as_ref().and_then(|o| o.label.clone());
            let slot = insert(
                tx,
                Slot {
                    number,
                    port_path: port.clone(),
                    label: match label {
                        Some(l) => (!l.is_empty()).then_some(l),
                        None => kept_label,
                    },
                    created: now.clone(),
                },
            )?;
            Ok(Ok(SlotMove {
                slot,
                from: old.map(|o| o.number),
                taken_from: holder.map(|h| h.port_path),
            }))
        });
        moved?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::{HasRemedy, Remedy};
    use crate::store::slots::tests::store;

    fn numbers(store: &Store) -> Vec<(u32, String)> {
        let slots = store.slots().unwrap();
        slots.into_iter().map(|s| (s.number, s.port_path)).collect()
    }

    #[test]
    fn the_next_free_number_is_proposed() {
        let mut store = store();
        assert_eq!(store.next_free_slot().unwrap(), Some(1));
        for (port, n) in [("1-1", 1), ("1-2", 2), ("1-4", 4)] {
            store.assign_slot(port, n, None).unwrap();
        }
        assert_eq!(store.next_free_slot().unwrap(), Some(3));
    }

    #[test]
    fn a_port_moves_to_a_free_number_in_one_step_keeping_its_label() {
        let mut store = store();
        store.assign_slot("1-8", 8, Some("rack B")).unwrap();
        let moved = store
            .move_slot("usb:1-8", 12, None, Attached::Ports(&[]))
            .unwrap();
        assert_eq!(
            (moved.slot.number, moved.from, moved.taken_from),
            (12, Some(8), None)
        );
        assert_eq!(moved.slot.label.as_deref(), Some("rack B"));
        assert_eq!(numbers(&store), [(12, "1-8".to_owned())]);
        let kinds: Vec<String> = store
            .events(None, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["slot-assigned", "slot-freed", "slot-assigned"]);
        let same = store
            .move_slot("1-8", 12, None, Attached::Ports(&[]))
            .unwrap();
        assert_eq!((same.from, same.slot.created), (None, moved.slot.created));
        let fresh = store
            .move_slot("1-9", 3, Some("new"), Attached::Unknown)
            .unwrap();
        assert_eq!(
            (fresh.from, fresh.slot.label.as_deref()),
            (None, Some("new"))
        );
    }

    #[test]
    fn a_number_held_by_an_attached_device_is_refused_with_the_next_free_one_offered() {
        let mut store = store();
        store.assign_slot("1-1", 1, None).unwrap();
        store.assign_slot("1-2", 2, None).unwrap();
        store.assign_slot("1-3", 3, None).unwrap();
        let attached = ["usb:1-1".to_owned(), "1-3".to_owned()];
        let err = store
            .move_slot("1-3", 1, None, Attached::Ports(&attached))
            .unwrap_err();
        assert!(
            matches!(&err, SlotError::InUse { number: 1, port_path, next_free: Some(4) } if port_path == "1-1"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "slot 1 is port 1-1, where another device is attached: use slot 4, which is free, or unplug that device first"
        );
        assert_eq!(err.remedy(), Some(Remedy::UseSlot { number: 4 }));
        let unknown = store.move_slot("1-3", 2, None, Attached::Unknown);
        assert!(matches!(
            unknown,
            Err(SlotError::MaybeInUse { number: 2, .. })
        ));
        assert_eq!(numbers(&store).len(), 3, "refusals change nothing");
        // Port 1-2 has nothing attached: its number is stale and moves.
        let taken = store
            .move_slot("1-3", 2, None, Attached::Ports(&attached))
            .unwrap();
        assert_eq!(
            (taken.from, taken.taken_from.as_deref()),
            (Some(3), Some("1-2"))
        );
        assert_eq!(
            numbers(&store),
            [(1, "1-1".to_owned()), (2, "1-3".to_owned())]
        );
        assert!(matches!(
            store.move_slot("1-3", 0, None, Attached::Unknown),
            Err(SlotError::BadNumber(0))
        ));
    }
}
