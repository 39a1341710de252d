//! Where sign-in secrets live: the OS keyring ([`OsKeyring`]), or memory in tests
//! ([`MemoryKeyring`]), behind one small trait ([`SecretStore`]).
//!
//! The keyring crate (v3) picks the backend per OS at build time: the freedesktop Secret Service
//! over zbus (pure Rust, no libdbus) on Linux and the BSDs, Keychain on macOS, Credential
//! Manager on Windows. Its calls block (D-Bus round trips, OS prompts), so they run on
//! `spawn_blocking` threads; that is also what its zbus-on-tokio backend needs (a keyring call on
//! a runtime thread can deadlock, keyring docs "Tokio runtime caution").
//!
//! Windows Credential Manager keeps at most 2,560 bytes per credential (`CRED_MAX_CREDENTIAL_BLOB_SIZE`);
//! Entra refresh tokens and PEM keys can be longer. Values above [`CHUNK`] bytes are therefore
//! split over several entries (`name`, `name#1`, `name#2`, …), the first holding a marker with
//! the count; every backend stores them the same way.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::intune::{BoxFuture, SignInError};
use crate::secret::SecretText;

/// The keyring "service" StageBench's entries are filed under.
pub const KEYRING_SERVICE: &str = "StageBench";

/// The largest part stored in one keyring entry (bytes), below Windows' 2,560.
pub const CHUNK: usize = 2000;

/// Marks a first entry that only says how many parts follow; a NUL never starts a token or PEM.
const CHUNKED: &str = "\0stagebench-parts:";

/// Get, set and delete named secrets. Implementations must be cheap to share (`Arc`).
pub trait SecretStore: Send + Sync {
    /// The secret called `name`, or `None` when there is none.
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<SecretText>, SignInError>>;
    /// Stores `value` as `name`, replacing any earlier value.
    fn set<'a>(
        &'a self,
        name: &'a str,
        value: &'a SecretText,
    ) -> BoxFuture<'a, Result<(), SignInError>>;
    /// Removes `name`; removing a missing secret is not an error. Returns whether one was there.
    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, SignInError>>;
}

impl<T: SecretStore + ?Sized> SecretStore for Arc<T> {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<SecretText>, SignInError>> {
        (**self).get(name)
    }
    fn set<'a>(
        &'a self,
        name: &'a str,
        value: &'a SecretText,
    ) -> BoxFuture<'a, Result<(), SignInError>> {
        (**self).set(name, value)
    }
    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, SignInError>> {
        (**self).delete(name)
    }
}

/// One keyring entry, read, written or removed synchronously: what the chunking sits on.
trait Entries {
    fn read(&self, name: &str) -> Result<Option<SecretText>, SignInError>;
    fn write(&self, name: &str, value: &str) -> Result<(), SignInError>;
    fn remove(&self, name: &str) -> Result<bool, SignInError>;
}

fn part_name(name: &str, i: usize) -> String {
    format!("{name}#{i}")
}

fn parts_of(first: &SecretText) -> Option<usize> {
    first
        .expose()
        .strip_prefix(CHUNKED)
        .and_then(|n| n.parse().ok())
}

fn get_chunked(e: &impl Entries, name: &str) -> Result<Option<SecretText>, SignInError> {
    let Some(first) = e.read(name)? else {
        return Ok(None);
    };
    let Some(n) = parts_of(&first) else {
        return Ok(Some(first));
    };
    let mut whole = String::new();
    for i in 1..=n {
        match e.read(&part_name(name, i))? {
            Some(part) => whole.push_str(part.expose()),
            // A part gone missing (removed by hand, or a write cut short): no secret at all.
            None => return Ok(None),
        }
    }
    Ok(Some(SecretText::new(whole)))
}

fn set_chunked(e: &impl Entries, name: &str, value: &SecretText) -> Result<(), SignInError> {
    let old_parts = e.read(name)?.as_ref().and_then(parts_of).unwrap_or(0);
    let text = value.expose();
    let mut parts = 0;
    if text.len() <= CHUNK && !text.starts_with(CHUNKED) {
        e.write(name, text)?;
    } else {
        let mut rest = text;
        while !rest.is_empty() {
            let mut cut = CHUNK.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            parts += 1;
            e.write(&part_name(name, parts), &rest[..cut])?;
            rest = &rest[cut..];
        }
        // The marker last, so a reader never sees a count whose parts are not all written.
        e.write(name, &format!("{CHUNKED}{parts}"))?;
    }
    for i in parts + 1..=old_parts {
        e.remove(&part_name(name, i))?;
    }
    Ok(())
}

fn delete_chunked(e: &impl Entries, name: &str) -> Result<bool, SignInError> {
    let parts = e.read(name)?.as_ref().and_then(parts_of).unwrap_or(0);
    let was = e.remove(name)?;
    for i in 1..=parts {
        e.remove(&part_name(name, i))?;
    }
    Ok(was)
}

/// The OS keyring (see the module docs), entries filed under a service name.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
}

impl OsKeyring {
    /// Entries under [`KEYRING_SERVICE`].
    pub fn new() -> OsKeyring {
        OsKeyring::with_service(KEYRING_SERVICE)
    }

    /// Entries under another service name (tests keep theirs apart).
    pub fn with_service(service: &str) -> OsKeyring {
        OsKeyring {
            service: service.to_owned(),
        }
    }

    /// Runs `f` on a blocking thread with this keyring's entries.
    fn blocking<T: Send + 'static>(
        &self,
        action: &'static str,
        f: impl FnOnce(&OsEntries) -> Result<T, SignInError> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, SignInError>> {
        let entries = OsEntries {
            service: self.service.clone(),
        };
        Box::pin(async move {
            tokio::task::spawn_blocking(move || f(&entries))
                .await
                .map_err(|e| SignInError::Keyring {
                    action: action.to_owned(),
                    reason: format!("the keyring call did not finish ({e})"),
                })?
        })
    }
}

