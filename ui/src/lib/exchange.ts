// Files that move between benches (bench packs, signed reports, chain of custody) as the Batches
// screen shows them: default file names from a batch's name, a report's stage counts, the
// reconciliation's sections. The audit log's words are in ./audit.ts.
import { stageLabel, type Tone } from "./batches";
import type { ReconciledDevice, Reconciliation, Stage } from "./types";

/** A batch name made safe as a file name on Windows, macOS and Linux: path separators, `:` and
 * `*` become `-`; `<>"|?` and control characters go; runs of spaces and dashes shrink; leading
 * and trailing dots, dashes and spaces go; names Windows reserves get a suffix. */
export function fileStem(name: string): string {
  let s = name
    .replace(/[\\/:*]/g, "-")
    .replace(/[<>"|?\u0000-\u001f\u007f]/g, " ")
    .replace(/\s+/g, " ")
    .replace(/-{2,}/g, "-")
    .replace(/ -|- /g, " ")
    .replace(/ {2,}/g, " ")
    .replace(/^[\s.-]+|[\s.-]+$/g, "");
  if (/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(s)) s = `${s}-batch`;
  return (s || "batch").slice(0, 100);
}

/** `folder` joined with `file`, with the separator the folder already uses. */
export function joinPath(folder: string, file: string): string {
  if (!folder) return file;
  const sep = folder.includes("\\") && !folder.includes("/") ? "\\" : "/";
  return folder.endsWith(sep) ? `${folder}${file}` : `${folder}${sep}${file}`;
}

/** The file names the Batches screen suggests for a batch (written to the export folder). */
export function defaultNames(batchName: string) {
  const stem = fileStem(batchName);
  const at = (suffix: string) => `${stem}${suffix}`;
  return {
    pack: at(".stagebench-pack"),
    report: at(".stagebench-report"),
    reportCsv: at(" report.csv"),
    custodyPdf: at(" chain of custody.pdf"),
    custodyCsv: at(" chain of custody.csv"),
  };
}

/** A report's per-stage counts as one line, in the order stages go: "Bench done 3 · In Intune 1". */
export function stagesSummary(stages: { [stage: string]: number }): string {
  const order: Stage[] = ["new", "scanning", "enrolling", "bench-done", "in-intune", "user-signed-in", "owner-assigned"];
  const rank = (s: string) => {
    const i = order.indexOf(s as Stage);
    return i < 0 ? order.length : i;
  };
  return Object.entries(stages)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([s, n]) => `${stageLabel(s as Stage)} ${n}`)
    .join(" · ");
}

export type ReconcileSection = { id: string; title: string; hint: string; tone: Tone; items: string[] };

function deviceLine(d: ReconciledDevice): string {
  const parts = [d.serial];
  if (d.reported_stage) parts.push(stageLabel(d.reported_stage));
  if (d.intune_name) parts.push(`Intune: ${d.intune_name}`);
  if (d.intune_user) parts.push(d.intune_user);
  return parts.join(" — ");
}

/** A reconciliation as the screen lists it: one section per outcome, with its devices (matched
 * first, then what needs a look), and a one-line headline. */
export function reconcileSections(r: Reconciliation): { headline: string; tone: Tone; sections: ReconcileSection[] } {
  const sections: ReconcileSection[] = [
    { id: "matched", title: "Matched", hint: "in the report and in Intune", tone: "ok", items: r.matched.map(deviceLine) },
    {
      id: "missing-in-intune",
      title: "Missing in Intune",
      hint: "staged, but Intune does not list them (past the bench they should be there)",
      tone: "bad",
      items: r.missing_in_intune.map(deviceLine),
    },
    {
      id: "unexpected",
      title: "Unexpected",
      hint: "an expected serial in Intune that the bench never reported",
      tone: "warn",
      items: r.unexpected.map(deviceLine),
    },
    { id: "not-staged", title: "Not staged", hint: "expected, in neither the report nor Intune", tone: "warn", items: r.not_staged },
    { id: "not-expected", title: "Not expected", hint: "reported, but not on the batch's list", tone: "warn", items: r.not_expected },
    { id: "failed", title: "Not checked", hint: "Intune could not be asked this time: reconcile again", tone: "warn", items: r.failed },
  ];
  const problems = sections.filter((s) => s.id !== "matched" && s.items.length > 0);
  const headline =
    problems.length === 0
      ? `All ${r.matched.length} device${r.matched.length === 1 ? "" : "s"} matched in Intune.`
      : `${r.matched.length} matched; ${problems.map((s) => `${s.items.length} ${s.title.toLowerCase()}`).join(", ")}.`;
  const tone: Tone = r.missing_in_intune.length ? "bad" : problems.length ? "warn" : "ok";
  return { headline, tone, sections };
}
