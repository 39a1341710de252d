//! `stagebench profiles` as an admin or technician runs it: list, show, and token create, revoke
//! and export, against a fresh fake demo tenant per test (a staging, a dedicated, an AOSP and an
//! expired profile) that the CLI signed in to with a device code. Secrets go to the real OS
//! keyring: run these under `scripts/test-env.sh` (as `make test` does).

use serde_json::{json, Value};
use stagebench_e2e::cli::{assert_secret_free, ok, refused, stderr, stdout};
use stagebench_e2e::tenant::TenantBench;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_list_shows_every_profile_with_its_token_state_and_no_secret() {
    let b = TenantBench::start().await;
    let d = &b.demo;
    let text = b.run(&["profiles", "list"]).await;
    ok(&text, "profiles list");
    let shown = stdout(&text);
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{shown}"))
            .to_owned()
    };
    assert!(
        line("Bench – fully managed (staging)").contains("valid, 29 d left"),
        "{shown}"
    );
    assert!(
        line("Shared scanners (dedicated)").contains("valid, 59 d left"),
        "{shown}"
    );
    let aosp = line("RealWear – AOSP userless");
    assert!(
        aosp.contains("valid, 89 d left") && aosp.contains("Bench-5G"),
        "{aosp}"
    );
    let expired = line("COPE pilot (token expired)");
    assert!(
        expired.contains("expired") && expired.contains("12"),
        "{expired}"
    );
    assert!(
        shown.contains("Wi-Fi key in plain text"),
        "warnings are listed: {shown}"
    );

    let json = b.json(&["profiles", "list", "--json"]).await;
    let views = json.as_array().unwrap();
    assert_eq!(views.len(), 4);
    let state = |id: &str| views.iter().find(|v| v["id"] == id).unwrap()["tokenState"].clone();
    assert_eq!(state(&d.expired_profile), "expired");
    assert_eq!(state(&d.staging_profile), "valid");
    let staging = views
        .iter()
        .find(|v| v["id"] == d.staging_profile.as_str())
        .unwrap();
    assert!(staging["tokenExpiresInSeconds"].as_u64().unwrap() > 29 * 86_400);

    let json_out = b.run(&["profiles", "list", "--json"]).await;
    let mut secrets: Vec<String> = [
        &d.staging_profile,
        &d.dedicated_profile,
        &d.aosp_profile,
        &d.expired_profile,
    ]
    .iter()
    .filter_map(|p| b.token_of(p))
    .collect();
    secrets.push("stage-bench-2026".into()); // the AOSP Wi-Fi key
    assert_eq!(secrets.len(), 5);
    assert_secret_free(&[&text, &json_out], &secrets);
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_reveals_a_valid_token_only_and_names_the_fix_for_an_expired_one() {
    let b = TenantBench::start().await;
    let d = &b.demo;
    let token = b.token_of(&d.staging_profile).unwrap();

    let hidden = b
        .run(&["profiles", "show", "bench – FULLY managed (staging)"])
        .await;
    ok(&hidden, "show by name, any case");
    assert!(
        stdout(&hidden).contains("add --reveal") && stdout(&hidden).contains(&d.staging_profile),
        "{}",
        stdout(&hidden)
    );
    assert_secret_free(&[&hidden], std::slice::from_ref(&token));

    let revealed = b
        .run(&["profiles", "show", &d.staging_profile, "--reveal"])
        .await;
    ok(&revealed, "show --reveal");
    assert!(
        stdout(&revealed).contains(&format!("token value:  {token}")),
        "{}",
        stdout(&revealed)
    );
    let json = b
        .json(&["profiles", "show", &d.staging_profile, "--reveal", "--json"])
        .await;
    assert_eq!(json["token"], token.as_str());
    assert_eq!(
        json["qrCodeContent"],
        b.fake.profile(&d.staging_profile).unwrap()["qrCodeContent"]
    );

    let expired_token = b.token_of(&d.expired_profile).unwrap();
    let out = b
        .run(&["profiles", "show", "COPE pilot (token expired)", "--reveal"])
        .await;
    let err = refused(&out);
    assert!(
        err.contains("expired or revoked")
            && err.contains("stagebench profiles token create \"COPE pilot (token expired)\""),
        "{err}"
    );
    assert_secret_free(&[&out], &[expired_token]);

    let aosp = b
        .run(&["profiles", "show", "RealWear – AOSP userless", "--reveal"])
        .await;
    ok(&aosp, "show AOSP --reveal");
    assert!(
        stdout(&aosp).contains("AOSP token alone cannot enroll")
            && stdout(&aosp).contains("QR content:   {"),
        "{}",
        stdout(&aosp)
    );

    let err = refused(&b.run(&["profiles", "show", "Nope"]).await);
    assert!(
        err.contains("candidates") && err.contains("Shared scanners (dedicated)"),
        "{err}"
    );
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_refuses_more_than_90_days_for_aosp_before_sending_and_shows_the_new_expiry() {
    let b = TenantBench::start().await;
    let aosp = b.demo.aosp_profile.clone();
    let err = refused(
        &b.run(&[
            "profiles",
            "token",
            "create",
            "RealWear – AOSP userless",
            "--days",
            "91",
        ])
        .await,
    );
    assert!(
        err.contains("at most 90 days") && err.contains("nothing was sent"),
        "{err}"
    );
    assert_eq!(b.sent("/createToken"), 0, "refused before sending");

    let old = b.token_of(&aosp).unwrap();
    let text = b
        .run(&["profiles", "token", "create", &aosp, "--days", "30"])
        .await;
    ok(&text, "token create");
    let expires = b.fake.profile(&aosp).unwrap()["tokenExpirationDateTime"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = stdout(&text);
    assert!(
        shown.contains("valid for 30 days")
            && shown.contains(&expires[..10])
            && shown.contains("unaffected"),
        "{shown}"
    );
    assert_ne!(
        b.token_of(&aosp).unwrap(),
        old,
        "a new token replaced the old one"
    );

    let json = b
        .json(&[
            "profiles",
            "token",
            "create",
            "Shared scanners (dedicated)",
            "--days",
            "14",
            "--json",
        ])
        .await;
    assert_eq!(
        (json["created"].as_bool(), json["days"].as_u64()),
        (Some(true), Some(14))
    );
    assert_eq!(
        json["profile"]["tokenExpires"],
        b.fake.profile(&b.demo.dedicated_profile).unwrap()["tokenExpirationDateTime"]
    );
    assert!(json["profile"]["tokenExpiresInSeconds"].as_u64().unwrap() > 13 * 86_400);
    assert_eq!(b.sent("/createToken"), 2);
    assert_secret_free(&[&text], &[b.token_of(&aosp).unwrap()]);
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_revoke_needs_a_confirmation_and_then_the_token_is_never_shown() {
    let b = TenantBench::start().await;
    let dedicated = b.demo.dedicated_profile.clone();
    let err = refused(
        &b.run(&["profiles", "token", "revoke", "Shared scanners (dedicated)"])
            .await,
    );
    assert!(
        err.contains("confirmation") && err.contains("--yes"),
        "{err}"
    );
    assert_eq!(b.sent("/revokeToken"), 0);

    let out = b
        .run(&[
            "profiles",
            "token",
            "revoke",
            "Shared scanners (dedicated)",
            "--yes",
        ])
        .await;
    ok(&out, "revoke --yes");
    assert!(
        stdout(&out).contains("unaffected") && stdout(&out).contains("void"),
        "{}",
        stdout(&out)
    );
    assert_eq!(b.sent("/revokeToken"), 1);
    assert_eq!(
        b.fake.profile(&dedicated).unwrap()["tokenValue"],
        Value::Null,
        "the tenant has no token any more"
    );

    // A revoked token reads as expired from then on, and is never shown.
    let err = refused(&b.run(&["profiles", "show", &dedicated, "--reveal"]).await);
    assert!(
        err.contains("expired or revoked") && err.contains("token create"),
        "{err}"
    );
    let json = b
        .json(&["profiles", "token", "revoke", &dedicated, "--yes", "--json"])
        .await;
    assert_eq!(json["revoked"], false, "nothing left to revoke: {json}");
    assert_eq!(b.sent("/revokeToken"), 1);
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_export_writes_zero_touch_and_kme_json_and_refuses_expired_tokens() {
    let b = TenantBench::start().await;
    let token = b.token_of(&b.demo.staging_profile).unwrap();
    let file = b.data.path().join("zero-touch.json");
    let out = b
        .run(&[
            "profiles",
            "token",
            "export",
            "Bench – fully managed (staging)",
            "--for",
            "zero-touch",
            "--out",
            file.to_str().unwrap(),
        ])
        .await;
    ok(&out, "export zero-touch");
    assert!(
        stdout(&out).contains("contains the enrollment token")
            && stdout(&out).contains("fully managed only"),
        "{}",
        stdout(&out)
    );
    assert_secret_free(&[&out], std::slice::from_ref(&token));
    let text = std::fs::read_to_string(&file).unwrap();
    let keys = [
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION",
        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\""))
                .unwrap_or_else(|| panic!("{k} missing: {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "keys in order: {text}");
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.as_object().unwrap().len(), 4, "{text}");
    assert_eq!(
        parsed[keys[0]],
        "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"
    );
    assert_eq!(
        parsed[keys[3]],
        json!({"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": token})
    );
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions())
            & 0o777,
        0o600
    );

    let kme = b
        .run(&[
            "profiles",
            "token",
            "export",
            &b.demo.staging_profile,
            "--for",
            "kme",
        ])
        .await;
    ok(&kme, "export kme");
    let parsed: Value = serde_json::from_slice(&kme.stdout)
        .unwrap_or_else(|e| panic!("stdout is the JSON alone ({e}): {}", stdout(&kme)));
    assert_eq!(
        parsed,
        json!({"com.google.android.apps.work.cloudpc.EXTRA_ENROLLMENT_TOKEN": token})
    );
    assert!(stderr(&kme).contains("Device Owner"), "{}", stderr(&kme));

    let expired = b
        .run(&[
            "profiles",
            "token",
            "export",
            "COPE pilot (token expired)",
            "--for",
            "kme",
        ])
        .await;
    let err = refused(&expired);
    assert!(
        err.contains("no usable token") && err.contains("token create"),
        "{err}"
    );
    assert_secret_free(&[&expired], &[b.token_of(&b.demo.expired_profile).unwrap()]);
    let err = refused(
        &b.run(&[
            "profiles",
            "token",
            "export",
            "RealWear – AOSP userless",
            "--for",
            "zero-touch",
        ])
        .await,
    );
    assert!(err.contains("QR code"), "{err}");
    b.fake.assert_no_violations();
}
