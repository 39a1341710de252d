//! The Intune commands as an admin or technician runs them: `stagebench profiles` (list, show,
//! token create/revoke/export), `stagebench sync` and `stagebench primary-user reassign`. Each
//! test starts its own fake tenant (`FakeGraph::seed_demo`: a staging, a dedicated, an AOSP and
//! an expired profile, a user and a DEM account) in this process, signs the CLI in with a device
//! code, and runs the built binary against it. Secrets go to the real OS keyring, so run these
//! under `scripts/test-env.sh` (as `make test` does).

use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::intune::sync::{queue_notes, NOTES_BEGIN};
use stagebench_core::intune::StaticToken;
use stagebench_core::secret::SecretText;
use stagebench_core::store::{Sighting, Store, FILE_NAME};
use stagebench_core::testing::graph::{DemoTenant, FakeGraph, GraphClock, Lifecycle};
use stagebench_e2e::built_binary;
use time::OffsetDateTime;

const TECH: &str = "tech@contoso.com";
const MINUTE: Duration = Duration::from_secs(60);

/// A signed-in bench against a fresh demo tenant.
struct Bench {
    fake: FakeGraph,
    demo: DemoTenant,
    data: tempfile::TempDir,
}

impl Bench {
    /// A demo tenant on the wall clock.
    async fn start() -> Bench {
        Bench::start_with(FakeGraph::start().await.unwrap()).await
    }

    /// A demo tenant on `fake`, and a device-code sign-in through the CLI.
    async fn start_with(fake: FakeGraph) -> Bench {
        let demo = fake.seed_demo();
        // Approved at the first poll: the fake's clock may stand still (no "too fast" polls).
        fake.approve_all_as(TECH, 0);
        let bench = Bench {
            fake,
            demo,
            data: tempfile::tempdir().unwrap(),
        };
        // Keyring entries are named after the client id, and tests run at once: one each.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let client = format!(
            "{:08x}-3333-4444-8555-{:012x}",
            std::process::id(),
            nanos & 0xffff_ffff_ffff
        );
        let out = bench
            .run(&[
                "login",
                "--tenant",
                "contoso.onmicrosoft.com",
                "--client-id",
                &client,
            ])
            .await;
        ok(&out, "login");
        bench
    }

    /// Runs `stagebench args…` against the fake tenant, stdin not a terminal.
    async fn run(&self, args: &[&str]) -> Output {
        self.run_at(&self.fake.base_url(), args).await
    }

    /// Runs it with Graph at `graph_url` (sign-in still at the fake).
    async fn run_at(&self, graph_url: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(built_binary("stagebench"));
        cmd.args(args)
            .env("STAGEBENCH_DATA_DIR", self.data.path())
            .env("STAGEBENCH_AUTHORITY", self.fake.authority_url())
            .env("STAGEBENCH_GRAPH_URL", graph_url)
            .stdin(Stdio::null());
        // Off the runtime's threads, so the fake keeps answering.
        tokio::task::spawn_blocking(move || cmd.output().expect("stagebench runs"))
            .await
            .unwrap()
    }

    async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        ok(&out, &args.join(" "));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
    }

    fn store(&self) -> Store {
        Store::open(&self.data.path().join(FILE_NAME)).unwrap()
    }

    /// A profile's current token in the fake tenant.
    fn token_of(&self, profile: &str) -> Option<String> {
        self.fake.profile(profile).unwrap()["tokenValue"]
            .as_str()
            .map(str::to_owned)
    }

    /// Requests the fake answered whose URL ends with `suffix`.
    fn sent(&self, suffix: &str) -> usize {
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}\n(a keyring error means no Secret Service: run under scripts/test-env.sh)",
        stderr(out)
    );
}

/// Asserts the command failed with exit 1 and returns its stderr.
#[track_caller]
fn refused(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a refusal: {}{}",
        stdout(out),
        stderr(out)
    );
    stderr(out)
}

