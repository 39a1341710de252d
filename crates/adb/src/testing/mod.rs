//! A fake adbd for tests and the simulated bench: the device side of the ADB wire protocol over
//! TCP, good enough that Debian's real `adb connect 127.0.0.1:PORT` accepts it.
//!
//! It serves `shell:`/`exec:` (raw) and `shell,v2,…:` (framed, with exit code) from a tiny
//! built-in shell (`getprop`, `echo`) plus canned answers, and `sync:` (stat, push, pull) over
//! an in-memory filesystem; honours flow control (one WRTE in flight per stream, chunks no
//! larger than the negotiated payload) and checks AUTH signatures for real. Each device is one
//! listening socket; many can run in one process. For failure tests a device can be slow
//! ([`FakeDeviceConfig::reply_delay`]), cut connections mid-message
//! ([`FakeDeviceConfig::cut_after_bytes`]) or vanish altogether ([`FakeDevice::vanish`]).
//!
//! Layout: `config` (what a fake device is, [`FakeDeviceConfig`]), `session` (the device side of
//! one connection as a state machine without I/O), `shell` (the services it serves and its tiny
//! shell), `sync` (its sync service over an in-memory filesystem, [`FakeFile`]) and
//! `real_server` (Debian's real adb server for tests, [`RealAdbServer`]); this file holds the
//! listening [`FakeDevice`].

mod config;
mod real_server;
mod session;
mod shell;
mod sync;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use rsa::RsaPublicKey;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub use config::{FakeAuth, FakeDeviceConfig, ShellAnswer};
pub use real_server::{adb_command, free_port, which_adb, RealAdbServer};
use session::Session;
pub use sync::FakeFile;

use crate::auth::parse_android_public_key;
use crate::transport::MessageReader;

/// State shared by all connections to one fake device.
#[derive(Debug)]
pub(crate) struct Shared {
    config: RwLock<FakeDeviceConfig>,
    trusted: Mutex<Vec<RsaPublicKey>>,
    files: Mutex<sync::Files>,
    opened: Mutex<Vec<String>>,
}

