//! The device code flow (RFC 8628 as Entra runs it, intune-android-adb.md §3.7): the bench asks
//! for a code, shows the technician where to enter it, and polls the token endpoint every
//! `interval` seconds (five more after each `slow_down`, RFC 8628 §3.5) until they approve,
//! decline, or the code expires.
//!
//! oauth2's polling loop does the waiting through the [`AuthClock`] passed in, so tests move a
//! manual clock instead of sleeping.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use oauth2::{
    DeviceAuthorizationResponse, ExtraDeviceAuthorizationFields, RequestTokenError, Scope,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::http::{self, Grant};
use super::{delegated_scopes, AuthClock, Session, SignIn, TenantSettings};
use crate::intune::SignInError;

/// What to show the technician while the bench waits for them to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceCodePrompt {
    /// The code to type in (not a secret on its own: it only works with the device code the bench keeps).
    pub user_code: String,
    /// Where to type it (`https://microsoft.com/devicelogin`).
    pub verification_uri: String,
    /// The identity platform's own instructions, in the user's language.
    pub message: String,
    /// When the code stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// How often the bench asks whether the technician is done, in seconds.
    pub interval: u64,
}

/// Entra's `message` beside RFC 8628's fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MessageField {
    /// Instructions to show the user.
    #[serde(default)]
    pub message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for MessageField {}

/// A device code sign-in under way: show [`DeviceCodeLogin::prompt`], then await
/// [`DeviceCodeLogin::finish`].
pub struct DeviceCodeLogin {
    sign_in: SignIn,
    settings: TenantSettings,
    details: DeviceAuthorizationResponse<MessageField>,
    prompt: DeviceCodePrompt,
}

impl fmt::Debug for DeviceCodeLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The device code itself stays out (oauth2 redacts it too).
        f.debug_struct("DeviceCodeLogin")
            .field("tenant", &self.settings.tenant)
            .field("prompt", &self.prompt)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeLogin {
    /// Asks the identity platform for a code (`POST …/devicecode` with the client id and the
    /// delegated scopes).
    pub(super) async fn start(
        sign_in: &SignIn,
        settings: &TenantSettings,
    ) -> Result<DeviceCodeLogin, SignInError> {
        let client =
            http::entra_client(sign_in.endpoints(), &settings.tenant, &settings.client_id)?;
        let url = http::device_code_url(sign_in.endpoints(), &settings.tenant);
        let details: DeviceAuthorizationResponse<MessageField> = client
            .exchange_device_code()
            .add_scopes(delegated_scopes().into_iter().map(Scope::new))
            .request_async(sign_in.http())
            .await
            .map_err(|e| http::token_error(&url, e, None))?;
        let now = sign_in.clock().now();
        let verification_uri = details.verification_uri().to_string();
        let user_code = details.user_code().secret().clone();
        let message = details.extra_fields().message.clone().unwrap_or_else(|| {
            format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate.")
        });
        let prompt = DeviceCodePrompt {
            expires_at: now + details.expires_in(),
            interval: details.interval().as_secs(),
            user_code,
            verification_uri,
            message,
        };
        Ok(DeviceCodeLogin {
            sign_in: sign_in.clone(),
            settings: settings.clone(),
            details,
            prompt,
        })
    }

    /// What to show the technician.
    pub fn prompt(&self) -> &DeviceCodePrompt {
        &self.prompt
    }

    /// Waits until the technician has signed in, keeps the refresh token in the keyring and
    /// returns the session. Declined, expired or unknown codes give [`SignInError::Incomplete`].
    pub async fn finish(self) -> Result<Session, SignInError> {
        let client = http::entra_client(
            self.sign_in.endpoints(),
            &self.settings.tenant,
            &self.settings.client_id,
        )?;
        let url = http::token_url(self.sign_in.endpoints(), &self.settings.tenant);
        let clock: Arc<dyn AuthClock> = self.sign_in.clock().clone();
        let time_clock = clock.clone();
        let response = client
            .exchange_device_access_token(&self.details)
            .set_time_fn(move || chrono_time(time_clock.now()))
            // A network fault is retried after a backoff that doubles up to this.
            .set_max_backoff_interval(Duration::from_secs(30))
            .request_async(self.sign_in.http(), move |wait| clock.sleep(wait), None)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => {
                    let (code, description) = http::platform_error(&answer);
                    SignInError::Incomplete(self.explain(&code, &description))
                }
                other => http::token_error(&url, other, None),
            })?;
        let grant = Grant::from_response(&response, self.sign_in.clock().now());
        Session::signed_in(&self.sign_in, &self.settings, grant).await
    }

    /// The platform's reason with what the technician should do next (the error's remedy,
    /// [`crate::remedy::Remedy::SignIn`], is how each front end starts one).
    fn explain(&self, code: &str, description: &str) -> String {
        let p = &self.prompt;
        let reason = if description.is_empty() {
            code.to_owned()
        } else {
            format!("{code}: {description}")
        };
        match code {
            "authorization_declined" | "access_denied" => format!(
                "the sign-in with code {} was declined ({reason}); start a new sign-in and approve it at {}",
                p.user_code, p.verification_uri
            ),
            "expired_token" => format!(
                "code {} expired before the sign-in was finished ({reason}); start a new sign-in and enter the new code within {} minutes",
                p.user_code,
                self.details.expires_in().as_secs().div_ceil(60)
            ),
            "bad_verification_code" => {
                format!("the identity platform does not know this device code ({reason}); start a new sign-in")
            }
            _ => format!("the identity platform refused ({reason}); start a new sign-in"),
        }
    }
}

/// Our clock's time as oauth2's (chrono) time.
fn chrono_time(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}
