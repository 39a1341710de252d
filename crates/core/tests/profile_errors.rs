//! A malformed enrollment profile from Graph (issue 13, finding 9): the parse error names what
//! was wrong, never the value of a secret field (token, QR content, Wi-Fi key).

use serde_json::json;
use stagebench_core::intune::graph::EnrollmentProfile;

const TOKEN: &str = "ZXNFTOKENVALUE0123456789";
const WIFI_KEY: u64 = 73_590_248_113;

#[test]
fn a_profile_parse_error_never_shows_a_secret_value() {
    let malformed = [
        // A Wi-Fi key sent as a number, where text is expected.
        json!({"id": "p1", "wifiSsid": "Warehouse", "wifiPassword": WIFI_KEY}),
        // A token where a flag is expected (a field shifted by a broken proxy).
        json!({"id": "p1", "tokenValue": TOKEN, "configureWifi": TOKEN}),
        // The token as an array, and as an object.
        json!({"id": "p1", "tokenValue": [TOKEN]}),
        json!({"id": "p1", "qrCodeContent": {"t": TOKEN}, "wifiHidden": TOKEN}),
    ];
    for profile in malformed {
        let e = EnrollmentProfile::from_json(profile.clone())
            .err()
            .unwrap_or_else(|| panic!("{profile} parsed"));
        assert!(e.contains("not an enrollment profile"), "{e}");
        assert!(
            !e.contains(TOKEN) && !e.contains(&WIFI_KEY.to_string()),
            "the error shows a secret: {e}"
        );
    }
}
