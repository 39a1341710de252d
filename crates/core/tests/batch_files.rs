//! The two files between an admin and an offline vendor bench (issue 5): the encrypted bench
//! pack and the signed batch report, as whole files: round trips, damage in transit (cuts,
//! flipped bytes, CRLF), the wrong file picked, tampering, and secrets kept out of errors.

use std::io::Write;
use std::time::Instant;

use age::armor::{ArmoredWriter, Format};
use age::secrecy::SecretString;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::Digest;
use stagebench_core::batch::key::{self, KeyError, ReportSigningKey, KEY_ENTRY};
use stagebench_core::batch::pack::{self, BenchPack, PackError};
use stagebench_core::batch::report::{self, BatchReport, ReportError};
use stagebench_core::batch::{
    Batch, BatchOrigin, BatchSpec, BenchInfo, ProfileFacts, ReportDevice, ReportEvent, ReportSerial,
};
use stagebench_core::identity::SerialSource;
use stagebench_core::ids::BatchId;
use stagebench_core::intune::auth::{MemoryKeyring, SecretStore};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::{Flow, Stage};
use stagebench_core::store::Store;
use time::{Date, Duration, Month, OffsetDateTime};

const PASSPHRASE: &str = "K7QF-2ZD9-MNPQ-X4RT-8HJW-C3VB";
const TOKEN: &str = "ENRTOKEN7f3a9c1e5b2d44";
const WIFI_KEY: &str = "Wh-K3y!s3cretWarehouse";
/// Packs in tests use a cheap scrypt factor; one test checks the real one.
const TEST_WORK: u8 = 10;

fn at(minutes: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_741_597_200).unwrap() + Duration::minutes(minutes)
}

fn batch() -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: "Warehouse scanners, wave 3".into(),
            profile: ProfileFacts {
                profile_id: "6f1c2d0e-0000-4000-8000-00000000a001".into(),
                profile_name: "Scanners (dedicated)".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: Some(at(60 * 24 * 30)),
                wifi_ssid: Some("Warehouse".into()),
                carries_wifi_credentials: true,
                dem_account: None,
            },
            vendor: "Acme Staging".into(),
            due: Some(Date::from_calendar_date(2025, Month::March, 14).unwrap()),
            expected_count: Some(3),
            expected_serials: vec!["R5CR100001".into(), "0012345".into()],
        },
        created_at: at(0),
        created_by: "admin@contoso.example".into(),
        origin: BatchOrigin::Local,
    }
}

fn qr_payload() -> SecretText {
    SecretText::new(
        serde_json::json!({
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":
                "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
            "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":
                {"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": TOKEN},
            "android.app.extra.PROVISIONING_WIFI_SSID": "Warehouse",
            "android.app.extra.PROVISIONING_WIFI_PASSWORD": WIFI_KEY,
        })
        .to_string(),
    )
}

fn bench_pack() -> BenchPack {
    let mut pack = BenchPack::new(batch(), qr_payload(), "admin@contoso.example", at(5));
    pack.tenant = Some("contoso.onmicrosoft.com".into());
    pack.note = Some("Ring Ana before you start: +1 555 0100".into());
    pack
}

fn pass() -> SecretText {
    SecretText::new(PASSPHRASE)
}

fn sealed() -> Vec<u8> {
    pack::seal_with_work_factor(&bench_pack(), &pass(), TEST_WORK).unwrap()
}

/// Encrypts any plaintext the way a pack is, to make packs this StageBench would not write.
fn age_seal(plain: &[u8]) -> Vec<u8> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(PASSPHRASE.to_owned()));
    recipient.set_work_factor(TEST_WORK);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let armored = ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor).unwrap();
    let mut writer = encryptor.wrap_output(armored).unwrap();
    writer.write_all(plain).unwrap();
    writer.finish().unwrap().finish().unwrap()
}

fn pack_json(version: u32, qr_payload: &str, batch: serde_json::Value) -> Vec<u8> {
    serde_json::json!({
        "format": "stagebench-bench-pack", "version": version,
        "pack_id": "0123456789abcdef0123456789abcdef", "created_at": "2025-03-10T09:00:00Z",
        "created_by": "admin@contoso.example", "batch": batch, "qr_payload": qr_payload,
    })
    .to_string()
    .into_bytes()
}

