import { describe, expect, it } from "vitest";
import { defaultNames, fileStem, joinPath, reconcileSections, stagesSummary } from "./exchange";
import type { Reconciliation } from "./types";

describe("default file names", () => {
  it("makes batch names safe as file names", () => {
    expect(fileStem("Warehouse scanners, wave 3")).toBe("Warehouse scanners, wave 3");
    expect(fileStem('Site A/B: "Leeds" <wave*2>?')).toBe("Site A-B Leeds wave-2");
    expect(fileStem("..\\..\\etc\\passwd")).toBe("etc-passwd");
    expect(fileStem("  tabs\tand\nlines  ")).toBe("tabs and lines");
    expect(fileStem("con")).toBe("con-batch");
    expect(fileStem("...")).toBe("batch");
    expect(fileStem("a".repeat(300))).toHaveLength(100);
  });

  it("joins with the folder's own separator", () => {
    expect(joinPath("/home/ana/Documents/StageBench", "x")).toBe("/home/ana/Documents/StageBench/x");
    expect(joinPath("/tmp/", "x")).toBe("/tmp/x");
    expect(joinPath("C:\\Users\\ana\\Documents\\StageBench", "x")).toBe("C:\\Users\\ana\\Documents\\StageBench\\x");
    expect(joinPath("", "x")).toBe("x");
  });

  it("suggests every file of a batch by name, for the export folder", () => {
    const p = defaultNames("Wave 3/Leeds");
    expect(p.pack).toBe("Wave 3-Leeds.stagebench-pack");
    expect(defaultNames("Acme / Leeds").pack).toBe("Acme Leeds.stagebench-pack");
    expect(p.report).toBe("Wave 3-Leeds.stagebench-report");
    expect(p.reportCsv).toBe("Wave 3-Leeds report.csv");
    expect(p.custodyPdf).toBe("Wave 3-Leeds chain of custody.pdf");
    expect(p.custodyCsv).toBe("Wave 3-Leeds chain of custody.csv");
    expect(defaultNames("../../etc/passwd").pack).toBe("etc-passwd.stagebench-pack");
  });
});

describe("reports and reconciliation", () => {
  it("lists a report's stages in the order devices go through them", () => {
    expect(stagesSummary({ "in-intune": 1, "bench-done": 3, new: 0, enrolling: 2 })).toBe("Enrolling 2 · Bench done 3 · In Intune 1");
    expect(stagesSummary({})).toBe("");
  });

  const device = (serial: string) => ({ serial, reported_stage: "bench-done" as const, intune_name: null, intune_id: null, intune_user: null });
  const base: Reconciliation = {
    batch: "0".repeat(32),
    reports: [],
    matched: [device("A1"), device("A2")],
    missing_in_intune: [],
    unexpected: [],
    not_staged: [],
    not_expected: [],
    failed: [],
  };

  it("says all matched when nothing else turned up", () => {
    const s = reconcileSections(base);
    expect(s.headline).toBe("All 2 devices matched in Intune.");
    expect(s.tone).toBe("ok");
    expect(s.sections.find((x) => x.id === "matched")?.items).toEqual(["A1 — Bench done", "A2 — Bench done"]);
  });

  it("counts each kind of difference, missing in Intune first of all", () => {
    const s = reconcileSections({
      ...base,
      missing_in_intune: [device("B1")],
      unexpected: [{ ...device("C1"), reported_stage: null, intune_name: "Staging_C1", intune_user: "ana@contoso.com" }],
      not_staged: ["D1", "D2"],
    });
    expect(s.headline).toBe("2 matched; 1 missing in intune, 1 unexpected, 2 not staged.");
    expect(s.tone).toBe("bad");
    expect(s.sections.find((x) => x.id === "unexpected")?.items).toEqual(["C1 — Intune: Staging_C1 — ana@contoso.com"]);
    expect(reconcileSections({ ...base, not_expected: ["E1"] }).tone).toBe("warn");
  });
});
