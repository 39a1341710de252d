//! Devices that left the bench: each stays as a grey tile (its last card, with
//! [`BenchDevice::unplugged_at`]) so a wrong cable pull is seen, until the device is plugged
//! back in or a front end dismisses the tile.
//!
//! A device is back when a live card has the tile's key, its stored device or its port: an
//! unplugged device that returns to any port, or another device plugged into its slot, ends
//! the tile.

use super::BenchDevice;
use crate::store::normalize_port_path;

/// The tiles of devices that left, from one live list to the next.
#[derive(Debug, Default)]
pub struct Departures {
    live: Vec<BenchDevice>,
    tiles: Vec<BenchDevice>,
}

/// Whether two cards show one device, or one bench slot.
fn same_place(a: &BenchDevice, b: &BenchDevice) -> bool {
    let port = |d: &BenchDevice| d.slot.as_deref().map(normalize_port_path);
    a.key == b.key
        || (a.device_id.is_some() && a.device_id == b.device_id)
        || (port(a).is_some() && port(a) == port(b))
}

impl Departures {
    /// Takes in the live cards as they are now (`now`, RFC 3339): each card of the last list
    /// whose device is not among them becomes a tile unplugged `now`; a tile whose device (or
    /// slot) is back goes. Returns the tiles, oldest first.
    pub fn update(&mut self, live: &[BenchDevice], now: &str) -> &[BenchDevice] {
        for gone in self
            .live
            .iter()
            .filter(|old| !live.iter().any(|card| same_place(old, card)))
        {
            self.tiles.retain(|tile| tile.key != gone.key);
            self.tiles.push(BenchDevice {
                unplugged_at: Some(now.to_owned()),
                ..gone.clone()
            });
        }
        self.tiles
            .retain(|tile| !live.iter().any(|card| same_place(tile, card)));
        self.live = live.to_vec();
        &self.tiles
    }

    /// The tiles now, oldest first.
    pub fn tiles(&self) -> &[BenchDevice] {
        &self.tiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;

    fn card(key: &str, serial: &str, port: &str) -> BenchDevice {
        BenchDevice {
            slot: Some(port.into()),
            slot_number: Some(8),
            ..BenchDevice::for_tests(key, serial)
        }
    }

    #[test]
    fn a_device_that_leaves_stays_as_a_tile_until_it_is_back() {
        let mut d = Departures::default();
        let a = card("2109100002", "2109100002", "1-8");
        let b = card("R5CR1", "R5CR1", "1-2");
        assert!(d.update(&[a.clone(), b.clone()], "t1").is_empty());
        let tiles = d.update(std::slice::from_ref(&b), "t2").to_vec();
        assert_eq!(tiles.len(), 1);
        assert_eq!(
            (
                tiles[0].key.as_str(),
                tiles[0].unplugged_at.as_deref(),
                tiles[0].slot_number,
                tiles[0].serial.as_deref()
            ),
            ("2109100002", Some("t2"), Some(8), Some("2109100002"))
        );
        // Still gone later: the tile keeps its time.
        assert_eq!(
            d.update(std::slice::from_ref(&b), "t3")[0]
                .unplugged_at
                .as_deref(),
            Some("t2")
        );
        // Plugged back in (same key): live again, no tile.
        assert!(d.update(&[a, b.clone()], "t4").is_empty());
    }

    #[test]
    fn the_same_device_at_another_key_or_another_device_in_its_slot_ends_the_tile() {
        let mut d = Departures::default();
        let mut a = card("usb:1-8", "2109100002", "1-8");
        a.device_id = Some(DeviceId(7));
        d.update(std::slice::from_ref(&a), "t1");
        assert_eq!(d.update(&[], "t2").len(), 1);
        // Read through the adb server now: another key, the same stored device.
        let mut back = card("2109100002", "2109100002", "127.0.0.1:5555");
        back.device_id = Some(DeviceId(7));
        assert!(d.update(std::slice::from_ref(&back), "t3").is_empty());
        // It leaves again; another device takes its port.
        d.update(&[], "t4");
        assert_eq!(d.tiles().len(), 1);
        let other = card("OTHER", "OTHER", "127.0.0.1:5555");
        assert!(d.update(&[other], "t5").is_empty());
        // A USB card replaced by the server's card for the same port is no departure.
        let mut d = Departures::default();
        d.update(&[card("usb:1-4", "X1", "1-4")], "t1");
        assert!(d.update(&[card("X1", "X1", "usb:1-4")], "t2").is_empty());
    }
}
