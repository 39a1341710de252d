// The only module that talks to Rust. Views import from here, never from @tauri-apps/api.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  ApiError,
  SignedAuditCheck,
  Batch,
  AuditRecord,
  BenchPublicKey,
  Exported,
  ImportedReport,
  PackExported,
  Reconciliation,
  SlotMove,
  TechnicianView,
  BatchForm,
  BatchProgress,
  BatchStats,
  BatchSummary,
  BenchView,
  Check,
  ProfileView,
  QrRequest,
  QrView,
  SignInPrompt,
  Slot,
  TechnicianAction,
  TenantState,
  DemoAction,
  DemoDevice,
  DemoFailure,
} from "./types";
import type { ScannerPort, ScannerSettings, ScannerView, ScanReply } from "./app_bindings";
import type {
  CupsDiscovery,
  LabelRequest,
  PreviewRequest,
  PreviewView,
  PrinterForm,
  PrinterStatusView,
  PrinterView,
  PrintQueued,
  QueueJob,
  QueueState,
  TemplateView,
} from "./label_bindings";

/** Normalises whatever a command rejected with into an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message, remedy } = e as { code: unknown; message: unknown; remedy?: ApiError["remedy"] };
    return remedy ? { code: String(code), message: String(message), remedy } : { code: String(code), message: String(message) };
  }
  return { code: "internal", message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** `next`, with each item that equals (as JSON) the item of the same key in `previous` replaced
 * by that earlier object: a view that keeps its items raw (`$state.raw`) and keys its `#each`
 * re-renders only the items that changed. */
export function keepUnchanged<T>(previous: readonly T[], next: T[], key: (item: T) => string): T[] {
  const before = new Map(previous.map((item) => [key(item), item]));
  return next.map((item) => {
    const old = before.get(key(item));
    return old !== undefined && JSON.stringify(old) === JSON.stringify(item) ? old : item;
  });
}

/** Streams the bench: the attached devices, and whether the adb server is down or history is
 * off, now and each time it changes. A card that did not change since the last view is the same
 * object as before ([`keepUnchanged`]), so the Bench screen redraws only the cards that changed. */
export async function watchBench(onView: (v: BenchView) => void): Promise<void> {
  const channel = new Channel<BenchView>();
  let shown: BenchView["devices"] = [];
  let left: BenchView["unplugged"] = [];
  channel.onmessage = (view) => {
    shown = keepUnchanged(shown, view.devices, (d) => d.key);
    left = keepUnchanged(left, view.unplugged, (d) => d.key);
    onView({ ...view, devices: shown, unplugged: left });
  };
  await call<void>("bench_watch", { onEvent: channel });
}

/** Dismisses the grey tile of a device that left the bench. */
export function dismissTile(key: string): Promise<void> {
  return call<void>("bench_dismiss", { key });
}

/** Builds, checks and encodes a provisioning payload. */
export function renderQr(request: QrRequest): Promise<QrView> {
  return call<QrView>("qr_render", { request });
}

/** Runs the bench checks (data folder, adb server, adb tool, USB access). */
export function runDoctor(): Promise<Check[]> {
  return call<Check[]>("doctor_run");
}

/** Mends what the checks marked fixable (the data folder made owner-only), then checks again. */
export function fixDoctor(): Promise<Check[]> {
  return call<Check[]>("doctor_fix");
}

/** Checks the staging network: Intune, Microsoft sign-in and Google's endpoints, each failure with its likely failing step. */
export function runNetworkDoctor(): Promise<Check[]> {
  return call<Check[]>("doctor_network");
}

/** Gives a port (USB port path or TCP address) a bench slot number. */
export function assignSlot(port: string, number: number, label: string | null): Promise<Slot> {
  return call<Slot>("slot_assign", { port, number, label });
}

/** The lowest free slot number (proposed when a card is renumbered); `null` when all are used. */
export function slotNextFree(): Promise<number | null> {
  return call<number | null>("slot_next_free");
}

/** Renumbers a port in one step (its old number freed); refused only when another attached
 * device's port holds `number` (the error's remedy offers the lowest free number). */
