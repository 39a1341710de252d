//! The Batches screen's commands and the bench's technician actions: list, show, create, make
//! active and close batches; name the technician; record "powered off" and the Windows steps
//! on a device. After anything that can move a card (a device joining a batch, an action) the
//! bench watcher restages the cards.

use serde::Serialize;
use stagebench_core::audit::TechnicianSource;
use stagebench_core::batch::exchange::{self, audit_created};
use stagebench_core::batch::progress::{batch_progress, BatchProgress};
use stagebench_core::batch::stats::{self, BatchStats};
use stagebench_core::batch::summary::{summaries, BatchSummary};
use stagebench_core::batch::BatchStore;
use stagebench_core::store::Store;
use stagebench_core::store::TECHNICIAN_SETTING;
use tauri::State;

use crate::batch_form::{new_batch, BatchForm};
use crate::error::ApiError;
use crate::state::App;

/// What the Settings screen shows for the technician: the name set on this bench (empty when
/// none), and who the audit log records now (the setting, else the environment, the signed-in
/// person or the OS user) and from where.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TechnicianView {
    /// The `technician` bench setting, empty when not set.
    pub setting: String,
    /// The name actions are recorded under now.
    pub effective: String,
    /// Where that name comes from.
    pub source: TechnicianSource,
}

impl TechnicianView {
    fn of(store: &Store) -> Result<TechnicianView, ApiError> {
        let on_record = store.technician_on_record();
        Ok(TechnicianView {
            setting: store.bench_setting(TECHNICIAN_SETTING)?.unwrap_or_default(),
            effective: on_record.name,
            source: on_record.source,
        })
    }
}

/// One batch's progress now.
fn progress(store: &Store, id: &str) -> Result<BatchProgress, ApiError> {
    let record = store.find_batch(id)?;
    Ok(batch_progress(store, &record, store.clock_now())?)
}

/// The technician name for the Settings screen.
#[tauri::command]
pub fn technician_get(app: State<'_, App>) -> Result<TechnicianView, ApiError> {
    TechnicianView::of(&app.store()?.lock())
}

/// Names the technician at this bench (blank: forget it, so the OS user is recorded again).
#[tauri::command]
pub fn technician_set(app: State<'_, App>, name: String) -> Result<TechnicianView, ApiError> {
    let mut store = app.store()?.lock();
    let name = Some(name.trim()).filter(|n| !n.is_empty());
    store.set_bench_setting(TECHNICIAN_SETTING, name)?;
    TechnicianView::of(&store)
}

/// Every batch on this bench, newest first.
#[tauri::command]
pub fn batches_list(app: State<'_, App>) -> Result<Vec<BatchSummary>, ApiError> {
    Ok(summaries(&app.store()?.lock())?)
}

/// One batch's progress: stages, devices, problems, token, serials not seen yet.
#[tauri::command]
pub fn batch_show(app: State<'_, App>, id: String) -> Result<BatchProgress, ApiError> {
    progress(&app.store()?.lock(), &id)
}

/// Where the time goes in one batch: devices per hour (and per technician), time in each
/// stage, the slowest devices, when it will be done.
#[tauri::command]
pub fn batch_stats(app: State<'_, App>, id: String) -> Result<BatchStats, ApiError> {
    let store = app.store()?.lock();
    let record = store.find_batch(&id)?;
    Ok(stats::batch_stats(&store, &record)?)
}

/// Creates a batch; attached devices it expects join it at once. The answer's `token` says
/// when the token expires before the due date (printing is then blocked for the batch).
#[tauri::command]
pub async fn batch_create(app: State<'_, App>, form: BatchForm) -> Result<BatchProgress, ApiError> {
    let profile = form.profile.facts(app.tenant()).await?;
    let id = create(&mut app.store()?.lock(), &form, profile)?;
    app.bench.refresh(true);
    progress(&app.store()?.lock(), &id)
}

/// Stores the batch the form asks for, audited; returns its id.
fn create(
    store: &mut Store,
    form: &BatchForm,
    profile: stagebench_core::batch::ProfileFacts,
) -> Result<String, ApiError> {
    let who = store.technician();
    let batch = new_batch(form, profile, &who, store.clock_now())?;
    store.create_batch(&batch)?;
    audit_created(store, &batch, &who)?;
    Ok(batch.id.to_string())
}

/// Makes the batch with this id (prefix) the active one, or (`None`) clears it.
fn set_active(store: &mut Store, id: Option<&str>) -> Result<(), ApiError> {
    let record = id.map(|id| store.find_batch(id)).transpose()?;
    Ok(store.set_active_batch(record.map(|r| r.batch.id).as_ref())?)
}

/// Makes a batch the bench's active one (devices in no other batch join it), or clears it.
#[tauri::command]
pub fn batch_set_active(app: State<'_, App>, id: Option<String>) -> Result<(), ApiError> {
    set_active(&mut app.store()?.lock(), id.as_deref())?;
    app.bench.refresh(true);
    Ok(())
}

/// Closes a batch: kept for reports, but no device joins it any more; its QR payload leaves
/// the keyring.
#[tauri::command]
pub async fn batch_close(app: State<'_, App>, id: String) -> Result<(), ApiError> {
    exchange::close_batch(app.store()?, crate::exchange::keyring().as_ref(), &id).await?;
    app.bench.refresh(false);
    Ok(())
}

/// Records a technician action (`powered-off`, `dem-sign-in`, `serial-imported`,
/// `user-logged-on`) on the attached device with this card key; its card moves at once.
#[tauri::command]
pub fn bench_action(app: State<'_, App>, key: String, action: String) -> Result<(), ApiError> {
    Ok(app.bench.record_action(&key, &action)?)
}