impl Shared {
    fn new(config: FakeDeviceConfig) -> std::io::Result<Self> {
        let mut trusted = Vec::new();
        if let FakeAuth::KnownKeysOnly(keys) = &config.auth {
            for (index, text) in keys.iter().enumerate() {
                let key = parse_android_public_key(text).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("FakeAuth::KnownKeysOnly key #{index}: {e}"),
                    )
                })?;
                trusted.push(key);
            }
        }
        Ok(Self {
            files: Mutex::new(config.files.clone()),
            config: RwLock::new(config),
            trusted: Mutex::new(trusted),
            opened: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn config(&self) -> FakeDeviceConfig {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn update(&self, change: impl FnOnce(&mut FakeDeviceConfig)) {
        change(&mut self.config.write().unwrap_or_else(PoisonError::into_inner));
    }

    pub(crate) fn auth_required(&self) -> bool {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .auth
            != FakeAuth::Off
    }

    pub(crate) fn accepts_offered_keys(&self) -> bool {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .auth
            == FakeAuth::AcceptAfterPrompt
    }

    pub(crate) fn trusted_keys(&self) -> Vec<RsaPublicKey> {
        self.trusted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn reply_delay(&self) -> std::time::Duration {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .reply_delay
    }

    pub(crate) fn record_open(&self, destination: &str) {
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(destination.to_owned());
    }

    pub(crate) fn with_files<R>(&self, f: impl FnOnce(&mut sync::Files) -> R) -> R {
        f(&mut self.files.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn trust(&self, key: RsaPublicKey) {
        self.trusted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(key);
    }
}

/// What a fresh fake sync service over an empty filesystem answers to `bytes` (the host's side
/// of a `sync:` stream, split anywhere). For robustness tests: it must never panic.
pub fn sync_reply_to(bytes: &[u8]) -> Vec<u8> {
    let mut files = sync::Files::new();
    let mut service = sync::SyncService::new();
    let half = bytes.len() / 2;
    let mut reply = service.absorb(&bytes[..half], &mut files).reply;
    reply.extend(service.absorb(&bytes[half..], &mut files).reply);
    reply
}

/// A running fake device. Dropping it (or [`FakeDevice::shutdown`]) closes the listener and
/// every connection.
#[derive(Debug)]
pub struct FakeDevice {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeDevice {
    /// Listen on `bind` (port 0 picks a free port) and serve connections in the background.
    /// Needs a tokio runtime.
    pub async fn spawn(config: FakeDeviceConfig, bind: SocketAddr) -> std::io::Result<FakeDevice> {
        let shared = Arc::new(Shared::new(config)?);
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(FakeDevice { addr, shared, task })
    }

    /// Where it listens: pass `addr().to_string()` to `adb connect`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configured serial (`ro.serialno`).
    pub fn serial(&self) -> String {
        self.shared.config().serial
    }

    /// Change a property while running (later `getprop`s see it), e.g. to simulate enrollment.
    pub fn set_property(&self, key: &str, value: &str) {
        self.shared.update(|c| {
            c.properties.insert(key.to_owned(), value.to_owned());
        });
    }

    /// Change a canned shell answer while running.
    pub fn set_shell_answer(&self, command: &str, stdout: &str, exit_code: u8) {
        let answer = ShellAnswer {
            stdout: stdout.to_owned(),
            exit_code,
        };
        self.shared.update(|c| {
            c.shell_answers.insert(command.to_owned(), answer);
        });
    }

    /// Change how it treats host keys from the next handshake on, as when the user taps "Allow"
    /// on a prompt they had ignored (keys given to [`FakeAuth::KnownKeysOnly`] count only at
    /// spawn).
    pub fn set_auth(&self, auth: FakeAuth) {
        self.shared.update(|c| c.auth = auth);
    }

    /// Make the device slow (or fast again) from its next message on.
    pub fn set_reply_delay(&self, delay: std::time::Duration) {
        self.shared.update(|c| c.reply_delay = delay);
    }

    /// Every OPEN destination hosts asked for, in order (`shell,v2,raw:getprop`, `sync:`, …).
    pub fn opened_services(&self) -> Vec<String> {
        self.shared
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The file at `path` on the device, if any (what a push wrote).
    pub fn file(&self, path: &str) -> Option<FakeFile> {
        self.shared.with_files(|files| files.get(path).cloned())
    }

    /// Put a file on the device while running.
    pub fn put_file(&self, path: &str, data: impl Into<Vec<u8>>, mode: u32) {
        let file = FakeFile {
            data: data.into(),
            mode,
            mtime: 0,
        };
        self.shared
            .with_files(|files| files.insert(path.to_owned(), file));
    }

    /// Trust `public_key` (an `adbkey.pub` line), as if the user had once tapped "Allow".
    pub fn trust_key(&self, public_key: &str) -> std::io::Result<()> {
        let key = parse_android_public_key(public_key)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        self.shared.trust(key);
        Ok(())
    }

    /// The device disappears, as when its cable is pulled: every connection drops at once
    /// (hosts see end of stream) and new connections are refused.
    pub fn vanish(&self) {
        self.task.abort();
    }

    /// Stop listening and drop every connection.
    pub fn shutdown(self) {}
}

impl Drop for FakeDevice {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "fake adbd: host connected");
                    connections.spawn(serve(stream, shared.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "fake adbd: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = MessageReader::new(read);
    let mut budget = shared.config().cut_after_bytes.unwrap_or(usize::MAX);
    let mut session = Session::new(shared.clone());
    while let Ok(message) = reader.read().await {
        if message.payload.len() > session.max_payload() {
            tracing::debug!(
                len = message.payload.len(),
                "fake adbd: payload over the negotiated maximum, dropping the host"
            );
            return;
        }
        for reply in session.handle(message) {
            let delay = shared.reply_delay();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let bytes = reply.encode();
            if bytes.len() > budget {
                // The cable is pulled mid-message: send what fits, then drop the connection.
                let _ = write.write_all(&bytes[..budget]).await;
                return;
            }
            budget -= bytes.len();
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
    }
}
