//! Sign-in to Microsoft Entra for Graph: OAuth 2.0 through the `oauth2` crate, secrets in the OS
//! keyring, access tokens only in memory.
//!
//! Layout: [`settings`] is what a bench stores about its tenant (no secrets; the store keeps it
//! in SQLite); `sign_in` ([`SignIn`]) starts a sign-in (device code for a technician, client
//! secret or certificate for unattended benches) or resumes one, and `device_code` runs the
//! device code flow; `session` ([`Session`]) is the [`crate::intune::TokenSource`] the Graph
//! client uses, renewing tokens silently; `secrets` ([`SecretStore`]: [`OsKeyring`], or
//! [`MemoryKeyring`] in tests) is where secrets go; `http` adapts oauth2 to our one reqwest
//! client; `assertion` signs certificate assertions; `claims` ([`TokenClaims`]) reads a token's
//! claims for display. Time comes from an [`AuthClock`], so tests move a manual
//! clock instead of sleeping.
//!
//! Facts and their sources (shared/reference/intune-android-adb.md §3.7, from MicrosoftDocs/entra-docs
//! `v2-oauth2-device-code.md` and `v2-oauth2-client-creds-grant-flow.md`): endpoints
//! `{authority}/{tenant}/oauth2/v2.0/devicecode` and `/token`; device code answers `device_code`,
//! `user_code`, `verification_uri`, `expires_in`, `interval`, `message` and is polled with
//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (errors `authorization_pending`,
//! `authorization_declined`, `bad_verification_code`, `expired_token`); a refresh token comes only
//! with `offline_access`, an id_token with `openid`; client credentials send `client_secret` or a
//! certificate-signed `client_assertion` with `scope=https://graph.microsoft.com/.default`.
//! The Graph permissions asked for are §3.2's. `slow_down` (+5 s per RFC 8628 §3.5) is handled by
//! oauth2's polling loop.
//!
//! Keyring entries are filed under service [`KEYRING_SERVICE`] as
//! `{authority}/{tenant}/{client id}/refresh-token`, `…/client-secret` and `…/private-key`
//! ([`SecretKind`]): bound to the sign-in address, so a refresh token kept for Microsoft is never
//! sent to a replaced address. Entries of older versions (`{tenant}/{client id}/…`) are moved to
//! Microsoft's name when first read there, and refused (sign in again) anywhere else.

mod assertion;
mod claims;
mod device_code;
mod http;
mod secrets;
mod session;
pub mod settings;
mod sign_in;

use std::time::Duration;

use time::OffsetDateTime;

pub use assertion::{ClientCertificate, ASSERTION_TYPE};
pub use claims::TokenClaims;
pub use device_code::{DeviceCodeLogin, DeviceCodePrompt};
pub use secrets::{MemoryKeyring, OsKeyring, SecretStore, CHUNK, KEYRING_SERVICE};
pub use session::{Session, WhoAmI, REFRESH_MARGIN};
pub use settings::{CertificateSource, SignInMode, TenantSettings, TenantStore};
pub use sign_in::SignIn;

use super::BoxFuture;
use crate::clock::{ManualClock, SystemClock};
pub use crate::intune::endpoints::{
    endpoints_from_env, overrides_from_env, ALLOW_HTTP_LOOPBACK_ENV, AUTHORITY_ENV, GRAPH_URL_ENV,
};

#[cfg(feature = "testing")]
pub(crate) use assertion::{certificate_der, public_key_of, x5t_of};
#[cfg(feature = "testing")]
pub(crate) use claims::{base64url, from_base64url};

/// The Graph permissions a technician's sign-in asks for (intune-android-adb.md §3.2 and §3.7):
/// enrollment profiles and tokens, managed devices and their remote actions, corporate
/// identifiers, and users (primary user).
pub const GRAPH_SCOPES: [&str; 5] = [
    "https://graph.microsoft.com/DeviceManagementConfiguration.ReadWrite.All",
    "https://graph.microsoft.com/DeviceManagementManagedDevices.ReadWrite.All",
    "https://graph.microsoft.com/DeviceManagementManagedDevices.PrivilegedOperations.All",
    "https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All",
    "https://graph.microsoft.com/User.Read.All",
];

/// Asked for beside [`GRAPH_SCOPES`]: a refresh token (`offline_access`) and an id_token naming
/// who signed in (`openid profile`).
pub const SIGN_IN_SCOPES: [&str; 3] = ["offline_access", "openid", "profile"];

/// App-only sign-in asks for the app's granted application permissions as a whole (§3.7).
pub const APP_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Every scope of a delegated sign-in.
pub fn delegated_scopes() -> Vec<String> {
    GRAPH_SCOPES
        .iter()
        .chain(SIGN_IN_SCOPES.iter())
        .map(|s| (*s).to_owned())
        .collect()
}

/// The secrets a sign-in keeps in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The technician's refresh token (replaced at each rotation).
    RefreshToken,
    /// The app's client secret.
    ClientSecret,
    /// An imported certificate's private key (PEM).
    PrivateKey,
}

impl SecretKind {
    /// Every kind, for sign-out.
    pub const ALL: [SecretKind; 3] = [
        SecretKind::RefreshToken,
        SecretKind::ClientSecret,
        SecretKind::PrivateKey,
    ];

    fn word(self) -> &'static str {
        match self {
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::ClientSecret => "client-secret",
            SecretKind::PrivateKey => "private-key",
        }
    }

    /// The keyring entry name for these settings at `authority`:
    /// `{authority}/{tenant}/{client id}/{kind}`. The authority is part of the name, so a
    /// secret kept for one sign-in address is never sent to another.
    pub fn name(self, authority: &str, settings: &TenantSettings) -> String {
        let authority = reqwest::Url::parse(authority.trim())
            .map(|u| u.as_str().to_owned())
            .unwrap_or_else(|_| authority.trim().to_owned());
        format!(
            "{}/{}",
            authority.trim_end_matches('/'),
            self.legacy_name(settings)
        )
    }

    /// The name StageBench used before entries named their authority:
    /// `{tenant}/{client id}/{kind}`.
    pub fn legacy_name(self, settings: &TenantSettings) -> String {
        format!("{}/{}/{}", settings.tenant, settings.client_id, self.word())
    }
}

/// Time for sign-in: what time it is, and waiting (device code polling). Tests pass a manual
/// clock whose `sleep` moves time on at once.
pub trait AuthClock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
    /// Waits `duration` (or, on a manual clock, moves it on by `duration`).
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

impl AuthClock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl AuthClock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        crate::clock::Clock::now(self)
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.advance(time::Duration::try_from(duration).unwrap_or(time::Duration::MAX));
        // Let other tasks (a fake server) run, as a real wait would.
        Box::pin(tokio::task::yield_now())
    }
}
