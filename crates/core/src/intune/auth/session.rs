//! A [`Session`] hands Graph its tokens.
//!
//! The access token lives only in the session's memory. Shortly before it expires
//! ([`REFRESH_MARGIN`]) the next caller renews it: with the refresh token from the keyring
//! (delegated; the rotated refresh token the platform returns is written back), or with the
//! app's credential again (client credentials have no refresh token, RFC 6749 §4.4.3). Callers
//! arriving meanwhile wait for that one request and share its outcome, success or failure.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use oauth2::{RefreshToken, Scope};
use serde::Serialize;
use time::OffsetDateTime;

use super::assertion::ClientCertificate;
use super::claims::TokenClaims;
use super::http::{self, Grant};
use super::settings::{CertificateSource, SignInMode, TenantSettings};
use super::sign_in::{client_credentials, AppCredential};
use super::{delegated_scopes, SecretKind, SignIn};
use crate::intune::{BoxFuture, SignInError, TokenSource};
use crate::secret::SecretText;

/// How long before expiry a cached access token is renewed.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Who is signed in and with what, for `stagebench whoami` and the app's tenant panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoAmI {
    /// The technician's UPN, or the client id for app-only sign-in.
    pub account: String,
    /// Their display name, when the id_token gave one.
    pub display_name: Option<String>,
    /// The tenant as configured (GUID or domain).
    pub tenant: String,
    /// The tenant id the token was issued in.
    pub tenant_id: Option<String>,
    /// The app registration.
    pub client_id: String,
    /// `device-code`, `client-secret` or `certificate`.
    pub mode: String,
    /// Whether the tokens are the app's own (client credentials).
    pub app_only: bool,
    /// Delegated scopes or application roles in the token.
    pub scopes: Vec<String>,
    /// When the current access token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
}

#[derive(Default)]
struct State {
    token: Option<Grant>,
    /// From the newest id_token (delegated).
    id_claims: Option<TokenClaims>,
    /// Renewals tried so far, and the error of the last one when it failed: callers that
    /// waited for it share its outcome instead of asking again.
    attempts: u64,
    failure: Option<(u64, SignInError)>,
}

struct Inner {
    sign_in: SignIn,
    settings: TenantSettings,
    state: Mutex<State>,
    renewing: tokio::sync::Mutex<()>,
}

