import { describe, expect, it } from "vitest";
import { benchDevice } from "./fixtures.test-support";
import { intuneLines } from "./bench";
import { asOfLine, clockTime, unpluggedLabel } from "./cardStatus";

const dev = benchDevice;

const at = (h: number, m: number) => new Date(2026, 0, 5, h, m).toISOString();

describe("unpluggedLabel", () => {
  it("names the slot, the time it left and the serial", () => {
    const d = dev({ key: "2109100002", serial: "2109100002", slot_number: 8, unplugged_at: at(15, 1) });
    expect(unpluggedLabel(d)).toBe("Slot 8 — unplugged 15:01, 2109100002");
  });
  it("says powered off when the technician powered it off at the end of the bench's part", () => {
    const status = { kind: "unplugged" as const, word: "Powered off", icon: "unplugged" as const, tone: "muted" as const, next_step: "n", remedy: null };
    const d = dev({ key: "R5CR1", serial: "R5CR1", slot_number: 3, unplugged_at: at(15, 1), status });
    expect(unpluggedLabel(d)).toBe("Slot 3 — powered off 15:01, R5CR1");
  });
  it("says USB was closed by policy when the device left after enrolling (issue 15)", () => {
    const status = { kind: "waiting" as const, word: "USB closed by policy (expected)", icon: "hourglass" as const, tone: "info" as const, next_step: "n", remedy: null };
    const d = dev({ key: "R5CR2", serial: "R5CR2", slot_number: 4, unplugged_at: at(15, 1), status });
    expect(unpluggedLabel(d)).toBe("Slot 4 — USB closed by policy (expected) 15:01, R5CR2");
  });
  it("falls back to the port and the key", () => {
    expect(unpluggedLabel(dev({ key: "127.0.0.1:5555", slot: "127.0.0.1:5555", unplugged_at: at(9, 5) }))).toBe(
      "127.0.0.1:5555 — unplugged 09:05, 127.0.0.1:5555",
    );
  });
});

describe("asOfLine", () => {
  it("says when the device was read and Intune asked, or since when Intune lost it", () => {
    expect(asOfLine(dev({}))).toBe("");
    expect(asOfLine(dev({ read_at: at(14, 55), intune_checked_at: at(15, 1) }))).toBe("Read 14:55 · Intune checked 15:01");
    expect(asOfLine(dev({ intune_gone_since: at(15, 2) }))).toBe("Gone from Intune since 15:02");
  });
  it("keeps text it can't read as a time", () => {
    expect(clockTime("soon")).toBe("soon");
  });
});


describe("intuneLines beside a status", () => {
  it("never says 'not seen yet' of a device Intune lost", () => {
    expect(intuneLines(null, at(15, 2))).toEqual([["Intune", "no longer shows it"]]);
  });
});
