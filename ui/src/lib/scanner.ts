// The serial barcode scanner as the Settings and Batches screens show it: one subscription for
// the whole window (shared by every view that shows scans), and the words for its status and
// for what became of each scan.
import { watchScanner } from "./backend";
import type { ScannerStatus, ScannerView, ScanRecord } from "./app_bindings";

export type { ScannerPort, ScannerSettings, ScannerStatus, ScannerView, ScanRecord, ScanReply, ScanResult } from "./app_bindings";

export type Tone = "ok" | "warn" | "bad" | "muted";

/** The baud rates a scanner can be set to (the core's `BAUD_RATES`). */
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

/** The scanner's status in a sentence, and how alarming it is. */
export function statusText(status: ScannerStatus): { tone: Tone; text: string } {
  switch (status.state) {
    case "off":
      return { tone: "muted", text: "Off: no serial scanner is set. A keyboard-wedge scanner needs no setting." };
    case "opening":
      return { tone: "muted", text: `Opening ${status.port}…` };
    case "connected":
      return { tone: "ok", text: `Connected to ${status.port} at ${status.baud} baud: scans go into the active batch.` };
    case "waiting":
      return { tone: "warn", text: capitalise(status.message) };
    case "failed":
      return { tone: "bad", text: capitalise(status.message) };
  }
}

/** What became of a scan, in a few words. */
export function outcomeText(r: ScanRecord): { tone: Tone; text: string } {
  const into = r.batch_name ? `“${r.batch_name}”` : "the batch";
  switch (r.result) {
    case "added":
      return { tone: "ok", text: `added to ${into}` };
    case "already-there":
      return { tone: "ok", text: `already in ${into}` };
    case "refused":
      return { tone: "bad", text: `refused: ${r.message ?? "not a serial"}` };
    case "held":
      return { tone: "warn", text: `held: ${r.message ?? "no batch to put it in"}` };
    case "tied":
      return { tone: "ok", text: `box label of the device in slot ${r.slot ?? "?"}` };
    case "waiting":
      return { tone: "warn", text: "waiting: tap “Tie” on the card of its device on the Bench" };
  }
}

/** The scans waiting for the slot of their device (box labels scanned before a slot was
 * picked), newest first: each card offers to tie them. */
export function waitingScans(scans: ScanRecord[]): ScanRecord[] {
  return scans.filter((r) => r.result === "waiting" && r.held != null);
}

/** A scan's time as the bench's clock shows it (HH:MM:SS). */
export function timeText(at: string): string {
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) return "";
  return t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** The scans a batch's scan box lists: those that went into it, and the held and refused ones
 * (they went nowhere, and the technician at the batch should see them). */
export function scansFor(scans: ScanRecord[], batch: string): ScanRecord[] {
  return scans.filter((r) => r.batch === batch || r.result === "held" || r.result === "waiting" || (r.result === "refused" && !r.batch));
}

/** Typed or wedge-scanned text as it may be shown next to a refusal (like the core's `shown`):
 * control characters made visible, at most 24 characters, nothing of a QR code's contents
 * (an enrollment or Wi-Fi QR may carry a token or a Wi-Fi key). */
export function shownScan(raw: string): string {
  const t = raw.trim();
  const chars = Array.from(t);
  if (chars.length > 256) return `(${chars.length} characters)`;
  if (t.startsWith("{") || t.slice(0, 5).toUpperCase() === "WIFI:" || t.includes("://")) return "(a QR code's contents, not shown)";
  // eslint-disable-next-line no-control-regex
  const visible = (c: string) => (/[\u0000-\u001f\u007f-\u009f]/.test(c) ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c);
  return chars.slice(0, 24).map(visible).join("") + (chars.length > 24 ? "…" : "");
}

function capitalise(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

// ---- One subscription for the window --------------------------------------------------------

let latest: ScannerView | null = null;
let latestError: string | null = null;
let started = false;
const listeners = new Set<(view: ScannerView | null, error: string | null) => void>();

/** Calls `listener` with the scanner's view now (if known) and on every change; returns the
 * unsubscribe function. The first listener starts the window's one subscription. */
export function onScanner(listener: (view: ScannerView | null, error: string | null) => void): () => void {
  listeners.add(listener);
  if (latest || latestError) listener(latest, latestError);
  if (!started) {
    started = true;
    watchScanner((view) => {
      latest = view;
      latestError = null;
      for (const l of listeners) l(latest, null);
    }).catch((e) => {
      latestError = (e as { message?: string }).message ?? String(e);
      started = false;
      for (const l of listeners) l(latest, latestError);
    });
  }
  return () => listeners.delete(listener);
}
