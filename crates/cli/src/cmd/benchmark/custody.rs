//! `stagebench benchmark custody`: a batch's chain of custody for `--devices` devices (two
//! serials each, one an IMEI; three stage events; an audited label print for every tenth) as
//! the A4 PDF and the CSV: time and peak memory (`VmHWM`, Linux). The input is made up in
//! memory, so the figures are the documents' alone. The test with 1,500 devices
//! (`crates/core/tests/custody.rs`) checks what the documents say, not how fast.

use std::io::Write;
use std::time::Instant;

use clap::Args;
use serde::Serialize;
use serde_json::json;
use stagebench_core::audit::AuditRecord;
use stagebench_core::batch::custody::{custody_csv, custody_pdf, CustodyInput};
use stagebench_core::batch::{ReportDevice, ReportEvent, ReportSerial};
use stagebench_core::clock::timestamp;
use stagebench_core::identity::SerialSource;
use stagebench_core::stage::Stage;
use time::{Duration, OffsetDateTime};

/// Options.
#[derive(Args)]
pub struct CustodyBench {
    /// Devices in the batch.
    #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    devices: u32,
    /// Also write the PDF here.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    devices: u32,
    audit_records: usize,
    pdf_ms: f64,
    pdf_bytes: usize,
    csv_ms: f64,
    csv_bytes: usize,
    peak_rss_mib: Option<f64>,
}

/// Runs the benchmark.
pub fn run(args: &CustodyBench, out: &mut dyn Write) -> anyhow::Result<()> {
    let input = custody_of(args.devices);
    let started = Instant::now();
    let pdf = custody_pdf(&input);
    let pdf_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let csv = custody_csv(&input);
    let csv_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(path) = &args.out {
        std::fs::write(path, &pdf)?;
    }
    let report = Report {
        devices: args.devices,
        audit_records: input.audit.len(),
        pdf_ms,
        pdf_bytes: pdf.len(),
        csv_ms,
        csv_bytes: csv.len(),
        peak_rss_mib: super::peak_rss_mib(),
    };
    if args.json {
        return super::super::write_json(out, &report);
    }
    writeln!(
        out,
        "chain of custody of {} devices and {} audit records: PDF {:.1} MiB in {:.0} ms, CSV {:.1} MiB in {:.0} ms; peak RSS {}",
        report.devices,
        report.audit_records,
        report.pdf_bytes as f64 / 1048576.0,
        report.pdf_ms,
        report.csv_bytes as f64 / 1048576.0,
        report.csv_ms,
        report
            .peak_rss_mib
            .map(|m| format!("{m:.0} MiB"))
            .unwrap_or_else(|| "unknown".into())
    )?;
    Ok(())
}

/// A batch of `devices` devices with their histories and audit records.
fn custody_of(devices: u32) -> CustodyInput {
    let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let at = |minute: u32| start + Duration::minutes(i64::from(minute));
    let batch = super::batch_of(devices, start);
    let event = |minute: u32, kind: &str, detail: &str, technician: Option<&str>| ReportEvent {
        at: at(minute),
        kind: kind.into(),
        detail: detail.into(),
        technician: technician.map(str::to_owned),
    };
    let mut audit = Vec::new();
    let devices = (0..devices)
        .map(|i| {
            let serial = format!("SN{i:06}");
            if i % 10 == 0 {
                audit.push(AuditRecord {
                    id: audit.len() as i64 + 1,
                    at: timestamp(at(i)),
                    actor: "ana".into(),
                    action: "label-print".into(),
                    batch: Some(batch.id.as_str().to_owned()),
                    token: None,
                    device: Some(serial.clone()),
                    detail: json!({"copies": 1}),
                    hash: "0".repeat(64),
                });
            }
            ReportDevice {
                serials: vec![
                    ReportSerial {
                        value: serial,
                        source: SerialSource::RoSerialno,
                    },
                    ReportSerial {
                        value: format!("35824005{i:07}"),
                        source: SerialSource::Imei,
                    },
                ],
                slot: Some(i % 40 + 1),
                manufacturer: Some("Samsung".into()),
                model: Some("SM-A525F".into()),
                os_version: Some("14".into()),
                stage: if i % 3 == 0 {
                    Stage::InIntune
                } else {
                    Stage::Enrolling
                },
                events: vec![
                    event(i, "seen", "slot", None),
                    event(i + 1, "qr-shown", "QR shown", Some("ana")),
                    event(i + 5, "intune-seen", "Intune: enrolled", None),
                ],
                problems: Vec::new(),
                box_label: None,
            }
        })
        .collect();
    CustodyInput {
        batch,
        devices,
        audit,
        generated_at: at(100_000),
        generated_by: "ana".into(),
        signer_fingerprint: None,
        audit_head: None,
    }
}
