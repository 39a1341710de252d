//! `stagebench qr` run the way the README says: codes with awkward Wi-Fi strings read back by
//! Debian's `zbarimg` (the "standard scanner") and by the `rqrr` decoder, SVG and JSON output,
//! bad inputs refused with the reason and no secret, and codes made from an Intune export or an
//! AOSP profile's content.

use std::path::Path;
use std::process::Command;

use stagebench_e2e::artifacts_dir;
use stagebench_e2e::cli::{stagebench, stderr};
use stagebench_e2e::qr::decode_qr_png;

const SSID: &str = "Bench \"5\"; café";
const PASSWORD: &str = "p@ss;\\word\"";

fn zbarimg(path: &Path) -> String {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(path)
        .output()
        .expect("zbarimg runs (package zbar-tools; `make test` installs it)");
    assert!(
        out.status.success(),
        "zbarimg found no code in {}: {}",
        path.display(),
        stderr(&out)
    );
    String::from_utf8(out.stdout)
        .expect("zbarimg prints UTF-8")
        .trim_end_matches('\n')
        .to_string()
}

#[test]
fn qr_with_awkward_wifi_scans_to_exactly_those_strings() {
    let dir = tempfile::tempdir().unwrap();
    let png = artifacts_dir("cli").join("qr-wifi.png");
    let png_arg = png.to_str().unwrap();
    let out = stagebench(
        &[
            "qr",
            "--token",
            "T0K3N",
            "--wifi-ssid",
            SSID,
            "--wifi-security",
            "WPA",
            "--wifi-password",
            PASSWORD,
            "--out",
            png_arg,
        ],
        dir.path(),
        None,
    );
    assert!(
        out.status.success(),
        "stagebench qr failed: {}",
        stderr(&out)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        !printed.contains(PASSWORD),
        "the Wi-Fi password is not printed: {printed}"
    );
    assert!(
        printed.contains("plain text"),
        "warns that the QR holds a Wi-Fi password: {printed}"
    );

    for text in [
        zbarimg(&png),
        decode_qr_png(&std::fs::read(&png).unwrap())
            .pop()
            .expect("rqrr decodes it"),
    ] {
        let json: serde_json::Value = serde_json::from_str(&text).expect("the QR holds valid JSON");
        assert_eq!(json["android.app.extra.PROVISIONING_WIFI_SSID"], SSID);
        assert_eq!(
            json["android.app.extra.PROVISIONING_WIFI_PASSWORD"],
            PASSWORD
        );
        assert_eq!(
            json["android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE"],
            "WPA"
        );
        assert_eq!(
            json["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
                ["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
            "T0K3N"
        );
    }
}

#[test]
fn qr_svg_and_json_output() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("qr.svg");
    let out = stagebench(
        &[
            "qr",
            "--token",
            "T0K3N",
            "--out",
            svg.to_str().unwrap(),
            "--json",
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(report["summary"]["kind"], "android-enterprise");
    assert!(report["qr"]["version"].as_i64().unwrap() >= 1);
    assert!(
        report.get("payload").is_none(),
        "the payload (with its token) is printed only with --reveal"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("T0K3N"),
        "token masked in --json output"
    );
    assert!(
        std::fs::read_to_string(&svg).unwrap().starts_with("<?xml")
            || std::fs::read_to_string(&svg).unwrap().contains("<svg")
    );

    let out = stagebench(
        &["qr", "--token", "T0K3N", "--json", "--reveal"],
        dir.path(),
        None,
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["payload"].as_str().unwrap().contains("T0K3N"));
}

#[test]
fn bad_qr_inputs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("export.json");
    std::fs::write(
        &corrupt,
        "{\"qrCodeContent\": {\"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME\": ",
    )
    .unwrap();
    let long_ssid = "x".repeat(80);
    let missing = dir.path().join("missing.json");
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "qr",
                "--token",
                "T",
                "--wifi-ssid",
                &long_ssid,
                "--wifi-password",
                "password1",
            ],
            "80",
        ),
        (
            &[
                "qr",
                "--token",
                "T",
                "--wifi-ssid",
                "Bench",
                "--wifi-security",
                "WPA",
                "--wifi-password",
                "1234567",
            ],
            "7",
        ),
        (
            &["qr", "--export-file", corrupt.to_str().unwrap()],
            "export",
        ),
        (
            &["qr", "--export-file", missing.to_str().unwrap()],
            "missing.json",
        ),
        (
            &[
                "qr",
                "--token",
                "T",
                "--wifi-ssid",
                "Bench",
                "--wifi-security",
                "WPA3",
                "--wifi-password",
                "password1",
            ],
            "WPA3",
        ),
    ];
    for (args, must_mention) in cases {
        let out = stagebench(args, dir.path(), None);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            err.contains("error:") && err.contains(must_mention),
            "{args:?}: message names the problem: {err}"
        );
        assert!(
            !err.contains("password1") && !err.contains("1234567\""),
            "no secret in the error: {err}"
        );
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/core/tests/fixtures/provisioning")
        .join(name)
}

