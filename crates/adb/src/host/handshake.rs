//! The start of a connection: CNXN, then AUTH until the device answers with its own CNXN.
//!
//! Each AUTH(TOKEN) is signed with the bench key. A device that does not know the key sends
//! another TOKEN; we then offer the public key once (AUTH RSAPUBLICKEY), the device shows
//! "Allow USB debugging?", and we wait up to [`ConnectOptions::auth_prompt_timeout`] for the
//! user. Every other wait is bounded by [`ConnectOptions::io_timeout`].

use std::time::Duration;

use super::{ConnectOptions, ConnectProgress, DeviceBanner, HostError};
use crate::auth::AdbKey;
use crate::transport::MessageTransport;
use crate::wire::{auth_type, Command, Message, A_VERSION, MAX_PAYLOAD, TOKEN_SIZE};

/// The features we announce: only those this client implements.
pub const HOST_FEATURES: &[&str] = &["shell_v2", "cmd", "stat_v2"];

fn host_banner() -> String {
    format!("host::features={}", HOST_FEATURES.join(","))
}

/// Run CNXN/AUTH on `transport` until the device is online; its banner, with the negotiated
/// version and payload size.
pub(super) async fn handshake<T: MessageTransport>(
    transport: &mut T,
    key: &AdbKey,
    options: &ConnectOptions,
) -> Result<DeviceBanner, HostError> {
    let device = transport.describe();
    let lost = |e: std::io::Error| HostError::Disconnected {
        device: device.clone(),
        service: "connect".into(),
        reason: e.to_string(),
    };
    options.report(ConnectProgress::Connecting);
    transport
        .send(&Message::cnxn(
            A_VERSION,
            MAX_PAYLOAD as u32,
            &host_banner(),
        ))
        .await
        .map_err(&lost)?;
    let mut signed = false;
    let mut offered = false;
    loop {
        let waited = if offered {
            options.auth_prompt_timeout
        } else {
            options.io_timeout
        };
        let message = match tokio::time::timeout(waited, transport.recv()).await {
            Ok(received) => received.map_err(&lost)?,
            Err(_) if offered => {
                return Err(HostError::Unauthorized {
                    device,
                    fingerprint: key.fingerprint(),
                    waited,
                })
            }
            Err(_) => return Err(timeout(&device, waited)),
        };
        match (message.command, message.arg0) {
            (Command::Cnxn, version) => {
                let max_payload = (message.arg1 as usize).min(MAX_PAYLOAD);
                let banner =
                    DeviceBanner::parse(&message.payload_text(), version.min(A_VERSION), max_payload);
                options.report(ConnectProgress::Connected);
                return Ok(banner);
            }
            (Command::Auth, auth_type::TOKEN) => {
                let token: &[u8; TOKEN_SIZE] =
                    message.payload.as_slice().try_into().map_err(|_| HostError::Protocol {
                        device: device.clone(),
                        service: "connect".into(),
                        detail: format!("AUTH token of {} bytes, not {TOKEN_SIZE}", message.payload.len()),
                    })?;
                let reply = if !signed {
                    signed = true;
                    options.report(ConnectProgress::Authenticating);
                    Message::auth(auth_type::SIGNATURE, sign(key, *token).await)
                } else if !offered {
                    // The device does not know our key: ask the user to allow it.
                    offered = true;
                    options.report(ConnectProgress::WaitingForUser {
                        fingerprint: key.fingerprint(),
                    });
                    let mut offer = key.android_public_key().into_bytes();
                    offer.push(0);
                    Message::auth(auth_type::RSAPUBLICKEY, offer)
                } else {
                    // A device may re-send a TOKEN while the prompt is up; keep waiting.
                    continue;
                };
                transport.send(&reply).await.map_err(&lost)?;
            }
            (Command::Stls, _) => {
                return Err(HostError::Protocol {
                    device,
                    service: "connect".into(),
                    detail: "the device asks for TLS (wireless debugging pairing), which StageBench does not speak; use USB or `adb tcpip 5555`".into(),
                })
            }
            // Anything else before CNXN is stale traffic from an earlier session: skip it.
            _ => {}
        }
    }
}

/// An RSA-2048 signature costs milliseconds of CPU (about 10 ms with the `rsa` crate): make it
/// on the blocking pool so 50 devices connecting at once do not stall the async workers.
async fn sign(key: &AdbKey, token: [u8; TOKEN_SIZE]) -> Vec<u8> {
    let owned = key.clone();
    match tokio::task::spawn_blocking(move || owned.sign_token(&token)).await {
        Ok(signature) => signature,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // The runtime is shutting down its blocking pool: sign here instead.
        Err(_) => key.sign_token(&token),
    }
}

fn timeout(device: &str, waited: Duration) -> HostError {
    HostError::Timeout {
        device: device.to_owned(),
        service: "connect (CNXN/AUTH)".into(),
        waited,
    }
}
