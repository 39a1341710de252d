//! The Graph client against the fake tenant (`testing::graph::FakeGraph`), over real HTTP:
//! profiles and tokens, exports, serial look-ups in `$batch`es, throttling, sign-in failures,
//! notes, corporate identifiers and primary users. Every test that talks to the fake ends by
//! checking that each request it sent is one the Graph beta schema allows.
//!
//! Time is virtual ([`VirtualTimer`]): the client's sleeps return at once and move both its
//! clock and the tenant's, so `Retry-After` and budgets are honoured without waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use stagebench_core::identity::WindowsTuple;
use stagebench_core::intune::graph::export::{
    KME_KEY_SPELLING, ZERO_TOUCH_DEFAULT_IS_FULLY_MANAGED,
};
use stagebench_core::intune::graph::{
    kme_custom_json, notes_request, plan_primary_user, zero_touch_dpc_extras, CorporateIdentifier,
    DirectoryUser, EnrollmentProfile, ExportError, GraphClient, GraphError, GraphRequest,
    HttpMethod, IdentifierType, IdentityPlatform, ImportOutcome, LoggedOnUser, ManagedDevice,
    PrimaryUserPlan, SerialLookup, TokenState, TokioTimer,
};
use stagebench_core::intune::profile::EnrollmentMode;
mod support;

use stagebench_core::intune::{BoxFuture, Endpoints, TokenSource};
use stagebench_core::secret::SecretText;
use stagebench_core::testing::graph::FakeGraph;
use support::graph::{client_with, fast, setup, start, static_token, tenant};
use time::OffsetDateTime;

const DAY: Duration = Duration::from_secs(86_400);

const AOSP_USERLESS: EnrollmentMode = EnrollmentMode::CorporateOwnedAospUserlessDevice;
const FULLY_MANAGED: EnrollmentMode = EnrollmentMode::CorporateOwnedFullyManaged;

/// A profile of `mode` with a token valid for `validity`, as the client reads it back.
async fn with_token(
    graph: &FakeGraph,
    client: &GraphClient,
    mode: EnrollmentMode,
    validity: Duration,
) -> EnrollmentProfile {
    let id = graph
        .add_profile(json!({"displayName": mode.label(), "enrollmentMode": mode.graph_name()}));
    client.create_token(&id, mode, validity).await.unwrap()
}

fn add_aosp_profile(graph: &FakeGraph) -> String {
    graph.add_profile(
        json!({"displayName": "RealWear", "enrollmentMode": "corporateOwnedAOSPUserlessDevice"}),
    )
}

/// Every serial found exactly one device.
fn one_device_each(found: &[SerialLookup]) -> bool {
    found
        .iter()
        .all(|l| l.devices.as_ref().is_ok_and(|d| d.len() == 1))
}

fn top_level_statuses(graph: &FakeGraph) -> Vec<u16> {
    graph
        .exchanges()
        .iter()
        .filter(|e| !e.in_batch)
        .map(|e| e.status)
        .collect()
}

#[tokio::test]
async fn profiles_list_follows_next_links_and_fetches_no_secrets() {
    let (graph, _, client) = setup().await;
    for i in 0..3 {
        graph.add_profile(
            json!({"displayName": format!("AE {i}"), "enrollmentTokenType": "deviceStaging"}),
        );
    }
    graph.add_profile(json!({"displayName": "RealWear", "enrollmentMode": "corporateOwnedAOSPUserlessDevice",
        "configureWifi": true, "wifiSsid": "Bench", "wifiPassword": "psk-secret-1", "wifiSecurityType": "wpa"}));
    graph.add_profile(json!({"displayName": "Teams", "enrollmentMode": "corporateOwnedAOSPUserAssociatedDevice", "isTeamsDeviceProfile": true}));
    graph.faults(|f| f.page_size = Some(2));

    let profiles = client.enrollment_profiles().await.unwrap();
    assert_eq!(profiles.len(), 5);
    assert_eq!(graph.http_requests(), 3, "three pages");
    let realwear = profiles
        .iter()
        .find(|p| p.display_name == "RealWear")
        .unwrap();
    assert_eq!(realwear.mode, AOSP_USERLESS);
    assert_eq!(realwear.wifi.ssid.as_deref(), Some("Bench"));
    assert!(
        realwear.wifi.password.is_none(),
        "the list never fetches Wi-Fi keys"
    );
    assert!(profiles.iter().any(|p| p.is_teams_device_profile));
    assert!(profiles
        .iter()
        .all(|p| p.token_state(start()) == TokenState::None));
    assert!(graph
        .exchanges()
        .iter()
        .all(|e| !e.url.contains("tokenValue") && !e.url.contains("wifiPassword")));
    graph.assert_no_violations();
}

