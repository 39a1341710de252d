import { describe, expect, it } from "vitest";
import { layoutQr, paintQr } from "./qrscale";

describe("layoutQr", () => {
  it("uses the largest whole module size that fits", () => {
    // 25 modules + 8 quiet = 33; 400 px / 33 = 12.1 → 12
    expect(layoutQr(25, 4, 400, 1)).toEqual({ modulePx: 12, canvasPx: 396, cssPx: 396 });
  });

  it("counts device pixels on HiDPI screens", () => {
    const l = layoutQr(25, 4, 400, 2);
    expect(l.modulePx).toBe(24);
    expect(l.canvasPx).toBe(792);
    expect(l.cssPx).toBe(396);
  });

  it("never goes below one pixel per module", () => {
    expect(layoutQr(177, 4, 50, 1).modulePx).toBe(1);
  });

  it("treats a bogus devicePixelRatio as 1", () => {
    expect(layoutQr(21, 4, 290, Number.NaN).modulePx).toBe(10);
  });

  it("rejects an empty code", () => {
    expect(() => layoutQr(0, 4, 100, 1)).toThrow(/at least 21 modules/);
  });
});

describe("paintQr", () => {
  it("paints dark modules as whole black squares inside a white quiet zone", () => {
    const px = paintQr(["10", "01"], 1, 2); // 4x4 modules of 2 px = 8x8 px
    const at = (x: number, y: number) => px[(y * 8 + x) * 4];
    expect(at(0, 0)).toBe(255); // quiet zone
    expect(at(2, 2)).toBe(0); // module (0,0) dark
    expect(at(3, 3)).toBe(0);
    expect(at(4, 2)).toBe(255); // module (1,0) light
    expect(at(4, 4)).toBe(0); // module (1,1) dark
    expect(at(7, 7)).toBe(255);
    expect(px[(2 * 8 + 2) * 4 + 3]).toBe(255); // opaque
  });
});
