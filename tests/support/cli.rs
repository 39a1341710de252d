//! Running the built `stagebench` binary the way a technician does: its own data folder,
//! standard input closed, and what it printed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::built_binary;

/// Runs `stagebench args…` on the data folder `data_dir` and waits for it, with the adb server
/// at `adb_port` (none from the test's environment otherwise).
pub fn stagebench(args: &[&str], data_dir: &Path, adb_port: Option<u16>) -> Output {
    let mut cmd = Command::new(built_binary("stagebench"));
    cmd.args(args)
        .env("STAGEBENCH_DATA_DIR", data_dir)
        .env_remove("ANDROID_ADB_SERVER_PORT");
    if let Some(port) = adb_port {
        cmd.env("ANDROID_ADB_SERVER_PORT", port.to_string());
    }
    cmd.stdin(Stdio::null()).output().expect("stagebench runs")
}

/// What a finished command wrote to its standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What a finished command wrote to its standard output.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the command succeeded (`what` names it in the failure).
#[track_caller]
pub fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}\n(a keyring error means no Secret Service: run under scripts/test-env.sh)",
        stderr(out)
    );
}

/// Asserts the command failed with exit 1 and returns its stderr.
#[track_caller]
pub fn refused(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a refusal: {}{}",
        stdout(out),
        stderr(out)
    );
    stderr(out)
}

/// Asserts none of `secrets` is in what any of `outs` printed.
#[track_caller]
pub fn assert_secret_free(outs: &[&Output], secrets: &[String]) {
    for out in outs {
        for s in secrets {
            assert!(
                !stdout(out).contains(s.as_str()) && !stderr(out).contains(s.as_str()),
                "a secret was printed: {out:?}"
            );
        }
    }
}

/// The passphrase of the bench packs the tests seal, in `SB_PASS` (`--passphrase-env SB_PASS`);
/// `SB_WRONG` holds a wrong one.
const PASS: &str = "correct-horse-battery-staple-42";

/// One bench as the CLI runs on it: its own data folder, its tenant or none, its adb server. The
/// technician is `admin@contoso.com` on a bench with a tenant and `vendor-tech` on one without.
pub struct CliBench {
    /// Its data folder.
    pub data: tempfile::TempDir,
    /// The tenant it signs in to: the identity platform's and Graph's URLs. None is a bench
    /// without a tenant: Graph points nowhere, so any attempt fails loudly.
    pub graph: Option<(String, String)>,
    /// The adb server it reads devices from.
    pub adb_port: Option<u16>,
}

impl CliBench {
    /// Runs `stagebench args…` on this bench, off the runtime's threads.
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(built_binary("stagebench"));
        cmd.args(args)
            .env("STAGEBENCH_DATA_DIR", self.data.path())
            .env("SB_PASS", PASS)
            .env("SB_WRONG", "not-the-passphrase-at-all")
            .env(
                "STAGEBENCH_TECHNICIAN",
                if self.graph.is_some() {
                    "admin@contoso.com"
                } else {
                    "vendor-tech"
                },
            )
            .stdin(Stdio::null());
        if let Some((authority, graph)) = &self.graph {
            cmd.env("STAGEBENCH_AUTHORITY", authority)
                .env("STAGEBENCH_GRAPH_URL", graph)
                .env("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1");
        } else {
            // The vendor bench has no tenant: point Graph nowhere, so any attempt fails loudly.
            cmd.env("STAGEBENCH_AUTHORITY", "http://127.0.0.1:9")
                .env("STAGEBENCH_GRAPH_URL", "http://127.0.0.1:9")
                .env("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1");
        }
        if let Some(port) = self.adb_port {
            cmd.env("ANDROID_ADB_SERVER_PORT", port.to_string());
        }
        tokio::task::spawn_blocking(move || cmd.output().expect("stagebench runs"))
            .await
            .unwrap()
    }

    /// Runs it, asserts it succeeded and gives what it printed.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "stagebench {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs it and reads what it printed as JSON.
    pub async fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args).await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Runs it, asserts it failed saying `must_say`, and gives its standard error.
    pub async fn fails(&self, args: &[&str], must_say: &str) -> String {
        let out = self.run(args).await;
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "stagebench {args:?} should fail");
        assert!(
            err.contains(must_say),
            "stagebench {args:?}: expected {must_say:?} in: {err}"
        );
        err
    }
}
