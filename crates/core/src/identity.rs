//! What a serial is, where it came from, and whether the serials of one device agree.
//!
//! Android serials are not an identity you can trust on their own (field notes, pain points 8
//! and 15): cheap devices share placeholders such as `1234567890ABCDEF`, the USB descriptor, the
//! `ro.serialno` property and the serial Intune reports may differ, and for TCP or wireless
//! transports the "serial" adb prints is an address. So a device's identity is the set of its
//! serials *with their sources*, plus its bench slot; this module classifies single values
//! ([`is_placeholder_serial`], [`is_network_address`]) and checks a set of observations
//! ([`check_identity`]) so the bench can tell the technician what to do next.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// Where a serial was read.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
pub enum SerialSource {
    /// The USB device descriptor's `iSerialNumber` string (readable without ADB).
    UsbDescriptor,
    /// The transport serial adb reports (`adb get-serialno`, `adb devices`). For TCP and
    /// wireless transports this is an address, see [`is_network_address`].
    AdbTransport,
    /// `getprop ro.serialno`.
    RoSerialno,
    /// `getprop ro.boot.serialno`.
    BootSerialno,
    /// An IMEI (dual-SIM devices have two).
    Imei,
    /// The `serialNumber` Intune reports for the managed device.
    Intune,
    /// Typed or scanned by the technician (from the device label or the box).
    Scanner,
}

impl SerialSource {
    /// Every source, in declaration order.
    pub const ALL: [SerialSource; 7] = [
        SerialSource::UsbDescriptor,
        SerialSource::AdbTransport,
        SerialSource::RoSerialno,
        SerialSource::BootSerialno,
        SerialSource::Imei,
        SerialSource::Intune,
        SerialSource::Scanner,
    ];

    /// The stable kebab-case name, as stored and serialized (`"usb-descriptor"`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            SerialSource::UsbDescriptor => "usb-descriptor",
            SerialSource::AdbTransport => "adb-transport",
            SerialSource::RoSerialno => "ro-serialno",
            SerialSource::BootSerialno => "boot-serialno",
            SerialSource::Imei => "imei",
            SerialSource::Intune => "intune",
            SerialSource::Scanner => "scanner",
        }
    }

    /// How a technician knows the source, for messages (`"ro.serialno"`, `"the USB descriptor"`).
    pub fn label(&self) -> &'static str {
        match self {
            SerialSource::UsbDescriptor => "the USB descriptor serial",
            SerialSource::AdbTransport => "adb get-serialno",
            SerialSource::RoSerialno => "ro.serialno",
            SerialSource::BootSerialno => "ro.boot.serialno",
            SerialSource::Imei => "the IMEI",
            SerialSource::Intune => "the Intune serial",
            SerialSource::Scanner => "the scanned serial",
        }
    }

    /// Whether equal values from `self` and `other` mean the same device.
    ///
    /// The device serial family (USB descriptor, adb transport, `ro.serialno`,
    /// `ro.boot.serialno`) is one namespace, because init copies `ro.serialno` into the USB
    /// gadget serial and adb reads that descriptor. Intune reports the device serial, so it
    /// compares with that family. IMEIs only compare with IMEIs. A scanned value may be the
    /// serial or an IMEI from the label, so it compares with everything.
    pub fn comparable(self, other: SerialSource) -> bool {
        use SerialSource::*;
        match (self, other) {
            (Scanner, _) | (_, Scanner) => true,
            (Imei, Imei) => true,
            (Imei, _) | (_, Imei) => false,
            // The rest are the device serial family and Intune.
            _ => true,
        }
    }

    /// Whether all sources for which this holds should carry the *same* value on a healthy
    /// device, so a difference is worth telling the technician about. IMEIs are excluded
    /// (dual-SIM devices have two) and so is the scanner (a label may show the serial or an IMEI).
    fn must_agree(self) -> bool {
        !matches!(self, SerialSource::Imei | SerialSource::Scanner)
    }
}

