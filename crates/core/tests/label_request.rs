//! Label requests against a store and a keyring, as the CLI and the app make them: a batch's
//! devices (all, or those at one stage) with copies; the enrollment label refused for a blocked
//! token before its payload is read (no QR display recorded); a masked preview that reads no
//! payload into the picture yet has the real label's QR size; a reveal that is audited; a print
//! queued at the printer's resolution in its format.

use serde_json::json;
use stagebench_core::audit::AuditAction;
use stagebench_core::batch::exchange::keep_qr;
use stagebench_core::batch::progress::batch_progress;
use stagebench_core::batch::BatchStore;
use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
use stagebench_core::clock::ManualClock;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::BatchId;
use stagebench_core::intune::auth::MemoryKeyring;
use stagebench_core::label::output::read_zpl;
use stagebench_core::label::{
    collect_labels, preview, queue_print, LabelData, LabelError, LabelRequest, LabelRequestError,
    LabelSource, PayloadUse,
};
use stagebench_core::printer::{DocumentKind, PrinterConfig, PrinterStore, PrinterTarget};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::{Flow, Stage};
use stagebench_core::store::{AuditFilter, Sighting, Store};
use time::{Duration, OffsetDateTime};

const TOKEN: &str = "LABEL-REQUEST-T0K3N";

fn batch(now: OffsetDateTime, expires_in_days: i64, wifi: bool) -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: format!("Wave {expires_in_days}"),
            profile: ProfileFacts {
                profile_id: String::new(),
                profile_name: "Warehouse staging".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: Some(now + Duration::days(expires_in_days)),
                wifi_ssid: None,
                carries_wifi_credentials: wifi,
                dem_account: None,
            },
            vendor: "Acme".into(),
            due: None,
            expected_count: None,
            expected_serials: vec!["R5CR0001".into(), "R5CR0002".into(), "R5CR0003".into()],
        },
        created_at: now,
        created_by: "admin".into(),
        origin: BatchOrigin::Local,
    }
}

fn payload(wifi: bool) -> String {
    let mut p = json!({
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME": "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": { "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": TOKEN }
    });
    if wifi {
        p["android.app.extra.PROVISIONING_WIFI_SSID"] = json!("Bench");
        p["android.app.extra.PROVISIONING_WIFI_PASSWORD"] = json!("correct horse");
    }
    p.to_string()
}

fn see(store: &mut Store, serial: &str, provisioned: bool) {
    let evidence = json!({
        "device_provisioned": provisioned, "user_setup_complete": provisioned,
        "device_owner": provisioned.then_some("com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"),
        "boot_count": 2, "intune_app": null, "company_portal": null, "authenticator": null, "imei": null,
        "firmware": {}, "unread": []
    });
    let id = store
        .record_sighting(
            &Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)]).with_facts(
                json!({"manufacturer": "Zebra", "model": "TC58", "evidence": evidence}),
            ),
        )
        .unwrap();
    store.assign_batch(id).unwrap();
}

fn request(source: LabelSource, template: &str, copies: u32) -> LabelRequest {
    LabelRequest {
        template: template.into(),
        source,
        copies,
        refuse_wifi_credentials: false,
    }
}

fn serials(labels: &[LabelData]) -> Vec<String> {
    labels
        .iter()
        .map(|l| match l {
            LabelData::Device(d) => d.serial.clone(),
            other => panic!("not a device label: {other:?}"),
        })
        .collect()
}

fn qr_displays(store: &Store) -> usize {
    store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::QrDisplay),
            ..AuditFilter::default()
        })
        .unwrap()
        .len()
}

fn setup() -> (Store, MemoryKeyring, Batch, OffsetDateTime) {
    let clock = ManualClock::at_test_epoch();
    let now = stagebench_core::clock::Clock::now(&clock);
    let mut store = Store::open_in_memory().unwrap().with_clock(clock);
    let b = batch(now, 30, false);
    store.create_batch(&b).unwrap();
    see(&mut store, "R5CR0001", false);
    see(&mut store, "R5CR0002", true);
    // A device seen without a serial cannot be labelled; it is counted, not dropped silently.
    (store, MemoryKeyring::new(), b, now)
}

