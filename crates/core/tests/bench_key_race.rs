//! One bench key even when two processes make it at once (issue 13, finding 9): the app and the
//! CLI on a fresh bench both find no key; without a lock shared by processes each makes and
//! stores its own, and one of them signs with a key the bench no longer has.
//!
//! The test runs this test binary twice as racers (the `racer` test, which does nothing unless
//! [`RACE_DIR`] is set), on one store file and one keyring kept in files, whose `set` is slow as
//! a Secret Service over D-Bus can be, so the two overlap. Both racers start together (a `go`
//! file) and must come back with the same key, the one the keyring holds.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use stagebench_core::batch::key::{load, load_or_create, KEY_ENTRY};
use stagebench_core::intune::auth::SecretStore;
use stagebench_core::intune::{BoxFuture, SignInError};
use stagebench_core::secret::SecretText;
use stagebench_core::store::{Store, FILE_NAME};

/// The folder of one race: store, keyring entries, start signal and each racer's answer.
const RACE_DIR: &str = "STAGEBENCH_TEST_KEY_RACE_DIR";
/// How long storing a secret takes in the slow keyring.
const SLOW_SET: Duration = Duration::from_millis(400);

/// A keyring whose entries are files in a folder (so two processes share it).
struct FileKeyring(PathBuf);

impl SecretStore for FileKeyring {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<SecretText>, SignInError>> {
        Box::pin(async move {
            Ok(std::fs::read_to_string(self.0.join(name))
                .ok()
                .map(SecretText::new))
        })
    }

    fn set<'a>(
        &'a self,
        name: &'a str,
        value: &'a SecretText,
    ) -> BoxFuture<'a, Result<(), SignInError>> {
        Box::pin(async move {
            tokio::time::sleep(SLOW_SET).await;
            let tmp = self.0.join(format!("{name}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, value.expose()).unwrap();
            std::fs::rename(&tmp, self.0.join(name)).unwrap();
            Ok(())
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, SignInError>> {
        Box::pin(async move { Ok(std::fs::remove_file(self.0.join(name)).is_ok()) })
    }
}

/// Waits until `path` exists: `why` says what it stands for.
fn wait_for(path: &Path, why: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "gave up waiting for {why}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One racer (only when run by the test below).
#[test]
fn racer() {
    let Some(dir) = std::env::var_os(RACE_DIR).map(PathBuf::from) else {
        return;
    };
    let me = std::process::id();
    let mut store = Store::open(&dir.join(FILE_NAME)).unwrap();
    std::fs::write(dir.join(format!("ready-{me}")), "").unwrap();
    wait_for(&dir.join("go"), "the start signal");
    let keyring = FileKeyring(dir.join("keyring"));
    let answer = tokio::runtime::Runtime::new().unwrap().block_on(async {
        match load_or_create(&keyring, &mut store).await {
            Ok(key) => key.public().fingerprint,
            Err(e) => format!("error: {e}"),
        }
    });
    std::fs::write(dir.join(format!("answer-{me}")), answer).unwrap();
}

fn spawn_racer(dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "racer", "--test-threads", "1"])
        .env(RACE_DIR, dir)
        .spawn()
        .unwrap()
}

#[test]
fn two_processes_make_one_bench_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keyring")).unwrap();
    drop(Store::open(&dir.path().join(FILE_NAME)).unwrap());
    let mut racers = [spawn_racer(dir.path()), spawn_racer(dir.path())];
    for racer in &racers {
        wait_for(
            &dir.path().join(format!("ready-{}", racer.id())),
            "a racer to open the store",
        );
    }
    std::fs::write(dir.path().join("go"), "").unwrap();
    let answers: Vec<String> = racers
        .iter_mut()
        .map(|racer| {
            assert!(racer.wait().unwrap().success(), "a racer failed");
            std::fs::read_to_string(dir.path().join(format!("answer-{}", racer.id()))).unwrap()
        })
        .collect();
    let keyring = FileKeyring(dir.path().join("keyring"));
    let stored = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(load(&keyring))
        .unwrap()
        .expect("a key was stored")
        .public()
        .fingerprint;
    assert_eq!(
        answers,
        [stored.clone(), stored],
        "both racers must have the bench's one key ({KEY_ENTRY})"
    );
}
