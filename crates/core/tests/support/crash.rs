//! Shared by the crash tests: re-run this test binary as a writer child, kill it (SIGKILL on
//! Unix) once it has reported enough commits, and collect every report it made, including
//! lines still in the pipe when it died.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use rusqlite::Connection;

/// What a writer reports, one `committed …` line at a time.
pub trait Reports: Default {
    /// How many reports so far.
    fn len(&self) -> usize;
    /// Takes one complete output line (libtest's own output is ignored; with one test thread it
    /// prints `test writer_child ... ` without a newline, so a report may follow it on a line).
    fn take(&mut self, line: &str);
}

/// Runs `writer_child` with `path` in `db_env` and `round` in `round_env`, kills it once it
/// has reported `kill_after` commits, and returns everything it reported.
pub fn run_and_kill<R: Reports>(
    path: &Path,
    round: usize,
    kill_after: usize,
    db_env: &str,
    round_env: &str,
) -> R {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "writer_child", "--nocapture", "--test-threads=1"])
        .env(db_env, path)
        .env(round_env, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut reported = R::default();
    let mut line = String::new();
    while reported.len() < kill_after {
        line.clear();
        let n = stdout.read_line(&mut line).unwrap();
        assert!(n > 0, "the writer stopped after {} reports", reported.len());
        reported.take(&line);
    }
    // Killing right after reading a report lands in the next write; a short, varying delay
    // lands elsewhere in the write loop.
    std::thread::sleep(std::time::Duration::from_micros(250 * (round as u64 % 3)));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "the writer was killed, not finished: {status}"
        );
    }
    #[cfg(not(unix))]
    assert!(!status.success());
    // Lines written before the kill are reports too; a last line without its newline is not.
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    for line in rest.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        reported.take(line);
    }
    reported
}

/// `PRAGMA integrity_check` of the database at `path` (`ok` when sound).
pub fn integrity(path: &Path) -> String {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}
