//! The New batch form as the Batches screen sends it, turned into a checked [`Batch`]: dates
//! parsed, serials normalised, and the profile's facts read from the tenant or taken from what
//! the admin typed for an offline batch.

use serde::Deserialize;
use stagebench_core::batch::{ops, Batch, BatchSpec, ProfileFacts};
use stagebench_core::intune::service::TenantService;
use stagebench_core::stage::Flow;
use time::{Date, OffsetDateTime};

use crate::error::{invalid, ApiError};

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

impl ProfileChoice {
    /// The profile's facts: read from the tenant now, or as typed for an offline batch.
    pub async fn facts(
        &self,
        tenant: Result<&TenantService, ApiError>,
    ) -> Result<ProfileFacts, ApiError> {
        match self {
            ProfileChoice::Tenant { id } => {
                let profile = tenant?
                    .call(|c| async move { c.client.enrollment_profile(id).await })
                    .await?;
                Ok(ProfileFacts::from_profile(&profile))
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
            ),
        }
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
}
