//! App-only sign-in (client secret, certificate assertions checked by the fake), the token
//! endpoint's refusals, the real OS keyring, and that no secret is ever printed.

mod support;

use std::time::Duration;

use stagebench_core::intune::auth::{
    CertificateSource, ClientCertificate, OsKeyring, SecretKind, SecretStore, SignInMode, CHUNK,
};
use stagebench_core::intune::{SignInError, TokenSource};
use stagebench_core::secret::SecretText;
use stagebench_core::testing::graph::test_certificate;
use support::auth::{bench, client_id, count, settings, SECRET, TENANT, UPN};

#[tokio::test]
async fn client_secret_sign_in_stores_the_secret_only_when_it_works() {
    let b = bench().await;
    let s = settings(SignInMode::ClientSecret);
    b.fake.add_app(&s.client_id, SECRET);

    let e = b
        .sign_in
        .sign_in_with_secret(&s, SecretText::new("wrong-secret"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, SignInError::Incomplete(_)) && e.to_string().contains("invalid_client"),
        "{e}"
    );
    assert!(b.keyring.names().is_empty(), "a refused secret is not kept");

    let session = b
        .sign_in
        .sign_in_with_secret(&s, SecretText::new(format!(" {SECRET}\n")))
        .await
        .unwrap();
    let stored = b
        .keyring
        .get(&SecretKind::ClientSecret.name(&b.sign_in.endpoints().authority, &s))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.expose(), SECRET, "trimmed");
    let me = session.whoami().await.unwrap();
    assert_eq!(
        (me.account.as_str(), me.app_only, me.mode.as_str()),
        (s.client_id.as_str(), true, "client-secret")
    );
    assert!(
        me.scopes
            .iter()
            .any(|r| r == "DeviceManagementConfiguration.ReadWrite.All"),
        "app roles: {:?}",
        me.scopes
    );

    // No refresh token for app-only: near expiry the secret from the keyring gets a new token.
    b.clock.advance(Duration::from_secs(3500));
    session.access_token().await.unwrap();
    assert_eq!(count(&b.fake, "client_credentials"), 3);
}

#[tokio::test]
async fn certificate_assertions_are_accepted_from_files_and_imported() {
    let b = bench().await;
    let (cert, key) = test_certificate("StageBench bench 1");
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("bench.crt"), dir.path().join("bench.key"));
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, key.expose()).unwrap();

    let files = settings(SignInMode::Certificate(CertificateSource::Files {
        certificate: cert_path,
        private_key: key_path,
    }));
    b.fake.add_app_certificate(&files.client_id, &cert);
    let session = b
        .sign_in
        .sign_in_with_certificate(&files, None)
        .await
        .unwrap();
    assert_eq!(session.whoami().await.unwrap().mode, "certificate");
    assert!(b.keyring.names().is_empty(), "nothing copied from files");

    let imported = settings(SignInMode::Certificate(CertificateSource::Imported {
        certificate_pem: cert.clone(),
    }));
    b.fake.add_app_certificate(&imported.client_id, &cert);
    let session = b
        .sign_in
        .sign_in_with_certificate(&imported, Some(key.clone()))
        .await
        .unwrap();
    let kept = b
        .keyring
        .get(&SecretKind::PrivateKey.name(&b.sign_in.endpoints().authority, &imported))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.expose(), key.expose());
    b.clock.advance(Duration::from_secs(3500));
    session.access_token().await.unwrap();
    assert_eq!(
        count(&b.fake, "client_credentials"),
        3,
        "renewed with the imported key"
    );
}

#[tokio::test]
async fn an_assertion_signed_with_another_key_is_rejected() {
    let b = bench().await;
    let (registered, registered_key) = test_certificate("registered");
    let (other, other_key) = test_certificate("other");
    let s = settings(SignInMode::Certificate(CertificateSource::Imported {
        certificate_pem: other.clone(),
    }));
    b.fake.add_app_certificate(&s.client_id, &registered);

    // A certificate the app does not know.
    let e = b
        .sign_in
        .sign_in_with_certificate(&s, Some(other_key.clone()))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("invalid_client") && e.to_string().contains("not registered"),
        "{e}"
    );

    // The registered certificate's x5t, signed by the other key: the signature must not verify.
    let mine = ClientCertificate::from_pem(&registered, &registered_key).unwrap();
    let theirs = ClientCertificate::from_pem(&other, &other_key).unwrap();
    let token_url = format!("{}/{TENANT}/oauth2/v2.0/token", b.fake.authority_url());
    let forged = {
        let signed_by_other = theirs.assertion(&s.client_id, &token_url, b.clock.now());
        let honest = mine.assertion(&s.client_id, &token_url, b.clock.now());
        let h = honest.expose().split('.').next().unwrap().to_owned();
        let rest: Vec<&str> = signed_by_other.expose().splitn(2, '.').collect();
        format!("{h}.{}", rest[1])
    };
    let answer = post_assertion(&s.client_id, &token_url, &forged).await;
    assert_eq!(answer.0, 401, "{}", answer.1);
    assert!(answer.1.contains("signature"), "{}", answer.1);

    // The honest assertion passes, and cannot be replayed.
    let honest = mine.assertion(&s.client_id, &token_url, b.clock.now());
    assert_eq!(
        post_assertion(&s.client_id, &token_url, honest.expose())
            .await
            .0,
        200
    );
    assert_eq!(
        post_assertion(&s.client_id, &token_url, honest.expose())
            .await
            .0,
        401
    );
    // Expired, or for another endpoint.
    let old = mine.assertion(
        &s.client_id,
        &token_url,
        b.clock.now() - Duration::from_secs(3600),
    );
    assert!(post_assertion(&s.client_id, &token_url, old.expose())
        .await
        .1
        .contains("time range"));
    let elsewhere = mine.assertion(
        &s.client_id,
        "https://login.microsoftonline.com/x/oauth2/v2.0/token",
        b.clock.now(),
    );
    assert!(post_assertion(&s.client_id, &token_url, elsewhere.expose())
        .await
        .1
        .contains("aud"));

    let e = ClientCertificate::from_pem(&registered, &other_key).unwrap_err();
    assert!(e.to_string().contains("does not belong"), "{e}");
}

