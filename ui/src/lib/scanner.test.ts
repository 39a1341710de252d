import { describe, expect, it } from "vitest";
import { outcomeText, scansFor, shownScan, statusText, timeText, waitingScans } from "./scanner";
import type { ScanRecord } from "./scanner";

function scan(extra: Partial<ScanRecord>): ScanRecord {
  return {
    id: 1,
    at: "2026-03-01T10:00:05Z",
    text: "R5CR0001",
    symbology: null,
    result: "added",
    message: null,
    refusal: null,
    batch: "b1",
    batch_name: "Wave 1",
    held: null,
    slot: null,
    ...extra,
  };
}

describe("statusText", () => {
  it("says where scans go when connected", () => {
    expect(statusText({ state: "connected", port: "/dev/ttyACM0", baud: 9600 })).toEqual({
      tone: "ok",
      text: "Connected to /dev/ttyACM0 at 9600 baud: scans go into the active batch.",
    });
  });
  it("passes the waiting and failed messages on, capitalised, with their tone", () => {
    const waiting = statusText({ state: "waiting", port: "/dev/ttyACM0", message: "waiting for /dev/ttyACM0 — plug the scanner in" });
    expect(waiting).toEqual({ tone: "warn", text: "Waiting for /dev/ttyACM0 — plug the scanner in" });
    expect(statusText({ state: "failed", port: "COM3", message: "not allowed to open COM3" }).tone).toBe("bad");
  });
  it("says a keyboard wedge needs nothing when off", () => {
    const off = statusText({ state: "off" });
    expect(off.tone).toBe("muted");
    expect(off.text).toContain("keyboard-wedge");
  });
});

describe("outcomeText", () => {
  it("names the batch a scan went into", () => {
    expect(outcomeText(scan({}))).toEqual({ tone: "ok", text: "added to “Wave 1”" });
    expect(outcomeText(scan({ result: "already-there" })).text).toBe("already in “Wave 1”");
  });
  it("gives the reason for a refused or held scan", () => {
    const refused = scan({ result: "refused", batch: null, batch_name: null, message: "the scan has control characters in it" });
    expect(outcomeText(refused)).toEqual({ tone: "bad", text: "refused: the scan has control characters in it" });
    const held = scan({ result: "held", batch: null, batch_name: null, message: "no active batch: make one active" });
    expect(outcomeText(held)).toEqual({ tone: "warn", text: "held: no active batch: make one active" });
  });
});

describe("box labels", () => {
  it("says a tied label's slot and that a waiting one is tied on its card", () => {
    expect(outcomeText(scan({ result: "tied", text: "BOX0042", batch: null, batch_name: null, slot: 5 }))).toEqual({
      tone: "ok",
      text: "box label of the device in slot 5",
    });
    expect(outcomeText(scan({ result: "waiting", held: 3 })).text).toContain("on the card of its device");
  });
  it("offers only the scans that wait and are kept", () => {
    const rows = [
      scan({ id: 1, result: "waiting", held: 7, text: "BOX0042" }),
      scan({ id: 2, result: "held", held: 8 }),
      scan({ id: 3, result: "waiting", held: null }),
      scan({ id: 4, result: "tied", slot: 2 }),
    ];
    expect(waitingScans(rows).map((r) => r.id)).toEqual([1]);
    expect(scansFor(rows, "nope").map((r) => r.id)).toEqual([1, 2, 3]);
  });
});

describe("scansFor", () => {
  it("lists a batch's scans and those that went nowhere, not other batches'", () => {
    const rows = [
      scan({ id: 1 }),
      scan({ id: 2, batch: "b2", batch_name: "Wave 2" }),
      scan({ id: 3, result: "held", batch: null, batch_name: null }),
      scan({ id: 4, result: "refused", batch: null, batch_name: null }),
      scan({ id: 5, result: "refused", batch: "b2", batch_name: "Wave 2" }),
    ];
    expect(scansFor(rows, "b1").map((r) => r.id)).toEqual([1, 3, 4]);
  });
});

describe("shownScan", () => {
  it("makes control characters visible and cuts long text", () => {
    expect(shownScan("AB\u001bCD\r\n")).toBe("AB\\u{1b}CD");
    expect(shownScan("R5CR1000010000200003000040000")).toBe("R5CR10000100002000030000…");
  });
  it("never shows a QR code's contents", () => {
    expect(shownScan("WIFI:T:WPA;S:Bench;P:correct horse;;")).toBe("(a QR code's contents, not shown)");
    expect(shownScan('{"android.app.extra.PROVISIONING_X":"T0K3N"}')).toBe("(a QR code's contents, not shown)");
    expect(shownScan("x".repeat(300))).toBe("(300 characters)");
  });
});

describe("timeText", () => {
  it("shows a time of day, and nothing for a bad time", () => {
    expect(timeText("2026-03-01T10:00:05Z")).toMatch(/^\d\d:\d\d:05$/);
    expect(timeText("not a time")).toBe("");
  });
});