#[tokio::test]
async fn the_detailed_list_reads_every_profile_for_its_token_in_one_batch() {
    let (graph, _, client) = setup().await;
    let demo = graph.seed_demo();
    let listed = client.enrollment_profiles().await.unwrap();
    assert!(
        listed
            .iter()
            .all(|p| p.usable_qr_content(start()).is_none()),
        "the list carries no secrets"
    );
    let profiles = client.enrollment_profiles_with_tokens().await.unwrap();
    assert_eq!(profiles.len(), 4);
    let by_id = |id: &str| profiles.iter().find(|p| p.id == id).unwrap();
    assert!(by_id(&demo.staging_profile).usable_token(start()).is_some());
    assert!(matches!(
        by_id(&demo.expired_profile).token_state(start()),
        TokenState::Expired { .. }
    ));
    assert_eq!(
        graph.http_requests(),
        3,
        "the list, then one $batch: {:?}",
        graph.exchanges().len()
    );
    graph.assert_no_violations();
}

#[tokio::test]
async fn token_is_created_read_back_and_revoked() {
    let (graph, _, client) = setup().await;
    let id = graph
        .add_profile(json!({"displayName": "Staging FM", "enrollmentTokenType": "deviceStaging"}));
    let before = client.enrollment_profile(&id).await.unwrap();
    assert_eq!(before.token_state(start()), TokenState::None);
    assert!(before.usable_token(start()).is_none());

    let profile = client
        .create_token(&id, before.mode, DAY * 7)
        .await
        .unwrap();
    assert_eq!(
        profile.token_state(start()),
        TokenState::Valid {
            expires_in: Some(DAY * 7)
        }
    );
    let token = profile.usable_token(start()).unwrap().expose().to_owned();
    assert_eq!(token.len(), 20);
    assert!(profile
        .usable_qr_content(start())
        .unwrap()
        .expose()
        .contains(&token));
    assert!(
        !format!("{profile:?}").contains(&token),
        "Debug redacts the token"
    );
    let calls: Vec<(String, String, u16)> = graph
        .exchanges()
        .iter()
        .map(|e| (e.method.clone(), e.url.clone(), e.status))
        .collect();
    assert_eq!(calls[1].0, "POST");
    assert!(
        calls[1].1.ends_with(&format!("{id}/createToken")) && calls[1].2 == 204,
        "{calls:?}"
    );
    assert!(
        calls[2].0 == "GET"
            && calls[2]
                .1
                .contains("$select=id,displayName,enrollmentMode,enrollmentTokenType,tokenValue"),
        "{calls:?}"
    );

    client.revoke_token(&id).await.unwrap();
    let revoked = client.enrollment_profile(&id).await.unwrap();
    assert!(
        revoked.usable_token(start()).is_none() && revoked.usable_qr_content(start()).is_none()
    );
    assert!(!matches!(
        revoked.token_state(start()),
        TokenState::Valid { .. }
    ));

    // AOSP: 90 days is fine; the plain token is never offered, only the QR content.
    let aosp = with_token(&graph, &client, AOSP_USERLESS, DAY * 90).await;
    assert!(aosp.usable_token(start()).is_none());
    assert!(aosp.usable_qr_content(start()).is_some());
    assert!(matches!(
        client.revoke_token("no-such-profile").await,
        Err(GraphError::NotFound { .. })
    ));
    graph.assert_no_violations();
}