fn device(i: usize) -> ReportDevice {
    let serial = format!("R5CR1{i:05}");
    let technician = Some(if i.is_multiple_of(2) { "ana" } else { "ben" }.to_owned());
    let event = |minutes: i64, kind: &str, detail: &str, technician: Option<String>| ReportEvent {
        at: at(minutes + i as i64),
        kind: kind.into(),
        detail: detail.into(),
        technician,
    };
    ReportDevice {
        serials: vec![
            ReportSerial {
                value: serial.clone(),
                source: SerialSource::UsbDescriptor,
            },
            ReportSerial {
                value: serial,
                source: SerialSource::RoSerialno,
            },
            ReportSerial {
                value: format!("35824005{i:07}"),
                source: SerialSource::Imei,
            },
        ],
        slot: Some((i % 16) as u32 + 1),
        manufacturer: Some("samsung".into()),
        model: Some("SM-A525F".into()),
        os_version: Some("14".into()),
        stage: Stage::BenchDone,
        events: vec![
            event(0, "seen", "attached at slot", None),
            event(1, "qr-shown", "QR shown", technician.clone()),
            event(
                6,
                "provisioned",
                "provisioned, Intune owner, boot count 3",
                None,
            ),
            event(9, "enrolling", "setup running", None),
            event(
                12,
                "powered-off",
                "powered off by the technician",
                technician,
            ),
            event(30, "intune-seen", "in Intune", None),
        ],
        problems: if i.is_multiple_of(5) {
            vec!["reboot-during-enrollment".into()]
        } else {
            vec![]
        },
        box_label: None,
    }
}

fn bench_info() -> BenchInfo {
    BenchInfo {
        app_version: "0.1.0".into(),
        technician: "ana, ben".into(),
        hostname: Some("bench-7".into()),
    }
}

