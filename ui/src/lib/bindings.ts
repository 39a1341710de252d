// Generated from the Rust types by crates/core/tests/ts_bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p stagebench-core --test ts_bindings`.

/**
 * A next step the core knows.
 */
export type Remedy = { "step": "sign-in" } | { "step": "sign-in-again", 
/**
 * Who was signed in (UPN or client id).
 */
account: string, } | { "step": "add-printer", 
/**
 * The printer's name, as jobs and requests give it.
 */
name: string, } | { "step": "pick-printer" } | { "step": "check-printer", 
/**
 * The printer's name.
 */
name: string, } | { "step": "retry-print-job", 
/**
 * The job.
 */
job: number, } | { "step": "list-print-jobs" } | { "step": "free-slot", 
/**
 * The slot's number.
 */
number: number, } | { "step": "use-slot", 
/**
 * The free slot's number.
 */
number: number, } | { "step": "pick-batch" } | { "step": "import-bench-pack", 
/**
 * The batch.
 */
batch: BatchId, } | { "step": "replace-token", 
/**
 * The profile's name.
 */
profile: string, } | { "step": "pick-template", 
/**
 * The label kind the template must be for.
 */
kind: string, } | { "step": "reassign-primary-user" } | { "step": "accept-usb-prompt" } | { "step": "accept-vendor-key", 
/**
 * The key's fingerprint (`SHA256:…`).
 */
fingerprint: string, };

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
 * A version as printed, compared by its leading dotted numbers.
 *
 * - Numbers compare numerically, missing ones count as 0: `24.7` = `24.7.0` < `24.10.0`, and
 *   `24.07.1` = `24.7.1` (some apps pad months).
 * - A pre-release suffix (`-beta`, `-rc1`, `alpha`, `preview`, `dev`) sorts just below the same
 *   numbers without it, as in semver: `24.7.0-beta` < `24.7.0`.
 * - Any other suffix is build metadata and ignored: `24.7.0 (2407001)`, `24.7.0+42`,
 *   `24.7.0-release` all equal `24.7.0`.
 *
 * Equality and hashing follow the same rule, so `24.7` == `24.7.0`; [`AppVersion::as_str`]
 * keeps the text as printed.
 *
 * It serializes as the text (a newtype: no serde attributes needed, so ts-rs sees `string`).
 */
export type AppVersion = string;

/**
 * Build and firmware facts for the stage evidence.
 */
export type FirmwareFacts = { 
/**
 * `ro.product.manufacturer`.
 */
manufacturer: string | null, 
/**
 * `ro.product.model`.
 */
model: string | null, 
/**
 * `ro.build.display.id`.
 */
display_id: string | null, 
/**
 * `ro.build.version.incremental`.
 */
incremental: string | null, 
/**
 * The RealWear model name (`HMT-1`, `Navigator 500`) when the device is a known RealWear.
 */
realwear: string | null, 
/**
 * The firmware version, for RealWear devices only (other makers' build ids are not
 * versions): the first dotted number in [`FIRMWARE_PROPERTIES`].
 */
version: AppVersion | null, };

/**
 * What the device says about its stage. `None` means "not set" or "could not be read";
 * [`StageEvidence::unread`] tells the two apart.
 */
export type StageEvidence = { 
/**
 * `settings get global device_provisioned`: the setup wizard has provisioned the device.
 */
device_provisioned: boolean | null, 
/**
 * `settings get secure user_setup_complete`: the setup wizard has finished for the user.
 */
user_setup_complete: boolean | null, 
/**
 * The device owner as `package/class` (from `dumpsys device_policy`), or its package alone
 * when only that was printed; `None` when the device has no owner.
 */
device_owner: string | null, 
/**
 * `settings get global boot_count`: boots since the last factory reset.
 */
boot_count: number | null, 
/**
 * `versionName` of the Microsoft Intune app, when installed.
 */
intune_app: AppVersion | null, 
/**
 * `versionName` of Intune Company Portal, when installed.
 */
company_portal: AppVersion | null, 
/**
 * `versionName` of Microsoft Authenticator, when installed.
 */
authenticator: AppVersion | null, 
/**
 * The IMEI, when the device lets the shell read it (15 digits, Luhn-checked).
 */
imei: string | null, 
/**
 * Maker, model and firmware.
 */
firmware: FirmwareFacts, 
/**
 * Sections that printed an error or nothing readable (names from [`SECTIONS`]); their
 * fields above are `None` because they are unknown, not because they are unset.
 */
unread: Array<string>, };

/**
 * How much a finding stands in the way.
 */
export type Severity = "blocker" | "warning";

/**
 * One thing a rule found.
 */
export type Finding = { 
/**
 * The rule's id (see [`RULES`]).
 */
rule: string, 
/**
 * Blocker or warning.
 */
severity: Severity, 
/**
 * What is wrong, with the values read.
 */
message: string, 
/**
 * What the technician does next.
 */
next_step: string, };

