// The Bench screen's device cards in words: their order, the Android version, the connection
// state as a badge, the slot, the stage evidence and Intune's status; the slot-first card's
// heading and one status, and which cards changed or came to need the technician.
import type { BenchDevice, CardStatus as CoreStatus, IntuneStatus, Stage, StageEvidence, StatusKind } from "./types";

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

/** What Intune says about the device (from the last sync), as label/value lines for a card;
 * `goneSince` when Intune no longer shows a device it showed. */
export function intuneLines(s: IntuneStatus | null, goneSince: string | null = null): [string, string][] {
  if (!s && goneSince) return [["Intune", "no longer shows it"]];
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
export type StatusIcon =
  | "check" | "alert" | "blocked" | "lock" | "plug" | "qr" | "hourglass" | "power" | "cloud" | "user" | "dot"
  | "hand" | "spinner" | "split";

/** A status's colour family; every state also has a word and an icon, so colour is never alone. */
export type StatusTone = CoreStatus["tone"];

/** The one status of a card as the tile draws it: the core's kind, word, tone, next step and
 * remedy, an icon, and whether the technician is needed at the device now. */
export type TileStatus = {
  kind: StatusKind;
  word: string;
  icon: StatusIcon;
  tone: StatusTone;
  next: string | null;
  remedy: CoreStatus["remedy"];
  attention: boolean;
};

const STAGE_ICON: Record<Stage, StatusIcon> = {
  new: "qr",
  scanning: "qr",
  enrolling: "hourglass",
  "bench-done": "power",
  "in-intune": "cloud",
  "user-signed-in": "user",
  "owner-assigned": "check",
};

const CORE_ICON: Record<CoreStatus["icon"], StatusIcon> = {
  hand: "hand",
  spinner: "spinner",
  hourglass: "hourglass",
  check: "check",
  alert: "alert",
  split: "split",
  unplugged: "plug",
};

/** The card's one status, as the core derived it (crates/core/src/device/status): the tile adds
 * only an icon (the stage's own when the device is on its way) and whether it needs the
 * technician now. */
export function cardStatus(d: Pick<BenchDevice, "status" | "stage">): TileStatus {
  const s = d.status;
  const onItsWay = d.stage && (s.kind === "working" || s.kind === "waiting" || s.kind === "done" || s.kind === "needs-technician");
  return {
    kind: s.kind,
    word: s.word,
    icon: onItsWay && d.stage ? STAGE_ICON[d.stage.stage] : CORE_ICON[s.icon],
    tone: s.tone,
    next: s.next_step || null,
    remedy: s.remedy,
    attention: s.kind === "needs-technician" || s.kind === "problem" || s.kind === "disagree",
  };
}

/** "Samsung SM-G991B", or "Unknown device". */
export function modelLine(d: Pick<BenchDevice, "manufacturer" | "model">): string {
  return [d.manufacturer, d.model].filter(Boolean).join(" ") || "Unknown device";
}

/** The cards that came to need the technician since `before` (keys), for the alert sound. */
export function newlyNeedingAttention(before: Set<string>, now: { key: string; attention: boolean }[]): string[] {
  return now.filter((c) => c.attention && !before.has(c.key)).map((c) => c.key);
}
