import { describe, expect, it, vi } from "vitest";
import {
  debounce,
  factLines,
  guardOf,
  pickTemplate,
  previewKey,
  requestFrom,
  templateLabel,
  templatesFor,
  type LabelForm,
} from "./labels";
import type { PreviewFacts, TemplateView } from "./label_bindings";
import type { BatchSummary, TokenCheck } from "./types";

function template(name: string, kind: TemplateView["kind"], w: number, h: number, sheet: string | null = null): TemplateView {
  return { name, description: "", kind, width_mm: w, height_mm: h, sheet };
}

const TEMPLATES = [
  template("device-a4-3x8", "device", 70, 36, "A4, 3 × 8"),
  template("device-50x30mm", "device", 50, 30),
  template("device-2x1in", "device", 50.8, 25.4),
  template("enrollment-4x6in", "enrollment", 101.6, 152.4),
  template("box-4x6in", "box", 101.6, 152.4),
];

const FORM: LabelForm = {
  template: "device-2x1in",
  source: "batch",
  batch: "b1",
  stage: "",
  serialsText: "",
  copies: 1,
  refuseWifi: false,
};

describe("templates", () => {
  it("offers the source's kind, rolls before sheets, smallest first", () => {
    expect(templatesFor(TEMPLATES, "batch").map((t) => t.name)).toEqual(["device-2x1in", "device-50x30mm", "device-a4-3x8", "box-4x6in"]);
    expect(templatesFor(TEMPLATES, "serials").map((t) => t.name)).toContain("box-4x6in");
    expect(templatesFor(TEMPLATES, "enrollment").map((t) => t.name)).toEqual(["enrollment-4x6in"]);
  });

  it("keeps the chosen template when it fits the source, else takes the first that does", () => {
    expect(pickTemplate(TEMPLATES, "serials", "device-50x30mm")).toBe("device-50x30mm");
    expect(pickTemplate(TEMPLATES, "enrollment", "device-50x30mm")).toBe("enrollment-4x6in");
    expect(pickTemplate([], "batch", "x")).toBe("");
  });

  it("names sizes in inches when they are inch sizes, else in millimetres", () => {
    expect(templateLabel(TEMPLATES[2])).toBe("2 × 1 in roll (device-2x1in)");
    expect(templateLabel(TEMPLATES[1])).toBe("50 × 30 mm roll (device-50x30mm)");
    expect(templateLabel(TEMPLATES[4])).toBe("Box label (all the devices), 4 × 6 in roll (box-4x6in)");
    expect(templateLabel(TEMPLATES[0])).toBe("70 × 36 mm on A4, 3 × 8 sheets (device-a4-3x8)");
  });
});

describe("requestFrom", () => {
  it("makes a batch request with an optional stage", () => {
    expect(requestFrom(FORM)).toEqual({
      request: { template: "device-2x1in", source: { kind: "batch", batch: "b1", stage: null }, copies: 1, refuse_wifi_credentials: false },
    });
    const staged = requestFrom({ ...FORM, stage: "bench-done", copies: 3 });
    expect(staged).toMatchObject({ request: { source: { kind: "batch", stage: "bench-done" }, copies: 3 } });
  });

  it("takes typed serials as the batch form does, and the enrollment label of a batch", () => {
    expect(requestFrom({ ...FORM, source: "serials", serialsText: "r5cr1, r5cr2\nr5cr1" })).toMatchObject({
      request: { source: { kind: "serials", serials: ["R5CR1", "R5CR2"] } },
    });
    expect(requestFrom({ ...FORM, source: "enrollment", template: "enrollment-4x6in", refuseWifi: true })).toMatchObject({
      request: { source: { kind: "enrollment", batch: "b1" }, refuse_wifi_credentials: true },
    });
  });

  it("says what is missing", () => {
    expect(requestFrom({ ...FORM, template: "" })).toEqual({ missing: "Pick a template." });
    expect(requestFrom({ ...FORM, batch: "" })).toEqual({ missing: "Pick a batch." });
    expect(requestFrom({ ...FORM, source: "serials", serialsText: " , " })).toEqual({ missing: "Type or scan at least one serial." });
    expect(requestFrom({ ...FORM, copies: 0 })).toEqual({ missing: "Copies: 1 to 1000." });
    expect(requestFrom({ ...FORM, copies: 1001 })).toEqual({ missing: "Copies: 1 to 1000." });
  });

  it("keys previews on what they depend on: the dpi only without a printer", () => {
    const r = (requestFrom(FORM) as { request: never }).request;
    expect(previewKey(r, "zebra", 203, false)).toBe(previewKey(r, "zebra", 600, false));
    expect(previewKey(r, "", 203, false)).not.toBe(previewKey(r, "", 600, false));
    expect(previewKey(r, "", 203, false)).not.toBe(previewKey(r, "", 203, true));
  });
});

describe("facts and guards", () => {
  const facts: PreviewFacts = {
    template: "device-2x1in",
    dpi: 300,
    label_mm: [50.8, 25.4],
    label_dots: [600, 300],
    page_dots: [600, 300],
    qr_module_dots: 6,
    qr_modules: 29,
    labels: 12,
    pages: 12,
    warnings: [],
    without_serial: 0,
    masked: false,
    wifi_credentials: false,
  };

  it("puts the preview's facts in words", () => {
    expect(factLines(facts)).toEqual([
      "50.8 × 25.4 mm label, 600 × 300 dots at 300 dpi",
      "QR code: 6 dots per module, 29 modules across with its quiet zone",
      "12 labels on 12 pages",
    ]);
    expect(factLines({ ...facts, qr_module_dots: null, qr_modules: null, labels: 1, pages: 1 })).toEqual([
      "50.8 × 25.4 mm label, 600 × 300 dots at 300 dpi",
      "1 label on 1 page",
    ]);
  });

  function summary(token: Partial<TokenCheck>, wifi = false): BatchSummary {
    return {
      batch: { profile: { carries_wifi_credentials: wifi } },
      token: { expires: null, state: "ok", message: null, printing_blocked: false, ...token },
    } as unknown as BatchSummary;
  }

  it("blocks a batch whose token check blocks printing, with its reason", () => {
    const expired = guardOf(summary({ state: "expired", message: "The batch's token expired on 2026-01-01.", printing_blocked: true }));
    expect(expired).toEqual({ blocked: true, tone: "bad", text: "The batch's token expired on 2026-01-01.", wifi: false });
    expect(guardOf(summary({ state: "revoked", printing_blocked: true })).text).toBe("The batch's token is revoked.");
    expect(guardOf(summary({ state: "expiring-soon", message: "soon" }, true))).toEqual({ blocked: false, tone: "warn", text: "soon", wifi: true });
    expect(guardOf(undefined).blocked).toBe(false);
  });
});

describe("debounce", () => {
  it("calls once, with the last arguments, after calls stop", () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    const d = debounce((n: number) => seen.push(n), 200);
    d.call(1);
    vi.advanceTimersByTime(150);
    d.call(2);
    vi.advanceTimersByTime(150);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(60);
    expect(seen).toEqual([2]);
    d.call(3);
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(seen).toEqual([2]);
    vi.useRealTimers();
  });
});
