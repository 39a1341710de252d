//! The bench's tenant connection as the app shows it, and one sync round.
//!
//! [`TenantState`] is the snapshot the app publishes to every view after each change: who is
//! signed in, a device-code sign-in waiting for the technician, whether Graph answered the last
//! time it was asked (offline is a badge, not an error: the outbox keeps every change), the last
//! sync and its reports, the outbox counts, and the last problem with its next step.
//! [`sync_once`] is one round: a light Graph call that tells "reachable" from "not" even when the
//! bench has nothing to sync, the status refresh, then the outbox drain.

use rand::Rng;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;

use super::auth::{DeviceCodePrompt, WhoAmI};
use super::backoff::RetryPolicy;
use super::graph::{GraphClient, GraphError};
use super::sync::{drain_outbox, refresh_status, OutboxDrainReport, RefreshReport, SyncError};
use super::SignInError;
use crate::remedy::{HasRemedy, Remedy};
use crate::store::{OutboxCounts, Store, StoreError};

/// The tenant connection, for the status strip and the Tenant screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TenantState {
    /// The tenant (GUID or domain); kept after sign-out as the form's default.
    pub tenant: Option<String>,
    /// The app registration's client id; kept after sign-out too.
    pub client_id: Option<String>,
    /// Who is signed in (UPN, or the client id for app-only sign-in); `None` when signed out.
    pub account: Option<String>,
    /// Their display name, when the sign-in gave one.
    pub display_name: Option<String>,
    /// A device-code sign-in waiting for the technician.
    pub sign_in: Option<SignInPrompt>,
    /// Whether Graph answered the last call; `None` before the first one.
    pub online: Option<bool>,
    /// Why Graph could not be reached, while offline.
    pub offline_reason: Option<String>,
    /// A sync round is running.
    pub syncing: bool,
    /// When the last sync round finished without a problem, RFC 3339.
    pub last_sync: Option<String>,
    /// What the last status refresh did.
    pub last_refresh: Option<RefreshReport>,
    /// What the last outbox drain did.
    pub last_drain: Option<OutboxDrainReport>,
    /// Changes bound for Intune.
    pub outbox: OutboxCounts,
    /// The last problem, until it is solved.
    pub problem: Option<TenantProblem>,
    /// Addresses the environment replaces (`STAGEBENCH_AUTHORITY`, `STAGEBENCH_GRAPH_URL`),
    /// each as a warning naming the address its tokens go to; empty with Microsoft's.
    pub endpoint_overrides: Vec<String>,
}

/// What to show while the bench waits for a device-code sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignInPrompt {
    /// The code to type in (useless without the device code the bench keeps).
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// The identity platform's own instructions.
    pub message: String,
    /// When the code stops working, RFC 3339.
    pub expires_at: String,
}

impl From<&DeviceCodePrompt> for SignInPrompt {
    fn from(p: &DeviceCodePrompt) -> Self {
        SignInPrompt {
            user_code: p.user_code.clone(),
            verification_uri: p.verification_uri.clone(),
            message: p.message.clone(),
            expires_at: rfc3339(p.expires_at),
        }
    }
}

/// What kind of problem, so the UI knows where to send the technician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A sign-in is needed, failed, or is no longer accepted: the Tenant screen.
    SignIn,
    /// Graph refused or answered something unusable.
    Sync,
    /// The bench's own store failed.
    Store,
}

/// A problem and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TenantProblem {
    /// Where it belongs.
    pub kind: ProblemKind,
    /// What went wrong.
    pub message: String,
    /// What the technician should do.
    pub next_step: String,
    /// The next step as data, when it is one the front ends act on (the app's button).
    pub remedy: Option<Remedy>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl TenantProblem {
    fn new(kind: ProblemKind, message: impl Into<String>, next_step: &str) -> TenantProblem {
        TenantProblem {
            kind,
            message: message.into(),
            next_step: next_step.to_owned(),
            remedy: None,
        }
    }

    /// A failed or refused sign-in, worded for the app, with the error's remedy.
    pub fn of_auth(e: &SignInError) -> TenantProblem {
        let sign_in = |message: String, next: &str| TenantProblem {
            remedy: e.remedy(),
            ..TenantProblem::new(ProblemKind::SignIn, message, next)
        };
        match e {
            SignInError::NotSignedIn => sign_in("Not signed in to a tenant.".into(), "Sign in on the Tenant screen."),
            SignInError::SignInAgain { account, reason } => sign_in(
                format!("The sign-in for {account} is no longer accepted ({reason})."),
                "Sign in again on the Tenant screen.",
            ),
            SignInError::Incomplete(why) => {
                sign_in(format!("The sign-in did not complete: {why}."), "Start the sign-in again on the Tenant screen.")
            }
            SignInError::Network { .. } => {
                sign_in(e.to_string(), "Check the bench's network or proxy, then sign in again.")
            }
            SignInError::Keyring { .. } => sign_in(
                e.to_string(),
                "Unlock the OS keyring (on Linux a Secret Service such as GNOME Keyring must run), then sign in again.",
            ),
            SignInError::Config(_) => sign_in(e.to_string(), "Check the tenant and client id, then sign in again."),
            SignInError::Endpoint(_) => sign_in(e.to_string(), "Fix or unset that variable, then start StageBench again."),
        }
    }

    /// The bench's store failed.
    pub fn of_store(e: &StoreError) -> TenantProblem {
        TenantProblem::new(
            ProblemKind::Store,
            e.to_string(),
            "Check the bench's data folder (Bench → Bench health), then try again.",
        )
    }

    /// The problem a failed sync round leaves; `None` when the round only found Graph
    /// unreachable (offline is shown as a badge).
    pub fn of_sync(e: &SyncError) -> Option<TenantProblem> {
        match e {
            SyncError::Offline(_) => None,
            SyncError::Auth(e) => Some(TenantProblem::of_auth(e)),
            SyncError::Store(e) => Some(TenantProblem::of_store(e)),
            SyncError::Graph(_) => Some(TenantProblem::new(
                ProblemKind::Sync,
                e.to_string(),
                "Sync again later; if it keeps failing, export a support bundle.",
            )),
        }
    }
}

