//! Vendor keys are pinned per batch (issue 13, finding 2): a signed report is taken only from a
//! key the admin's bench trusts for the batch (named at pack export, or a first key confirmed by
//! fingerprint), for a batch and a pack this bench exported. A report re-signed with a fresh
//! key, one for a batch never exported, one naming a pack never exported, or a report id seen in
//! another file is refused and leaves the store as it was, unless the admin accepts the signer
//! by its fingerprint, a decision the audit log keeps.

use std::path::{Path, PathBuf};

use stagebench_core::audit::AuditAction;
use stagebench_core::batch::exchange::{
    export_pack, import_report, vendor_fingerprint, ExchangeError, Untrusted,
};
use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::batch::report::{self, BatchReport};
use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, BatchStore, BenchInfo, ProfileFacts};
use stagebench_core::ids::BatchId;
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::Flow;
use stagebench_core::store::{AuditFilter, Store};
use time::{Duration, OffsetDateTime};

const PASS: &str = "K7QF-2ZD9-MNPQ-X4RT-8HJW-C3VB";

fn batch() -> Batch {
    let now = OffsetDateTime::now_utc();
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: "Wave 7".into(),
            profile: ProfileFacts {
                profile_id: String::new(),
                profile_name: "Scanners".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: Some(now + Duration::days(30)),
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: None,
            },
            vendor: "Acme Staging".into(),
            due: None,
            expected_count: None,
            expected_serials: vec![],
        },
        created_at: now,
        created_by: "admin".into(),
        origin: BatchOrigin::Local,
    }
}

/// The admin's bench: a batch, exported in a pack (naming `vendor_key` when given).
struct Admin {
    store: Store,
    batch: Batch,
    pack: String,
    dir: tempfile::TempDir,
}

