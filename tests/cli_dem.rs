//! A Windows device enrolled with a DEM account, followed from the command line against the
//! fake tenant. Secrets go to the real OS keyring: run under `scripts/test-env.sh`.

use serde_json::Value;
use stagebench_core::testing::graph::FakeGraph;
use stagebench_e2e::tenant::signed_in_admin;

/// Windows Device Preparation with a DEM account, as an admin's bench follows it: the serial is
/// scanned from the box, imported as a corporate identifier, the technician signs in with the
/// DEM account, Intune shows the device under the DEM account, the user signs in, and the
/// primary user is reassigned — each step with its instruction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_windows_dem_device_walks_from_scanned_serial_to_owner() {
    let fake = FakeGraph::start().await.unwrap();
    fake.seed_demo();
    let admin = signed_in_admin(&fake).await;

    admin
        .fails(
            &[
                "batch",
                "new",
                "--name",
                "Laptops",
                "--vendor",
                "HQ",
                "--flow",
                "windows-dem",
            ],
            "DEM account",
        )
        .await;
    let created = admin
        .json(&[
            "batch",
            "new",
            "--name",
            "Laptops",
            "--vendor",
            "HQ",
            "--flow",
            "windows-dem",
            "--dem",
            "dem@contoso.com",
            "--json",
        ])
        .await;
    let id = created["batch"]["id"].as_str().unwrap().to_owned();
    let step = |show: &Value| -> (String, String) {
        let d = &show["devices"][0]["state"];
        (
            d["stage"].as_str().unwrap().to_owned(),
            d["instruction"].as_str().unwrap().to_owned(),
        )
    };
    // Scanned from the box, any case, with the manufacturer and model Intune's Windows
    // identifier needs beside the serial (Microsoft Learn, ms.date 2025-04-11).
    admin
        .ok(&[
            "batch",
            "add",
            &id,
            "pf3wk2x9",
            "--manufacturer",
            "HP",
            "--model",
            "EliteBook 840 G9",
        ])
        .await;
    let (stage, said) = step(&admin.json(&["batch", "show", &id, "--json"]).await);
    assert_eq!(stage, "new");
    assert!(
        said.contains("import it as a corporate identifier"),
        "{said}"
    );

    admin
        .ok(&[
            "identities",
            "import",
            "--from-bench",
            "--platform",
            "windows",
        ])
        .await;
    let (stage, said) = step(&admin.json(&["batch", "show", &id, "--json"]).await);
    assert_eq!(stage, "scanning");
    let sent = fake.imported_identities();
    assert_eq!(
        (
            sent[0]["importedDeviceIdentityType"].as_str(),
            sent[0]["importedDeviceIdentifier"].as_str()
        ),
        (
            Some("manufacturerModelSerial"),
            Some("HP,EliteBook 840 G9,PF3WK2X9")
        )
    );
    assert!(said.contains("sign in with the DEM account"), "{said}");

    admin
        .ok(&["batch", "mark", "PF3WK2X9", "dem-sign-in"])
        .await;
    let device = fake.add_device(serde_json::json!({"serialNumber": "PF3WK2X9", "deviceName": "DESKTOP-7Q1", "operatingSystem": "Windows", "userPrincipalName": "dem@contoso.com"}));
    admin.ok(&["sync"]).await;
    let (stage, said) = step(&admin.json(&["batch", "show", &id, "--json"]).await);
    assert_eq!(stage, "in-intune", "{said}");
    assert!(said.contains("the user signs in normally"), "{said}");

    admin
        .ok(&["batch", "mark", "PF3WK2X9", "user-logged-on"])
        .await;
    let (stage, said) = step(&admin.json(&["batch", "show", &id, "--json"]).await);
    assert_eq!(stage, "user-signed-in");
    assert!(said.contains("reassign the primary user"), "{said}");

    fake.update_device(
        &device,
        serde_json::json!({"userPrincipalName": "ana@contoso.com"}),
    );
    admin.ok(&["sync"]).await;
    let (stage, said) = step(&admin.json(&["batch", "show", &id, "--json"]).await);
    assert_eq!(stage, "owner-assigned", "{said}");
    fake.assert_no_violations();
}