/**
 * Where a device stands in Intune.
 */
export type IntuneStage = "enrolled" | "user-assigned" | "leaving";

/**
 * The Intune evidence for a device, as the last sync read it.
 */
export type IntuneStatus = { 
/**
 * The managed device id; kept once seen, so stage 3 is still found after the serial leaves
 * the device name.
 */
intuneId: string, 
/**
 * `deviceName` as Intune shows it.
 */
deviceName: string, 
/**
 * `serialNumber` as Intune has it (may differ from Settings on Android; may be empty).
 */
serialNumber: string, 
/**
 * Derived stage.
 */
stage: IntuneStage, 
/**
 * Whether the name is still a `Staging_…` name.
 */
stagingName: boolean, 
/**
 * `deviceEnrollmentType` (raw, e.g. `androidEnterpriseFullyManaged`).
 */
enrollmentType: string | null, 
/**
 * `managementState` (raw, e.g. `managed`).
 */
managementState: string | null, 
/**
 * `userPrincipalName`, when a user is on the device.
 */
userPrincipalName: string | null, 
/**
 * `userDisplayName`.
 */
userDisplayName: string | null, 
/**
 * `enrolledDateTime`, RFC 3339.
 */
enrolled: string | null, 
/**
 * `lastSyncDateTime`, RFC 3339.
 */
lastSync: string | null, };

/**
 * The enrollment flow, chosen by the profile.
 */
export type Flow = "staging-token" | "default-token" | "aosp-userless" | "aosp-user-associated" | "windows-dem";

/**
 * Where a device stands.
 */
export type Stage = "new" | "scanning" | "enrolling" | "bench-done" | "in-intune" | "user-signed-in" | "owner-assigned";

/**
 * A problem to show with the state.
 */
export type StageProblem = { 
/**
 * Stable id (`reboot-during-enrollment`, `not-in-intune`, `leaving-intune`,
 * `token-unusable`, `serial-identity`).
 */
id: string, 
/**
 * What is wrong and what to do.
 */
message: string, };

/**
 * The derived state.
 */
export type DeviceStage = { 
/**
 * The flow.
 */
flow: Flow, 
/**
 * Where it stands.
 */
stage: Stage, 
/**
 * The one next thing to do.
 */
instruction: string, 
/**
 * That next thing as a step the front ends offer (a command, a button), when it is one.
 */
remedy: Remedy | null, 
/**
 * Problems, most serious first.
 */
problems: Array<StageProblem>, };

/**
 * Where a device's connection stands.
 */
export type AdbState = "device" | "offline" | "unauthorized" | "authorizing" | "connecting" | "bootloader" | "recovery" | "sideload" | "host" | "rescue" | "no permissions" | "no-permissions" | "adb-off" | "busy" | string;

/**
 * What kind of status a card shows: decides its colour, icon and whether it calls for the
 * technician.
 */
export type StatusKind = "needs-technician" | "working" | "waiting" | "done" | "problem" | "disagree" | "unplugged";

/**
 * A status's colour family.
 */
export type StatusTone = "ok" | "info" | "warn" | "bad" | "muted";

/**
 * A status's icon, by name (each front end draws its own).
 */
export type StatusIcon = "hand" | "spinner" | "hourglass" | "check" | "alert" | "split" | "unplugged";

/**
 * The one status a card shows.
 */
export type CardStatus = { 
/**
 * What kind of status it is.
 */
kind: StatusKind, 
/**
 * One or two words for the badge (`Scan the QR`, `Duplicate serial`, `Unplugged`).
 */
word: string, 
/**
 * The icon to draw beside the word.
 */
icon: StatusIcon, 
/**
 * The colour family.
 */
tone: StatusTone, 
/**
 * The one next thing to do (or to know).
 */
next_step: string, 
/**
 * That next step as a step a front end offers (a button), when it is one.
 */
remedy: Remedy | null, };

/**
 * One attached device as the bench shows it.
 */
export type BenchDevice = { 
/**
 * The adb transport serial (a USB serial or `host:port`); unique among attached devices.
 */
key: string, 
/**
 * The device in the bench history: set when its sighting is recorded (or, for a card that
 * was not read, when the history already knows it); `None` until then.
 */
device_id: number | null, 
/**
 * The connection state (`device`, `unauthorized`, `offline`, …).
 */
state: AdbState, 
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
 * The slot's number on the bench, when the slot has one (see
 * [`Store::assign_slot`](crate::store::Store::assign_slot)).
 */
slot_number: number | null, 
/**
 * Notes that are not preflight findings: identity notes for a device known only by its USB
 * descriptor, or "not saved to the bench history". (On a device that was read, identity
 * problems are the `serial-identity` finding in [`BenchDevice::problems`].)
 */
flags: Array<string>, 
/**
 * What the device says about its stage, when it could be read.
 */
