//! The Intune sync service against the fake tenant: a device-code sign-in finishes in the
//! background and the first sync round follows, another on demand; another service over the same store resumes
//! the saved sign-in; signing out drops the connection and keeps the tenant for the form. Waits
//! are on the published state, never on time.

mod support;

use stagebench_core::intune::auth::TenantStore;
use stagebench_core::intune::service::TenantService;
use stagebench_core::intune::SignInError;
use stagebench_core::store::{Store, StoreHandle};
use support::auth::{bench, client_id, TENANT, UPN};
use tokio::runtime::Handle;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_code_sign_in_finishes_in_the_background_and_a_sync_round_follows() {
    let b = bench().await;
    b.fake.approve_all_as(UPN, 0);
    let dir = tempfile::tempdir().unwrap();
    let store = StoreHandle::new(Store::open(&dir.path().join("s.sqlite3")).unwrap());
    let sign_in = b.sign_in.clone();
    let service =
        TenantService::with_sign_in(
            store.clone(),
            Handle::current(),
            move || Ok(sign_in.clone()),
        );
    let mut rx = service.subscribe();
    assert_eq!(rx.borrow().account, None, "nobody signed in yet");
    assert!(matches!(
        service.connection(),
        Err(SignInError::NotSignedIn)
    ));

    let prompt = service.sign_in_start(TENANT, &client_id()).await.unwrap();
    assert!(!prompt.user_code.is_empty());
    let state = rx
        .wait_for(|s| s.last_sync.is_some() || s.problem.is_some())
        .await
        .unwrap()
        .clone();
    assert_eq!(
        (state.account.as_deref(), state.problem, state.online),
        (Some(UPN), None, Some(true)),
        "signed in, synced"
    );
    assert_eq!(state.sign_in, None, "the code is no longer shown");
    assert!(service.connection().is_ok());
    // On demand: a round now, not at the next minute.
    let asked = b.fake.http_requests();
    service.sync_now();
    loop {
        rx.changed().await.unwrap();
        if b.fake.http_requests() > asked && !rx.borrow().syncing {
            break;
        }
    }
    assert_eq!(rx.borrow().problem, None);
    let saved = store.lock().tenant_settings().unwrap().unwrap();
    assert_eq!(saved.account.as_deref(), Some(UPN));

    let sign_in = b.sign_in.clone();
    let resumed =
        TenantService::with_sign_in(
            store.clone(),
            Handle::current(),
            move || Ok(sign_in.clone()),
        );
    assert_eq!(
        resumed.subscribe().borrow().account.as_deref(),
        Some(UPN),
        "the saved sign-in is resumed"
    );

    service.sign_out().await.unwrap();
    let state = rx.borrow().clone();
    assert_eq!(state.account, None);
    assert_eq!(
        state.tenant.as_deref(),
        Some(saved.tenant.as_str()),
        "kept for the form"
    );
    assert!(matches!(
        service.connection(),
        Err(SignInError::NotSignedIn)
    ));
    assert_eq!(
        store.lock().tenant_settings().unwrap().unwrap().account,
        None
    );
    b.fake.assert_no_violations();
}
