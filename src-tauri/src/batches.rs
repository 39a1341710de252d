//! The Batches screen's commands and the bench's technician actions: list, show, create, make
//! active and close batches; record "powered off" and the Windows steps on a device. Each is a
//! few lines over `stagebench_core::batch` and the store; after anything that can move a card
//! (a device joining a batch, an action, a QR shown) the bench hub sends the cards again.

use serde::{Deserialize, Serialize};
use stagebench_core::batch::progress::{batch_progress, token_check, BatchProgress, TokenCheck};
use stagebench_core::batch::BatchStore;
use stagebench_core::batch::{ops, Batch, BatchSpec, ProfileFacts};
use stagebench_core::ids::BatchId;
use stagebench_core::stage::Flow;
use stagebench_core::store::{Store, TECHNICIAN_ACTIONS};
use tauri::State;
use time::{Date, OffsetDateTime};

use crate::bench::{device_id, BenchHub};
use crate::error::ApiError;
use crate::tenant::TenantHub;

pub use stagebench_core::batch::ops::{technician, TECHNICIAN_SETTING};

/// A batch as the Batches list shows it: what is cheap to know without reading every device's
/// history (the selected batch's [`BatchProgress`] has the rest).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BatchSummary {
    /// The batch.
    pub batch: Batch,
    /// Whether it is closed.
    pub closed: bool,
    /// Whether it is the bench's active batch.
    pub active: bool,
    /// The token against the due date.
    pub token: TokenCheck,
    /// How many devices joined it.
    pub devices: u32,
}

/// The New batch form.
#[derive(Debug, Clone, PartialEq, Deserialize, ts_rs::TS)]
pub struct BatchForm {
    /// A name people recognise.
    pub name: String,
    /// The vendor or site staging it.
    pub vendor: String,
    /// When it must be done, `YYYY-MM-DD`.
    pub due: Option<String>,
    /// How many devices are expected.
    pub expected_count: Option<u32>,
    /// The serials expected (normalised again here).
    pub expected_serials: Vec<String>,
    /// The enrollment profile.
    pub profile: ProfileChoice,
}

/// Where the batch's profile facts come from.
#[derive(Debug, Clone, PartialEq, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProfileChoice {
    /// A profile of the signed-in tenant, read from Graph now.
    Tenant {
        /// Its Graph id.
        id: String,
    },
    /// No tenant at hand: what the admin said about the profile.
    Offline {
        /// The enrollment flow.
        flow: Flow,
        /// The profile's name, when known.
        profile_name: Option<String>,
        /// When the token expires: `YYYY-MM-DD` (taken as the start of that day, UTC) or RFC 3339.
        token_expires: Option<String>,
        /// Windows: the DEM account the technician signs in with.
        dem_account: Option<String>,
    },
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        code: "invalid-input",
        message: message.into(),
    }
}

fn parse_date(what: &str, text: &str) -> Result<Date, ApiError> {
    ops::parse_date(text).map_err(|why| invalid(format!("{what}: {why}.")))
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// The profile facts of an offline choice (no tenant to read them from).
fn offline_facts(
    flow: Flow,
    profile_name: Option<&str>,
    token_expires: Option<&str>,
    dem_account: Option<&str>,
) -> Result<ProfileFacts, ApiError> {
    let windows = flow == Flow::WindowsDem;
    let token_expires = non_empty(token_expires)
        .filter(|_| !windows)
        .map(|t| ops::parse_expiry(t).map_err(|why| invalid(format!("The token expiry: {why}."))))
        .transpose()?;
    let dem_account = match (windows, non_empty(dem_account)) {
        (true, Some(upn)) if upn.contains('@') => Some(upn.to_owned()),
        (true, _) => return Err(invalid("A Windows DEM batch needs the DEM account the technician signs in with (its UPN, name@domain).")),
        (false, _) => None,
    };
    Ok(ProfileFacts::offline(
        flow,
        non_empty(profile_name).unwrap_or("Profile not from a tenant"),
        token_expires,
        dem_account,
    ))
}

/// Builds the batch the form asks for, with `profile`'s facts.
pub fn new_batch(
    form: &BatchForm,
    profile: ProfileFacts,
    created_by: &str,
    now: OffsetDateTime,
) -> Result<Batch, ApiError> {
    let due = non_empty(form.due.as_deref())
        .map(|d| parse_date("The due date", d))
        .transpose()?;
    let spec = BatchSpec {
        name: form.name.clone(),
        profile,
        vendor: form.vendor.clone(),
        due,
        expected_count: form.expected_count,
        expected_serials: form.expected_serials.clone(),
    };
    ops::build_batch(spec, created_by, now).map_err(|e| invalid(format!("{e}.")))
}

/// What the Settings screen shows for the technician: the name set on this bench (empty when
/// none), and who the audit log records now (the setting, else the environment or OS user).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TechnicianView {
    /// The `technician` bench setting, empty when not set.
    pub setting: String,
    /// The name actions are recorded under now.
    pub effective: String,
}

