//! Provisioning payloads: Wi-Fi rules on both sides of every boundary, the exact §1.1 JSON,
//! Intune export variants, AOSP content kept byte for byte, and secrets kept out of every
//! printable form. Fixtures: `tests/fixtures/provisioning/` (made up; see its README).

use serde_json::Value;
use stagebench_core::provisioning::payload::WIFI_PASSWORD_WARNING;
use stagebench_core::provisioning::{
    Payload, PayloadKind, ProvisioningError as E, TokenKind, WifiConfig, WifiSecurity,
};
use stagebench_core::secret::MASK;

const COMPONENT: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";
const CHECKSUM: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM";
const DOWNLOAD: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION";
const BUNDLE: &str = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
const TOKEN_KEY: &str = "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN";
const SSID: &str = "android.app.extra.PROVISIONING_WIFI_SSID";
const SECURITY: &str = "android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE";
const PASSWORD: &str = "android.app.extra.PROVISIONING_WIFI_PASSWORD";
const HIDDEN: &str = "android.app.extra.PROVISIONING_WIFI_HIDDEN";
const DROPPED_EXPIRATION: &str = "dropped key 'expirationDate': not a provisioning extra";

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/provisioning/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// §1.1, copied by hand from the reference (not from the crate's constants).
fn section_1_1(token: &str) -> Value {
    serde_json::json!({
      "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME": "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
      "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
      "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION": "https://play.google.com/managed/downloadManagingApp?identifier=setup",
      "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
        "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": token
      }
    })
}

/// Top-level keys of a JSON object, in document order (serde_json's map sorts them).
fn key_order(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            '"' => {
                let start = i + 1;
                let mut end = start;
                while let Some((j, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = j;
                            break;
                        }
                        _ => {}
                    }
                }
                let after = text[end + 1..].trim_start();
                if depth == 1 && after.starts_with(':') {
                    keys.push(serde_json::from_str(&text[start - 1..=end]).unwrap());
                }
            }
            _ => {}
        }
    }
    keys
}

fn parse(payload: &Payload) -> Value {
    serde_json::from_str(payload.qr_text()).unwrap()
}

fn wifi(ssid: &str, security: WifiSecurity, password: Option<&str>) -> WifiConfig {
    WifiConfig::new(ssid, security, password, false).unwrap()
}

// ---- Wi-Fi rules -------------------------------------------------------------------------

/// name, SSID, security, password, expected result.
type WifiCase = (
    &'static str,
    String,
    WifiSecurity,
    Option<String>,
    Result<(), E>,
);

