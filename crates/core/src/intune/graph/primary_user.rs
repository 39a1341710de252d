//! The primary user of a Windows device enrolled with a device enrollment manager (DEM)
//! account (Windows Autopilot Device Preparation, seed 004, rules 133–134).
//!
//! DEM-enrolled devices show the DEM (staging) account as primary user (rule 133). The runbook's
//! automation reads `usersLoggedOn`, takes the most recent sign-in and makes that user primary
//! (rule 134): idempotent, with a dry run, skipping devices whose only sign-in is the DEM, and
//! recording the time of the sign-in used. [`plan_primary_user`] is that decision, pure; a dry
//! run is the plan alone.
//!
//! Graph (reference §3.3): read with `GET managedDevices/{id}/users`; set with
//! `POST managedDevices/{id}/users/$ref` and `{"@odata.id": "<graph>/users/{userId}"}` (not in
//! the official reference; PATCHing `userId` does not work).

use std::fmt;

use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::device::{LoggedOnUser, ManagedDevice};
use super::error::GraphError;
use super::request::{encode, GraphRequest, HttpMethod, MANAGED_DEVICES};
use super::GraphClient;

/// A directory user as `managedDevices/{id}/users` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// Entra user id.
    pub id: String,
    /// UPN.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// What to do about a device's primary user, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrimaryUserPlan {
    /// Nothing can be done yet (only the DEM has signed in), or the device is not in scope.
    NothingToDo {
        /// Why.
        reason: String,
    },
    /// The primary user stays.
    Keep {
        /// The current primary user's id.
        user_id: String,
        /// Why.
        reason: String,
    },
    /// Make `to` the primary user.
    Change {
        /// The current primary user's id (the DEM), if any.
        from: Option<String>,
        /// The user who signed in last, DEM excluded.
        to: String,
        /// When `to` signed in (recorded with the change, rule 134).
        last_logon: Option<OffsetDateTime>,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for PrimaryUserPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrimaryUserPlan::NothingToDo { reason } => write!(f, "nothing to do: {reason}"),
            PrimaryUserPlan::Keep { reason, .. } => write!(f, "keep: {reason}"),
            PrimaryUserPlan::Change { reason, .. } => write!(f, "change: {reason}"),
        }
    }
}

fn when(at: Option<OffsetDateTime>) -> String {
    at.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "an unknown time".into())
}

/// Decides a device's primary user from its `usersLoggedOn` (`device`), its current primary
/// user (`GET …/users`) and the DEM account's UPN (compared ignoring case).
///
/// The DEM's user id is the device's enrolling user: when the device's `userPrincipalName` is
/// the DEM's, its `userId` is the DEM's (so is the current primary's id when its UPN is the
/// DEM's). Devices whose primary user is someone else are left alone: without the DEM's id a
/// later DEM sign-in could not be told apart, and reassigning them is not this job (rule 134
/// starts from devices enrolled by the DEM).
pub fn plan_primary_user(
    device: &ManagedDevice,
    current_primary: Option<&DirectoryUser>,
    dem_upn: &str,
) -> PrimaryUserPlan {
    let is_dem =
        |upn: Option<&str>| upn.is_some_and(|u| u.trim().eq_ignore_ascii_case(dem_upn.trim()));
    let mut dem_ids: Vec<&str> = Vec::new();
    if is_dem(device.user_principal_name.as_deref()) {
        dem_ids.extend(device.user_id.as_deref());
    }
    if let Some(primary) = current_primary.filter(|p| is_dem(p.user_principal_name.as_deref())) {
        dem_ids.push(&primary.id);
    }
    let latest = device
        .users_logged_on
        .iter()
        .filter(|u| {
            !dem_ids
                .iter()
                .any(|dem| dem.eq_ignore_ascii_case(&u.user_id))
        })
        .fold(None::<&LoggedOnUser>, |best, u| match best {
            Some(b) if b.last_logon >= u.last_logon => Some(b),
            _ => Some(u),
        });
    match current_primary {
        Some(primary) if !dem_ids.iter().any(|dem| dem.eq_ignore_ascii_case(&primary.id)) => {
            let name = primary.user_principal_name.as_deref().unwrap_or(&primary.id);
            let reason = match latest {
                Some(u) if u.user_id.eq_ignore_ascii_case(&primary.id) => {
                    format!("{name} is already the primary user (last sign-in {})", when(u.last_logon))
                }
                _ => format!("the primary user is {name}, not the DEM account {dem_upn}; only DEM-held devices are reassigned"),
            };
            PrimaryUserPlan::Keep {
                user_id: primary.id.clone(),
                reason,
            }
        }
        _ if dem_ids.is_empty() => PrimaryUserPlan::NothingToDo {
            reason: format!("the device has no primary user and was not enrolled by the DEM account {dem_upn}"),
        },
        _ => match latest {
            Some(u) => PrimaryUserPlan::Change {
                from: current_primary.map(|p| p.id.clone()),
                to: u.user_id.clone(),
                last_logon: u.last_logon,
                reason: format!(
                    "user {} has the latest sign-in ({}) other than the DEM account {dem_upn}",
                    u.user_id,
                    when(u.last_logon)
                ),
            },
            None => PrimaryUserPlan::NothingToDo {
                reason: format!("only the DEM account {dem_upn} has signed in: wait for the user's first sign-in"),
            },
        },
    }
}

