//! The simulated bench's own tests.

use super::*;
use crate::device::evidence::parse_evidence;
use crate::device::AppVersion;

fn evidence(index: usize) -> crate::device::StageEvidence {
    let config = simulated_device(index);
    parse_evidence(&config.shell_answers[EVIDENCE_COMMAND].stdout)
}

#[test]
fn an_android_9_device_gives_its_imei_and_android_10_refuses() {
    let mut props = BTreeMap::new();
    props.insert("ro.serialno".to_owned(), "OLD9PHONE".to_owned());
    props.insert("ro.build.version.sdk".to_owned(), "28".to_owned());
    let dump = imei_answer(&props);
    let lines: Vec<&str> = dump.lines().collect();
    let imei = simulated_imei("OLD9PHONE");
    assert_eq!(
        crate::device::evidence::parse_imei_parcel(&lines),
        Some(imei)
    );
    props.insert("ro.build.version.sdk".to_owned(), "29".to_owned());
    let dump = imei_answer(&props);
    assert_eq!(
        crate::device::evidence::parse_imei_parcel(&dump.lines().collect::<Vec<_>>()),
        None
    );
}

#[test]
fn every_catalog_device_answers_the_evidence_command_in_full() {
    for index in 0..CATALOG.len() {
        let e = evidence(index);
        assert!(e.unread.is_empty(), "device {index}: {:?}", e.unread);
        assert!(e.boot_count.is_some(), "device {index}");
    }
}

#[test]
fn catalog_stages() {
    let pixel = evidence(3);
    assert!(pixel.owned_by_intune() && pixel.user_setup_complete == Some(true));
    assert_eq!(pixel.intune_app, AppVersion::parse("24.8.2"));
    let navigator = evidence(2);
    assert_eq!(
        navigator.intune_app.as_ref().map(AppVersion::as_str),
        Some("24.6.0")
    );
    assert_eq!(
        navigator.firmware.realwear.as_deref(),
        Some("Navigator 500")
    );
    assert_eq!(
        navigator.firmware.version.as_ref().map(AppVersion::as_str),
        Some("1.4.1")
    );
    assert_eq!(
        evidence(5)
            .firmware
            .version
            .as_ref()
            .map(AppVersion::as_str),
        Some("11.1.2")
    );
    assert_eq!(evidence(0).device_provisioned, Some(false));
    assert_eq!(evidence(7).user_setup_complete, Some(true));
    assert_eq!(evidence(7).device_owner, None);
    for index in [6, 14] {
        assert_eq!(
            simulated_device(index).properties["ro.serialno"],
            "1234567890ABCDEF"
        );
    }
    assert_ne!(
        simulated_device(5).properties["ro.serialno"],
        "1234567890ABCDEF"
    );
}
