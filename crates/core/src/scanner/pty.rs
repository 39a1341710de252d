//! A socat PTY pair standing in for a serial scanner in tests: the bench opens [`PtyPair::host`],
//! the test writes scans into the other end, and [`PtyPair::unplug`] ends it the way pulling the
//! scanner's cable ends a USB CDC port. Needs `socat` (in the Makefile's APT_TEST).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long socat may take to make its links before a test fails: an upper bound for a loaded
/// machine, never waited out by a healthy one.
const LINKS_WITHIN: Duration = Duration::from_secs(120);

/// A socat PTY pair; dropping it ends socat.
#[derive(Debug)]
pub struct PtyPair {
    socat: Child,
    scanner: PathBuf,
    host: PathBuf,
}

impl PtyPair {
    /// Starts socat with its two PTYs linked as `dir/scanner` and `dir/host` (the same paths
    /// each time: a pair started again in `dir` is the scanner plugged in again).
    pub fn start(dir: &Path) -> PtyPair {
        let (scanner, host) = (dir.join("scanner"), dir.join("host"));
        let socat = Command::new("socat")
            .args([
                "-d",
                "-d",
                &format!("pty,raw,echo=0,link={}", scanner.display()),
                &format!("pty,raw,echo=0,link={}", host.display()),
            ])
            .stderr(Stdio::null())
            .spawn()
            .expect("socat (in the Makefile's APT_TEST) runs");
        // Owned at once, so socat is ended (by the drop) if its links never come.
        let mut pair = PtyPair {
            socat,
            scanner,
            host,
        };
        // Its links are the sign it is ready; a loaded machine only makes them come later.
        let started = Instant::now();
        while !(pair.scanner.exists() && pair.host.exists()) {
            if let Ok(Some(status)) = pair.socat.try_wait() {
                panic!(
                    "socat ended ({status}) before making its PTY links in {}",
                    dir.display()
                );
            }
            assert!(
                started.elapsed() < LINKS_WITHIN,
                "socat did not make its PTY links in {} within {LINKS_WITHIN:?}",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        pair
    }

    /// The port the bench opens.
    pub fn host(&self) -> String {
        self.host.display().to_string()
    }

    /// The scanner sends `bytes` (scans with their terminators).
    pub fn scan(&self, bytes: &[u8]) {
        let mut port = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.scanner)
            .expect("the scanner end of the PTY pair opens");
        port.write_all(bytes).expect("the scan is written");
        port.flush().expect("the scan is sent");
    }

    /// Ends socat as a cable pull ends the port: both PTYs close and, on SIGTERM, socat removes
    /// its links (as a vanished /dev/ttyACM0).
    pub fn unplug(mut self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.socat.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "socat took SIGTERM");
        self.socat.wait().expect("socat ended");
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.socat.kill();
        let _ = self.socat.wait();
    }
}
