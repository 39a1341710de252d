// Types that cross the Rust ↔ UI boundary. Everything but ApiError is generated from the Rust
// types into ./bindings.ts (see crates/core/tests/ts_bindings.rs), so the two cannot drift.

export type {
  BenchDevice,
  BenchEvent,
  Check,
  CheckStatus,
  DrainReport,
  Finding,
  IntuneStage,
  IntuneStatus,
  FirmwareFacts,
  OutboxCounts,
  ProblemKind,
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
  SerialObservation,
  SerialSource,
  Slot,
  TenantProblem,
  TenantState,
  WifiInput,
} from "./bindings";

/** An error from a Tauri command (`stagebench_app::error::ApiError`): a stable code the UI may
 * act on, and a message for people. */
export interface ApiError {
  code: string;
  message: string;
}
