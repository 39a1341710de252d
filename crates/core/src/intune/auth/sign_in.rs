//! [`SignIn`]: everything a sign-in needs (endpoints, HTTP client, secret store, clock), the
//! ways to sign in (device code, client secret, certificate), resuming and signing out.

use std::fmt;
use std::sync::Arc;

use oauth2::{ClientSecret, Scope};

use super::assertion::{ClientCertificate, ASSERTION_TYPE};
use super::device_code::DeviceCodeLogin;
use super::http::{self, Grant, OAuthHttp};
use super::settings::{CertificateSource, SignInMode, TenantSettings};
use super::{AuthClock, SecretKind, SecretStore, Session, APP_SCOPE};
use crate::intune::{Endpoints, SignInError};
use crate::secret::SecretText;

/// What a bench needs to sign in: endpoints, the HTTP client, the secret store and a clock.
/// Cheap to clone.
#[derive(Clone)]
pub struct SignIn {
    endpoints: Endpoints,
    http: OAuthHttp,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn AuthClock>,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// Sign-in against `endpoints`, secrets in `secrets`, time from `clock`.
    pub fn new(
        endpoints: Endpoints,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn AuthClock>,
    ) -> Result<SignIn, SignInError> {
        endpoints.check_authority()?;
        let http = crate::intune::http_client().map_err(|e| SignInError::Network {
            url: endpoints.authority.clone(),
            reason: format!("the HTTP client could not be set up ({e})"),
        })?;
        Ok(SignIn {
            endpoints,
            http: OAuthHttp(http),
            secrets,
            clock,
        })
    }

    /// Where it signs in.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub(super) fn http(&self) -> &OAuthHttp {
        &self.http
    }

    pub(super) fn clock(&self) -> &Arc<dyn AuthClock> {
        &self.clock
    }

    /// Checks that the secret store answers (an OS keyring may be locked or missing), so a
    /// technician is not sent through a whole sign-in whose refresh token then can't be kept.
    pub async fn check_secret_store(&self, settings: &TenantSettings) -> Result<(), SignInError> {
        let name = SecretKind::RefreshToken.name(&self.endpoints.authority, settings);
        self.secrets.get(&name).await.map(|_| ())
    }

    /// Starts a device code sign-in (mode [`SignInMode::DeviceCode`]).
    pub async fn start_device_code(
        &self,
        settings: &TenantSettings,
    ) -> Result<DeviceCodeLogin, SignInError> {
        if settings.mode != SignInMode::DeviceCode {
            return Err(wrong_mode(settings));
        }
        DeviceCodeLogin::start(self, settings).await
    }

    /// Signs the app in with a client secret (mode [`SignInMode::ClientSecret`]): gets a token
    /// first, so a wrong secret is never stored, then keeps the secret in the keyring.
    pub async fn sign_in_with_secret(
        &self,
        settings: &TenantSettings,
        secret: SecretText,
    ) -> Result<Session, SignInError> {
        if settings.mode != SignInMode::ClientSecret {
            return Err(wrong_mode(settings));
        }
        if secret.expose().trim().is_empty() {
            return Err(SignInError::Config("the client secret is empty: paste the secret's Value (not its ID) from the app registration".into()));
        }
        let secret = SecretText::new(secret.expose().trim());
        let grant =
            client_credentials(self, settings, &AppCredential::Secret(secret.clone()), None)
                .await?;
        self.put(settings, SecretKind::ClientSecret, &secret)
            .await?;
        Session::signed_in(self, settings, grant).await
    }

    /// Signs the app in with its certificate (mode [`SignInMode::Certificate`]). With an
    /// imported certificate, `private_key_pem` is the key to keep in the keyring; with files it
    /// is not needed (the key file is read at each token request).
    pub async fn sign_in_with_certificate(
        &self,
        settings: &TenantSettings,
        private_key_pem: Option<SecretText>,
    ) -> Result<Session, SignInError> {
        let SignInMode::Certificate(source) = &settings.mode else {
            return Err(wrong_mode(settings));
        };
        let certificate = match (source, &private_key_pem) {
            (
                CertificateSource::Files {
                    certificate,
                    private_key,
                },
                _,
            ) => ClientCertificate::load(certificate, private_key)?,
            (CertificateSource::Imported { certificate_pem }, Some(key)) => {
                ClientCertificate::from_pem(certificate_pem, key)?
            }
            (CertificateSource::Imported { .. }, None) => {
                return Err(SignInError::Config(
                    "importing a certificate needs its private key too".into(),
                ))
            }
        };
        let grant = client_credentials(
            self,
            settings,
            &AppCredential::Certificate(Box::new(certificate)),
            None,
        )
        .await?;
        if let (CertificateSource::Imported { .. }, Some(key)) = (source, &private_key_pem) {
            self.put(settings, SecretKind::PrivateKey, key).await?;
        }
        Session::signed_in(self, settings, grant).await
    }

    /// The session of whoever signed in on this bench before (no network until a token is
    /// needed). [`SignInError::NotSignedIn`] when nobody is.
    pub fn resume(&self, settings: &TenantSettings) -> Result<Session, SignInError> {
        if settings.account.is_none() {
            return Err(SignInError::NotSignedIn);
        }
        Ok(Session::new(self, settings, None))
    }

    /// Removes the bench's sign-in secrets for these settings from the keyring: those kept for
    /// this sign-in address, for Microsoft's, and those of older versions. Removing what is not
    /// there is fine, so signing out twice is too.
    pub async fn sign_out(&self, settings: &TenantSettings) -> Result<(), SignInError> {
        let microsoft = Endpoints::default().authority;
        for kind in SecretKind::ALL {
            self.secrets.delete(&self.name(settings, kind)).await?;
            self.secrets
                .delete(&kind.name(&microsoft, settings))
                .await?;
            self.secrets.delete(&kind.legacy_name(settings)).await?;
        }
        Ok(())
    }

    fn name(&self, settings: &TenantSettings, kind: SecretKind) -> String {
        kind.name(&self.endpoints.authority, settings)
    }

    /// The secret kept for these settings at this sign-in address. An entry of an older
    /// version (not bound to an address) is moved to its bound name at Microsoft's address,
    /// which is where it came from unless an override was set; anywhere else it is refused.
    pub(super) async fn get(
        &self,
        settings: &TenantSettings,
        kind: SecretKind,
    ) -> Result<Option<SecretText>, SignInError> {
        let name = self.name(settings, kind);
        if let Some(value) = self.secrets.get(&name).await? {
            return Ok(Some(value));
        }
        let legacy = kind.legacy_name(settings);
        let Some(value) = self.secrets.get(&legacy).await? else {
            return Ok(None);
        };
        if self.endpoints.authority != Endpoints::default().authority {
            return Err(SignInError::SignInAgain {
                account: settings
                    .account
                    .clone()
                    .unwrap_or_else(|| settings.client_id.clone()),
                reason: format!(
                    "the saved sign-in was kept without its sign-in address and is not sent to {}",
                    self.endpoints.authority
                ),
            });
        }
        self.secrets.set(&name, &value).await?;
        self.secrets.delete(&legacy).await?;
        Ok(Some(value))
    }

    pub(super) async fn put(
        &self,
        settings: &TenantSettings,
        kind: SecretKind,
        value: &SecretText,
    ) -> Result<(), SignInError> {
        self.secrets.set(&self.name(settings, kind), value).await
    }
}

