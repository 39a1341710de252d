//! Where the bench signs in and calls Graph ([`Endpoints`]), and the rule for replacing them.
//!
//! The sign-in address receives the refresh token and the app's credentials; Graph receives the
//! bearer token. So an address is `https://`, or plain `http://` to this computer only
//! (127.0.0.0/8, `::1`, `localhost`: the fake tenant of tests and demos). Whoever builds a
//! client checks it ([`Endpoints::check`]), before anything is sent. The environment's
//! overrides ([`AUTHORITY_ENV`], [`GRAPH_URL_ENV`]) are stricter still: plain HTTP even to this
//! computer needs [`ALLOW_HTTP_LOOPBACK_ENV`]` = 1`, which the test harness and the simulator
//! set, and every override is named to the user ([`overrides_from_env`]) so a bench never
//! talks to a replaced address unseen.

use std::net::IpAddr;

use reqwest::Url;

/// Environment variable replacing the identity platform's address (tests point it at the fake).
pub const AUTHORITY_ENV: &str = "STAGEBENCH_AUTHORITY";

/// Environment variable replacing Graph's base URL (tests point it at the fake).
pub const GRAPH_URL_ENV: &str = "STAGEBENCH_GRAPH_URL";

/// Environment variable that allows overrides over plain `http://` to this computer (`1`); for
/// tests and demos against the fake tenant. Without it, only `https://` overrides are used.
pub const ALLOW_HTTP_LOOPBACK_ENV: &str = "STAGEBENCH_ALLOW_HTTP_LOOPBACK";

/// Where the bench signs in and where it calls Graph. Real Microsoft endpoints by default; the
/// fake tenant of the `testing` feature (`testing::graph`) serves both on 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The Microsoft identity platform, without a trailing slash
    /// (`https://login.microsoftonline.com`); `/{tenant}/oauth2/v2.0/…` is appended.
    pub authority: String,
    /// Graph beta, without a trailing slash (`https://graph.microsoft.com/beta`).
    pub graph: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            authority: "https://login.microsoftonline.com".into(),
            graph: "https://graph.microsoft.com/beta".into(),
        }
    }
}

/// Which address, for messages: the variable that set it, or what it is for.
const AUTHORITY: &str = "the sign-in address";
const GRAPH: &str = "the Graph address";

/// Why an address is not used. Nothing has been sent when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL at all.
    #[error("{source_name} = {value} is not a URL ({reason}): give an https:// address, or unset it for Microsoft's")]
    NotUrl {
        /// The environment variable, or which address.
        source_name: String,
        /// What it was set to.
        value: String,
        /// The parser's reason.
        reason: String,
    },
    /// Plain HTTP (or another scheme) to another computer: tokens would cross the network
    /// readable by anyone on the way.
    #[error("{source_name} = {value} is refused: tokens are only sent over https:// (plain http:// only to this computer, for tests); nothing was sent. Use an https:// address, or unset it for Microsoft's")]
    NotHttps {
        /// The environment variable, or which address.
        source_name: String,
        /// What it was set to.
        value: String,
    },
    /// Plain HTTP to this computer, without the test-and-demo switch.
    #[error("{source_name} = {value} is refused: plain http:// is for tests and demos on this computer and needs {ALLOW_HTTP_LOOPBACK_ENV}=1; nothing was sent. Use an https:// address, or set {ALLOW_HTTP_LOOPBACK_ENV}=1 for the fake tenant")]
    HttpNotAllowed {
        /// The environment variable.
        source_name: String,
        /// What it was set to.
        value: String,
    },
}

/// A URL's scheme, once read: secure, plain HTTP to this computer, or neither.
#[derive(Debug, PartialEq, Eq)]
enum Transport {
    Https,
    LoopbackHttp,
    Other,
}

fn transport(source_name: &str, value: &str) -> Result<Transport, EndpointError> {
    let url = Url::parse(value).map_err(|e| EndpointError::NotUrl {
        source_name: source_name.to_owned(),
        value: value.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(match url.scheme() {
        "https" => Transport::Https,
        "http" if is_loopback(&url) => Transport::LoopbackHttp,
        _ => Transport::Other,
    })
}

/// Whether `url`'s host is this computer: 127.0.0.0/8, `::1` or `localhost`. Other names are
/// not resolved: a name that resolves to loopback today may not tomorrow.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// `value` as an address tokens may be sent to: https, or http to this computer when
/// `allow_loopback_http`.
fn check_url(
    source_name: &str,
    value: &str,
    allow_loopback_http: bool,
) -> Result<(), EndpointError> {
    let refused = |loopback: bool| {
        let (source_name, value) = (source_name.to_owned(), value.to_owned());
        if loopback {
            EndpointError::HttpNotAllowed { source_name, value }
        } else {
            EndpointError::NotHttps { source_name, value }
        }
    };
    match transport(source_name, value)? {
        Transport::Https => Ok(()),
        Transport::LoopbackHttp if allow_loopback_http => Ok(()),
        Transport::LoopbackHttp => Err(refused(true)),
        Transport::Other => Err(refused(false)),
    }
}

impl Endpoints {
    /// Refuses a sign-in address that is not `https://` or plain HTTP to this computer. Checked
    /// before any sign-in request.
    pub fn check_authority(&self) -> Result<(), EndpointError> {
        check_url(AUTHORITY, &self.authority, true)
    }

    /// Refuses a Graph address that is not `https://` or plain HTTP to this computer. Checked
    /// before any Graph request.
    pub fn check_graph(&self) -> Result<(), EndpointError> {
        check_url(GRAPH, &self.graph, true)
    }

    /// Both checks.
    pub fn check(&self) -> Result<(), EndpointError> {
        self.check_authority().and(self.check_graph())
    }

    /// The endpoints `lookup` names (an environment), Microsoft's where it names none: each
    /// override must be `https://`, or plain HTTP to this computer when `lookup` sets
    /// [`ALLOW_HTTP_LOOPBACK_ENV`] to `1`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Endpoints, EndpointError> {
        let allow = lookup(ALLOW_HTTP_LOOPBACK_ENV).is_some_and(|v| v.trim() == "1");
        let mut endpoints = Endpoints::default();
        for o in overrides_from(&lookup) {
            check_url(o.variable, &o.url, allow)?;
            match o.variable {
                AUTHORITY_ENV => endpoints.authority = o.url,
                _ => endpoints.graph = o.url,
            }
        }
        Ok(endpoints)
    }
}

/// An address replaced by the environment, to warn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOverride {
    /// The variable ([`AUTHORITY_ENV`] or [`GRAPH_URL_ENV`]).
    pub variable: &'static str,
    /// The address it names (trimmed, no trailing slash).
    pub url: String,
}

