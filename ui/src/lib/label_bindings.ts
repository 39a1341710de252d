// Generated from the Rust types by src-tauri/src/bindings.rs (ui_app_bindings_labels_match_the_rust_types).
// Do not edit by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.
import type { Stage } from "./bindings";

/**
 * What a label is for; decides which fields its elements may use.
 */
export type LabelKind = "enrollment" | "device" | "box";

/**
 * Which labels.
 */
export type LabelSource = { "kind": "serials", 
/**
 * The serials (trimmed; blank ones are dropped).
 */
serials: Array<string>, } | { "kind": "batch", 
/**
 * The batch's id, id prefix or name.
 */
batch: string, 
/**
 * Only devices at this stage.
 */
stage: Stage | null, } | { "kind": "enrollment", 
/**
 * The batch's id, id prefix or name.
 */
batch: string, };

/**
 * A request for labels: the template, what to label, copies of each, and whether to refuse
 * Wi-Fi credentials even when the bench setting allows them.
 */
export type LabelRequest = { 
/**
 * A built-in template's name or a template file.
 */
template: string, 
/**
 * What to label.
 */
source: LabelSource, 
/**
 * Copies of each label, 1 to [`MAX_COPIES`].
 */
copies: number, 
/**
 * Refuse Wi-Fi credentials on labels even if the bench setting allows them.
 */
refuse_wifi_credentials: boolean, };

/**
 * The facts of a preview.
 */
export type PreviewFacts = { 
/**
 * The template.
 */
template: string, 
/**
 * Resolution, dots per inch.
 */
dpi: number, 
/**
 * One label's size in millimetres.
 */
label_mm: [number, number], 
/**
 * One label's size in dots.
 */
label_dots: [number, number], 
/**
 * The previewed page's size in dots (the label on a roll, the whole sheet otherwise).
 */
page_dots: [number, number], 
/**
 * Dots per QR module on the first label (`None` without a QR code).
 */
qr_module_dots: number | null, 
/**
 * QR modules per side, quiet zone included.
 */
qr_modules: number | null, 
/**
 * Labels, copies included.
 */
labels: number, 
/**
 * Pages (labels on a roll, sheets on a page printer).
 */
pages: number, 
/**
 * Things to know before printing (Wi-Fi banner, devices left out, token expiring).
 */
warnings: Array<string>, 
/**
 * Batch devices without a serial, which get no label.
 */
without_serial: number, 
/**
 * Whether the enrollment QR shows a stand-in instead of the real payload.
 */
masked: boolean, 
/**
 * Whether the enrollment QR holds Wi-Fi credentials (the label carries the banner).
 */
wifi_credentials: boolean, };

/**
 * A template as the picker shows it.
 */
export type TemplateView = { 
/**
 * Its name, as requests give it.
 */
name: string, 
/**
 * What it is for.
 */
description: string, 
/**
 * The label kind.
 */
kind: LabelKind, 
/**
 * One label's width.
 */
width_mm: number, 
/**
 * One label's height.
 */
height_mm: number, 
/**
 * `A4, 3 × 8` for a sheet; `None` for a roll of single labels.
 */
sheet: string | null, };

/**
 * What to preview: the request, at a printer's resolution (else `dpi`, else 203 dpi); with
 * `reveal`, the enrollment label's real payload (audited as a QR display).
 */
export type PreviewRequest = { 
/**
 * The labels.
 */
request: LabelRequest, 
/**
 * A bench printer whose resolution to use.
 */
printer: string | null, 
/**
 * The resolution, when no printer is chosen.
 */
dpi: number | null, 
/**
 * Draw the real enrollment payload instead of the stand-in.
 */
reveal: boolean, };

/**
 * A preview: the first page as a PNG (base64) and its facts.
 */
export type PreviewView = { 
/**
 * The first page, 1-bit PNG at the printer's resolution, base64.
 */
png_base64: string, 
/**
 * What it shows.
 */
facts: PreviewFacts, };

/**
 * What printing queued.
 */
