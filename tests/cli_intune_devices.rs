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

/// The report `--json` printed first (an error object follows it when the command failed).
fn report(out: &std::process::Output) -> serde_json::Value {
    let text = stdout(out);
    let mut values = serde_json::Deserializer::from_str(&text).into_iter();
    values.next().unwrap().unwrap()
}

/// Windows corporate identifiers are manufacturer, model and serial, never a serial or an IMEI
/// alone (Microsoft Learn, *Identify devices as corporate-owned*, ms.date 2025-04-11; the seed
/// 004 runbook said "serial numbers"): a file's three fields go as `manufacturerModelSerial`
/// (quoted fields read, periods left out of the serial), a serial alone or a stray comma is
/// refused with the reason, and `--type serial|imei` for Windows sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_identities_go_as_manufacturer_model_serial_and_a_serial_alone_is_refused() {
    let bench = TenantBench::start().await;
    let file = bench.data.path().join("windows.csv");
    std::fs::write(
        &file,
        "Contoso,Laptop 7,WIN-SERIAL-01\n\"Lenovo\",\"ThinkPad T14\",PF.3XK2QZ\nWINSERIAL02\n\"Dell, Inc.\",XPS 13,DL0003\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = bench
        .run(&[
            "identities",
            "import",
            "--platform",
            "windows",
            "--file",
            file,
            "--json",
        ])
        .await;
    let err = refused(&out);
    assert!(err.contains("2 identifier(s) were not imported"), "{err}");
    let shown = report(&out);
    let rows = shown["rows"].as_array().unwrap();
    let row = |i: usize| {
        (
            rows[i]["identifier"].as_str().unwrap().to_owned(),
            rows[i]["outcome"].as_str().unwrap().to_owned(),
            rows[i]["reason"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(row(0).0, "Contoso,Laptop 7,WIN-SERIAL-01");
    assert_eq!(
        (row(1).0, row(1).1),
        ("Lenovo,ThinkPad T14,PF3XK2QZ".into(), "imported".into())
    );
    assert!(
        row(2).1 == "invalid" && row(2).2.contains("seed 004"),
        "{:?}",
        row(2)
    );
    assert!(
        row(3).1 == "invalid" && row(3).2.contains("holds a ','"),
        "{:?}",
        row(3)
    );
    let mut imported: Vec<(String, String, String)> = bench
        .fake
        .imported_identities()
        .iter()
        .map(|i| {
            let field = |k: &str| i[k].as_str().unwrap_or("").to_owned();
            (
                field("importedDeviceIdentityType"),
                field("importedDeviceIdentifier"),
                field("platform"),
            )
        })
        .collect();
    imported.sort();
    let windows = |id: &str| {
        (
            "manufacturerModelSerial".to_owned(),
            id.to_owned(),
            "windows".to_owned(),
        )
    };
    assert_eq!(
        imported,
        [
            windows("Contoso,Laptop 7,WIN-SERIAL-01"),
            windows("Lenovo,ThinkPad T14,PF3XK2QZ")
        ]
    );

    // A serial or an IMEI for Windows: refused with the reason, nothing sent.
    let sent = bench.sent("/importDeviceIdentityList");
    for kind in ["serial", "imei"] {
        let err = refused(
            &bench
                .run(&[
                    "identities",
                    "import",
                    "--platform",
                    "windows",
                    "--type",
                    kind,
                    "--file",
                    file,
                ])
                .await,
        );
        assert!(
            err.contains("seed 004") && err.contains("2025-04-11"),
            "{err}"
        );
    }
    // From the bench: a scanned serial without its manufacturer and model is refused.
    bench
        .store()
        .record_sighting(&Sighting::new([SerialObservation::new(
            SerialSource::Scanner,
            "PF3WK2X8",
        )]))
        .unwrap();
    let dry = bench
        .run(&[
            "identities",
            "import",
            "--platform",
            "windows",
            "--from-bench",
            "--dry-run",
            "--json",
        ])
        .await;
    let shown = report(&dry);
    assert_eq!(shown["rows"][0]["outcome"], "invalid", "{shown}");
    assert!(shown["rows"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("only the serial"));
    assert_eq!(bench.sent("/importDeviceIdentityList"), sent);
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
