//! The chain-of-custody CSV and PDF of a batch: the CSV read back cell by cell, the PDF read back
//! with poppler's `pdftotext` and `pdfinfo` (Debian's `poppler-utils`, installed by
//! `make test`), for three devices and for 1,500.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use stagebench_core::audit::AuditRecord;
use stagebench_core::batch::csv::BOM;
use stagebench_core::batch::custody::{custody_csv, custody_pdf, CustodyInput};
use stagebench_core::batch::{
    Batch, BatchOrigin, BatchSpec, ProfileFacts, ReportDevice, ReportEvent, ReportSerial,
};
use stagebench_core::clock::timestamp;
use stagebench_core::identity::SerialSource;
use stagebench_core::ids::BatchId;
use stagebench_core::stage::{Flow, Stage};
use time::{Duration, Month, OffsetDateTime};

const MISSING: &str = "poppler-utils is not installed (pdftotext and pdfinfo read the PDFs back): run `make test`, which installs it, or `apt-get install poppler-utils`";

fn epoch() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_735_689_600).unwrap()
}

fn batch(name: &str) -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: name.into(),
            profile: ProfileFacts {
                profile_id: "1c9e7a2b-0000-4000-8000-000000000001".into(),
                profile_name: "Scanners (staging)".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: Some(epoch() + Duration::days(60)),
                wifi_ssid: Some("bench".into()),
                carries_wifi_credentials: true,
                dem_account: None,
            },
            vendor: "Überall Logistik GmbH".into(),
            due: time::Date::from_calendar_date(2025, Month::March, 1).ok(),
            expected_count: Some(3),
            expected_serials: vec!["R5CR10ABCDE".into(), "MISSING1".into()],
        },
        created_at: epoch(),
        created_by: "admin@contoso.com".into(),
        origin: BatchOrigin::Pack {
            pack_id: "pack-42".into(),
            created_by: "admin@contoso.com".into(),
        },
    }
}

fn serial(source: SerialSource, value: &str) -> ReportSerial {
    ReportSerial {
        value: value.into(),
        source,
    }
}

fn event(minute: i64, kind: &str, detail: &str, technician: Option<&str>) -> ReportEvent {
    ReportEvent {
        at: epoch() + Duration::minutes(minute),
        kind: kind.into(),
        detail: detail.into(),
        technician: technician.map(str::to_owned),
    }
}

fn device(
    serials: Vec<ReportSerial>,
    slot: Option<u32>,
    stage: Stage,
    events: Vec<ReportEvent>,
) -> ReportDevice {
    ReportDevice {
        serials,
        slot,
        manufacturer: Some("Samsung".into()),
        model: Some("SM-A525F".into()),
        os_version: Some("14".into()),
        stage,
        events,
        problems: Vec::new(),
        box_label: None,
    }
}

fn record(
    id: i64,
    minute: i64,
    action: &str,
    batch: Option<&BatchId>,
    device: Option<&str>,
    actor: &str,
) -> AuditRecord {
    AuditRecord {
        id,
        at: timestamp(epoch() + Duration::minutes(minute)),
        actor: actor.into(),
        action: action.into(),
        batch: batch.map(|b| b.as_str().to_owned()),
        token: None,
        device: device.map(str::to_owned),
        detail: json!(null),
        hash: "0".repeat(64),
    }
}

