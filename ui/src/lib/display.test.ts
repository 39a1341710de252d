import { describe, expect, it } from "vitest";
import {
  DEFAULT_PREFS, ZOOM_STEPS, contrastRatio, cssColours, hexColour, parsePrefs, qrCaption, qrSeconds, stepZoom, zoomKey, zoomLabel,
} from "./display";
import type { BatchSummary } from "./types";
// The stylesheet as the app ships it (Vite hands it over as text).
import css from "../app.css?raw";

describe("zoom", () => {
  it("steps up and down through the steps and stops at the ends", () => {
    expect(stepZoom(1, 1)).toBe(1.1);
    expect(stepZoom(1, -1)).toBe(0.9);
    expect(stepZoom(2, 1)).toBe(2);
    expect(stepZoom(0.67, -1)).toBe(0.67);
    // A value between steps goes to the next one in that direction.
    expect(stepZoom(1.05, 1)).toBe(1.1);
    expect(stepZoom(1.05, -1)).toBe(1);
    let z = ZOOM_STEPS[0] as number;
    for (let i = 0; i < ZOOM_STEPS.length - 1; i++) z = stepZoom(z, 1);
    expect(z).toBe(2);
  });

  it("reads Ctrl +, Ctrl =, Ctrl −, Ctrl 0 and nothing else", () => {
    const key = (key: string, ctrlKey = true, altKey = false) => zoomKey({ key, ctrlKey, metaKey: false, altKey });
    expect(key("+")).toBe("in");
    expect(key("=")).toBe("in");
    expect(key("-")).toBe("out");
    expect(key("0")).toBe("reset");
    expect(key("+", false)).toBeNull();
    expect(key("0", true, true)).toBeNull();
    expect(key("a")).toBeNull();
    expect(zoomLabel(1.25)).toBe("125 %");
  });
});

describe("parsePrefs", () => {
  it("gives the defaults for nothing, garbage or wrong types: sound off, QR beside, two minutes", () => {
    expect(parsePrefs(null)).toEqual(DEFAULT_PREFS);
    expect(parsePrefs("{not json")).toEqual(DEFAULT_PREFS);
    expect(parsePrefs('{"dense": "yes", "zoom": 3, "qrHideSeconds": -4}')).toEqual(DEFAULT_PREFS);
    expect(DEFAULT_PREFS.sound).toBe(false);
    expect(DEFAULT_PREFS.qrHideSeconds).toBe(120);
  });
  it("keeps what was saved", () => {
    const saved = { zoom: 1.25, dense: true, qrBeside: false, sound: true, qrHideSeconds: 30 };
    expect(parsePrefs(JSON.stringify(saved))).toEqual(saved);
  });
  it("takes whole seconds from 1 to an hour", () => {
    expect(qrSeconds("3")).toBe(3);
    expect(qrSeconds(3600)).toBe(3600);
    expect(qrSeconds("0")).toBe(120);
    expect(qrSeconds("2.5")).toBe(120);
    expect(qrSeconds("")).toBe(120);
  });
});

describe("qrCaption", () => {
  const summary = (expires: string | null, message: string | null = null) =>
    ({
      batch: { name: "Dock 7 scanners", profile: { profile_name: "Warehouse staging", token_expires: expires } },
      token: { expires, state: "ok", message, remedy: null, printing_blocked: false },
    }) as unknown as BatchSummary;
  it("names the batch, the profile and when the token expires", () => {
    expect(qrCaption(summary("2027-01-06T22:26:00Z"))).toEqual({
      batch: "Dock 7 scanners",
      profile: "Warehouse staging",
      expiry: "Token expires 2027-01-06 22:26",
    });
    expect(qrCaption(summary(null)).expiry).toBe("Token does not expire");
    expect(qrCaption(summary("2027-01-06T22:26:00Z", "expires in 2 days")).expiry).toContain("expires in 2 days");
  });
});

describe("the palette's contrast (WCAG AA), computed from app.css", () => {
  const c = cssColours(css);

  it("reads the colours", () => {
    expect(hexColour("#fff")).toEqual([255, 255, 255]);
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(c.ink).toBeDefined();
  });

  it("every status word on its tint is at 4.5:1 or more", () => {
    for (const tone of ["ok", "info", "warn", "bad", "muted"]) {
      const ratio = contrastRatio(c[`${tone}-ink`], c[`${tone}-bg`]);
      expect(ratio, `${tone}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("text on the tiles and the page is at 4.5:1 or more; white on the strong colours too", () => {
    for (const [fg, bg] of [["ink", "panel"], ["ink", "bg"], ["muted", "panel"], ["muted", "bg"], ["accent", "panel"]]) {
      expect(contrastRatio(c[fg], c[bg]), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    }
    for (const strong of ["accent", "ok", "warn", "bad", "info"]) {
      expect(contrastRatio("#ffffff", c[strong]), `white on ${strong}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