evidence: StageEvidence | null, 
/**
 * Preflight findings without a profile (see [`preflight()`]), blockers first; those that
 * only matter before staging are set aside once the device is past scanning
 * ([`status::settle`](super::status::settle)).
 */
problems: Array<Finding>, 
/**
 * Set when reading the device failed.
 */
error: string | null, 
/**
 * What Intune last said about the device (from the last sync), when it shows it.
 */
intune: IntuneStatus | null, 
/**
 * When the bench last asked Intune about it (RFC 3339), when Intune shows it: the time
 * [`BenchDevice::intune`] is as of.
 */
intune_checked_at: string | null, 
/**
 * Since when Intune no longer shows the device it showed before (RFC 3339), if so.
 */
intune_gone_since: string | null, 
/**
 * When the facts and evidence were read (RFC 3339): the time [`BenchDevice::evidence`] is
 * as of.
 */
read_at: string | null, 
/**
 * The one status the card shows, derived from everything above
 * ([`status::card_status`](super::status::card_status)).
 */
status: CardStatus, 
/**
 * When the device left the bench (RFC 3339): the card is then a grey tile, kept until
 * dismissed or until the device is plugged back in.
 */
unplugged_at: string | null, 
/**
 * The batch it belongs to, when it is in one.
 */
batch: BatchId | null, 
/**
 * Where it stands in its batch's flow, with the one next instruction.
 */
stage: DeviceStage | null, 
/**
 * The box label (asset tag) last scanned onto its slot, from its history.
 */
box_label: string | null, };

/**
 * What the bench watcher reports.
 */
export type BenchEvent = { "kind": "snapshot", 
/**
 * Attached devices, in the adb server's order.
 */
devices: Array<BenchDevice>, 
/**
 * Devices that left while the watcher ran, as grey tiles (see
 * [`Departures`](super::Departures)), oldest first.
 */
unplugged: Array<BenchDevice>, } | { "kind": "server-down", 
/**
 * What is wrong and what to do.
 */
message: string, } | { "kind": "history-off", 
/**
 * What is wrong and what to do.
 */
message: string, };

/**
 * The bench as the views show it.
 */
export type BenchView = { 
/**
 * The attached devices as last read (in the adb server's order), each with its batch and
 * stage as the history says now; the last ones known while the adb server is down.
 */
devices: Array<BenchDevice>, 
/**
 * The adb server can't be reached, and what to do; `None` once a snapshot came.
 */
server_down: string | null, 
/**
 * Devices are shown but not saved to the bench history (the store could not be opened):
 * true for the whole run.
 */
history_off: string | null, 
/**
 * Devices that left the bench, as grey tiles (each with its `unplugged_at`), oldest
 * first, until they are back or dismissed.
 */
unplugged: Array<BenchDevice>, };

/**
 * What a payload holds, with secrets masked: safe to show, log and export.
 */
export type PayloadSummary = { 
/**
 * `android-enterprise` or `aosp`.
 */
kind: string, 
/**
 * [`MASK`](crate::secret::MASK) when the payload carries an enrollment token.
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
 * [`MASK`](crate::secret::MASK) when a Wi-Fi password is present.
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
fix: string | null, 
/**
 * Whether doctor mends it itself (see [`fix`]).
 */
fixable: boolean, 
/**
 * The enrollment step that will likely fail because of it (network checks).
 */
step: string | null, };

/**
 * One bench slot.
 */
export type Slot = { 
/**
 * The number on the bench (1, 2, …).
 */
number: number, 
/**
 * The USB port path (`1-4.3`) or TCP address (`192.168.1.20:5555`).
 */
port_path: string, 
/**
 * An optional name (`left rack, top`).
 */
label: string | null, 
/**
 * When it was assigned, RFC 3339 UTC.
 */
created: string, };

/**
 * What a move did.
 */
export type SlotMove = { 
/**
 * The slot now.
 */
slot: Slot, 
/**
 * The number the port had before, if another.
 */
from: number | null, 
/**
 * The port that held the number before (nothing was attached there), if another.
 */
taken_from: string | null, };

/**
 * A profile without secrets.
 */
