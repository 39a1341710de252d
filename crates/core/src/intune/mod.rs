//! Intune through Microsoft Graph (beta): what the bench sends and how it copes when the tenant
//! or the network says no.
//!
//! Layout: [`auth`] signs the bench in (device code, client secret or certificate; secrets in
//! the OS keyring) and hands out tokens through [`TokenSource`]; [`backoff`] is the pure fault
//! policy (which statuses are retried, how long to wait, and the per-app request budgets that
//! keep the client under Graph's throttling limits); [`graph`] is the Graph client built on it
//! (profiles and tokens, device look-ups, notes, corporate identifiers, primary users);
//! [`names`] and [`status`] read Intune's device names and stage; [`profile`] names the
//! enrollment profile facts (Graph's enums) a device is staged with; [`sync`] keeps the bench and
//! Intune in step; [`state`] is the connection as the app shows it, and one sync round;
//! [`service`] runs the sync loop and the sign-ins in the background and publishes that state
//! on a `watch` channel; [`endpoints`] says where the bench signs in and calls Graph, and which
//! replacements of those addresses are allowed; [`connect`] makes a signed-in Graph client; [`view`] shows profiles
//! without their secrets; [`restage`] says what Intune holds under a returned device's serial
//! and what to do before wiping it. The
//! durable queue of changes bound for Intune is the store's outbox ([`crate::store::OutboxItem`]),
//! because it is a table.
//!
//! How the outbox is drained ([`sync::drain_outbox`], with the Graph client as its directory):
//!
//! 1. `Store::outbox_due(now, 20)` gives the pending items that are due, oldest first (and puts
//!    items whose send was interrupted by a crash back in line once their lease has run out);
//! 2. `Store::outbox_claim(ids)` marks them in flight under one owner token with a lease, so a
//!    kill mid-send is visible; the lease is renewed while the `$batch` is out and every result
//!    is reported under the token (another drain's results change nothing);
//! 3. [`backoff::Budget::try_take_n`] for the service and kind, waiting the returned duration
//!    instead of sending into a 429;
//! 4. one `POST /$batch` with up to 20 inner requests (Graph's limit; each inner request is
//!    throttled and answered on its own, the outer status is 200 even when they fail);
//! 5. per inner status, [`backoff::classify`]: `Success` → `outbox_done`; `Retry` →
//!    [`backoff::RetryPolicy::next_delay`] with the inner `Retry-After`, then `outbox_retry`
//!    (or `outbox_fail` once attempts are exhausted); `Reauthenticate` → refresh the token,
//!    `outbox_retry` with no delay, and ask for a sign-in when the refresh fails; `Fail` →
//!    `outbox_fail` with Graph's error message.
//!
//! Resending after a crash is safe: every item carries an `operation_id` (sent as
//! `client-request-id`), and the writes we queue set a value rather than add one — `PATCH
//! managedDevices/{id}` with `notes` and `PUT`/`POST …/users/$ref` for the primary user leave the
//! same state when applied twice; corporate identifiers are imported with `overwriteImportedDeviceIdentities`.

pub mod auth;
pub mod backoff;
pub mod connect;
pub mod endpoints;
pub mod graph;
pub mod names;
pub mod profile;
pub mod restage;
pub mod service;
pub mod state;
pub mod status;
pub mod sync;
pub mod view;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::remedy::{HasRemedy, Remedy};
use crate::secret::SecretText;

pub use endpoints::{EndpointError, Endpoints};

