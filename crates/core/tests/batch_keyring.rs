//! A batch's QR payload (token and Wi-Fi key) leaves the keyring when its batch closes, and the
//! payloads kept from the bench's own tenant leave when the bench signs out (issue 13, finding
//! 9); a payload from a bench pack stays until its batch closes.

use stagebench_core::batch::exchange::{close_batch, forget_tenant_qrs, keep_qr, qr_secret_name};
use stagebench_core::batch::ops::create_batch;
use stagebench_core::batch::{BatchOrigin, BatchSpec, BatchStore, ProfileFacts};
use stagebench_core::intune::auth::{MemoryKeyring, SecretStore};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::Flow;
use stagebench_core::store::{Store, StoreHandle};

fn spec(name: &str) -> BatchSpec {
    BatchSpec {
        name: name.into(),
        profile: ProfileFacts {
            profile_id: "p1".into(),
            profile_name: "Warehouse staging".into(),
            flow: Flow::StagingToken,
            enrollment_mode: "corporateOwnedDedicatedDevice".into(),
            token_expires: None,
            wifi_ssid: None,
            carries_wifi_credentials: true,
            dem_account: None,
        },
        vendor: "Acme".into(),
        due: None,
        expected_count: Some(3),
        expected_serials: Vec::new(),
    }
}

#[tokio::test]
async fn qr_payloads_leave_the_keyring_when_their_batch_closes_or_the_bench_signs_out() {
    let mut store = Store::open_in_memory().unwrap();
    let keyring = MemoryKeyring::new();
    let payload = SecretText::new(r#"{"token":"ZXNF-secret","wifi":"hunter2"}"#);
    let wave1 = create_batch(&mut store, spec("Wave 1"), "admin").unwrap();
    let wave2 = create_batch(&mut store, spec("Wave 2"), "admin").unwrap();
    let mut packed = create_batch(&mut store, spec("Vendor wave"), "admin").unwrap();
    packed.id = stagebench_core::ids::BatchId::random();
    packed.origin = BatchOrigin::Pack {
        pack_id: "0123".into(),
        created_by: "admin@contoso.com".into(),
    };
    store.create_batch(&packed).unwrap();
    for b in [&wave1, &wave2, &packed] {
        keep_qr(&keyring, &b.id, &payload).await.unwrap();
    }
    let store = StoreHandle::new(store);

    let closed = close_batch(&store, &keyring, wave1.id.as_str())
        .await
        .unwrap();
    assert_eq!(closed, wave1.id);
    assert!(store
        .lock()
        .find_batch(wave1.id.as_str())
        .unwrap()
        .closed_at
        .is_some());
    assert!(
        keyring
            .get(&qr_secret_name(&wave1.id))
            .await
            .unwrap()
            .is_none(),
        "a closed batch's QR payload is gone"
    );
    assert!(keyring
        .get(&qr_secret_name(&wave2.id))
        .await
        .unwrap()
        .is_some());

    assert_eq!(forget_tenant_qrs(&store, &keyring).await.unwrap(), 1);
    assert_eq!(
        keyring.names(),
        [qr_secret_name(&packed.id)],
        "only the bench pack's payload stays, until its batch closes"
    );
    close_batch(&store, &keyring, packed.id.as_str())
        .await
        .unwrap();
    assert!(keyring.names().is_empty());
}