export type ProfileView = { 
/**
 * Graph id.
 */
id: string, 
/**
 * Name.
 */
displayName: string, 
/**
 * Description.
 */
description: string | null, 
/**
 * `enrollmentMode` as Graph spells it.
 */
mode: string, 
/**
 * The mode in words (`fully managed`, `AOSP userless`…).
 */
modeLabel: string, 
/**
 * `enrollmentTokenType` as Graph spells it.
 */
tokenType: string, 
/**
 * Whether it is an AOSP profile (its QR carries Wi-Fi credentials; its token alone cannot enroll).
 */
aosp: boolean, 
/**
 * Whether the token is a staging token (stages 1–3).
 */
staging: boolean, 
/**
 * `none`, `valid` or `expired` (expired or revoked).
 */
tokenState: string, 
/**
 * When the token expires, RFC 3339.
 */
tokenExpires: string | null, 
/**
 * Seconds until then (valid tokens only), for countdowns.
 */
tokenExpiresInSeconds: number | null, 
/**
 * When the token was made, RFC 3339.
 */
tokenCreated: string | null, 
/**
 * The token, masked, when a usable one exists (reveal it explicitly).
 */
tokenMasked: string | null, 
/**
 * Whether a QR can be shown now (a valid token with QR content).
 */
qrAvailable: boolean, 
/**
 * Devices enrolled with this profile.
 */
enrolledDeviceCount: number | null, 
/**
 * AOSP devices enrolled with the current token.
 */
tokenUsageCount: number | null, 
/**
 * Wi-Fi network the QR sets up.
 */
wifiSsid: string | null, 
/**
 * Whether the profile has a Wi-Fi key (never the key).
 */
wifiHasPassword: boolean, 
/**
 * Things to know before using it.
 */
warnings: Array<string>, };

/**
 * What a status refresh did.
 */
export type RefreshReport = { 
/**
 * Bench devices looked at.
 */
devices: number, 
/**
 * Bench devices Intune shows.
 */
found: number, 
/**
 * Intune devices seen for the first time.
 */
newInIntune: number, 
/**
 * Intune devices whose status changed.
 */
changed: number, 
/**
 * Intune devices that are gone.
 */
gone: number, 
/**
 * Serials Intune shows on more than one bench device (not linked).
 */
ambiguous: Array<string>, 
/**
 * Lookups that failed this time (tried again next sync).
 */
failed: number, 
/**
 * Bench devices with no serial that can tell them apart (not looked up).
 */
unidentifiable: number, };

/**
 * What an outbox drain did.
 */
export type OutboxDrainReport = { 
/**
 * Items Graph took.
 */
sent: number, 
/**
 * Items put back to retry later.
 */
retried: number, 
/**
 * Items refused for good.
 */
failed: number, 
/**
 * Whether the drain stopped because Graph or the network is unreachable.
 */
offline: boolean, 
/**
 * Items whose claim another drain took over while this one was sending (this drain
 * stalled past the lease); their results were not recorded, the other drain's stand.
 */
lost: number, };

/**
 * How many items wait, are being sent, or failed for good (the app shows these).
 */
export type OutboxCounts = { 
/**
 * Waiting to be sent (due or not).
 */
pending: number, 
/**
 * Claimed and being sent, or left so by a crash until the lease runs out.
 */
in_flight: number, 
/**
 * Refused by Graph; a technician has to look at them.
 */
failed: number, };

/**
 * What to show while the bench waits for a device-code sign-in.
 */
export type SignInPrompt = { 
/**
 * The code to type in (useless without the device code the bench keeps).
 */
userCode: string, 
/**
 * Where to type it.
 */
verificationUri: string, 
/**
 * The identity platform's own instructions.
 */
message: string, 
/**
 * When the code stops working, RFC 3339.
 */
expiresAt: string, };

/**
 * What kind of problem, so the UI knows where to send the technician.
 */
export type ProblemKind = "sign-in" | "sync" | "store";

/**
 * A problem and what to do about it.
 */
export type TenantProblem = { 
/**
 * Where it belongs.
 */
kind: ProblemKind, 
/**
 * What went wrong.
 */
message: string, 
/**
 * What the technician should do.
 */
nextStep: string, 
/**
 * The next step as data, when it is one the front ends act on (the app's button).
 */
remedy: Remedy | null, };

/**
 * The tenant connection, for the status strip and the Tenant screen.
 */
export type TenantState = { 
/**
 * The tenant (GUID or domain); kept after sign-out as the form's default.
 */
tenant: string | null, 
/**
 * The app registration's client id; kept after sign-out too.
 */
clientId: string | null, 
/**
 * Who is signed in (UPN, or the client id for app-only sign-in); `None` when signed out.
 */
account: string | null, 
/**
 * Their display name, when the sign-in gave one.
 */
displayName: string | null, 
/**
 * A device-code sign-in waiting for the technician.
 */
signIn: SignInPrompt | null, 
/**
 * Whether Graph answered the last call; `None` before the first one.
 */
online: boolean | null, 
/**
 * Why Graph could not be reached, while offline.
 */
offlineReason: string | null, 
/**
 * A sync round is running.
 */
syncing: boolean, 
/**
 * When the last sync round finished without a problem, RFC 3339.
 */
lastSync: string | null, 
/**
 * What the last status refresh did.
 */
lastRefresh: RefreshReport | null, 
/**
 * What the last outbox drain did.
 */
lastDrain: OutboxDrainReport | null, 
/**
 * Changes bound for Intune.
 */
outbox: OutboxCounts, 
/**
 * The last problem, until it is solved.
 */
problem: TenantProblem | null, 
/**
 * Addresses the environment replaces (`STAGEBENCH_AUTHORITY`, `STAGEBENCH_GRAPH_URL`),
 * each as a warning naming the address its tokens go to; empty with Microsoft's.
 */
endpointOverrides: Array<string>, };

