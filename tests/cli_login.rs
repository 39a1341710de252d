//! `stagebench login`, `whoami` and `logout` as a technician runs them, against the fake
//! identity platform and Graph (`stagebench_core::testing::graph`) started in this test process
//! and reached through `STAGEBENCH_AUTHORITY` / `STAGEBENCH_GRAPH_URL`. Secrets go to the real
//! OS keyring: on Linux the private gnome-keyring that `scripts/test-env.sh` starts (`make test`
//! runs every test inside it).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use stagebench_core::testing::graph::FakeGraph;
use stagebench_e2e::built_binary;
use stagebench_e2e::tenant::client_id;

const UPN: &str = "tech@contoso.onmicrosoft.com";
const TENANT: &str = "contoso.onmicrosoft.com";
const SECRET: &str = "Zx9~cli.client-secret_VALUE";

/// Runs `stagebench args…` against `fake`, with `stdin` piped in, off the runtime's threads so
/// the fake keeps answering.
async fn stagebench(fake: &FakeGraph, data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(built_binary("stagebench"));
    cmd.args(args)
        .env("STAGEBENCH_DATA_DIR", data)
        .env("STAGEBENCH_AUTHORITY", fake.authority_url())
        .env("STAGEBENCH_GRAPH_URL", fake.base_url())
        .env("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let input = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("stagebench starts");
        if let (Some(text), Some(mut pipe)) = (input, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("stdin written");
        }
        child.wait_with_output().expect("stagebench finishes")
    })
    .await
    .expect("the command thread")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}\n(a keyring error means no Secret Service: run the tests under scripts/test-env.sh, as `make test` does)",
        text(&out.stderr)
    );
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_login_whoami_and_logout() {
    let fake = FakeGraph::start().await.unwrap();
    fake.set_poll_interval(1);
    fake.approve_all_as(UPN, 1);
    let data = tempfile::tempdir().unwrap();
    let client = client_id();

    let out = stagebench(
        &fake,
        data.path(),
        &[
            "login",
            "--tenant",
            TENANT,
            "--client-id",
            &client,
            "--json",
        ],
        None,
    )
    .await;
    assert_ok(&out, "login");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "a prompt, then who signed in: {lines:?}");
    assert_eq!(lines[0]["event"], "prompt");
    let user_code = lines[0]["user_code"].as_str().unwrap();
    assert_eq!(
        lines[0]["verification_uri"],
        "https://microsoft.com/devicelogin"
    );
    assert!(lines[0]["message"].as_str().unwrap().contains(user_code));
    assert_eq!(lines[1]["event"], "signed-in");
    assert_eq!(lines[1]["account"], UPN);
    assert_eq!(
        fake.device_code_polls(user_code).len(),
        2,
        "one pending poll, then approved"
    );
    assert_eq!(fake.too_fast_polls(), 0);

    let out = stagebench(&fake, data.path(), &["whoami"], None).await;
    assert_ok(&out, "whoami");
    let shown = text(&out.stdout);
    assert!(
        shown.contains(UPN) && shown.contains(TENANT) && shown.contains(&fake.tenant_id()),
        "{shown}"
    );
    assert!(
        shown.contains("device-code")
            && shown.contains("DeviceManagementManagedDevices.ReadWrite.All"),
        "{shown}"
    );
    assert_eq!(
        fake.identity_requests()
            .iter()
            .filter(|r| *r == "refresh_token")
            .count(),
        1,
        "a new process refreshes from the keyring"
    );

    let out = stagebench(&fake, data.path(), &["whoami", "--json"], None).await;
    assert_ok(&out, "whoami --json");
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            me["account"].as_str(),
            me["client_id"].as_str(),
            me["app_only"].as_bool()
        ),
        (Some(UPN), Some(client.as_str()), Some(false))
    );
    assert!(
        me["access_token_expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{me}"
    );

    let out = stagebench(&fake, data.path(), &["logout"], None).await;
    assert_ok(&out, "logout");
    assert!(text(&out.stdout).contains(UPN));
    let out = stagebench(&fake, data.path(), &["logout", "--json"], None).await;
    assert_ok(&out, "logout again");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["signed_out"],
        serde_json::Value::Null
    );

    let out = stagebench(&fake, data.path(), &["whoami"], None).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("not signed in") && err.contains("stagebench login"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_login_prints_the_code_and_link_then_who_signed_in_and_remembers_the_tenant() {
    let fake = FakeGraph::start().await.unwrap();
    fake.approve_all_as(UPN, 0);
    let data = tempfile::tempdir().unwrap();
    let client = client_id();

    let out = stagebench(&fake, data.path(), &["login"], None).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--tenant and --client-id"),
        "{}",
        text(&out.stderr)
    );

    let out = stagebench(
        &fake,
        data.path(),
        &["login", "--tenant", TENANT, "--client-id", &client],
        None,
    )
    .await;
    assert_ok(&out, "login");
    let shown = text(&out.stdout);
    assert!(
        shown.contains("https://microsoft.com/devicelogin") && shown.contains("enter the code"),
        "{shown}"
    );
    assert!(shown.contains(&format!("Signed in as {UPN}")), "{shown}");

    // The next login reuses the tenant and client id.
    let out = stagebench(&fake, data.path(), &["login", "--json"], None).await;
    assert_ok(&out, "second login");
    assert_eq!(json_lines(&out)[1]["client_id"], client.as_str());
    assert_ok(
        &stagebench(&fake, data.path(), &["logout"], None).await,
        "logout",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_login_reads_the_secret_from_stdin_and_never_prints_it() {
    let fake = FakeGraph::start().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let client = client_id();
    fake.add_app(&client, SECRET);
    let args = [
        "login",
        "--tenant",
        TENANT,
        "--client-id",
        &client,
        "--client-secret-stdin",
        "--json",
    ];

    let mut printed = Vec::new();

    let wrong = format!("{SECRET}-wrong");
    let out = stagebench(&fake, data.path(), &args, Some(&wrong)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid_client"),
        "{}",
        text(&out.stderr)
    );
    printed.push(out);

    let out = stagebench(&fake, data.path(), &args, Some(&format!("{SECRET}\n"))).await;
    assert_ok(&out, "login with a client secret");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "no prompt for app-only sign-in");
    assert_eq!(
        (lines[0]["event"].as_str(), lines[0]["app_only"].as_bool()),
        (Some("signed-in"), Some(true))
    );
    assert_eq!(lines[0]["mode"], "client-secret");
    printed.push(out);

    let out = stagebench(&fake, data.path(), &["whoami"], None).await;
    assert_ok(&out, "whoami");
    assert!(
        text(&out.stdout).contains(&format!("app {client}")),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        fake.identity_requests()
            .iter()
            .filter(|r| *r == "client_credentials")
            .count(),
        3
    );
    printed.push(out);

    let out = stagebench(&fake, data.path(), &["logout"], None).await;
    assert_ok(&out, "logout");
    printed.push(out);
    let out = stagebench(&fake, data.path(), &["whoami"], None).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the secret left the keyring with the sign-in"
    );
    printed.push(out);
    for o in &printed {
        assert!(
            !text(&o.stdout).contains(SECRET) && !text(&o.stderr).contains(SECRET),
            "{o:?}"
        );
    }
}