/// A Graph error as the sync sees it: unreachable Graph or sign-in service is offline; a
/// refused sign-in needs a new one; anything else is Graph's refusal.
pub fn sync_error(e: GraphError) -> SyncError {
    match e {
        GraphError::Network { .. } => SyncError::Offline(e.to_string()),
        GraphError::Auth { ref source, .. } => match source.as_ref() {
            SignInError::Network { .. } => SyncError::Offline(e.to_string()),
            other => SyncError::Auth(other.clone()),
        },
        other => SyncError::Graph(other.to_string()),
    }
}

/// What one sync round did: the reports of the steps that ran, and why it stopped early.
#[derive(Debug, Default)]
pub struct SyncRound {
    /// The status refresh, when it ran.
    pub refresh: Option<RefreshReport>,
    /// The outbox drain, when it ran.
    pub drain: Option<OutboxDrainReport>,
    /// Why the round stopped, if it did.
    pub error: Option<SyncError>,
}

/// One sync round (see the module docs). Stops at the first step that fails; nothing is lost,
/// the outbox keeps what was not sent.
pub async fn sync_once(
    store: &mut Store,
    client: &GraphClient,
    policy: &RetryPolicy,
    rng: &mut (impl Rng + Send),
    now: OffsetDateTime,
) -> SyncRound {
    let mut round = SyncRound::default();
    // The profile list (no secrets) is small and always there: it proves the tenant answers.
    if let Err(e) = client.enrollment_profiles().await {
        round.error = Some(sync_error(e));
        return round;
    }
    match refresh_status(store, client, now, true).await {
        Ok(report) => round.refresh = Some(report),
        Err(e) => {
            round.error = Some(e);
            return round;
        }
    }
    match drain_outbox(store, client, policy, rng, now).await {
        Ok(report) => round.drain = Some(report),
        Err(e) => round.error = Some(e),
    }
    round
}

impl TenantState {
    /// Signed out, remembering the tenant and client id for the next sign-in.
    pub fn signed_out(
        tenant: Option<String>,
        client_id: Option<String>,
        outbox: OutboxCounts,
    ) -> TenantState {
        TenantState {
            tenant,
            client_id,
            outbox,
            ..TenantState::default()
        }
    }

    /// Someone signed in: who, and no more sign-in problem or waiting prompt.
    pub fn signed_in(&mut self, me: &WhoAmI) {
        self.tenant = Some(me.tenant.clone());
        self.client_id = Some(me.client_id.clone());
        self.account = Some(me.account.clone());
        self.display_name = me.display_name.clone();
        self.sign_in = None;
        self.problem = None;
    }

    /// The outcome of a Graph call made outside a sync (the Profiles screen): it says whether
    /// Graph is reachable, and a refused sign-in is a problem to show everywhere.
    pub fn contact(&mut self, result: Result<(), &GraphError>) {
        match result.map_err(|e| sync_error(e.clone())) {
            Ok(()) => self.reachable(),
            Err(SyncError::Offline(why)) => self.unreachable(why),
            Err(SyncError::Auth(e)) => {
                self.reachable();
                self.problem = Some(TenantProblem::of_auth(&e));
            }
            Err(_) => self.reachable(),
        }
    }

    fn reachable(&mut self) {
        self.online = Some(true);
        self.offline_reason = None;
    }

    fn unreachable(&mut self, why: String) {
        self.online = Some(false);
        self.offline_reason = Some(why);
    }

