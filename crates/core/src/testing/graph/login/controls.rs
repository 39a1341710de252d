//! What tests call on [`FakeGraph`] to drive the identity platform.

use std::time::Duration;

use time::OffsetDateTime;

use super::super::fake::{lock, FakeGraph, GraphClock};
use super::{authority, State, Status};
use crate::intune::auth::{certificate_der, public_key_of, x5t_of, AuthClock};
use crate::intune::{BoxFuture, Endpoints};

/// The identity platform side of the fake tenant (see the module docs).
impl FakeGraph {
    fn identity(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.inner.login.0)
    }

    /// The identity platform's address, `http://127.0.0.1:<port>` (stands for `https://login.microsoftonline.com`).
    pub fn authority_url(&self) -> String {
        authority(&self.inner)
    }

    /// Both addresses, for [`crate::intune::auth::SignIn`] and the Graph client.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            authority: self.authority_url(),
            graph: self.base_url(),
        }
    }

    /// The tenant id in issued tokens (`tid`).
    pub fn tenant_id(&self) -> String {
        self.identity().tenant_id.clone()
    }

    /// Signs `upn` in on the pending device code `user_code`; false when there is none.
    pub fn approve_device_code(&self, user_code: &str, upn: &str) -> bool {
        self.settle(user_code, Status::Approved(upn.to_owned()))
    }

    /// Declines the pending device code `user_code`; false when there is none.
    pub fn decline_device_code(&self, user_code: &str) -> bool {
        self.settle(user_code, Status::Declined)
    }

    fn settle(&self, user_code: &str, status: Status) -> bool {
        let mut state = self.identity();
        let code = state
            .codes
            .iter_mut()
            .find(|c| c.user_code == user_code && c.status == Status::Pending);
        code.map(|c| c.status = status).is_some()
    }

    /// Approves every device code as `upn` once it has been polled `after_polls` times (each
    /// answered `authorization_pending`): for a client in another process.
    pub fn approve_all_as(&self, upn: &str, after_polls: u32) {
        self.identity().auto_approve = Some((upn.to_owned(), after_polls));
    }

    /// The poll interval of new device codes, in seconds (default 1).
    pub fn set_poll_interval(&self, seconds: u64) {
        self.identity().interval = seconds;
    }

    /// How long new device codes last (default 900 s, Entra's).
    pub fn set_device_code_lifetime(&self, lifetime: Duration) {
        self.identity().code_lifetime = lifetime;
    }

    /// Answers the next `polls` device code polls `slow_down`.
    pub fn slow_down_next(&self, polls: u32) {
        self.identity().slow_down_next = polls;
    }

    /// When each poll of device code `user_code` came, by the fake's clock.
    pub fn device_code_polls(&self, user_code: &str) -> Vec<OffsetDateTime> {
        self.identity()
            .codes
            .iter()
            .find(|c| c.user_code == user_code)
            .map(|c| c.polls.clone())
            .unwrap_or_default()
    }

    /// The device code behind `user_code` (secret-handling tests look for it in output).
    pub fn device_code_of(&self, user_code: &str) -> Option<String> {
        self.identity()
            .codes
            .iter()
            .find(|c| c.user_code == user_code)
            .map(|c| c.device_code.clone())
    }

    /// Polls that came sooner than the interval allowed.
    pub fn too_fast_polls(&self) -> u32 {
        self.identity().too_fast
    }

    /// How long access tokens issued from now on last (default one hour).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.identity().token_lifetime = lifetime;
    }

    /// Registers an app (confidential client) with a client secret.
    pub fn add_app(&self, client_id: &str, secret: &str) {
        self.identity()
            .apps
            .entry(client_id.to_owned())
            .or_default()
            .secret = Some(secret.to_owned());
    }

    /// Registers a certificate (PEM) on an app; its key verifies the app's client assertions.
    pub fn add_app_certificate(&self, client_id: &str, certificate_pem: &str) {
        let der =
            certificate_der(certificate_pem).unwrap_or_else(|e| panic!("add_app_certificate: {e}"));
        let key = public_key_of(&der).unwrap_or_else(|e| panic!("add_app_certificate: {e}"));
        self.identity()
            .apps
            .entry(client_id.to_owned())
            .or_default()
            .certificates
            .push((x5t_of(&der), key));
    }

    /// Ends every refresh token issued so far (`invalid_grant` from now on).
    pub fn revoke_refresh_tokens(&self) {
        self.identity().refresh_tokens.clear();
    }

    /// Revokes every access token issued so far (seen by Graph with [`FakeGraph::require_issued_tokens`]).
    pub fn revoke_access_tokens(&self) {
        self.identity()
            .access_tokens
            .values_mut()
            .for_each(|t| t.revoked = true);
    }

    /// Whether `refresh_token` would still be accepted.
    pub fn refresh_token_active(&self, refresh_token: &str) -> bool {
        self.identity().refresh_tokens.contains_key(refresh_token)
    }

    /// Graph accepts only unexpired, unrevoked access tokens this fake issued (else 401).
    pub fn require_issued_tokens(&self, on: bool) {
        self.identity().require_issued = on;
    }

    /// The requests to the identity platform so far: `devicecode`, or the token request's `grant_type`.
    pub fn identity_requests(&self) -> Vec<String> {
        self.identity().requests.clone()
    }
}

impl AuthClock for GraphClock {
    fn now(&self) -> OffsetDateTime {
        GraphClock::now(self)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        if self.is_manual() {
            self.advance(duration);
            Box::pin(tokio::task::yield_now())
        } else {
            Box::pin(tokio::time::sleep(duration))
        }
    }
}
