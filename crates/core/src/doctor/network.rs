//! The staging network (issue 15 point 5): can the endpoints enrollment needs be reached from
//! the bench's network? Intune and its front door, Google's provisioning and Play endpoints,
//! Microsoft sign-in: read from `data/network-endpoints.json` ([`ENDPOINTS_JSON`]), each with
//! its source and the enrollment step that will likely fail without it.
//!
//! Each endpoint is one TCP connect per listed port, all at once, each within [`TIMEOUT`]. (No
//! TLS: a connect says the firewall lets the traffic out; SSL inspection and proxies cannot be
//! seen from here, so each failure's fix says where the sources forbid them.) A wildcard host
//! cannot be probed: the file names one concrete host for it (`representative_of`).
//!
//! Names are looked up by the system, unless a [`Resolver::Only`] override is given (tests, and
//! checking a host through a given address): then only the hosts it maps are tried, and no other
//! name is looked up, so a test never reaches the internet.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::{Check, CheckStatus};

/// The endpoints file built into the bench.
pub const ENDPOINTS_JSON: &str = include_str!("../../data/network-endpoints.json");

/// Environment variable giving a resolver override to the app's Bench health (same syntax as
/// [`Resolver::parse`], entries separated by commas): for tests and demos.
pub const RESOLVE_ENV: &str = "STAGEBENCH_NETWORK_RESOLVE";

/// How long one connect may take.
pub const TIMEOUT: Duration = Duration::from_secs(4);

/// The endpoints file.
#[derive(Debug, Clone, Deserialize)]
pub struct EndpointsFile {
    /// What the file is.
    pub about: String,
    /// Source id → the document, where it is and its date.
    pub sources: BTreeMap<String, String>,
    /// The endpoints, in the order checks are shown.
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint the staging network must let through.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    /// The host probed.
    pub host: String,
    /// The TCP ports probed (and to open).
    pub ports: Vec<u16>,
    /// The wildcard this host stands for, when it is StageBench's pick for one.
    #[serde(default)]
    pub representative_of: Option<String>,
    /// What it is for, as the source says.
    pub purpose: String,
    /// The enrollment step that will likely fail without it (StageBench's inference).
    pub step: String,
    /// A failure blocks staging (else a warning).
    pub required: bool,
    /// The source says traffic to it must not be SSL-inspected.
    #[serde(default)]
    pub no_inspection: bool,
    /// The source says it does not work through a proxy.
    #[serde(default)]
    pub no_proxy: bool,
    /// More for the network team.
    #[serde(default)]
    pub note: Option<String>,
    /// The source's id in [`EndpointsFile::sources`].
    pub source: String,
}

/// Why an endpoints file or a resolver override is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkSetupError {
    /// The endpoints file does not read.
    #[error("the network endpoints file does not read ({0}): fix its JSON")]
    BadFile(String),
    /// An endpoint names a source the file does not list.
    #[error("endpoint {host} names source {source_id}, which the endpoints file does not list: add it to \"sources\"")]
    UnknownSource {
        /// The endpoint.
        host: String,
        /// The source id it names.
        source_id: String,
    },
    /// A resolver override entry is not `HOST[:PORT]=IP:PORT`.
    #[error("resolver override {0:?} is not HOST[:PORT]=IP:PORT (or *=IP:PORT for every host)")]
    BadOverride(String),
}

impl EndpointsFile {
    /// Reads and checks an endpoints file (every endpoint's source listed).
    pub fn parse(json: &str) -> Result<EndpointsFile, NetworkSetupError> {
        let file: EndpointsFile =
            serde_json::from_str(json).map_err(|e| NetworkSetupError::BadFile(e.to_string()))?;
        if let Some(e) = file
            .endpoints
            .iter()
            .find(|e| !file.sources.contains_key(&e.source))
        {
            return Err(NetworkSetupError::UnknownSource {
                host: e.host.clone(),
                source_id: e.source.clone(),
            });
        }
        Ok(file)
    }

    /// The file built into the bench.
    pub fn builtin() -> EndpointsFile {
        EndpointsFile::parse(ENDPOINTS_JSON).expect("the built-in endpoints file reads")
    }
}

/// Where names go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Resolver {
    /// The system's resolver.
    #[default]
    System,
    /// Only these: `host:port` or `host` (any port) or `*` (every host) → address. Other hosts
    /// are not looked up.
    Only(BTreeMap<String, SocketAddr>),
}

