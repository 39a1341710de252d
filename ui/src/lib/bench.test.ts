import { describe, expect, it } from "vitest";
import { benchDevice } from "./fixtures.test-support";
import {
  androidLabel, cardStatus, evidenceLines, intuneLines, modelLine, newlyNeedingAttention, slotHeading,
  sortDevices,
} from "./bench";
import type { CardStatus, DeviceStage, StageEvidence, StatusKind } from "./types";

const dev = benchDevice;

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

describe("slotHeading", () => {
  it("is the number, or a short honest label, never the address", () => {
    expect(slotHeading(dev({ slot_number: 12, slot: "127.0.0.1:34827" }))).toEqual({ word: "Slot", digits: "12" });
    expect(slotHeading(dev({ slot: "127.0.0.1:34827", key: "127.0.0.1:34827" }))).toEqual({ word: "No slot", digits: null });
  });
});

describe("cardStatus", () => {
  const stage = (s: DeviceStage["stage"]): DeviceStage => ({
    flow: "staging-token", stage: s, instruction: `do ${s}`, remedy: null, problems: [],
  });
  const status = (kind: StatusKind, icon: CardStatus["icon"], tone: CardStatus["tone"]): CardStatus => ({
    kind, word: `${kind} word`, icon, tone, next_step: `next for ${kind}`, remedy: null,
  });

  it("shows the core's one status: its word, tone and next step", () => {
    const s = cardStatus(dev({ status: status("disagree", "split", "bad") }));
    expect(s).toMatchObject({ kind: "disagree", word: "disagree word", icon: "split", tone: "bad", next: "next for disagree" });
  });

  it("draws the stage's own icon for a device on its way, the core's icon otherwise", () => {
    expect(cardStatus(dev({ status: status("waiting", "hourglass", "info"), stage: stage("bench-done") })).icon).toBe("power");
    expect(cardStatus(dev({ status: status("done", "check", "ok"), stage: stage("user-signed-in") })).icon).toBe("user");
    expect(cardStatus(dev({ status: status("problem", "alert", "bad"), stage: stage("enrolling") })).icon).toBe("alert");
    expect(cardStatus(dev({ status: status("unplugged", "unplugged", "muted") })).icon).toBe("plug");
  });

  it("every core kind has a word and an icon; colour is never the only difference", () => {
    const kinds: [StatusKind, CardStatus["icon"], CardStatus["tone"]][] = [
      ["needs-technician", "hand", "warn"], ["working", "spinner", "info"], ["waiting", "hourglass", "info"],
      ["done", "check", "ok"], ["problem", "alert", "bad"], ["disagree", "split", "bad"], ["unplugged", "unplugged", "muted"],
    ];
    const all = kinds.map(([k, i, t]) => cardStatus(dev({ status: status(k, i, t) })));
    for (const s of all) {
      expect(s.word).not.toBe("");
      expect(s.icon).toBeTruthy();
    }
    expect(new Set(all.map((s) => s.icon)).size).toBe(all.length);
  });

  it("draws attention when the technician is needed at the device", () => {
    expect(cardStatus(dev({ status: status("needs-technician", "hand", "warn") })).attention).toBe(true);
    expect(cardStatus(dev({ status: status("problem", "alert", "bad") })).attention).toBe(true);
    expect(cardStatus(dev({ status: status("disagree", "split", "bad") })).attention).toBe(true);
    expect(cardStatus(dev({ status: status("waiting", "hourglass", "info") })).attention).toBe(false);
    expect(cardStatus(dev({ status: status("done", "check", "ok") })).attention).toBe(false);
  });
});

describe("newlyNeedingAttention", () => {
  it("names only the cards that came to need the technician", () => {
    const now = [{ key: "a", attention: true }, { key: "b", attention: true }, { key: "c", attention: false }];
    expect(newlyNeedingAttention(new Set(["a"]), now)).toEqual(["b"]);
    expect(newlyNeedingAttention(new Set(["a", "b"]), now)).toEqual([]);
  });
});

describe("modelLine", () => {
  it("joins maker and model", () => {
    expect(modelLine({ manufacturer: "Google", model: "Pixel 7" })).toBe("Google Pixel 7");
    expect(modelLine({ manufacturer: null, model: null })).toBe("Unknown device");
  });
});
