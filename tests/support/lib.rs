//! Shared pieces of the end-to-end tests.
//!
//! Layout: here, where the built binaries are, where artifacts go, and a child process's open
//! files and output lines; [`wait`] waits on what can be seen; [`webdriver`] drives the real app;
//! [`batches`] makes batches for the bench history; [`bench_view`] holds looks at the app's Bench
//! view that several stories share; [`cli`] runs the built `stagebench`, and [`tenant`] has it
//! signed in to a fake demo tenant; [`qr`] reads QR codes back with a decoder of its own;
//! [`readable`] measures what a person at a metre sees; [`history`] writes a batch's hour of work
//! into a store.
#![warn(missing_docs)]

pub mod batches;
pub mod bench_view;
pub mod cli;
pub mod history;
pub mod qr;
pub mod readable;
pub mod tenant;
pub mod wait;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use wait::{Look, PATIENCE};

/// A binary built by `cargo build --workspace` (`make test` builds them first).
pub fn built_binary(name: &str) -> PathBuf {
    // The test executable is target/<profile>/deps/<test>-<hash>; binaries are in target/<profile>.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built: run `make test` (or `cargo build --workspace --all-targets`) first",
        path.display()
    );
    path
}

/// The folder where tests keep screenshots and files for people to look at (`artifacts/<what>`).
pub fn artifacts_dir(what: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("artifacts")
        .join(what);
    std::fs::create_dir_all(&dir).expect("can create the artifacts folder");
    dir
}

/// Look (Linux): process `pid` has open the file `path` leads to (a PTY's link, say): the
/// process is ready to read what is written there.
pub fn holds_open(pid: u32, path: &Path) -> Look<()> {
    let target = std::fs::canonicalize(path)
        .map_err(|e| format!("{} leads nowhere ({e})", path.display()))?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| format!("process {pid} is gone ({e})"))?;
    if fds
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|open| open == target))
    {
        Ok(())
    } else {
        Err(format!(
            "process {pid} does not have {} open yet",
            target.display()
        ))
    }
}

/// The first `count` lines `from` gives (a child's output), read on a thread of their own; panics
/// naming `what` with the lines so far when they do not come within [`PATIENCE`].
pub fn read_lines(from: impl Read + Send + 'static, count: usize, what: &str) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut lines = Vec::new();
    while lines.len() < count {
        let left = PATIENCE.saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok(Ok(line)) => lines.push(line),
            Ok(Err(e)) => panic!("{what}: reading failed after {lines:?}: {e}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("{what}: the output ended after {lines:?}, before {count} lines")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "gave up waiting for {what} after {:.1} s: {} of {count} lines, {lines:?}",
                started.elapsed().as_secs_f64(),
                lines.len()
            ),
        }
    }
    lines
}

/// Starts a fake device for each config on loopback, connects Debian's adb server (`adb`) to
/// each, and returns them, in order, once the server lists them all.
pub async fn attach_fakes(
    adb: &stagebench_core::testing::RealAdbServer,
    configs: Vec<stagebench_adb::testing::FakeDeviceConfig>,
) -> Vec<stagebench_adb::testing::FakeDevice> {
    let count = configs.len();
    let mut fakes = Vec::new();
    for config in configs {
        let device =
            stagebench_adb::testing::FakeDevice::spawn(config, "127.0.0.1:0".parse().unwrap())
                .await
                .expect("a fake device listens on loopback");
        adb.client()
            .connect(&device.addr().to_string())
            .await
            .expect("the adb server connects to the fake device");
        fakes.push(device);
    }
    adb.wait_for_devices(count, PATIENCE)
        .await
        .expect("the adb server lists every fake device");
    fakes
}
