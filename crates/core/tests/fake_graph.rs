//! The fake Graph server over real HTTP (reqwest): tokens, batches, schema violations, faults,
//! paging and the throttle budgets.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use stagebench_core::testing::graph::{FakeGraph, GraphClock};
use time::OffsetDateTime;

const PROFILES: &str = "/deviceManagement/androidDeviceOwnerEnrollmentProfiles";
const DEVICES: &str = "/deviceManagement/managedDevices";

struct Api {
    graph: FakeGraph,
    http: Client,
}

impl Api {
    async fn new() -> Api {
        Api::with(FakeGraph::start().await.unwrap())
    }

    fn with(graph: FakeGraph) -> Api {
        Api {
            graph,
            http: stagebench_core::intune::http_client().unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.graph.base_url())
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            self.url(path)
        };
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .bearer_auth("test-token");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, headers, value)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, _, v) = self.send("GET", path, None).await;
        (s, v)
    }
}

#[tokio::test]
async fn create_token_then_get_shows_it_and_revoke_clears_it() {
    let api = Api::new().await;
    let ae = api.graph.add_profile(json!({"displayName": "Staging AE", "enrollmentMode": "corporateOwnedFullyManaged", "enrollmentTokenType": "deviceStaging"}));
    let aosp = api.graph.add_profile(
        json!({"displayName": "AOSP", "enrollmentMode": "corporateOwnedAOSPUserlessDevice"}),
    );

    let (status, _, body) = api
        .send(
            "POST",
            &format!("{PROFILES}/{ae}/createToken"),
            Some(json!({"tokenValidityInSeconds": 7200})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, profile) = api.get(&format!("{PROFILES}/{ae}?$select=id,tokenValue,tokenExpirationDateTime,qrCodeContent,enrollmentMode")).await;
    assert_eq!(status, StatusCode::OK);
    let token = profile["tokenValue"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 20);
    let qr: Value = serde_json::from_str(profile["qrCodeContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        qr["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
            ["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
        json!(token)
    );
    assert_eq!(
        qr["android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME"],
        json!("com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver")
    );
    let expiry = OffsetDateTime::parse(
        profile["tokenExpirationDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expiry - OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(119) && left <= time::Duration::minutes(120),
        "{left}"
    );
    assert_eq!(
        profile.as_object().unwrap().len(),
        5,
        "only the selected properties: {profile}"
    );

    // Lists leave tokens out.
    let (_, list) = api.get(PROFILES).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 2);
    assert!(list["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["tokenValue"].is_null()));

    // AOSP: at most 90 days, and an opaque payload with the token.
    let (status, _, _) = api
        .send(
            "POST",
            &format!("{PROFILES}/{aosp}/createToken"),
            Some(json!({"tokenValidityInSeconds": 91 * 86400})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = api
        .send(
            "POST",
            &format!("{PROFILES}/{aosp}/microsoft.graph.createToken"),
            Some(json!({"tokenValidityInSeconds": 90 * 86400})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, aosp_profile) = api.get(&format!("{PROFILES}/{aosp}")).await;
    let aosp_token = aosp_profile["tokenValue"].as_str().unwrap();
    assert!(aosp_profile["qrCodeContent"]
        .as_str()
        .unwrap()
        .contains(aosp_token));

    let (status, _, _) = api
        .send("POST", &format!("{PROFILES}/{ae}/revokeToken"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, revoked) = api.get(&format!("{PROFILES}/{ae}")).await;
    assert!(
        revoked["tokenValue"].is_null() && revoked["qrCodeContent"].is_null(),
        "{revoked}"
    );

    let (status, _, _) = api
        .send("POST", &format!("{PROFILES}/nope/revokeToken"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    api.graph.assert_no_violations();
}

fn batch_of(n: usize, device: &str) -> Value {
    let requests: Vec<Value> = (1..=n)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("{DEVICES}/{device}?$select=id,notes")}))
        .collect();
    json!({"requests": requests})
}

#[tokio::test]
async fn batch_of_20_runs_each_request_and_21_is_refused() {
    let api = Api::new().await;
    let device = api
        .graph
        .add_device(json!({"serialNumber": "R58N0001", "notes": "hello"}));
    let (status, _, body) = api
        .send("POST", "/$batch", Some(batch_of(20, &device)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let responses = body["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 20);
    assert!(responses
        .iter()
        .all(|r| r["status"] == 200 && r["body"]["notes"] == "hello"));
    api.graph.assert_no_violations();

    let (status, _, body) = api
        .send("POST", "/$batch", Some(batch_of(21, &device)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("20"),
        "{body}"
    );
    assert_eq!(api.graph.violations().len(), 1);

    // Ids must be unique (case-insensitively).
    let duplicate = json!({"requests": [
        {"id": "a", "method": "GET", "url": format!("{DEVICES}/{device}")},
        {"id": "A", "method": "GET", "url": format!("{DEVICES}/{device}")}
    ]});
    let (status, _, _) = api.send("POST", "/$batch", Some(duplicate)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A bad inner request fails alone (400 inside, recorded); the rest run; writes apply.
    let mixed = json!({"requests": [
        {"id": "1", "method": "PATCH", "url": format!("{DEVICES}/{device}"), "headers": {"Content-Type": "application/json"}, "body": {"notes": "stage 2"}},
        {"id": "2", "method": "PATCH", "url": format!("{DEVICES}/{device}"), "headers": {"Content-Type": "application/json"}, "body": {"note": "typo"}},
        {"id": "3", "method": "GET", "url": format!("{DEVICES}/{device}?$select=notes"), "dependsOn": ["1"]}
    ]});
    let (status, _, body) = api.send("POST", "/$batch", Some(mixed)).await;
    assert_eq!(status, StatusCode::OK);
    let by_id = |id: &str| {
        body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("1")["status"], 204);
    assert_eq!(by_id("2")["status"], 400);
    assert_eq!(by_id("3")["body"]["notes"], "stage 2");
    let violations = api.graph.violations();
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(violations[2].contains("`note`"), "{violations:?}");
}

#[tokio::test]
async fn schema_violations_answer_400_and_are_recorded() {
    let api = Api::new().await;
    let device = api.graph.add_device(json!({"serialNumber": "R58N0001"}));
    let (status, _, body) = api
        .send(
            "PATCH",
            &format!("{DEVICES}/{device}"),
            Some(json!({"notes": "ok", "stage": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`stage`"),
        "{body}"
    );
    let (status, _) = api
        .get(&format!(
            "{DEVICES}?$filter=enrollmentProfileName%20eq%20'x'"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = api
        .send("PUT", &format!("{DEVICES}/{device}"), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let violations = api.graph.violations();
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(violations[1].contains("enrollmentProfileName"));
    assert!(violations[2].contains("PUT"));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        api.graph.assert_no_violations()
    }));
    assert!(result.is_err());
    // The device did not change.
    assert!(api.graph.device(&device).unwrap()["notes"].is_null());
}

#[tokio::test]
async fn missing_or_rejected_bearer_token_is_401() {
    let api = Api::new().await;
    let response = api.http.get(api.url(PROFILES)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    api.graph.faults(|f| f.reject_auth = true);
    let (status, _) = api.get(PROFILES).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.graph.faults(|f| f.reject_auth = false);
    let (status, _) = api.get(PROFILES).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn injected_429_with_and_without_retry_after_and_503() {
    let api = Api::new().await;
    api.graph.faults(|f| {
        f.throttle_next = 2;
        f.retry_after = Some(3);
    });
    for _ in 0..2 {
        let (status, headers, _) = api.send("GET", PROFILES, None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers["retry-after"], "3");
    }
    assert_eq!(api.get(PROFILES).await.0, StatusCode::OK);

    api.graph.faults(|f| {
        f.throttle_next = 1;
        f.retry_after = None;
    });
    let (status, headers, _) = api.send("GET", PROFILES, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.get("retry-after").is_none());

    api.graph.faults(|f| f.unavailable_next = 1);
    assert_eq!(api.get(PROFILES).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.get(PROFILES).await.0, StatusCode::OK);

    // Every 3rd request, counted inside batches too.
    let device = api.graph.add_device(json!({"serialNumber": "S1"}));
    api.graph.faults(|f| f.throttle_every = Some(3));
    let (_, _, body) = api
        .send("POST", "/$batch", Some(batch_of(6, &device)))
        .await;
    let throttled = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == 429)
        .count();
    assert_eq!(throttled, 2, "{body}");
    assert_eq!(api.graph.throttled(), 2 + 1 + 2);
    api.graph.assert_no_violations();
}

#[tokio::test]
async fn latency_is_applied() {
    let api = Api::new().await;
    api.graph.faults(|f| f.latency = Duration::from_millis(150));
    let start = std::time::Instant::now();
    assert_eq!(api.get(PROFILES).await.0, StatusCode::OK);
    assert!(start.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn lists_page_with_next_link_and_filter_by_serial() {
    let api = Api::new().await;
    for i in 0..7 {
        api.graph.add_device(json!({"serialNumber": format!("SER{i}"), "deviceName": format!("Staging_SER{i}_FM_2026-11-22")}));
    }
    api.graph.faults(|f| f.page_size = Some(3));
    let mut url = format!("{DEVICES}?$select=id,serialNumber");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, page) = api.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for d in page["value"].as_array().unwrap() {
            seen.push(d["serialNumber"].as_str().unwrap().to_string());
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);

    let (_, found) = api
        .get(&format!("{DEVICES}?$filter=serialNumber%20eq%20'SER4'"))
        .await;
    let found = found["value"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["serialNumber"], "SER4");
    assert!(found[0]["notes"].is_null(), "lists return notes as null");

    // A filter Graph allows but the fake does not evaluate is ignored, as Graph sometimes does.
    api.graph.faults(|f| f.page_size = None);
    let (_, all) = api
        .get(&format!("{DEVICES}?$filter=contains(deviceName,'SER4')"))
        .await;
    assert_eq!(all["value"].as_array().unwrap().len(), 7);
    api.graph.assert_no_violations();
}

#[tokio::test]
async fn notes_and_primary_user() {
    let api = Api::new().await;
    let device = api.graph.add_device(json!({"serialNumber": "S1"}));
    let user = api
        .graph
        .add_user(json!({"userPrincipalName": "ana@contoso.example", "displayName": "Ana"}));
    let (status, _, _) = api
        .send(
            "PATCH",
            &format!("{DEVICES}/{device}"),
            Some(json!({"notes": "StageBench: stage 2"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, d) = api.get(&format!("{DEVICES}/{device}?$select=notes")).await;
    assert_eq!(d, json!({"notes": "StageBench: stage 2"}));

    let (status, _, _) = api
        .send(
            "POST",
            &format!("{DEVICES}/{device}/users/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/beta/users/{user}")})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, users) = api.get(&format!("{DEVICES}/{device}/users")).await;
    assert_eq!(
        users["value"][0]["userPrincipalName"],
        "ana@contoso.example"
    );
    assert_eq!(
        api.graph.device(&device).unwrap()["userPrincipalName"],
        "ana@contoso.example"
    );

    let (status, _, _) = api
        .send("DELETE", &format!("{DEVICES}/{device}/users/$ref"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, users) = api.get(&format!("{DEVICES}/{device}/users")).await;
    assert_eq!(users["value"], json!([]));
    api.graph.assert_no_violations();
}

#[tokio::test]
async fn throttle_budget_follows_the_clock() {
    let clock = GraphClock::manual(OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let api = Api::with(FakeGraph::start_with_clock(clock.clone()).await.unwrap());
    let device = api.graph.add_device(json!({"serialNumber": "S1"}));
    api.graph.faults(|f| f.budgets = true);
    // 200 writes per 20 s on managedDevices (10 batches of 20 PATCHes).
    let patches: Vec<Value> = (1..=20)
        .map(|i| json!({"id": i.to_string(), "method": "PATCH", "url": format!("{DEVICES}/{device}"), "headers": {"Content-Type": "application/json"}, "body": {"notes": "n"}}))
        .collect();
    for _ in 0..10 {
        let (_, _, body) = api
            .send("POST", "/$batch", Some(json!({"requests": patches})))
            .await;
        assert!(
            body["responses"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == 204),
            "{body}"
        );
    }
    let (status, headers, _) = api
        .send(
            "PATCH",
            &format!("{DEVICES}/{device}"),
            Some(json!({"notes": "over"})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "20");
    // Reads still have budget; enrollment profiles have their own.
    assert_eq!(
        api.get(&format!("{DEVICES}/{device}")).await.0,
        StatusCode::OK
    );
    assert_eq!(api.get(PROFILES).await.0, StatusCode::OK);
    clock.advance(Duration::from_secs(15));
    let (_, headers, _) = api
        .send(
            "PATCH",
            &format!("{DEVICES}/{device}"),
            Some(json!({"notes": "over"})),
        )
        .await;
    assert_eq!(headers["retry-after"], "5");
    clock.advance(Duration::from_secs(5));
    let (status, _, _) = api
        .send(
            "PATCH",
            &format!("{DEVICES}/{device}"),
            Some(json!({"notes": "later"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    api.graph.assert_no_violations();
}

#[tokio::test]
async fn scheduled_devices_move_through_the_stages_on_the_tenant_clock() {
    use stagebench_core::intune::status::{IntuneStage, IntuneStatus};
    use stagebench_core::testing::graph::{FakeEnrollmentFlow, Lifecycle};
    let start = OffsetDateTime::parse(
        "2026-11-21T16:20:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let api = Api::with(
        FakeGraph::start_with_clock(GraphClock::manual(start))
            .await
            .unwrap(),
    );
    api.graph.schedule(
        Lifecycle::staged("R58N1", Duration::from_secs(60))
            .then_user("ana@contoso.com", Duration::from_secs(3600)),
    );
    api.graph.schedule(Lifecycle {
        flow: FakeEnrollmentFlow::AospUserless,
        manufacturer: "RealWear".into(),
        model: "T21G".into(),
        ..Lifecycle::staged("RW1", Duration::from_secs(120))
    });
    let find = |serial: &'static str| {
        let api = &api;
        async move {
            let (status, _, body) = api
                .send(
                    "GET",
                    &format!("{DEVICES}?$filter=serialNumber%20eq%20'{serial}'"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["value"].as_array().unwrap().clone()
        }
    };
    let derive = |d: &Value| {
        let s = |k: &str| d[k].as_str();
        IntuneStatus::derive(
            s("id").unwrap(),
            s("deviceName").unwrap(),
            s("serialNumber").unwrap(),
            s("deviceEnrollmentType"),
            s("managementState"),
            s("userPrincipalName"),
            s("userDisplayName"),
            s("enrolledDateTime"),
            s("lastSyncDateTime"),
        )
    };
    assert!(find("R58N1").await.is_empty(), "not enrolled yet");
    api.graph.clock().advance(Duration::from_secs(61));
    let staged = find("R58N1").await;
    assert_eq!(staged.len(), 1);
    let status = derive(&staged[0]);
    assert_eq!(
        status.device_name,
        "Staging_R58N1_AndroidEnterprise_11/21/26_4.21 PM"
    );
    assert_eq!(
        (status.stage, status.staging_name),
        (IntuneStage::Enrolled, true)
    );
    assert!(find("RW1").await.is_empty());
    api.graph.clock().advance(Duration::from_secs(3600));
    let signed_in = derive(&find("R58N1").await[0]);
    assert_eq!(signed_in.stage, IntuneStage::UserAssigned);
    assert_eq!(
        signed_in.device_name,
        "ana_AndroidEnterprise_11/21/26_4.21 PM"
    );
    assert_eq!(
        signed_in.user_principal_name.as_deref(),
        Some("ana@contoso.com")
    );
    let id = api.graph.scheduled_device_id("R58N1").unwrap();
    assert!(api.graph.primary_user(&id).is_some());
    let realwear = derive(&find("RW1").await[0]);
    assert_eq!(
        realwear.enrollment_type.as_deref(),
        Some("androidAOSPUserlessDeviceEnrollment")
    );
    assert_eq!(realwear.stage, IntuneStage::Enrolled);
    api.graph.assert_no_violations();
}

#[tokio::test]
async fn the_demo_tenant_has_the_profiles_a_bench_meets_and_passes_the_schema() {
    let api = Api::new().await;
    let demo = api.graph.seed_demo();
    let (status, _, body) = api.send("GET", PROFILES, None).await;
    assert_eq!(status, StatusCode::OK);
    let profiles = body["value"].as_array().unwrap();
    assert_eq!(profiles.len(), 4);
    let (_, _, aosp) = api
        .send("GET", &format!("{PROFILES}/{}", demo.aosp_profile), None)
        .await;
    assert_eq!(aosp["enrollmentMode"], "corporateOwnedAOSPUserlessDevice");
    assert_eq!(aosp["wifiSsid"], "Bench-5G");
    let (_, _, staging) = api
        .send("GET", &format!("{PROFILES}/{}", demo.staging_profile), None)
        .await;
    assert_eq!(staging["enrollmentTokenType"], "deviceStaging");
    assert!(staging["qrCodeContent"]
        .as_str()
        .unwrap()
        .contains(staging["tokenValue"].as_str().unwrap()));
    let (_, _, expired) = api
        .send("GET", &format!("{PROFILES}/{}", demo.expired_profile), None)
        .await;
    let expires = OffsetDateTime::parse(
        expired["tokenExpirationDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires < OffsetDateTime::now_utc());
    assert_ne!(demo.user, demo.dem);
    api.graph.assert_no_violations();
}
