//! RealWear headsets: which models there are (their `ro.product.model` codes and names) and
//! where the firmware version is read from. Their firmware minimums for Intune AOSP are
//! Microsoft's AOSP supported-device list's ([`super::aosp_list`]), which names them.
//!
//! Sources:
//! - Maker string `RealWear inc.` (`ro.product.manufacturer`) and the model codes: public app
//!   code checking them, collected in shared/reference/intune-android-adb.md §5 (⚠️ secondary:
//!   `T1100G` HMT-1 and `T1100S` HMT-1Z1 are named by two apps; `T1200G`, `T21S`, `A31G` and
//!   their product names are not confirmed).
//! - Which models Microsoft lists for Intune AOSP, with their minimum firmware: the data file
//!   `crates/core/data/aosp-supported-devices.json` (ms.date 2026-05-13; seed requirement 45,
//!   open point P7, field notes §0), matched to these models by name.
//! - Which property holds the RealWear firmware version is NOT confirmed (§5 and §11.2 of the
//!   reference): [`FIRMWARE_PROPERTIES`] is the one place to change when it is.

use std::collections::BTreeMap;

use super::version::AppVersion;

/// One RealWear model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealWearModel {
    /// `ro.product.model` (`T1100G`).
    pub code: &'static str,
    /// What technicians call it (`HMT-1`), as Microsoft's AOSP list names it when it lists it.
    pub name: &'static str,
}

/// RealWear models by `ro.product.model` (see the module docs for the sources).
pub const REALWEAR_MODELS: &[RealWearModel] = &[
    RealWearModel {
        code: "T1100G",
        name: "HMT-1",
    },
    RealWearModel {
        code: "T1100S",
        name: "HMT-1Z1",
    },
    // An HMT-1 variant (❓ unconfirmed); named HMT-1, so held to the HMT-1 row of the list.
    RealWearModel {
        code: "T1200G",
        name: "HMT-1",
    },
    RealWearModel {
        code: "T21G",
        name: "Navigator 500",
    },
    // Not on Microsoft's AOSP list (ms.date 2026-05-13); names unconfirmed.
    RealWearModel {
        code: "T21S",
        name: "Navigator Z1",
    },
    RealWearModel {
        code: "A31G",
        name: "Navigator 520",
    },
];

/// Properties that may hold the RealWear firmware version, in the order they are tried; the
/// first one with a dotted number wins ([`AppVersion::find_in`]).
///
/// ❓ RealWear's own firmware property is not confirmed; these are Android's generic build
/// properties, which RealWear builds are believed to fill with the firmware release.
pub const FIRMWARE_PROPERTIES: &[&str] = &["ro.build.display.id", "ro.build.version.incremental"];

/// Whether `manufacturer` is RealWear (`RealWear inc.`, any case, any suffix).
pub fn is_realwear(manufacturer: &str) -> bool {
    manufacturer
        .trim()
        .to_ascii_lowercase()
        .starts_with("realwear")
}

/// The RealWear model for this maker and model, if it is one we know.
pub fn realwear_model(manufacturer: &str, model: &str) -> Option<&'static RealWearModel> {
    if !is_realwear(manufacturer) {
        return None;
    }
    REALWEAR_MODELS
        .iter()
        .find(|m| m.code.eq_ignore_ascii_case(model.trim()))
}

/// Build and firmware facts for the stage evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct FirmwareFacts {
    /// `ro.product.manufacturer`.
    pub manufacturer: Option<String>,
    /// `ro.product.model`.
    pub model: Option<String>,
    /// `ro.build.display.id`.
    pub display_id: Option<String>,
    /// `ro.build.version.incremental`.
    pub incremental: Option<String>,
    /// The RealWear model name (`HMT-1`, `Navigator 500`) when the device is a known RealWear.
    pub realwear: Option<String>,
    /// The firmware version, for RealWear devices only (other makers' build ids are not
    /// versions): the first dotted number in [`FIRMWARE_PROPERTIES`].
    pub version: Option<AppVersion>,
}

impl FirmwareFacts {
    /// Picks the facts out of a property map (`getprop` output); empty values count as missing.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> FirmwareFacts {
        let get = |key: &str| {
            properties
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let manufacturer = get("ro.product.manufacturer");
        let model = get("ro.product.model");
        let realwear = manufacturer.as_deref().is_some_and(is_realwear);
        let version = realwear
            .then(|| {
                FIRMWARE_PROPERTIES
                    .iter()
                    .find_map(|key| get(key).and_then(|v| AppVersion::find_in(&v)))
            })
            .flatten();
        FirmwareFacts {
            realwear: realwear_model(
                manufacturer.as_deref().unwrap_or(""),
                model.as_deref().unwrap_or(""),
            )
            .map(|m| m.name.to_owned()),
            display_id: get("ro.build.display.id"),
            incremental: get("ro.build.version.incremental"),
            version,
            manufacturer,
            model,
        }
    }

    /// Whether the maker is RealWear (known model or not).
    pub fn is_realwear(&self) -> bool {
        self.manufacturer.as_deref().is_some_and(is_realwear)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn models_by_maker_and_code() {
        assert_eq!(
            realwear_model("RealWear inc.", "T1100G").unwrap().name,
            "HMT-1"
        );
        assert_eq!(
            realwear_model("REALWEAR INC.", " t21g ").unwrap().name,
            "Navigator 500"
        );
        assert_eq!(realwear_model("samsung", "T1100G"), None);
        assert_eq!(realwear_model("RealWear inc.", "T9999"), None);
        let codes: std::collections::BTreeSet<_> = REALWEAR_MODELS.iter().map(|m| m.code).collect();
        assert_eq!(codes.len(), REALWEAR_MODELS.len(), "codes are unique");
        // Every RealWear row of Microsoft's list is a model named here.
        let list = super::super::aosp_list::aosp_list();
        for row in list.devices.iter().filter(|r| is_realwear(&r.oem)) {
            assert!(
                REALWEAR_MODELS.iter().any(|m| m.name == row.device),
                "{} has a model code",
                row.device
            );
        }
    }

    #[test]
    fn firmware_version_only_for_realwear() {
        let hmt = FirmwareFacts::from_properties(&props(&[
            ("ro.product.manufacturer", "RealWear inc."),
            ("ro.product.model", "T1100G"),
            ("ro.build.display.id", "HMT-1-release-11.2.0"),
            ("ro.build.version.incremental", "1000"),
        ]));
        assert_eq!(hmt.realwear.as_deref(), Some("HMT-1"));
        assert_eq!(hmt.version.as_ref().map(AppVersion::as_str), Some("11.2.0"));

        // Falls back to the incremental when the display id has no version.
        let nav = FirmwareFacts::from_properties(&props(&[
            ("ro.product.manufacturer", "RealWear inc."),
            ("ro.product.model", "T21G"),
            ("ro.build.display.id", "navigator"),
            ("ro.build.version.incremental", "1.4.1"),
        ]));
        assert_eq!(nav.version.as_ref().map(AppVersion::as_str), Some("1.4.1"));

        let phone = FirmwareFacts::from_properties(&props(&[
            ("ro.product.manufacturer", "samsung"),
            ("ro.build.display.id", "UP1A.231005.007"),
        ]));
        assert_eq!((&phone.realwear, &phone.version), (&None, &None));
        assert_eq!(phone.display_id.as_deref(), Some("UP1A.231005.007"));
        assert!(!phone.is_realwear());
    }
}
