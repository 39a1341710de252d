//! The oauth2 crate over our one HTTP client, and the identity platform's answers turned into
//! [`SignInError`]s and [`Grant`]s.
//!
//! oauth2 5 lets the caller bring the HTTP client (its `AsyncHttpClient` trait); its own reqwest
//! feature would pull reqwest 0.12 beside the workspace's 0.13, so [`OAuthHttp`] adapts
//! [`crate::intune::http_client`] instead (rustls/ring, timeouts, no redirects).

use std::future::Future;
use std::pin::Pin;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthType, ClientId, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet,
    ErrorResponse, ExtraTokenFields, HttpRequest, HttpResponse, RequestTokenError,
    StandardRevocableToken, StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::intune::{Endpoints, SignInError};
use crate::limits::{self, BodyError};
use crate::secret::SecretText;

/// Why an HTTP exchange with the identity platform failed (no response at all).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpFailure(String);

/// [`crate::intune::http_client`] as an oauth2 HTTP client.
#[derive(Debug, Clone)]
pub struct OAuthHttp(pub reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = HttpFailure;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpFailure>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request =
                reqwest::Request::try_from(request).map_err(|e| HttpFailure(e.to_string()))?;
            let response = self
                .0
                .execute(request)
                .await
                .map_err(|e| HttpFailure(describe(&e)))?;
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let from = format!("from {}", response.url().origin().ascii_serialization());
            let body = limits::read_body(response, &limits::TOKEN_RESPONSE, &from)
                .await
                .map_err(|e| match e {
                    BodyError::Transport(e) => HttpFailure(describe(&e)),
                    BodyError::TooLarge(e) => HttpFailure(e.to_string()),
                })?;
            builder.body(body).map_err(|e| HttpFailure(e.to_string()))
        })
    }
}

/// A reqwest error with its causes (reqwest's top line alone is often just "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The token response fields Entra adds to RFC 6749's: the OpenID Connect `id_token`.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    /// Present when `openid` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField([redacted])")
    }
}

impl ExtraTokenFields for IdTokenField {}

/// Entra's token response.
pub type EntraTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// An oauth2 client for one tenant and app registration, both endpoints set.
pub type EntraClient = oauth2::Client<
    BasicErrorResponse,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// `{authority}/{tenant}/oauth2/v2.0/token` (intune-android-adb.md §3.7).
pub fn token_url(endpoints: &Endpoints, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/token",
        endpoints.authority.trim_end_matches('/')
    )
}

/// `{authority}/{tenant}/oauth2/v2.0/devicecode` (intune-android-adb.md §3.7).
pub fn device_code_url(endpoints: &Endpoints, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/devicecode",
        endpoints.authority.trim_end_matches('/')
    )
}

/// The oauth2 client for `tenant` and `client_id`. Client credentials go in the form body, as
/// the v2.0 token endpoint documents them (§3.7).
pub fn entra_client(
    endpoints: &Endpoints,
    tenant: &str,
    client_id: &str,
) -> Result<EntraClient, SignInError> {
    let bad = |url: String, e: oauth2::url::ParseError| {
        SignInError::Config(format!(
            "the sign-in address {url} is not a URL ({e}); check STAGEBENCH_AUTHORITY"
        ))
    };
    let token = token_url(endpoints, tenant);
    let device = device_code_url(endpoints, tenant);
    Ok(oauth2::Client::new(ClientId::new(client_id.to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(token.clone()).map_err(|e| bad(token, e))?)
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(device.clone()).map_err(|e| bad(device, e))?,
        ))
}

/// What a successful token request gave.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The access token (only ever in memory).
    pub access_token: SecretText,
    /// When it expires, by the bench's clock.
    pub expires_at: OffsetDateTime,
    /// A refresh token (delegated sign-in with `offline_access`), to keep in the keyring.
    pub refresh_token: Option<SecretText>,
    /// The OpenID Connect id_token (with `openid`).
    pub id_token: Option<SecretText>,
    /// The scopes granted, as the platform listed them.
    pub scopes: Vec<String>,
}

/// Access tokens without `expires_in` are treated as lasting this long (Entra always sends it).
const DEFAULT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

impl Grant {
    /// From the platform's answer, received at `now`.
    pub fn from_response(response: &EntraTokenResponse, now: OffsetDateTime) -> Grant {
        Grant {
            access_token: SecretText::new(response.access_token().secret().as_str()),
            expires_at: now + response.expires_in().unwrap_or(DEFAULT_LIFETIME),
            refresh_token: response
                .refresh_token()
                .map(|r| SecretText::new(r.secret().as_str())),
            id_token: response
                .extra_fields()
                .id_token
                .as_deref()
                .map(SecretText::new),
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        }
    }
}

/// An error the identity platform answered, or a failure to reach it, as an [`SignInError`]:
/// `invalid_grant`/`invalid_client` during a silent refresh mean the sign-in is gone
/// ([`SignInError::SignInAgain`] for `account`); otherwise the platform's words go to
/// [`SignInError::Incomplete`] when `account` is `None` (a sign-in in progress).
pub fn token_error<T: ErrorResponse + 'static>(
    url: &str,
    error: RequestTokenError<HttpFailure, T>,
    account: Option<&str>,
) -> SignInError {
    match error {
        RequestTokenError::ServerResponse(answer) => {
            let (code, description) = platform_error(&answer);
            let reason = if description.is_empty() {
                code.clone()
            } else {
                format!("{code}: {description}")
            };
            match account {
                Some(account)
                    if matches!(
                        code.as_str(),
                        "invalid_grant"
                            | "invalid_client"
                            | "unauthorized_client"
                            | "interaction_required"
                    ) =>
                {
                    SignInError::SignInAgain {
                        account: account.to_owned(),
                        reason,
                    }
                }
                _ => SignInError::Incomplete(format!("the identity platform refused: {reason}")),
            }
        }
        RequestTokenError::Request(e) => SignInError::Network {
            url: url.to_owned(),
            reason: e.to_string(),
        },
        RequestTokenError::Parse(e, _body) => SignInError::Network {
            url: url.to_owned(),
            // The field path only: serde's message could quote a value from the answer.
            reason: format!("the answer is not a token response (at `{}`)", e.path()),
        },
        RequestTokenError::Other(e) => SignInError::Network {
            url: url.to_owned(),
            reason: e,
        },
    }
}

/// The `error` code and the first line of `error_description` of an error answer.
pub fn platform_error<T: ErrorResponse>(answer: &T) -> (String, String) {
    let value = serde_json::to_value(answer).unwrap_or_default();
    let code = value["error"]
        .as_str()
        .unwrap_or("unknown_error")
        .to_owned();
    let description = value["error_description"]
        .as_str()
        .map(first_line)
        .unwrap_or_default();
    (code, description)
}

/// Entra descriptions run on with trace and correlation ids after the first line.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
