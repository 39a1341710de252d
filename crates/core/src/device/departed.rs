//! Devices that left the bench: each stays as a grey tile (its last card, with
//! [`BenchDevice::unplugged_at`]) so a wrong cable pull is seen, until the device is plugged
//! back in or a front end dismisses the tile.
//!
//! A device is back when a live card has the tile's key, its stored device or its port: an
//! unplugged device that returns to any port, or another device plugged into its slot, ends
//! the tile.
//!
//! **USB closed by policy.** A device the bench saw past scanning (Intune's agent its device
//! owner) that leaves USB without the technician's *Powered off* most likely had USB closed by
//! its new policy, by design: the tile says so ([`USB_CLOSED_BY_POLICY`], with what to check,
//! [`POLICY_CHECKS`]) and the watcher notes the departure in the device's history
//! ([`EVENT_USB_LEFT`]), so its stage waits for Intune's evidence alone (stage 2 completes when
//! Intune shows `Staging_<serial>_…`), and a day without it is flagged as for a powered-off one.
//!
//! Sources for the checks (issue 15 research §3; Microsoft wins where the seeds differ):
//! - Intune settings catalog, *Review Android settings catalog settings* (Learn, ms.date
//!   2026-08-20): **USB access** = *Disallow USB data transfer* "All data is blocked to and
//!   from USB. No USB connections are allowed"; *Disallow USB transfer* blocks files only;
//!   **Allow access to developer settings** False leaves the OS default, which "might prevent
//!   users from accessing developer settings". COPE (work profile level), COBO, COSU.
//! - Intune device restrictions template (Learn, ms.date 2026-10-02): **USB file transfer** =
//!   Block; **Developer settings** Not configured: the OS might prevent them.
//! - Google Android Management API `usbDataAccess`: `DISALLOW_USB_DATA_TRANSFER` needs Android
//!   12+ with USB HAL 1.3+ (else file transfer only); source.android.com *Disable data signaling
//!   over USB* (Android 12). AMAPI `developerSettings` unspecified defaults to disabled.
//! - Whether an unset `usbDataAccess` blocks files or all data is documented two ways (AMAPI
//!   reference and its March 2024 release note: files; Bayton's FAQ, 2024-01-25: all data), and
//!   Intune's own default on top of it is unconfirmed: hence "probably".
//! - Seed 003 (`003_729e51c15a5a5608.txt:4431-4435`, 2022) knows only "USB file transfer:
//!   Block" and the compliance "Block USB debugging"; it has neither the settings catalog's
//!   USB access nor the developer-settings default.

use super::status::past_scanning;
use super::BenchDevice;
use crate::stage::{Stage, USB_LEFT_NOTE};
use crate::store::normalize_port_path;

/// Event kind in a device's history: the device left USB after the bench saw Intune's agent
/// own it, without the technician's Powered off (USB probably closed by policy).
pub const EVENT_USB_LEFT: &str = "usb-left";

/// The word of a card whose USB was (probably) closed by policy.
pub const USB_CLOSED_BY_POLICY: &str = "USB closed by policy (expected)";

/// What to check when USB went away after enrollment (see the module docs for the sources).
pub const POLICY_CHECKS: &str = "Its new policy probably closed USB, by design; it is not a failure. To confirm, check the device's configuration in Intune: settings catalog › USB access = “Disallow USB data transfer” ends all USB data on Android 12+ with USB HAL 1.3+ (Microsoft Learn, Android settings catalog, 2026-08-20; Android Management API); “Disallow USB transfer”, or the template's USB file transfer = Block, ends file transfer (MTP); developer settings not allowed (the default) end USB debugging (device restrictions template, 2026-10-02).";

/// Whether `card` (a tile) left after the bench saw Intune's agent own it, and not because the
/// technician powered it off: its stage is past scanning but short of Bench done, or the
/// history noted the departure ([`EVENT_USB_LEFT`]) before any Powered off.
pub fn closed_by_policy(card: &BenchDevice) -> bool {
    if card.unplugged_at.is_none() || !past_scanning(card) {
        return false;
    }
    match &card.stage {
        Some(stage) => {
            stage.stage < Stage::BenchDone || stage.problems.iter().any(|p| p.id == USB_LEFT_NOTE)
        }
        None => true,
    }
}

/// The tiles of devices that left, from one live list to the next.
#[derive(Debug, Default)]
pub struct Departures {
    live: Vec<BenchDevice>,
    tiles: Vec<BenchDevice>,
    /// The keys of the cards that left at the last update.
    left_now: Vec<String>,
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
        self.left_now.clear();
        for gone in self
            .live
            .iter()
            .filter(|old| !live.iter().any(|card| same_place(old, card)))
        {
            self.tiles.retain(|tile| tile.key != gone.key);
            self.left_now.push(gone.key.clone());
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

    /// The tiles of the devices that left at the last [`Departures::update`].
    pub fn left_now(&self) -> impl Iterator<Item = &BenchDevice> {
        self.tiles.iter().filter(|t| self.left_now.contains(&t.key))
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
