//! An export's audit record comes before its file: a report (or pack) appears on disk only
//! once its record is in the audit log, and a file that could not appear leaves a record
//! saying so.

mod support;

use std::path::Path;

use stagebench_core::audit::AuditAction;
use stagebench_core::batch::exchange::{export_report_with, ExchangeError, Exported};
use stagebench_core::batch::key::ReportSigningKey;
use stagebench_core::batch::BatchStore;
use stagebench_core::ids::BatchId;
use stagebench_core::store::{AuditFilter, Store};

fn store_with_batch(dir: &Path) -> (Store, BatchId) {
    let mut store = Store::open(&dir.join("stagebench.sqlite3")).unwrap();
    let b = support::batch::staging_batch("Audited wave");
    store.create_batch(&b).unwrap();
    (store, b.id)
}

fn export(store: &mut Store, batch: &BatchId, out: &Path) -> Result<Exported, ExchangeError> {
    export_report_with(store, &ReportSigningKey::generate(), batch, "tech", out)
}

fn exports(store: &Store) -> Vec<serde_json::Value> {
    store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::ReportExport),
            ..AuditFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.detail)
        .collect()
}

/// Only the store's files and `keep` in `dir`: no report, no temp file left behind.
fn assert_only_store_files(dir: &Path, keep: &[&str]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with("stagebench.sqlite3") || keep.contains(&name.as_str()),
            "{name} left in the folder"
        );
    }
}

#[test]
fn a_report_whose_audit_record_cannot_be_written_never_appears() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, batch) = store_with_batch(dir.path());
    // Another process (or a full disk) makes the audit log refuse the record.
    let other = rusqlite::Connection::open(dir.path().join("stagebench.sqlite3")).unwrap();
    other
        .execute_batch(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit
             BEGIN SELECT RAISE(ABORT, 'audit log refused'); END;",
        )
        .unwrap();
    let out = dir.path().join("report.txt");
    let err = export(&mut store, &batch, &out).unwrap_err();
    assert!(err.to_string().contains("audit log refused"), "{err}");
    assert!(!out.exists(), "no report without its audit record");
    assert_only_store_files(dir.path(), &[]);
}

#[test]
fn a_report_that_cannot_appear_leaves_a_record_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, batch) = store_with_batch(dir.path());
    // A folder where the file should go: the report is written aside, recorded, and then
    // cannot take its name.
    let out = dir.path().join("report.txt");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep"), b"x").unwrap();
    let err = export(&mut store, &batch, &out).unwrap_err();
    assert!(err.to_string().contains("report.txt"), "{err}");
    let records = exports(&store);
    assert_eq!(
        records.len(),
        2,
        "the export, then its failure: {records:?}"
    );
    // Newest first: the failure names the same report and file, and why.
    assert_eq!(records[0]["report"], records[1]["report"]);
    assert_eq!(records[0]["file"], records[1]["file"]);
    assert!(records[1].get("failed").is_none(), "{records:?}");
    assert!(
        records[0]["failed"]
            .as_str()
            .is_some_and(|why| why.contains("report.txt")),
        "{records:?}"
    );
    assert!(store.audit_verify().unwrap().is_intact());
    assert_only_store_files(dir.path(), &["report.txt"]);
}

#[test]
fn a_written_report_has_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, batch) = store_with_batch(dir.path());
    let out = dir.path().join("report.txt");
    let exported = export(&mut store, &batch, &out).unwrap();
    let records = exports(&store);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["report"], exported.id.as_str());
    assert!(records[0].get("failed").is_none());
    #[cfg(unix)]
    assert_eq!(stagebench_files::looseness(&out), None, "owner-only");
    assert!(out.is_file());
}

#[test]
fn a_chain_of_custody_is_recorded_before_it_appears_and_owner_only() {
    use stagebench_core::batch::exchange::export_custody;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, batch) = store_with_batch(dir.path());
    let (pdf, csv) = (
        dir.path().join("custody.pdf"),
        dir.path().join("custody.csv"),
    );
    let files = (Some(pdf.as_path()), Some(csv.as_path()));
    let written = export_custody(&mut store, &batch, "tech", None, files).unwrap();
    assert_eq!(written, vec![pdf.clone(), csv.clone()]);
    let records: Vec<_> = store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::CustodyExport),
            ..AuditFilter::default()
        })
        .unwrap();
    // The log lists the newest record first.
    let named: Vec<_> = records
        .iter()
        .rev()
        .map(|r| r.detail["file"].clone())
        .collect();
    assert_eq!(
        named,
        vec![
            serde_json::json!(pdf.display().to_string()),
            serde_json::json!(csv.display().to_string())
        ],
        "one custody-export record per file, in the order written"
    );
    #[cfg(unix)]
    for p in [&pdf, &csv] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is owner-only", p.display());
    }

    // A log that refuses the record: no custody file appears.
    let other = rusqlite::Connection::open(dir.path().join("stagebench.sqlite3")).unwrap();
    other
        .execute_batch(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit
             BEGIN SELECT RAISE(ABORT, 'audit log refused'); END;",
        )
        .unwrap();
    let late = dir.path().join("late.pdf");
    let err = export_custody(&mut store, &batch, "tech", None, (Some(&late), None)).unwrap_err();
    assert!(err.to_string().contains("audit log refused"), "{err}");
    assert!(!late.exists(), "no custody file without its audit record");
}
