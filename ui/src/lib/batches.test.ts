import { describe, expect, it } from "vitest";
import {
  actionsFor,
  batchName,
  deviceCountLabel,
  dueLabel,
  parseSerials,
  problemTone,
  progressSegments,
  stageLabel,
  tokenBadge,
} from "./batches";
import type { BatchSummary, DeviceStage, StageCount, TokenCheck } from "./types";

describe("parseSerials", () => {
  it("takes one per line, commas, semicolons, tabs and spaces; trims, upper-cases, drops repeats", () => {
    expect(parseSerials(" r5cr100001\n2109100002, 21034d100005;\tHMT1\r\n\n r5cr100001 ,")).toEqual([
      "R5CR100001",
      "2109100002",
      "21034D100005",
      "HMT1",
    ]);
  });

  it("gives nothing for an empty or blank box", () => {
    expect(parseSerials("")).toEqual([]);
    expect(parseSerials(" \n , ;")).toEqual([]);
  });
});

describe("actionsFor", () => {
  const at = (flow: DeviceStage["flow"], stage: DeviceStage["stage"]): DeviceStage => ({
    flow,
    stage,
    instruction: "",
    remedy: null,
    problems: [],
  });

  it("offers Powered off only while an Android device is enrolling", () => {
    expect(actionsFor(at("staging-token", "enrolling")).map((a) => a.action)).toEqual(["powered-off"]);
    expect(actionsFor(at("aosp-userless", "enrolling")).map((a) => a.label)).toEqual(["Powered off"]);
    for (const stage of ["new", "scanning", "bench-done", "in-intune"] as const) {
      expect(actionsFor(at("staging-token", stage))).toEqual([]);
    }
    expect(actionsFor(null)).toEqual([]);
  });

  it("walks a Windows DEM device from serial import to the user's sign-in", () => {
    const labels = (stage: DeviceStage["stage"]) => actionsFor(at("windows-dem", stage)).map((a) => a.label);
    expect(labels("new")).toEqual(["Serial imported"]);
    expect(labels("scanning")).toEqual(["DEM sign-in done"]);
    expect(labels("enrolling")).toEqual(["User signed in"]);
    expect(labels("in-intune")).toEqual(["User signed in"]);
    expect(labels("owner-assigned")).toEqual([]);
  });
});

describe("progressSegments", () => {
  it("keeps the flow's order, skips empty stages and sizes segments by share", () => {
    const counts: StageCount[] = [
      { stage: "new", label: "New", count: 1 },
      { stage: "scanning", label: "Scanning", count: 0 },
      { stage: "enrolling", label: "Enrolling", count: 2 },
      { stage: "bench-done", label: "Bench done", count: 1 },
    ];
    const { total, segments } = progressSegments(counts);
    expect(total).toBe(4);
    expect(segments.map((s) => [s.stage, s.percent])).toEqual([
      ["new", 25],
      ["enrolling", 50],
      ["bench-done", 25],
    ]);
  });

  it("leaves room for devices still expected", () => {
    const counts: StageCount[] = [
      { stage: "scanning", label: "Scanning", count: 1 },
      { stage: "bench-done", label: "Bench done", count: 1 },
    ];
    expect(progressSegments(counts, 4).segments.map((s) => s.percent)).toEqual([25, 25]);
    expect(progressSegments(counts, 1).segments.map((s) => s.percent)).toEqual([50, 50]);
  });

  it("has no segments when no device joined", () => {
    expect(progressSegments([{ stage: "new", label: "New", count: 0 }])).toEqual({ total: 0, segments: [] });
  });
});

describe("labels", () => {
  const token = (over: Partial<TokenCheck>): TokenCheck => ({ expires: null, state: "ok", message: null, remedy: null, printing_blocked: false, ...over });

  it("gives the token a badge that says what blocks printing", () => {
    expect(tokenBadge(token({ expires: "2026-07-01T00:00:00Z" }))).toEqual({ text: "token to 2026-07-01", tone: "ok" });
    expect(tokenBadge(token({}))).toEqual({ text: "no expiry", tone: "muted" });
    expect(tokenBadge(token({ state: "expires-before-due", printing_blocked: true })).tone).toBe("bad");
    expect(tokenBadge(token({ state: "expiring-soon" })).tone).toBe("warn");
    expect(tokenBadge(token({ state: "revoked" })).text).toBe("token revoked");
  });

  it("reads the due date as text or as year and day of year", () => {
    expect(dueLabel("2026-07-01")).toBe("2026-07-01");
    expect(dueLabel([2026, 182])).toBe("2026-07-01");
    expect(dueLabel(null)).toBeNull();
  });

  it("counts devices against the expected count", () => {
    const s = (devices: number, expected: number | null) =>
      ({ devices, batch: { expected_count: expected } }) as unknown as BatchSummary;
    expect(deviceCountLabel(s(2, 10))).toBe("2 / 10 devices");
    expect(deviceCountLabel(s(1, null))).toBe("1 device");
  });

  it("names stages and batches, and tones problems", () => {
    expect(stageLabel("bench-done")).toBe("Bench done");
    const list = [{ batch: { id: "ab".repeat(16), name: "Wave 1" } }] as unknown as BatchSummary[];
    expect(batchName(list, "ab".repeat(16))).toBe("Wave 1");
    expect(batchName(list, "cd".repeat(16))).toBe("batch cdcdcdcd");
    expect(batchName(list, null)).toBeNull();
    expect(problemTone("reboot-during-enrollment")).toBe("bad");
    expect(problemTone("token-expires-before-due")).toBe("bad");
    expect(problemTone("serial-identity")).toBe("warn");
  });
});
