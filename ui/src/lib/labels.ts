// The Labels screen's pure helpers: which templates fit the source, the request to send, the
// preview's facts in words, the guards of a batch. The print queue and printers are in
// ./printing.ts.
import { parseSerials, type Tone } from "./batches";
import type { LabelKind, LabelRequest, PreviewFacts, TemplateView } from "./label_bindings";
import type { BatchSummary, Stage } from "./types";

export type SourceKind = "batch" | "serials" | "enrollment";

/** What the screen's pickers hold. */
export interface LabelForm {
  template: string;
  source: SourceKind;
  batch: string;
  stage: Stage | "";
  serialsText: string;
  copies: number;
  refuseWifi: boolean;
}

/** The label kinds a source can make: an enrollment QR, or devices (one label each, or all of
 * them boxed on one box label). */
export function kindsOf(source: SourceKind): LabelKind[] {
  return source === "enrollment" ? ["enrollment"] : ["device", "box"];
}

/** The templates for a source's labels: by kind (device before box), rolls before sheets, each by size. */
export function templatesFor(templates: TemplateView[], source: SourceKind): TemplateView[] {
  const kinds = kindsOf(source);
  return templates
    .filter((t) => kinds.includes(t.kind))
    .sort(
      (a, b) =>
        kinds.indexOf(a.kind) - kinds.indexOf(b.kind) ||
        Number(a.sheet !== null) - Number(b.sheet !== null) ||
        a.width_mm * a.height_mm - b.width_mm * b.height_mm,
    );
}

/** Keeps the chosen template when it fits the source, else the first that does ("" when none). */
export function pickTemplate(templates: TemplateView[], source: SourceKind, current: string): string {
  const fitting = templatesFor(templates, source);
  return fitting.some((t) => t.name === current) ? current : (fitting[0]?.name ?? "");
}

function trimNumber(n: number): string {
  return Number(n.toFixed(1)).toString();
}

/** A template as the picker names it: size in inches when it is a whole-ish inch size, else mm; the sheet. */
export function templateLabel(t: TemplateView): string {
  const inches = (mm: number) => mm / 25.4;
  const isInch = (mm: number) => Math.abs(inches(mm) * 4 - Math.round(inches(mm) * 4)) < 0.02;
  const size =
    isInch(t.width_mm) && isInch(t.height_mm)
      ? `${trimNumber(inches(t.width_mm))} × ${trimNumber(inches(t.height_mm))} in`
      : `${trimNumber(t.width_mm)} × ${trimNumber(t.height_mm)} mm`;
  const what = t.kind === "box" ? "Box label (all the devices), " : "";
  return `${what}${size}${t.sheet ? ` on ${t.sheet} sheets` : " roll"} (${t.name})`;
}

/** The request the form makes; `null` (with why) when it is not complete yet. */
export function requestFrom(form: LabelForm): { request: LabelRequest } | { missing: string } {
  if (!form.template) return { missing: "Pick a template." };
  const copies = Math.trunc(Number(form.copies));
  if (!Number.isFinite(copies) || copies < 1 || copies > 1000) return { missing: "Copies: 1 to 1000." };
  let source: LabelRequest["source"];
  if (form.source === "serials") {
    const serials = parseSerials(form.serialsText);
    if (serials.length === 0) return { missing: "Type or scan at least one serial." };
    source = { kind: "serials", serials };
  } else if (!form.batch) {
    return { missing: "Pick a batch." };
  } else if (form.source === "batch") {
    source = { kind: "batch", batch: form.batch, stage: form.stage || null };
  } else {
    source = { kind: "enrollment", batch: form.batch };
  }
  return { request: { template: form.template, source, copies, refuse_wifi_credentials: form.refuseWifi } };
}

/** A stable key of what the preview depends on, so it is drawn again only when one changes. */
export function previewKey(request: LabelRequest, printer: string, dpi: number, reveal: boolean): string {
  return JSON.stringify([request, printer, printer ? 0 : dpi, reveal]);
}

/** The preview's facts, one line each. */
export function factLines(f: PreviewFacts): string[] {
  const [wmm, hmm] = f.label_mm;
  const [wd, hd] = f.label_dots;
  const lines = [`${trimNumber(wmm)} × ${trimNumber(hmm)} mm label, ${wd} × ${hd} dots at ${f.dpi} dpi`];
  if (f.qr_module_dots !== null && f.qr_modules !== null) {
    lines.push(`QR code: ${f.qr_module_dots} dots per module, ${f.qr_modules} modules across with its quiet zone`);
  }
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  lines.push(`${plural(f.labels, "label")} on ${plural(f.pages, "page")}`);
  return lines;
}

/** What the batch's token means for its enrollment label (and for its device labels). */
export function guardOf(batch: BatchSummary | undefined): { blocked: boolean; tone: Tone; text: string | null; wifi: boolean } {
  if (!batch) return { blocked: false, tone: "muted", text: null, wifi: false };
  const t = batch.token;
  const wifi = batch.batch.profile.carries_wifi_credentials;
  if (t.printing_blocked) return { blocked: true, tone: "bad", text: t.message ?? `The batch's token is ${t.state}.`, wifi };
  if (t.message) return { blocked: false, tone: "warn", text: t.message, wifi };
  return { blocked: false, tone: "ok", text: null, wifi };
}

/** Calls `fn` once calls have stopped for `ms` milliseconds. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): { call: (...args: A) => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    call: (...args: A) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        fn(...args);
      }, ms);
    },
    cancel: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
