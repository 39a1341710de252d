//! The TypeScript types of what the app's commands take and give beyond the core's own
//! `ui/src/lib/bindings.ts`: `app_bindings.ts` (batches, exchange, scanners) and
//! `label_bindings.ts` (labels, printers, the print queue). The tests fail when a file is out of
//! date; `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings` rewrites them.

use std::path::Path;

use stagebench_core::batch::summary::BatchSummary;
use stagebench_core::label::{self, LabelKind, LabelRequest, PreviewFacts};
use stagebench_core::printer::{QueueJob, QueueState};
use stagebench_core::scanner::into_batch::ScanReply;
use stagebench_core::scanner::{
    ScanRecord, ScanResult, ScannerPort, ScannerSettings, ScannerStatus, ScannerView,
};
use ts_rs::{Config, TS};

use crate::batch_form::{BatchForm, ProfileChoice};
use crate::batches::TechnicianView;
use crate::exchange::PackExported;
use crate::labels::{PreviewRequest, PreviewView, PrintQueued, TemplateView};
use crate::printer_views::{
    CupsDiscovery, CupsPrinterView, PrinterForm, PrinterStatusView, PrinterView,
};

fn declaration<T: TS>(cfg: &Config) -> String {
    let docs = T::docs()
        .map(|d| format!("{}\n", d.trim_end()))
        .unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

/// Compares `generated` with the file (rewriting it first with `UPDATE_BINDINGS`).
fn check(file: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ui/src/lib")
        .join(file);
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/lib/{file} is out of date: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings` and commit it"
    );
}

#[test]
fn ui_app_bindings_match_the_rust_types() {
    let cfg = Config::new();
    let generated = [
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ui_app_bindings_match_the_rust_types).\n\
         // Do not edit by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.\n\
         import type { Batch, BatchId, Exported, Flow, Remedy, ScanError, TechnicianSource, TokenCheck } from \"./bindings\";\n"
            .to_owned(),
        declaration::<BatchSummary>(&cfg),
        declaration::<ProfileChoice>(&cfg),
        declaration::<BatchForm>(&cfg),
        declaration::<TechnicianView>(&cfg),
        declaration::<PackExported>(&cfg),
        declaration::<ScannerPort>(&cfg),
        declaration::<ScannerSettings>(&cfg),
        declaration::<ScannerStatus>(&cfg),
        declaration::<ScanResult>(&cfg),
        declaration::<ScanRecord>(&cfg),
        declaration::<ScanReply>(&cfg),
        declaration::<ScannerView>(&cfg),
        declaration::<crate::error::ApiError>(&cfg),
    ]
    .join("\n");
    check("app_bindings.ts", &generated);
}

#[test]
fn ui_app_bindings_labels_match_the_rust_types() {
    let cfg = Config::new();
    let generated = [
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ui_app_bindings_labels_match_the_rust_types).\n\
         // Do not edit by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.\n\
         import type { Stage } from \"./bindings\";\n"
            .to_owned(),
        declaration::<LabelKind>(&cfg),
        declaration::<label::LabelSource>(&cfg),
        declaration::<LabelRequest>(&cfg),
        declaration::<PreviewFacts>(&cfg),
        declaration::<TemplateView>(&cfg),
        declaration::<PreviewRequest>(&cfg),
        declaration::<PreviewView>(&cfg),
        declaration::<PrintQueued>(&cfg),
        declaration::<QueueJob>(&cfg),
        declaration::<QueueState>(&cfg),
        declaration::<PrinterView>(&cfg),
        declaration::<PrinterStatusView>(&cfg),
        declaration::<PrinterForm>(&cfg),
        declaration::<CupsPrinterView>(&cfg),
        declaration::<CupsDiscovery>(&cfg),
    ]
    .join("\n");
    check("label_bindings.ts", &generated);
}
