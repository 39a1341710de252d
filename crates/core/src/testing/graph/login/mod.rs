//! The fake Microsoft identity platform, served by [`FakeGraph`] beside Graph:
//! `POST /{tenant}/oauth2/v2.0/devicecode` and `POST /{tenant}/oauth2/v2.0/token`, form-encoded,
//! answering as Entra does (shared/reference/intune-android-adb.md §3.7; the assertion checks
//! follow MicrosoftDocs/entra-docs `certificate-credentials.md`, see `intune::auth`).
//!
//! - Device code: a code stays pending until the test approves or declines it
//!   ([`FakeGraph::approve_device_code`], [`FakeGraph::decline_device_code`]) or
//!   [`FakeGraph::approve_all_as`] approves every code after some polls (for a CLI in another
//!   process). It expires by the fake's [`GraphClock`]. Polls closer together than the code's
//!   interval are answered `slow_down` (and counted, [`FakeGraph::too_fast_polls`]); each
//!   `slow_down` adds five seconds to the interval, as RFC 8628 §3.5 says.
//! - Refresh tokens rotate: a used one stops working, and [`FakeGraph::revoke_refresh_tokens`]
//!   ends them all.
//! - Client credentials need an app registered with a secret ([`FakeGraph::add_app`]) or a
//!   certificate ([`FakeGraph::add_app_certificate`]); assertions are verified (RS256 signature
//!   against the certificate's key, `x5t`, `aud`, `iss`/`sub`, `exp`/`nbf`, `jti` not replayed).
//! - Tokens are JWT-shaped (claims readable, signature a digest the fake does not check: it
//!   remembers what it issued). With [`FakeGraph::require_issued_tokens`] Graph accepts only
//!   unexpired, unrevoked access tokens it issued; otherwise any bearer token, as before.
//!
//! Errors are AADSTS-style JSON: `{"error", "error_description", "error_codes", …}`.
//!
//! Layout: this file holds the state and serves the requests; `grants` answers each grant
//! (device code, its polls, refresh tokens, client credentials); `assertion` checks client
//! assertions and makes test certificates; `controls` is what tests call on [`FakeGraph`].

mod assertion;
mod controls;
mod grants;

pub use assertion::test_certificate;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use rsa::RsaPublicKey;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use super::fake::{lock, Inner};
use crate::intune::auth::base64url;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Where Entra sends people with a device code (§3.7 example messages).
const VERIFICATION_URI: &str = "https://microsoft.com/devicelogin";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Pending,
    Approved(String),
    Declined,
    Redeemed,
}

#[derive(Debug)]
struct DeviceCode {
    device_code: String,
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    expires_at: OffsetDateTime,
    interval: u64,
    status: Status,
    pending_polls: u32,
    polls: Vec<OffsetDateTime>,
}

#[derive(Debug, Default)]
struct App {
    secret: Option<String>,
    /// `(x5t, public key)` of each registered certificate.
    certificates: Vec<(String, RsaPublicKey)>,
}

#[derive(Debug, Clone)]
struct Delegation {
    upn: String,
    client_id: String,
    scopes: Vec<String>,
}

#[derive(Debug)]
struct Issued {
    expires_at: OffsetDateTime,
    revoked: bool,
}

#[derive(Debug)]
struct State {
    tenant_id: String,
    interval: u64,
    slow_down_next: u32,
    code_lifetime: Duration,
    token_lifetime: Duration,
    auto_approve: Option<(String, u32)>,
    codes: Vec<DeviceCode>,
    apps: HashMap<String, App>,
    refresh_tokens: HashMap<String, Delegation>,
    access_tokens: HashMap<String, Issued>,
    require_issued: bool,
    requests: Vec<String>,
    assertion_ids: HashSet<String>,
    too_fast: u32,
    serial: u64,
}

/// The identity platform's state (one per fake tenant).
#[derive(Debug)]
pub(super) struct Identity(Mutex<State>);

impl Default for Identity {
    fn default() -> Self {
        Identity(Mutex::new(State {
            tenant_id: "5ba6e000-fa4e-4b00-8000-00000000aaaa".into(),
            interval: 1,
            slow_down_next: 0,
            code_lifetime: Duration::from_secs(900),
            token_lifetime: Duration::from_secs(3600),
            auto_approve: None,
            codes: Vec::new(),
            apps: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            require_issued: false,
            requests: Vec::new(),
            assertion_ids: HashSet::new(),
            too_fast: 0,
            serial: 0,
        }))
    }
}

/// Whether `path` is the identity platform's (`/{tenant}/oauth2/v2.0/…`).
pub(super) fn is_login_path(path: &str) -> bool {
    path.split('/').nth(2) == Some("oauth2")
}

/// An OAuth error answer (RFC 6749 §5.2 with Entra's extras).
fn oauth_error(status: u16, error: &str, code: u32, description: &str) -> (u16, Value) {
    (
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\nCorrelation ID: 00000000-0000-0000-0000-000000000000"),
            "error_codes": [code],
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        }),
    )
}

fn answer((status, body): (u16, Value)) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json; charset=utf-8")
        .header("cache-control", "no-store")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap_or_default()
}

/// Serves one identity platform request.
pub(super) fn serve(inner: &Inner, method: &str, path: &str, body: &[u8]) -> Response {
    let form: HashMap<String, String> = oauth2::url::form_urlencoded::parse(body)
        .into_owned()
        .collect();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let now = inner.clock.now();
    let mut state = lock(&inner.login.0);
    let reply = match (method, segments.as_slice()) {
        ("POST", [tenant, "oauth2", "v2.0", "devicecode"]) => state.device_code(tenant, &form, now),
        ("POST", [tenant, "oauth2", "v2.0", "token"]) => {
            let token_url = format!("{}/{tenant}/oauth2/v2.0/token", authority(inner));
            state.token(&form, &token_url, now)
        }
        (_, [_, "oauth2", ..]) => oauth_error(
            404,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        ),
        _ => oauth_error(404, "invalid_request", 90002, "Tenant not found."),
    };
    answer(reply)
}

fn authority(inner: &Inner) -> String {
    inner.base.trim_end_matches("/beta").to_owned()
}

fn need<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, (u16, Value)> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            oauth_error(
                400,
                "invalid_request",
                900144,
                &format!("The request body must contain the following parameter: '{name}'."),
            )
        })
}

fn scopes_of(form: &HashMap<String, String>) -> Vec<String> {
    form.get("scope")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn random_text(len: usize, alphabet: &[u8]) -> String {
    use rand::Rng as _;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A JWT-shaped token: readable claims, a digest for a signature.
fn jwt(claims: &Value) -> String {
    let header = base64url(br#"{"typ":"JWT","alg":"RS256","kid":"stagebench-fake"}"#);
    let payload = base64url(claims.to_string().as_bytes());
    let signature = base64url(&Sha256::digest(format!(
        "{header}.{payload}.{}",
        random_text(16, b"abcdef0123456789")
    )));
    format!("{header}.{payload}.{signature}")
}

impl Identity {
    /// Why Graph should refuse `token` (when only issued tokens are accepted), or `None`.
    pub(super) fn bearer_problem(&self, token: &str, now: OffsetDateTime) -> Option<&'static str> {
        let state = lock(&self.0);
        if !state.require_issued {
            return None;
        }
        match state.access_tokens.get(token) {
            None => {
                Some("Access token validation failure: the token was not issued by this tenant.")
            }
            Some(i) if i.revoked => Some("Access token has been revoked."),
            Some(i) if i.expires_at <= now => {
                Some("Lifetime validation failed, the token is expired.")
            }
            Some(_) => None,
        }
    }
}
