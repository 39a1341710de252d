//! Tauri's build step, with the app's command manifest: every command the shell registers is
//! listed here, and Tauri makes an `allow-<command>` permission for each. With a manifest, the
//! webview may call only what a capability grants it (capabilities/default.json grants these to
//! the `main` window, nothing else); without one, every command would be open to any window.
//! `tests/acl.rs` checks this list, the handler in src/lib.rs and the capability agree.

/// The commands the webview may call (the handler's, in its order).
const COMMANDS: &[&str] = &[
    "bench_watch",
    "bench_dismiss",
    "doctor_run",
    "doctor_fix",
    "doctor_network",
    "qr_render",
    "slots_list",
    "slot_assign",
    "slot_free",
    "slot_next_free",
    "slot_move",
    "tenant_watch",
    "tenant_sign_in_start",
    "tenant_sign_out",
    "tenant_sync_now",
    "profiles_list",
    "profile_reveal_token",
    "profile_qr",
    "profile_token_create",
    "profile_token_revoke",
    "export_folder",
    "audit_log",
    "audit_verify",
    "bench_key",
    "batch_export_pack",
    "batch_import_pack",
    "batch_qr",
    "batch_export_report",
    "batch_import_report",
    "batch_reconcile",
    "batch_custody",
    "batches_list",
    "batch_show",
    "batch_stats",
    "batch_create",
    "batch_set_active",
    "batch_close",
    "technician_get",
    "technician_set",
    "bench_action",
    "batch_scan",
    "slot_scan",
    "scanner_tie_held",
    "scanner_ports",
    "scanner_settings_get",
    "scanner_settings_set",
    "scanner_watch",
    "scanner_add_held",
    "scanner_refresh_held",
    "label_templates",
    "label_preview",
    "labels_print",
    "labels_refuse_wifi_get",
    "labels_refuse_wifi_set",
    "print_queue_watch",
    "print_queue_list",
    "print_job_retry",
    "print_job_cancel",
    "printers_list",
    "printers_discover",
    "printer_add",
    "printer_remove",
    "printer_test",
    "printer_status",
    "demo_devices",
    "demo_act",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step: {e:#}");
    }
}
