//! Stage evidence over ADB: what the device itself says about how far staging got.
//!
//! Everything is read with ONE shell round trip, [`EVIDENCE_COMMAND`]: a `;`-joined list of
//! sections, each announced by an `echo` of a marker line (`@@stagebench:<name>`) so the parser
//! finds each answer wherever it lands and whatever the others printed. Every section sends
//! its errors to stdout (`2>&1`), so the raw `shell:` service (merged output) and shell v2
//! (separate streams) give the same text. [`parse_evidence`] is pure, so the adb-server path
//! ([`read_evidence`]) and the direct USB/TCP client feed it the same way.
//!
//! What is read, and why:
//! - `settings get global device_provisioned` / `settings get secure user_setup_complete`:
//!   whether the setup wizard has finished (a device to factory reset before staging, seed
//!   requirements 20 and 109).
//! - `settings get global boot_count` (Android 7+): a reboot during stage 2 (seed 108; compared
//!   across reads elsewhere).
//! - `dumpsys device_policy`, its "Device Owner" block: who manages the device.
//! - `dumpsys package <name> | grep versionName=` for the three Microsoft apps (seed 23, 46, 51).
//! - The build properties of [`FirmwareFacts`] (RealWear firmware, seed 45).

use std::collections::BTreeMap;

use stagebench_adb::server::{parse_getprop, AdbError, AdbServer};

use super::realwear::FirmwareFacts;
use super::version::AppVersion;
use crate::identity::luhn_ok;

/// Microsoft Intune app: the Android Enterprise management app and the AOSP agent. Package
/// name from the Play Store link in MicrosoftDocs/memdocs (Android Enterprise apps Intune adds
/// on its own: `play.google.com/store/apps/details?id=com.microsoft.intune`).
pub const INTUNE_APP: &str = "com.microsoft.intune";
/// Intune Company Portal. Package name from its Play Store id
/// (`play.google.com/store/apps/details?id=com.microsoft.windowsintune.companyportal`) and the
/// `<queries>` list of MSAL for Android's sample manifest.
pub const COMPANY_PORTAL: &str = "com.microsoft.windowsintune.companyportal";
/// Microsoft Authenticator. Package name from the same memdocs list
/// (`play.google.com/store/apps/details?id=com.azure.authenticator`).
pub const AUTHENTICATOR: &str = "com.azure.authenticator";

/// Android Device Policy (CloudDPC), the device owner Intune's Android Enterprise QR installs
/// (seed requirement 61: `com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver`).
pub const CLOUD_DPC: &str = "com.google.android.apps.work.clouddpc";

/// Device owners that mean "enrolled by Intune": CloudDPC for Android Enterprise, and the
/// Microsoft Intune app for AOSP (⚠️ assumed: the AOSP device-owner component is not
/// confirmed, reference §2).
pub const INTUNE_DEVICE_OWNERS: &[&str] = &[CLOUD_DPC, INTUNE_APP];

/// The properties the `props` section prints, as `[key]: [value]` lines (the maker and model
/// for [`FirmwareFacts`], and the firmware candidates of [`super::realwear::FIRMWARE_PROPERTIES`]).
pub const EVIDENCE_PROPERTIES: &[&str] = &[
    "ro.product.manufacturer",
    "ro.product.model",
    "ro.build.display.id",
    "ro.build.version.incremental",
];

/// The marker `echo`ed before each section's output; the section name follows it.
pub const SECTION_MARKER: &str = "@@stagebench:";

/// Declares the sections once: the command is built from them at compile time.
macro_rules! evidence_sections {
    ($($name:literal => $command:literal;)*) => {
        /// The one shell command that reads all stage evidence; its output goes to
        /// [`parse_evidence`]. Sections are `echo '@@stagebench:<name>'; <command>`, joined with
        /// `; ` and closed by an `end` section, so a cut-off answer shows.
        pub const EVIDENCE_COMMAND: &str = concat!(
            $("echo '@@stagebench:", $name, "'; ", $command, "; ",)*
            "echo '@@stagebench:end'"
        );

        /// The section names, in command order.
        pub const SECTIONS: &[&str] = &[$($name),*];
    };
}

