//! One app per bench, in the real app under Xvfb: started a second time on the same data folder,
//! the app hands over to the first (which says it brings its window forward) and exits with
//! status 0 without opening the store, so only one USB watcher and print worker run; on another
//! data folder a second bench starts as usual. The apps are started directly (no WebDriver), so
//! their log lines can be read.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use stagebench_core::testing::free_port;
use stagebench_e2e::built_binary;
use stagebench_e2e::wait::until_blocking;

/// The log line of an app whose store is open and whose services run.
const STARTED: &str = "the bench's store is open and its services started";
/// The log line of the first app when it was started again.
const FORWARD: &str = "started again on this bench: its window is brought forward";

/// The app running on `data`, with the lines it has logged so far; killed when dropped.
struct RunningApp {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl RunningApp {
    fn start(data: &Path) -> RunningApp {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run the end-to-end tests under Xvfb (`make test` does this)"
        );
        let mut child = Command::new(built_binary("stagebench-app"))
            .env("STAGEBENCH_DATA_DIR", data)
            .env("STAGEBENCH_LOG", "info")
            // No adb server is needed: the bench watcher says adb is off.
            .env("ANDROID_ADB_SERVER_PORT", free_port().unwrap().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the app starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (from, into) = (child.stderr.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                into.lock().unwrap().push(line);
            }
        });
        RunningApp { child, lines }
    }

    /// Waits until the app has logged a line holding `text`.
    fn wait_for_line(&self, text: &str, what: &str) {
        until_blocking(what, || {
            let lines = self.lines.lock().unwrap();
            if lines.iter().any(|l| l.contains(text)) {
                Ok(())
            } else {
                Err(format!("its log so far: {lines:?}"))
            }
        })
    }

    fn logged(&self, text: &str) -> bool {
        self.lines.lock().unwrap().iter().any(|l| l.contains(text))
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_second_launch_on_the_same_bench_brings_the_first_forward_and_exits() {
    let data = tempfile::tempdir().unwrap();
    let mut first = RunningApp::start(data.path());
    first.wait_for_line(STARTED, "the first app's store open");

    let mut second = RunningApp::start(data.path());
    let status = until_blocking("the second app to exit", || match second.child.try_wait() {
        Ok(Some(status)) => Ok(status),
        Ok(None) => Err("it still runs".into()),
        Err(e) => Err(format!("can't wait for it: {e}")),
    });
    assert!(status.success(), "the second app exits cleanly: {status}");
    first.wait_for_line(FORWARD, "the first app to bring its window forward");
    assert!(
        !second.logged(STARTED),
        "the second app never opened the store nor started a watcher or worker: {:?}",
        second.lines.lock().unwrap()
    );
    assert!(
        first.child.try_wait().unwrap().is_none(),
        "the first app still runs"
    );

    // Another bench (another data folder) is not the same app: it starts as usual.
    let other_data = tempfile::tempdir().unwrap();
    let other = RunningApp::start(other_data.path());
    other.wait_for_line(STARTED, "an app on another data folder to start");
}
