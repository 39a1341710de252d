//! Where tokens may go (issue 13, finding 3): a sign-in or Graph address over plain HTTP to
//! another computer is refused before anything is sent, plain HTTP to this computer only with
//! the test switch, and a refresh token kept for one sign-in address is never sent to another.

mod support;

use std::io::ErrorKind;
use std::net::{IpAddr, TcpListener, UdpSocket};
use std::sync::Arc;

use stagebench_core::intune::auth::{
    MemoryKeyring, SecretKind, SecretStore, SignIn, SignInMode, ALLOW_HTTP_LOOPBACK_ENV,
    AUTHORITY_ENV, GRAPH_URL_ENV,
};
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::intune::{EndpointError, Endpoints, SignInError, StaticToken, TokenSource};
use stagebench_core::secret::SecretText;
use stagebench_core::testing::graph::FakeGraph;
use support::auth::{bench, settings, UPN};

/// A listener on every interface and the address another computer would use to reach it:
/// this machine's outward IP when it has one (a UDP `connect` picks the route, nothing is
/// sent), else loopback.
fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let outward = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    (listener, format!("http://{outward}:{port}"))
}

/// Nobody connected: every call under test returned before the assertion, with no task left
/// running, so a connection made would already sit in the listener's backlog.
#[track_caller]
fn nothing_arrived(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("{from} connected: a token may have been sent"),
        Err(e) => panic!("accept: {e}"),
    }
}

#[tokio::test]
async fn plain_http_elsewhere_is_refused_before_anything_is_sent() {
    let (listen, url) = listener();
    let elsewhere = url.replace("127.0.0.1", "192.0.2.1");
    let env = |vars: Vec<(&'static str, String)>| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let e = Endpoints::from_lookup(env(vec![
        (AUTHORITY_ENV, elsewhere.clone()),
        (ALLOW_HTTP_LOOPBACK_ENV, "1".into()),
    ]))
    .unwrap_err();
    assert!(matches!(e, EndpointError::NotHttps { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(
        shown.contains(AUTHORITY_ENV) && shown.contains(&elsewhere) && shown.contains("https://"),
        "{shown}"
    );
    let e = Endpoints::from_lookup(env(vec![(GRAPH_URL_ENV, format!("{elsewhere}/beta"))]))
        .unwrap_err();
    assert!(e.to_string().contains(GRAPH_URL_ENV), "{e}");

    // Built by hand, the addresses are refused too, by whoever would send the token.
    let keyring = MemoryKeyring::new();
    let s = settings(SignInMode::DeviceCode);
    let token = SecretText::new("0.A-refresh-token-for-the-real-tenant");
    keyring
        .set(
            &SecretKind::RefreshToken.name(&Endpoints::default().authority, &s),
            &token,
        )
        .await
        .unwrap();
    let hostile = Endpoints {
        authority: elsewhere.clone(),
        graph: format!("{elsewhere}/beta"),
    };
    let refused = SignIn::new(
        hostile.clone(),
        Arc::new(keyring.clone()),
        Arc::new(stagebench_core::clock::SystemClock),
    )
    .unwrap_err();
    assert!(matches!(refused, SignInError::Endpoint(_)), "{refused:?}");
    let graph = GraphClient::new(&hostile, Arc::new(StaticToken(token.clone()))).unwrap_err();
    assert!(graph.to_string().contains(&elsewhere), "{graph}");
    if !url.contains("127.0.0.1") {
        // This machine's own outward address: a real listener another computer could reach.
        let reachable = Endpoints {
            authority: url.clone(),
            graph: format!("{url}/beta"),
        };
        assert!(SignIn::new(
            reachable.clone(),
            Arc::new(keyring),
            Arc::new(stagebench_core::clock::SystemClock)
        )
        .is_err());
        assert!(GraphClient::new(&reachable, Arc::new(StaticToken(token))).is_err());
    }
    nothing_arrived(&listen);
}

#[tokio::test]
async fn plain_http_to_this_computer_needs_the_switch() {
    let (listen, url) = listener();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let local = format!("http://127.0.0.1:{port}");
    let vars = [
        (AUTHORITY_ENV, local.clone()),
        (GRAPH_URL_ENV, local.clone()),
    ];
    let lookup = |allow: bool| {
        let vars = vars.clone();
        move |name: &str| {
            if allow && name == ALLOW_HTTP_LOOPBACK_ENV {
                return Some("1".to_owned());
            }
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let e = Endpoints::from_lookup(lookup(false)).unwrap_err();
    assert!(
        matches!(e, EndpointError::HttpNotAllowed { .. })
            && e.to_string().contains(ALLOW_HTTP_LOOPBACK_ENV)
            && e.to_string().contains(&local),
        "{e}"
    );
    let allowed = Endpoints::from_lookup(lookup(true)).unwrap();
    assert_eq!(
        (allowed.authority.as_str(), allowed.graph.as_str()),
        (local.as_str(), local.as_str())
    );
    nothing_arrived(&listen);
}

#[tokio::test]
async fn a_refresh_token_kept_for_one_authority_is_not_sent_to_another() {
    let a = bench().await;
    a.fake.approve_all_as(UPN, 0);
    let s = settings(SignInMode::DeviceCode);
    let session = a
        .sign_in
        .start_device_code(&s)
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    let s = session.settings();
    let kept = a.refresh_token(&s).await.expect("a refresh token is kept");

    // Another sign-in address, sharing the keyring: it finds no refresh token of its own.
    let b = FakeGraph::start().await.unwrap();
    let at_b = SignIn::new(
        b.endpoints(),
        Arc::new(a.keyring.clone()),
        Arc::new(a.clock.clone()),
    )
    .unwrap();
    let resumed = at_b.resume(&s).unwrap();
    let e = resumed.access_token().await.unwrap_err();
    assert!(matches!(e, SignInError::NotSignedIn), "{e:?}");
    assert!(
        b.identity_requests().is_empty(),
        "B was sent nothing: {:?}",
        b.identity_requests()
    );

    // An entry of an older version (not bound to an address) is refused there as well.
    a.keyring
        .set(
            &SecretKind::RefreshToken.legacy_name(&s),
            &SecretText::new(kept.clone()),
        )
        .await
        .unwrap();
    let e = at_b.resume(&s).unwrap().access_token().await.unwrap_err();
    assert!(
        matches!(&e, SignInError::SignInAgain { reason, .. } if reason.contains(&b.authority_url())),
        "{e:?}"
    );
    assert!(b.identity_requests().is_empty());

    // Signing out removes the bound entry and the old one.
    session.sign_out().await.unwrap();
    assert!(a.keyring.names().is_empty(), "{:?}", a.keyring.names());
}