/// Setting the primary user: what [`GraphClient::set_primary_user`] sends and what an outbox
/// drain sends for a `primary-user` item. `graph_base` is the Graph base URL
/// (`https://graph.microsoft.com/beta`), which the `@odata.id` reference must name.
pub fn primary_user_request(graph_base: &str, device_id: &str, user_id: &str) -> GraphRequest {
    GraphRequest::new(
        HttpMethod::Post,
        format!("{MANAGED_DEVICES}/{}/users/$ref", encode(device_id)),
        format!("the primary user of managed device {device_id}"),
    )
    .with_body(json!({ "@odata.id": format!("{}/users/{}", graph_base.trim_end_matches('/'), encode(user_id)) }))
}

impl GraphClient {
    /// The device's `usersLoggedOn`.
    pub async fn users_logged_on(&self, device_id: &str) -> Result<Vec<LoggedOnUser>, GraphError> {
        let request = GraphRequest::get(
            format!(
                "{MANAGED_DEVICES}/{}?$select=id,usersLoggedOn",
                encode(device_id)
            ),
            format!("sign-ins on managed device {device_id}"),
        );
        let answer = self.send(&request).await?;
        let body = answer.body.ok_or_else(|| GraphError::BadAnswer {
            what: request.describe(),
            reason: "no JSON body".into(),
        })?;
        ManagedDevice::from_json(body)
            .map(|d| d.users_logged_on)
            .map_err(|reason| GraphError::BadAnswer {
                what: request.describe(),
                reason,
            })
    }

    /// The device's primary user, if it has one.
    pub async fn primary_user(&self, device_id: &str) -> Result<Option<DirectoryUser>, GraphError> {
        // No `$select`: the schema subset keeps only `user`'s own properties, not `id` (from
        // `directoryObject`), and Graph returns `id` anyway.
        let request = GraphRequest::get(
            format!("{MANAGED_DEVICES}/{}/users", encode(device_id)),
            format!("the primary user of managed device {device_id}"),
        );
        let users = self.get_all(request.clone()).await?;
        users
            .into_iter()
            .next()
            .map(|u| {
                serde_json::from_value(u).map_err(|e| GraphError::BadAnswer {
                    what: request.describe(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// Makes `user_id` the device's primary user.
    pub async fn set_primary_user(&self, device_id: &str, user_id: &str) -> Result<(), GraphError> {
        self.send(&primary_user_request(&self.base, device_id, user_id))
            .await
            .map(drop)
    }

    /// Reads the device and its primary user, plans (see [`plan_primary_user`]) and, unless
    /// `dry_run`, applies a change. The plan says what was (or would be) done.
    pub async fn reassign_primary_user(
        &self,
        device_id: &str,
        dem_upn: &str,
        dry_run: bool,
    ) -> Result<PrimaryUserPlan, GraphError> {
        let Some(device) = self.device(device_id).await? else {
            return Err(GraphError::NotFound {
                what: format!("managed device {device_id}"),
                code: "ResourceNotFound".into(),
                message: "no such device".into(),
            });
        };
        let primary = self.primary_user(device_id).await?;
        let plan = plan_primary_user(&device, primary.as_ref(), dem_upn);
        if let (false, PrimaryUserPlan::Change { to, .. }) = (dry_run, &plan) {
            self.set_primary_user(device_id, to).await?;
        }
        tracing::info!(device = device_id, dry_run, %plan, "primary user");
        Ok(plan)
    }
}