    /// Records a finished sync round at `now`, with the outbox counts after it.
    pub fn record(&mut self, round: &SyncRound, outbox: OutboxCounts, now: OffsetDateTime) {
        self.syncing = false;
        self.outbox = outbox;
        if round.refresh.is_some() {
            self.last_refresh.clone_from(&round.refresh);
        }
        if round.drain.is_some() {
            self.last_drain.clone_from(&round.drain);
        }
        match &round.error {
            None => {
                match &round.drain {
                    Some(d) if d.offline => {
                        self.unreachable("Graph stopped answering while the outbox was sent".into())
                    }
                    _ => self.reachable(),
                }
                self.last_sync = Some(rfc3339(now));
                self.problem = None;
            }
            Some(SyncError::Offline(why)) => self.unreachable(why.clone()),
            Some(e) => {
                self.reachable();
                self.problem = TenantProblem::of_sync(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-03-01T10:00:00Z", &Rfc3339).unwrap()
    }

    fn counts(pending: u64) -> OutboxCounts {
        OutboxCounts {
            pending,
            ..OutboxCounts::default()
        }
    }

    #[test]
    fn a_good_round_is_online_with_its_reports_and_clears_the_problem() {
        let mut state = TenantState {
            problem: Some(TenantProblem::new(ProblemKind::Sync, "old", "x")),
            ..TenantState::default()
        };
        let round = SyncRound {
            refresh: Some(RefreshReport {
                devices: 2,
                found: 1,
                ..RefreshReport::default()
            }),
            drain: Some(OutboxDrainReport {
                sent: 3,
                ..OutboxDrainReport::default()
            }),
            error: None,
        };
        state.record(&round, counts(0), now());
        assert_eq!((state.online, state.problem.clone()), (Some(true), None));
        assert_eq!(state.last_sync.as_deref(), Some("2026-03-01T10:00:00Z"));
        assert_eq!(state.last_drain.as_ref().map(|d| d.sent), Some(3));
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["lastRefresh"]["devices"], 2);
        assert_eq!(json["outbox"]["pending"], 0);
    }

    #[test]
    fn offline_is_a_badge_not_a_problem_and_keeps_the_last_sync() {
        let mut state = TenantState {
            last_sync: Some("earlier".into()),
            ..TenantState::default()
        };
        let round = SyncRound {
            error: Some(SyncError::Offline("no route".into())),
            ..SyncRound::default()
        };
        state.record(&round, counts(4), now());
        assert_eq!((state.online, state.problem.clone()), (Some(false), None));
        assert_eq!(
            (state.last_sync.as_deref(), state.outbox.pending),
            (Some("earlier"), 4)
        );
        assert_eq!(state.offline_reason.as_deref(), Some("no route"));
        // A drain that lost Graph half-way is offline too.
        let round = SyncRound {
            drain: Some(OutboxDrainReport {
                offline: true,
                ..OutboxDrainReport::default()
            }),
            ..SyncRound::default()
        };
        state.record(&round, counts(4), now());
        assert_eq!(state.online, Some(false));
    }

    #[test]
    fn a_refused_sign_in_asks_for_a_new_one_in_the_apps_words() {
        let mut state = TenantState::default();
        let e = SignInError::SignInAgain {
            account: "tech@contoso.com".into(),
            reason: "invalid_grant".into(),
        };
        state.record(
            &SyncRound {
                error: Some(SyncError::Auth(e)),
                ..SyncRound::default()
            },
            counts(0),
            now(),
        );
        let problem = state.problem.clone().unwrap();
        assert_eq!(problem.kind, ProblemKind::SignIn);
        assert!(
            problem.message.contains("tech@contoso.com")
                && problem.next_step.contains("Tenant screen"),
            "{problem:?}"
        );
        assert_eq!(
            problem.remedy,
            Some(Remedy::SignInAgain {
                account: "tech@contoso.com".into()
            })
        );
        let declined = TenantProblem::of_auth(&SignInError::Incomplete(
            "the sign-in with code ABC was declined (access_denied); start a new sign-in and approve it at https://microsoft.com/devicelogin".into(),
        ));
        assert_eq!(
            declined.message,
            "The sign-in did not complete: the sign-in with code ABC was declined (access_denied); start a new sign-in and approve it at https://microsoft.com/devicelogin."
        );
        assert_eq!(declined.remedy, Some(Remedy::SignIn));
        let store = TenantProblem::of_sync(&SyncError::Store(StoreError::NoDataDir));
        assert_eq!(store.map(|p| p.kind), Some(ProblemKind::Store));
    }

    #[test]
    fn graph_errors_split_into_offline_sign_in_and_refusals() {
        let network = GraphError::Network {
            what: "w".into(),
            reason: "refused".into(),
            attempts: 3,
        };
        assert!(matches!(sync_error(network.clone()), SyncError::Offline(_)));
        let login_down = GraphError::auth(
            "w",
            SignInError::Network {
                url: "u".into(),
                reason: "r".into(),
            },
        );
        assert!(matches!(sync_error(login_down), SyncError::Offline(_)));
        let refused = GraphError::auth("w", SignInError::NotSignedIn);
        assert!(matches!(
            sync_error(refused.clone()),
            SyncError::Auth(SignInError::NotSignedIn)
        ));
        let mut state = TenantState::default();
        state.contact(Err(&network));
        assert_eq!((state.online, state.problem.is_none()), (Some(false), true));
        state.contact(Err(&refused));
        assert_eq!(state.online, Some(true));
        assert_eq!(state.problem.map(|p| p.kind), Some(ProblemKind::SignIn));
    }
}
