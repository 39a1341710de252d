// Types that cross the Rust ↔ UI boundary. Everything but ApiError is generated from the Rust
// types into ./bindings.ts (see crates/core/tests/ts_bindings.rs), so the two cannot drift.

export type {
  AuditAction,
  AuditCheck,
  AuditRecord,
  Batch,
  BatchOrigin,
  BatchProblem,
  BatchProgress,
  BatchSpec,
  BenchDevice,
  BenchPublicKey,
  BenchEvent,
  BenchView,
  Check,
  CheckStatus,
  DeviceProgress,
  DeviceStage,
  DrainReport,
  Exported,
  ImportedReport,
  Finding,
  IntuneStage,
  IntuneStatus,
  FirmwareFacts,
  Flow,
  OutboxCounts,
  ProblemKind,
  ProfileFacts,
  ProfileView,
  RefreshReport,
  Severity,
  SignInPrompt,
  StageEvidence,
  PayloadSummary,
  QrFacts,
  QrRequest,
  QrSource,
  QrView,
  ReconciledDevice,
  Reconciliation,
  ScanOutcome,
  SerialObservation,
  SerialSource,
  Slot,
  Stage,
  StageCount,
  StageProblem,
  TenantProblem,
  TenantState,
  TokenCheck,
  WifiInput,
} from "./bindings";
export type { BatchForm, BatchSummary, PackExported, ProfileChoice, TechnicianView } from "./app_bindings";

/** An error from a Tauri command (`stagebench_app::error::ApiError`): a stable code the UI may
 * act on, and a message for people. */
export interface ApiError {
  code: string;
  message: string;
}