#[tokio::test]
async fn aosp_token_over_90_days_is_refused_before_sending() {
    let (graph, _, client) = setup().await;
    let id = add_aosp_profile(&graph);
    let error = client
        .create_token(&id, AOSP_USERLESS, DAY * 91)
        .await
        .unwrap_err();
    assert!(matches!(error, GraphError::Invalid { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("at most 90 days") && text.contains("91 days asked"),
        "{text}"
    );
    assert!(client
        .create_token(&id, EnrollmentMode::CorporateOwnedDedicatedDevice, DAY * 91)
        .await
        .is_err());
    assert_eq!(graph.http_requests(), 0, "nothing sent");
    graph.assert_no_violations();
}

#[tokio::test]
async fn expired_token_is_never_handed_out() {
    let (graph, _, client) = setup().await;
    let fresh = with_token(&graph, &client, FULLY_MANAGED, Duration::from_secs(3600)).await;
    let later = start() + Duration::from_secs(7200);
    // Checked against the clock passed in: offline, the cached profile refuses too.
    assert_eq!(
        fresh.token_state(later),
        TokenState::Expired {
            ago: Duration::from_secs(3600)
        }
    );
    assert!(fresh.usable_token(later).is_none() && fresh.usable_qr_content(later).is_none());
    let error = zero_touch_dpc_extras(&fresh, later).unwrap_err();
    assert!(
        matches!(error, ExportError::NoUsableToken { .. }),
        "{error}"
    );
    assert!(kme_custom_json(&fresh, later).is_err());

    graph.clock().advance(Duration::from_secs(7200));
    let read = client.enrollment_profile(&fresh.id).await.unwrap();
    assert!(matches!(
        read.token_state(graph.clock().now()),
        TokenState::Expired { .. }
    ));
    assert!(read.usable_token(graph.clock().now()).is_none());
    graph.assert_no_violations();
}

#[tokio::test]
async fn zero_touch_and_kme_exports_are_exact() {
    let (graph, _, client) = setup().await;
    let profile = with_token(&graph, &client, FULLY_MANAGED, DAY * 30).await;
    let token = profile.usable_token(start()).unwrap().expose().to_owned();

    let zero_touch = zero_touch_dpc_extras(&profile, start()).unwrap();
    assert_eq!(
        zero_touch.json().expose(),
        format!(
            "{{\"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME\":\"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver\",\
\"android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM\":\"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg\",\
\"android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION\":\"https://play.google.com/managed/downloadManagingApp?identifier=setup\",\
\"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{{\"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN\":\"{token}\"}}}}"
        )
    );
    assert_eq!(zero_touch.warnings[0], ZERO_TOUCH_DEFAULT_IS_FULLY_MANAGED);
    assert!(zero_touch.warnings.iter().any(|w| w.contains("expires")));
    assert!(!format!("{zero_touch:?}").contains(&token));

    let kme = kme_custom_json(&profile, start()).unwrap();
    assert_eq!(
        kme.json().expose(),
        format!("{{\"com.google.android.apps.work.cloudpc.EXTRA_ENROLLMENT_TOKEN\":\"{token}\"}}")
    );
    assert_eq!(kme.warnings[0], KME_KEY_SPELLING);
    assert!(kme.warnings[1].contains("https://aka.ms/intune_kme_deviceowner"));

    // COPE needs its own zero-touch configuration; AOSP does not export at all.
    let cope = with_token(
        &graph,
        &client,
        EnrollmentMode::CorporateOwnedWorkProfile,
        DAY,
    )
    .await;
    let warnings = zero_touch_dpc_extras(&cope, start()).unwrap().warnings;
    assert!(warnings[1].contains("COPE"), "{warnings:?}");
    let aosp = with_token(&graph, &client, AOSP_USERLESS, DAY).await;
    assert!(matches!(
        kme_custom_json(&aosp, start()),
        Err(ExportError::NotAndroidEnterprise { .. })
    ));
    graph.assert_no_violations();
}

/// 45 serials: 44 of them `SER000`…, one with a quote, one shared by two tablets.
fn serials_45() -> Vec<String> {
    let mut serials: Vec<String> = (0..44).map(|i| format!("SER{i:03}")).collect();
    serials[10] = "O'NEIL 10".into();
    serials.push("1234567890ABCDEF".into());
    serials
}

#[tokio::test]
async fn forty_five_serials_take_three_batches() {
    let (graph, _, client) = setup().await;
    let serials = serials_45();
    for serial in serials.iter().filter(|s| s.as_str() != "SER007") {
        graph.add_device(
            json!({"serialNumber": serial, "deviceName": format!("Staging_{serial}_FM")}),
        );
    }
    graph.add_device(json!({"serialNumber": "1234567890ABCDEF", "deviceName": "second tablet"}));

    let found = client.devices_by_serials(&serials).await;
    assert_eq!(graph.http_requests(), 3);
    assert_eq!(graph.exchanges().iter().filter(|e| e.in_batch).count(), 45);
    assert_eq!(found.len(), 45);
    for (lookup, serial) in found.iter().zip(&serials) {
        assert_eq!(&lookup.serial, serial);
        assert!(!lookup.filter_ignored);
        let devices = lookup.devices.as_ref().unwrap();
        let expected = match serial.as_str() {
            "SER007" => 0,
            "1234567890ABCDEF" => 2,
            _ => 1,
        };
        assert_eq!(devices.len(), expected, "{serial}");
        assert!(devices.iter().all(|d| d.has_serial(serial)));
    }
    assert_eq!(
        found[10].devices.as_ref().unwrap()[0].device_name,
        "Staging_O'NEIL 10_FM"
    );
    graph.assert_no_violations();
}

#[tokio::test]
async fn ignored_filter_is_rechecked_client_side() {
    let (graph, _, client) = setup().await;
    for serial in ["A1", "A2", "B1"] {
        graph.add_device(json!({"serialNumber": serial}));
    }
    graph.faults(|f| f.ignore_device_filter = true);
    let asked: Vec<String> = ["A1", "b1", "ZZ", " ", "a1"].map(String::from).to_vec();
    let found = client.devices_by_serials(&asked).await;
    assert_eq!(
        graph.http_requests(),
        1,
        "A1 asked once; the empty serial not at all"
    );
    let serials = |i: usize| -> Vec<String> {
        found[i]
            .devices
            .as_ref()
            .unwrap()
            .iter()
            .map(|d| d.serial_number.clone())
            .collect()
    };
    assert_eq!(serials(0), ["A1"]);
    assert_eq!(serials(1), ["B1"]);
    assert!(serials(2).is_empty());
    assert_eq!(serials(4), ["A1"]);
    assert!(found
        .iter()
        .filter(|l| !l.serial.trim().is_empty())
        .all(|l| l.filter_ignored));
    assert!(matches!(found[3].devices, Err(GraphError::Invalid { .. })));

    // Paged: the next links of an ignored filter are not followed (never page the tenant).
    graph.faults(|f| f.page_size = Some(2));
    let before = graph.http_requests();
    let found = client.devices_by_serials(&["B1".to_string()]).await;
    assert_eq!(graph.http_requests() - before, 1);
    assert!(found[0].filter_ignored && found[0].devices.as_ref().unwrap().is_empty());

    // Honoured again: nothing flagged.
    graph.faults(|f| f.ignore_device_filter = false);
    let found = client.devices_by_serials(&["B1".to_string()]).await;
    assert!(!found[0].filter_ignored && found[0].devices.as_ref().unwrap().len() == 1);
    graph.assert_no_violations();
}

#[tokio::test]
async fn throttling_storm_completes_with_every_result() {
    let (graph, timer, client) = setup().await;
    let serials: Vec<String> = (0..60).map(|i| format!("STORM{i:02}")).collect();
    for serial in &serials {
        graph.add_device(json!({"serialNumber": serial}));
    }
    let bound = 3 * fast().max_attempts as usize;

    // Every 2nd request 429 with Retry-After: 1 s.
    graph.faults(|f| {
        f.throttle_every = Some(2);
        f.retry_after = Some(1);
    });
    let found = client.devices_by_serials(&serials).await;
    assert!(one_device_each(&found), "{found:?}");
    assert!(graph.throttled() > 0);
    assert!(
        graph.http_requests() <= bound,
        "{} requests",
        graph.http_requests()
    );
    assert!(
        !timer.sleeps().is_empty() && timer.sleeps().iter().all(|d| *d >= Duration::from_secs(1)),
        "Retry-After honoured: {:?}",
        timer.sleeps()
    );

    // Without Retry-After: backoff within the policy's cap.
    graph.faults(|f| f.retry_after = None);
    let (requests, slept) = (graph.http_requests(), timer.sleeps().len());
    let found = client.devices_by_serials(&serials).await;
    assert!(one_device_each(&found), "{found:?}");
    assert!(graph.http_requests() - requests <= bound);
    assert!(timer.sleeps()[slept..]
        .iter()
        .all(|d| *d <= fast().max_delay));

    // Single requests are retried too.
    let profiles = client.enrollment_profiles().await;
    assert!(profiles.is_ok(), "{profiles:?}");
    graph.assert_no_violations();
}

#[tokio::test]
async fn budgets_pace_writes_and_reads_to_completion() {
    let (graph, timer, client) = setup().await;
    let device = graph.add_device(json!({"serialNumber": "BUDGET1"}));
    graph.faults(|f| f.budgets = true);
    // 210 writes: 200 fit in Graph's 20 s window for managed devices; the client waits for the rest.
    for i in 0..210 {
        client
            .set_notes(&device, &format!("note {i}"))
            .await
            .unwrap();
    }
    assert_eq!(graph.device(&device).unwrap()["notes"], "note 209");
    assert!(graph.throttled() <= 1, "{} throttled", graph.throttled());
    assert!(graph.http_requests() <= 212);
    assert!(
        timer.total() >= Duration::from_secs(1),
        "waited on the budget: {:?}",
        timer.total()
    );
    let ids = vec![device.clone(); 45];
    assert!(client
        .devices_by_ids(&ids)
        .await
        .iter()
        .all(|d| matches!(d, Ok(Some(_)))));
    graph.assert_no_violations();
}

#[tokio::test]
async fn unavailable_then_success_on_the_real_clock() {
    let graph = FakeGraph::start().await.unwrap();
    let client = client_with(&graph, Arc::new(TokioTimer), static_token());
    graph.add_profile(json!({"displayName": "AE"}));
    graph.faults(|f| {
        f.unavailable_next = 2;
        f.latency = Duration::from_millis(5);
    });
    assert_eq!(client.enrollment_profiles().await.unwrap().len(), 1);
    assert_eq!(top_level_statuses(&graph), [503, 503, 200]);

    // Inside a batch: only the failed inner request is sent again.
    let a = graph.add_device(json!({"serialNumber": "U1"}));
    let b = graph.add_device(json!({"serialNumber": "U2"}));
    graph.faults(|f| f.unavailable_next = 1);
    let devices = client.devices_by_ids(&[a, b]).await;
    assert!(
        devices.iter().all(|d| matches!(d, Ok(Some(_)))),
        "{devices:?}"
    );
    let inner: Vec<u16> = graph
        .exchanges()
        .iter()
        .filter(|e| e.in_batch)
        .map(|e| e.status)
        .collect();
    assert_eq!(inner, [503, 200, 200]);
    graph.assert_no_violations();
}

#[tokio::test]
async fn unreachable_graph_is_a_network_error() {
    let (graph, timer) = tenant().await;
    let endpoints = Endpoints {
        authority: "http://127.0.0.1:9".into(),
        graph: "http://127.0.0.1:9/beta".into(),
    };
    let client = GraphClient::new(&endpoints, static_token())
        .unwrap()
        .with_retry_policy(fast())
        .with_timer(timer.clone());
    let error = client.enrollment_profiles().await.unwrap_err();
    assert!(
        matches!(error, GraphError::Network { attempts: 10, .. }),
        "{error:?}"
    );
    assert!(
        error.retry_later() && error.to_string().contains("network"),
        "{error}"
    );
    assert_eq!(timer.sleeps().len(), 9);
    graph.assert_no_violations();
}

/// Hands out `fresh-1`, then a `stale` token (expired meanwhile) until Graph rejects it, then
/// `fresh-2`.
#[derive(Default)]
struct ExpiringToken {
    calls: AtomicUsize,
    rejected: Mutex<Vec<String>>,
}

impl TokenSource for ExpiringToken {
    fn access_token(
        &self,
    ) -> BoxFuture<'_, Result<SecretText, stagebench_core::intune::SignInError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let token = if self.rejected.lock().unwrap().iter().any(|t| t == "stale") {
            "fresh-2"
        } else if n == 0 {
            "fresh-1"
        } else {
            "stale"
        };
        Box::pin(async move { Ok(SecretText::new(token)) })
    }
    fn rejected(&self, token: &SecretText) {
        self.rejected
            .lock()
            .unwrap()
            .push(token.expose().to_owned());
    }
}