evidence_sections! {
    "device_provisioned" => "settings get global device_provisioned 2>&1";
    "user_setup_complete" => "settings get secure user_setup_complete 2>&1";
    "boot_count" => "settings get global boot_count 2>&1";
    "device_owner" => "dumpsys device_policy 2>&1 | grep -A 8 -e 'Device Owner' -e 'Permission Denial' -e 'find service'";
    "com.microsoft.intune" => "dumpsys package com.microsoft.intune 2>&1 | grep -e 'versionName=' -e 'Permission Denial' -e 'find service'";
    "com.microsoft.windowsintune.companyportal" => "dumpsys package com.microsoft.windowsintune.companyportal 2>&1 | grep -e 'versionName=' -e 'Permission Denial' -e 'find service'";
    "com.azure.authenticator" => "dumpsys package com.azure.authenticator 2>&1 | grep -e 'versionName=' -e 'Permission Denial' -e 'find service'";
    // IMEI where the shell may read it (Android 9 and older; newer Android refuses, which is
    // expected and not reported as unread). Transaction 1 of iphonesubinfo is getDeviceId.
    "imei" => "service call iphonesubinfo 1 s16 com.android.shell 2>&1";
    "props" => "for p in ro.product.manufacturer ro.product.model ro.build.display.id ro.build.version.incremental; do echo \"[$p]: [$(getprop $p)]\"; done";
}

/// What the device says about its stage. `None` means "not set" or "could not be read";
/// [`StageEvidence::unread`] tells the two apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct StageEvidence {
    /// `settings get global device_provisioned`: the setup wizard has provisioned the device.
    pub device_provisioned: Option<bool>,
    /// `settings get secure user_setup_complete`: the setup wizard has finished for the user.
    pub user_setup_complete: Option<bool>,
    /// The device owner as `package/class` (from `dumpsys device_policy`), or its package alone
    /// when only that was printed; `None` when the device has no owner.
    pub device_owner: Option<String>,
    /// `settings get global boot_count`: boots since the last factory reset.
    pub boot_count: Option<u32>,
    /// `versionName` of the Microsoft Intune app, when installed.
    pub intune_app: Option<AppVersion>,
    /// `versionName` of Intune Company Portal, when installed.
    pub company_portal: Option<AppVersion>,
    /// `versionName` of Microsoft Authenticator, when installed.
    pub authenticator: Option<AppVersion>,
    /// The IMEI, when the device lets the shell read it (15 digits, Luhn-checked).
    pub imei: Option<String>,
    /// Maker, model and firmware.
    pub firmware: FirmwareFacts,
    /// Sections that printed an error or nothing readable (names from [`SECTIONS`]); their
    /// fields above are `None` because they are unknown, not because they are unset.
    pub unread: Vec<String>,
}

impl StageEvidence {
    /// The device owner's package (`com.google.android.apps.work.clouddpc`).
    pub fn device_owner_package(&self) -> Option<&str> {
        self.device_owner
            .as_deref()
            .map(|o| o.split('/').next().unwrap_or(o))
    }

    /// Whether the device owner is one Intune installs ([`INTUNE_DEVICE_OWNERS`]).
    pub fn owned_by_intune(&self) -> bool {
        self.device_owner_package()
            .is_some_and(|p| INTUNE_DEVICE_OWNERS.contains(&p))
    }

    /// Whether section `name` could not be read.
    pub fn is_unread(&self, name: &str) -> bool {
        self.unread.iter().any(|u| u == name)
    }
}

/// Runs [`EVIDENCE_COMMAND`] on `serial` through the adb server and parses the answer.
pub async fn read_evidence(server: &AdbServer, serial: &str) -> Result<StageEvidence, AdbError> {
    Ok(parse_evidence(
        &server.shell(serial, EVIDENCE_COMMAND).await?,
    ))
}