/// Why no access token could be had. Never carries a secret. `Clone`, so callers waiting on
/// one token renewal can all be given its failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SignInError {
    /// Nobody has signed in on this bench (or they signed out).
    #[error("not signed in to a tenant: sign in first")]
    NotSignedIn,
    /// The refresh token or client credential no longer works (revoked, expired, password
    /// changed, consent withdrawn).
    #[error("the sign-in for {account} is no longer accepted ({reason}): sign in again")]
    SignInAgain {
        /// Who was signed in (UPN or client id).
        account: String,
        /// The identity platform's reason, e.g. `invalid_grant`.
        reason: String,
    },
    /// The user declined, or the device code ran out before anyone entered it. The text says
    /// what happened and how to start over, in the domain's words.
    #[error("sign-in did not complete: {0}")]
    Incomplete(String),
    /// The identity platform could not be reached or answered nonsense.
    #[error(
        "could not reach the sign-in service at {url}: {reason}; check the network and try again"
    )]
    Network {
        /// The endpoint.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The OS keyring refused (locked, missing, denied).
    #[error("the OS keyring could not {action}: {reason}; unlock the keyring (Linux: a Secret Service such as GNOME Keyring must be running) and try again")]
    Keyring {
        /// What was being done, e.g. "store the refresh token".
        action: String,
        /// The keyring's message.
        reason: String,
    },
    /// The bench's tenant settings are missing or wrong.
    #[error("tenant settings: {0}")]
    Config(String),
    /// The sign-in address may not be sent a secret (plain HTTP to another computer, or an
    /// override without its switch); nothing was sent.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
}

impl HasRemedy for SignInError {
    /// Signing in (again) for a missing, refused or unfinished sign-in; nothing for a network,
    /// keyring or settings problem, whose message says what to fix.
    fn remedy(&self) -> Option<Remedy> {
        match self {
            SignInError::NotSignedIn | SignInError::Incomplete(_) => Some(Remedy::SignIn),
            SignInError::SignInAgain { account, .. } => Some(Remedy::SignInAgain {
                account: account.clone(),
            }),
            SignInError::Network { .. }
            | SignInError::Keyring { .. }
            | SignInError::Config(_)
            | SignInError::Endpoint(_) => None,
        }
    }
}

/// A boxed future, so [`TokenSource`] can be used as `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Hands the Graph client a bearer token. The sign-in code implements it (cached access token,
/// silent refresh); tests use [`StaticToken`].
pub trait TokenSource: Send + Sync {
    /// A currently valid access token (refreshing silently when the cached one is near expiry).
    fn access_token(&self) -> BoxFuture<'_, Result<SecretText, SignInError>>;
    /// Graph answered 401 to `token`: forget it, so the next [`TokenSource::access_token`]
    /// refreshes instead of handing it out again.
    fn rejected(&self, token: &SecretText);
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretText, SignInError>> {
        (**self).access_token()
    }
    fn rejected(&self, token: &SecretText) {
        (**self).rejected(token)
    }
}

/// A fixed token (tests and the fake tenant, which accepts any bearer token).
#[derive(Debug, Clone)]
pub struct StaticToken(pub SecretText);

impl TokenSource for StaticToken {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretText, SignInError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
    fn rejected(&self, _token: &SecretText) {}
}

/// How long one HTTP exchange with Graph or the identity platform may take before it counts as
/// a timeout (a retryable fault).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client for Graph and sign-in: rustls with the OS trust store, a timeout per request,
/// our user agent, no redirects (the identity platform and Graph do not redirect API calls, and
/// following one would carry the bearer token elsewhere).
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    // rustls needs one process-wide crypto provider; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("StageBench/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn http_client_builds_with_a_tls_provider_and_static_token_hands_out_its_token() {
        // Building the client panics if rustls has no crypto provider.
        http_client().expect("client");
        let source: Arc<dyn TokenSource> = Arc::new(StaticToken(SecretText::new("t0k")));
        assert_eq!(source.access_token().await.unwrap().expose(), "t0k");
        assert_eq!(
            format!("{:?}", StaticToken(SecretText::new("t0k"))),
            "StaticToken([redacted])"
        );
    }

    #[test]
    fn auth_errors_name_the_next_step_and_default_endpoints_are_microsofts() {
        let e = SignInError::SignInAgain {
            account: "tech@contoso.com".into(),
            reason: "invalid_grant".into(),
        };
        assert!(e.to_string().ends_with("sign in again"), "{e}");
        assert_eq!(
            e.remedy(),
            Some(Remedy::SignInAgain {
                account: "tech@contoso.com".into()
            })
        );
        assert_eq!(SignInError::NotSignedIn.remedy(), Some(Remedy::SignIn));
        assert!(SignInError::NotSignedIn
            .to_string()
            .contains("sign in first"));
        assert_eq!(
            Endpoints::default().graph,
            "https://graph.microsoft.com/beta"
        );
    }
}