/**
 * A batch's id: 32 lowercase hex digits (128 random bits), the same on the admin's and the
 * vendor's machine, so a report finds its batch.
 */
export type BatchId = string;

/**
 * What the bench needs to know about the enrollment profile (no secret: the token and any
 * Wi-Fi key are inside the QR payload, which travels separately as a secret).
 */
export type ProfileFacts = { 
/**
 * Graph id of the profile (`androidDeviceOwnerEnrollmentProfile` or
 * `androidForWorkEnrollmentProfile`), or empty for a batch without a tenant profile.
 */
profile_id: string, 
/**
 * Its display name.
 */
profile_name: string, 
/**
 * The enrollment flow the profile implies.
 */
flow: Flow, 
/**
 * Graph's `enrollmentMode` (`corporateOwnedDedicatedDevice`, …), as Graph spells it.
 */
enrollment_mode: string, 
/**
 * When the token expires (`None`: a token that does not expire).
 */
token_expires: string | null, 
/**
 * The Wi-Fi network the QR payload joins, when it carries one.
 */
wifi_ssid: string | null, 
/**
 * Whether the QR payload carries Wi-Fi credentials (a key in plain text inside the QR).
 */
carries_wifi_credentials: boolean, 
/**
 * For Windows Device Preparation: the DEM account the technician signs in with.
 */
dem_account: string | null, };

/**
 * What an admin (or a bench lead) asks for when creating a batch.
 */
export type BatchSpec = { 
/**
 * A name people recognise ("Warehouse scanners, wave 3").
 */
name: string, 
/**
 * The profile and its token.
 */
profile: ProfileFacts, 
/**
 * The vendor or site staging it.
 */
vendor: string, 
/**
 * When it must be done (`YYYY-MM-DD` in files).
 */
due: string | null, 
/**
 * How many devices are expected, when known (at least the length of `expected_serials`).
 */
expected_count: number | null, 
/**
 * The serials expected, when the customer has the list (upper-case, trimmed).
 */
expected_serials: Array<string>, };

/**
 * Where a batch came from on this machine.
 */
export type BatchOrigin = { "kind": "local" } | { "kind": "pack", 
/**
 * The pack's id.
 */
pack_id: string, 
/**
 * Who made the pack (as the pack says).
 */
created_by: string, };

/**
 * A batch.
 */
export type Batch = { 
/**
 * Its id.
 */
id: BatchId, 
/**
 * When it was created (on the admin's machine, for an imported one).
 */
created_at: string, 
/**
 * Who created it.
 */
created_by: string, 
/**
 * Where it came from.
 */
origin: BatchOrigin, 
/**
 * A name people recognise ("Warehouse scanners, wave 3").
 */
name: string, 
/**
 * The profile and its token.
 */
profile: ProfileFacts, 
/**
 * The vendor or site staging it.
 */
vendor: string, 
/**
 * When it must be done (`YYYY-MM-DD` in files).
 */
due: string | null, 
/**
 * How many devices are expected, when known (at least the length of `expected_serials`).
 */
expected_count: number | null, 
/**
 * The serials expected, when the customer has the list (upper-case, trimmed).
 */
expected_serials: Array<string>, };

/**
 * One serial of a reported device, with where it was read.
 */
export type ReportSerial = { 
/**
 * The serial (or IMEI).
 */
value: string, 
/**
 * Where it came from.
 */
source: SerialSource, };

/**
 * Where the batch token stands against now and the batch's due date.
 */
export type BatchTokenState = "ok" | "expiring-soon" | "expires-before-due" | "expired" | "revoked";

/**
 * The batch token's state for printing and showing its QR.
 */
export type TokenCheck = { 
/**
 * When it expires, RFC 3339 (`None`: it does not expire).
 */
expires: string | null, 
/**
 * Where it stands.
 */
state: BatchTokenState, 
/**
 * What to tell people, when it is not `ok`.
 */
message: string | null, 
/**
 * The next step, when the bench can take one (replace a token that expires too soon).
 */
remedy: Remedy | null, 
/**
 * Whether labels and QR codes for this batch must not be printed.
 */
printing_blocked: boolean, };

/**
 * A technician's confirmation that moves a device on in its flow.
 */
export type TechnicianAction = "powered-off" | "serial-imported" | "dem-sign-in" | "user-logged-on";

/**
 * One device of a batch, as the bench sees it now.
 */
