import { describe, expect, it } from "vitest";
import { androidLabel, evidenceLines, intuneLines, slotLabel, sortDevices, stateBadge } from "./bench";
import type { BenchDevice, StageEvidence } from "./types";

function dev(over: Partial<BenchDevice>): BenchDevice {
  return {
    key: "k", device_id: null, state: "device", next_step: null, serial: null, serials: [], manufacturer: null,
    model: null, android_release: null, sdk: null, build_id: null, slot: null, flags: [], error: null,
    slot_number: null, evidence: null, problems: [], intune: null, batch: null, stage: null, box_label: null,
    intune_checked_at: null, intune_gone_since: null, read_at: null, unplugged_at: null,
    status: { kind: "working", word: "Reading", icon: "spinner", tone: "info", next_step: "Wait.", remedy: null },
    ...over,
  };
}

describe("sortDevices", () => {
  it("orders by slot numerically, then serial, devices without a slot last", () => {
    const sorted = sortDevices([
      dev({ key: "a", slot: "10" }),
      dev({ key: "b", serial: "B" }),
      dev({ key: "c", slot: "2" }),
      dev({ key: "d", serial: "A" }),
    ]);
    expect(sorted.map((d) => d.key)).toEqual(["c", "a", "d", "b"]);
  });

  it("puts numbered slots first, in number order", () => {
    const sorted = sortDevices([
      dev({ key: "a", slot: "1-1" }),
      dev({ key: "b", slot: "1-2", slot_number: 10 }),
      dev({ key: "c", slot: "1-3", slot_number: 2 }),
    ]);
    expect(sorted.map((d) => d.key)).toEqual(["c", "b", "a"]);
  });

  it("does not mutate its input", () => {
    const input = [dev({ key: "b", serial: "2" }), dev({ key: "a", serial: "1" })];
    sortDevices(input);
    expect(input[0].key).toBe("b");
  });
});

describe("androidLabel", () => {
  it("shows release and SDK", () => {
    expect(androidLabel(dev({ android_release: "14", sdk: 34 }))).toBe("Android 14 (SDK 34)");
    expect(androidLabel(dev({ sdk: 30 }))).toBe("SDK 30");
    expect(androidLabel(dev({}))).toBe("Android version unknown");
  });
});

describe("stateBadge", () => {
  it("maps adb states and problems to a tone", () => {
    expect(stateBadge(dev({}))).toEqual({ text: "ready", tone: "ok" });
    expect(stateBadge(dev({ flags: ["x"] })).tone).toBe("warn");
    const finding = (severity: "blocker" | "warning") => ({ rule: "r", severity, message: "m", next_step: "n" });
    expect(stateBadge(dev({ problems: [finding("warning")] }))).toEqual({ text: "check", tone: "warn" });
    expect(stateBadge(dev({ problems: [finding("warning"), finding("blocker")] }))).toEqual({ text: "blocked", tone: "bad" });
    expect(stateBadge(dev({ state: "unauthorized" }))).toEqual({ text: "unauthorized", tone: "warn" });
    expect(stateBadge(dev({ state: "offline" })).tone).toBe("bad");
    expect(stateBadge(dev({ error: "gone" })).text).toBe("read failed");
  });
});

describe("slotLabel", () => {
  it("prefers the slot number, then the connection", () => {
    expect(slotLabel(dev({ slot_number: 7, slot: "1-4.3" }))).toBe("Slot 7");
    expect(slotLabel(dev({ slot: "127.0.0.1:5555" }))).toBe("127.0.0.1:5555");
    expect(slotLabel(dev({ key: "ABC" }))).toBe("ABC");
  });
});

describe("evidenceLines", () => {
  const evidence: StageEvidence = {
    device_provisioned: true, user_setup_complete: false, device_owner: "com.google.android.apps.work.clouddpc",
    boot_count: 3, intune_app: "24.8.2", company_portal: null, authenticator: "6.2401.0", imei: "490154203237518",
    firmware: { manufacturer: "Google", model: "Pixel 7", display_id: "AP4A.250105.002", incremental: "1003", realwear: null, version: null },
    unread: ["company portal"],
  };
  it("lists what was read, and what couldn't be", () => {
    const lines = new Map(evidenceLines(evidence));
    expect(lines.get("Provisioned")).toBe("yes");
    expect(lines.get("Setup complete")).toBe("no");
    expect(lines.get("Intune app")).toBe("24.8.2");
    expect(lines.has("Company Portal")).toBe(false);
    expect(lines.get("Authenticator")).toBe("6.2401.0");
    expect(lines.get("Boot count")).toBe("3");
    expect(lines.get("IMEI")).toBe("490154203237518");
    expect(lines.get("Device owner")).toBe("com.google.android.apps.work.clouddpc");
    expect(lines.get("Not read")).toBe("company portal");
  });
  it("says unknown instead of guessing", () => {
    const lines = new Map(evidenceLines({ ...evidence, device_provisioned: null, intune_app: null, unread: [] }));
    expect(lines.get("Provisioned")).toBe("unknown");
    expect(lines.get("Intune app")).toBe("not installed");
    expect(lines.has("Not read")).toBe(false);
  });
  it("is empty without evidence", () => {
    expect(evidenceLines(null)).toEqual([]);
  });
});

describe("intuneLines", () => {
  it("says not seen, then the stage, name, user and check-in", () => {
    expect(intuneLines(null)).toEqual([["Intune", "not seen yet"]]);
    const lines = intuneLines({
      intuneId: "md-1", deviceName: "ana_AndroidEnterprise_11/21/26_4.21 PM", serialNumber: "R58N1",
      stage: "user-assigned", stagingName: false, enrollmentType: "androidEnterpriseFullyManaged",
      managementState: "managed", userPrincipalName: "ana@contoso.com", userDisplayName: "ana",
      enrolled: "2026-11-21T16:21:00Z", lastSync: "2026-11-22T09:00:00.123Z",
    });
    expect(lines).toEqual([
      ["Intune", "user signed in"],
      ["Intune name", "ana_AndroidEnterprise_11/21/26_4.21 PM"],
      ["User", "ana@contoso.com"],
      ["Enrollment", "androidEnterpriseFullyManaged"],
      ["Last check-in", "2026-11-22 09:00:00 UTC"],
    ]);
  });
});
