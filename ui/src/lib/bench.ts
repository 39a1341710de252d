// The Bench screen's device cards in words: their order, the Android version, the connection
// state as a badge, the slot, the stage evidence and Intune's status; the slot-first card's
// heading and one status, and which cards changed or came to need the technician.
import { actionsFor, problemTone, stageLabel } from "./batches";
import type { BenchDevice, IntuneStatus, Stage, StageEvidence } from "./types";

/** Cards in a stable order: by slot number, then by port, then serial, then transport key. */
export function sortDevices(devices: BenchDevice[]): BenchDevice[] {
  const key = (d: BenchDevice) => [
    d.slot_number != null ? String(d.slot_number).padStart(6, "0") : "\uffff",
    d.slot ?? "\uffff",
    d.serial ?? "\uffff",
    d.key,
  ];
  return [...devices].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      const c = ka[i].localeCompare(kb[i], undefined, { numeric: true });
      if (c !== 0) return c;
    }
    return 0;
  });
}

/** "Android 14 (SDK 34)", or what is known of it. */
export function androidLabel(d: BenchDevice): string {
  if (d.android_release && d.sdk != null) return `Android ${d.android_release} (SDK ${d.sdk})`;
  if (d.android_release) return `Android ${d.android_release}`;
  if (d.sdk != null) return `SDK ${d.sdk}`;
  return "Android version unknown";
}

/** A short word for the card's badge and its tone. */
export function stateBadge(d: BenchDevice): { text: string; tone: "ok" | "warn" | "bad" } {
  if (d.error) return { text: "read failed", tone: "bad" };
  switch (d.state) {
    case "device":
      if (d.problems.some((p) => p.severity === "blocker")) return { text: "blocked", tone: "bad" };
      if (d.problems.length || d.flags.length) return { text: "check", tone: "warn" };
      return { text: "ready", tone: "ok" };
    case "unauthorized":
      return { text: "unauthorized", tone: "warn" };
    case "authorizing":
    case "connecting":
      return { text: d.state, tone: "warn" };
    default:
      return { text: d.state, tone: "bad" };
  }
}

/** "Slot 7", or the connection when the port has no number. */
export function slotLabel(d: BenchDevice): string {
  if (d.slot_number != null) return `Slot ${d.slot_number}`;
  return d.slot ?? d.key;
}

function yesNo(v: boolean | null): string {
  return v == null ? "unknown" : v ? "yes" : "no";
}

/** The stage evidence read over ADB, as short label/value lines for a card. */
export function evidenceLines(e: StageEvidence | null): [string, string][] {
  if (!e) return [];
  const lines: [string, string][] = [
    ["Provisioned", yesNo(e.device_provisioned)],
    ["Setup complete", yesNo(e.user_setup_complete)],
    // "pkg/.Receiver" → "pkg": the package is what a technician recognises.
    ["Device owner", e.device_owner ? e.device_owner.split("/")[0] : "none"],
    ["Intune app", e.intune_app ?? "not installed"],
  ];
  if (e.company_portal) lines.push(["Company Portal", e.company_portal]);
  if (e.authenticator) lines.push(["Authenticator", e.authenticator]);
  if (e.imei) lines.push(["IMEI", e.imei]);
  if (e.firmware.display_id) lines.push(["Firmware", e.firmware.display_id]);
  if (e.boot_count != null) lines.push(["Boot count", String(e.boot_count)]);
  if (e.unread.length) lines.push(["Not read", e.unread.join(", ")]);
  return lines;
}

