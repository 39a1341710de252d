// A bench card's one status in words: the as-of line for what the card shows of the
// device and of Intune, and the grey tile of a device that left. The status itself is derived in
// Rust (crates/core/src/device/status); this only words times (icons: bench.ts, StatusIcon.svelte).
import type { BenchDevice } from "./types";

/** "15:01" in the bench's local time, from an RFC 3339 time; the text itself if unreadable. */
export function clockTime(at: string): string {
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) return at;
  return t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

/** When what the card shows was learnt: "Read 14:55 · Intune checked 15:01", or that Intune no
 * longer shows the device. Empty when nothing was read or synced. */
export function asOfLine(d: BenchDevice): string {
  const parts: string[] = [];
  if (d.read_at) parts.push(`Read ${clockTime(d.read_at)}`);
  if (d.intune_checked_at) parts.push(`Intune checked ${clockTime(d.intune_checked_at)}`);
  else if (d.intune_gone_since) parts.push(`Gone from Intune since ${clockTime(d.intune_gone_since)}`);
  return parts.join(" · ");
}

/** "Slot 8 — unplugged 15:01, 2109100002" (or "powered off", or "USB closed by policy
 * (expected)"): the grey tile of a device that left. */
export function unpluggedLabel(d: BenchDevice): string {
  const place = d.slot_number != null ? `Slot ${d.slot_number}` : (d.slot ?? d.key);
  const when = d.unplugged_at ? clockTime(d.unplugged_at) : "";
  // Powered off by the technician at the end of the bench's part, or gone from USB after
  // enrolling because its policy probably closed USB (the core's status says which).
  const what =
    d.status.word === "Powered off"
      ? "powered off"
      : d.status.word.startsWith("USB closed by policy")
        ? d.status.word
        : "unplugged";
  return `${place} — ${what} ${when}, ${d.serial ?? d.key}`;
}