#[test]
fn qr_from_an_intune_export_drops_expiration_date_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("export.png");
    let export = fixture("export-wrapped-object.json");
    let out = stagebench(
        &[
            "qr",
            "--export-file",
            export.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("expirationDate"),
        "the dropped key is reported: {printed}"
    );
    let json: serde_json::Value = serde_json::from_str(&zbarimg(&png)).unwrap();
    assert!(
        json.get("expirationDate").is_none() && json.get("qrCodeContent").is_none(),
        "{json}"
    );
    assert!(json["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"].is_object());
}

#[test]
fn qr_from_aosp_content_keeps_the_bytes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("aosp.png");
    let content = fixture("aosp-userless-wpa.json");
    let arg = format!("@{}", content.display());
    let out = stagebench(
        &["qr", "--aosp-content", &arg, "--out", png.to_str().unwrap()],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let original = std::fs::read_to_string(&content).unwrap();
    let decoded = decode_qr_png(&std::fs::read(&png).unwrap())
        .pop()
        .expect("decodes");
    assert_eq!(
        decoded, original,
        "AOSP content is encoded verbatim, never rebuilt"
    );

    let refused = stagebench(
        &["qr", "--aosp-content", &arg, "--wifi-ssid", "Bench"],
        dir.path(),
        None,
    );
    assert!(
        !refused.status.success() && stderr(&refused).contains("AOSP"),
        "{}",
        stderr(&refused)
    );
}

/// A QR written with `--out` holds the token: it is written owner-only (0600), and neither a
/// symlink planted at the target nor one at the temp name the old writer used (`.NAME.tmp`)
/// is followed: the files they point at keep their bytes.
#[cfg(unix)]
#[test]
fn qr_out_is_owner_only_and_follows_no_planted_symlink() {
    use std::os::unix::fs::PermissionsExt;

    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let victim = files.path().join("victim");
    let temp_victim = files.path().join("temp-victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::write(&temp_victim, b"precious too").unwrap();
    let png = files.path().join("qr.png");
    std::os::unix::fs::symlink(&victim, &png).unwrap();
    std::os::unix::fs::symlink(&temp_victim, files.path().join(".qr.png.tmp")).unwrap();

    let out = stagebench(
        &[
            "qr",
            "--token",
            "T0K3N-SECRET",
            "--out",
            png.to_str().unwrap(),
        ],
        data.path(),
        None,
    );
    assert!(
        out.status.success(),
        "stagebench qr failed: {}",
        stderr(&out)
    );

    for (file, was) in [
        (&victim, &b"precious"[..]),
        (&temp_victim, &b"precious too"[..]),
    ] {
        assert!(
            std::fs::read(file).unwrap() == was,
            "{} (behind a planted link) was overwritten",
            file.display()
        );
    }
    let meta = std::fs::symlink_metadata(&png).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by the QR"
    );
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "a QR holding a token is owner-only"
    );
    let decoded = decode_qr_png(&std::fs::read(&png).unwrap());
    assert!(decoded[0].contains("T0K3N-SECRET"), "{decoded:?}");
}