export function moveSlot(port: string, number: number): Promise<SlotMove> {
  return call<SlotMove>("slot_move", { port, number });
}

/** A code scanned on a card: the box label of the device in `slot` (its own serial: the device). */
export function scanToSlot(slot: number, text: string): Promise<ScanReply> {
  return call<ScanReply>("slot_scan", { slot, text });
}

/** Ties a scan waiting for its slot (`held`, from the scanner view) to the device in `slot`. */
export function scannerTieHeld(held: number, slot: number): Promise<ScanReply> {
  return call<ScanReply>("scanner_tie_held", { held, slot });
}

/** Frees a slot number so another port can have it. */
export function freeSlot(number: number): Promise<Slot | null> {
  return call<Slot | null>("slot_free", { number });
}

/** Streams the tenant connection's state (signed in, online, outbox, last sync) now and on every change. */
export async function watchTenant(onState: (s: TenantState) => void): Promise<void> {
  const channel = new Channel<TenantState>();
  channel.onmessage = onState;
  await call<void>("tenant_watch", { onEvent: channel });
}

/** Starts a device-code sign-in: the code and link to show; the result arrives through watchTenant. */
export function startSignIn(tenant: string, clientId: string): Promise<SignInPrompt> {
  return call<SignInPrompt>("tenant_sign_in_start", { tenant, clientId });
}

/** Signs the bench out of its tenant, or cancels a sign-in under way. */
export function signOut(): Promise<void> {
  return call<void>("tenant_sign_out");
}

/** Syncs with Intune now. */
export function syncNow(): Promise<void> {
  return call<void>("tenant_sync_now");
}

/** The tenant's enrollment profiles with their token state (no secrets). */
export function listProfiles(): Promise<ProfileView[]> {
  return call<ProfileView[]>("profiles_list");
}

/** A profile's token in clear, only while it is usable (never for AOSP). */
export function revealProfileToken(id: string): Promise<string> {
  return call<string>("profile_reveal_token", { id });
}

/** The QR code of a profile's token, only while it is usable. */
export function profileQr(id: string): Promise<QrView> {
  return call<QrView>("profile_qr", { id });
}

/** Creates (or replaces) a profile's token, valid for `days`. */
export function createProfileToken(id: string, days: number): Promise<ProfileView> {
  return call<ProfileView>("profile_token_create", { id, days });
}

/** Revokes a profile's token at once; `confirmName` must be the profile's name. */
export function revokeProfileToken(id: string, confirmName: string): Promise<ProfileView> {
  return call<ProfileView>("profile_token_revoke", { id, confirmName });
}

/** Every batch on this bench, newest first, with its token state and device count. */
export function listBatches(): Promise<BatchSummary[]> {
  return call<BatchSummary[]>("batches_list");
}

/** One batch's progress: stages, devices, problems, token, expected serials not seen yet. */
export function showBatch(id: string): Promise<BatchProgress> {
  return call<BatchProgress>("batch_show", { id });
}

/** Where the time goes in one batch: devices per hour, time per stage, the slowest, the end. */
export function batchStats(id: string): Promise<BatchStats> {
  return call<BatchStats>("batch_stats", { id });
}

/** Creates a batch (attached devices it expects join at once); its token check comes back too. */
export function createBatch(form: BatchForm): Promise<BatchProgress> {
  return call<BatchProgress>("batch_create", { form });
}

/** Makes a batch the bench's active one, or (null) clears it. */
export function setActiveBatch(id: string | null): Promise<void> {
  return call<void>("batch_set_active", { id });
}

/** Closes a batch: no device joins it any more. */
export function closeBatch(id: string): Promise<void> {
  return call<void>("batch_close", { id });
}

/** Records a technician action on the attached device with this card key. */
export function benchAction(key: string, action: TechnicianAction): Promise<void> {
  return call<void>("bench_action", { key, action });
}

// ---- Files between benches, the audit log, the bench's key ---------------------------------

/** The bench's export folder: exported files are written there, named by file name only. */
export function exportFolder(): Promise<string> {
  return call<string>("export_folder");
}

