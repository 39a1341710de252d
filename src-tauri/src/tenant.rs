//! One tenant connection for the whole app: the saved sign-in resumed at start, device-code
//! sign-ins finished in the background, a sync round every minute (and on demand) while signed
//! in, and the [`TenantState`] fanned out to every view, like [`crate::bench::BenchHub`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use stagebench_core::clock::SystemClock;
use stagebench_core::intune::auth::{
    endpoints_from_env, OsKeyring, Session, SignIn, SignInMode, TenantSettings, TenantStore, WhoAmI,
};
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::connect::Connection;
use stagebench_core::intune::graph::GraphError;
use stagebench_core::intune::state::{
    sync_once, SignInPrompt, SyncRound, TenantProblem, TenantState,
};
use stagebench_core::intune::sync::SyncError;
use stagebench_core::intune::AuthError;
use stagebench_core::store::Store;
use tauri::async_runtime::JoinHandle;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::error::ApiError;

/// How often the bench syncs with Intune while signed in.
pub const SYNC_EVERY: Duration = Duration::from_secs(60);

/// Retries of outbox items between sync rounds.
const OUTBOX_RETRIES: RetryPolicy = RetryPolicy {
    max_attempts: 8,
    base: Duration::from_secs(60),
    max_delay: Duration::from_secs(3600),
    jitter: true,
};

type Subscriber = Box<dyn FnMut(TenantState) -> bool + Send>;

#[derive(Default)]
struct Inner {
    started: bool,
    state: TenantState,
    connection: Option<Connection>,
    /// Counts sign-ins and sign-outs, so a late sign-in or sync result for an older one is dropped.
    generation: u64,
    pending_sign_in: Option<JoinHandle<()>>,
    subscribers: Vec<Subscriber>,
}

/// Shares one tenant connection and sync loop between all views and commands.
#[derive(Default, Clone)]
pub struct TenantHub {
    inner: Arc<Mutex<Inner>>,
    wake: Arc<Notify>,
}

fn sign_in_service() -> Result<SignIn, AuthError> {
    SignIn::new(
        endpoints_from_env(),
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )
}

/// Graph with the session's tokens; short retries inside each call, because a technician may
/// be waiting on the answer (the outbox retries its own items for days).
fn connection_for(session: Session) -> Result<Connection, AuthError> {
    Connection::for_session(session, &endpoints_from_env(), RetryPolicy::INTERACTIVE)
}

