//! Microsoft's list of the devices Intune supports for AOSP enrollment, each with its minimum
//! firmware: a data file, `crates/core/data/aosp-supported-devices.json`, embedded at build
//! time. The file carries its source (the Learn page, its address and `ms.date`) and how
//! devices are matched to its rows; updating the list is editing that file.
//!
//! Source: *Android Open Source Project Supported Devices*, ms.date 2026-05-13 (19 rows; the
//! MicrosoftDocs/memdocs copy of 10/15/2024 had 16). The seeds carry no list
//! (shared/seeds/002_e8b4c3f234bba8fc.txt is written around RealWear only).

use std::sync::OnceLock;

use serde::Deserialize;

use super::realwear::realwear_model;
use super::version::AppVersion;

/// The list as shipped.
const LIST_JSON: &str = include_str!("../../data/aosp-supported-devices.json");

/// Microsoft's AOSP supported-device list.
#[derive(Debug, Clone, Deserialize)]
pub struct AospList {
    /// The page's title.
    pub title: String,
    /// Where it is published.
    pub url: String,
    /// The page's `ms.date` (`YYYY-MM-DD`): how fresh the list is.
    pub ms_date: String,
    /// Which copy of the page the rows were read from.
    pub read_from: String,
    /// The rows, as the page lists them.
    pub devices: Vec<AospDevice>,
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AospDevice {
    /// The maker as the list names it (`Realwear`, `DigiLens Inc.`).
    pub oem: String,
    /// The device as the list names it (`Navigator 500`).
    pub device: String,
    /// The minimum firmware, verbatim (`11.2`, `v49`, `PUI 5.6.0`).
    pub minimum_firmware: String,
    /// The kind of device (`AR/VR Headset`).
    #[serde(rename = "type")]
    pub kind: String,
    /// What the list says restricts it, when anything does.
    #[serde(default)]
    pub restrictions: Option<String>,
    /// Other `ro.product.manufacturer` prefixes this maker's devices report (from real devices).
    #[serde(default)]
    pub makers: Vec<String>,
    /// `ro.product.model` codes of this device (from real devices).
    #[serde(default)]
    pub models: Vec<String>,
}

/// What the list says about one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing<'a> {
    /// The device is this row.
    Listed(&'a AospDevice),
    /// The maker is on the list, this model is not (these are the maker's rows).
    NotListed(&'a [AospDevice]),
    /// The list names no maker that reports itself this way.
    UnknownMaker,
}

/// The list shipped with StageBench.
pub fn aosp_list() -> &'static AospList {
    static LIST: OnceLock<AospList> = OnceLock::new();
    LIST.get_or_init(|| {
        // The file is checked by the tests below; a bad one is a build mistake.
        serde_json::from_str(LIST_JSON).expect("the AOSP supported-device list is valid")
    })
}

impl AospList {
    /// `Microsoft's AOSP supported devices list (ms.date 2026-05-13)`: how findings cite it.
    pub fn citation(&self) -> String {
        format!(
            "Microsoft's AOSP supported devices list (ms.date {})",
            self.ms_date
        )
    }

    /// Where `manufacturer` / `model` (`ro.product.*`) stand on the list.
    pub fn find(&self, manufacturer: &str, model: &str) -> Listing<'_> {
        let start = self.devices.iter().position(|d| d.made_by(manufacturer));
        let Some(start) = start else {
            return Listing::UnknownMaker;
        };
        let oem = &self.devices[start].oem;
        let end = self.devices[start..]
            .iter()
            .position(|d| &d.oem != oem)
            .map_or(self.devices.len(), |n| start + n);
        let rows = &self.devices[start..end];
        match rows.iter().find(|d| d.is_model(manufacturer, model)) {
            Some(row) => Listing::Listed(row),
            None => Listing::NotListed(rows),
        }
    }
}

impl AospDevice {
    /// The minimum firmware as a version, when the list gives a plain dotted number.
    pub fn min_version(&self) -> Option<AppVersion> {
        let text = self.minimum_firmware.trim();
        let plain = text.chars().all(|c| c.is_ascii_digit() || c == '.');
        plain.then(|| AppVersion::parse(text)).flatten()
    }

