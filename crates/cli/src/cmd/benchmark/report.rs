//! `stagebench benchmark report`: a vendor's batch of `--devices` devices (three serials each, one
//! an IMEI, and a realistic history: sightings with stage evidence, joining the batch, powered off,
//! Intune's confirmation) in a fresh store, then the signed report exported from it and imported
//! (verified, kept) into a second store, with its CSV.
//!
//! Each side runs in its own child process (this binary, `--phase export|import`), so the peak
//! memory each reports (`VmHWM`, Linux) is that side's alone, not the set-up's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use serde_json::json;
use stagebench_core::batch::exchange::{export_report_with, import_report};
use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::batch::report::{report_csv, verify};
use stagebench_core::batch::BatchStore;
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::BatchId;
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::store::{JoinedBy, Sighting, Store, EVENT_POWERED_OFF};

/// Options.
#[derive(Args)]
pub struct ReportBench {
    /// Devices in the batch.
    #[arg(long, default_value_t = 10_000)]
    devices: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Internal: run one side in this process.
    #[arg(long, hide = true)]
    phase: Option<Phase>,
    /// Internal: the work folder.
    #[arg(long, hide = true)]
    dir: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Phase {
    Export,
    Import,
}

#[derive(Serialize, Deserialize)]
struct Side {
    ms: f64,
    peak_rss_mib: Option<f64>,
    bytes: u64,
    csv_ms: Option<f64>,
}

fn key_of(dir: &Path) -> anyhow::Result<ReportSigningKey> {
    // The benchmark's own key, kept in its folder (not the OS keyring: nothing to protect).
    let seed = std::fs::read(dir.join("bench.key"))?;
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| anyhow::anyhow!("bad benchmark key"))?;
    Ok(ReportSigningKey::from_seed(&seed))
}

fn set_up(dir: &Path, devices: u32) -> anyhow::Result<BatchId> {
    std::fs::write(dir.join("bench.key"), rand::random::<[u8; 32]>())?;
    let mut store = Store::open(&dir.join("vendor.sqlite3"))?;
    let now = time::OffsetDateTime::now_utc();
    let batch = super::batch_of(devices, now);
    store.create_batch(&batch)?;
    for i in 0..devices {
        let serial = format!("R5CR{:07}", i);
        let imei = luhn_imei(i);
        let evidence = |provisioned: bool, boot: u32| {
            json!({"slot_number": i % 50 + 1, "manufacturer": "samsung", "model": "SM-G991B", "android_release": "14",
            "evidence": {"device_provisioned": provisioned, "user_setup_complete": provisioned, "device_owner": provisioned.then_some("com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"),
                         "boot_count": boot, "intune_app": null, "company_portal": null, "authenticator": null, "imei": imei, "firmware": {}, "unread": []}})
        };
        let serials = [
            SerialObservation::new(SerialSource::UsbDescriptor, &serial),
            SerialObservation::new(SerialSource::RoSerialno, &serial),
            SerialObservation::new(SerialSource::Imei, &imei),
        ];
        let id = store
            .record_sighting(&Sighting::new(serials.clone()).with_facts(evidence(false, 2)))?;
        store.add_to_batch(&batch.id, id, JoinedBy::ExpectedSerial)?;
        store.record_sighting(&Sighting::new(serials).with_facts(evidence(true, 3)))?;
        store.record_action(id, EVENT_POWERED_OFF, "tech")?;
        let status = IntuneStatus::derive(
            &format!("i-{i}"),
            &format!("Staging_{serial}_AndroidEnterprise_1/2/2026_9:00 AM"),
            &serial,
            None,
            Some("managed"),
            None,
            None,
            None,
            None,
        );
        store.record_intune_status(Some(id), &status, now)?;
    }
    Ok(batch.id)
}

/// A Luhn-valid 15-digit IMEI for device `i`.
fn luhn_imei(i: u32) -> String {
    let body = format!("35824005{:06}", i);
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn phase(phase: Phase, dir: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let report = dir.join("report.txt");
    let side = match phase {
        Phase::Export => {
            let mut store = Store::open(&dir.join("vendor.sqlite3"))?;
            let batch = store
                .batches()?
                .into_iter()
                .next()
                .context("no batch")?
                .batch
                .id;
            let key = key_of(dir)?;
            let start = Instant::now();
            let exported = export_report_with(&mut store, &key, &batch, "tech", &report)?;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let start = Instant::now();
            let verified = verify(&std::fs::read(&report)?)?;
            std::fs::write(dir.join("report.csv"), report_csv(&verified.report))?;
            let csv_ms = start.elapsed().as_secs_f64() * 1000.0;
            Side {
                ms,
                peak_rss_mib: super::peak_rss_mib(),
                bytes: exported.bytes,
                csv_ms: Some(csv_ms),
            }
        }
        Phase::Import => {
            let mut store = Store::open(&dir.join("admin.sqlite3"))?;
            let bytes = std::fs::read(&report)?;
            // The admin's store never exported this batch: accept the vendor key as an admin
            // would, by its fingerprint.
            let accept = key_of(dir)?.public().fingerprint;
            let start = Instant::now();
            import_report(&mut store, &bytes, "admin", &report, Some(&accept))?;
            Side {
                ms: start.elapsed().as_secs_f64() * 1000.0,
                peak_rss_mib: super::peak_rss_mib(),
                bytes: bytes.len() as u64,
                csv_ms: None,
            }
        }
    };
    serde_json::to_writer(&mut *out, &side)?;
    writeln!(out)?;
    Ok(())
}

fn child(phase: &str, dir: &Path) -> anyhow::Result<Side> {
    let exe = std::env::current_exe()?;
    let output = std::process::Command::new(exe)
        .args(["benchmark", "report", "--phase", phase, "--dir"])
        .arg(dir)
        .output()?;
    if !output.status.success() {
        bail!(
            "the {phase} side failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Runs `stagebench benchmark report`.
pub fn run(args: &ReportBench, out: &mut dyn Write) -> anyhow::Result<()> {
    if let (Some(p), Some(dir)) = (args.phase, &args.dir) {
        return phase(p, dir, out);
    }
    let dir = std::env::temp_dir().join(format!(
        "stagebench-bench-report-{:08x}",
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)?;
    let result = (|| {
        let start = Instant::now();
        set_up(&dir, args.devices)?;
        let setup_ms = start.elapsed().as_secs_f64() * 1000.0;
        Ok::<_, anyhow::Error>((setup_ms, child("export", &dir)?, child("import", &dir)?))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let (setup_ms, export, import) = result?;
    if args.json {
        return super::super::write_json(
            out,
            &json!({"devices": args.devices, "setup_ms": setup_ms, "export": export, "import": import}),
        );
    }
    let mib = |s: &Side| {
        s.peak_rss_mib
            .map(|m| format!("{m:.0} MiB"))
            .unwrap_or_else(|| "n/a".into())
    };
    writeln!(
        out,
        "batch report of {} devices ({:.1} MB)",
        args.devices,
        export.bytes as f64 / 1e6
    )?;
    writeln!(
        out,
        "  export (store → signed file)   {:>8.0} ms   peak {}",
        export.ms,
        mib(&export)
    )?;
    writeln!(
        out,
        "  CSV (verify + write)           {:>8.0} ms",
        export.csv_ms.unwrap_or_default()
    )?;
    writeln!(
        out,
        "  import (verify → store)        {:>8.0} ms   peak {}",
        import.ms,
        mib(&import)
    )?;
    writeln!(
        out,
        "  (set-up of the vendor store: {:.1} s)",
        setup_ms / 1000.0
    )?;
    Ok(())
}