/// The technician name for the Settings screen.
#[tauri::command]
pub fn technician_get() -> Result<TechnicianView, ApiError> {
    let store = Store::open_default()?;
    let setting = store.bench_setting(TECHNICIAN_SETTING)?.unwrap_or_default();
    Ok(TechnicianView {
        setting,
        effective: technician(&store),
    })
}

/// Names the technician at this bench (blank: forget it, so the OS user is recorded again).
#[tauri::command]
pub fn technician_set(name: String) -> Result<TechnicianView, ApiError> {
    let mut store = Store::open_default()?;
    let name = name.trim();
    store.set_bench_setting(TECHNICIAN_SETTING, Some(name).filter(|n| !n.is_empty()))?;
    Ok(TechnicianView {
        setting: name.to_owned(),
        effective: technician(&store),
    })
}

fn summaries(store: &Store) -> Result<Vec<BatchSummary>, ApiError> {
    let now = store.clock_now();
    let active = store.active_batch()?;
    let mut out = Vec::new();
    for record in store.batches()? {
        let devices = store.batch_devices(&record.batch.id)?.len();
        out.push(BatchSummary {
            token: token_check(&record.batch, record.token_revoked_at.as_deref(), now),
            closed: record.closed_at.is_some(),
            active: active.as_ref() == Some(&record.batch.id),
            devices: u32::try_from(devices).unwrap_or(u32::MAX),
            batch: record.batch,
        });
    }
    Ok(out)
}

/// Every batch on this bench, newest first.
#[tauri::command]
pub fn batches_list() -> Result<Vec<BatchSummary>, ApiError> {
    summaries(&Store::open_default()?)
}

/// One batch's progress: stages, devices, problems, token, serials not seen yet.
#[tauri::command]
pub fn batch_show(id: String) -> Result<BatchProgress, ApiError> {
    let store = Store::open_default()?;
    let record = store.find_batch(&id)?;
    Ok(batch_progress(&store, &record, store.clock_now())?)
}

/// Creates a batch; attached devices it expects join it at once. The answer's `token` says
/// when the token expires before the due date (printing is then blocked for the batch).
#[tauri::command]
pub async fn batch_create(
    bench: State<'_, BenchHub>,
    tenant: State<'_, TenantHub>,
    form: BatchForm,
) -> Result<BatchProgress, ApiError> {
    let profile = match &form.profile {
        ProfileChoice::Tenant { id } => {
            let connection = tenant.connection()?;
            let result = connection.client.enrollment_profile(id).await;
            tenant.contact(&result);
            ProfileFacts::from_profile(&result?)
        }
        ProfileChoice::Offline {
            flow,
            profile_name,
            token_expires,
            dem_account,
        } => offline_facts(
            *flow,
            profile_name.as_deref(),
            token_expires.as_deref(),
            dem_account.as_deref(),
        )?,
    };
    let mut store = Store::open_default()?;
    let who = technician(&store);
    let batch = new_batch(&form, profile, &who, store.clock_now())?;
    store.create_batch(&batch)?;
    stagebench_core::batch::exchange::audit_created(&mut store, &batch, &who)?;
    bench.refresh(true);
    let record = store.find_batch(batch.id.as_str())?;
    Ok(batch_progress(&store, &record, store.clock_now())?)
}