/** Admin: seals the batch and its profile's current QR into a bench pack named `file` in the
 * export folder; without a passphrase one is made and returned (once). With `vendorKey`, only
 * that vendor key may sign the batch's report. */
export function exportPack(
  batch: string,
  file: string,
  passphrase: string | null,
  vendorKey: string | null = null,
): Promise<PackExported> {
  return call<PackExported>("batch_export_pack", { batch, file, passphrase, vendorKey });
}

/** Vendor: opens the file dialog and imports the bench pack chosen there, optionally making its
 * batch the active one; `null` when the dialog was cancelled. */
export function importPack(passphrase: string, activate: boolean): Promise<Batch | null> {
  return call<Batch | null>("batch_import_pack", { passphrase, activate });
}

/** A scanned (keyboard wedge) or typed code on the batch's scan field: a device's serial joins
 * the batch, any other code waits for the slot of its device. */
export function scanIntoBatch(batch: string, text: string): Promise<ScanReply> {
  return call<ScanReply>("batch_scan", { batch, text });
}

// ---- The serial barcode scanner ------------------------------------------------------------

/** Streams the serial scanner's settings, status and recent scans now and on every change. */
export async function watchScanner(onView: (v: ScannerView) => void): Promise<void> {
  const channel = new Channel<ScannerView>();
  channel.onmessage = onView;
  await call<void>("scanner_watch", { onEvent: channel });
}

/** The serial ports the OS lists, likely scanners first. */
export function scannerPorts(): Promise<ScannerPort[]> {
  return call<ScannerPort[]>("scanner_ports");
}

/** The serial scanner's saved port and baud rate. */
export function scannerSettingsGet(): Promise<ScannerSettings> {
  return call<ScannerSettings>("scanner_settings_get");
}

/** Saves the serial scanner's port and baud rate and reads the new port (blank port: off). */
export function scannerSettingsSet(port: string, baud: number): Promise<ScannerSettings> {
  return call<ScannerSettings>("scanner_settings_set", { port, baud });
}

/** Adds the scans held while no batch was active to `batch`; how many joined it. */
export function scannerAddHeld(batch: string): Promise<number> {
  return call<number>("scanner_add_held", { batch });
}

/** Lists the held scans again, with those the CLI (`stagebench scan`) held meanwhile. */
export function scannerRefreshHeld(): Promise<void> {
  return call<void>("scanner_refresh_held");
}

/** The batch's enrollment QR (refused while its token is expired or revoked). */
export function batchQr(batch: string): Promise<QrView> {
  return call<QrView>("batch_qr", { batch });
}

/** Vendor: writes the signed report named `file` in the export folder, and its CSV view when
 * `csvFile` is given. */
export function exportReport(batch: string, file: string, csvFile: string | null): Promise<Exported> {
  return call<Exported>("batch_export_report", { batch, file, csvFile });
}

/** Admin: opens the file dialog, then verifies and imports the vendor's signed report chosen
 * there; `null` when the dialog was cancelled. `acceptKey` is the signer's fingerprint when the
 * admin accepted it. */
export function importReport(acceptKey: string | null = null): Promise<ImportedReport | null> {
  return call<ImportedReport | null>("batch_import_report", { acceptKey });
}

/** Admin: the batch's devices against Intune (needs sign-in). */
export function reconcileBatch(batch: string): Promise<Reconciliation> {
  return call<Reconciliation>("batch_reconcile", { batch });
}

/** Writes the chain of custody as PDF and/or CSV, named by file name in the export folder;
 * returns the files written. */
export function writeCustody(batch: string, pdfFile: string | null, csvFile: string | null): Promise<string[]> {
  return call<string[]>("batch_custody", { batch, pdfFile, csvFile });
}

/** The audit log, newest first; optionally one batch's or one action's. */
export function auditLog(batch: string | null, action: string | null, limit?: number): Promise<AuditRecord[]> {
  return call<AuditRecord[]>("audit_log", { batch, action, limit: limit ?? null });
}