#[track_caller]
fn assert_secret_free(outs: &[&Output], secrets: &[String]) {
    for out in outs {
        for s in secrets {
            assert!(
                !stdout(out).contains(s.as_str()) && !stderr(out).contains(s.as_str()),
                "a secret was printed: {out:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_list_shows_every_profile_with_its_token_state_and_no_secret() {
    let b = Bench::start().await;
    let d = &b.demo;
    let text = b.run(&["profiles", "list"]).await;
    ok(&text, "profiles list");
    let shown = stdout(&text);
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{shown}"))
            .to_owned()
    };
    assert!(
        line("Bench – fully managed (staging)").contains("valid, 29 d left"),
        "{shown}"
    );
    assert!(
        line("Shared scanners (dedicated)").contains("valid, 59 d left"),
        "{shown}"
    );
    let aosp = line("RealWear – AOSP userless");
    assert!(
        aosp.contains("valid, 89 d left") && aosp.contains("Bench-5G"),
        "{aosp}"
    );
    let expired = line("COPE pilot (token expired)");
    assert!(
        expired.contains("expired") && expired.contains("12"),
        "{expired}"
    );
    assert!(
        shown.contains("Wi-Fi key in plain text"),
        "warnings are listed: {shown}"
    );

    let json = b.json(&["profiles", "list", "--json"]).await;
    let views = json.as_array().unwrap();
    assert_eq!(views.len(), 4);
    let state = |id: &str| views.iter().find(|v| v["id"] == id).unwrap()["tokenState"].clone();
    assert_eq!(state(&d.expired_profile), "expired");
    assert_eq!(state(&d.staging_profile), "valid");
    let staging = views
        .iter()
        .find(|v| v["id"] == d.staging_profile.as_str())
        .unwrap();
    assert!(staging["tokenExpiresInSeconds"].as_u64().unwrap() > 29 * 86_400);

    let json_out = b.run(&["profiles", "list", "--json"]).await;
    let mut secrets: Vec<String> = [
        &d.staging_profile,
        &d.dedicated_profile,
        &d.aosp_profile,
        &d.expired_profile,
    ]
    .iter()
    .filter_map(|p| b.token_of(p))
    .collect();
    secrets.push("stage-bench-2026".into()); // the AOSP Wi-Fi key
    assert_eq!(secrets.len(), 5);
    assert_secret_free(&[&text, &json_out], &secrets);
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_reveals_a_valid_token_only_and_names_the_fix_for_an_expired_one() {
    let b = Bench::start().await;
    let d = &b.demo;
    let token = b.token_of(&d.staging_profile).unwrap();

    let hidden = b
        .run(&["profiles", "show", "bench – FULLY managed (staging)"])
        .await;
    ok(&hidden, "show by name, any case");
    assert!(
        stdout(&hidden).contains("add --reveal") && stdout(&hidden).contains(&d.staging_profile),
        "{}",
        stdout(&hidden)
    );
    assert_secret_free(&[&hidden], std::slice::from_ref(&token));

    let revealed = b
        .run(&["profiles", "show", &d.staging_profile, "--reveal"])
        .await;
    ok(&revealed, "show --reveal");
    assert!(
        stdout(&revealed).contains(&format!("token value:  {token}")),
        "{}",
        stdout(&revealed)
    );
    let json = b
        .json(&["profiles", "show", &d.staging_profile, "--reveal", "--json"])
        .await;
    assert_eq!(json["token"], token.as_str());
    assert_eq!(
        json["qrCodeContent"],
        b.fake.profile(&d.staging_profile).unwrap()["qrCodeContent"]
    );

    let expired_token = b.token_of(&d.expired_profile).unwrap();
    let out = b
        .run(&["profiles", "show", "COPE pilot (token expired)", "--reveal"])
        .await;
    let err = refused(&out);
    assert!(
        err.contains("expired or revoked")
            && err.contains("stagebench profiles token create \"COPE pilot (token expired)\""),
        "{err}"
    );
    assert_secret_free(&[&out], &[expired_token]);

    let aosp = b
        .run(&["profiles", "show", "RealWear – AOSP userless", "--reveal"])
        .await;
    ok(&aosp, "show AOSP --reveal");
    assert!(
        stdout(&aosp).contains("AOSP token alone cannot enroll")
            && stdout(&aosp).contains("QR content:   {"),
        "{}",
        stdout(&aosp)
    );

    let err = refused(&b.run(&["profiles", "show", "Nope"]).await);
    assert!(
        err.contains("candidates") && err.contains("Shared scanners (dedicated)"),
        "{err}"
    );
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_refuses_more_than_90_days_for_aosp_before_sending_and_shows_the_new_expiry() {
    let b = Bench::start().await;
    let aosp = b.demo.aosp_profile.clone();
    let err = refused(
        &b.run(&[
            "profiles",
            "token",
            "create",
            "RealWear – AOSP userless",
            "--days",
            "91",
        ])
        .await,
    );
    assert!(
        err.contains("at most 90 days") && err.contains("nothing was sent"),
        "{err}"
    );
    assert_eq!(b.sent("/createToken"), 0, "refused before sending");

    let old = b.token_of(&aosp).unwrap();
    let text = b
        .run(&["profiles", "token", "create", &aosp, "--days", "30"])
        .await;
    ok(&text, "token create");
    let expires = b.fake.profile(&aosp).unwrap()["tokenExpirationDateTime"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = stdout(&text);
    assert!(
        shown.contains("valid for 30 days")
            && shown.contains(&expires[..10])
            && shown.contains("unaffected"),
        "{shown}"
    );
    assert_ne!(
        b.token_of(&aosp).unwrap(),
        old,
        "a new token replaced the old one"
    );

    let json = b
        .json(&[
            "profiles",
            "token",
            "create",
            "Shared scanners (dedicated)",
            "--days",
            "14",
            "--json",
        ])
        .await;
    assert_eq!(
        (json["created"].as_bool(), json["days"].as_u64()),
        (Some(true), Some(14))
    );
    assert_eq!(
        json["profile"]["tokenExpires"],
        b.fake.profile(&b.demo.dedicated_profile).unwrap()["tokenExpirationDateTime"]
    );
    assert!(json["profile"]["tokenExpiresInSeconds"].as_u64().unwrap() > 13 * 86_400);
    assert_eq!(b.sent("/createToken"), 2);
    assert_secret_free(&[&text], &[b.token_of(&aosp).unwrap()]);
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_revoke_needs_a_confirmation_and_then_the_token_is_never_shown() {
    let b = Bench::start().await;
    let dedicated = b.demo.dedicated_profile.clone();
    let err = refused(
        &b.run(&["profiles", "token", "revoke", "Shared scanners (dedicated)"])
            .await,
    );
    assert!(
        err.contains("confirmation") && err.contains("--yes"),
        "{err}"
    );
    assert_eq!(b.sent("/revokeToken"), 0);

    let out = b
        .run(&[
            "profiles",
            "token",
            "revoke",
            "Shared scanners (dedicated)",
            "--yes",
        ])
        .await;
    ok(&out, "revoke --yes");
    assert!(
        stdout(&out).contains("unaffected") && stdout(&out).contains("void"),
        "{}",
        stdout(&out)
    );
    assert_eq!(b.sent("/revokeToken"), 1);
    assert_eq!(
        b.fake.profile(&dedicated).unwrap()["tokenValue"],
        Value::Null,
        "the tenant has no token any more"
    );

    // A revoked token reads as expired from then on, and is never shown.
    let err = refused(&b.run(&["profiles", "show", &dedicated, "--reveal"]).await);
    assert!(
        err.contains("expired or revoked") && err.contains("token create"),
        "{err}"
    );
    let json = b
        .json(&["profiles", "token", "revoke", &dedicated, "--yes", "--json"])
        .await;
    assert_eq!(json["revoked"], false, "nothing left to revoke: {json}");
    assert_eq!(b.sent("/revokeToken"), 1);
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_export_writes_zero_touch_and_kme_json_and_refuses_expired_tokens() {
    let b = Bench::start().await;
    let token = b.token_of(&b.demo.staging_profile).unwrap();
    let file = b.data.path().join("zero-touch.json");
    let out = b
        .run(&[
            "profiles",
            "token",
            "export",
            "Bench – fully managed (staging)",
            "--for",
            "zero-touch",
            "--out",
            file.to_str().unwrap(),
        ])
        .await;
    ok(&out, "export zero-touch");
    assert!(
        stdout(&out).contains("contains the enrollment token")
            && stdout(&out).contains("fully managed only"),
        "{}",
        stdout(&out)
    );
    assert_secret_free(&[&out], std::slice::from_ref(&token));
    let text = std::fs::read_to_string(&file).unwrap();
    let keys = [
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION",
        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\""))
                .unwrap_or_else(|| panic!("{k} missing: {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "keys in order: {text}");
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.as_object().unwrap().len(), 4, "{text}");
    assert_eq!(
        parsed[keys[0]],
        "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"
    );
    assert_eq!(
        parsed[keys[3]],
        json!({"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": token})
    );
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions())
            & 0o777,
        0o600
    );

    let kme = b
        .run(&[
            "profiles",
            "token",
            "export",
            &b.demo.staging_profile,
            "--for",
            "kme",
        ])
        .await;
    ok(&kme, "export kme");
    let parsed: Value = serde_json::from_slice(&kme.stdout)
        .unwrap_or_else(|e| panic!("stdout is the JSON alone ({e}): {}", stdout(&kme)));
    assert_eq!(
        parsed,
        json!({"com.google.android.apps.work.cloudpc.EXTRA_ENROLLMENT_TOKEN": token})
    );
    assert!(stderr(&kme).contains("Device Owner"), "{}", stderr(&kme));

    let expired = b
        .run(&[
            "profiles",
            "token",
            "export",
            "COPE pilot (token expired)",
            "--for",
            "kme",
        ])
        .await;
    let err = refused(&expired);
    assert!(
        err.contains("no usable token") && err.contains("token create"),
        "{err}"
    );
    assert_secret_free(&[&expired], &[b.token_of(&b.demo.expired_profile).unwrap()]);
    let err = refused(
        &b.run(&[
            "profiles",
            "token",
            "export",
            "RealWear – AOSP userless",
            "--for",
            "zero-touch",
        ])
        .await,
    );
    assert!(err.contains("QR code"), "{err}");
    b.fake.assert_no_violations();
}

/// Records a bench device with this serial in the CLI's store, as `stagebench devices` would.
fn record(store: &mut Store, serial: &str) {
    let facts = json!({"manufacturer": "samsung", "model": "SM-G991B", "android_release": "14"});
    store
        .record_sighting(
            &Sighting::new([SerialObservation::new(SerialSource::RoSerialno, serial)])
                .with_facts(facts),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reads_staged_devices_into_the_history_and_writes_their_notes() {
    let b = Bench::start_with(
        FakeGraph::start_with_clock(GraphClock::manual(OffsetDateTime::now_utc()))
            .await
            .unwrap(),
    )
    .await;
    {
        let mut store = b.store();
        record(&mut store, "R5CRSYNC01");
        record(&mut store, "R5CRSYNC02");
    }
    b.fake.schedule(
        Lifecycle::staged("R5CRSYNC01", MINUTE).then_user("ana@contoso.com", 60 * MINUTE),
    );
    b.fake.schedule(Lifecycle::staged("R5CRSYNC02", 2 * MINUTE));
    let first = b.json(&["sync", "--json"]).await;
    assert_eq!(
        (
            first["refresh"]["devices"].as_u64(),
            first["refresh"]["found"].as_u64()
        ),
        (Some(2), Some(0)),
        "{first}"
    );

    b.fake.clock().advance(3 * MINUTE);
    let second = b.json(&["sync", "--json"]).await;
    assert_eq!(second["refresh"]["found"], 2, "{second}");
    assert_eq!(second["refresh"]["newInIntune"], 2, "{second}");
    assert_eq!(
        (
            second["outbox"]["sent"].as_u64(),
            second["pending"]["pending"].as_u64(),
            second["offline"].as_bool()
        ),
        (Some(2), Some(0), Some(false)),
        "{second}"
    );
    for serial in ["R5CRSYNC01", "R5CRSYNC02"] {
        let id = b.fake.scheduled_device_id(serial).unwrap();
        let notes = b.fake.device(&id).unwrap()["notes"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            notes.starts_with(NOTES_BEGIN)
                && notes.contains("stage 2 confirmed")
                && notes.contains(serial),
            "{notes}"
        );
    }

    b.fake.clock().advance(60 * MINUTE);
    let text = b.run(&["sync"]).await;
    ok(&text, "sync");
    let shown = stdout(&text);
    assert!(
        shown.contains("2 found in Intune (0 new, 1 changed, 0 gone)") && shown.contains("1 sent"),
        "{shown}"
    );
    let id = b.fake.scheduled_device_id("R5CRSYNC01").unwrap();
    assert!(b.fake.device(&id).unwrap()["notes"]
        .as_str()
        .unwrap()
        .contains("user signed in (stage 3)"));
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_offline_exits_0_and_the_outbox_keeps_its_items() {
    let b = Bench::start().await;
    {
        let mut store = b.store();
        record(&mut store, "R5CROFFLINE");
        queue_notes(
            &mut store,
            "00000000-0000-0000-0000-0000000000d1",
            "Bench: staged",
        )
        .unwrap();
    }
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let graph = format!("http://{closed}/beta");
    let out = b.run_at(&graph, &["sync"]).await;
    ok(&out, "offline sync");
    assert!(
        stdout(&out).contains("offline: 1 changes wait in the outbox"),
        "{}",
        stdout(&out)
    );
    let out = b.run_at(&graph, &["sync", "--json"]).await;
    ok(&out, "offline sync --json");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            json["offline"].as_bool(),
            json["pending"]["pending"].as_u64()
        ),
        (Some(true), Some(1)),
        "{json}"
    );
    assert_eq!(b.store().outbox_len().unwrap().pending, 1, "nothing lost");
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_asks_for_a_sign_in_when_there_is_none_or_graph_refuses_it() {
    let b = Bench::start().await;
    record(&mut b.store(), "R5CRAUTH01");
    b.fake.faults(|f| f.reject_auth = true);
    let err = refused(&b.run(&["sync"]).await);
    assert!(
        err.contains("sign in again") && err.contains("stagebench login"),
        "{err}"
    );

    let nobody = tempfile::tempdir().unwrap();
    let out = Command::new(built_binary("stagebench"))
        .arg("sync")
        .env("STAGEBENCH_DATA_DIR", nobody.path())
        .env("STAGEBENCH_GRAPH_URL", b.fake.base_url())
        .output()
        .unwrap();
    let err = refused(&out);
    assert!(
        err.contains("not signed in") && err.contains("stagebench login"),
        "{err}"
    );
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_user_reassign_dry_run_changes_nothing_then_the_last_user_becomes_primary() {
    let b = Bench::start().await;
    let (dem, ana) = (b.demo.dem.clone(), b.demo.user.clone());
    let now = OffsetDateTime::now_utc();
    let at = |ago: i64| {
        (now - time::Duration::hours(ago))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let device = b.fake.add_device(json!({
        "deviceName": "DESKTOP-7Q2K", "serialNumber": "PF3XK2QZ", "operatingSystem": "Windows",
        "userId": dem, "userPrincipalName": "dem@contoso.com",
        "usersLoggedOn": [{"userId": dem, "lastLogOnDateTime": at(3)}, {"userId": ana, "lastLogOnDateTime": at(1)}],
    }));
    // DEM enrollment left the DEM as primary user (seed rule 133).
    let admin = GraphClient::new(
        &b.fake.endpoints(),
        Arc::new(StaticToken(SecretText::new("admin"))),
    )
    .unwrap();
    admin.set_primary_user(&device, &dem).await.unwrap();
    let sets = b.sent("/users/$ref");

    let dry = b
        .run(&[
            "primary-user",
            "reassign",
            "--dem",
            "dem@contoso.com",
            "--serial",
            "PF3XK2QZ",
            "--dry-run",
        ])
        .await;
    ok(&dry, "reassign --dry-run");
    let shown = stdout(&dry);
    assert!(
        shown.contains("change:")
            && shown.contains("Dry run")
            && shown.contains("nothing was changed"),
        "{shown}"
    );
    assert_eq!(
        (b.fake.primary_user(&device), b.sent("/users/$ref")),
        (Some(dem.clone()), sets),
        "the dry run changed nothing"
    );

    let json = b
        .json(&[
            "primary-user",
            "reassign",
            "--dem",
            "dem@contoso.com",
            "--device",
            &device,
            "--json",
        ])
        .await;
    assert_eq!(
        (json["action"].as_str(), json["applied"].as_bool()),
        (Some("change"), Some(true)),
        "{json}"
    );
    assert_eq!(json["primaryBefore"]["upn"], "dem@contoso.com");
    assert_eq!(json["primaryAfter"]["upn"], "ana@contoso.com");
    assert_eq!(json["toLastLogon"], at(1).as_str());
    assert_eq!(b.fake.primary_user(&device), Some(ana));

    let again = b
        .run(&[
            "primary-user",
            "reassign",
            "--dem",
            "dem@contoso.com",
            "--device",
            &device,
        ])
        .await;
    ok(&again, "reassign again");
    assert!(
        stdout(&again).contains("keep:") && stdout(&again).contains("already the primary user"),
        "{}",
        stdout(&again)
    );
    assert_eq!(b.sent("/users/$ref"), sets + 1, "idempotent: set once");
    b.fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_import_checks_dry_runs_then_uploads_from_the_bench_and_files() {
    let bench = Bench::start().await;
    {
        let mut store = bench.store();
        for serial in ["R58NIDENT1", "R58NIDENT2"] {
            store
                .record_sighting(&Sighting::new([SerialObservation::new(
                    SerialSource::RoSerialno,
                    serial,
                )]))
                .unwrap();
        }
    }
    // Dry run: checked and listed, nothing sent.
    let dry = bench
        .json(&[
            "identities",
            "import",
            "--from-bench",
            "--dry-run",
            "--json",
        ])
        .await;
    assert_eq!(dry["rows"].as_array().unwrap().len(), 2, "{dry}");
    assert!(dry["note"]
        .as_str()
        .unwrap()
        .contains("corporate-owned automatically"));
    assert_eq!(bench.sent("/importDeviceIdentityList"), 0);
    // From the bench: both uploaded.
    let done = bench
        .json(&[
            "identities",
            "import",
            "--from-bench",
            "--description",
            "Bench 3",
            "--json",
        ])
        .await;
    assert!(
        done["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "imported"),
        "{done}"
    );
    let imported: Vec<String> = bench
        .fake
        .imported_identities()
        .iter()
        .map(|i| i["importedDeviceIdentifier"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        imported.contains(&"R58NIDENT1".to_owned()) && imported.contains(&"R58NIDENT2".to_owned()),
        "{imported:?}"
    );
    // A file with a bad line: the good ones go, the bad one is named, exit 1.
    let file = bench.data.path().join("serials.txt");
    std::fs::write(&file, "# box 7\nR58NFILE1,Box 7\nBAD.SERIAL\n").unwrap();
    let out = bench
        .run(&["identities", "import", "--file", file.to_str().unwrap()])
        .await;
    let err = refused(&out);
    assert!(err.contains("1 identifier(s) were not imported"), "{err}");
    assert!(
        stdout(&out).contains("BAD.SERIAL") && stdout(&out).contains("invalid"),
        "{}",
        stdout(&out)
    );
    assert!(bench
        .fake
        .imported_identities()
        .iter()
        .any(|i| i["importedDeviceIdentifier"] == "R58NFILE1"));
    // No source given: told what to give.
    assert!(refused(&bench.run(&["identities", "import"]).await).contains("--from-bench or --file"));
    bench.fake.assert_no_violations();
}