#[tokio::test]
async fn a_batch_gives_its_devices_labels_all_or_at_one_stage_with_copies() {
    let (mut store, keyring, b, now) = setup();
    let all = request(
        LabelSource::Batch {
            batch: b.spec.name.clone(),
            stage: None,
        },
        "device-2x1in",
        2,
    );
    let got = collect_labels(&mut store, &keyring, &all, 300, PayloadUse::Masked, "tech")
        .await
        .unwrap();
    assert_eq!(
        serials(&got.labels),
        ["R5CR0001", "R5CR0001", "R5CR0002", "R5CR0002"],
        "in batch order, each copied"
    );
    assert_eq!((got.options.dpi, got.batch.as_ref()), (300, Some(&b.id)));

    // The stage filter keeps exactly the devices the batch's progress puts at that stage.
    let record = store.find_batch(b.id.as_str()).unwrap();
    let progress = batch_progress(&store, &record, now).unwrap();
    let stage_of = |serial: &str| {
        progress
            .devices
            .iter()
            .find(|d| d.serial.as_deref() == Some(serial))
            .unwrap()
            .state
            .stage
    };
    let (first, second) = (stage_of("R5CR0001"), stage_of("R5CR0002"));
    assert_ne!(
        first, second,
        "the test needs two stages: {first:?} {second:?}"
    );
    let only = request(
        LabelSource::Batch {
            batch: b.spec.name.clone(),
            stage: Some(second),
        },
        "device-2x1in",
        1,
    );
    let got = collect_labels(&mut store, &keyring, &only, 203, PayloadUse::Masked, "tech")
        .await
        .unwrap();
    assert_eq!(serials(&got.labels), ["R5CR0002"]);
    let none_there = [
        Stage::New,
        Stage::Scanning,
        Stage::Enrolling,
        Stage::BenchDone,
        Stage::InIntune,
    ]
    .into_iter()
    .find(|s| *s != first && *s != second)
    .unwrap();
    let empty = request(
        LabelSource::Batch {
            batch: b.spec.name.clone(),
            stage: Some(none_there),
        },
        "device-2x1in",
        1,
    );
    let err = collect_labels(
        &mut store,
        &keyring,
        &empty,
        203,
        PayloadUse::Masked,
        "tech",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, LabelRequestError::NoDevices { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "has no devices with a serial at stage {}",
            none_there.name()
        )),
        "{err}"
    );

    let typed = request(
        LabelSource::Serials {
            serials: vec![" a1 ".into(), "".into(), "B2".into()],
        },
        "device-2x1in",
        3,
    );
    let got = collect_labels(
        &mut store,
        &keyring,
        &typed,
        203,
        PayloadUse::Masked,
        "tech",
    )
    .await
    .unwrap();
    assert_eq!(
        serials(&got.labels),
        ["a1", "a1", "a1", "B2", "B2", "B2"],
        "trimmed, blanks dropped"
    );
    let zero = request(
        LabelSource::Serials {
            serials: vec!["A".into()],
        },
        "device-2x1in",
        0,
    );
    assert!(matches!(
        collect_labels(&mut store, &keyring, &zero, 203, PayloadUse::Masked, "tech").await,
        Err(LabelRequestError::Copies(0))
    ));
    assert_eq!(
        qr_displays(&store),
        0,
        "device labels show no enrollment QR"
    );
}

