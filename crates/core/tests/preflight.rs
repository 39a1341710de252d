//! The preflight rules, table-tested: every rule in `RULES` has a failing and a passing case
//! here, rule ids are unique, and each finding carries its rule id, severity and next step.

use std::collections::BTreeMap;

use stagebench_adb::server::DeviceFacts;
use stagebench_core::device::evidence::{StageEvidence, CLOUD_DPC};
use stagebench_core::device::{
    preflight, AppVersion, FirmwareFacts, PreflightInput, Severity, RULES,
};
use stagebench_core::identity::{check_identity, SerialObservation, SerialSource};
use stagebench_core::intune::profile::{EnrollmentMode, ProfileContext, TokenType};

/// One device and (optionally) the profile it is to be staged with.
#[derive(Clone)]
struct Case {
    props: Vec<(&'static str, &'static str)>,
    evidence: Option<StageEvidence>,
    serials: Vec<(SerialSource, &'static str)>,
    profile: Option<ProfileContext>,
}

impl Case {
    /// A healthy Android 14 phone, fresh from the box, with a good serial and no profile.
    fn phone() -> Case {
        Case {
            props: vec![
                ("ro.product.manufacturer", "samsung"),
                ("ro.product.model", "SM-G991B"),
                ("ro.build.version.release", "14"),
                ("ro.build.version.sdk", "34"),
            ],
            evidence: Some(StageEvidence {
                device_provisioned: Some(false),
                user_setup_complete: Some(false),
                boot_count: Some(2),
                ..StageEvidence::default()
            }),
            serials: vec![(SerialSource::RoSerialno, "R5CR100001")],
            profile: None,
        }
    }

    /// A RealWear headset of `model` with firmware `display_id` and the Intune app `intune`.
    fn realwear(model: &'static str, display_id: &'static str, intune: Option<&str>) -> Case {
        let props = vec![
            ("ro.product.manufacturer", "RealWear inc."),
            ("ro.product.model", model),
            ("ro.build.version.release", "11"),
            ("ro.build.version.sdk", "30"),
            ("ro.build.display.id", display_id),
        ];
        let firmware = FirmwareFacts::from_properties(&map(&props));
        Case {
            evidence: Some(StageEvidence {
                intune_app: intune.and_then(AppVersion::parse),
                firmware,
                ..Case::phone().evidence.unwrap()
            }),
            props,
            ..Case::phone()
        }
    }

    /// A fresh AOSP headset of `maker` and `model`.
    fn headset(maker: &'static str, model: &'static str) -> Case {
        let mut case = Case::phone().android("12", "32");
        case.props.retain(|(k, _)| !k.starts_with("ro.product."));
        case.props.extend([
            ("ro.product.manufacturer", maker),
            ("ro.product.model", model),
        ]);
        case
    }

    fn android(mut self, release: &'static str, sdk: &'static str) -> Case {
        self.props
            .retain(|(k, _)| !k.starts_with("ro.build.version."));
        self.props.extend([
            ("ro.build.version.release", release),
            ("ro.build.version.sdk", sdk),
        ]);
        self
    }

    fn profile(mut self, mode: EnrollmentMode, token: TokenType) -> Case {
        self.profile = Some(ProfileContext::new(mode, token));
        self
    }

    fn evidence(mut self, change: impl FnOnce(&mut StageEvidence)) -> Case {
        change(self.evidence.get_or_insert_with(StageEvidence::default));
        self
    }