impl Resolver {
    /// Reads override entries `HOST:PORT=IP:PORT`, `HOST=IP:PORT` or `*=IP:PORT`; none gives
    /// the system's resolver.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Resolver, NetworkSetupError> {
        let mut map = BTreeMap::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            let bad = || NetworkSetupError::BadOverride(entry.to_owned());
            let (name, addr) = entry.split_once('=').ok_or_else(bad)?;
            let addr: SocketAddr = addr.trim().parse().map_err(|_| bad())?;
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() {
                return Err(bad());
            }
            map.insert(name, addr);
        }
        Ok(if map.is_empty() {
            Resolver::System
        } else {
            Resolver::Only(map)
        })
    }

    /// The override in [`RESOLVE_ENV`], if set (comma-separated entries).
    pub fn from_env() -> Result<Resolver, NetworkSetupError> {
        let value = std::env::var(RESOLVE_ENV).unwrap_or_default();
        let entries: Vec<&str> = value.split(',').filter(|e| !e.trim().is_empty()).collect();
        Resolver::parse(&entries)
    }

    /// The addresses for `host:port`, or why there are none.
    async fn addresses(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        match self {
            Resolver::System => tokio::net::lookup_host((host, port))
                .await
                .map(|a| a.collect())
                .map_err(|e| format!("its name does not resolve ({e})")),
            Resolver::Only(map) => {
                let host = host.to_ascii_lowercase();
                [format!("{host}:{port}"), host, "*".to_owned()]
                    .iter()
                    .find_map(|k| map.get(k))
                    .map(|a| vec![*a])
                    .ok_or_else(|| "not in the resolver override, so not tried".to_owned())
            }
        }
    }
}

/// One port's outcome: the address tried, or why it failed.
async fn probe(resolver: &Resolver, host: &str, port: u16) -> Result<SocketAddr, String> {
    let addresses = resolver.addresses(host, port).await?;
    let mut last = format!("{host} resolves to no address");
    for addr in addresses {
        match tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(addr),
            Ok(Err(e)) => last = format!("connecting to {addr} failed ({e})"),
            Err(_) => {
                last = format!(
                    "connecting to {addr} timed out after {}s",
                    TIMEOUT.as_secs()
                )
            }
        }
    }
    Err(last)
}

/// Checks every endpoint of `file` through `resolver`: one check per endpoint (`net-<host>`),
/// in the file's order.
pub async fn run(file: &EndpointsFile, resolver: &Resolver) -> Vec<Check> {
    let probes = file.endpoints.iter().map(|e| async move {
        let mut outcomes = Vec::new();
        for port in &e.ports {
            outcomes.push((*port, probe(resolver, &e.host, *port).await));
        }
        outcomes
    });
    let outcomes = futures_util::future::join_all(probes).await;
    file.endpoints
        .iter()
        .zip(outcomes)
        .map(|(e, outcome)| check_of(file, e, &outcome, resolver))
        .collect()
}

/// The built-in endpoints through the override in [`RESOLVE_ENV`] (the app's Bench health);
/// a bad override is one failed check.
pub async fn run_from_env() -> Vec<Check> {
    match Resolver::from_env() {
        Ok(resolver) => run(&EndpointsFile::builtin(), &resolver).await,
        Err(e) => vec![Check::new(
            "net-resolver",
            CheckStatus::Fail,
            e.to_string(),
            Some(format!("fix or unset {RESOLVE_ENV}")),
        )],
    }
}

