//! The bench's Intune connection in one call: the tenant settings saved by `stagebench login`
//! (or the app's Tenant screen), the signed-in session resumed from the OS keyring, and a Graph
//! client that uses it. The CLI, the app and the simulator all start here.

use std::sync::Arc;

use super::auth::TenantStore;
use super::auth::{
    endpoints_from_env, AuthClock, OsKeyring, SecretStore, Session, SignIn, TenantSettings,
};
use super::backoff::RetryPolicy;
use super::graph::GraphClient;
use super::{Endpoints, SignInError};
use crate::clock::SystemClock;
use crate::store::Store;

/// A signed-in bench.
#[derive(Clone)]
pub struct IntuneConnection {
    /// The session (hands out tokens, says who is signed in).
    pub session: Session,
    /// Graph, with the session's tokens.
    pub client: Arc<GraphClient>,
    /// The tenant settings in use.
    pub settings: TenantSettings,
}

impl std::fmt::Debug for IntuneConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntuneConnection")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl IntuneConnection {
    /// Graph at `endpoints` with `session`'s tokens, each call retried by `policy`
    /// ([`RetryPolicy::INTERACTIVE`] where someone waits; the outbox retries for days anyway).
    pub fn for_session(
        session: Session,
        endpoints: &Endpoints,
        policy: RetryPolicy,
    ) -> Result<IntuneConnection, SignInError> {
        endpoints.check_graph()?;
        let client = GraphClient::new(endpoints, Arc::new(session.clone()))
            .map_err(|e| SignInError::Network {
                url: endpoints.graph.clone(),
                reason: e.to_string(),
            })?
            .with_retry_policy(policy);
        Ok(IntuneConnection {
            settings: session.settings(),
            session,
            client: Arc::new(client),
        })
    }
}

/// Resumes the saved sign-in: [`SignInError::NotSignedIn`] when there is none.
pub fn connect_with(
    store: &Store,
    endpoints: Endpoints,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn AuthClock>,
    policy: RetryPolicy,
) -> Result<IntuneConnection, SignInError> {
    let settings = store
        .tenant_settings()
        .map_err(|e| SignInError::Config(e.to_string()))?
        .ok_or(SignInError::NotSignedIn)?;
    let session = SignIn::new(endpoints.clone(), secrets, clock)?.resume(&settings)?;
    IntuneConnection::for_session(session, &endpoints, policy)
}

/// [`connect_with`] the endpoints from the environment (`STAGEBENCH_AUTHORITY`,
/// `STAGEBENCH_GRAPH_URL`, else Microsoft's; refused unless https, see
/// [`super::endpoints`]), the OS keyring, the system clock and `policy`.
pub fn connect(store: &Store, policy: RetryPolicy) -> Result<IntuneConnection, SignInError> {
    connect_with(
        store,
        endpoints_from_env()?,
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
        policy,
    )
}
