//! What the surfaces (CLI and app) do with batches, in one place so both behave the same:
//! create a batch, link a scanned serial, and (once the files exist) export and import packs
//! and reports, reconcile, and write the audit trail.

use time::OffsetDateTime;

use super::{normalize_serials, Batch, BatchId, BatchOrigin, BatchSpec};
use crate::identity::{SerialObservation, SerialSource};
use crate::store::{BatchStoreError, DeviceId, JoinedBy, Sighting, Store};

/// Why a batch could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NewBatchError {
    /// No name.
    #[error("a batch needs a name (e.g. --name \"Warehouse scanners, wave 3\")")]
    NoName,
    /// No vendor or site.
    #[error("a batch needs the vendor or site staging it (--vendor)")]
    NoVendor,
    /// Fewer devices expected than serials listed.
    #[error("{count} devices expected but {listed} serials listed: raise the count or leave it out")]
    CountBelowList {
        /// The count given.
        count: u32,
        /// Serials listed.
        listed: usize,
    },
    /// A Windows DEM batch without its DEM account.
    #[error("a Windows Device Preparation batch needs the DEM account's UPN (--dem dem@contoso.com)")]
    NoDemAccount,
    /// The store refused.
    #[error(transparent)]
    Store(#[from] BatchStoreError),
}

/// Checks `spec`, normalises its serials and creates the batch.
pub fn create_batch(store: &mut Store, mut spec: BatchSpec, created_by: &str) -> Result<Batch, NewBatchError> {
    spec.name = spec.name.trim().to_owned();
    spec.vendor = spec.vendor.trim().to_owned();
    if spec.name.is_empty() {
        return Err(NewBatchError::NoName);
    }
    if spec.vendor.is_empty() {
        return Err(NewBatchError::NoVendor);
    }
    spec.expected_serials = normalize_serials(spec.expected_serials.iter().map(String::as_str));
    if let Some(count) = spec.expected_count {
        if (count as usize) < spec.expected_serials.len() {
            return Err(NewBatchError::CountBelowList { count, listed: spec.expected_serials.len() });
        }
    }
    if spec.profile.flow == crate::stage::Flow::WindowsDem
        && spec.profile.dem_account.as_deref().is_none_or(|d| !d.contains('@'))
    {
        return Err(NewBatchError::NoDemAccount);
    }
    let batch = Batch {
        id: BatchId::random(),
        spec,
        created_at: store.clock_now(),
        created_by: created_by.to_owned(),
        origin: BatchOrigin::Local,
    };
    store.create_batch(&batch)?;
    Ok(batch)
}

/// A serial scanned from a box or device label (or typed): the device that has it joins
/// `batch`; a serial no device has yet becomes a new device known by that serial (how Windows
/// serials are captured). Returns the device and whether it joined now.
pub fn link_serial(store: &mut Store, batch: &BatchId, serial: &str) -> Result<(DeviceId, bool), BatchStoreError> {
    let serial = serial.trim().to_ascii_uppercase();
    let existing = store.devices_with_serial(&serial)?;
    let device = match existing.as_slice() {
        [one] => *one,
        _ => store.record_sighting(&Sighting::new([SerialObservation::new(SerialSource::Scanner, &serial)]))?,
    };
    let joined = store.add_to_batch(batch, device, JoinedBy::Scan)?;
    Ok((device, joined))
}

/// Who is working the bench: the `technician` bench setting, else `STAGEBENCH_TECHNICIAN`,
/// else the OS user.
pub fn technician(store: &Store) -> String {
    if let Ok(Some(name)) = store.bench_setting("technician") {
        if !name.trim().is_empty() {
            return name;
        }
    }
    crate::audit::current_actor()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| format!("{text:?} is not a date: write it as YYYY-MM-DD"))
}

/// Parses a date or an RFC 3339 time as the end of that day (UTC) or that instant.
pub fn parse_expiry(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let date = parse_date(text)?;
    Ok(date.with_hms(23, 59, 59).map_err(|e| e.to_string())?.assume_utc())
}