/** What Intune says about the device (from the last sync), as label/value lines for a card. */
export function intuneLines(s: IntuneStatus | null): [string, string][] {
  if (!s) return [["Intune", "not seen yet"]];
  const stage =
    s.stage === "user-assigned"
      ? "user signed in"
      : s.stage === "leaving"
        ? `leaving (${s.managementState ?? "unknown"})`
        : s.stagingName
          ? "enrolled, staging name"
          : "enrolled, no user";
  const lines: [string, string][] = [
    ["Intune", stage],
    ["Intune name", s.deviceName],
  ];
  if (s.userPrincipalName) lines.push(["User", s.userPrincipalName]);
  if (s.enrollmentType) lines.push(["Enrollment", s.enrollmentType]);
  if (s.lastSync) lines.push(["Last check-in", s.lastSync.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC")]);
  return lines;
}

// ---- The slot-first card: its heading, its one status, what changed ---------------------------

/** The big heading of a card: the slot number in digits, or a short honest "No slot" (the port
 * or address stays in the card's details, never the big text). */
export function slotHeading(d: Pick<BenchDevice, "slot_number">): { word: string; digits: string | null } {
  return d.slot_number != null ? { word: "Slot", digits: String(d.slot_number) } : { word: "No slot", digits: null };
}

/** The icons a status can carry (inline SVG in StatusIcon.svelte). */
export type StatusIcon = "check" | "alert" | "blocked" | "lock" | "plug" | "qr" | "hourglass" | "power" | "cloud" | "user" | "dot";

/** A status's colour family; every state also has a word and an icon, so colour is never alone. */
export type StatusTone = "ok" | "info" | "warn" | "bad" | "muted";

/** The one status of a card: a word and an icon, its tone, the one next instruction, and whether
 * the technician is needed at the device now. */
export type CardStatus = { word: string; icon: StatusIcon; tone: StatusTone; next: string | null; attention: boolean };

const STAGE_STATUS: Record<Stage, { icon: StatusIcon; tone: StatusTone }> = {
  new: { icon: "dot", tone: "muted" },
  scanning: { icon: "qr", tone: "info" },
  enrolling: { icon: "hourglass", tone: "warn" },
  "bench-done": { icon: "power", tone: "info" },
  "in-intune": { icon: "cloud", tone: "ok" },
  "user-signed-in": { icon: "user", tone: "ok" },
  "owner-assigned": { icon: "check", tone: "ok" },
};

/** The card's one status, from the connection, the findings and the stage in its batch. The one
 * place the Bench screen reads a card's state from (the core's own status replaces it later). */
export function cardStatus(d: BenchDevice): CardStatus {
  const finding = (sev: string) => d.problems.find((p) => p.severity === sev);
  if (d.error) return { word: "Read failed", icon: "alert", tone: "bad", next: d.next_step ?? d.error, attention: true };
  switch (d.state) {
    case "device":
      break;
    case "unauthorized":
      return { word: "Allow USB debugging", icon: "lock", tone: "warn", next: d.next_step, attention: true };
    case "authorizing":
    case "connecting":
      return { word: "Connecting", icon: "plug", tone: "muted", next: d.next_step, attention: false };
    default:
      return { word: d.state === "offline" ? "Offline" : d.state, icon: "alert", tone: "bad", next: d.next_step, attention: true };
  }
  const blocker = finding("blocker");
  const st = d.stage;
  if (st) {
    // In a batch the word is the stage; a blocker or an urgent problem turns it red.
    const look = STAGE_STATUS[st.stage] ?? { icon: "dot", tone: "muted" };
    const urgent = !!blocker || st.problems.some((p) => problemTone(p.id) === "bad");
    return {
      word: stageLabel(st.stage),
      icon: blocker ? "blocked" : urgent ? "alert" : look.icon,
      tone: urgent ? "bad" : look.tone,
      next: st.instruction,
      attention: urgent || actionsFor(st).length > 0,
    };
  }
  if (blocker) return { word: "Blocked", icon: "blocked", tone: "bad", next: blocker.next_step, attention: true };
  const warning = finding("warning");
  if (warning || d.flags.length) {
    return { word: "Check", icon: "alert", tone: "warn", next: warning?.next_step ?? d.next_step ?? d.flags[0], attention: false };
  }
  return { word: "Ready", icon: "check", tone: "ok", next: d.next_step, attention: false };
}

/** "Samsung SM-G991B", or "Unknown device". */
export function modelLine(d: Pick<BenchDevice, "manufacturer" | "model">): string {
  return [d.manufacturer, d.model].filter(Boolean).join(" ") || "Unknown device";
}

/** A new snapshot, keeping the previous object of every card that did not change, so the screen
 * redraws only the cards that did (a keyed list compares cards by identity). */
export function reuseUnchanged(previous: BenchDevice[], next: BenchDevice[]): BenchDevice[] {
  const before = new Map(previous.map((d) => [d.key, d]));
  return next.map((d) => {
    const old = before.get(d.key);
    return old && JSON.stringify(old) === JSON.stringify(d) ? old : d;
  });
}

/** The cards that came to need the technician since `before` (keys), for the alert sound. */
export function newlyNeedingAttention(before: Set<string>, now: { key: string; attention: boolean }[]): string[] {
  return now.filter((c) => c.attention && !before.has(c.key)).map((c) => c.key);
}