#[tokio::test]
async fn a_blocked_token_refuses_the_enrollment_label_before_its_payload_is_read() {
    let (mut store, keyring, _, now) = setup();
    let expired = batch(now, -1, false);
    store.create_batch(&expired).unwrap();
    keep_qr(&keyring, &expired.id, &SecretText::new(payload(false)))
        .await
        .unwrap();
    let req = request(
        LabelSource::Enrollment {
            batch: expired.id.to_string(),
        },
        "enrollment-4x6in",
        1,
    );
    for mode in [PayloadUse::Reveal, PayloadUse::Masked] {
        let err = collect_labels(&mut store, &keyring, &req, 203, mode, "tech")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LabelRequestError::Label(LabelError::TokenBlocked { .. })
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("expired on") && !err.to_string().contains(TOKEN),
            "{err}"
        );
    }
    let err = preview(&mut store, &keyring, &req, 203, PayloadUse::Reveal, "tech")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LabelRequestError::Label(LabelError::TokenBlocked { .. })
        ),
        "{err}"
    );
    assert_eq!(
        qr_displays(&store),
        0,
        "a refused label records no QR display"
    );

    // A bench that refuses Wi-Fi credentials refuses a label whose profile carries them, also
    // before reading the payload.
    let wifi = batch(now, 30, true);
    store.create_batch(&wifi).unwrap();
    keep_qr(&keyring, &wifi.id, &SecretText::new(payload(true)))
        .await
        .unwrap();
    let mut req = request(
        LabelSource::Enrollment {
            batch: wifi.id.to_string(),
        },
        "enrollment-4x6in",
        1,
    );
    req.refuse_wifi_credentials = true;
    let err = collect_labels(&mut store, &keyring, &req, 203, PayloadUse::Reveal, "tech")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LabelRequestError::Label(LabelError::WifiCredentialsRefused { .. })
        ),
        "{err}"
    );
    assert_eq!(qr_displays(&store), 0);
}

#[tokio::test]
async fn the_enrollment_preview_is_masked_until_revealed_and_the_reveal_is_audited() {
    let (mut store, keyring, _, now) = setup();
    let b = batch(now, 30, false);
    store.create_batch(&b).unwrap();
    let real = payload(true);
    keep_qr(&keyring, &b.id, &SecretText::new(real.clone()))
        .await
        .unwrap();
    let req = request(
        LabelSource::Enrollment {
            batch: b.id.to_string(),
        },
        "enrollment-4x6in",
        1,
    );

    let masked = preview(&mut store, &keyring, &req, 203, PayloadUse::Masked, "tech")
        .await
        .unwrap();
    assert!(masked.facts.masked);
    assert!(
        masked.facts.wifi_credentials,
        "the Wi-Fi key in the payload is found without showing it"
    );
    assert!(
        masked
            .facts
            .warnings
            .iter()
            .any(|w| w.contains("Wi-Fi credentials")),
        "{:?}",
        masked.facts.warnings
    );
    assert_eq!(
        qr_displays(&store),
        0,
        "a masked preview is not a QR display"
    );
    let shown = decode(&masked.png);
    assert_eq!(shown.len(), 1);
    assert!(
        shown[0].starts_with("masked") && !shown[0].contains(TOKEN),
        "{}",
        shown[0]
    );
    assert_eq!(shown[0].len(), real.len());

    let revealed = preview(&mut store, &keyring, &req, 203, PayloadUse::Reveal, "tech")
        .await
        .unwrap();
    assert!(!revealed.facts.masked);
    assert_eq!(
        decode(&revealed.png),
        [real],
        "the revealed preview is the real code"
    );
    assert_eq!(
        qr_displays(&store),
        1,
        "the reveal is audited as a QR display"
    );
    assert_eq!(
        (
            masked.facts.qr_module_dots,
            masked.facts.qr_modules,
            masked.facts.label_dots
        ),
        (
            revealed.facts.qr_module_dots,
            revealed.facts.qr_modules,
            revealed.facts.label_dots
        ),
        "the stand-in has the real code's size"
    );
    assert!(revealed.facts.qr_module_dots.unwrap() >= 4);
    assert_eq!((revealed.facts.labels, revealed.facts.pages), (1, 1));
}

