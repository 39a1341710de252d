// Generated from the Rust types by crates/core/tests/ts_bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p stagebench-core --test ts_bindings`.

/**
 * Where a serial was read.
 */
export type SerialSource = "usb-descriptor" | "adb-transport" | "ro-serialno" | "boot-serialno" | "imei" | "intune" | "scanner";

/**
 * One serial value read from one source.
 */
export type SerialObservation = { 
/**
 * Where it was read.
 */
source: SerialSource, 
/**
 * The value as read (compare with [`SerialObservation::trimmed`]).
 */
value: string, };

/**
 * One attached device as the bench shows it.
 */
export type BenchDevice = { 
/**
 * The adb transport serial (a USB serial or `host:port`); unique among attached devices.
 */
key: string, 
/**
 * The adb state (`device`, `unauthorized`, `offline`, …).
 */
state: string, 
/**
 * What the technician should do next, when something is in the way.
 */
next_step: string | null, 
/**
 * The serial to show: `ro.serialno`, else the transport serial when it is not an address.
 */
serial: string | null, 
/**
 * Every serial read, with its source.
 */
serials: Array<SerialObservation>, 
/**
 * `ro.product.manufacturer`.
 */
manufacturer: string | null, 
/**
 * `ro.product.model` (or the model the adb server reported).
 */
model: string | null, 
/**
 * `ro.build.version.release`.
 */
android_release: string | null, 
/**
 * `ro.build.version.sdk`.
 */
sdk: number | null, 
/**
 * `ro.build.id`.
 */
build_id: string | null, 
/**
 * The bench slot: the USB port path, or the address of a TCP device.
 */
slot: string | null, 
/**
 * Identity problems, each with its next step.
 */
flags: Array<string>, 
/**
 * Set when reading the device failed.
 */
error: string | null, };

/**
 * What the bench watcher reports.
 */
export type BenchEvent = { "kind": "snapshot", 
/**
 * Attached devices, in the adb server's order.
 */
devices: Array<BenchDevice>, } | { "kind": "server-down", 
/**
 * What is wrong and what to do.
 */
message: string, } | { "kind": "history-off", 
/**
 * What is wrong and what to do.
 */
message: string, };

/**
 * What a payload holds, with secrets masked: safe to show, log and export.
 */
export type PayloadSummary = { 
/**
 * `android-enterprise` or `aosp`.
 */
kind: string, 
/**
 * [`MASK`] when the payload carries an enrollment token.
 */
token_masked: string | null, 
/**
 * Network name, when the payload joins Wi-Fi.
 */
wifi_ssid: string | null, 
/**
 * Security type as written in the payload.
 */
wifi_security: string | null, 
/**
 * [`MASK`] when a Wi-Fi password is present.
 */
wifi_password_masked: string | null, 
/**
 * Hidden flag (`false` when an SSID is set without one).
 */
wifi_hidden: boolean | null, 
/**
 * Length of the QR text in bytes.
 */
bytes: number, 
/**
 * What StageBench changed on the way in (dropped keys, trimmed token).
 */
notes: Array<string>, 
/**
 * What the technician should know before showing or printing the code.
 */
warnings: Array<string>, };

/**
 * Facts about a code, safe to log (no payload).
 */
export type QrFacts = { 
/**
 * QR version 1–40.
 */
version: number, 
/**
 * `L`, `M`, `Q` or `H`.
 */
ec_level: string, 
/**
 * Modules per side, without the quiet zone.
 */
modules: number, 
/**
 * Quiet zone in modules per side ([`QUIET_ZONE`]).
 */
quiet_zone: number, 
/**
 * Length of the encoded payload.
 */
payload_bytes: number, };

/**
 * What the QR view shows: a safe summary, the QR facts and modules, and the payload to reveal.
 */
export type QrView = { 
/**
 * The payload summary, secrets masked.
 */
summary: PayloadSummary, 
/**
 * Version, error correction, size.
 */
facts: QrFacts, 
/**
 * One string per row of modules, `1` = dark, without the quiet zone.
 */
rows: Array<string>, 
/**
 * The exact payload. It holds secrets: the UI shows it only when the technician reveals it.
 */
payload: string, 
/**
 * The enrollment token for typing in by hand (`afw#setup`), when the payload has one.
 * A secret: shown only when revealed.
 */
token: string | null, };

/**
 * Where the payload comes from.
 */
export type QrSource = { "kind": "token", 
/**
 * The token value.
 */
token: string, } | { "kind": "export", 
/**
 * The file's text.
 */
text: string, } | { "kind": "aosp", 
/**
 * The content, exactly as Intune gave it.
 */
text: string, };

/**
 * Wi-Fi the technician wants in the payload.
 */
export type WifiInput = { 
/**
 * The network name.
 */
ssid: string, 
/**
 * `NONE`, `WPA`, `WEP` or `EAP`.
 */
security: string, 
/**
 * The key, if the network has one.
 */
password: string | null, 
/**
 * Whether the network hides its SSID.
 */
hidden: boolean, };

/**
 * A request for an enrollment QR.
 */
export type QrRequest = { 
/**
 * Where the payload comes from.
 */
source: QrSource, 
/**
 * Optional Wi-Fi extras (not for AOSP payloads).
 */
wifi: WifiInput | null, };

/**
 * How a check came out.
 */
export type CheckStatus = "ok" | "warn" | "fail";

/**
 * One check's result.
 */
export type Check = { 
/**
 * Stable id, e.g. `adb-server`.
 */
id: string, 
/**
 * How it came out.
 */
status: CheckStatus, 
/**
 * What was found.
 */
message: string, 
/**
 * What to do about it, when something is wrong.
 */
fix: string | null, };