fn batch_report(key: &ReportSigningKey, devices: usize) -> BatchReport {
    BatchReport::new(
        batch(),
        Some("0123456789abcdef0123456789abcdef".into()),
        bench_info(),
        key.public(),
        (0..devices).map(device).collect(),
        at(600),
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Neither the passphrase nor a secret of the payload shows in `shown`.
fn assert_no_secret(shown: &str) {
    for secret in [PASSPHRASE, TOKEN, WIFI_KEY] {
        assert!(!shown.contains(secret), "a secret leaked: {shown}");
    }
}

// ---- bench pack ----

#[test]
fn pack_round_trip_keeps_every_field_and_hides_the_secrets() {
    let pack = bench_pack();
    let bytes = pack::seal_with_work_factor(&pack, &pass(), TEST_WORK).unwrap();
    let shown = text(&bytes);
    assert!(
        shown.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"),
        "{shown}"
    );
    assert!(
        shown
            .trim_end()
            .ends_with("-----END AGE ENCRYPTED FILE-----"),
        "{shown}"
    );
    assert_no_secret(&shown);
    assert!(
        !shown.contains("Warehouse"),
        "nothing of the batch is in clear either"
    );

    let opened = pack::open(&bytes, &pass()).unwrap();
    assert_eq!(opened.pack_id, pack.pack_id);
    assert_eq!(opened.created_at, pack.created_at);
    assert_eq!(opened.created_by, pack.created_by);
    assert_eq!(opened.tenant, pack.tenant);
    assert_eq!(opened.batch, pack.batch);
    assert_eq!(opened.note, pack.note);
    assert_eq!(opened.qr_payload.expose(), pack.qr_payload.expose());
    assert_no_secret(&format!("{opened:?} {pack:?} {pack:#?}"));
}

#[test]
fn default_seal_uses_the_real_work_factor() {
    use std::io::Read;
    let bytes = pack::seal(&bench_pack(), &pass()).unwrap();
    // The scrypt stanza (`-> scrypt <salt> <log_n>`) is the second line inside the armor.
    let mut plain = Vec::new();
    age::armor::ArmoredReader::new(&bytes[..])
        .read_to_end(&mut plain)
        .unwrap();
    let stanza = plain
        .split(|b| *b == b'\n')
        .nth(1)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap();
    let log_n: u8 = stanza.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        stanza.starts_with("-> scrypt ") && log_n > TEST_WORK,
        "{stanza}"
    );
    assert_eq!(
        pack::open(&bytes, &pass()).unwrap().qr_payload.expose(),
        qr_payload().expose()
    );
}

#[test]
fn wrong_passphrase_is_named() {
    let err = pack::open(&sealed(), &SecretText::new("K7QF-2ZD9-MNPQ-X4RT-8HJW-C3VX")).unwrap_err();
    assert!(matches!(err, PackError::WrongPassphrase), "{err:?}");
    assert!(err.to_string().contains("passphrase"), "{err}");
}

#[test]
fn cut_packs_say_truncated() {
    let bytes = sealed();
    let without_last_line = {
        let trimmed = &bytes[..bytes.len() - 1];
        let cut = trimmed.iter().rposition(|b| *b == b'\n').unwrap() + 1;
        bytes[..cut].to_vec()
    };
    for (what, cut) in [
        ("half", bytes[..bytes.len() / 2].to_vec()),
        ("last line removed", without_last_line),
        ("last 10 bytes removed", bytes[..bytes.len() - 10].to_vec()),
    ] {
        let err = pack::open(&cut, &pass()).unwrap_err();
        assert!(
            matches!(err, PackError::Truncated { .. }),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("again"), "{what}: {err}");
    }
    // Every cut point (but the empty file, which is "not a pack").
    for cut in (1..bytes.len() - 1).step_by(7) {
        let err = pack::open(&bytes[..cut], &pass()).unwrap_err();
        assert!(
            matches!(err, PackError::Truncated { .. }),
            "cut at {cut}: {err:?}"
        );
    }
    assert!(matches!(
        pack::open(b"", &pass()),
        Err(PackError::NotAPack { .. })
    ));
}

#[test]
fn body_cut_short_inside_intact_armor_is_truncated_or_corrupt() {
    // Lines lost from the middle of a mail body, the end line kept.
    let shown = text(&sealed());
    let lines: Vec<&str> = shown.lines().collect();
    let kept = [&lines[..2], &lines[lines.len() - 1..]].concat().join("\n");
    let err = pack::open(kept.as_bytes(), &pass()).unwrap_err();
    assert!(
        matches!(err, PackError::Truncated { .. } | PackError::Corrupt { .. }),
        "{err:?}"
    );
}

#[test]
fn flipped_bytes_give_clean_errors() {
    let bytes = sealed();
    let body_start = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    let body_end = bytes.len() - "-----END AGE ENCRYPTED FILE-----\n".len();
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..60 {
        let mut damaged = bytes.clone();
        let at = rng.gen_range(body_start..body_end);
        damaged[at] ^= rng.gen_range(1..=255u8);
        let err = pack::open(&damaged, &pass()).unwrap_err();
        assert!(
            matches!(
                err,
                PackError::Corrupt { .. }
                    | PackError::WrongPassphrase
                    | PackError::Truncated { .. }
            ),
            "byte {at}: {err:?}"
        );
        assert_no_secret(&format!("{err} {err:?}"));
    }
}

#[test]
fn packs_survive_crlf_and_mail_clutter() {
    let crlf = text(&sealed()).replace('\n', "\r\n");
    let cluttered = format!("\r\n\r\n{crlf}\r\n-- \r\nSent from my phone\r\n");
    let opened = pack::open(cluttered.as_bytes(), &pass()).unwrap();
    assert_eq!(opened.qr_payload.expose(), qr_payload().expose());
}

#[test]
fn a_dearmored_pack_opens_and_a_cut_one_is_a_clean_error() {
    use std::io::Read;
    let mut binary = Vec::new();
    age::armor::ArmoredReader::new(&sealed()[..])
        .read_to_end(&mut binary)
        .unwrap();
    assert!(binary.starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(
        pack::open(&binary, &pass()).unwrap().qr_payload.expose(),
        qr_payload().expose()
    );
    for cut in [binary.len() / 2, binary.len() - 1, 40] {
        let err = pack::open(&binary[..cut], &pass()).unwrap_err();
        assert!(
            matches!(err, PackError::Truncated { .. } | PackError::Corrupt { .. }),
            "{err:?}"
        );
    }
}

#[test]
fn other_files_are_not_packs() {
    let key = ReportSigningKey::generate();
    let report_file = report::sign(&batch_report(&key, 2), &key).unwrap();
    let err = pack::open(&report_file, &pass()).unwrap_err();
    assert!(matches!(err, PackError::NotAPack { .. }), "{err:?}");
    assert!(err.to_string().contains("batch report"), "{err}");

    let mut rng = StdRng::seed_from_u64(9);
    let random_text: String = (0..400)
        .map(|_| char::from(rng.gen_range(b' '..=b'~')))
        .collect();
    for other in [
        random_text.as_bytes(),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"serial,imei\r\n",
        b"",
    ] {
        let err = pack::open(other, &pass()).unwrap_err();
        assert!(matches!(err, PackError::NotAPack { .. }), "{err:?}");
    }
}

#[test]
fn newer_and_foreign_content_is_refused() {
    let batch = serde_json::to_value(batch()).unwrap();
    let err = pack::open(&age_seal(&pack_json(2, "{}", batch.clone())), &pass()).unwrap_err();
    assert!(
        matches!(err, PackError::UnsupportedVersion { found: 2 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("update StageBench"), "{err}");

    // Version 1 built by hand opens: the format is what the docs say.
    let opened = pack::open(
        &age_seal(&pack_json(1, "{\"a\":1}", batch.clone())),
        &pass(),
    )
    .unwrap();
    assert_eq!(opened.qr_payload.expose(), "{\"a\":1}");

    let mut bad_id = batch.clone();
    bad_id["id"] = serde_json::json!(TOKEN);
    for plain in [
        b"hello, world".to_vec(),
        br#"{"format":"something-else","version":1}"#.to_vec(),
        pack_json(1, &format!("not json {TOKEN} {WIFI_KEY}"), batch),
        pack_json(1, "{}", bad_id),
    ] {
        let err = pack::open(&age_seal(&plain), &pass()).unwrap_err();
        assert!(matches!(err, PackError::Corrupt { .. }), "{err:?}");
        assert_no_secret(&format!("{err} {err:?}"));
    }
}

#[test]
fn weak_passphrases_and_bad_payloads_are_refused_when_sealing() {
    for weak in ["short-Pass1", "onlylowercaseletters", "111111111111111"] {
        let err = pack::seal(&bench_pack(), &SecretText::new(weak)).unwrap_err();
        assert!(matches!(err, PackError::WeakPassphrase { .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains(weak), "{err}");
    }
    let mut pack = bench_pack();
    pack.qr_payload = SecretText::new(format!("{TOKEN} {WIFI_KEY}"));
    let err = pack::seal(&pack, &pass()).unwrap_err();
    assert!(matches!(err, PackError::Seal { .. }), "{err:?}");
    assert_no_secret(&format!("{err} {err:?}"));
    pack::check_passphrase(&pack::generate_passphrase()).unwrap();
}

#[test]
fn no_error_shows_a_secret() {
    let bytes = sealed();
    let mut errors = vec![
        pack::open(&bytes, &SecretText::new(format!("{PASSPHRASE}x"))).unwrap_err(),
        pack::open(&bytes[..bytes.len() / 3], &pass()).unwrap_err(),
        pack::open(TOKEN.as_bytes(), &pass()).unwrap_err(),
        pack::seal(&bench_pack(), &SecretText::new("enrtokenonlylowercase")).unwrap_err(),
    ];
    let mut damaged = bytes.clone();
    damaged[200] ^= 0x20;
    errors.push(pack::open(&damaged, &pass()).unwrap_err());
    for err in errors {
        assert_no_secret(&format!("{err} {err:?}"));
        assert!(!format!("{err} {err:?}").contains("enrtokenonlylowercase"));
    }
}

// ---- batch report ----

#[test]
fn report_round_trip() {
    let key = ReportSigningKey::generate();
    let report = batch_report(&key, 3);
    let bytes = report::sign(&report, &key).unwrap();
    let shown = text(&bytes);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 5, "{shown}");
    assert!(lines[0].starts_with("# StageBench batch report v1."));
    assert!(
        lines[1]
            .starts_with(r#"{"format":"stagebench-batch-report","version":1,"device_count":3,"#),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "-----BEGIN STAGEBENCH SIGNATURE-----");
    assert!(lines[3].starts_with(&format!("ed25519 {} ", key.public().key_b64)));
    assert_eq!(lines[4], "-----END STAGEBENCH SIGNATURE-----");

    let verified = report::verify(&bytes).unwrap();
    assert_eq!(verified.report, report);
    assert_eq!(verified.signer, key.public());
    assert_eq!(verified.digest.len(), 64);
    assert_eq!(
        report::sign(&report, &key).unwrap(),
        bytes,
        "signing is deterministic"
    );
}

#[test]
fn crlf_and_a_byte_order_mark_still_verify_with_the_same_digest() {
    let key = ReportSigningKey::generate();
    let bytes = report::sign(&batch_report(&key, 2), &key).unwrap();
    let original = report::verify(&bytes).unwrap();
    let windows = format!("\u{feff}{}", text(&bytes).replace('\n', "\r\n"));
    let verified = report::verify(windows.as_bytes()).unwrap();
    assert_eq!(verified, original);
    let no_final_newline = &bytes[..bytes.len() - 1];
    assert_eq!(
        report::verify(no_final_newline).unwrap().digest,
        original.digest
    );
    let sha = sha2::Sha256::digest(&bytes);
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(original.digest, hex, "the digest of the file as written");
}

/// Replaces the first `from` in the signed JSON line only.
fn edit_json(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let shown = text(bytes);
    let mut lines: Vec<String> = shown.split('\n').map(str::to_owned).collect();
    assert!(lines[1].contains(from), "{from} is not in the report");
    lines[1] = lines[1].replacen(from, to, 1);
    lines.join("\n").into_bytes()
}

#[test]
fn every_single_edit_breaks_the_signature() {
    let key = ReportSigningKey::generate();
    let other = ReportSigningKey::generate().public();
    let report = batch_report(&key, 3);
    let bytes = report::sign(&report, &key).unwrap();
    let first_at = report.devices[0].events[0]
        .at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let later = (report.devices[0].events[0].at + Duration::seconds(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut edited = vec![
        ("a serial", edit_json(&bytes, "R5CR100002", "R5CR100009")),
        ("a timestamp", edit_json(&bytes, &first_at, &later)),
        (
            "the stage",
            edit_json(
                &bytes,
                "\"stage\":\"bench-done\"",
                "\"stage\":\"in-intune\"",
            ),
        ),
        (
            "the count",
            edit_json(&bytes, "\"device_count\":3", "\"device_count\":4"),
        ),
        (
            "the signer in the JSON",
            edit_json(
                &edit_json(&bytes, &key.public().key_b64, &other.key_b64),
                &key.public().fingerprint,
                &other.fingerprint,
            ),
        ),
        (
            "the key in the signature block",
            text(&bytes)
                .replace(
                    &format!("ed25519 {}", key.public().key_b64),
                    &format!("ed25519 {}", other.key_b64),
                )
                .into_bytes(),
        ),
    ];
    // One device dropped and the count fixed to match, keeping the old signature.
    let shorter = BatchReport {
        devices: report.devices[..2].to_vec(),
        ..report.clone()
    };
    let shorter_line = text(&report::sign(&shorter, &key).unwrap())
        .split('\n')
        .nth(1)
        .unwrap()
        .to_owned();
    let mut lines: Vec<String> = text(&bytes).split('\n').map(str::to_owned).collect();
    lines[1] = shorter_line;
    edited.push(("a device dropped", lines.join("\n").into_bytes()));

    for (what, file) in edited {
        assert_ne!(file, bytes, "{what}: nothing changed");
        let err = report::verify(&file).unwrap_err();
        assert!(
            matches!(err, ReportError::Tampered | ReportError::KeyMismatch { .. }),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("export it again"), "{what}: {err}");
    }
}

/// Re-signs the part before the signature block with `key`, as a forger holding that key would.
fn resign(signed_part: &str, key: &ReportSigningKey) -> Vec<u8> {
    use base64::Engine;
    let signature =
        base64::engine::general_purpose::STANDARD.encode(key.sign(signed_part.as_bytes()));
    format!(
        "{signed_part}-----BEGIN STAGEBENCH SIGNATURE-----\ned25519 {} {signature}\n-----END STAGEBENCH SIGNATURE-----\n",
        key.public().key_b64
    )
    .into_bytes()
}

fn signed_part(bytes: &[u8]) -> String {
    let shown = text(bytes);
    let at = shown.find("-----BEGIN STAGEBENCH SIGNATURE-----").unwrap();
    shown[..at].to_owned()
}

#[test]
fn signer_and_count_are_checked_against_the_signed_content() {
    let key = ReportSigningKey::generate();
    let report = batch_report(&key, 3);
    let bytes = report::sign(&report, &key).unwrap();

    // Validly signed by another key than the one the report names.
    let forger = ReportSigningKey::generate();
    let err = report::verify(&resign(&signed_part(&bytes), &forger)).unwrap_err();
    assert!(matches!(err, ReportError::KeyMismatch { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&forger.public().fingerprint),
        "{err}"
    );

    // Signed by the right key, with a count that does not match (a bench bug, not an edit).
    let wrong_count = signed_part(&bytes).replacen("\"device_count\":3", "\"device_count\":5", 1);
    let err = report::verify(&resign(&wrong_count, &key)).unwrap_err();
    assert!(
        matches!(
            err,
            ReportError::CountMismatch {
                stated: 5,
                found: 3
            }
        ),
        "{err:?}"
    );

    // A newer format, in the first line or only in the JSON.
    let v2 = signed_part(&bytes).replacen("report v1.", "report v2.", 1);
    let err = report::verify(&resign(&v2, &key)).unwrap_err();
    assert!(
        matches!(err, ReportError::UnsupportedVersion { found: 2 }),
        "{err:?}"
    );
    let v2 = signed_part(&bytes).replacen("\"version\":1", "\"version\":2", 1);
    let err = report::verify(&resign(&v2, &key)).unwrap_err();
    assert!(
        matches!(err, ReportError::UnsupportedVersion { found: 2 }),
        "{err:?}"
    );

    // And sign refuses a key that is not the report's signer.
    let err = report::sign(&report, &forger).unwrap_err();
    assert!(matches!(err, ReportError::SignerMismatch { .. }), "{err:?}");
}

#[test]
fn reports_cut_anywhere_say_truncated() {
    let key = ReportSigningKey::generate();
    let bytes = report::sign(&batch_report(&key, 4), &key).unwrap();
    let crlf = text(&bytes).replace('\n', "\r\n").into_bytes();
    let mut rng = StdRng::seed_from_u64(42);
    for file in [&bytes, &crlf] {
        // Everything up to the end line's last character (only the final newline may go).
        let end = file.len() - if file.ends_with(b"\r\n") { 3 } else { 2 };
        let mut cuts: Vec<usize> = (0..200).map(|_| rng.gen_range(0..=end)).collect();
        cuts.extend([0, 1, 40, end]);
        for cut in cuts {
            let err = report::verify(&file[..cut]).unwrap_err();
            assert!(
                matches!(err, ReportError::Truncated { .. }),
                "cut at {cut} of {}: {err:?}",
                file.len()
            );
        }
    }
}

#[test]
fn other_files_are_not_reports() {
    let err = report::verify(&sealed()).unwrap_err();
    assert!(matches!(err, ReportError::NotAReport { .. }), "{err:?}");
    assert!(err.to_string().contains("bench pack"), "{err}");

    let key = ReportSigningKey::generate();
    let csv = report::report_csv(&batch_report(&key, 1));
    let err = report::verify(csv.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("CSV"), "{err}");
    for other in [
        &b"%PDF-1.7\n"[..],
        b"{\"devices\":[]}",
        b"\x00\x01\x02 binary",
    ] {
        assert!(matches!(
            report::verify(other),
            Err(ReportError::NotAReport { .. })
        ));
    }
}

#[test]
fn trailing_text_and_damaged_blocks_are_corrupt_not_panics() {
    let key = ReportSigningKey::generate();
    let bytes = report::sign(&batch_report(&key, 1), &key).unwrap();
    let shown = text(&bytes);
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..200 {
        let mut damaged = bytes.clone();
        // Not the final newline: turned into a CR it would be a CRLF file, still valid.
        let at = rng.gen_range(0..damaged.len() - 1);
        damaged[at] ^= rng.gen_range(1..=255u8);
        assert!(report::verify(&damaged).is_err(), "byte {at}");
    }
    let err = report::verify(format!("{shown}-- \nSent from my phone\n").as_bytes()).unwrap_err();
    assert!(matches!(err, ReportError::Corrupt(_)), "{err:?}");
}

// ---- the bench key ----

#[tokio::test]
async fn the_bench_key_is_made_once_and_a_damaged_one_is_never_replaced() {
    let (keyring, mut store) = (MemoryKeyring::new(), Store::open_in_memory().unwrap());
    let made = key::load_or_create(&keyring, &mut store).await.unwrap();
    let again = key::load_or_create(&keyring, &mut store).await.unwrap();
    assert_eq!(made.public(), again.public());
    assert_eq!(made.sign(b"x"), again.sign(b"x"));

    for damaged in ["not base64 at all!", "AAAA", ""] {
        keyring
            .set(KEY_ENTRY, &SecretText::new(damaged))
            .await
            .unwrap();
        let err = key::load_or_create(&keyring, &mut store).await.unwrap_err();
        assert!(matches!(err, KeyError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains(KEY_ENTRY), "{err}");
        assert_eq!(
            keyring.get(KEY_ENTRY).await.unwrap().unwrap().expose(),
            damaged,
            "kept as it was"
        );
        assert!(key::load(&keyring).await.is_err());
    }
}

// ---- CSV ----

/// RFC 4180 with CRLF rows and a byte-order mark, as `batch::csv` writes it.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}

#[test]
fn csv_keeps_imeis_and_leading_zeros_as_text() {
    let key = ReportSigningKey::generate();
    let mut report = batch_report(&key, 3);
    report.devices[1].serials.push(ReportSerial {
        value: "0012345".into(),
        source: SerialSource::Scanner,
    });
    let csv = report::report_csv(&report);
    assert!(csv.contains("\"=\"\"358240050000000\"\"\""), "{csv}");
    assert!(csv.contains("\"=\"\"0012345\"\"\""), "{csv}");

    let rows = parse_csv(&csv);
    assert_eq!(rows.len(), 4, "header and three devices");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    let column = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    assert_eq!(
        rows[0].len(),
        5 + 4 + 11,
        "usb-descriptor, ro-serialno, imei and scanner columns"
    );
    assert_eq!(rows[1][column("imei")], "=\"358240050000000\"");
    assert_eq!(rows[2][column("scanner")], "=\"0012345\"");
    assert_eq!(rows[1][column("primary serial")], "R5CR100000");
    assert_eq!(rows[1][column("device")], "1");
    assert_eq!(rows[1][column("stage")], "bench-done");
    assert_eq!(rows[1][column("stage 2 at")], "2025-03-10T09:12:00Z");
    assert_eq!(rows[1][column("first seen")], "2025-03-10T09:00:00Z");
    assert_eq!(rows[1][column("last event")], "intune-seen");
    assert_eq!(rows[1][column("technicians")], "ana");
    assert_eq!(rows[1][column("problems")], "reboot-during-enrollment");
    assert_eq!(rows[1][column("batch name")], "Warehouse scanners, wave 3");
    assert!(rows[2][column("serials")].contains("R5CR100001 (ro-serialno)"));
}

// ---- scale ----

#[test]
fn ten_thousand_devices_sign_and_verify() {
    let key = ReportSigningKey::generate();
    let report = batch_report(&key, 10_000);
    let started = Instant::now();
    let bytes = report::sign(&report, &key).unwrap();
    let verified = report::verify(&bytes).unwrap();
    assert_eq!(verified.report.devices.len(), 10_000);
    assert_eq!(verified.report, report);
    let csv = report::report_csv(&verified.report);
    assert_eq!(csv.matches("\r\n").count(), 10_001);
    eprintln!(
        "10,000 devices, {} bytes: sign + verify + CSV in {:?}",
        bytes.len(),
        started.elapsed()
    );
}

/// Issue 14: a device's box label travels with the batch: signed in the report (older reports,
/// without the field, still verify), and a column of the CSV when some device has one.
#[test]
fn a_box_label_is_signed_in_the_report_and_a_csv_column() {
    let key = ReportSigningKey::generate();
    let plain = report::report_csv(&batch_report(&key, 2));
    assert!(!plain.contains("box label"), "no column without a label");
    let mut labelled = batch_report(&key, 2);
    labelled.devices[1].box_label = Some("BOX0042".into());
    let bytes = report::sign(&labelled, &key).unwrap();
    let verified = report::verify(&bytes).unwrap();
    assert_eq!(
        verified.report.devices[1].box_label.as_deref(),
        Some("BOX0042")
    );
    let csv = report::report_csv(&verified.report);
    let header = csv.lines().next().unwrap();
    assert!(header.contains(",slot,box label,manufacturer,"), "{header}");
    assert!(csv.lines().nth(2).unwrap().contains(",BOX0042,"), "{csv}");
}
