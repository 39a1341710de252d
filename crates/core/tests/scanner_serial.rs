//! A serial-port scanner over a socat PTY pair (one end stands in for the USB CDC port the
//! scanner makes, the test writes scans into the other): scans arrive parsed; when socat goes
//! (the scanner unplugged) the watcher says it is waiting; when socat is back on the same path
//! (plugged in again) it reads scans again without being restarted.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use stagebench_core::scanner::pty::PtyPair;
use stagebench_core::scanner::{ScanError, ScannerEvent, ScannerStatus, ScannerWatcher};

/// The longest [`until`] waits: a hang guard for a loaded machine, not a timing check.
const PATIENCE: Duration = Duration::from_secs(120);

/// The next event `wanted` picks, skipping the others; panics naming `what` and the events it
/// skipped when none comes within [`PATIENCE`].
fn until<T>(
    rx: &mpsc::Receiver<ScannerEvent>,
    what: &str,
    mut wanted: impl FnMut(&ScannerEvent) -> Option<T>,
) -> T {
    let started = Instant::now();
    let mut skipped = Vec::new();
    loop {
        let left = PATIENCE.saturating_sub(started.elapsed());
        let event = rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!("gave up waiting for {what} after {PATIENCE:?}; the events were {skipped:?}")
        });
        if let Some(found) = wanted(&event) {
            return found;
        }
        skipped.push(event);
    }
}

fn scanned(event: &ScannerEvent) -> Option<Result<(String, Option<String>), ScanError>> {
    match event {
        ScannerEvent::Line(line) => Some(line.scan.clone().map(|s| (s.text, s.symbology))),
        ScannerEvent::Status(_) => None,
    }
}

fn status(event: &ScannerEvent) -> Option<ScannerStatus> {
    match event {
        ScannerEvent::Status(s) => Some(s.clone()),
        ScannerEvent::Line(line) => panic!("unexpected scan {line:?}"),
    }
}

#[test]
fn a_scanner_unplugged_and_plugged_in_again_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host").display().to_string();
    let pair = PtyPair::start(dir.path());
    let (tx, rx) = mpsc::channel();
    let watcher = ScannerWatcher::start(&host, 9600, Duration::from_millis(100), move |e| {
        let _ = tx.send(e);
    })
    .unwrap();
    until(&rx, "connected", |e| {
        matches!(status(e)?, ScannerStatus::Connected { baud: 9600, .. }).then_some(())
    });

    pair.scan(b"R5CR0001\r\n]C1pf3wk2x9\r\nAB\x1bCD\r\n");
    assert_eq!(until(&rx, "a scan", scanned), Ok(("R5CR0001".into(), None)));
    assert_eq!(
        until(&rx, "a scan", scanned),
        Ok(("pf3wk2x9".into(), Some("]C1".into()))),
        "AIM identifier split off"
    );
    assert_eq!(until(&rx, "a scan", scanned), Err(ScanError::Garbled));

    pair.unplug();
    let waiting = until(&rx, "waiting", |e| match status(e)? {
        ScannerStatus::Waiting { port, message } => Some((port, message)),
        _ => None,
    });
    assert_eq!(waiting.0, host);
    assert!(
        waiting.1.contains(&host) && waiting.1.contains("plug it back in"),
        "{}",
        waiting.1
    );

    let pair = PtyPair::start(dir.path());
    until(&rx, "connected again", |e| {
        matches!(status(e)?, ScannerStatus::Connected { .. }).then_some(())
    });
    pair.scan(b"358240051111110\t");
    assert_eq!(
        until(&rx, "a scan after replugging", scanned),
        Ok(("358240051111110".into(), None))
    );

    drop(watcher);
    pair.scan(b"AFTERSTOP\r\n");
    // The thread stops within a read timeout; nothing read after the drop is delivered.
    while let Ok(event) = rx.recv_timeout(Duration::from_secs(1)) {
        assert!(
            !matches!(&event, ScannerEvent::Line(_)),
            "read after the watcher was dropped: {event:?}"
        );
    }
}

#[test]
fn a_port_that_is_not_there_yet_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host").display().to_string();
    let (tx, rx) = mpsc::channel();
    let _watcher = ScannerWatcher::start(&host, 115200, Duration::from_millis(100), move |e| {
        let _ = tx.send(e);
    })
    .unwrap();
    let message = until(&rx, "waiting", |e| match status(e)? {
        ScannerStatus::Waiting { message, .. } => Some(message),
        _ => None,
    });
    assert!(
        message.starts_with(&format!("waiting for {host} — plug the scanner in")),
        "{message}"
    );
    let pair = PtyPair::start(dir.path());
    until(&rx, "connected once plugged in", |e| {
        matches!(status(e)?, ScannerStatus::Connected { baud: 115200, .. }).then_some(())
    });
    pair.scan(b"NEWBOX0009\r\n");
    assert_eq!(
        until(&rx, "a scan", scanned),
        Ok(("NEWBOX0009".into(), None))
    );
}
