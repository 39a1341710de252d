// The display preferences of this computer (zoom, dense mode, QR beside the grid, alert sound,
// full-screen QR time): read from the webview's local storage once, saved on every change, the
// zoom applied to the page's root font size (every size in the app is in rem).
import { DEFAULT_PREFS, parsePrefs, stepZoom, type DisplayPrefs } from "./display";

const KEY = "stagebench.display";
/** The root font size at zoom 1 (app.css). */
const BASE_PX = 15;

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

export const prefs: DisplayPrefs = $state(parsePrefs(storage()?.getItem(KEY) ?? null));

/** Changes some preferences and remembers them. */
export function setPrefs(change: Partial<DisplayPrefs>): void {
  Object.assign(prefs, change);
  storage()?.setItem(KEY, JSON.stringify(prefs));
  if ("zoom" in change) applyZoom();
}

/** Ctrl + / Ctrl − / Ctrl 0. */
export function zoom(how: "in" | "out" | "reset"): void {
  setPrefs({ zoom: how === "reset" ? DEFAULT_PREFS.zoom : stepZoom(prefs.zoom, how === "in" ? 1 : -1) });
}

function applyZoom(): void {
  if (typeof document === "undefined") return;
  document.documentElement.style.fontSize = prefs.zoom === 1 ? "" : `${BASE_PX * prefs.zoom}px`;
}

applyZoom();