/// A signed-in bench: hands out access tokens ([`TokenSource`]), renewing them silently.
/// Clones share one cache.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("tenant", &self.inner.settings.tenant)
            .field("client_id", &self.inner.settings.client_id)
            .field("mode", &self.inner.settings.mode.name())
            .field("account", &self.account())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(super) fn new(
        sign_in: &SignIn,
        settings: &TenantSettings,
        grant: Option<Grant>,
    ) -> Session {
        let id_claims = grant
            .as_ref()
            .and_then(|g| g.id_token.as_ref())
            .and_then(|t| TokenClaims::of(t.expose()));
        Session {
            inner: Arc::new(Inner {
                sign_in: sign_in.clone(),
                settings: settings.clone(),
                state: Mutex::new(State {
                    token: grant,
                    id_claims,
                    ..State::default()
                }),
                renewing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// A session after a sign-in: keeps the refresh token (delegated) and names the account.
    pub(super) async fn signed_in(
        sign_in: &SignIn,
        settings: &TenantSettings,
        grant: Grant,
    ) -> Result<Session, SignInError> {
        if !settings.mode.is_app_only() {
            let Some(refresh) = &grant.refresh_token else {
                return Err(SignInError::Incomplete("the identity platform gave no refresh token (offline_access was not granted); ask an admin to allow it for the app".into()));
            };
            sign_in
                .put(settings, SecretKind::RefreshToken, refresh)
                .await?;
        }
        Ok(Session::new(sign_in, settings, Some(grant)))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings, with the account that signed in (what the store should keep).
    pub fn settings(&self) -> TenantSettings {
        TenantSettings {
            account: self.account(),
            ..self.inner.settings.clone()
        }
    }

    /// Who is signed in: the UPN from the id_token or access token, or the client id for
    /// app-only sign-in; falls back to what the settings remember.
    pub fn account(&self) -> Option<String> {
        let settings = &self.inner.settings;
        if settings.mode.is_app_only() {
            return Some(settings.client_id.clone());
        }
        let state = self.state();
        let from_token = state
            .token
            .as_ref()
            .and_then(|g| TokenClaims::of(g.access_token.expose()));
        state
            .id_claims
            .as_ref()
            .and_then(|c| c.account().map(str::to_owned))
            .or_else(|| from_token.and_then(|c| c.account().map(str::to_owned)))
            .or_else(|| settings.account.clone())
    }

    /// Who is signed in, to which tenant, with which permissions (gets a token if needed).
    pub async fn whoami(&self) -> Result<WhoAmI, SignInError> {
        self.access_token().await?;
        let settings = &self.inner.settings;
        let account = self.account().unwrap_or_else(|| settings.client_id.clone());
        let state = self.state();
        let Some(grant) = state.token.as_ref() else {
            return Err(SignInError::NotSignedIn);
        };
        let claims = TokenClaims::of(grant.access_token.expose()).unwrap_or_default();
        let permissions = claims.permissions();
        Ok(WhoAmI {
            account,
            display_name: state
                .id_claims
                .as_ref()
                .and_then(|c| c.name.clone())
                .or(claims.name.clone()),
            tenant: settings.tenant.clone(),
            tenant_id: state
                .id_claims
                .as_ref()
                .and_then(|c| c.tid.clone())
                .or(claims.tid.clone()),
            client_id: settings.client_id.clone(),
            mode: settings.mode.name().to_owned(),
            app_only: settings.mode.is_app_only(),
            scopes: if permissions.is_empty() {
                grant.scopes.clone()
            } else {
                permissions
            },
            access_token_expires_at: grant.expires_at,
        })
    }

    /// Forgets the cached token and removes the keyring entries. Idempotent.
    pub async fn sign_out(&self) -> Result<(), SignInError> {
        *self.state() = State::default();
        self.inner.sign_in.sign_out(&self.inner.settings).await
    }

    /// The cached token when it is good for longer than [`REFRESH_MARGIN`].
    fn fresh(&self, state: &State) -> Option<SecretText> {
        let now = self.inner.sign_in.clock().now();
        state
            .token
            .as_ref()
            .filter(|g| g.expires_at - REFRESH_MARGIN > now)
            .map(|g| g.access_token.clone())
    }

    async fn token(&self) -> Result<SecretText, SignInError> {
        let seen = {
            let state = self.state();
            if let Some(token) = self.fresh(&state) {
                return Ok(token);
            }
            state.attempts
        };
        let _one_at_a_time = self.inner.renewing.lock().await;
        {
            let state = self.state();
            if let Some(token) = self.fresh(&state) {
                return Ok(token);
            }
            if let Some((attempt, error)) = &state.failure {
                if *attempt > seen {
                    return Err(error.clone());
                }
            }
        }
        let outcome = self.renew().await;
        let mut state = self.state();
        state.attempts += 1;
        match outcome {
            Ok(grant) => {
                let token = grant.access_token.clone();
                if let Some(claims) = grant
                    .id_token
                    .as_ref()
                    .and_then(|t| TokenClaims::of(t.expose()))
                {
                    state.id_claims = Some(claims);
                }
                state.token = Some(grant);
                state.failure = None;
                Ok(token)
            }
            Err(error) => {
                state.failure = Some((state.attempts, error.clone()));
                Err(error)
            }
        }
    }

    /// One renewal: refresh token (delegated) or the app's credential again.
    async fn renew(&self) -> Result<Grant, SignInError> {
        let sign_in = &self.inner.sign_in;
        let settings = &self.inner.settings;
        let account = self.account().unwrap_or_else(|| settings.client_id.clone());
        let credential = match &settings.mode {
            SignInMode::DeviceCode => return self.refresh(&account).await,
            SignInMode::ClientSecret => {
                match sign_in.get(settings, SecretKind::ClientSecret).await? {
                    Some(secret) => AppCredential::Secret(secret),
                    None => return Err(SignInError::NotSignedIn),
                }
            }
            SignInMode::Certificate(CertificateSource::Files {
                certificate,
                private_key,
            }) => AppCredential::Certificate(Box::new(ClientCertificate::load(
                certificate,
                private_key,
            )?)),
            SignInMode::Certificate(CertificateSource::Imported { certificate_pem }) => {
                match sign_in.get(settings, SecretKind::PrivateKey).await? {
                    Some(key) => AppCredential::Certificate(Box::new(ClientCertificate::from_pem(
                        certificate_pem,
                        &key,
                    )?)),
                    None => return Err(SignInError::NotSignedIn),
                }
            }
        };
        client_credentials(sign_in, settings, &credential, Some(&account)).await
    }

    /// The refresh_token grant; the rotated refresh token goes back to the keyring.
    async fn refresh(&self, account: &str) -> Result<Grant, SignInError> {
        let sign_in = &self.inner.sign_in;
        let settings = &self.inner.settings;
        let Some(refresh) = sign_in.get(settings, SecretKind::RefreshToken).await? else {
            return Err(SignInError::NotSignedIn);
        };
        let client =
            http::entra_client(sign_in.endpoints(), &settings.tenant, &settings.client_id)?;
        let url = http::token_url(sign_in.endpoints(), &settings.tenant);
        let now = sign_in.clock().now();
        let refresh = RefreshToken::new(refresh.expose().to_owned());
        let response = client
            .exchange_refresh_token(&refresh)
            .add_scopes(delegated_scopes().into_iter().map(Scope::new))
            .request_async(sign_in.http())
            .await
            .map_err(|e| http::token_error(&url, e, Some(account)))?;
        let grant = Grant::from_response(&response, now);
        if let Some(rotated) = &grant.refresh_token {
            sign_in
                .put(settings, SecretKind::RefreshToken, rotated)
                .await?;
        }
        Ok(grant)
    }
}

impl TokenSource for Session {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretText, SignInError>> {
        Box::pin(self.token())
    }

    fn rejected(&self, token: &SecretText) {
        let mut state = self.state();
        if state
            .token
            .as_ref()
            .is_some_and(|g| g.access_token.expose() == token.expose())
        {
            state.token = None;
        }
    }
}
