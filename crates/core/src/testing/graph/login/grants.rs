//! The grants the fake identity platform answers: a device code and its polls (pending,
//! `slow_down`, approved, declined, expired), refresh tokens that rotate, and client
//! credentials with a secret or a certificate assertion.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::assertion::{check_assertion, claims_of};
use super::{
    jwt, need, oauth_error, random_text, scopes_of, Delegation, DeviceCode, Issued, State, Status,
    DEVICE_CODE_GRANT, VERIFICATION_URI,
};
use crate::intune::auth::{ASSERTION_TYPE, GRAPH_SCOPES};

impl State {
    pub(super) fn device_code(
        &mut self,
        tenant: &str,
        form: &HashMap<String, String>,
        now: OffsetDateTime,
    ) -> (u16, Value) {
        self.requests.push("devicecode".into());
        let client_id = match need(form, "client_id") {
            Ok(c) => c.to_owned(),
            Err(e) => return e,
        };
        if let Err(e) = need(form, "scope") {
            return e;
        }
        if matches!(tenant, "common" | "consumers") {
            return oauth_error(400, "invalid_request", 50059, "No tenant-identifying information found in either the request or implied by any provided credentials.");
        }
        let user_code = random_text(9, b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
        let device_code = random_text(
            40,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        );
        self.codes.push(DeviceCode {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            client_id,
            scopes: scopes_of(form),
            expires_at: now + self.code_lifetime,
            interval: self.interval,
            status: Status::Pending,
            pending_polls: 0,
            polls: Vec::new(),
        });
        (
            200,
            json!({
                "user_code": user_code,
                "device_code": device_code,
                "verification_uri": VERIFICATION_URI,
                "expires_in": self.code_lifetime.as_secs(),
                "interval": self.interval,
                "message": format!("To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the code {user_code} to authenticate."),
            }),
        )
    }

    pub(super) fn token(
        &mut self,
        form: &HashMap<String, String>,
        token_url: &str,
        now: OffsetDateTime,
    ) -> (u16, Value) {
        let grant = match need(form, "grant_type") {
            Ok(g) => g.to_owned(),
            Err(e) => return e,
        };
        self.requests.push(grant.clone());
        let client_id = match need(form, "client_id") {
            Ok(c) => c.to_owned(),
            Err(e) => return e,
        };
        let result = match grant.as_str() {
            DEVICE_CODE_GRANT => self.device_code_grant(form, &client_id, now),
            "refresh_token" => self.refresh_grant(form, &client_id, now),
            "client_credentials" => self.client_credentials(form, &client_id, token_url, now),
            other => Err(oauth_error(
                400,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )),
        };
        result.unwrap_or_else(|e| e)
    }

    fn device_code_grant(
        &mut self,
        form: &HashMap<String, String>,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Result<(u16, Value), (u16, Value)> {
        let device_code = need(form, "device_code")?;
        let auto = self.auto_approve.clone();
        let mut slow_down = std::mem::take(&mut self.slow_down_next) > 0;
        let Some(code) = self
            .codes
            .iter_mut()
            .find(|c| c.device_code == device_code && c.client_id == client_id)
        else {
            return Err(oauth_error(
                400,
                "bad_verification_code",
                70019,
                "Verification code was not recognized.",
            ));
        };
        if let Some(last) = code.polls.last() {
            // Clients must wait the interval between polls (RFC 8628 §3.4); 50 ms of slack for timers.
            if now - *last + Duration::from_millis(50) < Duration::from_secs(code.interval) {
                slow_down = true;
                self.too_fast += 1;
            }
        }
        code.polls.push(now);
        if now >= code.expires_at {
            return Err(oauth_error(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. The code has expired."));
        }
        if slow_down && code.status == Status::Pending {
            code.interval += 5;
            return Err(oauth_error(
                400,
                "slow_down",
                70023,
                "The client polled too often; slow down.",
            ));
        }
        if let (Status::Pending, Some((upn, after))) = (&code.status, &auto) {
            if code.pending_polls >= *after {
                code.status = Status::Approved(upn.clone());
            }
        }
        match code.status.clone() {
            Status::Pending => {
                code.pending_polls += 1;
                Err(oauth_error(
                    400,
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                ))
            }
            Status::Declined => Err(oauth_error(
                400,
                "authorization_declined",
                70018,
                "The user declined the sign-in.",
            )),
            Status::Redeemed => Err(oauth_error(
                400,
                "bad_verification_code",
                70019,
                "Verification code was already used.",
            )),
            Status::Approved(upn) => {
                code.status = Status::Redeemed;
                let delegation = Delegation {
                    upn,
                    client_id: client_id.to_owned(),
                    scopes: code.scopes.clone(),
                };
                Ok(self.issue_delegated(&delegation, now))
            }
        }
    }

    fn refresh_grant(
        &mut self,
        form: &HashMap<String, String>,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Result<(u16, Value), (u16, Value)> {
        let token = need(form, "refresh_token")?;
        let invalid = || {
            oauth_error(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed.")
        };
        let delegation = self
            .refresh_tokens
            .get(token)
            .filter(|d| d.client_id == client_id)
            .cloned()
            .ok_or_else(invalid)?;
        // Rotation: the used refresh token is spent.
        self.refresh_tokens.remove(token);
        let asked = scopes_of(form);
        let scopes = if asked.is_empty() {
            delegation.scopes.clone()
        } else {
            asked
        };
        if scopes.iter().any(|s| !delegation.scopes.contains(s)) {
            return Err(oauth_error(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid: it asks for more than was granted."));
        }
        Ok(self.issue_delegated(
            &Delegation {
                scopes,
                ..delegation
            },
            now,
        ))
    }

    fn client_credentials(
        &mut self,
        form: &HashMap<String, String>,
        client_id: &str,
        token_url: &str,
        now: OffsetDateTime,
    ) -> Result<(u16, Value), (u16, Value)> {
        let scope = need(form, "scope")?;
        if scope != "https://graph.microsoft.com/.default" {
            return Err(oauth_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."));
        }
        let Some(app) = self.apps.get(client_id) else {
            return Err(oauth_error(
                400,
                "unauthorized_client",
                700016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory."
                ),
            ));
        };
        match (form.get("client_secret"), form.get("client_assertion_type"), form.get("client_assertion")) {
            (Some(secret), None, None) => {
                if app.secret.as_deref() != Some(secret.as_str()) {
                    return Err(oauth_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."));
                }
            }
            (None, Some(kind), Some(assertion)) if kind == ASSERTION_TYPE => {
                let problem = check_assertion(assertion, &app.certificates, client_id, token_url, now);
                if let Err(why) = problem {
                    return Err(oauth_error(401, "invalid_client", 700027, &format!("Client assertion failed signature validation or its claims: {why}.")));
                }
                let jti = claims_of(assertion).and_then(|c| c["jti"].as_str().map(str::to_owned)).unwrap_or_default();
                if !self.assertion_ids.insert(jti) {
                    return Err(oauth_error(401, "invalid_client", 700025, "Client assertion was already used (jti replay)."));
                }
            }
            _ => return Err(oauth_error(400, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")),
        }
        let exp = now + self.token_lifetime;
        let roles: Vec<&str> = GRAPH_SCOPES
            .iter()
            .filter_map(|s| s.rsplit('/').next())
            .collect();
        let access = jwt(&json!({
            "aud": "https://graph.microsoft.com", "iss": format!("https://sts.windows.net/{}/", self.tenant_id),
            "iat": now.unix_timestamp(), "nbf": now.unix_timestamp(), "exp": exp.unix_timestamp(),
            "appid": client_id, "idtyp": "app", "roles": roles, "tid": self.tenant_id, "sub": client_id,
        }));
        self.access_tokens.insert(
            access.clone(),
            Issued {
                expires_at: exp,
                revoked: false,
            },
        );
        Ok((
            200,
            json!({"token_type": "Bearer", "expires_in": self.token_lifetime.as_secs(), "ext_expires_in": self.token_lifetime.as_secs(), "access_token": access}),
        ))
    }

    /// Access token, id_token (with `openid`) and refresh token (with `offline_access`).
    fn issue_delegated(&mut self, d: &Delegation, now: OffsetDateTime) -> (u16, Value) {
        self.serial += 1;
        let exp = now + self.token_lifetime;
        let graph: Vec<&str> = d
            .scopes
            .iter()
            .filter_map(|s| s.strip_prefix("https://graph.microsoft.com/"))
            .collect();
        let name = d.upn.split('@').next().unwrap_or_default().to_owned();
        let oid = format!("00000000-0000-4000-8000-{:012x}", self.serial);
        let access = jwt(&json!({
            "aud": "https://graph.microsoft.com", "iss": format!("https://sts.windows.net/{}/", self.tenant_id),
            "iat": now.unix_timestamp(), "nbf": now.unix_timestamp(), "exp": exp.unix_timestamp(),
            "appid": d.client_id, "name": name, "oid": oid, "scp": graph.join(" "), "tid": self.tenant_id, "upn": d.upn,
        }));
        self.access_tokens.insert(
            access.clone(),
            Issued {
                expires_at: exp,
                revoked: false,
            },
        );
        let mut body = json!({
            "token_type": "Bearer", "scope": d.scopes.iter().filter(|s| s.starts_with("https://")).cloned().collect::<Vec<_>>().join(" "),
            "expires_in": self.token_lifetime.as_secs(), "ext_expires_in": self.token_lifetime.as_secs(), "access_token": access,
        });
        if d.scopes.iter().any(|s| s == "openid") {
            body["id_token"] = json!(jwt(&json!({
                "aud": d.client_id, "iss": format!("https://login.microsoftonline.com/{}/v2.0", self.tenant_id),
                "iat": now.unix_timestamp(), "nbf": now.unix_timestamp(), "exp": exp.unix_timestamp(),
                "name": name, "oid": oid, "preferred_username": d.upn, "tid": self.tenant_id, "ver": "2.0",
            })));
        }
        if d.scopes.iter().any(|s| s == "offline_access") {
            let refresh = format!(
                "0.fake-rt.{}",
                random_text(
                    48,
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                )
            );
            self.refresh_tokens.insert(refresh.clone(), d.clone());
            body["refresh_token"] = json!(refresh);
        }
        (200, body)
    }
}
