//! What the bench writes to Intune's device records: `stagebench primary-user reassign` (a Windows
//! device enrolled with a DEM account gets its last user as primary) and `stagebench identities
//! import` (serials uploaded as corporate identifiers); against a fresh fake demo tenant per test
//! that the CLI signed in to. Secrets go to the real OS keyring: run these under
//! `scripts/test-env.sh`.

use std::sync::Arc;

use serde_json::json;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::intune::StaticToken;
use stagebench_core::secret::SecretText;
use stagebench_core::store::Sighting;
use stagebench_e2e::cli::{ok, refused, stdout};
use stagebench_e2e::tenant::TenantBench;
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_user_reassign_dry_run_changes_nothing_then_the_last_user_becomes_primary() {
    let b = TenantBench::start().await;
    let (dem, ana) = (b.demo.dem.clone(), b.demo.user.clone());
    let now = OffsetDateTime::now_utc();
    let at = |ago: i64| {
        (now - time::Duration::hours(ago))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let device = b.fake.add_device(json!({
        "deviceName": "DESKTOP-7Q2K", "serialNumber": "PF3XK2QZ", "operatingSystem": "Windows",
        "userId": dem, "userPrincipalName": "dem@contoso.com",
        "usersLoggedOn": [{"userId": dem, "lastLogOnDateTime": at(3)}, {"userId": ana, "lastLogOnDateTime": at(1)}],
    }));
    // DEM enrollment left the DEM as primary user (seed rule 133).
    let admin = GraphClient::new(
        &b.fake.endpoints(),
        Arc::new(StaticToken(SecretText::new("admin"))),
    )
    .unwrap();
    admin.set_primary_user(&device, &dem).await.unwrap();
    let sets = b.sent("/users/$ref");

    let dry = b
        .run(&[
            "primary-user",
            "reassign",
            "--dem",
            "dem@contoso.com",
            "--serial",
            "PF3XK2QZ",
            "--dry-run",
        ])
        .await;
    ok(&dry, "reassign --dry-run");
    let shown = stdout(&dry);
    assert!(
        shown.contains("change:")
            && shown.contains("Dry run")
            && shown.contains("nothing was changed"),
        "{shown}"
    );
    assert_eq!(
        (b.fake.primary_user(&device), b.sent("/users/$ref")),
        (Some(dem.clone()), sets),
        "the dry run changed nothing"
    );

    let json = b
        .json(&[
            "primary-user",
            "reassign",
            "--dem",
            "dem@contoso.com",
            "--device",
            &device,
            "--json",
        ])
        .await;
    assert_eq!(
        (json["action"].as_str(), json["applied"].as_bool()),
        (Some("change"), Some(true)),
        "{json}"
    );
    assert_eq!(json["primaryBefore"]["upn"], "dem@contoso.com");
    assert_eq!(json["primaryAfter"]["upn"], "ana@contoso.com");
    assert_eq!(json["toLastLogon"], at(1).as_str());
    assert_eq!(b.fake.primary_user(&device), Some(ana));

    let again = b
        .run(&[
            "primary-user",
            "reassign",
            "--dem",
            "dem@contoso.com",
            "--device",
            &device,
        ])
        .await;
    ok(&again, "reassign again");
    assert!(
        stdout(&again).contains("keep:") && stdout(&again).contains("already the primary user"),
        "{}",
        stdout(&again)
    );
    assert_eq!(b.sent("/users/$ref"), sets + 1, "idempotent: set once");
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_import_checks_dry_runs_then_uploads_from_the_bench_and_files() {
    let bench = TenantBench::start().await;
    {
        let mut store = bench.store();
        for serial in ["R58NIDENT1", "R58NIDENT2"] {
            store
                .record_sighting(&Sighting::new([SerialObservation::new(
                    SerialSource::RoSerialno,
                    serial,
                )]))
                .unwrap();
        }
    }
    // Dry run: checked and listed, nothing sent.
    let dry = bench
        .json(&[
            "identities",
            "import",
            "--from-bench",
            "--dry-run",
            "--json",
        ])
        .await;
    assert_eq!(dry["rows"].as_array().unwrap().len(), 2, "{dry}");
    assert!(dry["note"]
        .as_str()
        .unwrap()
        .contains("corporate-owned automatically"));
    assert_eq!(bench.sent("/importDeviceIdentityList"), 0);
    // From the bench: both uploaded.
    let done = bench
        .json(&[
            "identities",
            "import",
            "--from-bench",
            "--description",
            "Bench 3",
            "--json",
        ])
        .await;
    assert!(
        done["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "imported"),
        "{done}"
    );
    let imported: Vec<String> = bench
        .fake
        .imported_identities()
        .iter()
        .map(|i| i["importedDeviceIdentifier"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        imported.contains(&"R58NIDENT1".to_owned()) && imported.contains(&"R58NIDENT2".to_owned()),
        "{imported:?}"
    );
    // A file with a bad line: the good ones go, the bad one is named, exit 1.
    let file = bench.data.path().join("serials.txt");
    std::fs::write(&file, "# box 7\nR58NFILE1,Box 7\nBAD.SERIAL\n").unwrap();
    let out = bench
        .run(&["identities", "import", "--file", file.to_str().unwrap()])
        .await;
    let err = refused(&out);
    assert!(err.contains("1 identifier(s) were not imported"), "{err}");
    assert!(
        stdout(&out).contains("BAD.SERIAL") && stdout(&out).contains("invalid"),
        "{}",
        stdout(&out)
    );
    assert!(bench
        .fake
        .imported_identities()
        .iter()
        .any(|i| i["importedDeviceIdentifier"] == "R58NFILE1"));
    // No source given: told what to give.
    assert!(refused(&bench.run(&["identities", "import"]).await).contains("--from-bench or --file"));
    bench.fake.assert_no_violations();
}

/// Issue 15 point 4: `stagebench restage` looks returned devices up in Intune by serial: a COPE
/// device on Android 15 with an old record is told to Delete it (not Retire), with the Entra
/// hint and the factory reset protection warning, each with its source; a serial Intune does
/// not hold is free to re-stage; the Delete count is set against the daily limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restage_names_the_old_record_and_says_delete_it_before_the_wipe() {
    let b = TenantBench::start().await;
    b.fake.add_device(json!({
        "deviceName": "ana_AndroidForWork_6/2/2025_10:00 AM", "serialNumber": "R5CRBACK1",
        "operatingSystem": "Android", "osVersion": "15",
        "deviceEnrollmentType": "androidEnterpriseCorporateWorkProfile",
        "managementState": "managed", "userPrincipalName": "ana@contoso.com",
        "enrolledDateTime": "2025-06-02T10:00:00Z",
    }));
    let report = b
        .json(&["restage", "R5CRBACK1", "R5CRFRESH", "--json"])
        .await;
    assert_eq!(
        (report["deletes"].as_u64(), report["deletesPerDay"].as_u64()),
        (Some(1), Some(1000)),
        "{report}"
    );
    let back = &report["checks"][0];
    assert_eq!(back["records"].as_array().map(Vec::len), Some(1), "{back}");
    let ids: Vec<&str> = back["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["intune-existing-record", "entra-record", "cope-frp"]);
    let first = &back["notes"][0];
    assert!(
        first["nextStep"]
            .as_str()
            .unwrap()
            .contains("Delete this record")
            && first["source"].as_str().unwrap().contains("2026-08-06"),
        "{first}"
    );
    assert_eq!(report["checks"][1]["records"], json!([]));
    let text = stdout(&b.run(&["restage", "R5CRBACK1"]).await);
    assert!(
        text.contains("R5CRBACK1: 1 Intune record")
            && text.contains("Retire is not offered")
            && text.contains("Google account")
            && text.contains("ms.date 2026-10-02"),
        "{text}"
    );
}
