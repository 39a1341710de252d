//! The Labels screen's printers and print queue: list, discover, add, remove, test and ask
//! printers, and watch, list, cancel and retry print jobs. The queue itself is drained by the
//! core's print-queue worker; these commands read and change it, and kick the worker.

use stagebench_core::ids::PrintJobId;
use stagebench_core::printer::worker::newest_jobs;
use stagebench_core::printer::PrinterStore;
use stagebench_core::printer::{
    IppClient, PrintTransport, PrinterConfig, QueueJob, QueueState, SystemPrinters,
};
use stagebench_core::store::{PrintJob, Store};
use tauri::ipc::Channel;
use tauri::State;

use crate::bridge::forward;
use crate::error::{internal, invalid, ApiError};
use crate::printer_views::{
    printer_from_form, CupsDiscovery, CupsPrinterView, PrinterForm, PrinterStatusView, PrinterView,
};
use crate::state::App;

/// Streams the print queue's state to `on_event`: now, then after every change.
#[tauri::command]
pub fn print_queue_watch(
    app: State<'_, App>,
    on_event: Channel<QueueState>,
) -> Result<(), ApiError> {
    forward(app.print()?.subscribe(), on_event);
    Ok(())
}

/// The bench's printers.
#[tauri::command]
pub fn printers_list(app: State<'_, App>) -> Result<Vec<PrinterView>, ApiError> {
    let printers = app.store()?.lock().printers()?;
    Ok(printers.into_iter().map(PrinterView::from).collect())
}

/// What asking the CUPS server at `server` found (none, with the reason, when no CUPS answers).
async fn discover(client: IppClient, server: String) -> CupsDiscovery {
    match client.cups_printers(&server).await {
        Ok(list) => CupsDiscovery { server, printers: list.into_iter().map(CupsPrinterView::from).collect(), problem: None },
        Err(e) => CupsDiscovery {
            problem: Some(format!("No CUPS server answered at {server} ({e}). Start CUPS on this computer, set CUPS_SERVER to the print server, or add the printer by its address below.")),
            server,
            printers: Vec::new(),
        },
    }
}

/// The printers of the CUPS server (none, with the reason, when no CUPS answers).
#[tauri::command]
pub async fn printers_discover() -> Result<CupsDiscovery, ApiError> {
    let client = IppClient::new().map_err(internal)?;
    Ok(discover(client, IppClient::cups_server_from_env()).await)
}

/// Adds a printer, or changes the one with that name.
#[tauri::command]
pub fn printer_add(app: State<'_, App>, form: PrinterForm) -> Result<PrinterView, ApiError> {
    let config = printer_from_form(&form)?;
    app.store()?.lock().printer_save(&config)?;
    Ok(PrinterView::from(config))
}

/// Removes a printer (its queued jobs stay, and fail until a printer of that name is back).
#[tauri::command]
pub fn printer_remove(app: State<'_, App>, name: String) -> Result<bool, ApiError> {
    Ok(app.store()?.lock().printer_remove(&name)?)
}

/// The bench printer named `name`.
fn printer(store: &Store, name: &str) -> Result<PrinterConfig, ApiError> {
    store
        .printer(name)?
        .ok_or_else(|| invalid(format!("There is no printer {name}: add it first.")))
}

/// Queues a small test label for `name` (PDF for IPP, ZPL for raw and serial).
fn queue_test_label(store: &mut Store, name: &str) -> Result<i64, ApiError> {
    let job = stagebench_core::printer::test_label(&printer(store, name)?, store.technician());
    Ok(store.print_enqueue(&job)?.0)
}

/// Queues a small test label for the printer (PDF for IPP, ZPL for raw and serial) and sends it.
#[tauri::command]
pub fn printer_test(app: State<'_, App>, name: String) -> Result<i64, ApiError> {
    let id = queue_test_label(&mut app.store()?.lock(), &name)?;
    app.print()?.kick();
    Ok(id)
}

/// The bench printer named `name`, and the real printers as the bench's technician.
fn system_printer(store: &Store, name: &str) -> Result<(PrinterConfig, SystemPrinters), ApiError> {
    let client = IppClient::new().map_err(internal)?;
    Ok((
        printer(store, name)?,
        SystemPrinters::new(client, store.technician()),
    ))
}

/// Asks a printer whether it is ready: Zebra host status (`~HS`) for raw and serial printers,
/// the printer state for IPP ones. A printer that does not answer is `unknown`, not an error.
#[tauri::command]
pub async fn printer_status(
    app: State<'_, App>,
    name: String,
) -> Result<PrinterStatusView, ApiError> {
    let (config, printers) = system_printer(&app.store()?.lock(), &name)?;
    Ok(printers.status(&config).await.into())
}

/// The newest print jobs, newest first.
#[tauri::command]
pub fn print_queue_list(app: State<'_, App>) -> Result<Vec<QueueJob>, ApiError> {
    Ok(newest_jobs(&app.store()?.lock())?)
}

/// Cancels job `id` as the bench's technician.
fn cancel(store: &mut Store, id: PrintJobId) -> Result<PrintJob, ApiError> {
    let who = store.technician();
    Ok(store.print_cancel(id, &who)?)
}

/// Takes a queued job out of line (it stays, failed, saying who cancelled it, until retried).
#[tauri::command]
pub fn print_job_cancel(app: State<'_, App>, id: i64) -> Result<QueueJob, ApiError> {
    let job = cancel(&mut app.store()?.lock(), PrintJobId(id))?;
    app.print()?.kick();
    Ok(job.into())
}

/// Puts a failed job back in line (attempts reset) and sends it now.
#[tauri::command]
pub fn print_job_retry(app: State<'_, App>, id: i64) -> Result<QueueJob, ApiError> {
    let job = app.store()?.lock().print_requeue(PrintJobId(id))?;
    app.print()?.kick();
    Ok(job.into())
}
