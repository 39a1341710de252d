//! The Intune sync service: one tenant connection for a whole process. The saved sign-in is
//! resumed (no network), a device-code sign-in finishes in the background, a sync round runs
//! every [`SYNC_EVERY`] (or [`SYNC_SECONDS_ENV`] seconds; and on demand) while signed in, and the [`TenantState`] is published on
//! a `tokio::sync::watch` channel. Sign-ins and sign-outs count up a generation, so a late result
//! of an older sign-in (or a sync round it started) is dropped.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use time::OffsetDateTime;
use tokio::runtime::Handle;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::auth::TenantStore;
use super::auth::{
    endpoints_from_env, overrides_from_env, OsKeyring, Session, SignIn, SignInMode, TenantSettings,
    WhoAmI,
};
use super::backoff::RetryPolicy;
use super::connect::IntuneConnection;
use super::graph::GraphError;
use super::state::{sync_once, SignInPrompt, SyncRound, TenantProblem, TenantState};
use super::sync::SyncError;
use super::SignInError;
use crate::clock::SystemClock;
use crate::store::{OutboxCounts, StoreError, StoreHandle};

/// How often the bench syncs with Intune while signed in, unless [`SYNC_SECONDS_ENV`] says.
pub const SYNC_EVERY: Duration = Duration::from_secs(60);

/// Environment variable: the sync interval in whole seconds (at least 1), for a demo bench whose
/// devices move in seconds; unset, empty or unreadable, [`SYNC_EVERY`].
pub const SYNC_SECONDS_ENV: &str = "STAGEBENCH_SYNC_SECONDS";

/// The sync interval `value` (of [`SYNC_SECONDS_ENV`]) asks for.
pub fn sync_every(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 1)
        .map_or(SYNC_EVERY, Duration::from_secs)
}

/// Retries of outbox items between sync rounds.
const OUTBOX_RETRIES: RetryPolicy = RetryPolicy {
    max_attempts: 8,
    base: Duration::from_secs(60),
    max_delay: Duration::from_secs(3600),
    jitter: true,
};