impl std::fmt::Display for EndpointOverride {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, sent) = match self.variable {
            AUTHORITY_ENV => ("sign-in", "the refresh token and app credentials"),
            _ => ("Graph", "the access token"),
        };
        write!(
            f,
            "{} replaces Microsoft's {what} address with {}: {sent} go there",
            self.variable, self.url
        )
    }
}

fn overrides_from(lookup: &impl Fn(&str) -> Option<String>) -> Vec<EndpointOverride> {
    [AUTHORITY_ENV, GRAPH_URL_ENV]
        .into_iter()
        .filter_map(|variable| {
            let url = lookup(variable)?.trim().trim_end_matches('/').to_owned();
            (!url.is_empty()).then_some(EndpointOverride { variable, url })
        })
        .collect()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The addresses the environment replaces, for a warning (not checked: see
/// [`endpoints_from_env`]).
pub fn overrides_from_env() -> Vec<EndpointOverride> {
    overrides_from(&env)
}

/// Microsoft's endpoints, each replaced by [`AUTHORITY_ENV`] / [`GRAPH_URL_ENV`] when set and
/// not empty, under the rule of [`Endpoints::from_lookup`].
pub fn endpoints_from_env() -> Result<Endpoints, EndpointError> {
    Endpoints::from_lookup(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn overrides_must_be_https_and_loopback_http_needs_the_switch() {
        let https = [
            (AUTHORITY_ENV, "https://login.example.test/ "),
            (GRAPH_URL_ENV, "https://graph.example.test/beta/"),
        ];
        let e = Endpoints::from_lookup(lookup(&https)).unwrap();
        assert_eq!(e.authority, "https://login.example.test");
        assert_eq!(e.graph, "https://graph.example.test/beta");
        for remote in [
            "http://10.0.0.5:8080",
            "http://login.example.test",
            "http://127.0.0.1.nip.io",
            "ftp://127.0.0.1",
        ] {
            let err = Endpoints::from_lookup(lookup(&[
                (GRAPH_URL_ENV, remote),
                (ALLOW_HTTP_LOOPBACK_ENV, "1"),
            ]))
            .unwrap_err();
            assert!(matches!(err, EndpointError::NotHttps { .. }), "{remote}");
            let text = err.to_string();
            assert!(
                text.contains(GRAPH_URL_ENV) && text.contains(remote),
                "{text}"
            );
        }
        for local in [
            "http://127.0.0.1:9",
            "http://[::1]:80",
            "http://LOCALHOST:1",
        ] {
            let err = Endpoints::from_lookup(lookup(&[(AUTHORITY_ENV, local)])).unwrap_err();
            assert!(
                matches!(err, EndpointError::HttpNotAllowed { .. })
                    && err.to_string().contains(ALLOW_HTTP_LOOPBACK_ENV),
                "{err}"
            );
            let allowed = [(AUTHORITY_ENV, local), (ALLOW_HTTP_LOOPBACK_ENV, "1")];
            assert!(Endpoints::from_lookup(lookup(&allowed)).is_ok(), "{local}");
        }
        assert!(matches!(
            Endpoints::from_lookup(lookup(&[(AUTHORITY_ENV, "login")])),
            Err(EndpointError::NotUrl { .. })
        ));
        assert_eq!(
            Endpoints::from_lookup(lookup(&[(AUTHORITY_ENV, "  ")])).unwrap(),
            Endpoints::default()
        );
    }

    #[test]
    fn built_endpoints_allow_loopback_http_only_and_overrides_are_worded() {
        let fake = Endpoints {
            authority: "http://127.0.0.1:4000".into(),
            graph: "http://127.0.0.1:4000/beta".into(),
        };
        assert!(fake.check().is_ok() && Endpoints::default().check().is_ok());
        let remote = Endpoints {
            graph: "http://192.0.2.1/beta".into(),
            ..fake
        };
        assert!(remote.check_authority().is_ok());
        assert!(remote
            .check_graph()
            .unwrap_err()
            .to_string()
            .contains("Graph address"));
        let o = overrides_from(&lookup(&[(AUTHORITY_ENV, "https://a.test/")]));
        assert_eq!(
            o[0].to_string(),
            "STAGEBENCH_AUTHORITY replaces Microsoft's sign-in address with https://a.test: the refresh token and app credentials go there"
        );
    }
}
