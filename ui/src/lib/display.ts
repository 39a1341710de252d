// How the bench is shown, as pure functions: zoom steps and the keys that move them, the display
// preferences (dense mode, QR beside the grid, alert sound, full-screen QR time) as saved, the
// label of a batch's QR, and WCAG contrast ratios for the palette.
import type { BatchSummary } from "./types";

/** Zoom factors Ctrl + and Ctrl − step through (1 = the app's own size). */
export const ZOOM_STEPS = [0.67, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2] as const;

/** The next zoom step up (`+1`) or down (`-1`) from `zoom`, within the steps. */
export function stepZoom(zoom: number, direction: 1 | -1): number {
  if (direction > 0) return ZOOM_STEPS.find((z) => z > zoom + 0.001) ?? ZOOM_STEPS[ZOOM_STEPS.length - 1];
  return [...ZOOM_STEPS].reverse().find((z) => z < zoom - 0.001) ?? ZOOM_STEPS[0];
}

/** What a key press asks of the zoom: Ctrl + (or =), Ctrl −, Ctrl 0; `null` for anything else. */
export function zoomKey(e: Pick<KeyboardEvent, "ctrlKey" | "metaKey" | "altKey" | "key">): "in" | "out" | "reset" | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  switch (e.key) {
    case "+":
    case "=":
      return "in";
    case "-":
    case "_":
      return "out";
    case "0":
      return "reset";
    default:
      return null;
  }
}

/** The display preferences, remembered on this computer. */
export type DisplayPrefs = {
  /** Zoom factor, one of ZOOM_STEPS. */
  zoom: number;
  /** Dense mode: small tiles, fifty devices on a 1080p screen. */
  dense: boolean;
  /** The active batch's QR beside the grid. */
  qrBeside: boolean;
  /** A short sound when a device comes to need the technician. */
  sound: boolean;
  /** Seconds until a full-screen QR hides itself. */
  qrHideSeconds: number;
};

export const DEFAULT_PREFS: DisplayPrefs = { zoom: 1, dense: false, qrBeside: true, sound: false, qrHideSeconds: 120 };

/** The longest a full-screen QR may stay (seconds). */
export const MAX_QR_SECONDS = 3600;

/** Preferences read back from storage: anything missing, mistyped or out of range is the default. */
export function parsePrefs(saved: string | null): DisplayPrefs {
  let raw: Record<string, unknown> = {};
  try {
    const parsed = saved ? JSON.parse(saved) : {};
    if (parsed && typeof parsed === "object") raw = parsed;
  } catch {
    // A damaged entry: the defaults.
  }
  const bool = (k: keyof DisplayPrefs) => (typeof raw[k] === "boolean" ? (raw[k] as boolean) : (DEFAULT_PREFS[k] as boolean));
  const zoom = typeof raw.zoom === "number" && ZOOM_STEPS.some((z) => Math.abs(z - (raw.zoom as number)) < 0.001) ? raw.zoom : DEFAULT_PREFS.zoom;
  return {
    zoom,
    dense: bool("dense"),
    qrBeside: bool("qrBeside"),
    sound: bool("sound"),
    qrHideSeconds: qrSeconds(raw.qrHideSeconds),
  };
}

/** A full-screen time as typed: whole seconds from 1 to MAX_QR_SECONDS, else the default. */
export function qrSeconds(v: unknown): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= MAX_QR_SECONDS ? n : DEFAULT_PREFS.qrHideSeconds;
}

/** "100 %". */
export function zoomLabel(zoom: number): string {
  return `${Math.round(zoom * 100)} %`;
}

/** The lines that label a batch's QR: batch, profile, and when its token expires. */
export function qrCaption(s: Pick<BatchSummary, "batch" | "token">): { batch: string; profile: string; expiry: string } {
  const expires = s.token.expires ?? s.batch.profile.token_expires;
  const when = expires ? `Token expires ${expires.slice(0, 10)} ${expires.slice(11, 16)}`.trim() : "Token does not expire";
  return {
    batch: s.batch.name,
    profile: s.batch.profile.profile_name || "No profile named",
    expiry: s.token.message ? `${when} — ${s.token.message}` : when,
  };
}

// ---- Contrast (WCAG 2) ----------------------------------------------------------------------

/** A colour `#rgb` or `#rrggbb` as [r, g, b] 0–255. */
export function hexColour(hex: string): [number, number, number] {
  const h = hex.trim().replace(/^#/, "");
  const full = h.length === 3 ? [...h].map((c) => c + c).join("") : h;
  if (!/^[0-9a-fA-F]{6}$/.test(full)) throw new Error(`not a #rrggbb colour: ${hex}`);
  const n = parseInt(full, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]: [number, number, number]): number {
  const f = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

/** The WCAG contrast ratio of two `#rrggbb` colours (1–21). */
export function contrastRatio(a: string, b: string): number {
  const [x, y] = [luminance(hexColour(a)), luminance(hexColour(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** The custom properties (`--name: #hex;`) of a stylesheet's `:root` block. */
export function cssColours(css: string): Record<string, string> {
  const root = css.match(/:root\s*\{([^}]*)\}/);
  const out: Record<string, string> = {};
  for (const m of (root?.[1] ?? "").matchAll(/--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\s*;/g)) out[m[1]] = m[2];
  return out;
}