impl Admin {
    fn new(vendor_key: Option<&str>) -> Admin {
        let (mut store, batch) = (Store::open_in_memory().unwrap(), batch());
        store.create_batch(&batch).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let payload = SecretText::new(
            r#"{"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"T0K3N"}}"#,
        );
        let pass = SecretText::new(PASS);
        let path = dir.path().join("wave7.stagebench-pack");
        let exported = export_pack(
            &mut store, &batch.id, payload, &pass, None, vendor_key, "admin", &path,
        )
        .unwrap();
        Admin {
            store,
            batch,
            pack: exported.id,
            dir,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn import(
        &mut self,
        bytes: &[u8],
        accept: Option<&str>,
    ) -> Result<stagebench_core::batch::exchange::ImportedReport, ExchangeError> {
        let path = self.file("report");
        import_report(&mut self.store, bytes, "admin", &path, accept)
    }

    /// The audit log's report-import records.
    fn imports(&self) -> Vec<serde_json::Value> {
        let filter = AuditFilter {
            action: Some(AuditAction::ReportImport),
            ..AuditFilter::default()
        };
        let rows = self.store.audit_log(&filter).unwrap();
        rows.into_iter().map(|r| r.detail).collect()
    }

    fn reports(&self) -> usize {
        self.store.reports(&self.batch.id).unwrap().len()
    }
}

/// A report of `batch` naming `pack`, signed by `key` (what a vendor bench, or a forger, makes).
fn signed(batch: &Batch, pack: Option<&str>, key: &ReportSigningKey) -> Vec<u8> {
    let bench = BenchInfo {
        app_version: "0.1.0".into(),
        technician: "ana".into(),
        hostname: None,
    };
    let report = BatchReport::new(
        batch.clone(),
        pack.map(str::to_owned),
        bench,
        key.public(),
        vec![],
        OffsetDateTime::now_utc(),
    );
    report::sign(&report, key).unwrap()
}

#[track_caller]
fn untrusted(result: Result<impl std::fmt::Debug, ExchangeError>) -> (Untrusted, ExchangeError) {
    match result {
        Err(ExchangeError::UntrustedSigner(refusal)) => {
            (refusal.why.clone(), ExchangeError::UntrustedSigner(refusal))
        }
        other => panic!("expected a refusal of the signer, got {other:?}"),
    }
}

#[test]
fn a_report_re_signed_with_another_key_is_refused_until_its_fingerprint_is_accepted() {
    let vendor = ReportSigningKey::generate();
    let fingerprint = vendor.public().fingerprint;
    let mut admin = Admin::new(Some(&fingerprint));
    let genuine = signed(&admin.batch, Some(&admin.pack), &vendor);
    admin.import(&genuine, None).unwrap();
    assert_eq!(admin.reports(), 1);

    let forger = ReportSigningKey::generate();
    let forged = signed(&admin.batch, Some(&admin.pack), &forger);
    let (why, err) = untrusted(admin.import(&forged, None));
    assert_eq!(
        why,
        Untrusted::OtherKey {
            trusted: vec![fingerprint.clone()]
        }
    );
    let message = err.to_string();
    assert!(message.contains(&forger.public().fingerprint), "{message}");
    assert!(message.contains("Settings screen"), "{message}");
    assert_eq!(
        err.remedy(),
        Some(Remedy::AcceptVendorKey {
            fingerprint: forger.public().fingerprint
        })
    );
    // Accepting some other fingerprint is not accepting this key.
    let (_, err) = untrusted(admin.import(&forged, Some(&fingerprint)));
    assert!(
        err.to_string().contains("is not this report's signer"),
        "{err}"
    );
    assert_eq!(
        (admin.reports(), admin.imports().len()),
        (1, 1),
        "nothing imported"
    );

    let imported = admin
        .import(&forged, Some(&forger.public().fingerprint))
        .unwrap();
    assert_eq!(imported.accepted, Some(why));
    assert_eq!(admin.reports(), 2);
    let decision = &admin.imports()[0];
    assert_eq!(
        decision["accepted"]["fingerprint"],
        forger.public().fingerprint
    );
    assert_eq!(decision["accepted"]["why"], "other-key");
    assert_eq!(decision["pack"], admin.pack.as_str());
}

#[test]
fn a_forged_report_for_a_batch_never_exported_creates_nothing_unless_accepted() {
    let mut admin = Admin::new(None);
    let forger = ReportSigningKey::generate();
    let unknown = batch();
    let forged = signed(&unknown, Some("0123456789abcdef0123456789abcdef"), &forger);
    let (why, _) = untrusted(admin.import(&forged, None));
    assert_eq!(why, Untrusted::NeverExported);
    assert!(
        admin.store.find_batch(unknown.id.as_str()).is_err(),
        "no batch made"
    );
    assert!(admin.imports().is_empty());

    let imported = admin
        .import(&forged, Some(&forger.public().fingerprint))
        .unwrap();
    assert!(imported.new_batch);
    assert_eq!(admin.imports()[0]["accepted"]["why"], "never-exported");
}

#[test]
fn the_first_key_is_confirmed_by_fingerprint_then_pinned() {
    let mut admin = Admin::new(None);
    let vendor = ReportSigningKey::generate();
    let first = signed(&admin.batch, Some(&admin.pack), &vendor);
    let (why, _) = untrusted(admin.import(&first, None));
    assert_eq!(why, Untrusted::FirstKey);
    assert_eq!(admin.reports(), 0);
    admin
        .import(&first, Some(&vendor.public().fingerprint))
        .unwrap();

    // Pinned: the same vendor's next report needs nothing, another key is refused.
    let second = signed(&admin.batch, Some(&admin.pack), &vendor);
    assert_eq!(admin.import(&second, None).unwrap().accepted, None);
    let other = signed(
        &admin.batch,
        Some(&admin.pack),
        &ReportSigningKey::generate(),
    );
    let (why, _) = untrusted(admin.import(&other, None));
    assert!(matches!(why, Untrusted::OtherKey { .. }), "{why:?}");
    assert_eq!(admin.reports(), 2);
}

#[test]
fn pack_and_report_ids_are_checked_against_the_audit_log() {
    let vendor = ReportSigningKey::generate();
    let mut admin = Admin::new(Some(&vendor.public().fingerprint));
    let stray = signed(
        &admin.batch,
        Some("ffffffffffffffffffffffffffffffff"),
        &vendor,
    );
    let (why, _) = untrusted(admin.import(&stray, None));
    assert!(matches!(why, Untrusted::UnknownPack { .. }), "{why:?}");
    let none = signed(&admin.batch, None, &vendor);
    let (why, _) = untrusted(admin.import(&none, None));
    assert_eq!(why, Untrusted::UnknownPack { pack: None });

    // The same report id in another file (signed again, here with a new time) is refused
    // outright; the same file again is "imported before".
    let genuine = signed(&admin.batch, Some(&admin.pack), &vendor);
    admin.import(&genuine, None).unwrap();
    let text = String::from_utf8(genuine.clone()).unwrap();
    let verified = report::verify(&genuine).unwrap();
    let mut again = verified.report.clone();
    again.created_at += Duration::minutes(5);
    let resigned = report::sign(&again, &vendor).unwrap();
    assert_ne!(resigned, genuine);
    let err = admin.import(&resigned, None).unwrap_err();
    assert!(
        matches!(err, ExchangeError::ReportIdReused { .. }),
        "{err:?}"
    );
    let err = admin.import(text.as_bytes(), None).unwrap_err();
    assert!(err.to_string().contains("imported before"), "{err}");
    assert_eq!(admin.reports(), 1);
}

#[test]
fn a_vendor_key_is_given_as_a_fingerprint_a_public_key_or_its_json() {
    let key = ReportSigningKey::generate().public();
    let json = serde_json::to_string(&key).unwrap();
    for given in [
        key.fingerprint.clone(),
        key.key_b64.clone(),
        json,
        format!(" {}\n", key.fingerprint),
    ] {
        assert_eq!(vendor_fingerprint(&given).unwrap(), key.fingerprint);
    }
    for bad in ["SHA256:short", "nonsense", "{\"key_b64\":\"AAAA\"}"] {
        assert!(vendor_fingerprint(bad).is_err(), "{bad}");
    }
    let err = export_pack(
        &mut Store::open_in_memory().unwrap(),
        &BatchId::random(),
        SecretText::new("{}"),
        &SecretText::new(PASS),
        None,
        Some("SHA256:short"),
        "admin",
        Path::new("unused"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("copy the key again"), "{err}");
}