fn three_devices() -> CustodyInput {
    let batch = batch("Café Zürich scanners");
    let other = BatchId::random();
    let zoe = Some("Zoë Müller");
    let mut devices = vec![
        device(
            vec![
                serial(SerialSource::UsbDescriptor, "R5CR10ABCDE"),
                serial(SerialSource::RoSerialno, "R5CR10ABCDE"),
                serial(SerialSource::Imei, "358240051111110"),
                serial(SerialSource::Imei, "358240051111128"),
            ],
            Some(1),
            Stage::InIntune,
            vec![
                event(0, "seen", "slot 1", None),
                event(2, "qr-shown", "QR shown", zoe),
                event(30, "intune-seen", "Intune: enrolled, no user", None),
            ],
        ),
        device(
            vec![serial(SerialSource::RoSerialno, "0012345678")],
            Some(2),
            Stage::BenchDone,
            vec![
                event(1, "seen", "slot 2", None),
                event(3, "qr-shown", "QR shown", zoe),
                event(20, "powered-off", "confirmed off", zoe),
            ],
        ),
        device(
            vec![
                serial(SerialSource::UsbDescriptor, "ZY22ABC"),
                serial(SerialSource::Imei, "490154203237518"),
            ],
            None,
            Stage::New,
            vec![event(5, "seen", "no slot", None)],
        ),
    ];
    devices[0].problems.push("reboot-during-enrollment".into());
    let mut token = record(3, 0, "token-export", Some(&batch.id), None, "admin");
    token.token = Some("profile Scanners (staging), expires 2025-03-02".into());
    token.detail = json!({"to": "clipboard"});
    let mut print = record(
        5,
        4,
        "label-print",
        Some(&batch.id),
        Some("0012345678"),
        "Zoë Müller",
    );
    print.detail = json!({"copies": 2, "printer": "Zebra ZD421"});
    let audit = vec![
        record(1, -10, "pack-import", Some(&batch.id), None, "admin"),
        record(
            2,
            2,
            "qr-display",
            Some(&batch.id),
            Some("R5CR10ABCDE"),
            "Zoë Müller",
        ),
        token,
        record(
            4,
            3,
            "qr-display",
            Some(&other),
            Some("R5CR10ABCDE"),
            "other-batch-actor",
        ),
        print,
        record(6, 6, "device-added", None, Some("ZY22ABC"), "Zoë Müller"),
        record(
            7,
            7,
            "qr-reveal",
            None,
            Some("NOT-IN-BATCH"),
            "stranger-actor",
        ),
        record(8, 40, "report-export", Some(&batch.id), None, "Zoë Müller"),
    ];
    CustodyInput {
        batch,
        devices,
        audit,
        generated_at: epoch() + Duration::hours(2),
        generated_by: "Zoë Müller".into(),
        signer_fingerprint: Some("SHA256:9f2c1e0b7a".into()),
        audit_head: None,
    }
}

/// RFC 4180 rows (quoted cells, doubled quotes, CRLF), after the byte-order mark.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix(BOM).expect("starts with a BOM");
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        row.is_empty() && cell.is_empty(),
        "the last row ends with CRLF"
    );
    rows
}

