//! What the surfaces (CLI and app) do with batches, in one place so both behave the same:
//! create a batch, link a scanned serial, and (once the files exist) export and import packs
//! and reports, reconcile, and write the audit trail.

use time::OffsetDateTime;

use super::{normalize_serials, Batch, BatchOrigin, BatchSpec, BatchStore};
use crate::identity::{SerialObservation, SerialSource, WindowsTuple};
use crate::ids::{BatchId, DeviceId};
use crate::remedy::{HasRemedy, Remedy};
use crate::store::{BatchStoreError, JoinedBy, Sighting, Store, StoreError};

/// Why a batch could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NewBatchError {
    /// No name.
    #[error("a batch needs a name (e.g. “Warehouse scanners, wave 3”)")]
    NoName,
    /// No vendor or site.
    #[error("a batch needs the vendor or site staging it")]
    NoVendor,
    /// Fewer devices expected than serials listed.
    #[error("{listed} serials are listed but only {count} devices expected: raise the count or remove serials")]
    CountBelowList {
        /// The count given.
        count: u32,
        /// Serials listed.
        listed: u32,
    },
    /// A Windows DEM batch without its DEM account.
    #[error(
        "a Windows Device Preparation batch needs the DEM account's UPN (e.g. dem@contoso.com)"
    )]
    NoDemAccount,
    /// The store refused.
    #[error(transparent)]
    Store(#[from] BatchStoreError),
}

impl HasRemedy for NewBatchError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            NewBatchError::Store(e) => e.remedy(),
            _ => None,
        }
    }
}

/// Checks `spec` and normalises its serials into a new batch (not stored): a name and a vendor
/// are needed, the expected count defaults to the serial list's length and may not be below
/// it, and a Windows DEM batch needs its DEM account.
pub fn build_batch(
    mut spec: BatchSpec,
    created_by: &str,
    now: OffsetDateTime,
) -> Result<Batch, NewBatchError> {
    spec.name = spec.name.trim().to_owned();
    spec.vendor = spec.vendor.trim().to_owned();
    if spec.name.is_empty() {
        return Err(NewBatchError::NoName);
    }
    if spec.vendor.is_empty() {
        return Err(NewBatchError::NoVendor);
    }
    spec.expected_serials = normalize_serials(spec.expected_serials.iter().map(String::as_str));
    let listed = u32::try_from(spec.expected_serials.len()).unwrap_or(u32::MAX);
    spec.expected_count = match spec.expected_count {
        Some(count) if count < listed => {
            return Err(NewBatchError::CountBelowList { count, listed })
        }
        Some(0) | None if listed == 0 => None,
        Some(count) => Some(count),
        None => Some(listed),
    };
    if spec.profile.flow == crate::stage::Flow::WindowsDem
        && spec
            .profile
            .dem_account
            .as_deref()
            .is_none_or(|d| !d.contains('@'))
    {
        return Err(NewBatchError::NoDemAccount);
    }
    Ok(Batch {
        id: BatchId::random(),
        spec,
        created_at: now,
        created_by: created_by.to_owned(),
        origin: BatchOrigin::Local,
    })
}

/// [`build_batch`], then stores it.
pub fn create_batch(
    store: &mut Store,
    spec: BatchSpec,
    created_by: &str,
) -> Result<Batch, NewBatchError> {
    let batch = build_batch(spec, created_by, store.clock_now())?;
    store.create_batch(&batch)?;
    Ok(batch)
}

/// A serial scanned from a box or device label (or typed): the device that has it joins
/// `batch`; a serial no device has yet becomes a new device known by that serial (how Windows
/// serials are captured). Returns the device and whether it joined now.
pub fn link_serial(
    store: &mut Store,
    batch: &BatchId,
    serial: &str,
) -> Result<(DeviceId, bool), BatchStoreError> {
    let serial = serial.trim().to_ascii_uppercase();
    let existing = store.devices_with_serial(&serial)?;
    let device = match existing.as_slice() {
        [one] => *one,
        _ => store.record_sighting(&Sighting::new([SerialObservation::new(
            SerialSource::Scanner,
            &serial,
        )]))?,
    };
    let joined = store.add_to_batch(batch, device, JoinedBy::Scan)?;
    Ok((device, joined))
}

/// A Windows device captured at the bench with its manufacturer and model (Intune's Windows
/// corporate identifier is all three: Microsoft Learn, *Identify devices as corporate-owned*,
/// ms.date 2025-04-11): the serial joins `batch` as in [`link_serial`], and the manufacturer and
/// model become the device's `manufacturer` and `model` facts, the other facts kept.
pub fn link_windows_device(
    store: &mut Store,
    batch: &BatchId,
    tuple: &WindowsTuple,
) -> Result<(DeviceId, bool), BatchStoreError> {
    let (device, joined) = link_serial(store, batch, &tuple.serial)?;
    let mut facts = match store.device(device)?.map(|d| d.facts) {
        Some(serde_json::Value::Object(facts)) => facts,
        _ => serde_json::Map::new(),
    };
    facts.insert("manufacturer".into(), tuple.manufacturer.clone().into());
    facts.insert("model".into(), tuple.model.clone().into());
    let serial = tuple.serial.trim().to_ascii_uppercase();
    store.record_sighting(
        &Sighting::new([SerialObservation::new(SerialSource::Scanner, serial)])
            .with_facts(serde_json::Value::Object(facts)),
    )?;
    Ok((device, joined))
}

/// Notes that the enrollment QR of the tenant profile `profile_id` was shown, for every open
/// batch staged with that profile (their new devices move to "scan the QR now"); returns how
/// many batches that was.
pub fn qr_shown_for_profile(
    store: &mut Store,
    profile_id: &str,
    actor: &str,
) -> Result<usize, StoreError> {
    let open: Vec<BatchId> = store
        .batches()?
        .into_iter()
        .filter(|r| r.closed_at.is_none() && r.batch.spec.profile.profile_id == profile_id)
        .map(|r| r.batch.id)
        .collect();
    for id in &open {
        store.record_qr_shown(id, actor)?;
    }
    Ok(open.len())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format)
        .map_err(|_| format!("{text:?} is not a date: write it as YYYY-MM-DD"))
}

/// Parses an RFC 3339 time, or a date as the start of that day (UTC): a token typed as "expires
/// on the 15th" is treated as gone on the 15th, never shown a day too long.
pub fn parse_expiry(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) =
        OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
    {
        return Ok(t);
    }
    Ok(parse_date(text)?.midnight().assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profiles_qr_shown_counts_for_its_open_batches_only() {
        let mut store = Store::open_in_memory().unwrap();
        let mut with = |name: &str, profile: &str| {
            let mut b = Batch::for_tests(name, &[]);
            b.spec.profile.profile_id = profile.into();
            store.create_batch(&b).unwrap();
            b.id
        };
        let (open, closed, other) = (with("A", "p1"), with("B", "p1"), with("C", "p2"));
        store.close_batch(&closed).unwrap();
        assert_eq!(qr_shown_for_profile(&mut store, "p1", "ana").unwrap(), 1);
        let shown = |id: &BatchId| store.qr_shown_times(id).unwrap().len();
        assert_eq!((shown(&open), shown(&closed), shown(&other)), (1, 0, 0));
    }
}
