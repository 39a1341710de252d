//! The device's CNXN identity string, parsed: `device::ro.product.name=…;ro.product.model=…;
//! ro.product.device=…;features=…` (`<systemtype>:<serialno>:<banner>`; the serial part is empty
//! on current devices, which is why a direct link reads `ro.serialno` instead).

use std::collections::BTreeMap;

/// What a device announced in its CNXN, and what the connection negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceBanner {
    /// `device`, `recovery`, `bootloader`, `sideload`, `rescue`…
    pub system_type: String,
    /// The serial field; empty on current adbd.
    pub serial: String,
    /// `ro.product.name`.
    pub product: Option<String>,
    /// `ro.product.model`.
    pub model: Option<String>,
    /// `ro.product.device`.
    pub device: Option<String>,
    /// The device's features (`shell_v2`, `cmd`, `stat_v2`, …).
    pub features: Vec<String>,
    /// Every `key=value` pair of the banner.
    pub properties: BTreeMap<String, String>,
    /// The protocol version both sides speak (the lower of the two).
    pub version: u32,
    /// The largest payload either side may send (the lower of the two maxima).
    pub max_payload: usize,
}

impl DeviceBanner {
    /// Parse an identity string; `version` and `max_payload` are the negotiated values.
    pub fn parse(identity: &str, version: u32, max_payload: usize) -> Self {
        let identity = identity.trim_end_matches('\0');
        let mut parts = identity.splitn(3, ':');
        let system_type = parts.next().unwrap_or_default().to_owned();
        let serial = parts.next().unwrap_or_default().to_owned();
        let properties: BTreeMap<String, String> = parts
            .next()
            .unwrap_or_default()
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let features = properties
            .get("features")
            .map(|f| {
                f.split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let get = |key: &str| properties.get(key).filter(|v| !v.is_empty()).cloned();
        Self {
            system_type,
            serial,
            product: get("ro.product.name"),
            model: get("ro.product.model"),
            device: get("ro.product.device"),
            features,
            version,
            max_payload,
            properties,
        }
    }

    /// Whether the device announced `feature`.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_current_adbd_banner() {
        let banner = DeviceBanner::parse(
            "device::ro.product.name=o1s;ro.product.model=SM-G991B;ro.product.device=o1s;features=shell_v2,cmd,stat_v2\0",
            0x0100_0001,
            4096,
        );
        assert_eq!(banner.system_type, "device");
        assert_eq!(banner.serial, "");
        assert_eq!(banner.model.as_deref(), Some("SM-G991B"));
        assert_eq!(banner.features, ["shell_v2", "cmd", "stat_v2"]);
        assert!(banner.has_feature("stat_v2") && !banner.has_feature("ls_v2"));
        assert_eq!(banner.max_payload, 4096);
    }

    #[test]
    fn tolerates_old_and_odd_banners() {
        let old = DeviceBanner::parse("device:0123456789ABCDEF:", 0x0100_0000, 4096);
        assert_eq!(
            (old.serial.as_str(), old.features.len(), old.model),
            ("0123456789ABCDEF", 0, None)
        );
        let odd = DeviceBanner::parse("recovery", 0x0100_0000, 4096);
        assert_eq!(
            (odd.system_type.as_str(), odd.properties.len()),
            ("recovery", 0)
        );
        let model_with_colon = DeviceBanner::parse("device::ro.product.model=A:B;features=", 1, 1);
        assert_eq!(model_with_colon.model.as_deref(), Some("A:B"));
        assert!(model_with_colon.features.is_empty());
    }
}
