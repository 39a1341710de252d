// The core's remedies as the app offers them: a button that opens the screen where the step is
// taken (and, where one exists, the field to start with). The CLI words the same remedies as
// command lines; here they are screen names. A remedy with no screen in the app (taken on the
// device itself, or only from the CLI for now) gets no button: its message says it in words.
import type { Remedy } from "./types";

/** The app's screens, as the navigation names them. */
export type View = "bench" | "batches" | "labels" | "activity" | "qr" | "profiles" | "tenant" | "settings";

/** What a remedy's button says and where it goes. */
export interface RemedyAction {
  label: string;
  view: View;
  /** The element to bring into view and focus there, when the screen has one for the step. */
  focus?: string;
}

export function remedyAction(r: Remedy | null | undefined): RemedyAction | null {
  if (!r) return null;
  switch (r.step) {
    case "sign-in":
      return { label: "Sign in", view: "tenant" };
    case "sign-in-again":
      return { label: "Sign in again", view: "tenant" };
    case "add-printer":
      return { label: `Add printer ${r.name}`, view: "labels", focus: "printer-add-name" };
    case "pick-printer":
      return { label: "Pick a printer", view: "labels", focus: "label-printer" };
    case "check-printer":
      return { label: `Check printer ${r.name}`, view: "labels", focus: "printers" };
    case "retry-print-job":
      return { label: `Retry job ${r.job} in the print queue`, view: "labels", focus: "print-queue-panel" };
    case "list-print-jobs":
      return { label: "Print queue", view: "labels", focus: "print-queue-panel" };
    case "free-slot":
      return { label: `Free slot ${r.number}`, view: "bench" };
    case "pick-batch":
      return { label: "Batches", view: "batches" };
    case "import-bench-pack":
      return { label: "Import the bench pack", view: "batches", focus: "pack-import-open" };
    case "replace-token":
      return { label: `Replace the token of “${r.profile}”`, view: "profiles" };
    case "pick-template":
      return { label: `Pick a ${r.kind} template`, view: "labels", focus: "label-template" };
    // The slot editor offers the free number itself, on the card.
    case "use-slot":
    case "reassign-primary-user":
    case "accept-usb-prompt":
    // Accepting a vendor key is offered where the report was refused (with its fingerprint).
    case "accept-vendor-key":
      return null;
  }
}
