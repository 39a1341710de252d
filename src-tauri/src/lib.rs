//! The StageBench desktop shell: thin Tauri commands over `stagebench-core`.
//!
//! Layout: [`commands`] holds the commands the UI calls (one to five lines each); [`error`] turns
//! core errors into `{code, message}`; [`bench`] fans bench snapshots out to the UI over Tauri
//! channels; [`tenant`] keeps the one tenant connection and its sync loop, and fans its state out
//! the same way; [`profiles`] holds the Profiles screen's commands (tokens, QR); [`batches`] the
//! Batches screen's and the bench's technician actions; [`scanner`] reads the serial barcode
//! scanner into the active batch. The builder is
//! generic over the Tauri runtime so the shell can be tested with `tauri::test::mock_builder`.

pub mod batches;
pub mod bench;
pub mod commands;
pub mod error;
pub mod exchange;
pub mod labels;
pub mod printing;
pub mod profiles;
pub mod scanner;
pub mod tenant;

use tauri::{Builder, Manager, Runtime};

/// The app with its state and commands, before a context is attached.
pub fn builder<R: Runtime>() -> Builder<R> {
    Builder::<R>::new()
        .manage(bench::BenchHub::default())
        .manage(tenant::TenantHub::default())
        .manage(scanner::ScannerHub::default())
        .setup(|app| {
            let bench = app.state::<bench::BenchHub>().inner().clone();
            app.state::<scanner::ScannerHub>().start(bench);
            Ok(())
        })
        .manage(printing::PrintHub::default())
        .invoke_handler(tauri::generate_handler![
            commands::bench_watch,
            commands::doctor_run,
            commands::qr_render,
            commands::slots_list,
            commands::slot_assign,
            commands::slot_free,
            commands::tenant_watch,
            commands::tenant_sign_in_start,
            commands::tenant_sign_out,
            commands::tenant_sync_now,
            profiles::profiles_list,
            profiles::profile_reveal_token,
            profiles::profile_qr,
            profiles::profile_token_create,
            profiles::profile_token_revoke,
            exchange::export_folder,
            exchange::batch_export_pack,
            exchange::batch_import_pack,
            exchange::batch_qr,
            exchange::batch_export_report,
            exchange::batch_import_report,
            exchange::batch_reconcile,
            exchange::batch_custody,
            exchange::audit_log,
            exchange::audit_verify,
            exchange::bench_key,
            exchange::batch_scan,
            batches::batches_list,
            batches::batch_show,
            batches::batch_create,
            batches::batch_set_active,
            batches::batch_close,
            batches::technician_get,
            batches::technician_set,
            batches::bench_action,
            scanner::scanner_ports,
            scanner::scanner_settings_get,
            scanner::scanner_settings_set,
            scanner::scanner_watch,
            scanner::scanner_add_held,
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
            printing::printer_status
        ])
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
    if let Err(e) = builder::<tauri::Wry>().run(tauri::generate_context!()) {
        eprintln!("StageBench could not start its window: {e}. On Linux, check that a display is available (DISPLAY or WAYLAND_DISPLAY).");
        std::process::exit(1);
    }
}