    fn serials(mut self, serials: &[(SerialSource, &'static str)]) -> Case {
        self.serials = serials.to_vec();
        self
    }

    /// The rule ids that fire, in the order `preflight` returns them.
    fn fired(&self) -> Vec<&'static str> {
        self.findings().iter().map(|f| f.rule).collect()
    }

    fn findings(&self) -> Vec<stagebench_core::device::Finding> {
        let facts = DeviceFacts::from_properties("127.0.0.1:5555".into(), map(&self.props));
        let observations: Vec<SerialObservation> = self
            .serials
            .iter()
            .map(|(s, v)| SerialObservation::new(*s, *v))
            .collect();
        let identity = check_identity(&observations);
        preflight(&PreflightInput {
            facts: &facts,
            evidence: self.evidence.as_ref(),
            identity: &identity,
            profile: self.profile,
        })
    }
}

fn map(props: &[(&str, &str)]) -> BTreeMap<String, String> {
    props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

use EnrollmentMode::*;

/// Named cases.
type Cases = Vec<(&'static str, Case)>;

/// For each rule id: cases where it must fire, and cases where it must not.
fn cases() -> BTreeMap<&'static str, (Cases, Cases)> {
    let placeholder = [
        (SerialSource::RoSerialno, "1234567890ABCDEF"),
        (SerialSource::BootSerialno, "1234567890ABCDEF"),
    ];
    let mut table = BTreeMap::new();
    table.insert(
        "android-8",
        (
            vec![
                (
                    "Android 7.1, no profile",
                    Case::phone().android("7.1.2", "25"),
                ),
                (
                    "Android 7 for fully managed",
                    Case::phone()
                        .android("7.0", "24")
                        .profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
            ],
            vec![
                ("Android 8.0", Case::phone().android("8.0.0", "26")),
                ("Android 14", Case::phone()),
                (
                    "unknown SDK",
                    Case {
                        props: vec![],
                        ..Case::phone()
                    },
                ),
                (
                    "AOSP profile has no such rule",
                    Case::phone()
                        .android("7.1.2", "25")
                        .profile(CorporateOwnedAospUserlessDevice, TokenType::Default),
                ),
            ],
        ),
    );
    table.insert(
        "android-10",
        (
            vec![
                (
                    "Android 9, fully managed",
                    Case::phone()
                        .android("9", "28")
                        .profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
                (
                    "Android 8.0, fully managed staging",
                    Case::phone()
                        .android("8.0.0", "26")
                        .profile(CorporateOwnedFullyManaged, TokenType::DeviceStaging),
                ),
                (
                    "Android 8.1, COPE staging",
                    Case::phone()
                        .android("8.1.0", "27")
                        .profile(CorporateOwnedWorkProfile, TokenType::DeviceStaging),
                ),
            ],
            vec![
                (
                    "Android 10, fully managed staging",
                    Case::phone()
                        .android("10", "29")
                        .profile(CorporateOwnedFullyManaged, TokenType::DeviceStaging),
                ),
                ("Android 9, no profile", Case::phone().android("9", "28")),
                (
                    "Android 9, COPE default token keeps its own rules",
                    Case::phone()
                        .android("9", "28")
                        .profile(CorporateOwnedWorkProfile, TokenType::Default),
                ),
                (
                    "Android 9, dedicated",
                    Case::phone()
                        .android("9", "28")
                        .profile(CorporateOwnedDedicatedDevice, TokenType::Default),
                ),
                (
                    "Android 7 is the android-8 blocker's",
                    Case::phone()
                        .android("7.0", "24")
                        .profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
            ],
        ),
    );
    table.insert(
        "aosp-device-list",
        (
            vec![
                (
                    "a Vuzix model Microsoft doesn't list",
                    Case::headset("Vuzix", "M4100")
                        .profile(CorporateOwnedAospUserlessDevice, TokenType::Default),
                ),
                (
                    "a listed PICO: its firmware is checked by hand",
                    Case::headset("PICO", "PICO 4 Enterprise")
                        .profile(CorporateOwnedAospUserAssociatedDevice, TokenType::Default),
                ),
            ],
            vec![
                ("no profile", Case::headset("Vuzix", "M4100")),
                (
                    "a fully managed profile",
                    Case::headset("Vuzix", "M4100")
                        .profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
                (
                    "RealWear is realwear-firmware's",
                    Case::realwear("A31G", "1.0", None)
                        .profile(CorporateOwnedAospUserlessDevice, TokenType::Default),
                ),
                (
                    "a maker the list doesn't name",
                    Case::phone().profile(CorporateOwnedAospUserlessDevice, TokenType::Default),
                ),
            ],
        ),
    );
    table.insert(
        "staging-token-mode",
        (
            vec![
                (
                    "staging on dedicated",
                    Case::phone().profile(CorporateOwnedDedicatedDevice, TokenType::DeviceStaging),
                ),
                (
                    "staging on AOSP",
                    Case::phone()
                        .profile(CorporateOwnedAospUserlessDevice, TokenType::DeviceStaging),
                ),
            ],
            vec![
                (
                    "staging on fully managed",
                    Case::phone().profile(CorporateOwnedFullyManaged, TokenType::DeviceStaging),
                ),
                (
                    "staging on COPE",
                    Case::phone()
                        .android("10", "29")
                        .profile(CorporateOwnedWorkProfile, TokenType::DeviceStaging),
                ),
                (
                    "default token on dedicated",
                    Case::phone().profile(CorporateOwnedDedicatedDevice, TokenType::Default),
                ),
                ("no profile", Case::phone()),
            ],
        ),
    );
    table.insert(
        "cope-qr-only",
        (
            vec![
                (
                    "COPE on Android 11",
                    Case::phone()
                        .android("11", "30")
                        .profile(CorporateOwnedWorkProfile, TokenType::Default),
                ),
                (
                    "COPE staging on Android 14",
                    Case::phone().profile(CorporateOwnedWorkProfile, TokenType::DeviceStaging),
                ),
            ],
            vec![
                (
                    "COPE on Android 10",
                    Case::phone()
                        .android("10", "29")
                        .profile(CorporateOwnedWorkProfile, TokenType::Default),
                ),
                (
                    "fully managed on Android 14",
                    Case::phone().profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
                ("no profile", Case::phone()),
            ],
        ),
    );
    table.insert(
        "realwear-firmware",
        (
            vec![
                (
                    "HMT-1 on 11.1.2",
                    Case::realwear("T1100G", "HMT-1-release-11.1.2", None),
                ),
                (
                    "HMT-1Z1 on 10.3 for AOSP",
                    Case::realwear("T1100S", "10.3.0", None)
                        .profile(CorporateOwnedAospUserAssociatedDevice, TokenType::Default),
                ),
                (
                    "Navigator 500 on 1.0.5",
                    Case::realwear("T21G", "RWN.1.0.5", None),
                ),
                (
                    "firmware unreadable",
                    Case::realwear("T21G", "navigator", None),
                ),
                (
                    "model not on the list",
                    Case::realwear("T9000", "1.0", None),
                ),
            ],
            vec![
                ("HMT-1 on 11.2", Case::realwear("T1100G", "11.2", None)),
                (
                    "HMT-1 on 12.6.3",
                    Case::realwear("T1100G", "HMT-1-release-12.6.3", None),
                ),
                (
                    "Navigator 500 on 1.4.1",
                    Case::realwear("T21G", "RWN.1.4.1", None),
                ),
                (
                    "old HMT-1 for a fully managed profile",
                    Case::realwear("T1100G", "10.0", None)
                        .profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
                ("a phone", Case::phone()),
            ],
        ),
    );
    table.insert(
        "intune-app-aosp",
        (
            vec![
                (
                    "RealWear with 24.6.0",
                    Case::realwear("T21G", "RWN.1.4.1", Some("24.6.0")),
                ),
                (
                    "AOSP profile, 24.7.0-beta",
                    Case::phone()
                        .evidence(|e| e.intune_app = AppVersion::parse("24.7.0-beta"))
                        .profile(CorporateOwnedAospUserlessDevice, TokenType::Default),
                ),
            ],
            vec![
                (
                    "RealWear with 24.7.0",
                    Case::realwear("T21G", "RWN.1.4.1", Some("24.7.0")),
                ),
                (
                    "RealWear with 24.10.1",
                    Case::realwear("T21G", "RWN.1.4.1", Some("24.10.1")),
                ),
                (
                    "RealWear without the app",
                    Case::realwear("T21G", "RWN.1.4.1", None),
                ),
                (
                    "old app on a fully managed phone",
                    Case::phone()
                        .evidence(|e| e.intune_app = AppVersion::parse("23.1.0"))
                        .profile(CorporateOwnedFullyManaged, TokenType::Default),
                ),
                (
                    "no evidence",
                    Case {
                        evidence: None,
                        ..Case::realwear("T21G", "RWN.1.4.1", None)
                    },
                ),
            ],
        ),
    );
    table.insert(
        "factory-reset",
        (
            vec![
                (
                    "setup finished, no owner",
                    Case::phone().evidence(|e| {
                        e.device_provisioned = Some(true);
                        e.user_setup_complete = Some(true);
                    }),
                ),
                (
                    "another MDM owns it",
                    Case::phone().evidence(|e| {
                        e.device_owner = Some("com.airwatch.androidagent/.Receiver".into())
                    }),
                ),
            ],
            vec![
                ("fresh", Case::phone()),
                (
                    "enrolled by CloudDPC",
                    Case::phone().evidence(|e| {
                        e.user_setup_complete = Some(true);
                        e.device_owner = Some(format!(
                            "{CLOUD_DPC}/{CLOUD_DPC}.receivers.CloudDeviceAdminReceiver"
                        ));
                    }),
                ),
                (
                    "evidence unread",
                    Case {
                        evidence: None,
                        ..Case::phone()
                    },
                ),
            ],
        ),
    );
    table.insert(
        "serial-identity",
        (
            vec![
                ("placeholder", Case::phone().serials(&placeholder)),
                (
                    "sources disagree",
                    Case::phone().serials(&[
                        (SerialSource::UsbDescriptor, "ABC123"),
                        (SerialSource::RoSerialno, "XYZ789"),
                    ]),
                ),
                ("no serial", Case::phone().serials(&[])),
            ],
            vec![
                ("clean", Case::phone()),
                (
                    "address beside a serial",
                    Case::phone().serials(&[
                        (SerialSource::AdbTransport, "127.0.0.1:5555"),
                        (SerialSource::RoSerialno, "R5CR1"),
                    ]),
                ),
            ],
        ),
    );
    table
}

#[test]
fn every_rule_has_a_failing_and_a_passing_case() {
    let cases = cases();
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
    for rule in RULES {
        let (failing, passing) = cases
            .get(rule.id)
            .unwrap_or_else(|| panic!("no cases for rule {}", rule.id));
        assert!(
            !failing.is_empty() && !passing.is_empty(),
            "{}: needs a failing and a passing case",
            rule.id
        );
        for (name, case) in failing {
            let findings = case.findings();
            let finding = findings
                .iter()
                .find(|f| f.rule == rule.id)
                .unwrap_or_else(|| {
                    panic!(
                        "{}: {name}: expected a finding, got {:?}",
                        rule.id,
                        case.fired()
                    )
                });
            assert!(
                !finding.message.is_empty() && !finding.next_step.is_empty(),
                "{}: {name}",
                rule.id
            );
            assert!(
                finding.next_step.ends_with('.'),
                "{}: {name}: next step is a sentence: {}",
                rule.id,
                finding.next_step
            );
        }
        for (name, case) in passing {
            assert!(
                !case.fired().contains(&rule.id),
                "{}: {name}: fired unexpectedly: {:?}",
                rule.id,
                case.findings()
            );
        }
    }
    for id in cases.keys() {
        assert!(
            RULES.iter().any(|r| r.id == *id),
            "cases for an unknown rule {id}"
        );
    }
}

#[test]
fn a_healthy_fresh_phone_has_no_findings() {
    assert_eq!(Case::phone().findings(), []);
    assert_eq!(
        Case::phone()
            .profile(CorporateOwnedFullyManaged, TokenType::DeviceStaging)
            .findings(),
        []
    );
}

#[test]
fn blockers_come_first_and_say_what_to_do() {
    let case = Case::realwear("T1100G", "HMT-1-release-11.1.2", Some("24.6.0"))
        .serials(&[(SerialSource::RoSerialno, "1234567890ABCDEF")])
        .evidence(|e| e.user_setup_complete = Some(true));
    let findings = case.findings();
    let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
    assert_eq!(
        case.fired(),
        [
            "realwear-firmware",
            "intune-app-aosp",
            "factory-reset",
            "serial-identity"
        ]
    );
    assert_eq!(
        severities,
        [
            Severity::Blocker,
            Severity::Blocker,
            Severity::Warning,
            Severity::Warning
        ]
    );
    assert_eq!(
        findings[0].message,
        "The RealWear HMT-1 runs firmware 11.1.2; Intune AOSP needs 11.2 or later."
    );
    assert!(
        findings[1]
            .next_step
            .starts_with("Update the Microsoft Intune app"),
        "{}",
        findings[1].next_step
    );
    assert!(
        findings[3].message.contains("1234567890ABCDEF"),
        "{}",
        findings[3].message
    );
}

#[test]
fn cope_on_android_11_says_scan_the_qr() {
    let findings = Case::phone()
        .android("12", "31")
        .profile(CorporateOwnedWorkProfile, TokenType::DeviceStaging)
        .findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Warning);
    assert_eq!(
        findings[0].next_step,
        "Scan the QR; manual token entry isn't supported."
    );
}

#[test]
fn findings_serialize_for_the_ui() {
    let findings = Case::realwear("T21G", "RWN.1.4.1", Some("24.6.0")).findings();
    let json = serde_json::to_value(&findings).unwrap();
    assert_eq!(json[0]["rule"], "intune-app-aosp");
    assert_eq!(json[0]["severity"], "blocker");
    assert!(json[0]["next_step"].as_str().unwrap().contains("24.7.0"));
}

/// Issue 15, point 1: Android 9 on a staging profile is a warning naming both of Microsoft's
/// pages with their dates; below 8 stays a blocker.
#[test]
fn android_9_on_a_staging_profile_names_both_sources() {
    let findings = Case::phone()
        .android("9", "28")
        .profile(CorporateOwnedFullyManaged, TokenType::DeviceStaging)
        .findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!((f.rule, f.severity), ("android-10", Severity::Warning));
    assert_eq!(
        f.message,
        "This device runs Android 9 (SDK 28): Microsoft's fully managed set-up page (ms.date 2026-05-19) \
         says fully managed devices and device staging need Android 10 or later; its Device staging \
         overview (ms.date 2025-06-04) still says Android 8 or later."
    );
    let old = Case::phone()
        .android("7.1.2", "25")
        .profile(CorporateOwnedFullyManaged, TokenType::DeviceStaging);
    assert_eq!(
        old.fired(),
        ["android-8"],
        "a blocker, not also the warning"
    );
}

/// Issue 15, point 2: on an AOSP profile, a headset model Microsoft's list doesn't name is
/// flagged with the list's date and the maker's listed models; a RealWear below its listed
/// minimum says where the minimum comes from.
#[test]
fn an_unlisted_headset_names_the_list_and_its_date() {
    let findings = Case::headset("Vuzix", "M4100")
        .profile(CorporateOwnedAospUserlessDevice, TokenType::Default)
        .findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].message,
        "Vuzix model \"M4100\" is not on Microsoft's AOSP supported devices list (ms.date 2026-05-13), \
         which lists for Vuzix: Blade 2, M400, M4000."
    );
    let quest = Case::headset("Meta", "Quest 2")
        .profile(CorporateOwnedAospUserlessDevice, TokenType::Default)
        .findings();
    assert!(
        quest[0].message.contains("v49") && quest[0].message.contains("select regions"),
        "{}",
        quest[0].message
    );
    let hmt = Case::realwear("T1100G", "HMT-1-release-11.1.2", None).findings();
    assert!(
        hmt[0].next_step.contains("ms.date 2026-05-13"),
        "{}",
        hmt[0].next_step
    );
}
