import { describe, expect, it } from "vitest";
import { jobBadge, printerLine } from "./printing";
import type { QueueJob } from "./label_bindings";

describe("queue and printers", () => {
  const job = { state: "queued", attempts: 0 } as QueueJob;

  it("badges jobs by state", () => {
    expect(jobBadge(job)).toEqual({ text: "queued", tone: "muted" });
    expect(jobBadge({ ...job, attempts: 2 })).toEqual({ text: "waiting to retry (2 tries)", tone: "warn" });
    expect(jobBadge({ ...job, state: "done" }).text).toBe("printed");
    expect(jobBadge({ ...job, state: "failed" }).tone).toBe("bad");
  });

  it("describes a printer in one line", () => {
    expect(printerLine({ name: "z", kind: "raw", address: "10.0.0.5:9100", baud: null, dpi: 203, media: "2x1in", format: "zpl" })).toBe(
      "raw 10.0.0.5:9100 · 203 dpi · ZPL · 2x1in",
    );
    expect(printerLine({ name: "s", kind: "serial", address: "/dev/ttyUSB0", baud: 9600, dpi: null, media: null, format: "zpl" })).toBe(
      "serial /dev/ttyUSB0 @ 9600 · dpi not set · ZPL",
    );
  });
});