export type DeviceProgress = { 
/**
 * The store's device id.
 */
device_id: number, 
/**
 * The serial to show.
 */
serial: string | null, 
/**
 * Every serial, with its source.
 */
serials: Array<ReportSerial>, 
/**
 * Its bench slot number, when it has one.
 */
slot: number | null, 
/**
 * Maker.
 */
manufacturer: string | null, 
/**
 * Model.
 */
model: string | null, 
/**
 * Android version.
 */
os_version: string | null, 
/**
 * How it joined the batch (`expected-serial`, `active-batch`, `scan`, `manual`).
 */
joined_by: string, 
/**
 * Its stage, instruction and problems.
 */
state: DeviceStage, 
/**
 * Last seen on the bench, RFC 3339.
 */
last_seen: string, };

/**
 * How many devices are at a stage.
 */
export type StageCount = { 
/**
 * The stage.
 */
stage: Stage, 
/**
 * Its label.
 */
label: string, 
/**
 * How many devices are there.
 */
count: number, };

/**
 * A problem with the batch as a whole, or with some of its devices.
 */
export type BatchProblem = { 
/**
 * Stable id.
 */
id: string, 
/**
 * What is wrong and what to do.
 */
message: string, 
/**
 * The devices concerned (serials).
 */
devices: Array<string>, 
/**
 * The next step, when the bench can take one.
 */
remedy: Remedy | null, };

/**
 * A batch's progress.
 */
export type BatchProgress = { 
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
 * Devices per stage, in the flow's order.
 */
counts: Array<StageCount>, 
/**
 * The devices.
 */
devices: Array<DeviceProgress>, 
/**
 * Problems, batch-level first.
 */
problems: Array<BatchProblem>, 
/**
 * Expected serials not seen on the bench yet.
 */
not_seen: Array<string>, };

/**
 * Devices one technician finished.
 */
export type TechnicianRate = { 
/**
 * Who (`None`: no technician was recorded for these devices).
 */
technician: string | null, 
/**
 * Devices they finished.
 */
done: number, 
/**
 * Per hour, from the first of those devices' start to the last one done (`None`: under a
 * minute).
 */
per_hour: number | null, };

/**
 * How long devices spend in one stage.
 */
export type StageTime = { 
/**
 * The stage.
 */
stage: Stage, 
/**
 * Its label.
 */
label: string, 
/**
 * Devices that entered the stage and left it (their time there is known).
 */
finished: number, 
/**
 * The median time those spent there, in seconds.
 */
median_secs: number | null, 
/**
 * The longest time one of those spent there, in seconds.
 */
max_secs: number | null, 
/**
 * Devices in the stage now.
 */
now: number, 
/**
 * The longest any of those has been there so far, in seconds.
 */
longest_now_secs: number | null, };

/**
 * One of the slowest devices.
 */
export type SlowDevice = { 
/**
 * The store's device id.
 */
device_id: number, 
/**
 * The serial to show.
 */
serial: string | null, 
/**
 * Its bench slot number, when it has one.
 */
slot: number | null, 
/**
 * Time at the bench: from its start to done, or to now when not done.
 */
bench_secs: number, 
/**
 * Whether it is done.
 */
finished: boolean, 
/**
 * Where it stands now.
 */
stage: Stage, 
/**
 * The stage it spent longest in before done (counting the time so far, when still there).
 */
slowest_stage: Stage, 
/**
 * Its time there, in seconds.
 */
slowest_stage_secs: number, 
/**
 * Not done, and in its stage for longer than [`STUCK_AFTER`] and three times the stage's
 * median: someone should look at it.
 */
stuck: boolean, };

/**
 * Whether the batch's end could be estimated.
 */
export type EtaState = "done" | "estimated" | "not-enough-data";

/**
 * When the batch will be done.
 */
export type Eta = { 
/**
 * Done, estimated, or not enough data.
 */
state: EtaState, 
/**
 * When it will be done (estimated) or was (done).
 */
at: string | null, 
/**
 * Devices still to finish: the batch's expected count (or its devices, when more joined)
 * less those done.
 */
remaining: number, 
/**
 * Devices done per hour over the last [`RECENT`] (or since the first device started, when
 * later).
 */
recent_per_hour: number | null, 
/**
 * Why there is no estimate, in words.
 */
reason: string | null, };

/**
 * Where the time goes in a batch.
 */
export type BatchStats = { 
/**
 * When the figures were made (the clock's now).
 */
at: string, 
/**
 * The stage at which a device counts as done ([`done_stage`]).
 */
done_stage: Stage, 
/**
 * Devices in the batch.
 */
devices: number, 
/**
 * Devices the batch is for: its expected count or serials, or its devices when more joined.
 */
target: number, 
/**
 * Devices done.
 */
done: number, 
/**
 * Devices done per hour, from the first done device's start to the last one done
 * (`None`: none done, or under a minute).
 */
per_hour: number | null, 
/**
 * The same per technician, most devices first.
 */
technicians: Array<TechnicianRate>, 
/**
 * Time in each stage before Intune ([`timed_stages`]), in the flow's order.
 */
stages: Array<StageTime>, 
/**
 * The slowest devices (at most [`SLOWEST`]), slowest first.
 */
slowest: Array<SlowDevice>, 
/**
 * When the batch will be done.
 */
eta: Eta, 
/**
 * What may make the figures off (the clock was set back, …).
 */
notes: Array<string>, };

