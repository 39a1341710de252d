//! Devices in the set-up wizard with USB debugging off (issue 15 §6): what the bench can see of
//! them, and the makers known not to show on USB at all in that state.
//!
//! What is known, and how surely (issue 15 research §6; no Microsoft or Google page covers it,
//! so all of it is uncertain for a given device):
//! - AOSP `UsbDeviceManager.getChargingFunctions()`: with ADB off the default function is MTP,
//!   presented locked until the user unlocks data; OEM builds differ (one maps `none` to MTP,
//!   one returns another function, one defers to a vendor hook).
//! - Vendor `init.*.usb.rc` write `${ro.serialno}` to the gadget's serial string, so the USB
//!   serial is normally the Android serial; with `sys.usb.config=none` nothing enumerates.
//! - Integrator patches (two CSDN posts) make user builds default to charging only (`none`):
//!   such devices don't enumerate until the user picks a mode.
//! - Intune, *Identify devices as corporate-owned* (ms.date 2025-04-11): "Serial numbers
//!   reported by the device to Intune might not match the ID shown on the device": USB serial =
//!   Intune serial is likely, not guaranteed.
//!
//! So the bench records a locked-MTP device by its USB serial ([`super::UsbBench`]), and tracks
//! a device that never shows by the serial scanned from its box ([`NOT_ON_USB`] cards, built a
//! floor up where batches are known).

use crate::device::{AdbState, BenchDevice};
use crate::identity::{is_identifying_serial, SerialObservation};
use crate::ids::DeviceId;

/// The connection state word of a card made from a scanned serial: the device was never seen
/// on USB (it may not enumerate in the set-up wizard).
pub const NOT_ON_USB: &str = "not-on-usb";

/// A maker whose devices were seen not to enumerate at all in the set-up wizard with USB
/// debugging off: the technician scans the box label instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MakerHint {
    /// `ro.product.manufacturer` (or the USB manufacturer string), compared case-insensitively.
    pub manufacturer: &'static str,
    /// Which models, or `*`.
    pub models: &'static str,
    /// When the bench observed it (YYYY-MM-DD).
    pub observed: &'static str,
    /// Where the observation comes from (a bench, a ticket, a public source).
    pub source: &'static str,
}

/// Makers known not to enumerate in the set-up wizard. Empty on purpose: no public source names
/// one (issue 15 research §6). Add a row only from a bench observation, with its date and source.
pub const MAKERS_NOT_ON_USB_IN_SETUP: &[MakerHint] = &[];

/// The hint for `manufacturer`, when its devices are known not to enumerate in set-up.
pub fn maker_hint(manufacturer: Option<&str>) -> Option<&'static MakerHint> {
    let manufacturer = manufacturer?.trim();
    MAKERS_NOT_ON_USB_IN_SETUP
        .iter()
        .find(|h| h.manufacturer.eq_ignore_ascii_case(manufacturer))
}

/// What a card made from a scanned serial says about USB.
pub fn not_on_usb_note(serial: &str, manufacturer: Option<&str>) -> String {
    let known = match maker_hint(manufacturer) {
        Some(h) => format!(
            " {} devices ({}) don't show on USB in set-up (seen {}, {}).",
            h.manufacturer, h.models, h.observed, h.source
        ),
        None => String::new(),
    };
    format!("Not seen on USB: expected for some makers in the set-up wizard with USB debugging off (no data until a USB mode is picked).{known} The bench tracks it by the serial scanned from its box, {serial}; Intune will show it as Staging_{serial}_….")
}

/// The card of a device known only by the serial scanned from its box (stored device
/// `device`): keyed `scan:<serial>`, in state [`NOT_ON_USB`], with no slot.
pub fn scanned_card(
    device: DeviceId,
    serials: Vec<SerialObservation>,
    manufacturer: Option<String>,
) -> Option<BenchDevice> {
    let serial = serials
        .iter()
        .map(|s| s.value.trim())
        .find(|s| is_identifying_serial(s))?
        .to_owned();
    Some(BenchDevice {
        device_id: Some(device),
        next_step: Some(not_on_usb_note(&serial, manufacturer.as_deref())),
        serial: Some(serial.clone()),
        serials,
        manufacturer,
        ..BenchDevice::blank(
            format!("{SCANNED_KEY}{serial}"),
            AdbState::Other(NOT_ON_USB.into()),
        )
    })
}

/// How the key of a card made from a scanned serial starts.
pub const SCANNED_KEY: &str = "scan:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maker_table_holds_only_dated_sourced_rows() {
        for h in MAKERS_NOT_ON_USB_IN_SETUP {
            assert!(
                h.observed.len() == 10 && !h.source.trim().is_empty(),
                "{h:?}: every row needs its date and source"
            );
        }
        assert_eq!(maker_hint(Some("Google")), None);
        let note = not_on_usb_note("R5CR0001", None);
        assert!(
            note.contains("R5CR0001") && note.contains("Staging_R5CR0001_"),
            "{note}"
        );
    }
}