#[test]
#[rustfmt::skip] // one case per line reads as a table
fn wifi_rules_both_sides_of_every_boundary() {
    use WifiSecurity::*;
    let a = |n: usize| "a".repeat(n);
    let hex = |n: usize| "0123456789abcdefABCDEF".chars().cycle().take(n).collect::<String>();
    let not_hex = |n: usize| format!("{}g", hex(n - 1));
    let eacute16 = "é".repeat(16); // 32 bytes, 16 characters
    let cases: Vec<WifiCase> = vec![
        // SSID: 1–32 bytes of UTF-8, counted in bytes, not characters.
        ("ssid empty", String::new(), None, Option::None, Err(E::SsidEmpty)),
        ("ssid 1 byte", a(1), None, Option::None, Ok(())),
        ("ssid 32 bytes", a(32), None, Option::None, Ok(())),
        ("ssid 33 bytes", a(33), None, Option::None, Err(E::SsidTooLong { bytes: 33 })),
        ("ssid 80 bytes", a(80), None, Option::None, Err(E::SsidTooLong { bytes: 80 })),
        ("ssid 16×é = 32 bytes", eacute16.clone(), None, Option::None, Ok(())),
        ("ssid 16×é + a = 33 bytes", format!("{eacute16}a"), None, Option::None, Err(E::SsidTooLong { bytes: 33 })),
        ("ssid 10×☕ + ab = 32 bytes", format!("{}ab", "☕".repeat(10)), None, Option::None, Ok(())),
        ("ssid 11×☕ = 33 bytes", "☕".repeat(11), None, Option::None, Err(E::SsidTooLong { bytes: 33 })),
        ("ssid 8×😀 = 32 bytes", "😀".repeat(8), None, Option::None, Ok(())),
        ("ssid 8×😀 + a = 33 bytes", format!("{}a", "😀".repeat(8)), None, Option::None, Err(E::SsidTooLong { bytes: 33 })),
        ("ssid with NUL", "ab\0c".into(), None, Option::None, Err(E::NulCharacter { field: "SSID", position: 3 })),
        ("ssid with quotes, backslash, semicolon", r#"a"b\c;d"#.into(), None, Option::None, Ok(())),
        // NONE
        ("NONE without password", a(4), None, Option::None, Ok(())),
        ("NONE with empty password", a(4), None, Some(String::new()), Ok(())),
        ("NONE with password", a(4), None, Some("secretpw".into()), Err(E::PasswordOnOpenNetwork)),
        // WPA: 8–63 printable ASCII or exactly 64 hex.
        ("WPA no password", a(4), Wpa, Option::None, Err(E::PasswordMissing { security: Wpa })),
        ("WPA empty password", a(4), Wpa, Some(String::new()), Err(E::PasswordMissing { security: Wpa })),
        ("WPA 7", a(4), Wpa, Some(a(7)), Err(E::WpaKeyLength { chars: 7 })),
        ("WPA 8", a(4), Wpa, Some(a(8)), Ok(())),
        ("WPA 63", a(4), Wpa, Some(a(63)), Ok(())),
        ("WPA 64 hex", a(4), Wpa, Some(hex(64)), Ok(())),
        ("WPA 64 non-hex", a(4), Wpa, Some(not_hex(64)), Err(E::WpaKeyNotHex)),
        ("WPA 65 hex", a(4), Wpa, Some(hex(65)), Err(E::WpaKeyLength { chars: 65 })),
        ("WPA space and tilde", a(4), Wpa, Some(" ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}".into()), Ok(())),
        ("WPA tab", a(4), Wpa, Some("abc\tdefgh".into()), Err(E::WpaKeyNotPrintable { position: 4 })),
        ("WPA DEL", a(4), Wpa, Some("abcdefg\u{7f}".into()), Err(E::WpaKeyNotPrintable { position: 8 })),
        ("WPA non-ASCII", a(4), Wpa, Some("pässwort".into()), Err(E::WpaKeyNotPrintable { position: 2 })),
        ("WPA 7 chars of which 1 emoji", a(4), Wpa, Some("abcdef😀".into()), Err(E::WpaKeyLength { chars: 7 })),
        // WEP: 5, 13, 16, 29 ASCII or 10, 26, 32, 58 hex.
        ("WEP no password", a(4), Wep, Option::None, Err(E::PasswordMissing { security: Wep })),
        ("WEP 4", a(4), Wep, Some(a(4)), Err(E::WepKeyLength { chars: 4 })),
        ("WEP 5", a(4), Wep, Some(a(5)), Ok(())),
        ("WEP 6", a(4), Wep, Some(a(6)), Err(E::WepKeyLength { chars: 6 })),
        ("WEP 12", a(4), Wep, Some(a(12)), Err(E::WepKeyLength { chars: 12 })),
        ("WEP 13", a(4), Wep, Some(a(13)), Ok(())),
        ("WEP 14", a(4), Wep, Some(a(14)), Err(E::WepKeyLength { chars: 14 })),
        ("WEP 16", a(4), Wep, Some(a(16)), Ok(())),
        ("WEP 17", a(4), Wep, Some(a(17)), Err(E::WepKeyLength { chars: 17 })),
        ("WEP 29", a(4), Wep, Some(a(29)), Ok(())),
        ("WEP 30", a(4), Wep, Some(a(30)), Err(E::WepKeyLength { chars: 30 })),
        ("WEP 5 non-ASCII", a(4), Wep, Some("abcdé".into()), Err(E::WepKeyNotPrintable { position: 5 })),
        ("WEP 9 hex", a(4), Wep, Some(hex(9)), Err(E::WepKeyLength { chars: 9 })),
        ("WEP 10 hex", a(4), Wep, Some(hex(10)), Ok(())),
        ("WEP 10 non-hex", a(4), Wep, Some(not_hex(10)), Err(E::WepKeyNotHex { chars: 10 })),
        ("WEP 11 hex", a(4), Wep, Some(hex(11)), Err(E::WepKeyLength { chars: 11 })),
        ("WEP 26 hex", a(4), Wep, Some(hex(26)), Ok(())),
        ("WEP 26 non-hex", a(4), Wep, Some(not_hex(26)), Err(E::WepKeyNotHex { chars: 26 })),
        ("WEP 32 hex", a(4), Wep, Some(hex(32)), Ok(())),
        ("WEP 32 non-hex", a(4), Wep, Some(not_hex(32)), Err(E::WepKeyNotHex { chars: 32 })),
        ("WEP 58 hex", a(4), Wep, Some(hex(58)), Ok(())),
        ("WEP 57 hex", a(4), Wep, Some(hex(57)), Err(E::WepKeyLength { chars: 57 })),
        ("WEP 59 hex", a(4), Wep, Some(hex(59)), Err(E::WepKeyLength { chars: 59 })),
        // EAP: password optional, any text but NUL.
        ("EAP no password", a(4), Eap, Option::None, Ok(())),
        ("EAP short unicode password", a(4), Eap, Some("ü😀".into()), Ok(())),
        ("EAP password with NUL", a(4), Eap, Some("ab\0".into()), Err(E::NulCharacter { field: "password", position: 3 })),
    ];
    let mut failures = Vec::new();
    for (name, ssid, security, password, expected) in &cases {
        let got = WifiConfig::new(ssid, *security, password.as_deref(), false).map(|_| ());
        if &got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
        if let (Err(error), Some(password)) = (&got, password) {
            let message = error.to_string();
            if password.len() >= 4 && message.contains(password.as_str()) {
                failures.push(format!("{name}: message quotes the password: {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn wifi_error_messages_name_the_input_and_the_fix() {
    let cases = [
        (E::SsidTooLong { bytes: 80 }, "Wi-Fi SSID is 80 bytes; an SSID is 1–32 bytes of UTF-8. Shorten it."),
        (E::WpaKeyLength { chars: 7 }, "WPA key is 7 characters; use 8–63 printable ASCII characters or exactly 64 hex digits."),
        (E::WepKeyLength { chars: 7 }, "WEP key is 7 characters; use 5, 13, 16 or 29 ASCII characters or 10, 26, 32 or 58 hex digits."),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
    let open = E::PasswordOnOpenNetwork.to_string();
    assert!(
        open.contains("NONE") && open.contains("remove the password"),
        "{open}"
    );
}

#[test]
fn security_parses_any_case_and_prints_upper_case() {
    for (input, expected) in [
        ("NONE", WifiSecurity::None),
        ("none", WifiSecurity::None),
        ("WPA", WifiSecurity::Wpa),
        ("wpa", WifiSecurity::Wpa),
        ("Wep", WifiSecurity::Wep),
        ("eAp", WifiSecurity::Eap),
    ] {
        let parsed: WifiSecurity = input.parse().unwrap();
        assert_eq!(parsed, expected);
        assert_eq!(parsed.as_str(), input.to_ascii_uppercase());
        assert_eq!(parsed.to_string(), input.to_ascii_uppercase());
    }
    for bad in ["", "WPA2", "WPA3", "SAE", " WPA", "open"] {
        let error = bad.parse::<WifiSecurity>().unwrap_err();
        assert_eq!(
            error,
            E::UnknownSecurity {
                value: bad.to_owned()
            }
        );
    }
}

#[test]
fn wifi_config_accessors() {
    let config = WifiConfig::new("Bench", WifiSecurity::Wpa, Some("password1"), true).unwrap();
    assert_eq!(config.ssid(), "Bench");
    assert_eq!(config.security(), WifiSecurity::Wpa);
    assert!(config.hidden());
    assert!(config.has_password());
    assert!(!format!("{config:?}").contains("password1"));
    let open = WifiConfig::new("Open", WifiSecurity::None, Some(""), false).unwrap();
    assert!(!open.has_password() && !open.hidden());
}

// ---- Android Enterprise ------------------------------------------------------------------

#[test]
fn android_enterprise_is_exactly_the_section_1_1_json_compact_and_in_order() {
    let payload = Payload::android_enterprise("FAKETOKEN123", None).unwrap();
    let expected = concat!(
        r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://play.google.com/managed/downloadManagingApp?identifier=setup","#,
        r#""android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"FAKETOKEN123"}}"#,
    );
    assert_eq!(payload.qr_text(), expected);
    assert_eq!(parse(&payload), section_1_1("FAKETOKEN123"));
    assert_eq!(payload.kind(), PayloadKind::AndroidEnterprise);
    assert!(payload.notes().is_empty());
    assert!(!payload.carries_wifi_password());
    let summary = payload.summary();
    assert_eq!(summary.kind, "android-enterprise");
    assert_eq!(summary.token_masked.as_deref(), Some(MASK));
    assert_eq!(summary.wifi_ssid, None);
    assert_eq!(summary.wifi_hidden, None);
    assert_eq!(summary.bytes, expected.len());
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
}

#[test]
fn android_enterprise_with_wifi_appends_wifi_keys_after_section_1_1() {
    let cases = [
        (
            WifiConfig::new("Bench", WifiSecurity::Wpa, Some("password1"), true).unwrap(),
            r#","android.app.extra.PROVISIONING_WIFI_SSID":"Bench","android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"WPA","android.app.extra.PROVISIONING_WIFI_PASSWORD":"password1","android.app.extra.PROVISIONING_WIFI_HIDDEN":true}"#,
            vec![SSID, SECURITY, PASSWORD, HIDDEN],
        ),
        (
            WifiConfig::new("Bench", WifiSecurity::Wep, Some("abcde"), false).unwrap(),
            r#","android.app.extra.PROVISIONING_WIFI_SSID":"Bench","android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"WEP","android.app.extra.PROVISIONING_WIFI_PASSWORD":"abcde"}"#,
            vec![SSID, SECURITY, PASSWORD],
        ),
        (
            WifiConfig::new("Open", WifiSecurity::None, None, false).unwrap(),
            r#","android.app.extra.PROVISIONING_WIFI_SSID":"Open","android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE":"NONE"}"#,
            vec![SSID, SECURITY],
        ),
    ];
    for (config, tail, wifi_keys) in cases {
        let payload = Payload::android_enterprise("FAKETOKEN123", Some(&config)).unwrap();
        assert!(payload.qr_text().ends_with(tail), "{}", payload.qr_text());
        let mut expected_keys = vec![COMPONENT, CHECKSUM, DOWNLOAD, BUNDLE];
        expected_keys.extend(wifi_keys);
        assert_eq!(key_order(payload.qr_text()), expected_keys);
        let summary = payload.summary();
        assert_eq!(summary.wifi_ssid.as_deref(), Some(config.ssid()));
        assert_eq!(
            summary.wifi_security.as_deref(),
            Some(config.security().as_str())
        );
        assert_eq!(summary.wifi_hidden, Some(config.hidden()));
        assert_eq!(payload.carries_wifi_password(), config.has_password());
        assert_eq!(
            summary.wifi_password_masked.is_some(),
            config.has_password()
        );
        assert_eq!(
            summary.warnings.contains(&WIFI_PASSWORD_WARNING.to_owned()),
            config.has_password()
        );
    }
}

#[test]
fn token_rules() {
    let trimmed = Payload::android_enterprise(" \tFAKETOKEN123\r\n", None).unwrap();
    assert_eq!(parse(&trimmed), section_1_1("FAKETOKEN123"));
    assert_eq!(
        trimmed.notes(),
        ["trimmed whitespace around the enrollment token"]
    );
    assert_eq!(trimmed.summary().notes, trimmed.notes());

    for (token, error) in [
        ("", E::TokenEmpty),
        ("  \n ", E::TokenEmpty),
        ("FA\u{7}KE", E::TokenControlChar { position: 3 }),
        ("FAKE\tTOKEN", E::TokenControlChar { position: 5 }),
        ("FAKE\nTOKEN", E::TokenControlChar { position: 5 }),
        ("FAKE\u{0}", E::TokenControlChar { position: 5 }),
    ] {
        assert_eq!(
            Payload::android_enterprise(token, None).unwrap_err(),
            error,
            "{token:?}"
        );
    }
}

#[test]
fn tricky_wifi_strings_survive_json_byte_for_byte() {
    let mut ssids: Vec<String> = [
        "\"",
        "\\",
        ";",
        "\"quoted\"",
        r"back\slash",
        "semi;colon;",
        "S:Wifi;T:WPA;P:x;;",
        "café",
        "☕ bench",
        "😀😀😀😀😀😀😀😀",
        "\u{2028}\u{2029}",
        "tab\there",
        "new\nline",
        "{}[],:",
        "\\u0041",
        "</script>",
        "'single'",
        "x\u{7f}y",
        "\u{1}",
        "ünï\u{301}code",
        " lead",
        "trail ",
        "日本語のネットワーク",
        "\u{feff}bom",
        "%s%n",
        "a\"b\\c;d'e",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut passwords: Vec<String> = [
        "p\"a\\s;s:w,o{r}d",
        r#"\"\\\""#,
        ";;;;;;;;",
        "        ",
        "~!@#$%^&*()_+`-=[]\\{}|;':\",./<>?",
        "\\u0000abc",
        "</script><script>",
        "S:x;T:WPA;P:y;;",
    ]
    .map(str::to_owned)
    .to_vec();
    // Pseudo-random strings from a pool of awkward characters (fixed seed: reproducible).
    let pool: Vec<char> = "\"\\;:,'{}[]/ aZ9é☕😀\u{2028}\t\n\u{7f}\u{1}\u{ffff}ß日"
        .chars()
        .collect();
    let ascii: Vec<char> = (0x20u8..=0x7e).map(char::from).collect();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    for _ in 0..300 {
        let mut ssid = String::new();
        for _ in 0..1 + next(12) {
            let c = pool[next(pool.len())];
            if ssid.len() + c.len_utf8() <= 32 {
                ssid.push(c);
            }
        }
        ssids.push(ssid);
        passwords.push(
            (0..8 + next(56))
                .map(|_| ascii[next(ascii.len())])
                .collect(),
        );
    }

    for (i, ssid) in ssids.iter().enumerate() {
        let password = &passwords[i % passwords.len()];
        // WPA takes printable ASCII; EAP takes any text, so unicode passwords go through EAP.
        let (security, password) = if password.chars().count() >= 8 && password.is_ascii() {
            (WifiSecurity::Wpa, password.clone())
        } else {
            (WifiSecurity::Eap, format!("{password}{ssid}"))
        };
        let config = WifiConfig::new(ssid, security, Some(&password), i % 2 == 0)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        let payload = Payload::android_enterprise("FAKE\"TOKEN\\1", Some(&config)).unwrap();
        let json = parse(&payload);
        assert_eq!(json[SSID].as_str(), Some(ssid.as_str()), "case {i}");
        assert_eq!(json[PASSWORD].as_str(), Some(password.as_str()), "case {i}");
        assert_eq!(json[SECURITY].as_str(), Some(security.as_str()), "case {i}");
        assert_eq!(
            json[BUNDLE][TOKEN_KEY].as_str(),
            Some("FAKE\"TOKEN\\1"),
            "case {i}"
        );
        assert_eq!(
            json.get(HIDDEN).and_then(Value::as_bool),
            (i % 2 == 0).then_some(true)
        );
        // Non-ASCII is written as UTF-8, not \u escapes, so the QR holds the SSID's own bytes.
        if !ssid
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            assert!(payload.qr_text().contains(ssid.as_str()), "case {i}");
        }
    }
}

#[test]
fn with_wifi_and_without_wifi_rebuild_android_enterprise_payloads() {
    let base = Payload::android_enterprise("FAKETOKEN123", None).unwrap();
    let bench = wifi("Bench", WifiSecurity::Wpa, Some("password1"));
    let joined = base.with_wifi(&bench).unwrap();
    assert_eq!(
        joined.qr_text(),
        Payload::android_enterprise("FAKETOKEN123", Some(&bench))
            .unwrap()
            .qr_text()
    );
    let other = wifi("Other", WifiSecurity::None, None);
    let switched = joined.with_wifi(&other).unwrap();
    assert_eq!(
        key_order(switched.qr_text()),
        [COMPONENT, CHECKSUM, DOWNLOAD, BUNDLE, SSID, SECURITY]
    );
    assert_eq!(
        switched.notes(),
        [SSID, SECURITY, PASSWORD]
            .map(|k| format!("removed key '{k}': replaced by the bench Wi-Fi"))
    );
    assert!(!switched.carries_wifi_password());
    let bare = joined.without_wifi().unwrap();
    assert_eq!(bare.qr_text(), base.qr_text());
    assert_eq!(bare.summary().wifi_ssid, None);
    assert_eq!(bare.notes().len(), 3);
}

// ---- Intune exports ----------------------------------------------------------------------

#[test]
fn export_variants() {
    struct Case {
        file: &'static str,
        token: &'static str,
        notes: Vec<&'static str>,
    }
    let cases = [
        Case {
            file: "export-bare.json",
            token: "FAKEBENCHTOKENAAAAAA",
            notes: vec![],
        },
        Case {
            file: "export-wrapped-object.json",
            token: "FAKESTAGINGTOKENBBBB",
            notes: vec![DROPPED_EXPIRATION],
        },
        Case {
            file: "export-wrapped-string.json",
            token: "FAKESTRINGTOKENCCCCC",
            notes: vec![DROPPED_EXPIRATION],
        },
    ];
    for case in cases {
        let payload = Payload::from_intune_export(&fixture(case.file), None)
            .unwrap_or_else(|e| panic!("{}: {e}", case.file));
        assert_eq!(parse(&payload), section_1_1(case.token), "{}", case.file);
        assert_eq!(
            payload.qr_text(),
            Payload::android_enterprise(case.token, None)
                .unwrap()
                .qr_text()
        );
        assert_eq!(payload.notes(), case.notes, "{}", case.file);
        assert!(payload.summary().warnings.is_empty(), "{}", case.file);
    }
}

#[test]
fn export_keeps_other_provisioning_extras_in_order_and_drops_the_rest() {
    let text = fixture("export-with-extras.json");
    let payload = Payload::from_intune_export(&text, None).unwrap();
    let locale = "android.app.extra.PROVISIONING_LOCALE";
    let mobile = "android.app.extra.PROVISIONING_USE_MOBILE_DATA";
    assert_eq!(
        key_order(payload.qr_text()),
        [COMPONENT, CHECKSUM, DOWNLOAD, BUNDLE, locale, SSID, SECURITY, PASSWORD, mobile]
    );
    let json = parse(&payload);
    assert_eq!(json[BUNDLE][TOKEN_KEY], "FAKEPADDEDTOKENDDDD");
    assert_eq!(json[mobile], true);
    assert_eq!(
        payload.notes(),
        [
            DROPPED_EXPIRATION,
            "trimmed whitespace around the enrollment token"
        ]
    );
    assert!(payload.carries_wifi_password());
    assert_eq!(payload.summary().wifi_ssid.as_deref(), Some("Old Bench"));
    assert_eq!(payload.summary().wifi_hidden, Some(false));

    // Bench Wi-Fi replaces the export's Wi-Fi keys and goes last.
    let bench = WifiConfig::new("Bench ☕", WifiSecurity::None, None, true).unwrap();
    let replaced = Payload::from_intune_export(&text, Some(&bench)).unwrap();
    assert_eq!(
        key_order(replaced.qr_text()),
        [COMPONENT, CHECKSUM, DOWNLOAD, BUNDLE, locale, mobile, SSID, SECURITY, HIDDEN]
    );
    assert!(!replaced.carries_wifi_password());
    assert_eq!(replaced.notes().len(), 5);
    assert!(replaced.notes()[2].starts_with(&format!("removed key '{SSID}'")));
}

#[test]
fn export_errors_name_the_problem_and_the_fix() {
    let corrupt = Payload::from_intune_export(&fixture("export-corrupt.json"), None).unwrap_err();
    let E::ExportNotJson { line, .. } = &corrupt else {
        panic!("{corrupt:?}")
    };
    assert_eq!(*line, 4);
    let message = corrupt.to_string();
    assert!(
        message.starts_with("export file is not valid JSON at line 4 column "),
        "{message}"
    );
    assert!(message.ends_with(
        "export the token again from Intune (Devices > Android > Enrollment > profile > Token > Export)"
    ), "{message}");
    assert!(!message.contains("I5YvS0O5"), "{message}");

    let missing =
        Payload::from_intune_export(&fixture("export-missing-token.json"), None).unwrap_err();
    assert_eq!(
        missing,
        E::ExportMissingKey {
            key: format!("{BUNDLE} → {TOKEN_KEY}")
        }
    );

    let bare = fixture("export-bare.json");
    let without = |key: &str| {
        let mut json: Value = serde_json::from_str(&bare).unwrap();
        json.as_object_mut().unwrap().remove(key);
        json.to_string()
    };
    let with = |key: &str, value: Value| {
        let mut json: Value = serde_json::from_str(&bare).unwrap();
        json[key] = value;
        json.to_string()
    };
    let token_as = |value: Value| {
        let mut json: Value = serde_json::from_str(&bare).unwrap();
        json[BUNDLE][TOKEN_KEY] = value;
        json.to_string()
    };
    let cases: Vec<(String, E)> = vec![
        ("[1, 2]".into(), E::ExportNotObject { found: "array" }),
        ("\"FAKE\"".into(), E::ExportNotObject { found: "string" }),
        (
            r#"{"qrCodeContent": 5}"#.into(),
            E::ExportBadQrCodeContent {
                problem: "a JSON number, not an object or a string".into(),
            },
        ),
        (
            r#"{"qrCodeContent": "[]"}"#.into(),
            E::ExportBadQrCodeContent {
                problem: "a string holding a JSON array, not an object".into(),
            },
        ),
        (
            without(COMPONENT),
            E::ExportMissingKey {
                key: COMPONENT.into(),
            },
        ),
        (
            without(CHECKSUM),
            E::ExportMissingKey {
                key: CHECKSUM.into(),
            },
        ),
        (
            without(DOWNLOAD),
            E::ExportMissingKey {
                key: DOWNLOAD.into(),
            },
        ),
        (without(BUNDLE), E::ExportMissingKey { key: BUNDLE.into() }),
        (
            with(COMPONENT, Value::from(5)),
            E::ExportWrongType {
                key: COMPONENT.into(),
                found: "number",
                expected: "string",
            },
        ),
        (
            with(BUNDLE, Value::from("FAKE")),
            E::ExportWrongType {
                key: BUNDLE.into(),
                found: "string",
                expected: "object",
            },
        ),
        (
            token_as(Value::from(12)),
            E::ExportWrongType {
                key: format!("{BUNDLE} → {TOKEN_KEY}"),
                found: "number",
                expected: "string",
            },
        ),
        (token_as(Value::from("")), E::TokenEmpty),
        (
            token_as(Value::from("FAKE\u{1b}X")),
            E::TokenControlChar { position: 5 },
        ),
        (
            "{}".into(),
            E::ExportMissingKey {
                key: COMPONENT.into(),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            Payload::from_intune_export(&text, None).unwrap_err(),
            expected,
            "{text}"
        );
    }
    let inner_garbage =
        Payload::from_intune_export(r#"{"qrCodeContent": "{\"a\": }"}"#, None).unwrap_err();
    assert!(
        matches!(&inner_garbage, E::ExportBadQrCodeContent { problem } if problem.starts_with("a string that is not valid JSON (line 1 column 7")),
        "{inner_garbage:?}"
    );
}

#[test]
fn export_drops_every_non_provisioning_key_with_a_note() {
    let mut json: Value = serde_json::from_str(&fixture("export-bare.json")).unwrap();
    json["expirationDate"] = "2027-01-01".into();
    json["android.app.extra.SOMETHING_ELSE"] = true.into();
    json["profileName"] = "Bench".into();
    let payload = Payload::from_intune_export(&json.to_string(), None).unwrap();
    assert_eq!(parse(&payload), section_1_1("FAKEBENCHTOKENAAAAAA"));
    // serde_json's map sorts keys, so the notes come in sorted order here.
    assert_eq!(
        payload.notes(),
        [
            "dropped key 'android.app.extra.SOMETHING_ELSE': not a provisioning extra",
            DROPPED_EXPIRATION,
            "dropped key 'profileName': not a provisioning extra",
        ]
    );
}

#[test]
fn export_lint_warnings() {
    let bare: Value = serde_json::from_str(&fixture("export-bare.json")).unwrap();
    let warnings = |extra: &[(&str, Value)]| {
        let mut json = bare.clone();
        for (key, value) in extra {
            json[*key] = value.clone();
        }
        Payload::from_intune_export(&json.to_string(), None)
            .unwrap()
            .summary()
            .warnings
    };
    let has = |warnings: &[String], needle: &str| warnings.iter().any(|w| w.contains(needle));
    let w = warnings(&[(SSID, "Bench".into()), (SECURITY, "wpa".into())]);
    assert!(has(&w, "Android treats it as an open network"), "{w:?}");
    let w = warnings(&[(SSID, "Bench".into()), (SECURITY, "EAP".into())]);
    assert!(has(&w, "EAP Wi-Fi without an EAP method"), "{w:?}");
    let w = warnings(&[(SSID, "\"Bench\"".into()), (SECURITY, "NONE".into())]);
    assert!(has(&w, "wrapped in quote marks"), "{w:?}");
    let w = warnings(&[(SSID, "Bench ".into()), (SECURITY, "NONE".into())]);
    assert!(has(&w, "leading or trailing spaces"), "{w:?}");
    let w = warnings(&[(SSID, "Bench".into()), (HIDDEN, "true".into())]);
    assert!(has(&w, "PROVISIONING_WIFI_HIDDEN is a string"), "{w:?}");
    let w = warnings(&[(COMPONENT, "com.example/.Admin".into())]);
    assert!(has(&w, "not Intune's CloudDPC"), "{w:?}");
    assert!(warnings(&[(SSID, "Bench".into()), (SECURITY, "NONE".into())]).is_empty());
}

#[test]
fn profile_qr_code_content_is_kept_byte_for_byte_and_checked_like_an_export() {
    let text = r#"{ "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
  "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
  "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://play.google.com/managed/downloadManagingApp?identifier=setup",
  "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"PROF1LET0KEN"}}"#;
    let payload = Payload::from_qr_code_content(text).unwrap();
    assert_eq!(
        payload.qr_text(),
        text,
        "verbatim: key order and spacing kept"
    );
    assert_eq!(payload.kind(), PayloadKind::AndroidEnterprise);
    assert_eq!(payload.enrollment_token().unwrap().expose(), "PROF1LET0KEN");
    assert_eq!(payload.summary().token_masked.as_deref(), Some(MASK));
    assert!(matches!(
        Payload::from_qr_code_content(r#"{"a":1}"#).unwrap_err(),
        E::ExportMissingKey { .. }
    ));
    assert!(matches!(
        Payload::from_qr_code_content("[1]").unwrap_err(),
        E::ExportNotObject { .. }
    ));
}

// ---- AOSP --------------------------------------------------------------------------------

#[test]
fn aosp_content_is_kept_byte_for_byte() {
    let text = fixture("aosp-userless-wpa.json");
    assert!(
        text.starts_with("  {\n") && !text.ends_with('\n'),
        "fixture shape"
    );
    let payload = Payload::from_aosp_content(&text).unwrap();
    assert_eq!(payload.qr_text().as_bytes(), text.as_bytes());
    assert_eq!(payload.kind(), PayloadKind::Aosp);
    assert!(payload.notes().is_empty());
    assert!(payload.carries_wifi_password());
    let summary = payload.summary();
    assert_eq!(summary.kind, "aosp");
    assert_eq!(summary.wifi_ssid.as_deref(), Some("RealWear \"Bench\" ☕"));
    assert_eq!(summary.wifi_security.as_deref(), Some("WPA"));
    assert_eq!(summary.wifi_password_masked.as_deref(), Some(MASK));
    assert_eq!(summary.wifi_hidden, Some(false));
    assert_eq!(summary.token_masked.as_deref(), Some(MASK));
    assert_eq!(summary.bytes, text.len());
    assert_eq!(summary.warnings, [WIFI_PASSWORD_WARNING]);

    // Whitespace and key order exactly as given, including odd spacing and sorted-last keys.
    for text in [
        "{\"z\":1,\"a\":2}",
        "\n\t{ \"b\" :\r\n[1,2.50,  3e2] ,\"a\":{}}  \n",
        "{}",
    ] {
        assert_eq!(Payload::from_aosp_content(text).unwrap().qr_text(), text);
    }
}

#[test]
fn aosp_refuses_wifi_and_non_objects() {
    let payload = Payload::from_aosp_content(&fixture("aosp-userless-wpa.json")).unwrap();
    let bench = wifi("Bench", WifiSecurity::Wpa, Some("password1"));
    assert_eq!(payload.with_wifi(&bench).unwrap_err(), E::WifiOnAosp);
    assert_eq!(payload.without_wifi().unwrap_err(), E::WifiOnAosp);
    let message = E::WifiOnAosp.to_string();
    assert!(
        message.contains("verbatim") && message.contains("Intune AOSP enrollment profile"),
        "{message}"
    );

    assert_eq!(
        Payload::from_aosp_content("[]").unwrap_err(),
        E::AospNotObject { found: "array" }
    );
    let E::AospNotJson { line, column, .. } =
        Payload::from_aosp_content("{\n  \"a\" 1\n}").unwrap_err()
    else {
        panic!("expected AospNotJson")
    };
    assert_eq!((line, column), (2, 7), "the 1 where a colon belongs");
    assert!(matches!(
        Payload::from_aosp_content(""),
        Err(E::AospNotJson { .. })
    ));
    assert!(matches!(
        Payload::from_aosp_content("\u{feff}{}"),
        Err(E::AospNotJson { .. })
    ));
}

// ---- Secrets stay out of printable forms -------------------------------------------------

#[test]
fn debug_summary_and_errors_never_contain_secrets() {
    let token = "FAKESECRETTOKEN999";
    let key = "SuperSecretKey42";
    let config = WifiConfig::new("Bench", WifiSecurity::Wpa, Some(key), false).unwrap();
    let payload = Payload::android_enterprise(token, Some(&config)).unwrap();
    let summary_json = serde_json::to_string(&payload.summary()).unwrap();
    for printed in [
        format!("{payload:?}"),
        format!("{payload:#?}"),
        format!("{config:?}"),
        format!("{:?}", payload.summary()),
        summary_json.clone(),
    ] {
        assert!(
            !printed.contains(token) && !printed.contains(key),
            "{printed}"
        );
    }
    assert!(
        summary_json.contains("\"kind\":\"android-enterprise\""),
        "{summary_json}"
    );
    assert!(summary_json.contains(MASK), "{summary_json}");

    for bad in [format!("{key}\u{7}"), "x".repeat(64)] {
        let error = WifiConfig::new("Bench", WifiSecurity::Wpa, Some(&bad), false).unwrap_err();
        assert!(!error.to_string().contains(&bad) && !format!("{error:?}").contains(&bad));
    }
    let error = Payload::android_enterprise(&format!("{token}\u{7}"), None).unwrap_err();
    assert!(!error.to_string().contains(token) && !format!("{error:?}").contains(token));
}

#[test]
fn kinds_have_stable_names() {
    assert_eq!(TokenKind::Default.as_str(), "default");
    assert_eq!(TokenKind::Staging.as_str(), "staging");
    assert_eq!(
        serde_json::to_string(&TokenKind::Staging).unwrap(),
        "\"staging\""
    );
    assert_eq!(
        PayloadKind::AndroidEnterprise.as_str(),
        "android-enterprise"
    );
    assert_eq!(PayloadKind::Aosp.as_str(), "aosp");
    assert_eq!(
        serde_json::to_string(&PayloadKind::AndroidEnterprise).unwrap(),
        "\"android-enterprise\""
    );
    assert_eq!(
        serde_json::to_string(&WifiSecurity::Wpa).unwrap(),
        "\"WPA\""
    );
}
