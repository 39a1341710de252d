//! Where labels' data comes from: a batch's devices (optionally only those at a stage) and the
//! bench setting that refuses Wi-Fi credentials on labels. The CLI and the app both use these.

use time::OffsetDateTime;

use super::DeviceLabel;
use crate::batch::progress::{batch_progress, report_devices};
use crate::batch::BatchRecord;
use crate::stage::Stage;
use crate::store::{Store, StoreError, EVENT_INTUNE_SEEN, EVENT_POWERED_OFF};

/// The bench setting (`true`/`false`) that refuses enrollment labels whose QR holds Wi-Fi
/// credentials.
pub const REFUSE_WIFI_SETTING: &str = "refuse_wifi_credentials";

/// Whether this bench refuses labels with Wi-Fi credentials ([`REFUSE_WIFI_SETTING`]).
pub fn refuse_wifi_credentials(store: &Store) -> Result<bool, StoreError> {
    let value = store.bench_setting(REFUSE_WIFI_SETTING)?;
    Ok(value.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on"
        )
    }))
}

/// Device labels of a batch's devices, in the batch's order, only those at `stage` when
/// given. Devices without a serial can't be labelled: they come back as their store ids.
/// The stage-2 date is when the device was powered off at the end of the bench's part (or,
/// failing that, when Intune first showed it).
pub fn batch_device_labels(
    store: &Store,
    record: &BatchRecord,
    stage: Option<Stage>,
    now: OffsetDateTime,
) -> Result<(Vec<DeviceLabel>, Vec<i64>), StoreError> {
    let progress = batch_progress(store, record, now)?;
    let reported = report_devices(store, record, now)?;
    let mut labels = Vec::new();
    let mut without_serial = Vec::new();
    for device in progress
        .devices
        .iter()
        .filter(|d| stage.is_none_or(|s| d.state.stage == s))
    {
        let Some(serial) = device.serial.clone() else {
            without_serial.push(device.device_id);
            continue;
        };
        let events = reported
            .iter()
            .find(|r| r.serials.iter().any(|s| s.value == serial))
            .map(|r| &r.events);
        let at = |kind: &str| {
            events
                .and_then(|e| e.iter().find(|e| e.kind == kind))
                .map(|e| e.at.date())
        };
        labels.push(DeviceLabel {
            serial,
            maker: device.manufacturer.clone(),
            model: device.model.clone(),
            batch: Some(record.batch.spec.name.clone()),
            slot: device.slot,
            stage2_date: at(EVENT_POWERED_OFF).or_else(|| at(EVENT_INTUNE_SEEN)),
        });
    }
    Ok((labels, without_serial))
}
