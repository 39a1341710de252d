//! Classifying values and checking sets of observations, as tables.

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
    assert!(disagree.messages()[0].contains("\"A1\"") && disagree.messages()[0].contains("scan"));
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

#[test]
fn windows_lines_are_manufacturer_model_serial() {
    let tuple = |m: &str, mo: &str, s: &str| WindowsTuple {
        manufacturer: m.into(),
        model: mo.into(),
        serial: s.into(),
    };
    // The example of Microsoft Learn's page (ms.date 2025-04-11), quoted fields, periods.
    let good: &[(&str, WindowsTuple)] = &[
        (
            "Microsoft,surface 5,01234567890123",
            tuple("Microsoft", "surface 5", "01234567890123"),
        ),
        (
            "Contoso,Laptop 7,WIN-SERIAL-01",
            tuple("Contoso", "Laptop 7", "WIN-SERIAL-01"),
        ),
        (
            "\"Lenovo\", \"ThinkPad T14\" ,PF.3XK.2QZ",
            tuple("Lenovo", "ThinkPad T14", "PF3XK2QZ"),
        ),
        (
            "\"Say \"\"Hi\"\" Ltd\",M1,S1",
            tuple("Say \"Hi\" Ltd", "M1", "S1"),
        ),
    ];
    for (line, expected) in good {
        assert_eq!(
            WindowsTuple::parse_line(line).as_ref(),
            Ok(expected),
            "{line}"
        );
        assert_eq!(
            WindowsTuple::from_identifier(&expected.identifier()).as_ref(),
            Ok(expected)
        );
    }
    assert_eq!(
        tuple("Contoso", "Laptop 7", "WIN-SERIAL-01").identifier(),
        format!("Contoso{TUPLE_DELIMITER}Laptop 7{TUPLE_DELIMITER}WIN-SERIAL-01")
    );
    let bad: &[(&str, &str)] = &[
        ("WINSERIAL02", "seed 004"),
        (
            "356938035643809",
            "neither an IMEI nor a serial number alone",
        ),
        ("R58N123,Box 7", "no details"),
        ("Dell, Inc.,XPS 13,ABC123", "4 fields"),
        ("\"Dell, Inc.\",XPS 13,ABC123", "holds a ','"),
        ("\"Dell,XPS 13,ABC123", "never closed"),
        ("\"Dell\"x,XPS 13,ABC123", "after a closing quote"),
        ("Dell,,ABC123", "model is empty"),
        ("Dell,XPS,...", "serial is empty"),
    ];
    for (line, why) in bad {
        let err = WindowsTuple::parse_line(line).unwrap_err();
        assert!(err.contains(why), "{line}: {err}");
    }
    assert!(WINDOWS_NEEDS_TUPLE.contains("ms.date 2025-04-11"));
    for (id, why) in [
        ("S1", "seed 004"),
        ("A,B", "2 parts"),
        ("A,B,S.1", "period"),
    ] {
        let err = WindowsTuple::from_identifier(id).unwrap_err();
        assert!(err.contains(why), "{id}: {err}");
    }
}
