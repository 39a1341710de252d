//! Issue 13 through the CLI: vendors are who they say they are, and the audit log can be
//! believed. A report re-signed with a fresh key, or for a batch this bench never exported, is
//! refused (exit 1, nothing imported) until the admin accepts the signer's fingerprint with
//! `--accept-key`; a log rewritten in SQLite (triggers dropped, a row deleted, the rest
//! renumbered and rehashed) fails `audit --verify`, naming the row. Run under
//! scripts/test-env.sh (the bench key lives in the keyring).

use std::path::Path;

use serde_json::Value;
use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::batch::report;
use stagebench_core::ids::BatchId;
use stagebench_core::store::FILE_NAME;
use stagebench_core::testing::tamper::delete_and_rehash;
use stagebench_e2e::cli::CliBench;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn bench() -> CliBench {
    CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: None,
    }
}

/// `report_file` signed again by `key`, optionally for another batch, with a new report id.
fn resigned(report_file: &Path, key: &ReportSigningKey, other_batch: bool) -> Vec<u8> {
    let verified = report::verify(&std::fs::read(report_file).unwrap()).unwrap();
    let mut forged = verified.report;
    forged.signer = key.public();
    forged.audit_head = None;
    forged.report_id = format!("{:032x}", 0xf0f0_u128 + u128::from(other_batch));
    if other_batch {
        forged.batch.id = BatchId::random();
    }
    report::sign(&forged, key).unwrap()
}

#[tokio::test]
async fn forged_reports_are_refused_until_accepted_and_a_rehashed_log_fails_verify() {
    let (admin, vendor) = (bench(), bench());
    let files = tempfile::tempdir().unwrap();
    let (pack, genuine) = (files.path().join("pack"), files.path().join("report"));
    let payload = files.path().join("payload.json");
    std::fs::write(
        &payload,
        r#"{"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{}}"#,
    )
    .unwrap();

    // The admin's batch and its pack (no vendor key named: the first report's key is confirmed).
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .date()
        .to_string();
    let created = admin
        .json(&[
            "batch",
            "new",
            "--name",
            "Wave 9",
            "--vendor",
            "Acme",
            "--flow",
            "staging-token",
            "--token-expires",
            &expires,
            "--json",
        ])
        .await;
    let id = created["batch"]["id"].as_str().unwrap().to_owned();
    admin
        .ok(&[
            "batch",
            "export-pack",
            &id,
            "--out",
            path(&pack),
            "--payload-file",
            path(&payload),
            "--passphrase-env",
            "SB_PASS",
        ])
        .await;

    // The vendor's bench stages nothing and reports: a genuine report.
    vendor
        .ok(&[
            "batch",
            "import-pack",
            path(&pack),
            "--passphrase-env",
            "SB_PASS",
        ])
        .await;
    let exported = vendor
        .json(&[
            "batch",
            "export-report",
            &id,
            "--out",
            path(&genuine),
            "--json",
        ])
        .await;
    let vendor_key = exported["fingerprint"].as_str().unwrap().to_owned();

    // 1. Re-signed with a fresh key: refused, with the fingerprint and how to accept it.
    let forger = ReportSigningKey::generate();
    let forged = files.path().join("forged");
    std::fs::write(&forged, resigned(&genuine, &forger, false)).unwrap();
    let err = admin
        .fails(&["batch", "import-report", path(&forged)], "refused")
        .await;
    assert!(err.contains(&forger.public().fingerprint), "{err}");
    assert!(err.contains("--accept-key"), "{err}");
    let log = admin
        .json(&["audit", "--action", "report-import", "--json"])
        .await;
    assert_eq!(
        log.as_array().unwrap().len(),
        0,
        "nothing imported: {log:#}"
    );

    // 2. The genuine report, its key confirmed by fingerprint: imported, the decision audited.
    let imported = admin
        .json(&[
            "batch",
            "import-report",
            path(&genuine),
            "--accept-key",
            &vendor_key,
            "--json",
        ])
        .await;
    assert_eq!(imported["accepted"]["kind"], "first-key", "{imported:#}");

    // 3. Now pinned: the forged one is still refused (as JSON, with the remedy to accept it).
    let out = admin
        .run(&["batch", "import-report", path(&forged), "--json"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["remedy"]["step"], "accept-vendor-key", "{shown:#}");
    assert_eq!(shown["remedy"]["fingerprint"], forger.public().fingerprint);

    // 4. A forged report for a batch this bench never exported creates nothing.
    let unknown = files.path().join("unknown");
    std::fs::write(&unknown, resigned(&genuine, &forger, true)).unwrap();
    admin
        .fails(
            &["batch", "import-report", path(&unknown)],
            "never exported",
        )
        .await;
    let batches = admin.json(&["batch", "list", "--json"]).await;
    assert_eq!(batches.as_array().unwrap().len(), 1, "{batches:#}");
    let log = admin
        .json(&["audit", "--action", "report-import", "--json"])
        .await;
    assert_eq!(
        log[0]["detail"]["accepted"]["fingerprint"],
        vendor_key.as_str()
    );

    // 5. The audit log, signed at each append, rewritten in SQLite: verify names the row.
    let verified = admin.json(&["audit", "--verify", "--json"]).await;
    assert_eq!(verified["status"], "intact", "{verified:#}");
    assert_eq!(verified["unsigned_rows"], 0, "{verified:#}");
    delete_and_rehash(&admin.data.path().join(FILE_NAME), 2);
    let err = admin
        .fails(&["audit", "--verify"], "changed outside StageBench")
        .await;
    let out = admin.run(&["audit", "--verify"]).await;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("BROKEN at row 2"), "{said}{err}");
    assert!(said.contains("no longer matches"), "{said}");
}
