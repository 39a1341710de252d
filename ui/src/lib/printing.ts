// The print queue and the bench's printers as the Labels screen's panels show them: a job's state
// as a badge, a printer in one line.
import type { Tone } from "./batches";
import type { PrinterView, QueueJob } from "./label_bindings";

/** A queue job's state as a badge. */
export function jobBadge(job: QueueJob): { text: string; tone: Tone } {
  switch (job.state) {
    case "done":
      return { text: "printed", tone: "ok" };
    case "failed":
      return { text: "failed", tone: "bad" };
    case "sending":
      return { text: "sending", tone: "warn" };
    default:
      return job.attempts > 0 ? { text: `waiting to retry (${job.attempts} tries)`, tone: "warn" } : { text: "queued", tone: "muted" };
  }
}

/** A printer in one line: where, and what it gets. */
export function printerLine(p: PrinterView): string {
  const where = p.kind === "serial" && p.baud ? `${p.address} @ ${p.baud}` : p.address;
  const parts = [`${p.kind} ${where}`, p.dpi ? `${p.dpi} dpi` : "dpi not set", p.format.toUpperCase()];
  if (p.media) parts.push(p.media);
  return parts.join(" · ");
}
