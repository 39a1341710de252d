//! Technician sign-in against the fake identity platform (`testing::graph`, served beside the
//! fake Graph): device code (pending, approved, declined, expired, slow_down), silent refresh
//! with rotation, revocation, a token Graph rejected, the token cache under concurrency, and
//! sign-out. Time is a manual `GraphClock` shared by the client and the fake: nothing sleeps.

mod support;

use std::time::Duration;

use stagebench_core::intune::auth::{SecretKind, SignInMode, TenantSettings};
use stagebench_core::intune::{SignInError, TokenSource};
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::secret::SecretText;
use support::auth::{bench, count, gaps, settings, SECRET, TENANT, UPN};

#[tokio::test]
async fn device_code_sign_in_waits_out_two_pending_polls_at_the_interval() {
    let b = bench().await;
    b.fake.set_poll_interval(5);
    b.fake.approve_all_as(UPN, 2);
    let s = settings(SignInMode::DeviceCode);
    let login = b.sign_in.start_device_code(&s).await.unwrap();
    let prompt = login.prompt().clone();
    assert_eq!(prompt.verification_uri, "https://microsoft.com/devicelogin");
    assert!(
        prompt.message.contains(&prompt.user_code) && prompt.message.contains("devicelogin"),
        "{}",
        prompt.message
    );
    assert_eq!(
        (prompt.interval, prompt.expires_at),
        (5, b.clock.now() + Duration::from_secs(900))
    );

    let session = login.finish().await.unwrap();
    assert_eq!(
        gaps(&b.fake.device_code_polls(&prompt.user_code)),
        [5, 5],
        "three polls, five seconds apart"
    );
    assert_eq!(b.fake.too_fast_polls(), 0);
    assert_eq!(session.account().as_deref(), Some(UPN));
    assert_eq!(session.settings().account.as_deref(), Some(UPN));
    assert!(
        b.refresh_token(&s).await.is_some(),
        "the refresh token is in the keyring"
    );

    let me = session.whoami().await.unwrap();
    assert_eq!(
        (
            me.account.as_str(),
            me.tenant.as_str(),
            me.mode.as_str(),
            me.app_only
        ),
        (UPN, TENANT, "device-code", false)
    );
    assert_eq!(me.tenant_id, Some(b.fake.tenant_id()));
    assert!(
        me.scopes
            .iter()
            .any(|s| s == "DeviceManagementManagedDevices.PrivilegedOperations.All"),
        "{:?}",
        me.scopes
    );
    assert_eq!(
        me.access_token_expires_at,
        b.clock.now() + Duration::from_secs(3600)
    );
    assert_eq!(
        b.fake.identity_requests().len(),
        4,
        "devicecode and three polls; whoami used the cached token"
    );
}

#[tokio::test]
async fn a_code_approved_in_the_browser_signs_in_on_the_first_poll() {
    let b = bench().await;
    let s = settings(SignInMode::DeviceCode);
    let login = b.sign_in.start_device_code(&s).await.unwrap();
    assert!(b.fake.approve_device_code(&login.prompt().user_code, UPN));
    let user_code = login.prompt().user_code.clone();
    let session = login.finish().await.unwrap();
    assert_eq!(b.fake.device_code_polls(&user_code).len(), 1);
    assert_eq!(session.account().as_deref(), Some(UPN));
    assert!(
        !b.fake.approve_device_code(&user_code, UPN),
        "a used code is no longer pending"
    );
}

#[tokio::test]
async fn a_declined_sign_in_is_incomplete_and_keeps_nothing() {
    let b = bench().await;
    let s = settings(SignInMode::DeviceCode);
    let login = b.sign_in.start_device_code(&s).await.unwrap();
    assert!(b.fake.decline_device_code(&login.prompt().user_code));
    let e = login.finish().await.unwrap_err();
    assert!(matches!(e, SignInError::Incomplete(_)), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("declined") && text.contains("start a new sign-in"),
        "{text}"
    );
    assert_eq!(e.remedy(), Some(Remedy::SignIn));
    assert!(b.keyring.names().is_empty());
}

#[tokio::test]
async fn an_expired_code_is_incomplete_with_the_next_step() {
    let b = bench().await;
    b.fake.set_poll_interval(5);
    b.fake.set_device_code_lifetime(Duration::from_secs(12));
    let login = b
        .sign_in
        .start_device_code(&settings(SignInMode::DeviceCode))
        .await
        .unwrap();
    let user_code = login.prompt().user_code.clone();
    let e = login.finish().await.unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, SignInError::Incomplete(_))
            && text.contains("expired")
            && text.contains("start a new sign-in"),
        "{text}"
    );
    assert_eq!(e.remedy(), Some(Remedy::SignIn));
    assert!(text.contains(&user_code), "names the code: {text}");
    assert_eq!(
        gaps(&b.fake.device_code_polls(&user_code)),
        [5, 5],
        "polled until the code ran out, no longer"
    );
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_the_interval() {
    let b = bench().await;
    b.fake.set_poll_interval(1);
    b.fake.slow_down_next(1);
    b.fake.approve_all_as(UPN, 1);
    let login = b
        .sign_in
        .start_device_code(&settings(SignInMode::DeviceCode))
        .await
        .unwrap();
    let user_code = login.prompt().user_code.clone();
    login.finish().await.unwrap();
    assert_eq!(
        gaps(&b.fake.device_code_polls(&user_code)),
        [6, 6],
        "1 s + 5 s after slow_down, kept afterwards"
    );
    assert_eq!(b.fake.too_fast_polls(), 0);
}

