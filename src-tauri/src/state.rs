//! What the app keeps for its whole run: the store, opened once at start, and the core services
//! over it (bench watcher, print-queue worker, scanner intake, tenant connection). Commands take
//! it as `State<'_, App>`; every other connection to the store comes from this one
//! ([`StoreHandle::open_another`]).

use stagebench_core::device::BenchWatcher;
use stagebench_core::intune::service::TenantService;
use stagebench_core::printer::PrintWorker;
use stagebench_core::scanner::ScannerIntake;
use stagebench_core::store::{Store, StoreHandle};
use tokio::runtime::Handle;

use crate::error::ApiError;

/// The app's store and services.
pub struct App {
    store: Result<StoreHandle, String>,
    /// The bench watcher (it runs without a store too: devices are then shown, not saved).
    pub bench: BenchWatcher,
    services: Option<Services>,
}

/// The services that need the store.
struct Services {
    print: PrintWorker,
    scanner: ScannerIntake,
    tenant: TenantService,
}

impl App {
    /// Opens the bench's store (the one place the app does) and builds the services on
    /// `runtime`; the serial scanner starts reading its saved port. A store that can't be
    /// opened leaves the bench watching without saving, and every command that needs the store
    /// says why.
    pub fn open(runtime: Handle) -> App {
        App::over(Store::open_default(), runtime)
    }

    /// The app over `store` (tests open one in a folder of their own).
    pub fn over(store: Result<Store, stagebench_core::store::StoreError>, runtime: Handle) -> App {
        let store = store.map(StoreHandle::new);
        let bench = BenchWatcher::new(store.as_ref().map(StoreHandle::shared), runtime.clone());
        let services = store.as_ref().ok().map(|store| {
            let refresh = bench.clone();
            let scanner = ScannerIntake::new(store.clone(), move || refresh.refresh(false));
            scanner.start();
            Services {
                print: PrintWorker::new(store.clone()),
                scanner,
                tenant: TenantService::new(store.clone(), runtime),
            }
        });
        App {
            store: store.map_err(|e| e.to_string()),
            bench,
            services,
        }
    }

    /// The store, or why it could not be opened.
    pub fn store(&self) -> Result<&StoreHandle, ApiError> {
        self.store.as_ref().map_err(|message| ApiError {
            code: "internal",
            message: message.clone(),
        })
    }

    fn services(&self) -> Result<&Services, ApiError> {
        self.store()?;
        self.services.as_ref().ok_or_else(|| ApiError {
            code: "internal",
            message: "the app's services did not start".into(),
        })
    }

    /// The print-queue worker.
    pub fn print(&self) -> Result<&PrintWorker, ApiError> {
        Ok(&self.services()?.print)
    }

    /// The serial-scanner intake.
    pub fn scanner(&self) -> Result<&ScannerIntake, ApiError> {
        Ok(&self.services()?.scanner)
    }

    /// The tenant connection.
    pub fn tenant(&self) -> Result<&TenantService, ApiError> {
        Ok(&self.services()?.tenant)
    }
}