/// Parses the output of [`EVIDENCE_COMMAND`]. Never fails: a section that is missing, empty
/// where a value was due, or an error message leaves its field `None` and is listed in
/// [`StageEvidence::unread`]. `\r\n` line ends (pty shells) and stray whitespace are fine.
pub fn parse_evidence(text: &str) -> StageEvidence {
    let mut sections = split_sections(text);
    // Without the end marker the answer was cut off: the last section may be incomplete.
    if !sections.contains_key("end") {
        if let Some(last) = SECTIONS.iter().rev().find(|s| sections.contains_key(**s)) {
            sections.remove(last);
        }
    }
    let mut unread: Vec<String> = Vec::new();
    let mut section = |name: &'static str| -> Option<&[&str]> {
        let lines = sections.get(name).map(Vec::as_slice);
        if lines.is_none_or(has_error) {
            unread.push(name.to_owned());
            return None;
        }
        lines
    };
    // Each reader gives `Some(value)` (the value may be "not set") or `None` for nonsense.
    let device_provisioned = section("device_provisioned").map(setting);
    let user_setup_complete = section("user_setup_complete").map(setting);
    let boot_count = section("boot_count").map(setting);
    let device_owner = section("device_owner").map(device_owner);
    let intune_app = section(INTUNE_APP).map(version_name);
    let company_portal = section(COMPANY_PORTAL).map(version_name);
    let authenticator = section(AUTHENTICATOR).map(version_name);
    // Not through `section`: an unreadable IMEI is the normal case, not a problem to report.
    let imei = sections
        .get("imei")
        .and_then(|lines| parse_imei_parcel(lines));
    let firmware = section("props")
        .map(|lines| FirmwareFacts::from_properties(&parse_getprop(&lines.join("\n"))))
        .unwrap_or_default();

    let nonsense = [
        ("device_provisioned", device_provisioned == Some(None)),
        ("user_setup_complete", user_setup_complete == Some(None)),
        ("boot_count", boot_count == Some(None)),
        ("device_owner", device_owner == Some(None)),
        (INTUNE_APP, intune_app == Some(None)),
        (COMPANY_PORTAL, company_portal == Some(None)),
        (AUTHENTICATOR, authenticator == Some(None)),
    ];
    unread.extend(
        nonsense
            .iter()
            .filter(|(_, bad)| *bad)
            .map(|(name, _)| (*name).to_owned()),
    );
    unread.sort_by_key(|name| SECTIONS.iter().position(|s| s == name));
    unread.dedup();

    StageEvidence {
        device_provisioned: device_provisioned.flatten().flatten().map(|n| n != 0),
        user_setup_complete: user_setup_complete.flatten().flatten().map(|n| n != 0),
        boot_count: boot_count
            .flatten()
            .flatten()
            .and_then(|n| u32::try_from(n).ok()),
        device_owner: device_owner.flatten().flatten(),
        intune_app: intune_app.flatten().flatten(),
        company_portal: company_portal.flatten().flatten(),
        authenticator: authenticator.flatten().flatten(),
        imei,
        firmware,
        unread,
    }
}

/// The IMEI in `service call iphonesubinfo 1` output: a parcel dump whose quoted ASCII column
/// holds the UTF-16 digits (`'........3.5.8.9.'`). Only 15 digits that pass the Luhn check
/// count, so an error parcel or a truncated dump is never taken for an IMEI.
pub fn parse_imei_parcel(lines: &[&str]) -> Option<String> {
    if !lines.iter().any(|l| l.contains("Parcel(")) || has_error(lines) {
        return None;
    }
    let digits: String = lines
        .iter()
        .filter_map(|l| {
            let start = l.find('\'')?;
            let end = l.rfind('\'')?;
            (end > start).then(|| &l[start + 1..end])
        })
        .flat_map(str::chars)
        .filter(char::is_ascii_digit)
        .collect();
    (digits.len() == 15 && luhn_ok(&digits)).then_some(digits)
}

/// Section name → its non-blank lines (trimmed at the end, `\r` removed). Lines before the
/// first marker, and in sections of unknown names, are dropped; a marker must be alone on its
/// line (the command echoed back whole is not a marker).
fn split_sections(text: &str) -> BTreeMap<&str, Vec<&str>> {
    let mut sections: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim_end();
        let marker = line.trim_start().strip_prefix(SECTION_MARKER);
        if let Some(name) = marker.filter(|n| !n.is_empty() && !n.contains(char::is_whitespace)) {
            // A section this build doesn't know (a newer command?) is skipped whole.
            current = SECTIONS
                .iter()
                .chain(&["end"])
                .find(|s| **s == name)
                .copied();
            if let Some(known) = current {
                sections.entry(known).or_default();
            }
            continue;
        }
        if let (Some(name), false) = (current, line.trim().is_empty()) {
            sections.entry(name).or_default().push(line);
        }
    }
    sections
}