    /// `Realwear Navigator 500 (minimum firmware 1.1)`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} (minimum firmware {})",
            self.oem, self.device, self.minimum_firmware
        )
    }

    /// Whether `manufacturer` reports this row's maker: it starts with the OEM's first word or
    /// one of the row's makers, case, spaces and punctuation aside.
    fn made_by(&self, manufacturer: &str) -> bool {
        let reported = squash(manufacturer);
        let oem = self.oem.split_whitespace().next().unwrap_or("");
        std::iter::once(oem)
            .chain(self.makers.iter().map(String::as_str))
            .map(squash)
            .any(|maker| !maker.is_empty() && reported.starts_with(&maker))
    }

    /// Whether `model` is this device: one of its codes, or its name (alone or after the OEM's
    /// name), or the RealWear model of that code by name.
    fn is_model(&self, manufacturer: &str, model: &str) -> bool {
        let code = squash(model);
        let name = squash(&self.device);
        let oem = squash(self.oem.split_whitespace().next().unwrap_or(""));
        let realwear = realwear_model(manufacturer, model).map(|m| squash(m.name));
        !code.is_empty()
            && (self.models.iter().any(|m| squash(m) == code)
                || name == code
                || name == format!("{oem}{code}")
                || realwear.as_deref() == Some(name.as_str()))
    }
}

/// Lower-case letters and digits only: `HMT-1Z1` → `hmt1z1`, `RealWear inc.` → `realwearinc`.
fn squash(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_with_its_source_and_date() {
        let list = aosp_list();
        assert_eq!(list.ms_date, "2026-05-13");
        assert!(list.url.starts_with("https://learn.microsoft.com/"));
        assert_eq!(list.devices.len(), 19, "every row of the page");
        let shape: String = list
            .ms_date
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99", "ms_date is YYYY-MM-DD");
        for row in &list.devices {
            assert!(
                !row.oem.is_empty() && !row.device.is_empty() && !row.minimum_firmware.is_empty(),
                "{row:?}"
            );
        }
        // Rows of one maker stand together, so `find` sees all of them.
        let mut seen: Vec<&str> = Vec::new();
        for row in &list.devices {
            if seen.last() != Some(&row.oem.as_str()) {
                assert!(!seen.contains(&row.oem.as_str()), "{} rows apart", row.oem);
                seen.push(&row.oem);
            }
        }
    }

    #[test]
    fn devices_are_found_by_maker_and_model() {
        let list = aosp_list();
        let listed = |maker, model| match list.find(maker, model) {
            Listing::Listed(row) => Some(row.device.as_str()),
            _ => None,
        };
        assert_eq!(listed("RealWear inc.", "T1100G"), Some("HMT-1"));
        assert_eq!(listed("RealWear inc.", "T1100S"), Some("HMT-1Z1"));
        assert_eq!(listed("RealWear inc.", "T21G"), Some("Navigator 500"));
        assert_eq!(listed("Vuzix", "M400"), Some("M400"));
        assert_eq!(listed("HTC", "Vive Focus 3"), Some("HTC Vive Focus 3"));
        assert_eq!(
            listed("DigiLens Inc.", "DigiLens ARGO"),
            Some("DigiLens ARGO")
        );
        // The Navigator 520 is a RealWear Microsoft does not list.
        let Listing::NotListed(rows) = list.find("RealWear inc.", "A31G") else {
            panic!("a RealWear model off the list");
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(list.find("samsung", "SM-G991B"), Listing::UnknownMaker);
        assert_eq!(list.find("", ""), Listing::UnknownMaker);
    }

    #[test]
    fn only_plain_dotted_minimums_are_versions() {
        let list = aosp_list();
        let min = |device: &str| {
            let row = list.devices.iter().find(|d| d.device == device).unwrap();
            row.min_version().map(|v| v.as_str().to_owned())
        };
        assert_eq!(min("HMT-1").as_deref(), Some("11.2"));
        assert_eq!(min("Navigator 500").as_deref(), Some("1.1"));
        assert_eq!(min("Quest 2"), None, "v49");
        assert_eq!(min("PICO 4 Enterprise"), None, "PUI 5.6.0");
        assert_eq!(min("WS50"), None, "11-49-15.00");
        assert_eq!(min("HTC Vive Focus 3"), None, "5.2 - 5.0.999.624");
    }
}
