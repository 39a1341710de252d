//! The UI's TypeScript types are generated from the Rust types that cross the app boundary
//! (STYLE: "types generated from Rust"). This test fails when `ui/src/lib/bindings.ts` is not
//! what the Rust types say; `UPDATE_BINDINGS=1 cargo test -p stagebench-core --test ts_bindings`
//! rewrites it.

use std::path::Path;

use stagebench_core::audit::{
    AuditAction, AuditRecord, SignedHead, TechnicianOnRecord, TechnicianSource,
};
use stagebench_core::batch::action::TechnicianAction;
use stagebench_core::batch::exchange::{
    Exported, ImportedReport, ReconciledDevice, Reconciliation, Untrusted,
};
use stagebench_core::batch::key::BenchPublicKey;
use stagebench_core::batch::progress::{
    BatchProblem, BatchProgress, BatchTokenState, DeviceProgress, StageCount, TokenCheck,
};
use stagebench_core::batch::stats::{
    BatchStats, Eta, EtaState, SlowDevice, StageTime, TechnicianRate,
};
use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts, ReportSerial};
use stagebench_core::bench::BenchView;
use stagebench_core::demo::{DemoAction, DemoDevice, DemoFailure, DemoPhase};
use stagebench_core::device::status::{StatusIcon, StatusTone};
use stagebench_core::device::{
    AdbState, AppVersion, BenchDevice, BenchEvent, CardStatus, Finding, FirmwareFacts, Severity,
    StageEvidence, StatusKind,
};
use stagebench_core::doctor::{Check, CheckStatus};
use stagebench_core::enrollment_qr::{QrRequest, QrSource, QrView, WifiInput};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::ids::BatchId;
use stagebench_core::intune::state::{ProblemKind, SignInPrompt, TenantProblem, TenantState};
use stagebench_core::intune::status::{IntuneStage, IntuneStatus};
use stagebench_core::intune::sync::{OutboxDrainReport, RefreshReport};
use stagebench_core::intune::view::ProfileView;
use stagebench_core::provisioning::PayloadSummary;
use stagebench_core::qr::QrFacts;
use stagebench_core::remedy::Remedy;
use stagebench_core::scanner::into_batch::ScanOutcome;
use stagebench_core::scanner::ScanError;
use stagebench_core::stage::{DeviceStage, Flow, Stage, StageProblem};
use stagebench_core::store::{AuditCheck, OutboxCounts, SignedAuditCheck, Slot, SlotMove};
use ts_rs::{Config, TS};

fn declaration<T: TS>(cfg: &Config) -> String {
    let docs = T::docs()
        .map(|d| format!("{}\n", d.trim_end()))
        .unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

fn generate() -> String {
    let cfg = Config::new();
    let mut out = String::from(
        "// Generated from the Rust types by crates/core/tests/ts_bindings.rs. Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p stagebench-core --test ts_bindings`.\n\n",
    );
    for decl in [
        declaration::<Remedy>(&cfg),
        declaration::<SerialSource>(&cfg),
        declaration::<SerialObservation>(&cfg),
        declaration::<AppVersion>(&cfg),
        declaration::<FirmwareFacts>(&cfg),
        declaration::<StageEvidence>(&cfg),
        declaration::<Severity>(&cfg),
        declaration::<Finding>(&cfg),
        declaration::<IntuneStage>(&cfg),
        declaration::<IntuneStatus>(&cfg),
        declaration::<Flow>(&cfg),
        declaration::<Stage>(&cfg),
        declaration::<StageProblem>(&cfg),
        declaration::<DeviceStage>(&cfg),
        declaration::<AdbState>(&cfg),
        declaration::<StatusKind>(&cfg),
        declaration::<StatusTone>(&cfg),
        declaration::<StatusIcon>(&cfg),
        declaration::<CardStatus>(&cfg),
        declaration::<BenchDevice>(&cfg),
        declaration::<BenchEvent>(&cfg),
        declaration::<BenchView>(&cfg),
        declaration::<PayloadSummary>(&cfg),
        declaration::<QrFacts>(&cfg),
        declaration::<QrView>(&cfg),
        declaration::<QrSource>(&cfg),
        declaration::<WifiInput>(&cfg),
        declaration::<QrRequest>(&cfg),
        declaration::<CheckStatus>(&cfg),
        declaration::<Check>(&cfg),
        declaration::<Slot>(&cfg),
        declaration::<SlotMove>(&cfg),
        declaration::<ProfileView>(&cfg),
        declaration::<RefreshReport>(&cfg),
        declaration::<OutboxDrainReport>(&cfg),
        declaration::<OutboxCounts>(&cfg),
        declaration::<SignInPrompt>(&cfg),
        declaration::<ProblemKind>(&cfg),
        declaration::<TenantProblem>(&cfg),
        declaration::<TenantState>(&cfg),
        declaration::<BatchId>(&cfg),
        declaration::<ProfileFacts>(&cfg),
        declaration::<BatchSpec>(&cfg),
        declaration::<BatchOrigin>(&cfg),
        declaration::<Batch>(&cfg),
        declaration::<ReportSerial>(&cfg),
        declaration::<BatchTokenState>(&cfg),
        declaration::<TokenCheck>(&cfg),
        declaration::<TechnicianAction>(&cfg),
        declaration::<DeviceProgress>(&cfg),
        declaration::<StageCount>(&cfg),
        declaration::<BatchProblem>(&cfg),
        declaration::<BatchProgress>(&cfg),
        declaration::<TechnicianRate>(&cfg),
        declaration::<StageTime>(&cfg),
        declaration::<SlowDevice>(&cfg),
        declaration::<EtaState>(&cfg),
        declaration::<Eta>(&cfg),
        declaration::<BatchStats>(&cfg),
        declaration::<AuditAction>(&cfg),
        declaration::<TechnicianSource>(&cfg),
        declaration::<TechnicianOnRecord>(&cfg),
        declaration::<AuditRecord>(&cfg),
        declaration::<AuditCheck>(&cfg),
        declaration::<SignedHead>(&cfg),
        declaration::<SignedAuditCheck>(&cfg),
        declaration::<BenchPublicKey>(&cfg),
        declaration::<Exported>(&cfg),
        declaration::<Untrusted>(&cfg),
        declaration::<ImportedReport>(&cfg),
        declaration::<ReconciledDevice>(&cfg),
        declaration::<Reconciliation>(&cfg),
        declaration::<ScanOutcome>(&cfg),
        declaration::<ScanError>(&cfg),
        declaration::<DemoPhase>(&cfg),
        declaration::<DemoAction>(&cfg),
        declaration::<DemoFailure>(&cfg),
        declaration::<DemoDevice>(&cfg),
    ] {
        out.push_str(&decl);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn ui_bindings_match_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
    let generated = generate();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/lib/bindings.ts is out of date with the Rust types: run \
         `UPDATE_BINDINGS=1 cargo test -p stagebench-core --test ts_bindings` and commit it"
    );
}
