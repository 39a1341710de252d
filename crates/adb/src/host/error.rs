//! What can go wrong talking to a device directly, with the device, the service and the next step.

use std::time::Duration;

use thiserror::Error;

use crate::auth::AuthError;

/// A direct device request that failed, and why. `device` is the link's description
/// (`tcp 127.0.0.1:5555`, `usb 1-4.3`).
#[derive(Debug, Error)]
pub enum HostError {
    /// The link could not be opened at all.
    #[error("could not reach {device}: {source}; check the address (or cable) and that ADB is enabled on the device")]
    Unreachable {
        /// The link.
        device: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The device went away: end of stream, reset, cable pulled, or a corrupt stream.
    #[error("{device} disconnected during {service}: {reason}; replug the device (or check the network) and read it again")]
    Disconnected {
        /// The link.
        device: String,
        /// What was in progress (`connect`, `shell:getprop`, `sync:`).
        service: String,
        /// What the link reported.
        reason: String,
    },
    /// The device stayed silent for longer than allowed.
    #[error("{device} did not answer {service} within {waited:?}; the device may be frozen or rebooting: replug it and retry")]
    Timeout {
        /// The link.
        device: String,
        /// What was in progress.
        service: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The device never accepted this host's key.
    #[error("{device} did not accept this bench's ADB key (fingerprint {fingerprint}) within {waited:?}: unlock the device, tap \"Allow\" on the \"Allow USB debugging?\" prompt (tick \"Always allow from this computer\"), then read it again")]
    Unauthorized {
        /// The link.
        device: String,
        /// Our key's fingerprint, to compare with the one on the device's screen.
        fingerprint: String,
        /// How long we waited for the user.
        waited: Duration,
    },
    /// The device refused to open a service (it answered OPEN with CLSE).
    #[error("{device} refused service {service}: the device (or its Android version) does not offer it; check the command or update the device")]
    ServiceRefused {
        /// The link.
        device: String,
        /// The service asked for.
        service: String,
    },
    /// The device broke the protocol.
    #[error("{device} sent something unexpected during {service}: {detail}; replug the device and retry, and report it if it persists")]
    Protocol {
        /// The link.
        device: String,
        /// What was in progress.
        service: String,
        /// What was wrong.
        detail: String,
    },
    /// The device sent more than [`crate::MAX_SERVICE_OUTPUT`] for one command or service.
    #[error("{device} sent more than {} MiB for {service}, the most the bench keeps of one command's output; the stream was closed: check the command (one that never ends needs to be stopped on the device, e.g. `logcat -d`)", limit >> 20)]
    OutputTooLarge {
        /// The link.
        device: String,
        /// The service.
        service: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The sync service refused a file operation (`FAIL`).
    #[error("{device} refused {operation} of {path}: {message}; check the path and its permissions on the device")]
    SyncFailed {
        /// The link.
        device: String,
        /// `push`, `pull`, `stat`.
        operation: &'static str,
        /// The device path.
        path: String,
        /// The device's message.
        message: String,
    },
    /// A sync path longer than the 1024 bytes the protocol allows.
    #[error("device path {path:?} is {length} bytes; the sync protocol allows at most 1024: use a shorter path")]
    PathTooLong {
        /// The path.
        path: String,
        /// Its length in bytes.
        length: usize,
    },
    /// The host's key could not be loaded or made.
    #[error(transparent)]
    Key(#[from] AuthError),
}