fn poppler(tool: &str, pdf: &Path, extra: &[&str]) -> String {
    let out = Command::new(tool)
        .args(extra)
        .arg(pdf)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}; {MISSING}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn page_count(pdf: &Path) -> usize {
    let info = poppler("pdfinfo", pdf, &[]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in {info}"))
}

#[test]
fn csv_lists_every_custody_event_in_time_order() {
    let input = three_devices();
    let rows = parse_csv(&custody_csv(&input));
    assert_eq!(
        rows[0],
        [
            "time (UTC)",
            "batch",
            "serial",
            "imei",
            "imei 2",
            "slot",
            "event",
            "detail",
            "who",
            "audit id"
        ]
    );
    let body = &rows[1..];
    // 7 stage events, 6 audit records (not the other batch's, not the stranger's).
    assert_eq!(body.len(), 13, "{body:#?}");
    assert!(body
        .iter()
        .all(|r| r.len() == 10 && r[1] == input.batch.id.as_str()));
    let times: Vec<&str> = body.iter().map(|r| r[0].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");
    assert_eq!(body[0][0], "2024-12-31T23:50:00.000Z");
    assert_eq!(body[0][6], "pack-import");
    assert_eq!(body[0][9], "1");

    let find = |event: &str, serial_cell: &str| {
        body.iter()
            .find(|r| r[6] == event && r[2] == serial_cell)
            .unwrap_or_else(|| panic!("no {event} row for {serial_cell} in {body:#?}"))
    };
    let qr = find("qr-shown", "R5CR10ABCDE");
    assert_eq!(
        qr[3], "=\"358240051111110\"",
        "IMEIs stay text in spreadsheets"
    );
    assert_eq!(qr[4], "=\"358240051111128\"");
    assert_eq!(
        (qr[5].as_str(), qr[8].as_str(), qr[9].as_str()),
        ("1", "Zoë Müller", "")
    );
    let off = find("powered-off", "=\"0012345678\"");
    assert_eq!(off[5], "2");
    let print = find("label-print", "=\"0012345678\"");
    assert_eq!(print[7], "copies: 2, printer: Zebra ZD421");
    assert_eq!(print[9], "5");
    let added = find("device-added", "ZY22ABC");
    assert_eq!(
        (added[3].as_str(), added[5].as_str()),
        ("=\"490154203237518\"", "")
    );
    let token = find("token-export", "");
    assert_eq!(
        token[7],
        "token: profile Scanners (staging), expires 2025-03-02, to: clipboard"
    );
    assert!(body
        .iter()
        .all(|r| r[8] != "other-batch-actor" && r[8] != "stranger-actor"));
}

#[test]
fn pdf_shows_the_batch_every_serial_and_every_event() {
    let input = three_devices();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custody.pdf");
    std::fs::write(&path, custody_pdf(&input)).unwrap();
    let text = poppler("pdftotext", &path, &["-layout"]);
    let mut expected = vec![
        "Chain of custody — Café Zürich scanners",
        "Überall Logistik GmbH",
        "Zoë Müller",
        "SHA256:9f2c1e0b7a",
        "reboot-during-enrollment",
        "1 of 2 expected serials not seen",
        "page 1 of",
        input.batch.id.as_str(),
    ];
    let serials: Vec<&str> = input
        .devices
        .iter()
        .flat_map(|d| d.serials.iter().map(|s| s.value.as_str()))
        .collect();
    expected.extend(&serials);
    let kinds = [
        "seen",
        "qr-shown",
        "intune-seen",
        "powered-off",
        "pack-import",
        "qr-display",
        "token-export",
        "label-print",
        "device-added",
        "report-export",
    ];
    expected.extend(kinds);
    for needle in expected {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    for absent in ["other-batch-actor", "stranger-actor", "NOT-IN-BATCH"] {
        assert!(
            !text.contains(absent),
            "{absent:?} belongs to no device or batch of this document"
        );
    }
    let pages = page_count(&path);
    assert!(text.contains(&format!("page {pages} of {pages}")), "{text}");
}

#[test]
fn fifteen_hundred_devices_make_a_many_page_pdf() {
    let mut input = three_devices();
    input.devices.clear();
    input.audit.clear();
    for i in 0..1500u32 {
        let sn = format!("SN{i:06}");
        let minute = i64::from(i);
        input.devices.push(device(
            vec![
                serial(SerialSource::RoSerialno, &sn),
                serial(SerialSource::Imei, &format!("35824005{i:07}")),
            ],
            Some(i % 40 + 1),
            if i % 3 == 0 {
                Stage::InIntune
            } else {
                Stage::Enrolling
            },
            vec![
                event(minute, "seen", "slot", None),
                event(minute + 1, "qr-shown", "QR shown", Some("Zoë Müller")),
                event(minute + 5, "intune-seen", "Intune: enrolled", None),
            ],
        ));
        if i % 10 == 0 {
            let id = input.audit.len() as i64 + 1;
            input.audit.push(record(
                id,
                minute,
                "label-print",
                Some(&input.batch.id),
                Some(&sn),
                "Zoë Müller",
            ));
        }
    }
    // What the documents say, not how fast they are made: `stagebench benchmark custody`
    // measures 1,500 devices.
    let pdf = custody_pdf(&input);
    let csv = custody_csv(&input);
    assert_eq!(parse_csv(&csv).len(), 1 + 1500 * 3 + 150);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custody.pdf");
    std::fs::write(&path, pdf).unwrap();
    let pages = page_count(&path);
    assert!(pages > 100, "{pages} pages");
    let text = poppler("pdftotext", &path, &["-layout"]);
    for needle in [
        "page 1 of".to_owned(),
        format!("page {pages} of {pages}"),
        "SN000000".to_owned(),
        "SN001499".to_owned(),
        "358240050001499".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle:?} missing");
    }
    // Every page after the first repeats the running header.
    let headers = text
        .matches("Chain of custody — Café Zürich scanners · batch")
        .count();
    assert_eq!(headers, pages - 1);
}
