//! `parse_evidence` on hand-made output in the format of real `settings`, `dumpsys` and
//! `getprop` answers (see fixtures/evidence/README.md).

use std::path::Path;

use stagebench_core::device::evidence::{
    parse_evidence, StageEvidence, AUTHENTICATOR, CLOUD_DPC, COMPANY_PORTAL, INTUNE_APP, SECTIONS,
};
use stagebench_core::device::AppVersion;

fn fixture(name: &str) -> StageEvidence {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/evidence")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_evidence(&text)
}

fn version(text: &str) -> Option<AppVersion> {
    AppVersion::parse(text)
}

#[test]
fn fresh_phone_in_the_setup_wizard() {
    let e = fixture("fresh-phone.txt");
    assert_eq!(e.device_provisioned, Some(false));
    assert_eq!(e.user_setup_complete, Some(false));
    assert_eq!(e.boot_count, Some(2));
    assert_eq!(e.device_owner, None);
    assert_eq!(
        (&e.intune_app, &e.company_portal, &e.authenticator),
        (&None, &None, &None)
    );
    assert_eq!(e.firmware.manufacturer.as_deref(), Some("samsung"));
    assert_eq!(e.firmware.model.as_deref(), Some("SM-G991B"));
    assert_eq!(e.firmware.realwear, None);
    assert_eq!(
        e.firmware.version, None,
        "a phone's build id is not a firmware version"
    );
    assert!(e.unread.is_empty(), "{:?}", e.unread);
}

#[test]
fn enrolled_fully_managed_phone() {
    let e = fixture("enrolled-fully-managed.txt");
    assert_eq!(
        (e.device_provisioned, e.user_setup_complete),
        (Some(true), Some(true))
    );
    assert_eq!(e.boot_count, Some(7));
    assert_eq!(
        e.device_owner.as_deref(),
        Some("com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver")
    );
    assert_eq!(e.device_owner_package(), Some(CLOUD_DPC));
    assert!(e.owned_by_intune());
    assert_eq!(e.intune_app, version("24.8.2"));
    assert_eq!(e.company_portal, None);
    assert_eq!(
        e.authenticator.as_ref().map(AppVersion::as_str),
        Some("6.2406.3911"),
        "the installed version, not the factory one"
    );
    assert!(e.unread.is_empty(), "{:?}", e.unread);
}

#[test]
fn realwear_through_a_pty_with_crlf() {
    let e = fixture("realwear-navigator-crlf.txt");
    assert_eq!(e.device_provisioned, Some(false));
    assert_eq!(e.boot_count, Some(4));
    assert_eq!(
        e.intune_app.as_ref().map(AppVersion::as_str),
        Some("24.6.0")
    );
    assert!(e.intune_app < version("24.7.0"));
    assert_eq!(e.firmware.manufacturer.as_deref(), Some("RealWear inc."));
    assert_eq!(e.firmware.realwear.as_deref(), Some("Navigator 500"));
    assert_eq!(
        e.firmware.version.as_ref().map(AppVersion::as_str),
        Some("1.4.1")
    );
    assert_eq!(e.firmware.incremental.as_deref(), Some("1002"));
    assert!(e.unread.is_empty(), "{:?}", e.unread);
}

#[test]
fn another_mdm_owns_the_device() {
    let e = fixture("other-mdm-owner.txt");
    assert_eq!(
        (e.device_provisioned, e.user_setup_complete),
        (Some(true), Some(true)),
        "tabs and spaces around values"
    );
    assert_eq!(e.boot_count, None, "`null` is not set, not unread");
    assert_eq!(
        e.device_owner.as_deref(),
        Some("com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver")
    );
    assert!(!e.owned_by_intune());
    assert_eq!(e.company_portal, version("5.0.6061"));
    assert!(e.unread.is_empty(), "{:?}", e.unread);
}

#[test]
fn errors_and_a_cut_off_answer_are_unread_not_guessed() {
    let e = fixture("permission-errors-cut-off.txt");
    assert_eq!(
        e.device_provisioned,
        Some(true),
        "lines before the first marker are ignored"
    );
    assert_eq!(e.user_setup_complete, None);
    assert_eq!(e.boot_count, None);
    assert_eq!(e.device_owner, None);
    assert_eq!((&e.intune_app, &e.company_portal), (&None, &None));
    assert_eq!(
        e.authenticator, None,
        "the last section of a cut-off answer is not trusted"
    );
    assert_eq!(
        e.unread,
        [
            "user_setup_complete",
            "device_owner",
            INTUNE_APP,
            COMPANY_PORTAL,
            AUTHENTICATOR,
            "props"
        ],
        "boot_count `null` was read fine"
    );
    assert!(e.is_unread("device_owner") && !e.is_unread("boot_count"));
}

#[test]
fn empty_or_foreign_output_is_all_unread() {
    for text in [
        "",
        "\n\n",
        "error: device offline\n",
        "/system/bin/sh: settings: not found\n",
    ] {
        let e = parse_evidence(text);
        // Every section but the IMEI, which most devices refuse (Android 10+): not a problem.
        let expected: Vec<&str> = SECTIONS.iter().copied().filter(|s| *s != "imei").collect();
        assert_eq!(e.unread, expected, "{text:?}");
        assert_eq!(
            e,
            StageEvidence {
                unread: e.unread.clone(),
                ..StageEvidence::default()
            }
        );
    }
}

#[test]
fn sections_in_any_order_and_unknown_markers_ignored() {
    let text = "@@stagebench:props\n[ro.product.manufacturer]: [RealWear inc.]\n[ro.product.model]: [T1100G]\n\
                [ro.build.display.id]: [HMT-1-release-11.1.2]\n\
                @@stagebench:boot_count\n12\n@@stagebench:surprise\nignored\n\
                @@stagebench:device_provisioned\n1\n@@stagebench:end\n";
    let e = parse_evidence(text);
    assert_eq!(
        e.boot_count,
        Some(12),
        "an unknown section ends the one before and is skipped"
    );
    assert_eq!(e.device_provisioned, Some(true));
    assert_eq!(e.firmware.realwear.as_deref(), Some("HMT-1"));
    assert_eq!(
        e.firmware.version.as_ref().map(AppVersion::as_str),
        Some("11.1.2")
    );
    assert!(e.is_unread("user_setup_complete"));
}

#[test]
fn evidence_serializes_for_the_ui_and_the_store() {
    let e = fixture("realwear-navigator-crlf.txt");
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["intune_app"], "24.6.0");
    assert_eq!(json["firmware"]["realwear"], "Navigator 500");
    assert_eq!(json["device_owner"], serde_json::Value::Null);
    let back: StageEvidence = serde_json::from_value(json).unwrap();
    assert_eq!(back, e);
}
