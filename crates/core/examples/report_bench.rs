//! How long a large batch report takes to sign, verify and turn into CSV, and how much memory
//! that needs. Not part of the tests; run it by hand:
//!
//! ```text
//! cargo run --release -p stagebench-core --example report_bench -- --devices 10000
//! ```
//!
//! Each synthetic device has three serials (USB descriptor, `ro.serialno`, an IMEI) and six
//! stage events. Peak RSS is the process's high-water mark (`VmHWM`, Linux only).

use std::time::{Duration, Instant};

use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::batch::pack::{self, BenchPack};
use stagebench_core::batch::report::{self, BatchReport};
use stagebench_core::batch::{
    Batch, BatchOrigin, BatchSpec, BenchInfo, ProfileFacts, ReportDevice, ReportEvent, ReportSerial,
};
use stagebench_core::identity::SerialSource;
use stagebench_core::ids::BatchId;
use stagebench_core::secret::SecretText;
use stagebench_core::stage::{Flow, Stage};
use time::OffsetDateTime;

fn main() {
    let devices = match parse_devices(std::env::args().skip(1)) {
        Ok(n) => n,
        Err(message) => {
            eprintln!("{message}\nusage: report_bench [--devices N]");
            std::process::exit(2);
        }
    };
    let start = OffsetDateTime::now_utc();
    let key = ReportSigningKey::generate();
    let report = BatchReport::new(
        batch(start),
        None,
        BenchInfo {
            app_version: env!("CARGO_PKG_VERSION").into(),
            technician: "ana".into(),
            hostname: None,
        },
        key.public(),
        (0..devices).map(|i| device(i, start)).collect(),
        start,
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(format!("bench.{}", report::FILE_EXTENSION));

    let (bytes, sign_time) = timed(|| {
        let bytes = report::sign(&report, &key).expect("sign");
        std::fs::write(&path, &bytes).expect("write the report");
        bytes.len()
    });
    let (verified, verify_time) = timed(|| {
        let read = std::fs::read(&path).expect("read the report");
        report::verify(&read).expect("verify")
    });
    assert_eq!(verified.report.devices.len(), devices);
    let (csv, csv_time) = timed(|| report::report_csv(&verified.report));
    // Before the pack: scrypt's own memory (hundreds of MB at age's work factor) would hide
    // the report's.
    let report_rss = peak_rss();

    let pack = BenchPack::new(
        report.batch.clone(),
        SecretText::new("{\"token\":\"x\"}"),
        "admin",
        start,
    );
    let passphrase = pack::generate_passphrase();
    let (sealed, seal_time) = timed(|| pack::seal(&pack, &passphrase).expect("seal"));
    let (_, open_time) = timed(|| pack::open(&sealed, &passphrase).expect("open"));

    println!("devices:                 {devices}");
    println!("report file:             {:.1} MB", bytes as f64 / 1e6);
    println!("sign + write:            {}", ms(sign_time));
    println!("read + verify + parse:   {}", ms(verify_time));
    println!(
        "CSV:                     {} ({:.1} MB)",
        ms(csv_time),
        csv.len() as f64 / 1e6
    );
    println!("peak RSS (report steps): {report_rss}");
    println!(
        "pack seal (age scrypt):  {} (work factor 2^{})",
        ms(seal_time),
        work_factor(&sealed)
    );
    println!("pack open (age scrypt):  {}", ms(open_time));
    println!("peak RSS (with pack):    {}", peak_rss());
}

fn parse_devices(mut args: impl Iterator<Item = String>) -> Result<usize, String> {
    let mut devices = 10_000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--devices" => {
                let value = args.next().ok_or("--devices needs a number")?;
                devices = value
                    .parse()
                    .map_err(|_| format!("--devices {value:?} is not a number"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(devices)
}

/// The `log_n` of the pack's scrypt stanza (`-> scrypt <salt> <log_n>`, its second line).
fn work_factor(sealed: &[u8]) -> String {
    use std::io::Read;
    let mut header = Vec::new();
    let _ = age::armor::ArmoredReader::new(sealed)
        .take(200)
        .read_to_end(&mut header);
    let header = String::from_utf8_lossy(&header);
    header
        .lines()
        .nth(1)
        .and_then(|stanza| stanza.rsplit(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "n/a".to_owned())
}

fn batch(at: OffsetDateTime) -> Batch {
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: "Benchmark batch".into(),
            profile: ProfileFacts {
                profile_id: "bench-profile".into(),
                profile_name: "Scanners (dedicated)".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: None,
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: None,
            },
            vendor: "Acme Staging".into(),
            due: None,
            expected_count: None,
            expected_serials: Vec::new(),
        },
        created_at: at,
        created_by: "admin@contoso.example".into(),
        origin: BatchOrigin::Local,
    }
}

fn device(i: usize, start: OffsetDateTime) -> ReportDevice {
    let serial = format!("R5CR{i:06}");
    let kinds = [
        "seen",
        "qr-shown",
        "provisioned",
        "enrolling",
        "powered-off",
        "intune-seen",
    ];
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
                value: format!("3582400{i:08}"),
                source: SerialSource::Imei,
            },
        ],
        slot: Some((i % 16) as u32 + 1),
        manufacturer: Some("samsung".into()),
        model: Some("SM-A525F".into()),
        os_version: Some("14".into()),
        stage: Stage::InIntune,
        events: kinds
            .iter()
            .enumerate()
            .map(|(n, kind)| ReportEvent {
                at: start + time::Duration::minutes(n as i64 * 5),
                kind: (*kind).into(),
                detail: format!("{kind} at slot {}", i % 16 + 1),
                technician: (n == 1 || n == 4).then(|| "ana".to_owned()),
            })
            .collect(),
        problems: Vec::new(),
        box_label: None,
    }
}
