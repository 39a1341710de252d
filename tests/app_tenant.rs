//! The real app against the fake tenant (identity platform and Graph, started in the test;
//! `STAGEBENCH_AUTHORITY`, `STAGEBENCH_GRAPH_URL`), under Xvfb over WebDriver: sign in with a
//! device code from the Tenant screen and see the status strip go online with an empty outbox;
//! on the Profiles screen the four demo profiles (the expired one without a QR), a profile's QR
//! decoded from a screenshot to its `qrCodeContent`, and its token revoked through the typed
//! confirmation; started again, the app resumes the sign-in, and signing out keeps the form.
//! Screenshots land in artifacts/e2e/.

use fantoccini::Locator;
use stagebench_core::testing::free_port;
use stagebench_core::testing::graph::FakeGraph;
use stagebench_e2e::qr::qr_codes_are;
use stagebench_e2e::tenant::client_id;
use stagebench_e2e::webdriver::{
    attr_is, attr_of, click, connect, count_of, element, present, screenshot, screenshot_until,
    start_driver, text_at, text_matching, text_of, type_into, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_sign_in_status_strip_and_profiles_with_qr_and_revoke() {
    const UPN: &str = "tech@contoso.onmicrosoft.com";
    let fake = FakeGraph::start().await.unwrap();
    let demo = fake.seed_demo();
    fake.set_poll_interval(1);
    fake.approve_all_as(UPN, 2);
    let client_id = client_id();

    let data = tempfile::tempdir().unwrap();
    let no_adb = free_port().unwrap();
    let env = [
        ("STAGEBENCH_AUTHORITY", fake.authority_url()),
        ("STAGEBENCH_GRAPH_URL", fake.base_url()),
        ("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1".to_owned()),
    ];
    let (_driver, port) = start_driver(data.path(), no_adb, &env).await;
    let client = connect(port).await;

    // Not signed in: the strip says so on every view.
    let badge = wait_for(&client, "the status strip", || {
        text_at(&client, "#tenant-badge")
    })
    .await;
    assert_eq!(badge, "Not signed in");

    // Tenant screen: the replaced addresses are named first (issue 13, finding 3).
    click(&client, "#nav-tenant").await;
    let replaced = wait_for(&client, "the replaced sign-in address", || {
        text_at(&client, ".endpoint-override")
    })
    .await;
    assert!(
        replaced.contains("STAGEBENCH_AUTHORITY") && replaced.contains(&fake.authority_url()),
        "{replaced}"
    );
    // The code appears big, then the account once the fake approves it.
    type_into(&client, "#tenant-name", "contoso.onmicrosoft.com").await;
    type_into(&client, "#tenant-client-id", &client_id).await;
    click(&client, "#tenant-sign-in").await;
    let code = wait_for(&client, "the user code", || {
        text_matching(&client, "#tenant-user-code", |c| !c.is_empty())
    })
    .await;
    let link = text_of(&client, "#tenant-link").await.unwrap();
    assert_eq!(link, "https://microsoft.com/devicelogin");
    screenshot(&client, "tenant-code.png").await;
    let account = wait_for(&client, "the signed-in account", || {
        text_at(&client, "#tenant-account")
    })
    .await;
    assert_eq!(account, UPN);
    assert!(
        !fake.device_code_polls(&code).is_empty(),
        "the app polled for code {code}"
    );

    // The first sync runs at once: online, nothing waiting.
    wait_for(&client, "the strip to go online", || {
        attr_is(&client, "#tenant-badge", "data-online", "true")
    })
    .await;
    assert_eq!(
        text_of(&client, "#tenant-badge").await.as_deref(),
        Some("Online")
    );
    assert_eq!(
        text_of(&client, "#tenant-outbox").await.as_deref(),
        Some("Outbox 0")
    );
    let synced = wait_for(&client, "the last sync", || {
        text_matching(&client, "#tenant-last-sync", |t| t.starts_with("synced"))
    })
    .await;
    assert!(
        synced.contains("just now") || synced.ends_with("s ago"),
        "{synced}"
    );
    screenshot(&client, "tenant.png").await;

    // Profiles: all four, the expired one marked and without a QR.
    click(&client, "#nav-profiles").await;
    let cards = wait_for(&client, "four profile cards", || {
        count_of(&client, "#profile-list li.profile", 4)
    })
    .await;
    assert_eq!(cards.len(), 4);
    let card = |id: &str| format!("#profile-list li.profile[data-id='{id}']");
    let expired = card(&demo.expired_profile);
    assert_eq!(
        attr_of(&client, &expired, "data-state").await.as_deref(),
        Some("expired")
    );
    let expired_text = text_of(&client, &expired).await.unwrap();
    assert!(
        expired_text.contains("expired or revoked"),
        "{expired_text}"
    );
    assert!(
        client
            .find(Locator::Css(&format!("{expired} .profile-show-qr")))
            .await
            .is_err(),
        "no QR for an expired token"
    );
    assert!(client
        .find(Locator::Css(&format!("{expired} .profile-revoke")))
        .await
        .is_err());
    let staging = card(&demo.staging_profile);
    assert_eq!(
        attr_of(&client, &staging, "data-state").await.as_deref(),
        Some("valid")
    );
    let staging_text = text_of(&client, &staging).await.unwrap();
    assert!(
        staging_text.contains("expires in 29 d") || staging_text.contains("expires in 30 d"),
        "{staging_text}"
    );
    screenshot(&client, "profiles.png").await;

    // Show QR of the staging profile: the screenshot decodes to Intune's qrCodeContent verbatim.
    let stored = fake.profile(&demo.staging_profile).unwrap();
    let content = stored["qrCodeContent"].as_str().unwrap().to_owned();
    let token = stored["tokenValue"].as_str().unwrap().to_owned();
    click(&client, &format!("{staging} .profile-show-qr")).await;
    wait_for(&client, "the profile's QR", || {
        present(&client, "#profile-qr-canvas")
    })
    .await;
    let page = client.source().await.unwrap();
    assert!(
        !page.contains(&token),
        "the token is not in the page until revealed"
    );
    let want = [content.clone()];
    let decoded = screenshot_until(
        &client,
        "profile-qr.png",
        "the profile's QR on screen",
        |png| qr_codes_are(png, &want),
    )
    .await;
    assert_eq!(
        decoded,
        vec![content],
        "the on-screen QR is the profile's qrCodeContent"
    );
    click(&client, "#profile-reveal").await;
    let shown = wait_for(&client, "the revealed token", || {
        text_at(&client, "#profile-token-clear")
    })
    .await;
    assert_eq!(shown, token);
    click(&client, "#profile-reveal").await;
    click(&client, "#profile-qr-back").await;

    // Revoke through the dialog: the name must be typed exactly.
    click(&client, &format!("{staging} .profile-revoke")).await;
    wait_for(&client, "the revoke dialog", || {
        present(&client, "#revoke-dialog")
    })
    .await;
    type_into(&client, "#revoke-name", "Bench").await;
    let confirm = element(&client, "#revoke-confirm").await.unwrap();
    assert!(
        confirm.attr("disabled").await.unwrap().is_some(),
        "a partial name does not enable Revoke"
    );
    screenshot(&client, "profiles-revoke-dialog.png").await;
    let name = stored["displayName"].as_str().unwrap().to_owned();
    type_into(&client, "#revoke-name", &name).await;
    click(&client, "#revoke-confirm").await;
    wait_for(&client, "the staging token to show as revoked", || {
        attr_is(&client, &staging, "data-state", "expired")
    })
    .await;
    assert!(
        client.find(Locator::Id("revoke-dialog")).await.is_err(),
        "the dialog closed"
    );
    assert!(
        client
            .find(Locator::Css(&format!("{staging} .profile-show-qr")))
            .await
            .is_err(),
        "no QR after revoking"
    );
    assert!(
        fake.profile(&demo.staging_profile).unwrap()["tokenValue"].is_null(),
        "revoked in the tenant"
    );
    screenshot(&client, "profiles-revoked.png").await;
    client.close().await.unwrap();

    // Started again, the app resumes the sign-in from the store and the OS keyring.
    let (_driver, port) = start_driver(data.path(), no_adb, &env).await;
    let client = connect(port).await;
    wait_for(&client, "the resumed sign-in to go online", || {
        attr_is(&client, "#tenant-badge", "data-online", "true")
    })
    .await;
    click(&client, "#nav-tenant").await;
    let account = wait_for(&client, "the resumed account", || {
        text_at(&client, "#tenant-account")
    })
    .await;
    assert_eq!(account, UPN);
    // Signing out keeps the tenant and client id for the next sign-in.
    click(&client, "#tenant-sign-out").await;
    let badge = wait_for(&client, "the strip to say signed out", || {
        text_matching(&client, "#tenant-badge", |b| b == "Not signed in")
    })
    .await;
    assert_eq!(badge, "Not signed in");
    let form_tenant = wait_for(&client, "the sign-in form", || {
        element(&client, "#tenant-name")
    })
    .await
    .prop("value")
    .await
    .unwrap();
    assert_eq!(form_tenant.as_deref(), Some("contoso.onmicrosoft.com"));
    client.close().await.unwrap();
    fake.assert_no_violations();
}
