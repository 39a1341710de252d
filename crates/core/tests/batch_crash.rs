//! A kill during bench pack import or report export leaves the store consistent.
//!
//! A child process — this test binary re-run with `--exact writer_child` — imports bench packs
//! (each a new batch), gives each batch 40 devices and exports its signed report, over and
//! over, printing `committed pack <batch>` and `committed report <file>` after each step. The
//! parent SIGKILLs it at varying points, several rounds on one store, and then checks: the
//! database is sound; every batch has exactly one `pack-import` audit record and every such
//! record its batch (the two land in one transaction); every step reported as done is there;
//! the audit chain is intact; every report file present is whole and verifies (files are
//! written beside and renamed) and has its `report-export` record (appended before the file
//! takes its name), and every record's file exists but for a kill between the two.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use stagebench_core::audit::AuditAction;
use stagebench_core::batch::exchange::{export_report_with, import_pack};
use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::batch::pack::{seal_with_work_factor, BenchPack};
use stagebench_core::batch::report::verify;
use stagebench_core::batch::{Batch, BatchStore};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::auth::MemoryKeyring;
use stagebench_core::secret::SecretText;
use stagebench_core::store::{AuditFilter, JoinedBy, Sighting, Store};
use support::crash::{integrity, run_and_kill, Reports};
use time::OffsetDateTime;

const DB_ENV: &str = "STAGEBENCH_BATCH_CRASH_DB";
const ROUND_ENV: &str = "STAGEBENCH_BATCH_CRASH_ROUND";
const PASS: &str = "a-long-enough-passphrase-42";

#[derive(Default)]
struct Committed {
    packs: BTreeSet<String>,
    reports: Vec<PathBuf>,
}

impl Reports for Committed {
    fn len(&self) -> usize {
        self.packs.len() + self.reports.len()
    }
    fn take(&mut self, line: &str) {
        let Some(at) = line.find("committed ") else {
            return;
        };
        let words: Vec<&str> = line[at..].split_whitespace().skip(1).collect();
        match words.as_slice() {
            ["pack", id] => {
                self.packs.insert((*id).to_owned());
            }
            ["report", path] => self.reports.push(PathBuf::from(path)),
            _ => {}
        }
    }
}

fn batch(n: usize) -> Batch {
    support::batch::staging_batch(&format!("Crash batch {n}"))
}

/// The child: import, fill, export, forever (until killed).
#[test]
fn writer_child() {
    let Some(db) = std::env::var_os(DB_ENV) else {
        return;
    };
    let db = PathBuf::from(db);
    let round: usize = std::env::var(ROUND_ENV).unwrap().parse().unwrap();
    let dir = db.parent().unwrap().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let secrets = MemoryKeyring::new();
    let key = ReportSigningKey::generate();
    let pass = SecretText::new(PASS);
    let mut store = Store::open(&db).unwrap();
    for n in 0.. {
        let b = batch(n);
        let pack = BenchPack::new(
            b.clone(),
            SecretText::new(
                r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"x"}"#,
            ),
            "admin",
            OffsetDateTime::now_utc(),
        );
        let sealed = seal_with_work_factor(&pack, &pass, 2).unwrap();
        let file = dir.join(format!("pack-{round}-{n}.age"));
        rt.block_on(import_pack(
            &mut store, &secrets, &sealed, &pass, "vendor", &file,
        ))
        .unwrap();
        println!("committed pack {}", b.id);
        for d in 0..40 {
            let serial = format!("R{round}B{n}D{d:03}");
            let id = store
                .record_sighting(&Sighting::new([SerialObservation::new(
                    SerialSource::RoSerialno,
                    &serial,
                )]))
                .unwrap();
            store.add_to_batch(&b.id, id, JoinedBy::Manual).unwrap();
        }
        let out = dir.join(format!("report-{round}-{n}.txt"));
        export_report_with(&mut store, &key, &b.id, "vendor", &out).unwrap();
        println!("committed report {}", out.display());
    }
}

fn check(db: &Path, committed: &Committed) {
    assert_eq!(integrity(db), "ok");
    let store = Store::open(db).unwrap();
    let batches: BTreeSet<String> = store
        .batches()
        .unwrap()
        .into_iter()
        .map(|b| b.batch.id.to_string())
        .collect();
    let imports = store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::PackImport),
            ..AuditFilter::default()
        })
        .unwrap();
    let imported: Vec<String> = imports.iter().filter_map(|r| r.batch.clone()).collect();
    let unique: BTreeSet<String> = imported.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        imported.len(),
        "one pack-import record per batch"
    );
    assert_eq!(
        unique, batches,
        "every batch has its import record, every record its batch"
    );
    assert!(
        committed.packs.is_subset(&batches),
        "every import reported done is there"
    );
    assert!(store.audit_verify().unwrap().is_intact());
    for path in &committed.reports {
        assert!(
            verify(&std::fs::read(path).unwrap()).is_ok(),
            "{} verifies",
            path.display()
        );
    }
    let dir = db.parent().unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("report-") {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                verify(&bytes).is_ok(),
                "{name}: a report file is whole or absent"
            );
        }
    }
    // The record comes before the file: every report on disk has its record, and a record's
    // file exists unless the kill came between the two, which leaves at most the newest
    // record of a round without its file.
    let records = store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::ReportExport),
            ..AuditFilter::default()
        })
        .unwrap();
    let recorded: BTreeSet<String> = records
        .iter()
        .map(|r| r.detail["file"].as_str().unwrap().to_owned())
        .collect();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("report-") {
            assert!(
                recorded.contains(&path.display().to_string()),
                "{name} on disk has its report-export record"
            );
        }
    }
    let mut newest_of_round = BTreeSet::new();
    for r in &records {
        // Newest first: the first record seen of a round is its newest.
        let file = r.detail["file"].as_str().unwrap();
        let name = Path::new(file).file_name().unwrap().to_string_lossy();
        let round = name.split('-').nth(1).unwrap().to_owned();
        let newest = newest_of_round.insert(round);
        assert!(
            Path::new(file).exists() || newest,
            "the exported report {file} exists (only a round's newest may miss its file)"
        );
    }
}

#[test]
fn kills_during_pack_import_and_report_export_leave_the_store_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stagebench.sqlite3");
    drop(Store::open(&db).unwrap());
    let mut all = Committed::default();
    for round in 0..6 {
        let got: Committed = run_and_kill(&db, round, 3 + round, DB_ENV, ROUND_ENV);
        all.packs.extend(got.packs);
        all.reports.extend(got.reports);
        check(&db, &all);
    }
    assert!(all.packs.len() >= 6 && !all.reports.is_empty());
}
