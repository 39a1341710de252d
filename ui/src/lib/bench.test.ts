import { describe, expect, it } from "vitest";
import { androidLabel, sortDevices, stateBadge } from "./bench";
import type { BenchDevice } from "./types";

function dev(over: Partial<BenchDevice>): BenchDevice {
  return {
    key: "k", state: "device", next_step: null, serial: null, serials: [], manufacturer: null,
    model: null, android_release: null, sdk: null, build_id: null, slot: null, flags: [], error: null,
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
    expect(stateBadge(dev({ state: "unauthorized" }))).toEqual({ text: "unauthorized", tone: "warn" });
    expect(stateBadge(dev({ state: "offline" })).tone).toBe("bad");
    expect(stateBadge(dev({ error: "gone" })).text).toBe("read failed");
  });
});
