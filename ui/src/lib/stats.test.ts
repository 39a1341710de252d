import { describe, expect, it } from "vitest";
import { chartHeight, duration, etaLine, rate, stageBars, statsSummary } from "./stats";
import type { BatchStats, StageTime } from "./types";

const stage = (s: StageTime["stage"], label: string, over: Partial<StageTime> = {}): StageTime => ({
  stage: s,
  label,
  finished: 0,
  median_secs: null,
  max_secs: null,
  now: 0,
  longest_now_secs: null,
  ...over,
});

/** An hour of bench: five done of eight, one stuck enrolling for 53 minutes. */
const hour: BatchStats = {
  at: "2025-01-01T10:00:00Z",
  done_stage: "bench-done",
  devices: 6,
  target: 8,
  done: 5,
  per_hour: 7.3,
  technicians: [
    { technician: "Ana", done: 3, per_hour: 7.2 },
    { technician: null, done: 2, per_hour: null },
  ],
  stages: [
    stage("new", "New"),
    stage("scanning", "Scanning", { finished: 6, median_secs: 180, max_secs: 180 }),
    stage("enrolling", "Enrolling", { finished: 5, median_secs: 360, max_secs: 360, now: 1, longest_now_secs: 3180 }),
    stage("bench-done", "Bench done", { now: 5, longest_now_secs: 3060 }),
  ],
  slowest: [],
  eta: { state: "not-enough-data", at: null, remaining: 3, recent_per_hour: null, reason: "1 device(s) done in the last 60 min; an estimate needs 2" },
  notes: [],
};

describe("duration and rate", () => {
  it("word times and rates as batch show does", () => {
    expect([duration(0), duration(59), duration(95), duration(360), duration(3900), duration(-4)]).toEqual([
      "0 s",
      "59 s",
      "1 min 35 s",
      "6 min 00 s",
      "1 h 05 min",
      "0 s",
    ]);
    expect([rate(7.3), rate(5), rate(null)]).toEqual(["7.3", "5.0", "–"]);
  });
});

describe("stageBars", () => {
  it("puts every stage on one scale, the longest wait filling the bar", () => {
    const bars = stageBars(hour);
    expect(bars.map((b) => b.stage)).toEqual(["new", "scanning", "enrolling", "bench-done"]);
    const enrolling = bars[2];
    expect(enrolling.waiting).toBe(1);
    expect(enrolling.median).toBeCloseTo(360 / 3180);
    expect(enrolling.text).toBe("median 6 min 00 s over 5 · 1 there now, longest 53 min 00 s");
    expect(bars[0]).toMatchObject({ median: 0, waiting: 0, text: "no device through yet" });
    expect(bars[3].text).toBe("no device through yet · 5 there now, longest 51 min 00 s");
  });

  it("gives empty bars, not NaN, for a batch with no time yet", () => {
    const empty = { ...hour, stages: [stage("new", "New"), stage("scanning", "Scanning")] };
    expect(stageBars(empty).every((b) => b.median === 0 && b.waiting === 0)).toBe(true);
    expect(chartHeight(2)).toBeGreaterThan(0);
  });
});

describe("etaLine and statsSummary", () => {
  it("says why there is no estimate, and when there is one", () => {
    expect(etaLine(hour.eta)).toBe("Not enough data: 1 device(s) done in the last 60 min; an estimate needs 2");
    const at = new Date(2025, 0, 1, 14, 5).toISOString();
    expect(etaLine({ state: "estimated", at, remaining: 3, recent_per_hour: 5, reason: null })).toBe(
      "About 14:05 — 3 to go at 5.0 an hour",
    );
    expect(etaLine({ state: "done", at, remaining: 0, recent_per_hour: null, reason: null })).toBe("Done at 14:05");
  });

  it("reads the whole chart as text", () => {
    const text = statsSummary(hour);
    expect(text).toContain("5 of 8 devices done, 7.3 devices per hour.");
    expect(text).toContain("Ana: 3 done, 7.2 per hour.");
    expect(text).toContain("No technician recorded: 2 done, – per hour.");
    expect(text).toContain("Enrolling: median 6 min 00 s over 5 · 1 there now, longest 53 min 00 s.");
    expect(text).toContain("Not enough data:");
  });
});
