// The audit log as the Activity screen shows it: readable action labels and tones, short detail
// lines, times.
import type { Tone } from "./batches";
import type { AuditAction } from "./types";

/** Every audit action with its label for people, in the order the Activity filter offers them. */
export const AUDIT_ACTIONS: { action: AuditAction; label: string }[] = [
  { action: "qr-display", label: "QR shown" },
  { action: "qr-reveal", label: "QR contents revealed" },
  { action: "label-print", label: "Labels printed" },
  { action: "token-create", label: "Token created" },
  { action: "token-revoke", label: "Token revoked" },
  { action: "token-export", label: "Token exported" },
  { action: "pack-export", label: "Bench pack exported" },
  { action: "pack-import", label: "Bench pack imported" },
  { action: "report-export", label: "Report exported" },
  { action: "report-import", label: "Report imported" },
  { action: "custody-export", label: "Chain of custody exported" },
  { action: "batch-create", label: "Batch created" },
  { action: "reconcile", label: "Reconciled with Intune" },
  { action: "device-added", label: "Device added by hand" },
  { action: "technician-action", label: "Technician action" },
];

/** An action's label; an action this version does not know (a newer StageBench wrote it) shows
 * as its own name, with dashes as spaces. */
export function auditActionLabel(action: string): string {
  return AUDIT_ACTIONS.find((a) => a.action === action)?.label ?? action.replace(/-/g, " ");
}

/** A tone for an action in the log: things that let a token out are worth a second look. */
export function auditActionTone(action: string): Tone {
  if (["qr-reveal", "token-export", "token-revoke"].includes(action)) return "warn";
  if (["pack-export", "pack-import", "report-export", "report-import", "custody-export"].includes(action)) return "ok";
  return "muted";
}

/** The audit detail as one short line: `key: value` pairs (nested values as compact JSON),
 * empty values left out, long text cut. */
export function auditDetailSummary(detail: unknown, max = 140): string {
  if (detail == null) return "";
  let text: string;
  if (typeof detail !== "object" || Array.isArray(detail)) {
    text = typeof detail === "string" ? detail : JSON.stringify(detail);
  } else {
    text = Object.entries(detail as Record<string, unknown>)
      .filter(([, v]) => v != null && v !== "" && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => `${k.replace(/_/g, " ")}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" · ");
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "2026-05-04 14:03:12" from the log's RFC 3339 UTC time (shown as UTC, marked so). */
export function auditTime(at: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(at);
  return m ? `${m[1]} ${m[2]}` : at;
}
