//! Where `stagebench` sends its tokens (issue 13, finding 3), against the fake tenant and a bare
//! TCP listener standing in for a hostile address: a replaced sign-in or Graph address over
//! plain HTTP to another computer, or to this one without `STAGEBENCH_ALLOW_HTTP_LOOPBACK=1`, is
//! refused before anything is sent, naming the variable; every replacement is named in a
//! warning; and the refresh token kept for one sign-in address is never sent to another.
//! Secrets go to the real OS keyring (`scripts/test-env.sh`).

use std::io::ErrorKind;
use std::net::{IpAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use stagebench_core::testing::graph::FakeGraph;
use stagebench_e2e::built_binary;
use stagebench_e2e::tenant::client_id;

const UPN: &str = "tech@contoso.onmicrosoft.com";

/// Runs `stagebench args…` with `env` (and nothing else of ours), off the runtime's threads so
/// the fake keeps answering.
async fn stagebench(data: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(built_binary("stagebench"));
    cmd.args(args)
        .env("STAGEBENCH_DATA_DIR", data)
        .env_remove("STAGEBENCH_AUTHORITY")
        .env_remove("STAGEBENCH_GRAPH_URL")
        .env_remove("STAGEBENCH_ALLOW_HTTP_LOOPBACK")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("stagebench runs"))
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The fake tenant's addresses, allowed over plain HTTP to this computer.
fn at_fake(fake: &FakeGraph) -> Vec<(&'static str, String)> {
    vec![
        ("STAGEBENCH_AUTHORITY", fake.authority_url()),
        ("STAGEBENCH_GRAPH_URL", fake.base_url()),
        ("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1".to_owned()),
    ]
}

/// A listener on every interface, and this machine's outward IP when it has one (a UDP
/// `connect` picks the route; nothing is sent).
fn listener() -> (TcpListener, u16, Option<IpAddr>) {
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let outward = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    (listener, port, outward)
}

/// Nobody connected. The command has exited, so a connection it made already sits in the
/// listener's backlog.
#[track_caller]
fn nothing_arrived(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("{from} connected: a token may have been sent"),
        Err(e) => panic!("accept: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_address_gets_no_token_unless_https_and_bound() {
    let fake = FakeGraph::start().await.unwrap();
    fake.approve_all_as(UPN, 0);
    let data = tempfile::tempdir().unwrap();
    let client = client_id();
    let out = stagebench(
        data.path(),
        &at_fake(&fake),
        &[
            "login",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--client-id",
            &client,
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "login: {}\n(a keyring error means no Secret Service: run under scripts/test-env.sh)",
        text(&out.stderr)
    );
    let warned = text(&out.stderr);
    assert!(
        warned.contains(&format!(
            "warning: STAGEBENCH_AUTHORITY replaces Microsoft's sign-in address with {}",
            fake.authority_url()
        )) && warned.contains("warning: STAGEBENCH_GRAPH_URL replaces"),
        "{warned}"
    );

    let (listen, port, outward) = listener();
    // Plain HTTP to another computer: refused even with the switch, nothing sent.
    let elsewhere = format!(
        "http://{}:{port}",
        outward.unwrap_or(IpAddr::from([192, 0, 2, 1]))
    );
    for variable in ["STAGEBENCH_AUTHORITY", "STAGEBENCH_GRAPH_URL"] {
        let mut env = at_fake(&fake);
        env.retain(|(k, _)| *k != variable);
        env.push((variable, elsewhere.clone()));
        let out = stagebench(data.path(), &env, &["whoami"]).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{variable}: {err}");
        assert!(
            err.contains(&format!("{variable} = {elsewhere} is refused"))
                && err.contains("https://")
                && err.contains("nothing was sent"),
            "{err}"
        );
    }
    nothing_arrived(&listen);

    // Plain HTTP to this computer without the switch: refused too.
    let local = format!("http://127.0.0.1:{port}");
    let out = stagebench(
        data.path(),
        &[
            ("STAGEBENCH_AUTHORITY", local.clone()),
            ("STAGEBENCH_GRAPH_URL", fake.base_url()),
        ],
        &["whoami"],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("STAGEBENCH_ALLOW_HTTP_LOOPBACK=1") && err.contains(&local),
        "{err}"
    );
    nothing_arrived(&listen);

    // Allowed, but another sign-in address than the one the token was kept for: no token.
    let mut env = at_fake(&fake);
    env[0].1 = local.clone();
    let out = stagebench(data.path(), &env, &["whoami"]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("stagebench login"), "{err}");
    nothing_arrived(&listen);

    // At the address it was kept for, the token still works; then sign out.
    let out = stagebench(data.path(), &at_fake(&fake), &["whoami"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = stagebench(data.path(), &at_fake(&fake), &["logout"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}