impl Default for OsKeyring {
    fn default() -> Self {
        OsKeyring::new()
    }
}

struct OsEntries {
    service: String,
}

impl OsEntries {
    fn entry(&self, name: &str, action: &str) -> Result<keyring::Entry, SignInError> {
        keyring::Entry::new(&self.service, name).map_err(|e| keyring_error(action, name, &e))
    }
}

/// The keyring's own messages name the platform failure, never the secret.
fn keyring_error(action: &str, name: &str, e: &keyring::Error) -> SignInError {
    let reason = match e {
        keyring::Error::BadEncoding(_) => "the stored value is not text".to_owned(),
        keyring::Error::Ambiguous(found) => format!("{} entries match", found.len()),
        other => other.to_string(),
    };
    SignInError::Keyring {
        action: format!("{action} {name}"),
        reason,
    }
}

impl Entries for OsEntries {
    fn read(&self, name: &str) -> Result<Option<SecretText>, SignInError> {
        match self.entry(name, "read")?.get_secret() {
            Ok(bytes) => String::from_utf8(bytes)
                .map(|s| Some(SecretText::new(s)))
                .map_err(|_| SignInError::Keyring {
                    action: format!("read {name}"),
                    reason: "the stored value is not text".into(),
                }),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error("read", name, &e)),
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<(), SignInError> {
        // Bytes, not `set_password`: Windows would store a password as UTF-16, halving the room.
        self.entry(name, "store")?
            .set_secret(value.as_bytes())
            .map_err(|e| keyring_error("store", name, &e))
    }

    fn remove(&self, name: &str) -> Result<bool, SignInError> {
        match self.entry(name, "remove")?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error("remove", name, &e)),
        }
    }
}

impl SecretStore for OsKeyring {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<SecretText>, SignInError>> {
        let n = name.to_owned();
        self.blocking("read", move |e| get_chunked(e, &n))
    }
    fn set<'a>(
        &'a self,
        name: &'a str,
        value: &'a SecretText,
    ) -> BoxFuture<'a, Result<(), SignInError>> {
        let (n, v) = (name.to_owned(), value.clone());
        self.blocking("store", move |e| set_chunked(e, &n, &v))
    }
    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, SignInError>> {
        let n = name.to_owned();
        self.blocking("remove", move |e| delete_chunked(e, &n))
    }
}

/// Secrets in memory, for tests and demos: gone when dropped. Clones share the same entries.
#[derive(Clone, Default)]
pub struct MemoryKeyring {
    entries: Arc<Mutex<BTreeMap<String, SecretText>>>,
}

impl MemoryKeyring {
    /// An empty keyring.
    pub fn new() -> MemoryKeyring {
        MemoryKeyring::default()
    }

    /// The names of the entries held (parts of long values included).
    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SecretText>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for MemoryKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryKeyring")
            .field("names", &self.names())
            .finish()
    }
}

impl Entries for MemoryKeyring {
    fn read(&self, name: &str) -> Result<Option<SecretText>, SignInError> {
        Ok(self.lock().get(name).cloned())
    }
    fn write(&self, name: &str, value: &str) -> Result<(), SignInError> {
        self.lock().insert(name.to_owned(), SecretText::new(value));
        Ok(())
    }
    fn remove(&self, name: &str) -> Result<bool, SignInError> {
        Ok(self.lock().remove(name).is_some())
    }
}

impl SecretStore for MemoryKeyring {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<SecretText>, SignInError>> {
        Box::pin(async move { get_chunked(self, name) })
    }
    fn set<'a>(
        &'a self,
        name: &'a str,
        value: &'a SecretText,
    ) -> BoxFuture<'a, Result<(), SignInError>> {
        Box::pin(async move { set_chunked(self, name, value) })
    }
    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, SignInError>> {
        Box::pin(async move { delete_chunked(self, name) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn long_values_are_split_and_joined_and_shrinking_removes_old_parts() {
        let k = MemoryKeyring::new();
        // One ASCII byte first, so the 2,000-byte cut falls inside a two-byte character.
        let long = format!("a{}end", "é".repeat(CHUNK / 2 + 10));
        k.set("rt", &SecretText::new(long.clone())).await.unwrap();
        assert_eq!(k.names(), ["rt", "rt#1", "rt#2"]);
        assert!(k
            .lock()
            .values()
            .all(|v| v.expose().len() <= CHUNK || v.expose().starts_with(CHUNKED)));
        assert_eq!(k.get("rt").await.unwrap().unwrap().expose(), long);
        k.set("rt", &SecretText::new("short")).await.unwrap();
        assert_eq!(k.names(), ["rt"]);
        assert_eq!(k.get("rt").await.unwrap().unwrap().expose(), "short");
        k.set("rt", &SecretText::new(long)).await.unwrap();
        assert!(k.delete("rt").await.unwrap());
        assert!(k.names().is_empty());
        assert!(!k.delete("rt").await.unwrap(), "deleting twice is fine");
        assert!(k.get("rt").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_missing_part_reads_as_no_secret_and_debug_shows_names_only() {
        let k = MemoryKeyring::new();
        k.set("pk", &SecretText::new("x".repeat(CHUNK * 2)))
            .await
            .unwrap();
        k.remove("pk#2").unwrap();
        assert!(k.get("pk").await.unwrap().is_none());
        k.set("a", &SecretText::new("hunter2")).await.unwrap();
        let shown = format!("{k:?}");
        assert!(
            shown.contains("\"a\"") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
