//! A fake Zebra on a local TCP port (feature `testing`): it answers `~HS` the way it is told
//! (a status, silence, or any bytes) and keeps every job it receives, so tests of the queue,
//! the CLI and the app print to the same printer.
//!
//! Each connection is read as a Zebra reads it: a connection that starts with `~HS` gets the
//! answer, and whatever follows (or a connection without `~HS`) is a job, kept when the sender
//! closes.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::status::{HostStatusAnswer, HOST_STATUS_QUERY};

/// What the fake says to `~HS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeAnswer {
    /// A well-formed answer with these flags.
    Status(HostStatusAnswer),
    /// Nothing, as printers that ignore `~HS` do.
    Silent,
    /// These bytes, as they are (garbled or truncated answers).
    Bytes(Vec<u8>),
}

#[derive(Debug)]
struct State {
    answer: FakeAnswer,
    jobs: Vec<Vec<u8>>,
    queries: usize,
}

/// A Zebra listening on `127.0.0.1`; stops when dropped.
#[derive(Debug)]
pub struct FakeZebra {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl FakeZebra {
    /// Starts one on a free port, answering `~HS` with `answer`.
    pub fn start(answer: FakeAnswer) -> std::io::Result<FakeZebra> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            answer,
            jobs: Vec::new(),
            queries: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = state.clone();
                    std::thread::spawn(move || serve(conn, &state));
                }
            })
        };
        Ok(FakeZebra {
            address,
            state,
            stop,
            accept: Some(accept),
        })
    }

    /// Its port on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Answers `~HS` with `answer` from now on.
    pub fn set_answer(&self, answer: FakeAnswer) {
        lock(&self.state).answer = answer;
    }

    /// The jobs received so far, oldest first.
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        lock(&self.state).jobs.clone()
    }

    /// How many `~HS` queries it was sent.
    pub fn queries(&self) -> usize {
        lock(&self.state).queries
    }

    /// The jobs once there are at least `count`, or what there is after `wait`.
    pub fn wait_for_jobs(&self, count: usize, wait: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + wait;
        loop {
            let jobs = self.jobs();
            if jobs.len() >= count || Instant::now() >= deadline {
                return jobs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakeZebra {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(mut conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(60)));
    let mut received = Vec::new();
    let mut asked = false;
    let mut buf = [0u8; 8192];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
        if !asked
            && received.len() >= HOST_STATUS_QUERY.len()
            && received.starts_with(HOST_STATUS_QUERY)
        {
            asked = true;
            received.drain(..HOST_STATUS_QUERY.len());
            let answer = {
                let mut state = lock(state);
                state.queries += 1;
                state.answer.clone()
            };
            let bytes = match answer {
                FakeAnswer::Status(status) => status.bytes(),
                FakeAnswer::Silent => Vec::new(),
                FakeAnswer::Bytes(bytes) => bytes,
            };
            if !bytes.is_empty() && conn.write_all(&bytes).is_err() {
                break;
            }
        }
    }
    if !received.is_empty() {
        lock(state).jobs.push(received);
    }
}