/// Error texts Android's shell, `settings` and `dumpsys` print instead of an answer.
const ERROR_SIGNS: &[&str] = &[
    "Permission Denial",
    "SecurityException",
    "Exception",
    "Can't find service",
    "can't find service",
    "inaccessible or not found",
    ": not found",
    "Error:",
    "error:",
];

fn has_error(lines: &[&str]) -> bool {
    lines
        .iter()
        .any(|l| ERROR_SIGNS.iter().any(|sign| l.contains(sign)))
}

/// A `settings get` answer: `Some(None)` for `null`, `Some(Some(n))` for a number, `None`
/// for anything else (nothing printed, or text).
fn setting(lines: &[&str]) -> Option<Option<i64>> {
    match lines {
        [one] => match one.trim() {
            "null" => Some(None),
            value => value.parse().ok().map(Some),
        },
        _ => None,
    }
}

/// The "Device Owner" block of `dumpsys device_policy`:
///
/// ```text
///   Device Owner:
///     admin=ComponentInfo{com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver}
///     name=
///     package=com.google.android.apps.work.clouddpc
/// ```
///
/// `Some(None)` when there is no such block (no device owner); `None` when the block is there
/// but names no admin.
fn device_owner(lines: &[&str]) -> Option<Option<String>> {
    // "Device Owner:" (some builds add " (User 0)"), not "Device Owner Type: 0".
    let is_header = |l: &&str| {
        let l = l.trim();
        l.starts_with("Device Owner") && l.ends_with(':')
    };
    let Some(start) = lines.iter().position(is_header) else {
        return Some(None);
    };
    let indent = |l: &str| l.len() - l.trim_start().len();
    let header = indent(lines[start]);
    let mut package = None;
    for line in &lines[start + 1..] {
        if line.trim() == "--" || indent(line) <= header {
            break;
        }
        let line = line.trim();
        if let Some(admin) = line.strip_prefix("admin=") {
            let inner = admin
                .strip_prefix("ComponentInfo{")
                .and_then(|c| c.strip_suffix('}'))
                .unwrap_or(admin)
                .trim();
            if !inner.is_empty() {
                return Some(Some(inner.to_owned()));
            }
        } else if let Some(p) = line.strip_prefix("package=") {
            package = Some(p.trim().to_owned()).filter(|p| !p.is_empty());
        }
    }
    package.map(Some)
}

