//! What a device says about itself: `getprop` output parsed, and the identity facts staging needs.

use std::collections::BTreeMap;

/// Identity and build facts read from one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    /// What the server calls the device (`get-serialno`): the USB descriptor serial, or
    /// `host:port` for a TCP device — not necessarily `ro.serialno`.
    pub transport_serial: String,
    /// `ro.serialno`.
    pub ro_serialno: Option<String>,
    /// `ro.boot.serialno`.
    pub boot_serialno: Option<String>,
    /// `ro.product.manufacturer`.
    pub manufacturer: Option<String>,
    /// `ro.product.model`.
    pub model: Option<String>,
    /// `ro.product.device`.
    pub device: Option<String>,
    /// `ro.build.version.release`.
    pub android_release: Option<String>,
    /// `ro.build.version.sdk`.
    pub sdk: Option<u32>,
    /// `ro.build.id`.
    pub build_id: Option<String>,
    /// `ro.build.display.id`.
    pub build_display_id: Option<String>,
    /// `ro.build.fingerprint`.
    pub fingerprint: Option<String>,
    /// Every property, for anything else the caller needs.
    pub properties: BTreeMap<String, String>,
}

impl DeviceFacts {
    /// Pick the facts out of a property map. Empty values count as missing.
    pub fn from_properties(transport_serial: String, properties: BTreeMap<String, String>) -> Self {
        let get = |key: &str| {
            properties
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            transport_serial,
            ro_serialno: get("ro.serialno"),
            boot_serialno: get("ro.boot.serialno"),
            manufacturer: get("ro.product.manufacturer"),
            model: get("ro.product.model"),
            device: get("ro.product.device"),
            android_release: get("ro.build.version.release"),
            sdk: get("ro.build.version.sdk").and_then(|v| v.parse().ok()),
            build_id: get("ro.build.id"),
            build_display_id: get("ro.build.display.id"),
            fingerprint: get("ro.build.fingerprint"),
            properties,
        }
    }
}

/// Parse `getprop` output: `[key]: [value]` lines. Tolerant: a value may contain `]` (only the
/// last one on the line closes it) or run over several lines (until a line ending in `]`, or
/// the next `[key]: [` line); `\r` is ignored; anything else is skipped.
pub fn parse_getprop(text: &str) -> BTreeMap<String, String> {
    let mut properties = BTreeMap::new();
    let mut open: Option<(String, String)> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((key, value)) = record_start(line) {
            if let Some((k, v)) = open.take() {
                properties.insert(k, v);
            }
            match value.strip_suffix(']') {
                Some(value) => {
                    properties.insert(key.to_owned(), value.to_owned());
                }
                None => open = Some((key.to_owned(), value.to_owned())),
            }
        } else if let Some((key, mut value)) = open.take() {
            value.push('\n');
            match line.strip_suffix(']') {
                Some(end) => {
                    value.push_str(end);
                    properties.insert(key, value);
                }
                None => {
                    value.push_str(line);
                    open = Some((key, value));
                }
            }
        }
    }
    if let Some((key, value)) = open {
        properties.insert(key, value);
    }
    properties
}

fn record_start(line: &str) -> Option<(&str, &str)> {
    line.strip_prefix('[')?.split_once("]: [")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_odd_and_multiline_values() {
        let text = "[ro.serialno]: [R58M123]\r\n[empty]: []\n[odd]: [a]b]\n[multi]: [line one\nline two]\n\
                    garbage\n[ro.build.version.sdk]: [34]\n[unclosed]: [x\n[next]: [y]\n";
        let props = parse_getprop(text);
        assert_eq!(props["ro.serialno"], "R58M123");
        assert_eq!(props["empty"], "");
        assert_eq!(props["odd"], "a]b");
        assert_eq!(props["multi"], "line one\nline two");
        assert_eq!(props["unclosed"], "x");
        assert_eq!(props["next"], "y");
        assert_eq!(props.len(), 7);
    }

    #[test]
    fn facts_pick_the_usual_properties() {
        let props = parse_getprop(
            "[ro.serialno]: [S1]\n[ro.build.version.sdk]: [34]\n[ro.product.model]: [ ]\n",
        );
        let facts = DeviceFacts::from_properties("127.0.0.1:5555".into(), props);
        assert_eq!(facts.ro_serialno.as_deref(), Some("S1"));
        assert_eq!(facts.sdk, Some(34));
        assert_eq!(facts.model, None);
        assert_eq!(facts.boot_serialno, None);
    }
}
