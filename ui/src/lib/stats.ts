// Where the time goes in a batch, shaped for the Batches screen: the same numbers as
// `stagebench batch show` (core's batch::stats), worded the same way, and the bars of the
// time-per-stage chart laid out for an inline SVG.
import type { BatchStats, Eta, StageTime } from "./types";

/** `95` → `1 min 35 s`; `3900` → `1 h 05 min` (as `batch show` prints them). */
export function duration(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/** A rate with its one decimal (`7.3`), or an en dash when there is none. */
export function rate(perHour: number | null): string {
  return perHour == null ? "–" : perHour.toFixed(1);
}

/** `14:05`, in the bench's local time. */
function clock(at: string): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** The estimate in one line: when, how many to go at what rate; or why there is none. */
export function etaLine(eta: Eta): string {
  if (eta.state === "done") return eta.at ? `Done at ${clock(eta.at)}` : "Done";
  if (eta.state === "estimated" && eta.at) {
    return `About ${clock(eta.at)} — ${eta.remaining} to go at ${rate(eta.recent_per_hour)} an hour`;
  }
  return `Not enough data: ${eta.reason ?? "no estimate yet"}`;
}

/** One stage's row in the chart. */
export type StageBar = {
  stage: StageTime["stage"];
  label: string;
  /** Median time of the devices that left the stage, as a fraction of the chart's scale. */
  median: number;
  /** The longest wait of the devices there now, same scale. */
  waiting: number;
  /** The numbers beside the bars, in words. */
  text: string;
};

/** What one stage's numbers say, in words. */
function stageText(t: StageTime): string {
  const parts = [
    t.median_secs == null ? "no device through yet" : `median ${duration(t.median_secs)} over ${t.finished}`,
  ];
  if (t.now > 0 && t.longest_now_secs != null) parts.push(`${t.now} there now, longest ${duration(t.longest_now_secs)}`);
  return parts.join(" · ");
}

/** The chart's bars: each stage's median and longest current wait, on one scale (the longest of
 * them all fills the bar area). */
export function stageBars(stats: BatchStats): StageBar[] {
  const longest = Math.max(1, ...stats.stages.flatMap((t) => [t.median_secs ?? 0, t.longest_now_secs ?? 0]));
  return stats.stages.map((t) => ({
    stage: t.stage,
    label: t.label,
    median: (t.median_secs ?? 0) / longest,
    waiting: (t.longest_now_secs ?? 0) / longest,
    text: stageText(t),
  }));
}

/** The chart's geometry: a label column, then per stage its numbers above its pair of bars. */
export const CHART = { width: 640, label: 120, bars: 480, row: 62, bar: 14 } as const;

/** The chart's height for `rows` stages. */
export function chartHeight(rows: number): number {
  return rows * CHART.row + 8;
}

/** The whole figures as text: the chart's alternative and a line a screen reader reads. */
export function statsSummary(stats: BatchStats): string {
  const lines = [
    `${stats.done} of ${stats.target} devices done, ${rate(stats.per_hour)} devices per hour.`,
    ...stats.technicians.map(
      (t) => `${t.technician ?? "No technician recorded"}: ${t.done} done, ${rate(t.per_hour)} per hour.`,
    ),
    ...stats.stages.map((t) => `${t.label}: ${stageText(t)}.`),
    `${etaLine(stats.eta)}.`,
  ];
  return lines.join(" ");
}
