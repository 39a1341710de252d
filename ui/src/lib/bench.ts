// The Bench screen's device cards in words: their order, the Android version, the connection
// state as a badge, the slot, the stage evidence and Intune's status.
import type { BenchDevice, IntuneStatus, StageEvidence } from "./types";

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
