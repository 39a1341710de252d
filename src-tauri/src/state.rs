//! What the app keeps for its whole run: the store, opened once at start, and the core services
//! over it (bench watcher, print-queue worker, scanner intake, tenant connection). Commands take
//! it as `State<'_, App>`; every other connection to the store comes from this one
//! ([`StoreHandle::open_another`]). The [`plugin`] opens it when the app is built, after the
//! single-instance guard, so a second launch never opens the store.

use stagebench_core::batch::key::attach;
use stagebench_core::bench::BenchWatcher;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::intune::service::TenantService;
use stagebench_core::printer::PrintWorker;
use stagebench_core::scanner::ScannerIntake;
use stagebench_core::store::{Store, StoreHandle};
use tauri::plugin::TauriPlugin;
use tauri::{Manager, Runtime};
use tokio::runtime::Handle;

use crate::error::{internal, ApiError};

/// The app's store and services.
pub struct App {
    /// The bench watcher (it runs without a store too: devices are then shown, not saved).
    pub bench: BenchWatcher,
    opened: Result<Opened, String>,
}

/// The store and the services that need it.
struct Opened {
    store: StoreHandle,
    print: PrintWorker,
    scanner: ScannerIntake,
    tenant: TenantService,
}

/// Opens the store and starts the services when the app is built (plugins start in the order
/// they were added: after the single-instance guard).
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("stagebench-state")
        .setup(|app, _| {
            let runtime = tauri::async_runtime::handle().inner().clone();
            app.manage(App::open(runtime));
            tracing::info!("the bench's store is open and its services started");
            Ok(())
        })
        .build()
}

impl App {
    /// Opens the bench's store (the one place the app does) and builds the services on
    /// `runtime`; the serial scanner starts reading its saved port. A store that can't be
    /// opened leaves the bench watching without saving, and every command that needs the store
    /// says why.
    pub fn open(runtime: Handle) -> App {
        let store = Store::open_default().map(StoreHandle::new);
        let bench = BenchWatcher::new(store.as_ref().map(StoreHandle::shared), runtime.clone());
        let opened = store
            .map(|store| {
                // The bench key signs the audit chain's head at each append once the keyring
                // answers (made on first use); rows before are covered by the next signed one.
                let signing = store.clone();
                runtime.spawn(async move { attach(&signing, &OsKeyring::new()).await });
                let refresh = bench.clone();
                let scanner = ScannerIntake::new(store.clone(), move || refresh.refresh(false));
                scanner.start();
                // A sync records Intune's statuses: the cards show them at once.
                let tenant = TenantService::new(store.clone(), runtime);
                let restage = bench.clone();
                tenant.after_sync(move || restage.refresh(false));
                Opened {
                    print: PrintWorker::new(store.clone()),
                    tenant,
                    scanner,
                    store,
                }
            })
            .map_err(|e| e.to_string());
        App { bench, opened }
    }

    fn opened(&self) -> Result<&Opened, ApiError> {
        self.opened.as_ref().map_err(internal)
    }

    /// The store, or why it could not be opened.
    pub fn store(&self) -> Result<&StoreHandle, ApiError> {
        Ok(&self.opened()?.store)
    }

    /// The print-queue worker.
    pub fn print(&self) -> Result<&PrintWorker, ApiError> {
        Ok(&self.opened()?.print)
    }

    /// The serial-scanner intake.
    pub fn scanner(&self) -> Result<&ScannerIntake, ApiError> {
        Ok(&self.opened()?.scanner)
    }

    /// The tenant connection.
    pub fn tenant(&self) -> Result<&TenantService, ApiError> {
        Ok(&self.opened()?.tenant)
    }
}