fn wrong_mode(settings: &TenantSettings) -> SignInError {
    SignInError::Config(format!(
        "these tenant settings sign in by {}; change the mode first",
        settings.mode.name()
    ))
}

/// An app-only credential, ready to use.
pub(super) enum AppCredential {
    Secret(SecretText),
    Certificate(Box<ClientCertificate>),
}

/// One client credentials request (`scope=https://graph.microsoft.com/.default`, §3.7).
/// `account` is who was signed in, for a silent renewal; `None` while signing in.
pub(super) async fn client_credentials(
    sign_in: &SignIn,
    settings: &TenantSettings,
    credential: &AppCredential,
    account: Option<&str>,
) -> Result<Grant, SignInError> {
    let client = http::entra_client(&sign_in.endpoints, &settings.tenant, &settings.client_id)?;
    let url = http::token_url(&sign_in.endpoints, &settings.tenant);
    let now = sign_in.clock.now();
    let response = match credential {
        AppCredential::Secret(secret) => {
            let client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
            client
                .exchange_client_credentials()
                .add_scope(Scope::new(APP_SCOPE.into()))
                .request_async(&sign_in.http)
                .await
        }
        AppCredential::Certificate(certificate) => {
            let assertion = certificate.assertion(&settings.client_id, &url, now);
            client
                .exchange_client_credentials()
                .add_scope(Scope::new(APP_SCOPE.into()))
                .add_extra_param("client_assertion_type", ASSERTION_TYPE)
                .add_extra_param("client_assertion", assertion.expose().to_owned())
                .request_async(&sign_in.http)
                .await
        }
    };
    response
        .map(|r| Grant::from_response(&r, now))
        .map_err(|e| http::token_error(&url, e, account))
}