/**
 * What was done.
 */
export type AuditAction = "qr-display" | "qr-reveal" | "label-print" | "token-create" | "token-revoke" | "token-export" | "pack-export" | "pack-import" | "report-export" | "report-import" | "custody-export" | "batch-create" | "reconcile" | "device-added" | "technician-action";

/**
 * Where the name of the technician on record comes from.
 */
export type TechnicianSource = "setting" | "environment" | "account" | "os-user" | "unknown";

/**
 * The technician on record for actions and events, and where the name comes from.
 */
export type TechnicianOnRecord = { 
/**
 * The name recorded.
 */
name: string, 
/**
 * Where it comes from.
 */
source: TechnicianSource, };

/**
 * One row of the audit log, as read back.
 */
export type AuditRecord = { 
/**
 * Row id; ids grow by one per entry, in the order entries were written.
 */
id: number, 
/**
 * When, RFC 3339 UTC with milliseconds (see [`crate::clock::timestamp`]).
 */
at: string, 
/**
 * Who.
 */
actor: string, 
/**
 * What: an [`AuditAction`] name (kept as text, so rows written by a newer StageBench still
 * read).
 */
action: string, 
/**
 * The batch's id.
 */
batch: string | null, 
/**
 * The token's reference.
 */
token: string | null, 
/**
 * The device's serial.
 */
device: string | null, 
/**
 * Details.
 */
detail: unknown, 
/**
 * The row's chain hash (SHA-256, lowercase hex).
 */
hash: string, };

/**
 * What [`Store::audit_verify`] found.
 */
export type AuditCheck = { "status": "intact", 
/**
 * How many rows were checked.
 */
rows: number, 
/**
 * The last row's hash (`None` for an empty log): quote it to prove later that nothing
 * was removed from the end.
 */
head: string | null, } | { "status": "broken", 
/**
 * The first row found wrong.
 */
row: number, 
/**
 * Why, for people ("row 17's hash does not match its contents").
 */
reason: string, };

/**
 * The audit chain's head as the bench key signed it: row `row` had chain hash `hash`. Custody
 * documents and batch reports carry one, so a log rewritten later no longer matches them.
 */
export type SignedHead = { 
/**
 * The row the head is.
 */
row: number, 
/**
 * Its chain hash (SHA-256, lowercase hex).
 */
hash: string, 
/**
 * The fingerprint of the key that signed it.
 */
signer: string, 
/**
 * The Ed25519 signature of [`SignedHead::message`], standard base64.
 */
signature: string, };

/**
 * What [`Store::audit_verify_signed`] found beside the chain itself.
 */
export type SignedAuditCheck = { 
/**
 * The fingerprint of the bench key the signatures were checked with (`None`: no key was
 * at hand, so only the heads' hashes were compared).
 */
checked_with: string | null, 
/**
 * The newest signed head (quote it: custody documents and reports carry it).
 */
signed_head: SignedHead | null, 
/**
 * Rows after the newest signed head (appended without the bench key; the next signed
 * append covers them).
 */
unsigned_rows: number, } & ({ "status": "intact", 
/**
 * How many rows were checked.
 */
rows: number, 
/**
 * The last row's hash (`None` for an empty log): quote it to prove later that nothing
 * was removed from the end.
 */
head: string | null, } | { "status": "broken", 
/**
 * The first row found wrong.
 */
row: number, 
/**
 * Why, for people ("row 17's hash does not match its contents").
 */
reason: string, });

/**
 * A bench's public key, as reports carry it and admins compare it.
 */
export type BenchPublicKey = { 
/**
 * The 32 key bytes, standard base64 (with padding).
 */
key_b64: string, 
/**
 * `SHA256:` and the unpadded base64 of the SHA-256 of the 32 key bytes, in the style of
 * OpenSSH (but not the value `ssh-keygen` prints for the key, which hashes SSH's own
 * encoding of it).
 */
fingerprint: string, };

/**
 * What an export wrote.
 */
export type Exported = { 
/**
 * The file.
 */
path: string, 
/**
 * Its size.
 */
bytes: number, 
/**
 * The pack's or report's id.
 */
id: string, 
/**
 * Devices in a report (0 for a pack).
 */
devices: number, 
/**
 * The signing key's fingerprint (reports).
 */
fingerprint: string | null, 
/**
 * A warning to show (a token expiring before the due date).
 */
warning: string | null, };

/**
 * Why a report's signer is not trusted for its batch yet.
 */
export type Untrusted = { "kind": "never-exported" } | { "kind": "unknown-pack", 
/**
 * The pack the report names.
 */
pack: string | null, } | { "kind": "first-key" } | { "kind": "other-key", 
/**
 * The keys trusted for it.
 */
trusted: Array<string>, };

