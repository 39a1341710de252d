// Generated from the Rust types by src-tauri/src/bindings.rs (ui_app_bindings_match_the_rust_types).
// Do not edit by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.
import type { Batch, BatchId, Exported, Flow, Remedy, ScanError, TechnicianSource, TokenCheck } from "./bindings";

/**
 * A batch as the Batches list shows it: what is cheap to know without reading every device's
 * history (the selected batch's [`BatchProgress`](super::progress::BatchProgress) has the rest).
 */
export type BatchSummary = { 
/**
 * The batch.
 */
batch: Batch, 
/**
 * Whether it is closed.
 */
closed: boolean, 
/**
 * Whether it is the bench's active batch.
 */
active: boolean, 
/**
 * The token against the due date.
 */
token: TokenCheck, 
/**
 * How many devices joined it.
 */
devices: number, };

/**
 * Where the batch's profile facts come from.
 */
export type ProfileChoice = { "kind": "tenant", 
/**
 * Its Graph id.
 */
id: string, } | { "kind": "offline", 
/**
 * The enrollment flow.
 */
flow: Flow, 
/**
 * The profile's name, when known.
 */
profile_name: string | null, 
/**
 * When the token expires: `YYYY-MM-DD` (taken as the start of that day, UTC) or RFC 3339.
 */
token_expires: string | null, 
/**
 * Windows: the DEM account the technician signs in with.
 */
dem_account: string | null, };

/**
 * The New batch form.
 */
export type BatchForm = { 
/**
 * A name people recognise.
 */
name: string, 
/**
 * The vendor or site staging it.
 */
vendor: string, 
/**
 * When it must be done, `YYYY-MM-DD`.
 */
due: string | null, 
/**
 * How many devices are expected.
 */
expected_count: number | null, 
/**
 * The serials expected (normalised again here).
 */
expected_serials: Array<string>, 
/**
 * The enrollment profile.
 */
profile: ProfileChoice, };

/**
 * What the Settings screen shows for the technician: the name set on this bench (empty when
 * none), and who the audit log records now (the setting, else the environment, the signed-in
 * person or the OS user) and from where.
 */
export type TechnicianView = { 
/**
 * The `technician` bench setting, empty when not set.
 */
setting: string, 
/**
 * The name actions are recorded under now.
 */
effective: string, 
/**
 * Where that name comes from.
 */
source: TechnicianSource, };

/**
 * What exporting a pack gives the screen: the file, and the passphrase when one was made
 * (shown once, to pass to the vendor by another channel).
 */
export type PackExported = { 
/**
 * The file written.
 */
exported: Exported, 
/**
 * The generated passphrase, when none was given.
 */
passphrase: string | null, };

/**
 * A serial port the OS lists, as the port picker shows it.
 */
export type ScannerPort = { 
/**
 * Its path or name (`/dev/ttyACM0`, `COM3`): what the settings store.
 */
path: string, 
/**
 * `usb`, `pci`, `bluetooth` or `unknown`.
 */
kind: string, 
/**
 * USB vendor id, when it is a USB port.
 */
vid: number | null, 
/**
 * USB product id, when it is a USB port.
 */
pid: number | null, 
/**
 * What the device says it is (maker and product), when known.
 */
description: string | null, 
/**
 * The USB device's serial number, when it has one (tells two identical scanners apart).
 */
serial_number: string | null, 
/**
 * Made by a barcode-scanner maker (by USB vendor id).
 */
likely_scanner: boolean, 
/**
 * One line for the picker: path, description, `USB vvvv:pppp`.
 */
label: string, };

/**
 * Which serial-port scanner the bench reads: no port means no serial scanner (a keyboard
 * wedge needs no setting).
 */
export type ScannerSettings = { 
/**
 * The port (`/dev/ttyACM0`, `COM3`), or none.
 */
port: string | null, 
/**
 * The baud rate (USB CDC scanners ignore it; RS-232 ones need it right).
 */
baud: number, };

/**
 * The serial scanner as the technician sees it.
 */
export type ScannerStatus = { "state": "off" } | { "state": "opening", 
/**
 * The port.
 */
port: string, } | { "state": "connected", 
/**
 * The port.
 */
port: string, 
/**
 * At this rate.
 */
baud: number, } | { "state": "waiting", 
/**
 * The port.
 */
port: string, 
/**
 * What is going on and what to do.
 */
message: string, } | { "state": "failed", 
/**
 * The port.
 */
port: string, 
/**
 * What went wrong and what to do.
 */
message: string, };

/**
 * What became of a scan.
 */
export type ScanResult = "added" | "already-there" | "refused" | "held" | "tied" | "waiting";

/**
 * One scan from the serial scanner, as the Settings and Batches screens list it.
 */
export type ScanRecord = { 
/**
 * Counts up for every scan since the app started (keys the rows).
 */
id: number, 
/**
 * When it was read (RFC 3339).
 */
at: string, 
/**
 * The serial (as linked, upper-case), or for a refused scan the part that may be shown.
 */
text: string, 
/**
 * The AIM symbology identifier the scanner sent, if any.
 */
symbology: string | null, 
/**
 * What became of it.
 */
result: ScanResult, 
/**
 * Why it was refused or held, and what to do.
 */
message: string | null, 
/**
 * Why the line was refused as no serial at all, as data (the message says it in words).
 */
refusal: ScanError | null, 
/**
 * The batch it went into.
 */
batch: BatchId | null, 
/**
 * That batch's name.
 */
batch_name: string | null, 
/**
 * The kept row of a held or waiting scan (to tie it to a slot).
 */
held: number | null, 
/**
 * The slot it was tied to, as a box label.
 */
slot: number | null, };

/**
 * What one scan did, as the app shows it and the CLI prints it with `--json`.
 */
export type ScanReply = { 
/**
 * The scanned code, cleaned and upper-case.
 */
serial: string, 
/**
 * What became of it.
 */
result: ScanResult, 
/**
 * Why it was refused, held or is waiting, and what to do.
 */
message: string | null, 
/**
 * The store's device id (the device it joined as, or was tied to).
 */
device: number | null, 
/**
 * The slot it was tied to, as a box label.
 */
slot: number | null, 
/**
 * The batch it went into.
 */
batch: BatchId | null, 
/**
 * The kept scan's id, while it is held or waiting (to tie it to a slot).
 */
held: number | null, };

/**
 * The serial scanner as the views show it: its settings, status and recent scans (newest first).
 */
export type ScannerView = { 
/**
 * The saved settings.
 */
settings: ScannerSettings, 
/**
 * Connected, waiting for the port, …
 */
status: ScannerStatus, 
/**
 * Newest first.
 */
scans: Array<ScanRecord>, };

/**
 * An error returned by a command.
 */
export type ApiError = { 
/**
 * `invalid-input`: the technician can fix the input; `sign-in-needed`: sign in on the Tenant
 * screen first; `offline`: Graph or the sign-in service is unreachable, try again later;
 * `token-unusable`: the profile's token expired, was revoked or can't be shown;
 * `label-blocked`: a guard refused the label (Print and Reveal are off); `does-not-fit`:
 * the code needs a bigger label; `untrusted-signer`: a report's signing key is not trusted
 * for its batch (the remedy carries its fingerprint, to accept); `internal`: anything else.
 */
code: string, 
/**
 * What went wrong and what to do, for people.
 */
message: string, 
/**
 * The next step as data, when the core named one: the UI offers it as a button. Left out
 * when there is none, so such an error stays `{code, message}` on the wire.
 */
remedy?: Remedy, };