#[tokio::test]
async fn a_print_is_rendered_for_the_printer_and_queued() {
    let (mut store, keyring, b, _) = setup();
    store
        .printer_save(&PrinterConfig {
            name: "zebra".into(),
            target: PrinterTarget::Raw {
                host: "127.0.0.1".into(),
                port: 9,
            },
            dpi: Some(300),
            media: None,
        })
        .unwrap();
    let req = request(
        LabelSource::Batch {
            batch: b.id.to_string(),
            stage: None,
        },
        "device-2x1in",
        1,
    );
    let queued = queue_print(&mut store, &keyring, &req, "zebra", 203, "tech")
        .await
        .unwrap();
    assert_eq!(
        (queued.dpi, queued.format, queued.labels),
        (300, "zpl", 2),
        "the printer's resolution, ZPL for raw"
    );
    let job = store.print_job(queued.job).unwrap().unwrap();
    assert_eq!(
        (
            job.kind.as_str(),
            job.label_kind.as_deref(),
            job.batch.as_deref()
        ),
        (
            DocumentKind::Zpl.name(),
            Some("device"),
            Some(b.id.as_str())
        )
    );
    assert_eq!(job.title, "StageBench device-2x1in (2 labels)");
    let Some(stagebench_core::store::PrintData::Bytes(bytes)) =
        store.print_job_data(queued.job).unwrap()
    else {
        panic!("bytes kept")
    };
    let labels = read_zpl(&String::from_utf8(bytes).unwrap()).unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0].print_width, 600, "2 in at 300 dpi");

    let err = queue_print(&mut store, &keyring, &req, "nowhere", 203, "tech")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no printer \"nowhere\""), "{err}");
}

/// Every QR code in a PNG, read by rqrr.
fn decode(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// A box template boxes the devices asked for: one label whose QR holds every serial, one per
/// line, with the batch and the count; a batch at one stage boxes only those devices. An
/// enrollment QR never goes on a device or box template, nor a device on an enrollment one, and
/// saying so reads no payload.
#[tokio::test]
async fn a_box_template_puts_the_devices_in_one_box_label() {
    let (mut store, keyring, b, _) = setup();
    let whole = request(
        LabelSource::Batch {
            batch: b.spec.name.clone(),
            stage: None,
        },
        "box-4x6in",
        2,
    );
    let got = collect_labels(
        &mut store,
        &keyring,
        &whole,
        203,
        PayloadUse::Masked,
        "tech",
    )
    .await
    .unwrap();
    assert_eq!(got.labels.len(), 2, "one box label, twice");
    let LabelData::Box(boxed) = &got.labels[0] else {
        panic!("a box label: {:?}", got.labels[0])
    };
    assert_eq!(
        (boxed.serials.as_slice(), boxed.batch.as_deref()),
        (
            &["R5CR0001".to_owned(), "R5CR0002".to_owned()][..],
            Some(b.spec.name.as_str())
        )
    );
    let shown = preview(
        &mut store,
        &keyring,
        &whole,
        203,
        PayloadUse::Masked,
        "tech",
    )
    .await
    .unwrap();
    assert_eq!(
        decode(&shown.png),
        ["R5CR0001\nR5CR0002"],
        "the box's QR lists its serials"
    );

    let typed = request(
        LabelSource::Serials {
            serials: vec!["BOXA1".into(), " BOXA2 ".into()],
        },
        "box-4x6in",
        1,
    );
    let got = collect_labels(
        &mut store,
        &keyring,
        &typed,
        203,
        PayloadUse::Masked,
        "tech",
    )
    .await
    .unwrap();
    assert!(
        matches!(&got.labels[..], [LabelData::Box(b)] if b.serials == ["BOXA1", "BOXA2"] && b.batch.is_none()),
        "{:?}",
        got.labels
    );

    keyring_keeps_payload(&keyring, &b.id).await;
    let wrong = request(
        LabelSource::Enrollment {
            batch: b.spec.name.clone(),
        },
        "box-4x6in",
        1,
    );
    let err = collect_labels(
        &mut store,
        &keyring,
        &wrong,
        203,
        PayloadUse::Reveal,
        "tech",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("template box-4x6in is for box labels, not enrollment labels"),
        "{err}"
    );
    let wrong = request(
        LabelSource::Serials {
            serials: vec!["A1".into()],
        },
        "enrollment-4x6in",
        1,
    );
    let err = collect_labels(
        &mut store,
        &keyring,
        &wrong,
        203,
        PayloadUse::Reveal,
        "tech",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("pick a device or box template"),
        "{err}"
    );
    assert_eq!(qr_displays(&store), 0, "no payload was read");
}

async fn keyring_keeps_payload(keyring: &MemoryKeyring, batch: &BatchId) {
    keep_qr(keyring, batch, &SecretText::new(payload(false)))
        .await
        .unwrap();
}