/// Why a sign-in or sign-out could not be done.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// The sign-in service, the keyring or the settings.
    #[error(transparent)]
    Auth(#[from] SignInError),
    /// The bench's store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Graph refused or could not be reached.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

type SignInService = dyn Fn() -> Result<SignIn, SignInError> + Send + Sync;

/// One tenant connection and sync loop shared by every view; cheap to clone.
#[derive(Clone)]
pub struct TenantService {
    inner: Arc<Inner>,
}

struct Inner {
    state: watch::Sender<TenantState>,
    link: Mutex<Link>,
    wake: Notify,
    started: AtomicBool,
    store: StoreHandle,
    runtime: Handle,
    sign_in: Box<SignInService>,
    /// The environment's replaced addresses, as warnings ([`TenantState::endpoint_overrides`]).
    overrides: Vec<String>,
}

#[derive(Default)]
struct Link {
    connection: Option<IntuneConnection>,
    /// Counts sign-ins and sign-outs, so a late sign-in or sync result for an older one is dropped.
    generation: u64,
    pending_sign_in: Option<JoinHandle<()>>,
}

/// Signs in where `STAGEBENCH_*` endpoints say (Microsoft's by default), secrets in the OS
/// keyring.
fn os_sign_in() -> Result<SignIn, SignInError> {
    SignIn::new(
        endpoints_from_env()?,
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )
}

impl TenantService {
    /// The tenant connection of the bench whose store is `store`, signing in with Microsoft
    /// (or what the environment names) and keeping secrets in the OS keyring; its loop runs on
    /// `runtime` once started.
    /// Every address the environment replaces is logged as a warning and shown in the state.
    pub fn new(store: StoreHandle, runtime: Handle) -> TenantService {
        let overrides: Vec<String> = overrides_from_env().iter().map(|o| o.to_string()).collect();
        for o in &overrides {
            tracing::warn!("{o}");
        }
        TenantService::build(store, runtime, Box::new(os_sign_in), overrides)
    }

    /// As [`TenantService::new`], signing in through what `sign_in` makes (tests: a fake).
    pub fn with_sign_in(
        store: StoreHandle,
        runtime: Handle,
        sign_in: impl Fn() -> Result<SignIn, SignInError> + Send + Sync + 'static,
    ) -> TenantService {
        TenantService::build(store, runtime, Box::new(sign_in), Vec::new())
    }

    fn build(
        store: StoreHandle,
        runtime: Handle,
        sign_in: Box<SignInService>,
        overrides: Vec<String>,
    ) -> TenantService {
        TenantService {
            inner: Arc::new(Inner {
                state: watch::Sender::new(TenantState {
                    endpoint_overrides: overrides.clone(),
                    ..TenantState::default()
                }),
                link: Mutex::new(Link::default()),
                wake: Notify::new(),
                started: AtomicBool::new(false),
                store,
                runtime,
                sign_in,
                overrides,
            }),
        }
    }

    /// Signed out of `settings`' tenant, with the environment's replaced addresses.
    fn signed_out(&self, settings: Option<&TenantSettings>, outbox: OutboxCounts) -> TenantState {
        TenantState {
            endpoint_overrides: self.inner.overrides.clone(),
            ..TenantState::signed_out(
                settings.map(|s| s.tenant.clone()),
                settings.map(|s| s.client_id.clone()),
                outbox,
            )
        }
    }

    fn link(&self) -> MutexGuard<'_, Link> {
        self.inner
            .link
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut TenantState)) {
        self.inner.state.send_modify(change);
    }

    /// The state now and after every change; the first subscriber resumes the saved sign-in
    /// and starts the sync loop.
    pub fn subscribe(&self) -> watch::Receiver<TenantState> {
        self.ensure_started();
        self.inner.state.subscribe()
    }

    /// Graph with the session's tokens; short retries inside each call, because a technician
    /// may be waiting on the answer (the outbox retries its own items for days).
    fn connection_for(
        &self,
        sign_in: &SignIn,
        session: Session,
    ) -> Result<IntuneConnection, SignInError> {
        IntuneConnection::for_session(session, sign_in.endpoints(), RetryPolicy::INTERACTIVE)
    }

    /// Resumes the saved sign-in (no network) and starts the sync loop, once.
    fn ensure_started(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let read = {
            let store = self.inner.store.lock();
            store
                .outbox_len()
                .map(|outbox| (outbox, store.tenant_settings().ok().flatten()))
        };
        let state = match read {
            Ok((outbox, settings)) => {
                let mut state = self.signed_out(settings.as_ref(), outbox);
                let resumed = settings.as_ref().filter(|s| s.account.is_some()).map(|s| {
                    (self.inner.sign_in)().and_then(|sign_in| {
                        let session = sign_in.resume(s)?;
                        self.connection_for(&sign_in, session)
                    })
                });
                match resumed {
                    Some(Ok(connection)) => {
                        state.account = connection.settings.account.clone();
                        self.link().connection = Some(connection);
                    }
                    Some(Err(e)) => state.problem = Some(TenantProblem::of_auth(&e)),
                    None => {}
                }
                state
            }
            Err(e) => TenantState {
                problem: Some(TenantProblem::of_store(&e)),
                endpoint_overrides: self.inner.overrides.clone(),
                ..TenantState::default()
            },
        };
        self.inner.state.send_replace(state);
        let service = self.clone();
        self.inner.runtime.spawn(async move { service.run().await });
    }

    /// The signed-in connection ([`SignInError::NotSignedIn`] without one).
    pub fn connection(&self) -> Result<IntuneConnection, SignInError> {
        self.ensure_started();
        self.link()
            .connection
            .clone()
            .ok_or(SignInError::NotSignedIn)
    }

    /// Calls Graph with the signed-in connection and records how the call went (see
    /// [`TenantService::contact`]).
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, TenantError>
    where
        F: FnOnce(IntuneConnection) -> Fut,
        Fut: Future<Output = Result<T, GraphError>>,
    {
        let result = f(self.connection()?).await;
        self.contact(&result);
        Ok(result?)
    }

    /// Records how a Graph call outside the sync went (reachable or not, sign-in refused).
    pub fn contact<T>(&self, result: &Result<T, GraphError>) {
        self.update(|s| s.contact(result.as_ref().map(drop)));
    }

    /// Runs a sync round as soon as possible.
    pub fn sync_now(&self) {
        self.ensure_started();
        self.inner.wake.notify_one();
    }

    async fn run(self) {
        let mut rng = StdRng::from_entropy();
        let every = sync_every(std::env::var(SYNC_SECONDS_ENV).ok().as_deref());
        loop {
            let current = {
                let link = self.link();
                link.connection.clone().map(|c| (c, link.generation))
            };
            if let Some((connection, generation)) = current {
                self.sync(&connection, generation, &mut rng).await;
            }
            let _ = tokio::time::timeout(every, self.inner.wake.notified()).await;
        }
    }

    fn is_current(&self, generation: u64) -> bool {
        self.link().generation == generation
    }

    async fn sync(&self, connection: &IntuneConnection, generation: u64, rng: &mut StdRng) {
        self.update(|s| s.syncing = true);
        // A resumed sign-in knows the account but not the name until a token is at hand.
        if self.inner.state.borrow().display_name.is_none() {
            if let Ok(me) = connection.session.whoami().await {
                if self.is_current(generation) {
                    self.update(|s| s.signed_in(&me));
                }
            }
        }
        let now = OffsetDateTime::now_utc();
        // A round talks to Graph for a while: on a connection of its own, not the shared one.
        let (round, outbox) = match self.inner.store.open_another() {
            Ok(mut store) => {
                let round =
                    sync_once(&mut store, &connection.client, &OUTBOX_RETRIES, rng, now).await;
                (round, store.outbox_len())
            }
            Err(e) => (
                SyncRound {
                    error: Some(SyncError::Store(e)),
                    ..SyncRound::default()
                },
                Ok(Default::default()),
            ),
        };
        if let Some(e) = &round.error {
            tracing::warn!(error = %e, "sync round stopped");
        }
        let current = self.is_current(generation);
        self.update(|s| {
            if current {
                s.record(
                    &round,
                    outbox.unwrap_or(s.outbox),
                    OffsetDateTime::now_utc(),
                );
            } else {
                s.syncing = false;
            }
        });
    }

    /// Starts a device-code sign-in to `tenant` with app registration `client_id`: returns the
    /// code to show, and finishes in the background (the result arrives in the state). A new
    /// sign-in replaces the old one, whose secrets leave the keyring first.
    pub async fn sign_in_start(
        &self,
        tenant: &str,
        client_id: &str,
    ) -> Result<SignInPrompt, TenantError> {
        self.ensure_started();
        let settings = TenantSettings::new(tenant, client_id, SignInMode::DeviceCode)?;
        let sign_in = (self.inner.sign_in)()?;
        sign_in.check_secret_store(&settings).await?;
        self.forget().await?;
        let login = sign_in.start_device_code(&settings).await?;
        let prompt = SignInPrompt::from(login.prompt());
        let generation = self.link().generation;
        let service = self.clone();
        let task = self.inner.runtime.spawn(async move {
            let result = async {
                let session = login
                    .finish()
                    .await
                    .map_err(|e| TenantProblem::of_auth(&e))?;
                service
                    .inner
                    .store
                    .lock()
                    .set_tenant_settings(&session.settings())
                    .map_err(|e| TenantProblem::of_store(&e))?;
                let me = session
                    .whoami()
                    .await
                    .map_err(|e| TenantProblem::of_auth(&e))?;
                let connection = service
                    .connection_for(&sign_in, session)
                    .map_err(|e| TenantProblem::of_auth(&e))?;
                Ok::<_, TenantProblem>((connection, me))
            }
            .await;
            service.sign_in_finished(generation, result);
        });
        self.link().pending_sign_in = Some(task);
        let shown = prompt.clone();
        self.update(|s| {
            s.tenant = Some(settings.tenant.clone());
            s.client_id = Some(settings.client_id.clone());
            s.sign_in = Some(shown);
            s.problem = None;
        });
        Ok(prompt)
    }

    fn sign_in_finished(
        &self,
        generation: u64,
        result: Result<(IntuneConnection, WhoAmI), TenantProblem>,
    ) {
        {
            let mut link = self.link();
            if link.generation != generation {
                return;
            }
            link.pending_sign_in = None;
            if let Ok((connection, _)) = &result {
                link.connection = Some(connection.clone());
            }
        }
        match result {
            Ok((_, me)) => {
                tracing::info!(account = %me.account, tenant = %me.tenant, "signed in");
                self.update(|s| s.signed_in(&me));
                self.inner.wake.notify_one();
            }
            Err(problem) => self.update(|s| {
                s.sign_in = None;
                s.problem = Some(problem);
            }),
        }
    }

    /// Signs the bench out (and cancels a sign-in under way): its secrets leave the keyring;
    /// the tenant and client id stay as the form's defaults. Signing out twice is fine.
    pub async fn sign_out(&self) -> Result<(), TenantError> {
        self.ensure_started();
        self.forget().await
    }

    /// Cancels a pending sign-in, drops the connection and removes the saved sign-in.
    async fn forget(&self) -> Result<(), TenantError> {
        {
            let mut link = self.link();
            link.generation += 1;
            link.connection = None;
            if let Some(task) = link.pending_sign_in.take() {
                task.abort();
            }
        }
        let settings = self.inner.store.lock().tenant_settings()?;
        if let Some(mut settings) = settings.clone() {
            (self.inner.sign_in)()?.sign_out(&settings).await?;
            settings.account = None;
            self.inner.store.lock().set_tenant_settings(&settings)?;
        }
        let outbox = self.inner.store.lock().outbox_len()?;
        let state = self.signed_out(settings.as_ref(), outbox);
        self.update(|s| *s = state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn the_sync_interval_can_be_shortened_for_a_demo() {
        assert_eq!(sync_every(None), SYNC_EVERY);
        assert_eq!(sync_every(Some(" 3 ")), Duration::from_secs(3));
        for ignored in ["", "0", "-2", "soon"] {
            assert_eq!(sync_every(Some(ignored)), SYNC_EVERY, "{ignored:?}");
        }
    }

    #[tokio::test]
    async fn a_late_result_of_an_older_sign_in_is_dropped() {
        let store = StoreHandle::new(Store::open_in_memory().unwrap());
        let service = TenantService::with_sign_in(store, Handle::current(), || {
            Err(SignInError::Config("no sign-in in this test".into()))
        });
        let rx = service.subscribe();
        let old = service.link().generation;
        service.sign_out().await.unwrap();
        let problem = TenantProblem::of_store(&StoreError::NoDataDir);
        service.sign_in_finished(old, Err(problem.clone()));
        assert_eq!(
            rx.borrow().problem,
            None,
            "the older sign-in's result is dropped"
        );
        service.sign_in_finished(old + 1, Err(problem.clone()));
        assert_eq!(
            rx.borrow().problem,
            Some(problem),
            "the current one's is shown"
        );
    }
}
