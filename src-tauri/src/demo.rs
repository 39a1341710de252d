//! The demo panel's commands: the simulated bench's devices and their controls, through the
//! control file a running simulator keeps in the bench's data folder. With no simulator there
//! is no demo: [`demo_devices`] answers `None` and the panel stays hidden.

use stagebench_core::demo::{DemoAction, DemoControl, DemoDevice, DemoFailure};
use stagebench_core::store::Store;

use crate::error::{invalid, ApiError};

/// The simulated devices, or `None` when no simulator runs for this bench's data folder.
#[tauri::command]
pub async fn demo_devices() -> Result<Option<Vec<DemoDevice>>, ApiError> {
    let Some(control) = DemoControl::find(&Store::data_dir()?)? else {
        return Ok(None);
    };
    Ok(Some(control.list().await?))
}

/// Does `action` (with `failure`, for a fail) to simulated device `device`; the devices after it.
#[tauri::command]
pub async fn demo_act(
    device: u32,
    action: DemoAction,
    failure: Option<DemoFailure>,
) -> Result<Vec<DemoDevice>, ApiError> {
    let found = DemoControl::find(&Store::data_dir()?)?;
    let control = found.ok_or_else(|| invalid("No simulated bench runs for this bench."))?;
    Ok(control.act(device, action, failure).await?)
}
