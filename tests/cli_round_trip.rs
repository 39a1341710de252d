//! The vendor round trip, end to end, the way the README says to run it: an admin signed in to
//! a (fake) tenant creates a batch and exports an encrypted bench pack; an offline vendor bench
//! (its own data folder, no tenant) imports it, shows the QR, stages simulated devices read
//! through Debian's real adb server, records the technician's "powered off", and exports the
//! signed report with its CSV; the admin imports the report (a tampered copy is refused),
//! reconciles it against the tenant (matched, unexpected, not staged), and writes the chain of
//! custody. Secrets go to the real OS keyring: run under `scripts/test-env.sh`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use stagebench_core::testing::graph::{FakeGraph, Lifecycle};
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::cli::CliBench;
use stagebench_e2e::qr::decode_qr_png;
use stagebench_e2e::tenant::signed_in_admin;
use stagebench_e2e::wait::PATIENCE;

fn stage_of(show: &Value, serial: &str) -> String {
    let d = show["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serial"] == serial)
        .unwrap_or_else(|| panic!("{serial} in {show:#}"));
    d["state"]["stage"].as_str().unwrap().to_owned()
}

/// Every QR on every page of a PDF, rasterized by poppler's `pdftoppm` at `dpi` as a printer
/// would, read by zbar (`zbarimg`) and, for a page zbar finds nothing on, by rqrr: each misses
/// some large codes the other reads, as a phone's scanner would not.
fn rasterized_qrs(pdf: &Path, dpi: u32) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png", "-mono"])
        .arg(pdf)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm runs (package poppler-utils; `make test` installs it)");
    assert!(
        status.success(),
        "pdftoppm could not read {}",
        pdf.display()
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "no page in {}", pdf.display());
    pages
        .iter()
        .flat_map(|page| {
            let zbar = Command::new("zbarimg")
                .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
                .arg(page)
                .output()
                .expect("zbarimg runs (package zbar-tools; `make test` installs it)");
            let read: Vec<String> = String::from_utf8_lossy(&zbar.stdout)
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            if read.is_empty() {
                decode_qr_png(&std::fs::read(page).unwrap())
            } else {
                read
            }
        })
        .collect()
}

