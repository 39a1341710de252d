//! Checking identifiers for their platform, and reading lists and the bench's devices.

use super::*;

fn item(kind: IdentifierType, id: &str, description: Option<&str>) -> CorporateIdentifier {
    CorporateIdentifier {
        kind,
        identifier: id.into(),
        description: description.map(str::to_owned),
        platform: IdentityPlatform::Android,
    }
}

#[test]
fn checks_name_the_rule() {
    use IdentifierType::*;
    assert!(check_identifier(&item(SerialNumber, "R58N123", Some("Bench 3"))).is_ok());
    assert!(check_identifier(&item(SerialNumber, "R58.N123", None))
        .unwrap_err()
        .contains("dot"));
    assert!(check_identifier(&item(Imei, "490154203237518", None)).is_ok());
    assert!(check_identifier(&item(Imei, "490154203237519", None))
        .unwrap_err()
        .contains("Luhn"));
    assert!(check_identifier(&item(Imei, "49015420323751", None))
        .unwrap_err()
        .contains("check digit"));
    assert!(check_identifier(&item(Imei, "4901542032375x8", None)).is_err());
    assert!(check_identifier(&item(SerialNumber, "  ", None)).is_err());
    let long = "é".repeat(129);
    assert!(check_identifier(&item(SerialNumber, "S1", Some(&long)))
        .unwrap_err()
        .contains("128"));
    assert!(check_identifier(&item(SerialNumber, "S1", Some(&long[2..]))).is_ok());
}

#[test]
fn windows_takes_only_the_tuple_and_android_never() {
    use IdentifierType::*;
    let windows = |kind, id: &str| CorporateIdentifier {
        platform: IdentityPlatform::Windows,
        ..item(kind, id, None)
    };
    let tuple = windows(ManufacturerModelSerial, "Contoso,Laptop 7,WIN-SERIAL-01");
    assert_eq!(check_identifier(&tuple), Ok(()));
    assert_eq!(tuple.bench_serial().as_deref(), Some("WIN-SERIAL-01"));
    for refused in [
        windows(SerialNumber, "WIN-SERIAL-01"),
        windows(Imei, "490154203237518"),
        windows(ManufacturerModelSerial, "WIN-SERIAL-01"),
    ] {
        let why = check_identifier(&refused).unwrap_err();
        assert!(
            why.contains("seed 004") && why.contains("2025-04-11"),
            "{why}"
        );
    }
    let described = CorporateIdentifier {
        description: Some("Bench 3".into()),
        ..tuple.clone()
    };
    assert!(check_identifier(&described)
        .unwrap_err()
        .contains("no details"));
    let android = item(ManufacturerModelSerial, "Contoso,Laptop 7,S1", None);
    assert!(check_identifier(&android)
        .unwrap_err()
        .contains("Windows identifier"));
}

#[test]
fn lists_are_read_for_their_platform() {
    use IdentifierType::*;
    use IdentityPlatform::*;
    let text = "# box 7\nContoso,Laptop 7,WIN-SERIAL-01\nWINSERIAL02\n\"Dell, Inc.\",XPS,S3\n";
    let read = read_list(text, ManufacturerModelSerial, Windows, None).unwrap();
    assert_eq!(read.len(), 3);
    let first = read[0].as_ref().unwrap();
    assert_eq!(
        (first.kind, first.identifier.as_str()),
        (ManufacturerModelSerial, "Contoso,Laptop 7,WIN-SERIAL-01")
    );
    assert!(read[1].as_ref().unwrap_err().reason.contains("seed 004"));
    assert_eq!(read[2].as_ref().unwrap_err().given, "\"Dell, Inc.\",XPS,S3");
    // Android keeps `identifier,details`: the line Windows reads as a tuple.
    let android = read_list("Contoso,Laptop 7", SerialNumber, Android, None).unwrap();
    assert_eq!(
        android[0].as_ref().unwrap().description.as_deref(),
        Some("Laptop 7")
    );
    for (kind, description, why) in [
        (SerialNumber, None, "seed 004"),
        (Imei, None, "seed 004"),
        (ManufacturerModelSerial, Some("Bench 3"), "no details"),
    ] {
        let err = read_list(text, kind, Windows, description).unwrap_err();
        assert!(err.contains(why), "{err}");
    }
    let rows = "M,X,S\n".repeat(5_001);
    assert!(read_list(&rows, ManufacturerModelSerial, Windows, None)
        .unwrap_err()
        .contains("5000 rows"));
    assert_eq!(
        read_list(&rows[6..], ManufacturerModelSerial, Windows, None)
            .unwrap()
            .len(),
        5_000
    );
    let wide = format!("M,X,{}\n", "S".repeat(5_000_000));
    assert!(read_list(&wide, ManufacturerModelSerial, Windows, None)
        .unwrap_err()
        .contains("5 MB"));
}

#[test]
fn a_windows_device_from_the_bench_needs_its_manufacturer_and_model() {
    use crate::store::{DeviceRecord, SerialRecord};
    let device = |id: i64, serial: &str, facts: serde_json::Value| DeviceRecord {
        id: crate::ids::DeviceId(id),
        serials: vec![SerialRecord {
            source: crate::identity::SerialSource::Scanner,
            value: serial.into(),
            first_seen: String::new(),
            last_seen: String::new(),
        }],
        slot: None,
        facts,
        first_seen: String::new(),
        last_seen: String::new(),
    };
    let devices = [
        device(
            1,
            "PF3WK2X9",
            json!({"manufacturer": "HP", "model": "EliteBook 840 G9"}),
        ),
        device(2, "PF3WK2X8", serde_json::Value::Null),
    ];
    let read = from_devices(
        &devices,
        IdentifierType::ManufacturerModelSerial,
        IdentityPlatform::Windows,
        None,
    )
    .unwrap();
    assert_eq!(
        read[0].as_ref().unwrap().identifier,
        "HP,EliteBook 840 G9,PF3WK2X9"
    );
    let refused = read[1].as_ref().unwrap_err();
    assert_eq!(refused.given, "PF3WK2X8");
    assert!(refused.reason.contains("only the serial") && refused.reason.contains("seed 004"));
}