/**
 * What importing a report found.
 */
export type ImportedReport = { 
/**
 * The batch.
 */
batch: BatchId, 
/**
 * Its name.
 */
batch_name: string, 
/**
 * Devices listed.
 */
devices: number, 
/**
 * The signing key's fingerprint: compare it with the one the vendor's Settings screen shows.
 */
signer: string, 
/**
 * SHA-256 of the file.
 */
digest: string, 
/**
 * The batch was not on this machine (it was created from the report).
 */
new_batch: boolean, 
/**
 * Earlier reports of this batch were signed by other keys (listed).
 */
other_signers: Array<string>, 
/**
 * The signer was not trusted for the batch and the admin accepted it by fingerprint: why
 * it was not (kept in the audit record too).
 */
accepted: Untrusted | null, 
/**
 * The vendor bench's audit chain head the report carries (signed by the same key).
 */
vendor_audit_head: SignedHead | null, 
/**
 * Per stage, how many devices the report lists there.
 */
stages: { [key in string]: number }, };

/**
 * One device in a reconciliation.
 */
export type ReconciledDevice = { 
/**
 * The serial it is known by.
 */
serial: string, 
/**
 * Its stage in the report (`None`: not in the report).
 */
reported_stage: Stage | null, 
/**
 * Intune's device name, when Intune shows it.
 */
intune_name: string | null, 
/**
 * Intune's id.
 */
intune_id: string | null, 
/**
 * Intune's user, when one is on the device.
 */
intune_user: string | null, };

/**
 * A batch reconciled against Intune.
 */
export type Reconciliation = { 
/**
 * The batch.
 */
batch: BatchId, 
/**
 * Reports used (digests), or empty when the bench's own records were used.
 */
reports: Array<string>, 
/**
 * In the report and in Intune.
 */
matched: Array<ReconciledDevice>, 
/**
 * In the report, not in Intune (those past stage 2 should be there).
 */
missing_in_intune: Array<ReconciledDevice>, 
/**
 * In Intune (an expected serial) but not in the report: a device the bench never saw.
 */
unexpected: Array<ReconciledDevice>, 
/**
 * Expected, in neither the report nor Intune.
 */
not_staged: Array<string>, 
/**
 * In the report but not on the batch's expected list (when it has one).
 */
not_expected: Array<string>, 
/**
 * Serials Intune could not be asked about this time (throttled, offline): run it again.
 */
failed: Array<string>, };

/**
 * What a scan did.
 */
export type ScanOutcome = { 
/**
 * The serial, as linked (upper-case).
 */
serial: string, 
/**
 * The store's device id.
 */
device: number, 
/**
 * Whether it joined the batch now (false: it was in it already).
 */
joined: boolean, };

/**
 * Why a scan was refused: a typed reason the front ends word (and the UI may act on); the
 * message says it in the domain's words.
 */
export type ScanError = { "reason": "empty" } | { "reason": "too-long", 
/**
 * How many characters it had.
 */
length: number, } | { "reason": "not-a-serial" } | { "reason": "garbled" };

/**
 * Where a simulated device is in its life on the demo bench, in the order it gets there.
 */
export type DemoPhase = "usb-debugging-off" | "fresh" | "provisioning" | "device-owner" | "setup-done" | "powered-off" | "in-intune" | "user-signed-in";

/**
 * What a demo control does to a device.
 */
export type DemoAction = "plug" | "unplug" | "advance" | "fail" | "allow" | "power-on";

/**
 * How a device goes wrong.
 */
export type DemoFailure = "reboot" | "stuck";

/**
 * One simulated device as the demo controls show it.
 */
export type DemoDevice = { 
/**
 * Its number on the simulated bench (1, 2, …).
 */
number: number, 
/**
 * `ro.serialno`.
 */
serial: string, 
/**
 * Maker.
 */
manufacturer: string, 
/**
 * Model.
 */
model: string, 
/**
 * Its adb address (the bench slot of a TCP device).
 */
addr: string, 
/**
 * Its cable is in.
 */
plugged: boolean, 
/**
 * It is switched on (off once powered off, until powered on again).
 */
powered: boolean, 
/**
 * adb can talk to it now (plugged, switched on, USB debugging on).
 */
onAdb: boolean, 
/**
 * It waits for "Allow USB debugging?".
 */
awaitingAllow: boolean, 
/**
 * It stopped moving on (a `stuck` failure).
 */
stuck: boolean, 
/**
 * Where it is.
 */
phase: DemoPhase, 
/**
 * What it is doing, in words.
 */
doing: string, 
/**
 * The controls that do something now.
 */
actions: Array<DemoAction>, 
/**
 * The ways [`DemoAction::Fail`] can make it go wrong now.
 */
failures: Array<DemoFailure>, };