/** Checks the audit log's hash chain. */
export function auditVerify(): Promise<SignedAuditCheck> {
  return call<SignedAuditCheck>("audit_verify");
}

/** The bench's signing key (public half). */
export function benchKey(): Promise<BenchPublicKey> {
  return call<BenchPublicKey>("bench_key");
}

/** The technician name set on this bench, and who actions are recorded under. */
export function technicianGet(): Promise<TechnicianView> {
  return call<TechnicianView>("technician_get");
}

/** Names the technician at this bench (blank: back to the OS user). */
export function technicianSet(name: string): Promise<TechnicianView> {
  return call<TechnicianView>("technician_set", { name });
}

// ---- Labels and printing (types in ./label_bindings, generated from src-tauri/src/labels.rs) --

/** The built-in label templates. */
export function labelTemplates(): Promise<TemplateView[]> {
  return call<TemplateView[]>("label_templates");
}

/** The first page of the labels asked for, as the printer will print it; an enrollment label is
 * masked unless `reveal` (which is recorded as a QR display). */
export function labelPreview(preview: PreviewRequest): Promise<PreviewView> {
  return call<PreviewView>("label_preview", { preview });
}

/** Renders the labels for a printer (at its resolution, else `dpi`) and queues them; the queue
 * sends them at once. */
export function printLabels(request: LabelRequest, printer: string, dpi: number | null): Promise<PrintQueued> {
  return call<PrintQueued>("labels_print", { request, printer, dpi });
}

/** Whether this bench refuses enrollment labels whose QR holds Wi-Fi credentials. */
export function refuseWifiGet(): Promise<boolean> {
  return call<boolean>("labels_refuse_wifi_get");
}

/** Sets the bench's refusal of Wi-Fi credentials on labels. */
export function refuseWifiSet(refuse: boolean): Promise<boolean> {
  return call<boolean>("labels_refuse_wifi_set", { refuse });
}

/** Streams the print queue (newest jobs, their state and last error) now and on every change. */
export async function watchPrintQueue(onState: (s: QueueState) => void): Promise<void> {
  const channel = new Channel<QueueState>();
  channel.onmessage = onState;
  await call<void>("print_queue_watch", { onEvent: channel });
}

/** Takes a queued print job out of line (it stays, failed, until retried). */
export function cancelPrintJob(id: number): Promise<QueueJob> {
  return call<QueueJob>("print_job_cancel", { id });
}

/** Puts a failed print job back in line and sends it. */
export function retryPrintJob(id: number): Promise<QueueJob> {
  return call<QueueJob>("print_job_retry", { id });
}

/** The bench's printers. */
export function listPrinters(): Promise<PrinterView[]> {
  return call<PrinterView[]>("printers_list");
}

/** The CUPS server's printers (none, with the reason, when no CUPS answers). */
export function discoverPrinters(): Promise<CupsDiscovery> {
  return call<CupsDiscovery>("printers_discover");
}

/** Adds a printer, or changes the one with that name. */
export function addPrinter(form: PrinterForm): Promise<PrinterView> {
  return call<PrinterView>("printer_add", { form });
}

/** Removes a printer. */
export function removePrinter(name: string): Promise<boolean> {
  return call<boolean>("printer_remove", { name });
}

/** Asks a printer whether it is ready (Zebra host status, or the IPP printer's state). */
export function printerStatus(name: string): Promise<PrinterStatusView> {
  return call<PrinterStatusView>("printer_status", { name });
}

/** Queues a small test label for the printer; returns the job's id. */
export function testPrinter(name: string): Promise<number> {
  return call<number>("printer_test", { name });
}

/** The simulated bench's devices, or null when no simulator runs for this bench (no demo). */
export function demoDevices(): Promise<DemoDevice[] | null> {
  return call<DemoDevice[] | null>("demo_devices");
}

/** Plugs, unplugs, advances, fails or allows simulated device `device`; the devices after it. */
export function demoAct(device: number, action: DemoAction, failure: DemoFailure | null = null): Promise<DemoDevice[]> {
  return call<DemoDevice[]>("demo_act", { device, action, failure });
}