#[tokio::test]
async fn near_expiry_the_token_is_refreshed_silently_and_the_rotated_refresh_token_kept() {
    let b = bench().await;
    let (s, session) = b.device_code_session().await;
    let first = session.access_token().await.unwrap();
    let rt1 = b.refresh_token(&s).await.unwrap();
    b.clock.advance(Duration::from_secs(3000));
    assert_eq!(
        session.access_token().await.unwrap().expose(),
        first.expose(),
        "ten minutes left: still cached"
    );
    assert_eq!(count(&b.fake, "refresh_token"), 0);

    b.clock.advance(Duration::from_secs(360));
    let second = session.access_token().await.unwrap();
    assert_ne!(second.expose(), first.expose());
    assert_eq!(count(&b.fake, "refresh_token"), 1);
    let rt2 = b.refresh_token(&s).await.unwrap();
    assert_ne!(rt1, rt2, "the rotated refresh token replaced the old one");
    assert!(b.fake.refresh_token_active(&rt2) && !b.fake.refresh_token_active(&rt1));
    assert_eq!(session.whoami().await.unwrap().account, UPN);
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_to_sign_in_again() {
    let b = bench().await;
    let (_, session) = b.device_code_session().await;
    b.fake.revoke_refresh_tokens();
    b.clock.advance(Duration::from_secs(3600));
    let e = session.access_token().await.unwrap_err();
    match &e {
        SignInError::SignInAgain { account, reason } => {
            assert_eq!(account, UPN);
            assert!(reason.contains("invalid_grant"), "{reason}");
        }
        other => panic!("expected SignInAgain, got {other:?}"),
    }
    assert!(e.to_string().contains("sign in again"), "{e}");
    assert_eq!(
        e.remedy(),
        Some(Remedy::SignInAgain {
            account: UPN.into()
        })
    );
}

#[tokio::test]
async fn a_rejected_token_is_dropped_and_the_next_call_refreshes() {
    let b = bench().await;
    b.fake.require_issued_tokens(true);
    let (_, session) = b.device_code_session().await;
    let first = session.access_token().await.unwrap();
    assert_eq!(b.graph_status(&first).await, 200);
    assert_eq!(
        b.graph_status(&SecretText::new("made.up.token")).await,
        401,
        "only issued tokens pass"
    );

    b.fake.revoke_access_tokens();
    assert_eq!(b.graph_status(&first).await, 401);
    session.rejected(&SecretText::new("some-older-token"));
    assert_eq!(
        session.access_token().await.unwrap().expose(),
        first.expose(),
        "another token's rejection changes nothing"
    );
    session.rejected(&first);
    let second = session.access_token().await.unwrap();
    assert_ne!(second.expose(), first.expose());
    assert_eq!(count(&b.fake, "refresh_token"), 1);
    assert_eq!(b.graph_status(&second).await, 200);

    b.clock.advance(Duration::from_secs(3601));
    assert_eq!(
        b.graph_status(&second).await,
        401,
        "expired by the fake's clock"
    );
}

// One thread: all twenty tasks are polled, and wait for the renewal, before its answer is read,
// so "shared" is deterministic (on more threads a late caller may rightly try again).
#[tokio::test]
async fn twenty_concurrent_callers_share_one_refresh_and_one_failure() {
    let b = bench().await;
    let (s, _) = b.device_code_session().await;
    let resumed = b.sign_in.resume(&s).unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let s = resumed.clone();
            tokio::spawn(async move { s.access_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(call.await.unwrap().unwrap().expose().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "everyone got the same token");
    assert_eq!(count(&b.fake, "refresh_token"), 1);

    b.fake.revoke_refresh_tokens();
    let resumed = b.sign_in.resume(&resumed.settings()).unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let s = resumed.clone();
            tokio::spawn(async move { s.access_token().await })
        })
        .collect();
    for call in calls {
        assert!(matches!(
            call.await.unwrap(),
            Err(SignInError::SignInAgain { .. })
        ));
    }
    assert_eq!(
        count(&b.fake, "refresh_token"),
        2,
        "one failed refresh, shared"
    );
}

#[tokio::test]
async fn sign_out_removes_the_keyring_entries_and_the_cached_token() {
    let b = bench().await;
    let (s, session) = b.device_code_session().await;
    let app = settings(SignInMode::ClientSecret);
    b.fake.add_app(&app.client_id, SECRET);
    b.sign_in
        .sign_in_with_secret(&app, SecretText::new(SECRET))
        .await
        .unwrap();
    assert_eq!(b.keyring.names().len(), 2);

    session.sign_out().await.unwrap();
    assert_eq!(
        b.keyring.names(),
        [SecretKind::ClientSecret.name(&b.sign_in.endpoints().authority, &app)],
        "only this sign-in's entries went"
    );
    assert!(matches!(
        session.access_token().await,
        Err(SignInError::NotSignedIn)
    ));
    session.sign_out().await.unwrap();
    b.sign_in.sign_out(&app).await.unwrap();
    b.sign_in.sign_out(&app).await.unwrap();
    assert!(b.keyring.names().is_empty());

    let signed_out = TenantSettings { account: None, ..s };
    let e = b.sign_in.resume(&signed_out).unwrap_err();
    assert!(matches!(e, SignInError::NotSignedIn) && e.to_string().contains("sign in first"));
    assert_eq!(e.remedy(), Some(Remedy::SignIn));
}