/// A file holding the enrollment QR (so its token) is readable by its owner only.
fn assert_owner_only(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode,
            0o600,
            "{} holds the token: owner-only",
            file.display()
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pack_vendor_bench_signed_report_admin_reconcile() {
    // The admin, signed in to the fake tenant.
    let fake = FakeGraph::start().await.unwrap();
    let demo = fake.seed_demo();
    let admin = signed_in_admin(&fake).await;

    // The vendor's bench: three simulated devices behind Debian's adb server.
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(3, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(3, PATIENCE).await.unwrap();
    let serials: Vec<String> = bench.models().iter().map(|(s, _, _)| s.clone()).collect();
    let vendor = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: Some(adb.port()),
    };
    let files = tempfile::tempdir().unwrap();
    let pack = files.path().join("wave1.age");
    let report = files.path().join("wave1-report.txt");
    let csv = files.path().join("wave1-report.csv");

    // 1. Admin: a batch of the three plus one more expected serial, and its pack.
    let due = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
        .date()
        .to_string();
    let expected = format!("{},{},{},EXTRA00001", serials[0], serials[1], serials[2]);
    let created = admin
        .json(&[
            "batch",
            "new",
            "--name",
            "Wave 1",
            "--vendor",
            "Acme Staging",
            "--profile",
            &demo.staging_profile,
            "--due",
            &due,
            "--expected",
            "4",
            "--serial",
            &expected,
            "--json",
        ])
        .await;
    let id = created["batch"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["token"]["state"], "ok", "{created:#}");
    let exported = admin
        .json(&[
            "batch",
            "export-pack",
            &id,
            "--out",
            path(&pack),
            "--passphrase-env",
            "SB_PASS",
            "--json",
        ])
        .await;
    assert!(exported["bytes"].as_u64().unwrap() > 100);
    let sealed = std::fs::read_to_string(&pack).unwrap();
    assert!(
        sealed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "an armored age file: {}",
        &sealed[..40]
    );
    let token = fake.profile(&demo.staging_profile).unwrap()["tokenValue"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !sealed.contains(&token),
        "the token is not in the pack in clear"
    );

    // 2. Vendor: a wrong passphrase is refused; the right one imports the batch.
    vendor
        .fails(
            &[
                "batch",
                "import-pack",
                path(&pack),
                "--passphrase-env",
                "SB_WRONG",
            ],
            "passphrase",
        )
        .await;
    let imported = vendor
        .json(&[
            "batch",
            "import-pack",
            path(&pack),
            "--passphrase-env",
            "SB_PASS",
            "--activate",
            "--json",
        ])
        .await;
    assert_eq!(imported["id"], id.as_str());
    vendor
        .fails(
            &[
                "batch",
                "import-pack",
                path(&pack),
                "--passphrase-env",
                "SB_PASS",
            ],
            "already",
        )
        .await;

    // The QR shows offline, from the pack, and scans to Intune's content.
    let qr_png = files.path().join("qr.png");
    vendor
        .ok(&["batch", "qr", &id, "--out", path(&qr_png)])
        .await;
    let decoded = decode_qr_png(&std::fs::read(&qr_png).unwrap());
    let content = fake.profile(&demo.staging_profile).unwrap()["qrCodeContent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(decoded, std::slice::from_ref(&content));
    assert_owner_only(&qr_png);

    // Its enrollment label prints from the pack too: a PDF at the label's physical size whose QR,
    // rasterized as a printer would (pdftoppm at the template's 300 dpi), is the same content.
    let label_pdf = files.path().join("enrollment.pdf");
    let rendered = vendor
        .json(&[
            "labels",
            "render",
            "--enrollment",
            &id,
            "--template",
            "enrollment-4x6in",
            "--dpi",
            "300",
            "--format",
            "pdf",
            "--out",
            path(&label_pdf),
            "--json",
        ])
        .await;
    assert_eq!(
        (rendered["labels"].as_u64(), rendered["pages"].as_u64()),
        (Some(1), Some(1)),
        "{rendered:#}"
    );
    assert_eq!(
        rasterized_qrs(&label_pdf, 300),
        std::slice::from_ref(&content)
    );
    assert_owner_only(&label_pdf);
    let shown = vendor
        .json(&["audit", "--action", "qr-display", "--json"])
        .await;
    assert_eq!(
        shown.as_array().unwrap().len(),
        2,
        "the on-screen QR and the label's are both recorded: {shown:#}"
    );

    // A batch whose token has expired gets no enrollment label, and nothing is recorded as shown.
    vendor
        .ok(&[
            "batch",
            "new",
            "--name",
            "Old wave",
            "--vendor",
            "Acme Staging",
            "--flow",
            "staging-token",
            "--token-expires",
            "2020-01-31",
        ])
        .await;
    let refused = vendor
        .fails(
            &[
                "labels",
                "render",
                "--enrollment",
                "Old wave",
                "--template",
                "enrollment-4x6in",
                "--out",
                path(&files.path().join("old.pdf")),
            ],
            "refused",
        )
        .await;
    assert!(
        refused.contains("Old wave") && refused.contains("expired"),
        "{refused}"
    );
    assert!(!files.path().join("old.pdf").exists());
    assert_eq!(
        vendor
            .json(&["audit", "--action", "qr-display", "--json"])
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // 3. The devices are read, join the batch by their expected serials, and move on.
    vendor.ok(&["devices", "--json"]).await;
    let show = vendor.json(&["batch", "show", &id, "--json"]).await;
    assert_eq!(show["devices"].as_array().unwrap().len(), 3, "{show:#}");
    for s in &serials {
        assert_eq!(
            stage_of(&show, s),
            "scanning",
            "QR shown, not provisioned yet"
        );
    }
    bench.set_enrolled(0, 3);
    bench.set_enrolled(1, 2);
    vendor.ok(&["devices", "--json"]).await;
    bench.set_enrolled(1, 3); // device 1 rebooted while enrolling
    vendor.ok(&["devices", "--json"]).await;
    let marked = vendor
        .json(&["batch", "mark", &serials[0], "powered-off", "--json"])
        .await;
    assert_eq!(marked["stage"]["stage"], "bench-done");
    let show = vendor.json(&["batch", "show", &id, "--json"]).await;
    assert_eq!(stage_of(&show, &serials[0]), "bench-done");
    assert_eq!(stage_of(&show, &serials[1]), "enrolling");
    assert_eq!(stage_of(&show, &serials[2]), "scanning");
    let problems: Vec<&str> = show["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        problems.contains(&"reboot-during-enrollment"),
        "{problems:?}"
    );
    assert_eq!(show["not_seen"], serde_json::json!(["EXTRA00001"]));

    // Labels for only the devices at one stage: the one bench-done device, on an A4 sheet.
    let sheet = files.path().join("bench-done.pdf");
    let rendered = vendor
        .json(&[
            "labels",
            "render",
            "--batch",
            &id,
            "--stage",
            "bench-done",
            "--template",
            "device-a4-3x8",
            "--dpi",
            "300",
            "--format",
            "pdf",
            "--out",
            path(&sheet),
            "--json",
        ])
        .await;
    assert_eq!(rendered["labels"].as_u64(), Some(1), "{rendered:#}");
    assert_eq!(rasterized_qrs(&sheet, 300), [serials[0].clone()]);

    // 4. Vendor: the signed report and its CSV.
    let exported = vendor
        .json(&[
            "batch",
            "export-report",
            &id,
            "--out",
            path(&report),
            "--csv",
            path(&csv),
            "--json",
        ])
        .await;
    assert_eq!(exported["devices"], 3);
    let fingerprint = exported["fingerprint"].as_str().unwrap().to_owned();
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    for s in &serials {
        assert!(csv_text.contains(s.as_str()), "{s} in the CSV");
    }

    // 5. Admin: a tampered or truncated copy is refused; the real one imports.
    let text = std::fs::read_to_string(&report).unwrap();
    let tampered = files.path().join("tampered.txt");
    std::fs::write(&tampered, text.replacen("bench-done", "in-intune", 1)).unwrap();
    admin
        .fails(
            &["batch", "import-report", path(&tampered)],
            "changed after the bench signed it",
        )
        .await;
    let truncated = files.path().join("truncated.txt");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    admin
        .fails(&["batch", "import-report", path(&truncated)], "truncated")
        .await;
    let imported = admin
        .json(&[
            "batch",
            "import-report",
            path(&report),
            "--accept-key",
            &fingerprint,
            "--json",
        ])
        .await;
    assert_eq!(imported["devices"], 3);
    assert_eq!(imported["signer"], fingerprint.as_str());
    admin
        .fails(
            &["batch", "import-report", path(&report)],
            "imported before",
        )
        .await;

    // 6. Intune shows devices 0 and 1 (staged), and EXTRA00001, which no report lists.
    fake.schedule(Lifecycle::staged(&serials[0], Duration::ZERO));
    fake.schedule(Lifecycle::staged(&serials[1], Duration::ZERO));
    fake.schedule(Lifecycle::staged("EXTRA00001", Duration::ZERO));
    fake.advance_lifecycles();
    let rec = admin.json(&["batch", "reconcile", &id, "--json"]).await;
    let serials_in = |key: &str| -> Vec<String> {
        let mut v: Vec<String> = rec[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["serial"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut matched = vec![serials[0].clone(), serials[1].clone()];
    matched.sort();
    assert_eq!(serials_in("matched"), matched, "{rec:#}");
    assert_eq!(serials_in("missing_in_intune"), [serials[2].clone()]);
    assert_eq!(serials_in("unexpected"), ["EXTRA00001"]);
    assert_eq!(rec["not_staged"].as_array().unwrap().len(), 0);
    fake.assert_no_violations();

    // 7. The audit trails and the chain of custody.
    let actions = |log: &Value| -> Vec<String> {
        log.as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let vendor_log = vendor.json(&["audit", "--json"]).await;
    for a in ["pack-import", "qr-display", "report-export"] {
        assert!(
            actions(&vendor_log).contains(&a.to_owned()),
            "{a} in {vendor_log:#}"
        );
    }
    let admin_log = admin.json(&["audit", "--batch", &id, "--json"]).await;
    for a in ["batch-create", "pack-export", "report-import", "reconcile"] {
        assert!(
            actions(&admin_log).contains(&a.to_owned()),
            "{a} in {admin_log:#}"
        );
    }
    assert!(
        !admin_log.to_string().contains(&token),
        "no token value in the audit log"
    );
    admin.ok(&["audit", "--verify"]).await;
    let pdf = files.path().join("custody.pdf");
    let custody_csv = files.path().join("custody.csv");
    admin
        .ok(&[
            "batch",
            "custody",
            &id,
            "--pdf",
            path(&pdf),
            "--csv",
            path(&custody_csv),
        ])
        .await;
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Wave 1"), "{text}");
    for s in &serials {
        assert!(text.contains(s.as_str()), "{s} in the custody PDF");
    }
    assert!(std::fs::read_to_string(&custody_csv)
        .unwrap()
        .contains("report-import"));
}