/// The first `versionName=` (the installed version; an updated system app prints its factory
/// version later, under "Hidden system packages"). `Some(None)` when nothing was printed (the
/// package is not installed); `None` when the version is not a version.
fn version_name(lines: &[&str]) -> Option<Option<AppVersion>> {
    let Some(line) = lines.iter().find(|l| l.contains("versionName=")) else {
        return Some(None);
    };
    let value = line
        .split("versionName=")
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("");
    AppVersion::parse(value).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_has_every_section_and_fits_an_old_adb_packet() {
        for name in SECTIONS {
            assert!(
                EVIDENCE_COMMAND.contains(&format!("echo '{SECTION_MARKER}{name}'; ")),
                "{name}"
            );
        }
        assert!(EVIDENCE_COMMAND.ends_with("echo '@@stagebench:end'"));
        for package in [INTUNE_APP, COMPANY_PORTAL, AUTHENTICATOR] {
            assert!(SECTIONS.contains(&package));
            assert!(EVIDENCE_COMMAND.contains(&format!("dumpsys package {package} 2>&1")));
        }
        let loop_keys = format!("for p in {}; do", EVIDENCE_PROPERTIES.join(" "));
        assert!(
            EVIDENCE_COMMAND.contains(&loop_keys),
            "props reads EVIDENCE_PROPERTIES"
        );
        for key in super::super::realwear::FIRMWARE_PROPERTIES {
            assert!(EVIDENCE_PROPERTIES.contains(key), "{key} is read");
        }
        // Android before 9 accepts at most 4096 bytes in an OPEN (MAX_PAYLOAD_V1).
        assert!(EVIDENCE_COMMAND.len() < 4000, "{}", EVIDENCE_COMMAND.len());
    }

    #[test]
    fn settings_answers() {
        assert_eq!(setting(&["1"]), Some(Some(1)));
        assert_eq!(setting(&["  0 "]), Some(Some(0)));
        assert_eq!(setting(&["null"]), Some(None));
        assert_eq!(setting(&[]), None);
        assert_eq!(setting(&["yes"]), None);
        assert_eq!(setting(&["1", "2"]), None);
    }

    #[test]
    fn device_owner_block() {
        let block = [
            "  Device Owner: ",
            "    admin=ComponentInfo{com.example.dpc/com.example.dpc.Receiver}",
            "    package=com.example.dpc",
            "  Profile Owner (User 10): ",
            "    admin=ComponentInfo{other/other.R}",
        ];
        assert_eq!(
            device_owner(&block),
            Some(Some("com.example.dpc/com.example.dpc.Receiver".into()))
        );
        assert_eq!(
            device_owner(&["Device Owner:", "  package=com.example.dpc"]),
            Some(Some("com.example.dpc".into()))
        );
        assert_eq!(device_owner(&[]), Some(None));
        assert_eq!(device_owner(&["  Device Owner:", "  User ID: 0"]), None);
    }

    #[test]
    fn owner_package_and_intune() {
        let mut e = StageEvidence {
            device_owner: Some(format!(
                "{CLOUD_DPC}/{CLOUD_DPC}.receivers.CloudDeviceAdminReceiver"
            )),
            ..StageEvidence::default()
        };
        assert_eq!(e.device_owner_package(), Some(CLOUD_DPC));
        assert!(e.owned_by_intune());
        e.device_owner = Some("com.vendor.mdm".into());
        assert!(!e.owned_by_intune());
        e.device_owner = None;
        assert!(!e.owned_by_intune());
    }

    #[test]
    fn echoed_command_from_a_shell_without_the_answer_is_all_unread() {
        // A fake shell that only echoes prints the command back on one line: no markers.
        let evidence = parse_evidence(&format!("{}\n", EVIDENCE_COMMAND.replace('\'', "")));
        // Every section but the IMEI, whose absence is normal (Android 10+ refuses it).
        assert_eq!(evidence.unread.len(), SECTIONS.len() - 1);
        assert!(!evidence.is_unread("imei"));
        assert_eq!(evidence.device_provisioned, None);
    }

    #[test]
    fn imei_from_a_parcel_dump_only_when_it_is_a_real_imei() {
        // `service call iphonesubinfo 1` on Android 9, as the shell prints it.
        let parcel = [
            "Result: Parcel(",
            "  0x00000000: 00000000 0000000f 00390034 00300030 '........4.9.0.0.'",
            "  0x00000010: 00350031 00310034 00330032 00350034 '1.5.4.1.2.3.4.5.'",
            "  0x00000020: 00380036 00000033                   '6.8.3...        ')",
        ];
        assert_eq!(
            parse_imei_parcel(&parcel).as_deref(),
            Some("490015412345683")
        );
        // One digit changed: the Luhn check fails, so it is not taken for an IMEI.
        let typo: Vec<String> = parcel
            .iter()
            .map(|l| l.replace("'6.8.3", "'6.8.4"))
            .collect();
        assert_eq!(
            parse_imei_parcel(&typo.iter().map(String::as_str).collect::<Vec<_>>()),
            None
        );
        // Android 10+: a SecurityException parcel.
        let denied = [
            "Result: Parcel(",
            "  0x00000000: ffffffff 00000047 00650052 00750071 '....G...R.e.q.u.'",
            "  0x00000010: 00720069 00730065 00520020 00410045 'i.r.e.s. .R.E.A.' SecurityException",
            ")",
        ];
        assert_eq!(parse_imei_parcel(&denied), None);
        assert_eq!(parse_imei_parcel(&["service: not found"]), None);
        let evidence = parse_evidence(&format!(
            "{SECTION_MARKER}imei\n{}\n{SECTION_MARKER}end\n",
            parcel.join("\n")
        ));
        assert_eq!(evidence.imei.as_deref(), Some("490015412345683"));
    }
}
