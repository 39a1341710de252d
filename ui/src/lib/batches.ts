// Batches and stages as the Bench and Batches screens show them: labels, tones, which technician
// action applies at which stage, the expected-serials textarea, the progress bar.
import type { BatchSummary, DeviceStage, Flow, Stage, StageCount, TechnicianAction, TokenCheck } from "./types";

export type { TechnicianAction } from "./types";

export type Tone = "ok" | "warn" | "bad" | "muted";

/** The flows in the order a form offers them, with their names for people. */
export const FLOWS: { flow: Flow; label: string }[] = [
  { flow: "staging-token", label: "Android Enterprise, staging token" },
  { flow: "default-token", label: "Android Enterprise, default token" },
  { flow: "aosp-userless", label: "AOSP userless (RealWear)" },
  { flow: "aosp-user-associated", label: "AOSP user-associated" },
  { flow: "windows-dem", label: "Windows Device Preparation (DEM account)" },
];

export function flowLabel(flow: Flow): string {
  return FLOWS.find((f) => f.flow === flow)?.label ?? flow;
}

/** The expected-serials textarea: one per line, or separated by commas, semicolons, tabs or
 * spaces (a pasted spreadsheet column or row); trimmed, upper-cased, duplicates dropped (first
 * kept) — what the core's normalize_serials does, so the count shown is the count stored. */
export function parseSerials(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/[\s,;]+/)) {
    const s = raw.trim().toUpperCase();
    if (s && !seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** The token's badge in the batch list and header. */
export function tokenBadge(token: TokenCheck): { text: string; tone: Tone } {
  switch (token.state) {
    case "ok":
      return token.expires ? { text: `token to ${token.expires.slice(0, 10)}`, tone: "ok" } : { text: "no expiry", tone: "muted" };
    case "expiring-soon":
      return { text: "token expires soon", tone: "warn" };
    case "expires-before-due":
      return { text: "token expires before due", tone: "bad" };
    case "expired":
      return { text: "token expired", tone: "bad" };
    case "revoked":
      return { text: "token revoked", tone: "bad" };
    default:
      return { text: token.state, tone: "warn" };
  }
}

/** "3 / 10 devices" (joined / expected), or "3 devices" when no count is expected. */
export function deviceCountLabel(s: Pick<BatchSummary, "devices" | "batch">): string {
  const expected = s.batch.expected_count;
  const noun = (n: number) => (n === 1 ? "device" : "devices");
  return expected != null ? `${s.devices} / ${expected} ${noun(expected)}` : `${s.devices} ${noun(s.devices)}`;
}

/** The due date as YYYY-MM-DD, whichever way it crossed the boundary (text, or the `time`
 * crate's compact `[year, day of year]`). */
export function dueLabel(due: unknown): string | null {
  if (due == null) return null;
  if (typeof due === "string") return due.slice(0, 10);
  if (Array.isArray(due) && due.length === 2 && due.every((n) => typeof n === "number")) {
    const [year, ordinal] = due as [number, number];
    return new Date(Date.UTC(year, 0, ordinal)).toISOString().slice(0, 10);
  }
  return String(due);
}

/** A stage's name for people (as the core's Stage::label). */
export function stageLabel(stage: Stage): string {
  const labels: Record<Stage, string> = {
    new: "New",
    scanning: "Scanning",
    enrolling: "Enrolling",
    "bench-done": "Bench done",
    "in-intune": "In Intune",
    "user-signed-in": "User signed in",
    "owner-assigned": "Owner assigned",
  };
  return labels[stage] ?? stage;
}

export type Segment = { stage: Stage; label: string; count: number; percent: number };

/** The progress bar: one segment per stage with devices, in the flow's order (the core sends the
 * counts in that order), widths as a share of the devices expected (or of those that joined,
 * when more joined or none is expected), so devices still to come leave the bar's end empty. */
export function progressSegments(counts: StageCount[], expected: number | null = null): { total: number; segments: Segment[] } {
  const total = counts.reduce((n, c) => n + c.count, 0);
  const whole = Math.max(total, expected ?? 0);
  const segments = counts
    .filter((c) => c.count > 0)
    .map((c) => ({ stage: c.stage, label: c.label, count: c.count, percent: (100 * c.count) / whole }));
  return { total, segments };
}

/** A stage's colour: grey before the bench started, amber while at the bench, green after. */
export function stageTone(stage: Stage): Tone {
  switch (stage) {
    case "new":
      return "muted";
    case "scanning":
    case "enrolling":
      return "warn";
    default:
      return "ok";
  }
}

/** Problems the technician must act on now are "bad"; those to check are "warn". */
export function problemTone(id: string): Tone {
  return ["reboot-during-enrollment", "token-unusable", "leaving-intune"].includes(id) || id.startsWith("token-")
    ? "bad"
    : "warn";
}

/** The technician's buttons for a device at its stage: Android flows confirm the power-off at
 * the end of the bench's stage; Windows DEM walks serial import → DEM sign-in → user sign-in. */
export function actionsFor(state: DeviceStage | null): { action: TechnicianAction; label: string }[] {
  if (!state) return [];
  if (state.flow !== "windows-dem") {
    return state.stage === "enrolling" ? [{ action: "powered-off", label: "Powered off" }] : [];
  }
  switch (state.stage) {
    case "new":
      return [{ action: "serial-imported", label: "Serial imported" }];
    case "scanning":
      return [{ action: "dem-sign-in", label: "DEM sign-in done" }];
    case "enrolling":
    case "in-intune":
      return [{ action: "user-logged-on", label: "User signed in" }];
    default:
      return [];
  }
}

/** The name to show for a batch id (a short id while the list has not caught up). */
export function batchName(batches: BatchSummary[], id: string | null): string | null {
  if (!id) return null;
  return batches.find((b) => b.batch.id === id)?.batch.name ?? `batch ${id.slice(0, 8)}`;
}

/** Batches a device can be made to join: open ones, newest first (as listed). */
export function openBatches(batches: BatchSummary[]): BatchSummary[] {
  return batches.filter((b) => !b.closed);
}
