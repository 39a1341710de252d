// Which screen the window shows, shared so a remedy's button on any screen can open another.
import type { RemedyAction, View } from "./remedy";

export const nav: { view: View } = $state({ view: "bench" });

/** Opens the remedy's screen and brings its field into view. */
export function go(action: RemedyAction): void {
  nav.view = action.view;
  const focus = action.focus;
  if (focus) {
    // After the screen is shown (hidden elements can't take focus).
    setTimeout(() => {
      const el = document.getElementById(focus);
      el?.scrollIntoView({ block: "center" });
      el?.focus();
    });
  }
}