export type PrintQueued = { 
/**
 * The job's id.
 */
job: number, 
/**
 * Labels in it.
 */
labels: number, 
/**
 * Resolution rendered at.
 */
dpi: number, 
/**
 * `pdf` or `zpl`.
 */
format: string, 
/**
 * Batch devices without a serial, which got no label.
 */
without_serial: number, };

/**
 * A print job as the queue panel shows it (no document bytes).
 */
export type QueueJob = { 
/**
 * Id.
 */
id: number, 
/**
 * When it was queued, RFC 3339 UTC.
 */
created: string, 
/**
 * The printer's name.
 */
printer: string, 
/**
 * `pdf`, `png` or `zpl`.
 */
kind: string, 
/**
 * Title.
 */
title: string, 
/**
 * `queued`, `sending`, `done` or `failed`.
 */
state: string, 
/**
 * Sends started so far.
 */
attempts: number, 
/**
 * Not sent again before this, RFC 3339 UTC.
 */
next_attempt_at: string, 
/**
 * Why the last send failed.
 */
last_error: string | null, 
/**
 * `enrollment`, `device`, `box`, `test`.
 */
label_kind: string | null, 
/**
 * The device, for a one-label job.
 */
device_serial: string | null, };

/**
 * The queue as the panel shows it: the newest jobs, or why the queue can't be read.
 */
export type QueueState = { 
/**
 * The newest jobs, newest first.
 */
jobs: Array<QueueJob>, 
/**
 * Why the queue could not be read or drained, when it could not.
 */
problem: string | null, };

/**
 * A bench printer as the Printers panel shows it.
 */
export type PrinterView = { 
/**
 * The name labels are printed to.
 */
name: string, 
/**
 * `ipp`, `raw` or `serial`.
 */
kind: string, 
/**
 * The URL, `host:port`, or the port's path.
 */
address: string, 
/**
 * A serial port's baud rate.
 */
baud: number | null, 
/**
 * Its resolution, when known.
 */
dpi: number | null, 
/**
 * Its media, e.g. `2x1in`.
 */
media: string | null, 
/**
 * What labels for it are rendered as: `pdf` (IPP) or `zpl` (raw, serial).
 */
format: string, };

/**
 * What a printer says about itself, in words: "ready", or what stops it and what to do.
 */
export type PrinterStatusView = { 
/**
 * The printer.
 */
printer: string, 
/**
 * `ready`, `not-ready`, `unknown` (it did not say; jobs are sent anyway) or `unreachable`.
 */
readiness: string, 
/**
 * One line: the readiness, what the printer reports, and why it did not say.
 */
text: string, 
/**
 * What to do before it can print, when something stops it.
 */
fix: string | null, };

/**
 * The Add printer form.
 */
export type PrinterForm = { 
/**
 * The name to print to.
 */
name: string, 
/**
 * `ipp`, `raw` or `serial`.
 */
kind: string, 
/**
 * IPP: `ipp://host:631/printers/NAME`; raw: `HOST[:PORT]`; serial: the port's path.
 */
address: string, 
/**
 * A serial port's baud rate (9600 when left out).
 */
baud: number | null, 
/**
 * Resolution in dots per inch (203, 300, 600).
 */
dpi: number | null, 
/**
 * Media, e.g. `2x1in`, `A4`.
 */
media: string | null, };

/**
 * A printer the CUPS server has, for one-click adding.
 */
export type CupsPrinterView = { 
/**
 * The CUPS queue's name.
 */
name: string, 
/**
 * The URI to print to.
 */
uri: string | null, 
/**
 * `idle`, `processing` or `stopped`.
 */
state: string, 
/**
 * Make and model.
 */
make_and_model: string | null, 
/**
 * Resolutions it supports.
 */
resolutions_dpi: Array<number>, 
/**
 * Its default media.
 */
media_default: string | null, };

/**
 * What asking the CUPS server found.
 */
export type CupsDiscovery = { 
/**
 * The server asked (`CUPS_SERVER`, else localhost:631).
 */
server: string, 
/**
 * Its printers.
 */
printers: Array<CupsPrinterView>, 
/**
 * Why it could not be asked, when it could not.
 */
problem: string | null, };