fn check_of(
    file: &EndpointsFile,
    e: &Endpoint,
    outcome: &[(u16, Result<SocketAddr, String>)],
    resolver: &Resolver,
) -> Check {
    let shown = match &e.representative_of {
        Some(wild) => format!("{} (standing for {wild})", e.host),
        None => e.host.clone(),
    };
    let failed: Vec<String> = outcome
        .iter()
        .filter_map(|(port, r)| r.as_ref().err().map(|why| format!("TCP {port}: {why}")))
        .collect();
    let id = format!("net-{}", e.host);
    if failed.is_empty() {
        let via = match resolver {
            Resolver::System => String::new(),
            Resolver::Only(_) => {
                let addrs: Vec<String> = outcome
                    .iter()
                    .filter_map(|(_, r)| r.as_ref().ok().map(|a| a.to_string()))
                    .collect();
                format!(" through the resolver override ({})", addrs.join(", "))
            }
        };
        let ports: Vec<String> = e.ports.iter().map(u16::to_string).collect();
        return Check::new(
            &id,
            CheckStatus::Ok,
            format!(
                "{shown} reachable on TCP {}{via}: {}",
                ports.join(", "),
                e.purpose
            ),
            None,
        );
    }
    let ports: Vec<String> = e.ports.iter().map(u16::to_string).collect();
    let mut open = format!("allow TCP {} to {}", ports.join(" and "), e.host);
    if let Some(wild) = &e.representative_of {
        open.push_str(&format!(" ({wild})"));
    }
    if e.no_inspection {
        open.push_str(", and do not SSL-inspect it");
    }
    if e.no_proxy {
        open.push_str(", directly (it does not work through a proxy)");
    }
    open.push('.');
    if let Some(note) = &e.note {
        open.push(' ');
        open.push_str(note);
    }
    let source = file.sources.get(&e.source).cloned().unwrap_or_default();
    Check {
        step: Some(e.step.clone()),
        ..Check::new(
            &id,
            if e.required {
                CheckStatus::Fail
            } else {
                CheckStatus::Warn
            },
            format!(
                "{shown} is not reachable ({}): {}. Likely failing step: {}.",
                failed.join("; "),
                e.purpose,
                e.step
            ),
            Some(format!(
                "Ask the network team to {open} (Source: {source}.)"
            )),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_reads_and_every_endpoint_has_a_dated_source_and_a_step() {
        let file = EndpointsFile::builtin();
        assert!(file.endpoints.len() >= 15);
        for e in &file.endpoints {
            let source = &file.sources[&e.source];
            // A source says its date, or that it has none.
            let dated = source.contains("ms.date") || source.contains("no date");
            assert!(
                dated && !e.step.is_empty() && !e.ports.is_empty(),
                "{}",
                e.host
            );
        }
        for needed in [
            "manage.microsoft.com",
            "login.microsoftonline.com",
            "play.google.com",
            "fcm.googleapis.com",
        ] {
            assert!(file.endpoints.iter().any(|e| e.host == needed), "{needed}");
        }
    }

    #[test]
    fn an_endpoint_with_an_unlisted_source_is_refused() {
        let json = r#"{"about": "", "sources": {}, "endpoints": [{"host": "a.example", "ports": [443], "purpose": "p", "step": "s", "required": true, "source": "X"}]}"#;
        assert!(matches!(
            EndpointsFile::parse(json),
            Err(NetworkSetupError::UnknownSource { .. })
        ));
    }

    #[test]
    fn overrides_read_host_port_host_and_star() {
        assert_eq!(Resolver::parse::<&str>(&[]).unwrap(), Resolver::System);
        let Resolver::Only(map) =
            Resolver::parse(&["Manage.Microsoft.com:443=127.0.0.1:9", "*=127.0.0.1:10"]).unwrap()
        else {
            panic!("an override")
        };
        assert_eq!(map["manage.microsoft.com:443"].port(), 9);
        assert_eq!(map["*"].port(), 10);
        for bad in ["nothing", "a=b", "=127.0.0.1:1"] {
            assert!(Resolver::parse(&[bad]).is_err(), "{bad}");
        }
    }

    /// Every endpoint pointed at a loopback listener passes; one pointed at a closed port fails
    /// naming its likely failing step and what to open, with its source and date; a host the
    /// override does not map is not looked up.
    #[tokio::test]
    async fn loopback_listeners_pass_and_a_closed_one_names_the_failing_step() {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let star = format!("*={}", open.local_addr().unwrap());
        let file = EndpointsFile::builtin();
        let all = run(&file, &Resolver::parse(&[star.as_str()]).unwrap()).await;
        assert_eq!(all.len(), file.endpoints.len());
        assert!(all.iter().all(|c| c.status == CheckStatus::Ok), "{all:#?}");
        let shut = format!("manage.microsoft.com:443={closed}");
        let checks = run(
            &file,
            &Resolver::parse(&[star.as_str(), shut.as_str()]).unwrap(),
        )
        .await;
        let bad: Vec<&Check> = checks
            .iter()
            .filter(|c| c.status != CheckStatus::Ok)
            .collect();
        assert_eq!(bad.len(), 1, "{bad:#?}");
        let c = bad[0];
        assert_eq!(
            (c.id.as_str(), c.status),
            ("net-manage.microsoft.com", CheckStatus::Fail)
        );
        assert!(
            c.message.contains("Likely failing step") && c.message.contains("stage 2"),
            "{}",
            c.message
        );
        assert!(c
            .step
            .as_deref()
            .is_some_and(|s| s.contains("Staging_<serial>")));
        let fix = c.fix.as_deref().unwrap();
        assert!(
            fix.contains("allow TCP 443 and 80 to manage.microsoft.com")
                && fix.contains("do not SSL-inspect")
                && fix.contains("2026-08-21"),
            "{fix}"
        );
        let only =
            Resolver::parse(&[format!("play.google.com={}", open.local_addr().unwrap())]).unwrap();
        let checks = run(&file, &only).await;
        let login = checks
            .iter()
            .find(|c| c.id == "net-login.microsoftonline.com")
            .unwrap();
        assert!(login.message.contains("not in the resolver override"));
    }
}
