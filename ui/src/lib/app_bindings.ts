// Generated from src-tauri/src/batches.rs by its test ui_app_bindings_match_the_rust_types. Do not edit
// by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.
import type { Batch, Exported, Flow, TokenCheck } from "./bindings";

/**
 * A batch as the Batches list shows it: what is cheap to know without reading every device's
 * history (the selected batch's [`BatchProgress`] has the rest).
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
 * none), and who the audit log records now (the setting, else the environment or OS user).
 */
export type TechnicianView = { 
/**
 * The `technician` bench setting, empty when not set.
 */
setting: string, 
/**
 * The name actions are recorded under now.
 */
effective: string, };

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
