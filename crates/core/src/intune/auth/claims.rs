//! What a token says about who signed in, read for display only.
//!
//! Microsoft's guidance is that clients treat access tokens as opaque; the bench only reads the
//! JWT payload (base64url JSON, RFC 7519 §3) of the id_token and access token to *show* who is
//! signed in, to which tenant and with which permissions. Nothing is decided on these claims and
//! no signature is checked here: the identity platform and Graph do that.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

/// base64url without padding (JWT segments, the `x5t` thumbprint).
pub(crate) fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url, with or without padding.
pub(crate) fn from_base64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// The claims StageBench shows (Entra access token and id_token claim names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenClaims {
    /// User principal name (access tokens of work accounts).
    #[serde(default)]
    pub upn: Option<String>,
    /// The sign-in name (id_token, v2 access tokens).
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The tenant id.
    #[serde(default)]
    pub tid: Option<String>,
    /// Delegated permissions, space-separated.
    #[serde(default)]
    pub scp: Option<String>,
    /// Application permissions (app-only tokens).
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The client id the token was issued to (v1 access tokens).
    #[serde(default)]
    pub appid: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<i64>,
}

impl TokenClaims {
    /// The payload of a JWT (`header.payload.signature`), or `None` when `token` is not one.
    pub fn of(token: &str) -> Option<TokenClaims> {
        let mut parts = token.split('.');
        let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        serde_json::from_slice(&from_base64url(payload)?).ok()
    }

    /// Who: the UPN, else the preferred username.
    pub fn account(&self) -> Option<&str> {
        self.upn
            .as_deref()
            .or(self.preferred_username.as_deref())
            .filter(|a| !a.is_empty())
    }

    /// The permissions: delegated scopes, or app roles.
    pub fn permissions(&self) -> Vec<String> {
        match (&self.scp, &self.roles) {
            (Some(scp), _) => scp.split_whitespace().map(str::to_owned).collect(),
            (None, Some(roles)) => roles.clone(),
            (None, None) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_payload_of_a_jwt_and_nothing_else() {
        let payload =
            base64url(br#"{"upn":"tech@contoso.com","tid":"t1","scp":"A.Read B.Write","exp":5}"#);
        let claims = TokenClaims::of(&format!("eyJhbGciOiJub25lIn0.{payload}.sig")).unwrap();
        assert_eq!(claims.account(), Some("tech@contoso.com"));
        assert_eq!(claims.permissions(), ["A.Read", "B.Write"]);
        assert_eq!((claims.tid.as_deref(), claims.exp), (Some("t1"), Some(5)));
        let app = base64url(br#"{"roles":["R.All"],"appid":"c1"}"#);
        let claims = TokenClaims::of(&format!("h.{app}.s")).unwrap();
        assert_eq!(
            (claims.account(), claims.permissions()),
            (None, vec!["R.All".to_owned()])
        );
        for opaque in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "a.!!.c",
            &format!("h.{}.s", base64url(b"[1]")),
        ] {
            assert_eq!(TokenClaims::of(opaque), None, "{opaque}");
        }
        assert_eq!(from_base64url("aGk="), Some(b"hi".to_vec()));
    }
}