impl fmt::Display for SerialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A serial source name that [`SerialSource::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown serial source {0:?}; expected one of usb-descriptor, adb-transport, ro-serialno, boot-serialno, imei, intune, scanner")]
pub struct UnknownSerialSource(pub String);

impl FromStr for SerialSource {
    type Err = UnknownSerialSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SerialSource::ALL
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or_else(|| UnknownSerialSource(s.to_owned()))
    }
}

/// One serial value read from one source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct SerialObservation {
    /// Where it was read.
    pub source: SerialSource,
    /// The value as read (compare with [`SerialObservation::trimmed`]).
    pub value: String,
}

impl SerialObservation {
    /// An observation of `value` from `source`.
    pub fn new(source: SerialSource, value: impl Into<String>) -> Self {
        Self {
            source,
            value: value.into(),
        }
    }

    /// The value without surrounding whitespace (getprop output ends in a newline).
    pub fn trimmed(&self) -> &str {
        self.value.trim()
    }

    /// Whether the value can tell this device apart (see [`is_identifying_serial`]).
    pub fn identifies(&self) -> bool {
        is_identifying_serial(&self.value)
    }
}

impl fmt::Display for SerialObservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.source.label(), self.trimmed())
    }
}

/// Serials that vendors ship on many devices at once, compared case-insensitively after
/// trimming. Besides these, [`is_placeholder_serial`] treats as placeholders the empty string
/// and any value made of one repeated character (`0000000000000000`, `FFFFFFFF`, `0`).
///
/// - `1234567890ABCDEF`, `0123456789ABCDEF`, `123456789ABCDEF`, `ABCDEF0123456789`: default
///   serials of MediaTek, Allwinner and Rockchip board kits that reach cheap phones and tablets
///   (field notes, pain point 8: devices that "jump on each other's places").
/// - `0123456789`, `1234567890`, `123456789`, `12345678`, `01234567`: the same, shortened.
/// - `unknown` (Android's `Build.UNKNOWN`), `null`, `(null)`, `none`, `nil`, `n/a`, `na`,
///   `undefined`, `default`, `serial`, `serialno`, `no serial`: what a missing property or a
///   careless BSP prints instead of a serial.
pub const PLACEHOLDER_SERIALS: &[&str] = &[
    "1234567890ABCDEF",
    "0123456789ABCDEF",
    "123456789ABCDEF",
    "ABCDEF0123456789",
    "0123456789",
    "1234567890",
    "123456789",
    "12345678",
    "01234567",
    "UNKNOWN",
    "NULL",
    "(NULL)",
    "NONE",
    "NIL",
    "N/A",
    "NA",
    "UNDEFINED",
    "DEFAULT",
    "SERIAL",
    "SERIALNO",
    "NO SERIAL",
];

/// Whether `s` is a serial that many devices share or that stands for "no serial": empty or
/// whitespace-only, one character repeated (`0000000000000000`), or one of
/// [`PLACEHOLDER_SERIALS`]. Case-insensitive; surrounding whitespace is ignored.
pub fn is_placeholder_serial(s: &str) -> bool {
    let s = s.trim();
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    if chars.all(|c| c.eq_ignore_ascii_case(&first)) {
        return true;
    }
    PLACEHOLDER_SERIALS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(s))
}

/// Whether `s` is the address of a TCP or wireless adb transport rather than a device serial:
///
/// - `host:port` with a numeric port: `127.0.0.1:5555`, `[::1]:5555`, `192.168.1.20:37011`,
///   `localhost:5555` (what `adb connect` and `adb devices` print);
/// - an adb mDNS service name: `adb-R3CR609J7HW-aBcDeF._adb-tls-connect._tcp` (wireless
///   debugging), also `._adb-tls-pairing._tcp` and `._adb._tcp`, with or without a final dot;
/// - `emulator-5554`: adb names emulators by their console port.
///
/// Such a value changes when the device moves to another address and can be reused by another
/// device, so it is a bench slot, never an identity.
pub fn is_network_address(s: &str) -> bool {
    let s = s.trim();
    if s.parse::<SocketAddr>().is_ok() {
        return true;
    }
    let lower = s.trim_end_matches('.').to_ascii_lowercase();
    if [
        "._adb-tls-connect._tcp",
        "._adb-tls-pairing._tcp",
        "._adb._tcp",
    ]
    .iter()
    .any(|suffix| lower.ends_with(suffix))
    {
        return true;
    }
    if let Some(port) = lower.strip_prefix("emulator-") {
        return is_port(port);
    }
    match s.rsplit_once(':') {
        Some((host, port)) => {
            is_port(port)
                && !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }
        None => false,
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 5
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u16>().is_ok()
}

/// Whether `s` can tell a device apart: neither a placeholder ([`is_placeholder_serial`]) nor a
/// network address ([`is_network_address`]).
pub fn is_identifying_serial(s: &str) -> bool {
    !is_placeholder_serial(s) && !is_network_address(s)
}

/// The Luhn check digit test IMEIs use.
pub fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// The result of [`check_identity`]: nothing to say when `flags` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct IdentityCheck {
    /// What is wrong with the device's serials, in the order found.
    pub flags: Vec<IdentityFlag>,
}

impl IdentityCheck {
    /// Whether the serials identify the device without doubt.
    pub fn is_clean(&self) -> bool {
        self.flags.is_empty()
    }

    /// One message per flag, each ending with the next step.
    pub fn messages(&self) -> Vec<String> {
        self.flags.iter().map(IdentityFlag::message).collect()
    }
}

/// Something about a device's serials the technician must know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "flag", rename_all = "kebab-case")]
pub enum IdentityFlag {
    /// A source gave a placeholder (see [`is_placeholder_serial`]).
    Placeholder {
        /// Where the placeholder was read.
        source: SerialSource,
        /// The placeholder, trimmed.
        value: String,
    },
    /// Two sources that should agree gave different serials (or a scanned serial matches
    /// nothing read from the device).
    Disagree {
        /// The first observation.
        a: SerialObservation,
        /// The one that differs from it.
        b: SerialObservation,
    },
    /// No source gave a serial that identifies the device.
    Missing,
}

impl IdentityFlag {
    /// What happened and what to do next, for the technician.
    pub fn message(&self) -> String {
        match self {
            IdentityFlag::Placeholder { source, value } if value.is_empty() => format!(
                "{} is empty: this source can't tell the device apart; keep the device in its \
                 bench slot and label it by slot.",
                sentence_start(source.label())
            ),
            IdentityFlag::Placeholder { source, value } => format!(
                "{} is the placeholder {value}: this device can't be told apart by serial; keep \
                 it in its bench slot and label it by slot.",
                sentence_start(source.label())
            ),
            IdentityFlag::Disagree { a, b } if b.source == SerialSource::Scanner => format!(
                "{} matches no serial read from the device ({a}): check that the label belongs \
                 to the device in this slot, then scan again.",
                sentence_start(&b.to_string())
            ),
            IdentityFlag::Disagree { a, b }
                if a.source == SerialSource::Intune || b.source == SerialSource::Intune =>
            {
                format!(
                    "{} differs from {b}: Intune may report another serial than the device \
                     shows; match them by the serial in Settings › About, and StageBench keeps \
                     both for this device.",
                    sentence_start(&a.to_string())
                )
            }
            IdentityFlag::Disagree { a, b } => format!(
                "{} differs from {b}: the device reports two serials; scan the serial on its \
                 label (or Settings › About) so the right one goes on the label, StageBench \
                 keeps both for this device.",
                sentence_start(&a.to_string())
            ),
            IdentityFlag::Missing => "No serial could be read from this device: keep it in its \
                                      bench slot and scan the serial from its label or box."
                .to_owned(),
        }
    }
}

/// Capitalizes a leading "the " so labels can start a sentence; "ro.serialno" stays as is.
fn sentence_start(text: &str) -> String {
    match text.strip_prefix("the ") {
        Some(rest) => format!("The {rest}"),
        None => text.to_owned(),
    }
}

impl fmt::Display for IdentityFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Checks the serials read from one device.
///
/// Flags every placeholder, flags [`IdentityFlag::Missing`] when no value identifies the device,
/// and flags a disagreement for each distinct serial that differs from the first one among the
/// sources that should agree (device serial family and Intune). A scanned value is flagged when
/// it equals none of the other identifying values. Values are trimmed and compared
/// case-sensitively; network addresses (see [`is_network_address`]) are ignored.
pub fn check_identity(observations: &[SerialObservation]) -> IdentityCheck {
    let mut flags = Vec::new();
    for o in observations {
        if is_placeholder_serial(&o.value) {
            flags.push(IdentityFlag::Placeholder {
                source: o.source,
                value: o.trimmed().to_owned(),
            });
        }
    }
    let usable: Vec<&SerialObservation> = observations.iter().filter(|o| o.identifies()).collect();
    if usable.is_empty() {
        flags.push(IdentityFlag::Missing);
        return IdentityCheck { flags };
    }

    // One representative per distinct value among sources that should agree.
    let mut distinct: Vec<&SerialObservation> = Vec::new();
    for o in usable.iter().copied() {
        if o.source.must_agree() && !distinct.iter().any(|d| d.trimmed() == o.trimmed()) {
            distinct.push(o);
        }
    }
    if let Some((first, rest)) = distinct.split_first() {
        for other in rest {
            flags.push(IdentityFlag::Disagree {
                a: (*first).clone(),
                b: (*other).clone(),
            });
        }
    }

    for scanned in usable.iter().filter(|o| o.source == SerialSource::Scanner) {
        let others: Vec<&&SerialObservation> = usable
            .iter()
            .filter(|o| o.source != SerialSource::Scanner)
            .collect();
        if let Some(first) = others.first() {
            if !others.iter().any(|o| o.trimmed() == scanned.trimmed()) {
                flags.push(IdentityFlag::Disagree {
                    a: (**first).clone(),
                    b: (*scanned).clone(),
                });
            }
        }
    }
    IdentityCheck { flags }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SerialSource::*;

    fn obs(source: SerialSource, value: &str) -> SerialObservation {
        SerialObservation::new(source, value)
    }

    #[test]
    fn placeholders() {
        let cases: &[(&str, bool)] = &[
            ("1234567890ABCDEF", true),
            ("1234567890abcdef", true),
            (" 0123456789ABCDEF\n", true),
            ("unknown", true),
            ("Unknown", true),
            ("", true),
            ("   ", true),
            ("0000000000000000", true),
            ("ffffffff", true),
            ("null", true),
            ("(null)", true),
            ("N/A", true),
            ("0", true),
            ("R3CR609J7HW", false),
            ("HT7A1SF01234", false),
            ("1234567890ABCDEE", false),
            ("00000000000000001", false),
            ("356938035643809", false),
        ];
        for (value, expected) in cases {
            assert_eq!(is_placeholder_serial(value), *expected, "{value:?}");
        }
    }

    #[test]
    fn network_addresses() {
        let cases: &[(&str, bool)] = &[
            ("127.0.0.1:5555", true),
            ("[::1]:5555", true),
            ("192.168.1.20:37011", true),
            ("localhost:5555", true),
            ("adb-R3CR609J7HW-aBcDeF._adb-tls-connect._tcp", true),
            ("adb-R3CR609J7HW-aBcDeF._adb-tls-connect._tcp.", true),
            ("adb-R3CR609J7HW-aBcDeF._adb-tls-pairing._tcp", true),
            ("emulator-5554", true),
            ("R3CR609J7HW", false),
            ("emulator-x", false),
            ("host:99999", false),
            ("host:", false),
            (":5555", false),
            ("1234567890ABCDEF", false),
            ("usb:1-4.3", false),
        ];
        for (value, expected) in cases {
            assert_eq!(is_network_address(value), *expected, "{value:?}");
        }
    }

    #[test]
    fn source_names_round_trip_and_match_serde() {
        for source in SerialSource::ALL {
            assert_eq!(source.as_str().parse::<SerialSource>(), Ok(source));
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                serde_json::json!(source.as_str())
            );
        }
        assert!("usb"
            .parse::<SerialSource>()
            .unwrap_err()
            .to_string()
            .contains("usb-descriptor"));
    }

    #[test]
    fn comparable_families() {
        let cases = [
            (UsbDescriptor, RoSerialno, true),
            (AdbTransport, BootSerialno, true),
            (Intune, UsbDescriptor, true),
            (Intune, Intune, true),
            (Imei, Imei, true),
            (Imei, RoSerialno, false),
            (Intune, Imei, false),
            (Scanner, Imei, true),
            (Scanner, RoSerialno, true),
        ];
        for (a, b, expected) in cases {
            assert_eq!(a.comparable(b), expected, "{a} vs {b}");
            assert_eq!(b.comparable(a), expected, "{b} vs {a}");
        }
    }

    #[test]
    fn check_identity_table() {
        let placeholder = IdentityFlag::Placeholder {
            source: RoSerialno,
            value: "1234567890ABCDEF".into(),
        };
        let cases: Vec<(&str, Vec<SerialObservation>, Vec<IdentityFlag>)> = vec![
            (
                "all agree",
                vec![
                    obs(UsbDescriptor, "R3CR609J7HW"),
                    obs(RoSerialno, "R3CR609J7HW\n"),
                ],
                vec![],
            ),
            (
                "placeholder everywhere",
                vec![
                    obs(UsbDescriptor, "1234567890ABCDEF"),
                    obs(RoSerialno, "1234567890ABCDEF"),
                ],
                vec![
                    IdentityFlag::Placeholder {
                        source: UsbDescriptor,
                        value: "1234567890ABCDEF".into(),
                    },
                    placeholder.clone(),
                    IdentityFlag::Missing,
                ],
            ),
            (
                "placeholder beside a real serial",
                vec![
                    obs(UsbDescriptor, "R3CR609J7HW"),
                    obs(RoSerialno, "1234567890ABCDEF"),
                ],
                vec![placeholder.clone()],
            ),
            (
                "usb and ro.serialno differ",
                vec![obs(UsbDescriptor, "ABC123"), obs(RoSerialno, "XYZ789")],
                vec![IdentityFlag::Disagree {
                    a: obs(UsbDescriptor, "ABC123"),
                    b: obs(RoSerialno, "XYZ789"),
                }],
            ),
            (
                "case matters",
                vec![obs(UsbDescriptor, "abc123"), obs(RoSerialno, "ABC123")],
                vec![IdentityFlag::Disagree {
                    a: obs(UsbDescriptor, "abc123"),
                    b: obs(RoSerialno, "ABC123"),
                }],
            ),
            (
                "network address ignored",
                vec![
                    obs(AdbTransport, "127.0.0.1:5555"),
                    obs(RoSerialno, "R3CR609J7HW"),
                ],
                vec![],
            ),
            (
                "only an address",
                vec![obs(AdbTransport, "[::1]:5555")],
                vec![IdentityFlag::Missing],
            ),
            ("nothing at all", vec![], vec![IdentityFlag::Missing]),
            (
                "two IMEIs are fine",
                vec![
                    obs(RoSerialno, "R3CR609J7HW"),
                    obs(Imei, "356938035643809"),
                    obs(Imei, "356938035643817"),
                ],
                vec![],
            ),
            (
                "intune differs",
                vec![obs(RoSerialno, "R3CR609J7HW"), obs(Intune, "R3CR609J7HX")],
                vec![IdentityFlag::Disagree {
                    a: obs(RoSerialno, "R3CR609J7HW"),
                    b: obs(Intune, "R3CR609J7HX"),
                }],
            ),
            (
                "scanned IMEI matches",
                vec![
                    obs(RoSerialno, "R3CR609J7HW"),
                    obs(Imei, "356938035643809"),
                    obs(Scanner, "356938035643809"),
                ],
                vec![],
            ),
            (
                "scanned label of another device",
                vec![obs(RoSerialno, "R3CR609J7HW"), obs(Scanner, "R3CR000000X")],
                vec![IdentityFlag::Disagree {
                    a: obs(RoSerialno, "R3CR609J7HW"),
                    b: obs(Scanner, "R3CR000000X"),
                }],
            ),
            ("scanner alone", vec![obs(Scanner, "R3CR609J7HW")], vec![]),
        ];
        for (name, observations, expected) in cases {
            assert_eq!(check_identity(&observations).flags, expected, "{name}");
        }
    }

    #[test]
    fn messages_name_the_value_and_the_next_step() {
        let check = check_identity(&[obs(RoSerialno, "1234567890ABCDEF")]);
        assert_eq!(
            check.messages()[0],
            "ro.serialno is the placeholder 1234567890ABCDEF: this device can't be told apart by \
             serial; keep it in its bench slot and label it by slot."
        );
        assert!(check.messages()[1].contains("scan the serial"));
        let disagree = check_identity(&[obs(UsbDescriptor, "A1"), obs(RoSerialno, "B2")]);
        assert!(
            disagree.messages()[0].contains("\"A1\"") && disagree.messages()[0].contains("scan")
        );
        let empty = check_identity(&[obs(UsbDescriptor, " ")]);
        assert!(empty.messages()[0].starts_with("The USB descriptor serial is empty"));
    }

    #[test]
    fn luhn() {
        assert!(luhn_ok("490154203237518"));
        assert!(!luhn_ok("490154203237519"));
        assert!(!luhn_ok(""));
        assert!(!luhn_ok("49015420323751x"));
    }
}
