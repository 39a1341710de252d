//! The vendored schema against the shared copy, and requests it allows and refuses.

use serde_json::json;

use super::*;

fn schema() -> GraphSchema {
    GraphSchema::load()
}

#[test]
fn vendored_schema_matches_shared() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/graph");
    if !shared.is_dir() {
        eprintln!(
            "skipped: {} is absent, so the vendored schema can't be compared",
            shared.display()
        );
        return;
    }
    for (name, vendored) in [
        ("graph-beta-intune-subset.openapi.json", OPENAPI_JSON),
        ("graph-beta-typemap-subset.json", TYPEMAP_JSON),
    ] {
        let original = std::fs::read(shared.join(name)).unwrap();
        assert!(
            original == vendored.as_bytes(),
            "{name} differs from ../shared/graph: copy it again"
        );
    }
}

#[test]
fn allowed_requests_pass() {
    let s = schema();
    let id = "9f6b4a1e-0000-0000-0000-000000000001";
    s.check(
        "GET",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles",
        None,
    )
    .unwrap();
    s.check(
        "POST",
        &format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/createToken"),
        Some(&json!({"tokenValidityInSeconds": 7200})),
    )
    .unwrap();
    s.check("POST", &format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/microsoft.graph.createToken"), Some(&json!({"tokenValidityInSeconds": 7200}))).unwrap();
    s.check(
        "POST",
        &format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/revokeToken"),
        None,
    )
    .unwrap();
    s.check("PATCH", &format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}"), Some(&json!({"wifiSecurityType": "wpa", "displayName": "x", "@odata.type": "#microsoft.graph.androidDeviceOwnerEnrollmentProfile"}))).unwrap();
    s.check("GET", "/beta/deviceManagement/managedDevices?$filter=serialNumber%20eq%20'R58N'&$select=id,deviceName,serialNumber,notes", None).unwrap();
    s.check(
        "GET",
        "/deviceManagement/managedDevices?$filter=serialNumber eq 'A' or serialNumber eq 'B'",
        None,
    )
    .unwrap();
    s.check(
        "GET",
        "/deviceManagement/managedDevices?$filter=contains(deviceName,'Staging_')",
        None,
    )
    .unwrap();
    s.check(
        "GET",
        &format!("/deviceManagement/managedDevices/{id}?$select=notes,usersLoggedOn"),
        None,
    )
    .unwrap();
    s.check(
        "PATCH",
        &format!("/deviceManagement/managedDevices/{id}"),
        Some(&json!({"notes": "stage 2"})),
    )
    .unwrap();
    s.check(
        "GET",
        &format!("/deviceManagement/managedDevices/{id}/users"),
        None,
    )
    .unwrap();
    s.check(
        "POST",
        &format!("/deviceManagement/managedDevices('{id}')/users/$ref"),
        Some(&json!({"@odata.id": "https://graph.microsoft.com/beta/users/u1"})),
    )
    .unwrap();
    s.check(
        "DELETE",
        &format!("/deviceManagement/managedDevices/{id}/users/$ref"),
        None,
    )
    .unwrap();
    s.check("POST", "/beta/$batch", Some(&json!({"requests": [{"id": "1", "method": "GET", "url": "/deviceManagement/managedDevices/x"}]}))).unwrap();
    s.check("POST", "/deviceManagement/importedDeviceIdentities/importDeviceIdentityList", Some(&json!({
            "importedDeviceIdentities": [{"@odata.type": "#microsoft.graph.importedDeviceIdentity", "importedDeviceIdentifier": "R58N123ABC", "importedDeviceIdentityType": "serialNumber", "description": "Bench 3", "platform": "android"}],
            "overwriteImportedDeviceIdentities": false
        }))).unwrap();
    s.check("GET", "/deviceManagement/managedDevices/$count", None)
        .unwrap();
    assert_eq!(
        s.resolve("GET", "/deviceManagement/managedDevices/$count")
            .unwrap()
            .template,
        "/deviceManagement/managedDevices/$count"
    );
}

fn fails(method: &str, path: &str, body: Option<Value>, needle: &str) {
    let error = schema().check(method, path, body.as_ref()).unwrap_err();
    assert!(error.0.contains(needle), "`{error}` should name `{needle}`");
}

#[test]
fn wrong_path_fails_naming_it() {
    fails(
        "GET",
        "/beta/deviceManagement/androidEnrollmentProfiles",
        None,
        "/deviceManagement/androidEnrollmentProfiles",
    );
    fails(
        "GET",
        "/beta/deviceManagement/managedDevices/x/detectedApps",
        None,
        "detectedApps",
    );
}

#[test]
fn wrong_method_fails_naming_it() {
    fails(
        "PUT",
        "/beta/deviceManagement/managedDevices/x",
        None,
        "PUT",
    );
    fails(
        "GET",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
        None,
        "GET",
    );
    fails("PATCH", "/beta/$batch", None, "PATCH");
}

#[test]
fn unknown_body_property_fails_naming_it() {
    fails(
        "PATCH",
        "/beta/deviceManagement/managedDevices/x",
        Some(json!({"note": "typo"})),
        "`note`",
    );
    fails(
        "POST",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
        Some(json!({"validityInSeconds": 5})),
        "validityInSeconds",
    );
    fails(
        "POST",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/revokeToken",
        Some(json!({"x": 1})),
        "takes no body",
    );
    fails(
        "POST",
        "/deviceManagement/managedDevices/x/users/$ref",
        Some(json!({"userId": "u"})),
        "userId",
    );
}

#[test]
fn bad_enum_value_fails_naming_it() {
    fails(
        "PATCH",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x",
        Some(json!({"wifiSecurityType": "WPA"})),
        "`WPA`",
    );
    fails(
        "PATCH",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x",
        Some(json!({"enrollmentMode": "fullyManaged"})),
        "fullyManaged",
    );
}

#[test]
fn int32_range_is_checked() {
    fails(
        "POST",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
        Some(json!({"tokenValidityInSeconds": 3_000_000_000u64})),
        "tokenValidityInSeconds",
    );
    fails(
        "POST",
        "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
        Some(json!({"tokenValidityInSeconds": "60"})),
        "tokenValidityInSeconds",
    );
}

#[test]
fn select_and_filter_are_checked() {
    fails(
        "GET",
        "/beta/deviceManagement/managedDevices?$filter=enrollmentProfileName eq 'x'",
        None,
        "enrollmentProfileName",
    );
    fails(
        "GET",
        "/beta/deviceManagement/managedDevices?$filter=notes%20eq%20'x'",
        None,
        "notes",
    );
    fails(
        "GET",
        "/beta/deviceManagement/managedDevices?$filter=serialNumber%20ne%20'x'",
        None,
        "`ne`",
    );
    fails(
        "GET",
        "/beta/deviceManagement/managedDevices?$filter=serialNumber eq 'x' or imei eq 'y'",
        None,
        "`or`",
    );
    fails(
        "GET",
        "/beta/deviceManagement/managedDevices/x?$select=id,serial",
        None,
        "`serial`",
    );
}

#[test]
fn batch_shape_is_checked() {
    fails(
        "POST",
        "/$batch",
        Some(json!({"requests": [{"id": "1", "method": "PATCH", "url": "/x", "body": {}}]})),
        "Content-Type",
    );
    fails("POST", "/$batch", Some(json!({"reqs": []})), "reqs");
}