async fn post_assertion(client_id: &str, token_url: &str, assertion: &str) -> (u16, String) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("scope", "https://graph.microsoft.com/.default"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    let r = stagebench_core::intune::http_client()
        .unwrap()
        .post(token_url)
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn token_endpoint_refuses_missing_and_unknown_grant_parameters() {
    let b = bench().await;
    let url = format!("{}/{TENANT}/oauth2/v2.0/token", b.fake.authority_url());
    let http = stagebench_core::intune::http_client().unwrap();
    for (form, error) in [
        (vec![("client_id", "x")], "invalid_request"),
        (
            vec![("grant_type", "password"), ("client_id", "x")],
            "unsupported_grant_type",
        ),
        (vec![("grant_type", "refresh_token")], "invalid_request"),
        (
            vec![("grant_type", "refresh_token"), ("client_id", "x")],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", "x"),
                ("device_code", "nope"),
            ],
            "bad_verification_code",
        ),
    ] {
        let r = http.post(&url).form(&form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{form:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], error, "{form:?}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn no_secret_is_printed_by_debug_or_errors() {
    let b = bench().await;
    let login = b
        .sign_in
        .start_device_code(&settings(SignInMode::DeviceCode))
        .await
        .unwrap();
    let device_code = b.fake.device_code_of(&login.prompt().user_code).unwrap();
    let login_debug = format!("{login:?} {:?}", b.sign_in);
    assert!(!login_debug.contains(&device_code), "{login_debug}");
    b.fake.approve_device_code(&login.prompt().user_code, UPN);
    let session = login.finish().await.unwrap();
    let s = session.settings();
    let access = session.access_token().await.unwrap();
    let refresh = b.refresh_token(&s).await.unwrap();

    let (cert, key) = test_certificate("debug");
    let certificate = ClientCertificate::from_pem(&cert, &key).unwrap();
    let key_line = key.expose().lines().nth(3).unwrap().to_owned();

    b.fake.revoke_refresh_tokens();
    session.rejected(&access);
    let refresh_error = session.access_token().await.unwrap_err();
    let app = settings(SignInMode::ClientSecret);
    b.fake.add_app(&app.client_id, SECRET);
    let secret_error = b
        .sign_in
        .sign_in_with_secret(&app, SecretText::new(format!("{SECRET}x")))
        .await
        .unwrap_err();
    let key_error =
        ClientCertificate::from_pem(&cert, &SecretText::new(format!("{}garbage", key.expose())))
            .unwrap_err();

    let printed = [
        format!("{session:?}"),
        format!("{:#?}", b.sign_in),
        format!("{certificate:?}"),
        format!("{:?}", b.keyring),
        format!("{access:?} {access}"),
        format!("{:?}", session.whoami().await),
        format!("{refresh_error} {refresh_error:?}"),
        format!("{secret_error} {secret_error:?}"),
        format!("{key_error} {key_error:?}"),
    ];
    for text in &printed {
        for secret in [
            access.expose(),
            refresh.as_str(),
            SECRET,
            key_line.as_str(),
            device_code.as_str(),
        ] {
            assert!(!text.contains(secret), "a secret in: {text}");
        }
    }
    assert!(printed[2].contains(&certificate.thumbprint()));
}

/// The real OS keyring: the Secret Service on Linux (`scripts/test-env.sh` starts a private,
/// unlocked gnome-keyring; `make test` runs every test inside it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_keyring_round_trip_through_the_secret_service() {
    let service = format!("StageBench-test-{}", client_id());
    let long = format!("0.AXEA{}", "x7-_".repeat(CHUNK / 2));
    let keyring = OsKeyring::with_service(&service);
    if let Err(e) = keyring
        .set(
            "tenant/client/refresh-token",
            &SecretText::new(long.clone()),
        )
        .await
    {
        panic!("no usable OS keyring ({e}); on Linux run the tests under scripts/test-env.sh (a private D-Bus session with gnome-keyring), as `make test` does");
    }
    keyring
        .set("tenant/client/client-secret", &SecretText::new(SECRET))
        .await
        .unwrap();

    let fresh = OsKeyring::with_service(&service);
    assert_eq!(
        fresh
            .get("tenant/client/refresh-token")
            .await
            .unwrap()
            .unwrap()
            .expose(),
        long,
        "a long value comes back whole"
    );
    assert_eq!(
        fresh
            .get("tenant/client/client-secret")
            .await
            .unwrap()
            .unwrap()
            .expose(),
        SECRET
    );
    assert!(fresh
        .get("tenant/client/private-key")
        .await
        .unwrap()
        .is_none());

    assert!(fresh.delete("tenant/client/refresh-token").await.unwrap());
    assert!(fresh.delete("tenant/client/client-secret").await.unwrap());
    assert!(
        !fresh.delete("tenant/client/client-secret").await.unwrap(),
        "deleting twice is fine"
    );
    assert!(keyring
        .get("tenant/client/refresh-token")
        .await
        .unwrap()
        .is_none());
    assert!(
        keyring
            .get("tenant/client/refresh-token#1")
            .await
            .unwrap()
            .is_none(),
        "its parts went too"
    );
}
