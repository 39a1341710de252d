import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, auditActionLabel, auditDetailSummary, auditTime } from "./audit";

describe("audit actions", () => {
  it("labels every action the core has, and shows unknown ones by name", () => {
    expect(AUDIT_ACTIONS).toHaveLength(15);
    expect(new Set(AUDIT_ACTIONS.map((a) => a.label)).size).toBe(15);
    expect(auditActionLabel("pack-import")).toBe("Bench pack imported");
    expect(auditActionLabel("qr-display")).toBe("QR shown");
    expect(auditActionLabel("custody-export")).toBe("Chain of custody exported");
    expect(auditActionLabel("label-reprint")).toBe("label reprint");
  });

  it("sums details up on one line, without empty values, cut when long", () => {
    expect(auditDetailSummary(null)).toBe("");
    expect(auditDetailSummary({})).toBe("");
    expect(auditDetailSummary({ devices: 3, file: "/tmp/a.report", note: null, warnings: [] })).toBe("devices: 3 · file: /tmp/a.report");
    expect(auditDetailSummary({ signer_key: { a: 1 } })).toBe('signer key: {"a":1}');
    expect(auditDetailSummary("plain")).toBe("plain");
    const long = auditDetailSummary({ file: "x".repeat(300) }, 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith("…")).toBe(true);
  });

  it("shows the time to the second", () => {
    expect(auditTime("2026-05-04T14:03:12.345Z")).toBe("2026-05-04 14:03:12");
    expect(auditTime("yesterday")).toBe("yesterday");
  });
});