/// Makes a batch the bench's active one (devices in no other batch join it), or clears it.
#[tauri::command]
pub fn batch_set_active(bench: State<'_, BenchHub>, id: Option<String>) -> Result<(), ApiError> {
    let mut store = Store::open_default()?;
    let id = id
        .map(|id| store.find_batch(&id))
        .transpose()?
        .map(|r| r.batch.id);
    store.set_active_batch(id.as_ref())?;
    bench.refresh(true);
    Ok(())
}

/// Closes a batch: kept for reports, but no device joins it any more.
#[tauri::command]
pub fn batch_close(bench: State<'_, BenchHub>, id: String) -> Result<(), ApiError> {
    let mut store = Store::open_default()?;
    let record = store.find_batch(&id)?;
    store.close_batch(&record.batch.id)?;
    bench.refresh(false);
    Ok(())
}

/// Records a technician action (`powered-off`, `dem-sign-in`, `serial-imported`,
/// `user-logged-on`) on the attached device with this card key; its card moves at once.
#[tauri::command]
pub fn bench_action(
    bench: State<'_, BenchHub>,
    key: String,
    action: String,
) -> Result<(), ApiError> {
    if !TECHNICIAN_ACTIONS.contains(&action.as_str()) {
        return Err(invalid(format!(
            "{action:?} is not a technician action: use one of {}.",
            TECHNICIAN_ACTIONS.join(", ")
        )));
    }
    let card = bench
        .card(&key)
        .ok_or_else(|| invalid("That device is no longer on the bench: plug it back in first."))?;
    let mut store = Store::open_default()?;
    let device = device_id(&store, &card).ok_or_else(|| {
        invalid("That device is not in the bench history yet: wait until it has been read.")
    })?;
    store.record_action(device, &action, &technician(&store))?;
    bench.refresh(false);
    Ok(())
}

