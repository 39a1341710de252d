//! What a single value is: a placeholder many devices share, a network address adb prints for
//! TCP devices, or a serial that can identify a device; and the IMEI check digit.

use std::net::SocketAddr;

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
