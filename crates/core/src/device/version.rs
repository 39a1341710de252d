//! Versions as Android apps and firmware print them (`versionName=24.7.0`, `5.0.6061.0`,
//! `24.7.0-beta`, `6.2406.3911`), compared the way the Intune rules need: number by number.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A version as printed, compared by its leading dotted numbers.
///
/// - Numbers compare numerically, missing ones count as 0: `24.7` = `24.7.0` < `24.10.0`, and
///   `24.07.1` = `24.7.1` (some apps pad months).
/// - A pre-release suffix (`-beta`, `-rc1`, `alpha`, `preview`, `dev`) sorts just below the same
///   numbers without it, as in semver: `24.7.0-beta` < `24.7.0`.
/// - Any other suffix is build metadata and ignored: `24.7.0 (2407001)`, `24.7.0+42`,
///   `24.7.0-release` all equal `24.7.0`.
///
/// Equality and hashing follow the same rule, so `24.7` == `24.7.0`; [`AppVersion::as_str`]
/// keeps the text as printed.
///
/// It serializes as the text (a newtype: no serde attributes needed, so ts-rs sees `string`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct AppVersion(String);

/// Suffix words that mark a pre-release (compared lower-case).
const PRERELEASE_WORDS: &[&str] = &["alpha", "beta", "rc", "preview", "pre", "dev", "snapshot"];

impl AppVersion {
    /// The version at the start of `text` (after optional whitespace and a leading `v`), or
    /// `None` when `text` does not start with a number.
    pub fn parse(text: &str) -> Option<AppVersion> {
        let text = text.trim();
        let body = text.strip_prefix(['v', 'V']).unwrap_or(text);
        body.starts_with(|c: char| c.is_ascii_digit())
            .then(|| AppVersion(text.to_owned()))
    }

    /// The first dotted number with at least two parts anywhere in `text`: `11.2.0` in
    /// `HMT-1-release-11.2.0`, `1.4.1` in `RWN.1.4.1`. Firmware strings carry a model or build
    /// prefix, so a lone number (the `1` of `HMT-1`) is skipped.
    pub fn find_in(text: &str) -> Option<AppVersion> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
                i += 1;
                continue;
            }
            let run = dotted_run(&text[i..]);
            if run.contains('.') {
                return Some(AppVersion(run.to_owned()));
            }
            i += run.len().max(1);
        }
        None
    }

    /// The version as printed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The leading dotted numbers (`[24, 7, 0]` for `24.7.0-beta`).
    pub fn numbers(&self) -> Vec<u64> {
        let body = self.0.strip_prefix(['v', 'V']).unwrap_or(&self.0);
        dotted_run(body)
            .split('.')
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(u64::MAX))
            .collect()
    }

    /// Whether the suffix after the numbers marks a pre-release.
    pub fn is_prerelease(&self) -> bool {
        let body = self.0.strip_prefix(['v', 'V']).unwrap_or(&self.0);
        let suffix = body[dotted_run(body).len()..].to_ascii_lowercase();
        let words = suffix.split(|c: char| !c.is_ascii_alphabetic());
        words.into_iter().any(|w| PRERELEASE_WORDS.contains(&w))
    }

    /// The numbers without trailing zeros, then release (1) over pre-release (0).
    fn key(&self) -> (Vec<u64>, u8) {
        let mut numbers = self.numbers();
        while numbers.last() == Some(&0) {
            numbers.pop();
        }
        (numbers, u8::from(!self.is_prerelease()))
    }
}

/// `24.7.0` from `24.7.0-beta`: digits and dots, without a trailing dot.
fn dotted_run(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.')
}

impl PartialEq for AppVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for AppVersion {}

impl Hash for AppVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for AppVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AppVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let ((a, a_release), (b, b_release)) = (self.key(), other.key());
        // Compare number by number with missing numbers as 0 (the keys have no trailing zeros).
        let len = a.len().max(b.len());
        let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| at(&a, i).cmp(&at(&b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then(a_release.cmp(&b_release))
    }
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> AppVersion {
        AppVersion::parse(text).unwrap_or_else(|| panic!("{text:?} parses"))
    }

    #[test]
    fn order_table() {
        use Ordering::*;
        let cases = [
            ("24.7.0", "24.7.0", Equal),
            ("24.7", "24.7.0", Equal),
            ("24.07.1", "24.7.1", Equal),
            ("24.6.0", "24.7.0", Less),
            ("24.10.0", "24.7.0", Greater),
            ("24.8.2", "24.7.0", Greater),
            ("24.7.0-beta", "24.7.0", Less),
            ("24.7.0-beta", "24.6.9", Greater),
            ("24.7.0-rc1", "24.7.0-beta", Equal),
            ("24.7.0 (2407001)", "24.7.0", Equal),
            ("24.7.0+42", "24.7.0", Equal),
            ("24.7.0-release", "24.7.0", Equal),
            ("5.0.6061.0", "5.0.6061", Equal),
            ("5.0.6061.0", "5.0.6100.0", Less),
            ("6.2406.3911", "6.2401.0123", Greater),
            ("v11.2", "11.2.0", Equal),
            ("11.1.9", "11.2", Less),
            ("1.1", "1.0.99", Greater),
        ];
        for (a, b, expected) in cases {
            assert_eq!(v(a).cmp(&v(b)), expected, "{a} vs {b}");
            assert_eq!(v(b).cmp(&v(a)), expected.reverse(), "{b} vs {a}");
            assert_eq!(v(a) == v(b), expected == Equal, "{a} == {b}");
        }
    }

    #[test]
    fn parse_keeps_the_text_and_refuses_non_versions() {
        assert_eq!(v(" 24.7.0-beta\r").as_str(), "24.7.0-beta");
        assert_eq!(v("24.7.0-beta").numbers(), [24, 7, 0]);
        assert!(v("24.7.0-beta").is_prerelease());
        assert!(!v("24.7.0-release").is_prerelease());
        for text in ["", "null", "beta-24", "versionName=1"] {
            assert_eq!(AppVersion::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn find_in_firmware_strings() {
        let cases = [
            ("HMT-1-release-11.2.0", Some("11.2.0")),
            ("RWN.1.4.1", Some("1.4.1")),
            ("11.2.0", Some("11.2.0")),
            ("T21G 1.1 user", Some("1.1")),
            ("HMT-1", None),
            ("", None),
            ("12.", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                AppVersion::find_in(text).as_ref().map(AppVersion::as_str),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn serializes_as_the_printed_text() {
        assert_eq!(serde_json::to_value(v("24.7.0")).unwrap(), "24.7.0");
        let back: AppVersion = serde_json::from_str("\"24.7\"").unwrap();
        assert_eq!(back, v("24.7.0"));
    }
}
