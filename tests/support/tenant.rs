//! The fake tenant from a bench's side: a fresh client id per sign-in, an admin's bench signed
//! in, and a technician's bench signed in to a fresh demo tenant.

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use stagebench_core::store::{Store, FILE_NAME};
use stagebench_core::testing::graph::{DemoTenant, FakeGraph};

use crate::built_binary;
use crate::cli::{ok, stdout, CliBench};

/// A fresh client id (a GUID) for a sign-in: the OS keyring's entries are named after it, and
/// tests sign in at once, in this process and in others.
pub fn client_id() -> String {
    static SIGN_INS: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "{:08x}-{:04x}-4333-8444-{:012x}",
        std::process::id(),
        SIGN_INS.fetch_add(1, Ordering::Relaxed) & 0xffff,
        nanos & 0xffff_ffff_ffff
    )
}

/// `stagebench login` to the demo tenant with `client`: a device-code sign-in.
fn login(client: &str) -> [&str; 5] {
    [
        "login",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--client-id",
        client,
    ]
}

/// An admin's bench ([`CliBench`]) signed in to `fake` with a device code (the fake approves
/// every code as `admin@contoso.com` from now on).
pub async fn signed_in_admin(fake: &FakeGraph) -> CliBench {
    fake.approve_all_as("admin@contoso.com", 0);
    let admin = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: Some((fake.authority_url(), fake.base_url())),
        adb_port: None,
    };
    admin.ok(&login(&client_id())).await;
    admin
}

/// The technician who signs in.
pub const TECH: &str = "tech@contoso.com";

/// A bench whose CLI signed in (device code, as [`TECH`]) to a fresh fake demo tenant.
pub struct TenantBench {
    /// The fake tenant.
    pub fake: FakeGraph,
    /// What [`FakeGraph::seed_demo`] put in it.
    pub demo: DemoTenant,
    /// The bench's data folder.
    pub data: tempfile::TempDir,
}

impl TenantBench {
    /// A demo tenant on the wall clock.
    pub async fn start() -> TenantBench {
        TenantBench::start_with(FakeGraph::start().await.unwrap()).await
    }

    /// A demo tenant on `fake`, and a device-code sign-in through the CLI.
    pub async fn start_with(fake: FakeGraph) -> TenantBench {
        let demo = fake.seed_demo();
        // Approved at the first poll: the fake's clock may stand still (no "too fast" polls).
        fake.approve_all_as(TECH, 0);
        let bench = TenantBench {
            fake,
            demo,
            data: tempfile::tempdir().unwrap(),
        };
        ok(&bench.run(&login(&client_id())).await, "login");
        bench
    }

    /// Runs `stagebench args…` against the fake tenant, stdin not a terminal.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_at(&self.fake.base_url(), args).await
    }

    /// Runs it with Graph at `graph_url` (sign-in still at the fake).
    pub async fn run_at(&self, graph_url: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(built_binary("stagebench"));
        cmd.args(args)
            .env("STAGEBENCH_DATA_DIR", self.data.path())
            .env("STAGEBENCH_AUTHORITY", self.fake.authority_url())
            .env("STAGEBENCH_GRAPH_URL", graph_url)
            .env("STAGEBENCH_ALLOW_HTTP_LOOPBACK", "1")
            .stdin(Stdio::null());
        // Off the runtime's threads, so the fake keeps answering.
        tokio::task::spawn_blocking(move || cmd.output().expect("stagebench runs"))
            .await
            .unwrap()
    }

    /// Runs it, asserts it succeeded and reads what it printed as JSON.
    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        ok(&out, &args.join(" "));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
    }

    /// The bench's store.
    pub fn store(&self) -> Store {
        Store::open(&self.data.path().join(FILE_NAME)).unwrap()
    }

    /// A profile's current token in the fake tenant.
    pub fn token_of(&self, profile: &str) -> Option<String> {
        self.fake.profile(profile).unwrap()["tokenValue"]
            .as_str()
            .map(str::to_owned)
    }

    /// Requests the fake answered whose URL ends with `suffix`.
    pub fn sent(&self, suffix: &str) -> usize {
        self.fake
            .exchanges()
            .iter()
            .filter(|e| {
                e.url
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .ends_with(suffix)
            })
            .count()
    }
}