/// Notes that the QR of `profile_id` was shown, for every open batch staged with that profile
/// (their new devices move to "scan the QR now").
pub fn qr_shown(bench: &BenchHub, profile_id: &str) -> Result<(), ApiError> {
    let mut store = Store::open_default()?;
    let who = technician(&store);
    let open: Vec<BatchId> = store
        .batches()?
        .into_iter()
        .filter(|r| r.closed_at.is_none() && r.batch.spec.profile.profile_id == profile_id)
        .map(|r| r.batch.id)
        .collect();
    for id in &open {
        store.record_qr_shown(id, &who)?;
    }
    if !open.is_empty() {
        bench.refresh(false);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(serials: &[&str], count: Option<u32>) -> BatchForm {
        BatchForm {
            name: "  Wave 3 ".into(),
            vendor: "Acme".into(),
            due: Some("2026-07-01".into()),
            expected_count: count,
            expected_serials: serials.iter().map(|s| s.to_string()).collect(),
            profile: ProfileChoice::Tenant { id: "p".into() },
        }
    }

    fn facts(flow: Flow) -> ProfileFacts {
        offline_facts(flow, None, Some("2026-06-15"), Some("dem@contoso.com")).unwrap()
    }

    #[test]
    fn the_form_becomes_a_batch_with_normalised_serials_and_counts() {
        let now = OffsetDateTime::now_utc();
        let b = new_batch(
            &form(&[" r5cr1", "R5CR1", "", "2109x"], None),
            facts(Flow::StagingToken),
            "ana",
            now,
        )
        .unwrap();
        assert_eq!(b.spec.name, "Wave 3");
        assert_eq!(b.spec.expected_serials, ["R5CR1", "2109X"]);
        assert_eq!(b.spec.expected_count, Some(2), "the list gives the count");
        assert_eq!(b.spec.due.unwrap().to_string(), "2026-07-01");
        assert_eq!(
            new_batch(&form(&[], Some(0)), facts(Flow::StagingToken), "ana", now)
                .unwrap()
                .spec
                .expected_count,
            None
        );
        let fewer = new_batch(
            &form(&["A1", "A2"], Some(1)),
            facts(Flow::StagingToken),
            "ana",
            now,
        )
        .unwrap_err();
        assert_eq!(fewer.code, "invalid-input");
        assert!(
            fewer.message.contains("2 serials are listed but only 1"),
            "{}",
            fewer.message
        );
        let mut unnamed = form(&[], None);
        unnamed.name = " ".into();
        assert!(new_batch(&unnamed, facts(Flow::StagingToken), "ana", now).is_err());
        let mut bad_due = form(&[], None);
        bad_due.due = Some("1/7/2026".into());
        assert!(new_batch(&bad_due, facts(Flow::StagingToken), "ana", now)
            .unwrap_err()
            .message
            .contains("YYYY-MM-DD"));
    }

    #[test]
    fn offline_profiles_take_the_expiry_and_windows_needs_a_dem_account() {
        let f = facts(Flow::StagingToken);
        assert_eq!(
            f.token_expires.unwrap().to_string(),
            "2026-06-15 0:00:00.0 +00:00:00"
        );
        assert_eq!((f.dem_account, f.profile_id.as_str()), (None, ""));
        let exact = offline_facts(
            Flow::AospUserless,
            Some("RealWear"),
            Some("2026-06-15T10:30:00Z"),
            None,
        )
        .unwrap();
        assert_eq!(
            (
                exact.token_expires.unwrap().hour(),
                exact.enrollment_mode.as_str()
            ),
            (10, "corporateOwnedAOSPUserlessDevice")
        );
        let windows = facts(Flow::WindowsDem);
        assert_eq!(
            (windows.token_expires, windows.dem_account.as_deref()),
            (None, Some("dem@contoso.com"))
        );
        assert!(offline_facts(Flow::WindowsDem, None, None, Some("dem")).is_err());
    }

    #[test]
    fn the_technician_is_the_setting_then_the_environment_then_the_os_user() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            stagebench_core::audit::actor_from(Some("Ana".into()), env(&[("USER", "ana")])),
            "Ana"
        );
        assert_eq!(
            stagebench_core::audit::actor_from(
                Some(" ".into()),
                env(&[("STAGEBENCH_TECHNICIAN", "Bo"), ("USER", "bo")])
            ),
            "Bo"
        );
        assert_eq!(
            stagebench_core::audit::actor_from(None, env(&[("USERNAME", "carl")])),
            "carl"
        );
        assert_eq!(
            stagebench_core::audit::actor_from(None, env(&[])),
            "unknown technician"
        );
    }

    /// The app's own TypeScript types (those of this module; the core's are in bindings.ts).
    #[test]
    fn ui_app_bindings_match_the_rust_types() {
        use ts_rs::{Config, TS};
        fn declaration<T: TS>(cfg: &Config) -> String {
            let docs = T::docs()
                .map(|d| format!("{}\n", d.trim_end()))
                .unwrap_or_default();
            format!("{docs}export {}\n", T::decl(cfg))
        }
        let cfg = Config::new();
        let generated = format!(
            "// Generated from src-tauri/src/batches.rs by its test ui_app_bindings_match_the_rust_types. Do not edit\n\
             // by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.\n\
             import type {{ Batch, Exported, Flow, TokenCheck }} from \"./bindings\";\n\n{}\n{}\n{}\n{}\n{}\n{}",
            declaration::<BatchSummary>(&cfg),
            declaration::<ProfileChoice>(&cfg),
            declaration::<BatchForm>(&cfg),
            declaration::<TechnicianView>(&cfg),
            declaration::<crate::exchange::PackExported>(&cfg),
            crate::scanner::ts_declarations(&cfg),
        );
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/app_bindings.ts");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/app_bindings.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings` and commit it"
        );
    }
}
