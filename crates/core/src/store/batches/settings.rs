//! The `bench_settings` table: the bench's active batch and the technician's name, by key.

use rusqlite::{params, OptionalExtension};

use super::BatchStoreError;
use crate::audit::TechnicianOnRecord;
use crate::ids::BatchId;
use crate::store::{Store, StoreError};

/// The bench setting that names the technician.
pub const TECHNICIAN_SETTING: &str = "technician";

const ACTIVE_BATCH: &str = "active-batch";

impl Store {
    /// The bench's active batch: devices seen that belong to no other batch join it.
    pub fn active_batch(&self) -> Result<Option<BatchId>, StoreError> {
        let value = self.bench_setting(ACTIVE_BATCH)?;
        Ok(value.and_then(|v| BatchId::try_from(v).ok()))
    }

    /// Sets (or clears) the active batch.
    pub fn set_active_batch(&mut self, id: Option<&BatchId>) -> Result<(), BatchStoreError> {
        if let Some(id) = id {
            let record = self
                .batch_row(id)?
                .ok_or_else(|| BatchStoreError::NotFound(id.to_string()))?;
            if record.closed_at.is_some() {
                return Err(BatchStoreError::Closed(id.clone()));
            }
        }
        self.set_bench_setting(ACTIVE_BATCH, id.map(BatchId::as_str))?;
        Ok(())
    }

    /// Who is working the bench, the name actions and events record: see
    /// [`Store::technician_on_record`].
    pub fn technician(&self) -> String {
        self.technician_on_record().name
    }

    /// The technician on record: the [`TECHNICIAN_SETTING`] bench setting, else
    /// `STAGEBENCH_TECHNICIAN`, else the person signed in to the tenant (an app signed in with
    /// its own credentials is no person), else the OS user ([`crate::audit::on_record`]).
    pub fn technician_on_record(&self) -> TechnicianOnRecord {
        let setting = self.bench_setting(TECHNICIAN_SETTING).ok().flatten();
        let account = self
            .tenant_row()
            .ok()
            .flatten()
            .filter(|row| row.mode == "device-code")
            .and_then(|row| row.account);
        crate::audit::on_record(setting, account, |name| std::env::var(name).ok())
    }

    /// A bench setting (`technician`, …).
    pub fn bench_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM bench_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets (or, with `None`, removes) a bench setting.
    pub fn set_bench_setting(&mut self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.transact(|tx| match value {
            Some(v) => tx.execute(
                "INSERT INTO bench_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, v],
            ),
            None => tx.execute("DELETE FROM bench_settings WHERE key = ?1", [key]),
        })?;
        Ok(())
    }
}
