//! The StageBench desktop shell: thin Tauri commands over `stagebench-core`.
//!
//! Trust: the window may call only the commands build.rs declares and capabilities/default.json
//! grants it (tests/acl.rs); files come from the native open dialog or, by name, the bench's
//! export folder ([`files`]), never from a path the page chose; one app runs per bench data
//! folder ([`instance`]).
//!
//! Layout: [`state`] opens the store once and holds the core services over it (bench watcher,
//! print-queue worker, scanner intake, tenant connection); [`bridge`] is the one bridge from a
//! service's `watch` channel to the webview; [`error`] turns core errors into `{code, message}`.
//! The commands, one to five lines each over the core, are grouped by screen: [`bench`] (devices,
//! slots, doctor), [`qr`], [`tenant`], [`profiles`], [`batches`] (with the New batch form in
//! [`batch_form`]), [`exchange`] (packs, a batch's QR), [`reports`] (reports, reconcile, custody),
//! [`activity`] (audit log, bench key), [`scanner`], [`labels`] and [`printing`] (with the Printers
//! panel's views in [`printer_views`]) and [`demo`] (the demo panel's simulated bench); [`files`]
//! is where files come from, [`instance`] the single-instance guard, [`webview`] the web view's
//! settings (no page cache). `bindings` (tests only) writes the UI's
//! TypeScript types for the shell's own views. The builder is generic over the Tauri runtime, so
//! the shell is tested
//! with `tauri::test::mock_builder` (tests/mock_app.rs).

pub mod activity;
pub mod batch_form;
pub mod batches;
pub mod bench;
#[cfg(test)]
mod bindings;
pub mod bridge;
pub mod demo;
pub mod error;
pub mod exchange;
pub mod files;
pub mod instance;
pub mod labels;
pub mod printer_views;
pub mod printing;
pub mod profiles;
pub mod qr;
pub mod reports;
pub mod scanner;
pub mod state;
pub mod tenant;
pub mod webview;

use tauri::{Builder, Context, Runtime};

/// `base` with the app's plugins, state and commands: the store is opened once, when the app is
/// built, and the services over it are made (the serial scanner starts reading its saved port).
/// Plugins start in the order added, so a guard added to `base` before ([`builder`]) runs first.
pub fn configure<R: Runtime>(base: Builder<R>) -> Builder<R> {
    files::init();
    base.plugin(tauri_plugin_dialog::init())
        .plugin(state::plugin())
        .invoke_handler(tauri::generate_handler![
            bench::bench_watch,
            bench::bench_dismiss,
            bench::doctor_run,
            bench::doctor_fix,
            bench::doctor_network,
            qr::qr_render,
            bench::slots_list,
            bench::slot_assign,
            bench::slot_free,
            bench::slot_next_free,
            bench::slot_move,
            tenant::tenant_watch,
            tenant::tenant_sign_in_start,
            tenant::tenant_sign_out,
            tenant::tenant_sync_now,
            profiles::profiles_list,
            profiles::profile_reveal_token,
            profiles::profile_qr,
            profiles::profile_token_create,
            profiles::profile_token_revoke,
            activity::export_folder,
            activity::audit_log,
            activity::audit_verify,
            activity::bench_key,
            exchange::batch_export_pack,
            exchange::batch_import_pack,
            exchange::batch_qr,
            reports::batch_export_report,
            reports::batch_import_report,
            reports::batch_reconcile,
            reports::batch_custody,
            batches::batches_list,
            batches::batch_show,
            batches::batch_stats,
            batches::batch_create,
            batches::batch_set_active,
            batches::batch_close,
            batches::technician_get,
            batches::technician_set,
            batches::bench_action,
            scanner::batch_scan,
            scanner::slot_scan,
            scanner::scanner_tie_held,
            scanner::scanner_ports,
            scanner::scanner_settings_get,
            scanner::scanner_settings_set,
            scanner::scanner_watch,
            scanner::scanner_add_held,
            scanner::scanner_refresh_held,
            labels::label_templates,
            labels::label_preview,
            labels::labels_print,
            labels::labels_refuse_wifi_get,
            labels::labels_refuse_wifi_set,
            printing::print_queue_watch,
            printing::print_queue_list,
            printing::print_job_retry,
            printing::print_job_cancel,
            printing::printers_list,
            printing::printers_discover,
            printing::printer_add,
            printing::printer_remove,
            printing::printer_test,
            printing::printer_status,
            demo::demo_devices,
            demo::demo_act
        ])
}

/// The app with its single-instance guard, state and commands, before a context is attached:
/// a second launch on the same data folder brings the first window forward and exits before
/// it opens the store or starts a service. Its web view is set for low memory ([`webview`]).
pub fn builder<R: Runtime>() -> Builder<R> {
    configure(Builder::<R>::new().plugin(instance::guard())).plugin(webview::plugin())
}

/// The app's context: tauri.conf.json, the UI's files and the command permissions build.rs made.
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}

/// Runs the desktop app until its window closes.
pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STAGEBENCH_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    if let Err(e) = builder::<tauri::Wry>().run(context()) {
        eprintln!("StageBench could not start its window: {e}. On Linux, check that a display is available (DISPLAY or WAYLAND_DISPLAY).");
        std::process::exit(1);
    }
}