#[tokio::test]
async fn a_401_mid_batch_is_retried_once_with_a_fresh_token() {
    let (graph, timer) = tenant().await;
    let tokens = Arc::new(ExpiringToken::default());
    let client = client_with(&graph, timer, tokens.clone());
    let serials = serials_45();
    for serial in &serials {
        graph.add_device(json!({"serialNumber": serial}));
    }
    graph.faults(|f| f.rejected_tokens = vec!["stale".into()]);
    let found = client.devices_by_serials(&serials).await;
    assert!(one_device_each(&found), "{found:?}");
    // The two later batches go out together with the stale token: each is refused once, the
    // token is dropped, and each is resent with the fresh one.
    let rejected = tokens.rejected.lock().unwrap().clone();
    assert!(
        !rejected.is_empty() && rejected.iter().all(|t| t == "stale"),
        "{rejected:?}"
    );
    let statuses = top_level_statuses(&graph);
    assert_eq!(statuses[0], 200);
    assert_eq!(
        statuses.iter().filter(|&&s| s == 401).count(),
        rejected.len(),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        3,
        "{statuses:?}"
    );
    graph.assert_no_violations();
}

#[tokio::test]
async fn a_persistent_401_surfaces_as_sign_in_again() {
    let (graph, timer) = tenant().await;
    let tokens = Arc::new(ExpiringToken::default());
    let client = client_with(&graph, timer, tokens.clone());
    graph.faults(|f| f.reject_auth = true);
    let found = client.devices_by_serials(&serials_45()).await;
    assert!(found
        .iter()
        .all(|l| l.devices.as_ref().is_err_and(GraphError::needs_sign_in)));
    assert_eq!(
        tokens.rejected.lock().unwrap().len(),
        2,
        "the first token and the fresh one"
    );
    assert_eq!(graph.http_requests(), 2, "later batches are not sent");
    let error = client.enrollment_profile("p").await.unwrap_err();
    assert!(
        error.needs_sign_in() && error.to_string().contains("sign in again"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("fresh-") && !error.to_string().contains("stale"),
        "no token in {error}"
    );
    graph.assert_no_violations();
}

#[tokio::test]
async fn notes_land_and_the_outbox_request_is_the_same_patch() {
    let (graph, _, client) = setup().await;
    let device = graph.add_device(json!({"serialNumber": "N1"}));
    client
        .set_notes(&device, "StageBench: stage 2 done")
        .await
        .unwrap();
    assert_eq!(
        graph.device(&device).unwrap()["notes"],
        "StageBench: stage 2 done"
    );

    let queued = notes_request(&device, "StageBench: label printed");
    let payload = serde_json::to_value(&queued).unwrap();
    assert_eq!(payload["method"], "PATCH");
    assert_eq!(
        payload["url"],
        format!("/deviceManagement/managedDevices/{device}")
    );
    assert_eq!(
        payload["body"],
        json!({"notes": "StageBench: label printed"})
    );
    // Drained later through a $batch, with the item's operation id.
    let mut drained: GraphRequest = serde_json::from_value(payload).unwrap();
    drained.client_request_id = Some("2f1c7f0e-8d5b-4b4e-9c1a-0d3e5a6b7c8d".into());
    let results = client.batch(&[drained]).await;
    assert_eq!(results[0].as_ref().unwrap().status, 204);

    let read = client
        .devices_by_ids(&[device.clone(), "no-such-device".into()])
        .await;
    let first = read[0].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(first.notes.as_deref(), Some("StageBench: label printed"));
    assert!(matches!(read[1], Ok(None)));
    assert_eq!(client.device(&device).await.unwrap().unwrap().id, device);
    graph.assert_no_violations();
}

fn identifier(kind: IdentifierType, id: &str, description: Option<String>) -> CorporateIdentifier {
    CorporateIdentifier {
        kind,
        identifier: id.into(),
        description,
        platform: IdentityPlatform::Android,
    }
}

#[tokio::test]
async fn identities_are_checked_split_and_imported() {
    let (graph, _, client) = setup().await;
    use IdentifierType::{Imei, SerialNumber};
    let items = vec![
        identifier(SerialNumber, "R58N0001", Some("Bench 3".into())),
        identifier(SerialNumber, "R58N.0002", None),
        identifier(Imei, "490154203237519", None),
        identifier(Imei, "490154203237518", None),
        identifier(SerialNumber, "R58N0003", Some("x".repeat(129))),
        identifier(SerialNumber, "r58n0001", None),
    ];
    let results = client.import_identities(&items, false).await;
    let outcome = |i: usize| &results[i].outcome;
    assert!(matches!(outcome(0), ImportOutcome::Imported));
    assert!(matches!(outcome(1), ImportOutcome::Invalid(r) if r.contains("dot")));
    assert!(matches!(outcome(2), ImportOutcome::Invalid(r) if r.contains("Luhn")));
    assert!(matches!(outcome(3), ImportOutcome::Imported));
    assert!(matches!(outcome(4), ImportOutcome::Invalid(r) if r.contains("128")));
    assert!(matches!(outcome(5), ImportOutcome::Invalid(r) if r.contains("duplicate")));
    assert_eq!(graph.http_requests(), 2, "one request per identifier type");
    assert_eq!(graph.imported_identities().len(), 2);

    // Already there, not overwritten: kept.
    let again = client.import_identities(&items[..1], false).await;
    assert!(matches!(again[0].outcome, ImportOutcome::Kept));

    // 5,001 serials: two requests.
    let many: Vec<CorporateIdentifier> = (0..5001)
        .map(|i| identifier(SerialNumber, &format!("BULK{i:05}"), None))
        .collect();
    let before = graph.http_requests();
    let results = client.import_identities(&many, true).await;
    assert_eq!(graph.http_requests() - before, 2);
    assert!(results
        .iter()
        .all(|r| matches!(r.outcome, ImportOutcome::Imported)));
    assert_eq!(graph.imported_identities().len(), 2 + 5001);
    graph.assert_no_violations();
}

/// Windows corporate identifiers are manufacturer, model and serial (Microsoft Learn, *Identify
/// devices as corporate-owned*, ms.date 2025-04-11): the client sends that tuple, and the fake
/// refuses what Intune would refuse even when the request is well-formed for the schema (a
/// serial alone or an IMEI for Windows, the tuple for Android, a tuple of two parts).
#[tokio::test]
async fn windows_identifiers_are_the_tuple_and_the_fake_refuses_the_rest() {
    let (graph, _, client) = setup().await;
    let tuple = CorporateIdentifier::windows(
        &WindowsTuple::new("Contoso", "Laptop 7", "WIN-SERIAL-01").unwrap(),
    );
    let results = client.import_identities(&[tuple], false).await;
    assert!(
        matches!(results[0].outcome, ImportOutcome::Imported),
        "{:?}",
        results[0].outcome
    );
    let stored = graph.imported_identities();
    assert_eq!(
        (
            stored[0]["importedDeviceIdentityType"].as_str(),
            stored[0]["importedDeviceIdentifier"].as_str(),
            stored[0]["platform"].as_str()
        ),
        (
            Some("manufacturerModelSerial"),
            Some("Contoso,Laptop 7,WIN-SERIAL-01"),
            Some("windows")
        )
    );

    // Sent as they are, past the client's own check: the fake answers as Intune would.
    let raw = |kind: &str, id: &str, platform: &str| {
        GraphRequest::new(
            HttpMethod::Post,
            "/deviceManagement/importedDeviceIdentities/importDeviceIdentityList",
            "importing one identifier",
        )
        .with_body(json!({
            "importedDeviceIdentities": [{"@odata.type": "#microsoft.graph.importedDeviceIdentity",
                "importedDeviceIdentifier": id, "importedDeviceIdentityType": kind, "platform": platform}],
            "overwriteImportedDeviceIdentities": false,
        }))
    };
    for (kind, id, platform) in [
        ("serialNumber", "WIN-SERIAL-02", "windows"),
        ("imei", "490154203237518", "windows"),
        (
            "manufacturerModelSerial",
            "Contoso,Laptop 7,R58N0001",
            "android",
        ),
        (
            "manufacturerModelSerial",
            "Contoso,WIN-SERIAL-03",
            "windows",
        ),
    ] {
        let answer = client.send(&raw(kind, id, platform)).await;
        assert!(
            matches!(answer, Err(GraphError::Refused { status: 400, .. })),
            "{kind} {id} {platform}: {answer:?}"
        );
    }
    assert_eq!(
        graph.imported_identities().len(),
        1,
        "nothing refused was kept"
    );
    let android = client
        .send(&raw("serialNumber", "R58N0001", "android"))
        .await
        .unwrap();
    assert_eq!(android.status, 200);
    graph.assert_no_violations();
}

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

fn logon(user: &str, when: &str) -> LoggedOnUser {
    LoggedOnUser {
        user_id: user.into(),
        last_logon: Some(at(when)),
    }
}

fn user(id: &str, upn: &str) -> DirectoryUser {
    DirectoryUser {
        id: id.into(),
        user_principal_name: Some(upn.into()),
        display_name: None,
    }
}

#[test]
fn primary_user_planner_table() {
    let dem = user("u-dem", "DEM@Contoso.com");
    let ana = user("u-ana", "ana@contoso.com");
    let bob = user("u-bob", "bob@contoso.com");
    let device = |upn: &str, id: &str, logons: Vec<LoggedOnUser>| ManagedDevice {
        id: "d1".into(),
        user_principal_name: Some(upn.into()).filter(|u: &String| !u.is_empty()),
        user_id: Some(id.into()).filter(|u: &String| !u.is_empty()),
        users_logged_on: logons,
        ..ManagedDevice::default()
    };
    let dem_only = device(
        "dem@contoso.com",
        "u-dem",
        vec![logon("u-dem", "2027-01-01T08:00:00Z")],
    );
    let mixed = vec![
        logon("u-dem", "2027-01-03T08:00:00Z"),
        logon("u-ana", "2027-01-01T09:00:00Z"),
        logon("u-bob", "2027-01-02T09:00:00Z"),
    ];
    let held_by_dem = device("DEM@CONTOSO.COM", "u-dem", mixed.clone());
    let cases: Vec<(&str, ManagedDevice, Option<&DirectoryUser>, &str, &str)> = vec![
        (
            "DEM only",
            dem_only.clone(),
            Some(&dem),
            "dem@contoso.com",
            "nothing",
        ),
        (
            "latest non-DEM wins",
            held_by_dem.clone(),
            Some(&dem),
            "dem@contoso.com",
            "change u-bob",
        ),
        (
            "case-insensitive UPN",
            held_by_dem.clone(),
            Some(&dem),
            "Dem@CONTOSO.com",
            "change u-bob",
        ),
        (
            "no primary yet, DEM-enrolled",
            held_by_dem.clone(),
            None,
            "dem@contoso.com",
            "change u-bob",
        ),
        (
            "already primary",
            device("bob@contoso.com", "u-bob", mixed.clone()),
            Some(&bob),
            "dem@contoso.com",
            "keep u-bob",
        ),
        (
            "someone else's device",
            device("ana@contoso.com", "u-ana", mixed.clone()),
            Some(&ana),
            "dem@contoso.com",
            "keep u-ana",
        ),
        (
            "not DEM-enrolled, no primary",
            device("", "", mixed),
            None,
            "dem@contoso.com",
            "nothing",
        ),
        (
            "nobody signed in",
            device("dem@contoso.com", "u-dem", vec![]),
            Some(&dem),
            "dem@contoso.com",
            "nothing",
        ),
    ];
    for (name, device, primary, dem_upn, expected) in cases {
        let plan = plan_primary_user(&device, primary, dem_upn);
        let got = match &plan {
            PrimaryUserPlan::NothingToDo { .. } => "nothing".to_owned(),
            PrimaryUserPlan::Keep { user_id, .. } => format!("keep {user_id}"),
            PrimaryUserPlan::Change { to, .. } => format!("change {to}"),
        };
        assert_eq!(got, expected, "{name}: {plan}");
    }
    let PrimaryUserPlan::Change {
        from,
        last_logon,
        reason,
        ..
    } = plan_primary_user(&held_by_dem, Some(&dem), "dem@contoso.com")
    else {
        panic!()
    };
    assert_eq!(
        (from.as_deref(), last_logon),
        (Some("u-dem"), Some(at("2027-01-02T09:00:00Z")))
    );
    assert!(reason.contains("2027-01-02T09:00:00Z"), "{reason}");
    assert!(plan_primary_user(&dem_only, Some(&dem), "dem@contoso.com")
        .to_string()
        .contains("only the DEM account"));
}

#[tokio::test]
async fn primary_user_is_reassigned_through_the_fake_after_a_dry_run() {
    let (graph, _, client) = setup().await;
    let dem = graph
        .add_user(json!({"userPrincipalName": "dem@contoso.com", "displayName": "Staging DEM"}));
    let ana = graph.add_user(json!({"userPrincipalName": "ana@contoso.com", "displayName": "Ana"}));
    let device = graph.add_device(json!({"serialNumber": "WIN-001", "operatingSystem": "Windows",
        "usersLoggedOn": [{"userId": dem, "lastLogOnDateTime": "2027-01-01T08:00:00Z"}, {"userId": ana, "lastLogOnDateTime": "2027-01-02T09:00:00Z"}]}));
    client.set_primary_user(&device, &dem).await.unwrap();
    assert_eq!(graph.primary_user(&device).as_deref(), Some(dem.as_str()));
    assert_eq!(client.users_logged_on(&device).await.unwrap().len(), 2);
    assert_eq!(client.primary_user(&device).await.unwrap().unwrap().id, dem);

    // A dry run plans the change and leaves the DEM; the real run makes Ana primary.
    for (dem_upn, dry_run, primary_after) in [
        ("DEM@contoso.com", true, &dem),
        ("dem@contoso.com", false, &ana),
    ] {
        let plan = client
            .reassign_primary_user(&device, dem_upn, dry_run)
            .await
            .unwrap();
        assert!(
            matches!(&plan, PrimaryUserPlan::Change { to, .. } if *to == ana),
            "{plan}"
        );
        assert_eq!(
            graph.primary_user(&device).as_deref(),
            Some(primary_after.as_str()),
            "dry run: {dry_run}"
        );
    }
    let again = client
        .reassign_primary_user(&device, "dem@contoso.com", false)
        .await
        .unwrap();
    assert!(
        matches!(&again, PrimaryUserPlan::Keep { user_id, .. } if *user_id == ana),
        "idempotent: {again}"
    );
    let set: Vec<Value> = graph
        .exchanges()
        .iter()
        .filter(|e| e.method == "POST")
        .map(|e| json!(e.url))
        .collect();
    assert_eq!(set.len(), 2, "{set:?}");
    graph.assert_no_violations();
}