impl TenantHub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the state and sends it to every subscriber.
    fn update(&self, change: impl FnOnce(&mut TenantState)) {
        let mut inner = self.lock();
        change(&mut inner.state);
        let state = inner.state.clone();
        inner.subscribers.retain_mut(|s| s(state.clone()));
    }

    /// Adds a subscriber; it gets the state now and after every change. A subscriber that
    /// returns `false` is dropped.
    pub fn subscribe(&self, mut subscriber: impl FnMut(TenantState) -> bool + Send + 'static) {
        self.ensure_started();
        let mut inner = self.lock();
        if subscriber(inner.state.clone()) {
            inner.subscribers.push(Box::new(subscriber));
        }
    }

    /// Resumes the saved sign-in (no network) and starts the sync loop, once.
    fn ensure_started(&self) {
        let mut inner = self.lock();
        if inner.started {
            return;
        }
        inner.started = true;
        inner.state = match Store::open_default() {
            Ok(store) => {
                let outbox = store.outbox_len().unwrap_or_default();
                let settings = store.tenant_settings().ok().flatten();
                let mut state = TenantState::signed_out(
                    settings.as_ref().map(|s| s.tenant.clone()),
                    settings.as_ref().map(|s| s.client_id.clone()),
                    outbox,
                );
                let resumed = settings.as_ref().filter(|s| s.account.is_some()).map(|s| {
                    sign_in_service()
                        .and_then(|sign_in| sign_in.resume(s))
                        .and_then(connection_for)
                });
                match resumed {
                    Some(Ok(connection)) => {
                        state.account = connection.settings.account.clone();
                        inner.connection = Some(connection);
                    }
                    Some(Err(e)) => state.problem = Some(TenantProblem::of_auth(&e)),
                    None => {}
                }
                state
            }
            Err(e) => TenantState {
                problem: Some(TenantProblem::of_store(&e)),
                ..TenantState::default()
            },
        };
        let hub = self.clone();
        tauri::async_runtime::spawn(async move { hub.run().await });
    }

    /// The signed-in connection, for the Profiles commands.
    pub fn connection(&self) -> Result<Connection, ApiError> {
        self.ensure_started();
        self.lock().connection.clone().ok_or_else(|| ApiError {
            code: "sign-in-needed",
            message: "Not signed in to a tenant: sign in on the Tenant screen first.".into(),
        })
    }

    /// Records how a Graph call outside the sync went (reachable or not, sign-in refused).
    pub fn contact<T>(&self, result: &Result<T, GraphError>) {
        self.update(|s| s.contact(result.as_ref().map(drop)));
    }

    /// Runs a sync round as soon as possible.
    pub fn sync_now(&self) {
        self.ensure_started();
        self.wake.notify_one();
    }

    async fn run(self) {
        let mut rng = StdRng::from_entropy();
        loop {
            let current = {
                let inner = self.lock();
                inner.connection.clone().map(|c| (c, inner.generation))
            };
            if let Some((connection, generation)) = current {
                self.sync(&connection, generation, &mut rng).await;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(SYNC_EVERY) => {}
            }
        }
    }

    fn is_current(&self, generation: u64) -> bool {
        self.lock().generation == generation
    }

    async fn sync(&self, connection: &Connection, generation: u64, rng: &mut StdRng) {
        self.update(|s| s.syncing = true);
        // A resumed sign-in knows the account but not the name until a token is at hand.
        if self.lock().state.display_name.is_none() {
            if let Ok(me) = connection.session.whoami().await {
                if self.is_current(generation) {
                    self.update(|s| s.signed_in(&me));
                }
            }
        }
        let now = OffsetDateTime::now_utc();
        let (round, outbox) = match Store::open_default() {
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
    /// sign-in replaces the old one, whose secrets leave the keyring first (as `stagebench login`).
    pub async fn sign_in_start(
        &self,
        tenant: &str,
        client_id: &str,
    ) -> Result<SignInPrompt, ApiError> {
        self.ensure_started();
        let settings = TenantSettings::new(tenant, client_id, SignInMode::DeviceCode)?;
        let sign_in = sign_in_service()?;
        sign_in.check_secret_store(&settings).await?;
        self.forget().await?;
        let login = sign_in.start_device_code(&settings).await?;
        let prompt = SignInPrompt::from(login.prompt());
        let generation = self.lock().generation;
        let hub = self.clone();
        let task = tauri::async_runtime::spawn(async move {
            let result = async {
                let session = login
                    .finish()
                    .await
                    .map_err(|e| TenantProblem::of_auth(&e))?;
                let mut store = Store::open_default().map_err(|e| TenantProblem::of_store(&e))?;
                store
                    .set_tenant_settings(&session.settings())
                    .map_err(|e| TenantProblem::of_store(&e))?;
                let me = session
                    .whoami()
                    .await
                    .map_err(|e| TenantProblem::of_auth(&e))?;
                let connection = connection_for(session).map_err(|e| TenantProblem::of_auth(&e))?;
                Ok::<_, TenantProblem>((connection, me))
            }
            .await;
            hub.sign_in_finished(generation, result);
        });
        {
            let mut inner = self.lock();
            inner.pending_sign_in = Some(task);
        }
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
        result: Result<(Connection, WhoAmI), TenantProblem>,
    ) {
        {
            let mut inner = self.lock();
            if inner.generation != generation {
                return;
            }
            inner.pending_sign_in = None;
            if let Ok((connection, _)) = &result {
                inner.connection = Some(connection.clone());
            }
        }
        match result {
            Ok((_, me)) => {
                tracing::info!(account = %me.account, tenant = %me.tenant, "signed in");
                self.update(|s| s.signed_in(&me));
                self.wake.notify_one();
            }
            Err(problem) => self.update(|s| {
                s.sign_in = None;
                s.problem = Some(problem);
            }),
        }
    }

    /// Signs the bench out (and cancels a sign-in under way): its secrets leave the keyring;
    /// the tenant and client id stay as the form's defaults. Signing out twice is fine.
    pub async fn sign_out(&self) -> Result<(), ApiError> {
        self.ensure_started();
        self.forget().await
    }

    /// Cancels a pending sign-in, drops the connection and removes the saved sign-in.
    async fn forget(&self) -> Result<(), ApiError> {
        {
            let mut inner = self.lock();
            inner.generation += 1;
            inner.connection = None;
            if let Some(task) = inner.pending_sign_in.take() {
                task.abort();
            }
        }
        let mut store = Store::open_default()?;
        let settings = store.tenant_settings()?;
        if let Some(mut settings) = settings.clone() {
            sign_in_service()?.sign_out(&settings).await?;
            settings.account = None;
            store.set_tenant_settings(&settings)?;
        }
        let outbox = store.outbox_len()?;
        self.update(|s| {
            *s = TenantState::signed_out(
                settings.as_ref().map(|s| s.tenant.clone()),
                settings.as_ref().map(|s| s.client_id.clone()),
                outbox,
            );
        });
        Ok(())
    }
}
