// Integer-scale QR layout: every module is a whole number of device pixels, so the code stays
// crisp (no blurred module edges that phone cameras misread).

export interface QrLayout {
  /** Device pixels per module (≥ 1). */
  modulePx: number;
  /** Canvas size in device pixels, quiet zone included. */
  canvasPx: number;
  /** Canvas size in CSS pixels (canvasPx / devicePixelRatio). */
  cssPx: number;
}

/** The largest integer module size that fits `availableCss` CSS pixels at `dpr`. */
export function layoutQr(modules: number, quietZone: number, availableCss: number, dpr: number): QrLayout {
  if (!(modules > 0)) throw new Error(`a QR code has at least 21 modules, got ${modules}`);
  const ratio = dpr > 0 && Number.isFinite(dpr) ? dpr : 1;
  const total = modules + 2 * quietZone;
  const availableDevice = Math.max(0, Math.floor(availableCss * ratio));
  const modulePx = Math.max(1, Math.floor(availableDevice / total));
  const canvasPx = modulePx * total;
  return { modulePx, canvasPx, cssPx: canvasPx / ratio };
}

/** Paints rows of "0"/"1" into an RGBA buffer (quiet zone white), for a canvas ImageData. */
export function paintQr(rows: string[], quietZone: number, modulePx: number): Uint8ClampedArray<ArrayBuffer> {
  const total = rows.length + 2 * quietZone;
  const side = total * modulePx;
  const out = new Uint8ClampedArray(new ArrayBuffer(side * side * 4)).fill(255);
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (row[x] !== "1") continue;
      const x0 = (x + quietZone) * modulePx;
      const y0 = (y + quietZone) * modulePx;
      for (let dy = 0; dy < modulePx; dy++) {
        let i = ((y0 + dy) * side + x0) * 4;
        for (let dx = 0; dx < modulePx; dx++, i += 4) {
          out[i] = 0;
          out[i + 1] = 0;
          out[i + 2] = 0;
        }
      }
    }
  });
  return out;
}
