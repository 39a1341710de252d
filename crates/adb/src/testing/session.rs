//! The device side of one ADB connection as a state machine without I/O: feed it each message
//! the host sends, write out the messages it returns.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use rand::RngCore as _;

use super::shell::Service;
use super::sync::SyncService;
use super::Shared;
use crate::auth::{parse_android_public_key, verify_token_signature};
use crate::wire::{auth_type, Command, Message, MAX_PAYLOAD, MAX_PAYLOAD_V1, TOKEN_SIZE};

#[derive(Debug)]
enum Phase {
    /// Waiting for the host's CNXN.
    Connecting,
    /// Sent this TOKEN, waiting for a signature or a public key.
    Authenticating([u8; TOKEN_SIZE]),
    /// CNXN sent; streams may be opened.
    Online,
}

/// A stream the device is writing: chunks still to send, one WRTE in flight at a time. A sync
/// stream also reads the host's WRTEs and stays open until the service ends.
#[derive(Debug)]
struct Stream {
    remote_id: u32,
    pending: VecDeque<Vec<u8>>,
    /// Sent again each time `pending` runs dry, until the host closes (a command that never
    /// ends).
    endless: Option<Vec<u8>>,
    awaiting_ack: bool,
    sync: Option<SyncService>,
}

/// One connection's protocol state.
#[derive(Debug)]
pub(crate) struct Session {
    shared: Arc<Shared>,
    phase: Phase,
    max_payload: usize,
    next_id: u32,
    streams: HashMap<u32, Stream>,
}

impl Session {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            phase: Phase::Connecting,
            max_payload: MAX_PAYLOAD_V1,
            next_id: 1,
            streams: HashMap::new(),
        }
    }

    /// The messages to send in answer to `message`.
    pub(crate) fn handle(&mut self, message: Message) -> Vec<Message> {
        match (message.command, &self.phase) {
            (Command::Cnxn, _) => self.on_cnxn(&message),
            (Command::Auth, Phase::Authenticating(token)) => {
                let token = *token;
                self.on_auth(&message, &token)
            }
            (Command::Open, Phase::Online) => self.on_open(&message),
            (Command::Okay, Phase::Online) => self.on_okay(message.arg1),
            (Command::Wrte, Phase::Online) => self.on_wrte(message),
            (Command::Clse, Phase::Online) => {
                self.streams.remove(&message.arg1);
                Vec::new()
            }
            // SYNC, STLS, and anything out of phase: a real adbd drops these too.
            _ => Vec::new(),
        }
    }

    fn on_cnxn(&mut self, message: &Message) -> Vec<Message> {
        self.streams.clear();
        let own = self.shared.config().max_payload;
        self.max_payload = (message.arg1 as usize)
            .clamp(MAX_PAYLOAD_V1, MAX_PAYLOAD)
            .min(own);
        if self.shared.auth_required() {
            self.new_token()
        } else {
            self.go_online()
        }
    }

    fn new_token(&mut self) -> Vec<Message> {
        let mut token = [0u8; TOKEN_SIZE];
        rand::thread_rng().fill_bytes(&mut token);
        self.phase = Phase::Authenticating(token);
        vec![Message::auth(auth_type::TOKEN, token.to_vec())]
    }

    fn go_online(&mut self) -> Vec<Message> {
        self.phase = Phase::Online;
        let config = self.shared.config();
        vec![Message::cnxn(
            config.version,
            config.max_payload as u32,
            &config.banner(),
        )]
    }

    /// The largest payload either side may send on this connection.
    pub(crate) fn max_payload(&self) -> usize {
        self.max_payload
    }

    fn on_auth(&mut self, message: &Message, token: &[u8; TOKEN_SIZE]) -> Vec<Message> {
        match message.arg0 {
            auth_type::SIGNATURE => {
                let trusted = self.shared.trusted_keys();
                if trusted
                    .iter()
                    .any(|key| verify_token_signature(key, token, &message.payload))
                {
                    self.go_online()
                } else {
                    self.new_token()
                }
            }
            auth_type::RSAPUBLICKEY if self.shared.accepts_offered_keys() => {
                match parse_android_public_key(&message.payload_text()) {
                    Ok(key) => {
                        self.shared.trust(key);
                        self.go_online()
                    }
                    Err(error) => {
                        tracing::warn!(%error, "fake adbd: host offered an unreadable public key");
                        Vec::new()
                    }
                }
            }
            // Reject / KnownKeysOnly: the "Allow USB debugging?" prompt is never accepted.
            _ => Vec::new(),
        }
    }

    fn on_open(&mut self, message: &Message) -> Vec<Message> {
        let remote_id = message.arg0;
        let destination = message.payload_text();
        self.shared.record_open(&destination);
        let Some(service) = Service::parse(&destination) else {
            tracing::debug!(%destination, "fake adbd: service not implemented");
            return vec![Message::clse(0, remote_id)];
        };
        let endless = service.endless(self.max_payload);
        let output = match endless {
            Some(_) => Vec::new(),
            None => service.output(&self.shared.config()),
        };
        let local_id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let pending = output
            .chunks(self.max_payload)
            .map(<[u8]>::to_vec)
            .collect();
        let sync = (service == Service::Sync).then(SyncService::new);
        let is_sync = sync.is_some();
        self.streams.insert(
            local_id,
            Stream {
                remote_id,
                pending,
                endless,
                awaiting_ack: false,
                sync,
            },
        );
        let mut out = vec![Message::okay(local_id, remote_id)];
        if !is_sync {
            out.extend(self.send_next(local_id));
        }
        out
    }

    /// Host data: acknowledged at once; a sync stream answers it, shells ignore it.
    fn on_wrte(&mut self, message: Message) -> Vec<Message> {
        let (remote_id, local_id) = (message.arg0, message.arg1);
        let mut out = vec![Message::okay(local_id, remote_id)];
        let Some(stream) = self.streams.get_mut(&local_id) else {
            return out;
        };
        let Some(sync) = stream.sync.as_mut() else {
            return out;
        };
        let result = self
            .shared
            .with_files(|files| sync.absorb(&message.payload, files));
        if result.ended {
            stream.sync = None;
        }
        stream
            .pending
            .extend(result.reply.chunks(self.max_payload).map(<[u8]>::to_vec));
        if !stream.awaiting_ack {
            out.extend(self.send_next(local_id));
        }
        out
    }

    fn on_okay(&mut self, local_id: u32) -> Vec<Message> {
        match self.streams.get_mut(&local_id) {
            Some(stream) if stream.awaiting_ack => {
                stream.awaiting_ack = false;
                self.send_next(local_id)
            }
            _ => Vec::new(),
        }
    }

    /// The next WRTE of a stream, or its CLSE once everything was acknowledged (a sync stream
    /// waits for more requests instead).
    fn send_next(&mut self, local_id: u32) -> Vec<Message> {
        let Some(stream) = self.streams.get_mut(&local_id) else {
            return Vec::new();
        };
        let remote_id = stream.remote_id;
        match stream
            .pending
            .pop_front()
            .or_else(|| stream.endless.clone())
        {
            Some(chunk) => {
                stream.awaiting_ack = true;
                vec![Message::wrte(local_id, remote_id, chunk)]
            }
            None if stream.sync.is_some() => Vec::new(),
            None => {
                self.streams.remove(&local_id);
                vec![Message::clse(local_id, remote_id)]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FakeAuth, FakeDeviceConfig};
    use super::*;
    use crate::auth::AdbKey;
    use crate::wire::A_VERSION;

    fn session(config: FakeDeviceConfig) -> Session {
        Session::new(Arc::new(Shared::new(config).unwrap()))
    }

    fn host_cnxn(max_payload: u32) -> Message {
        Message::cnxn(A_VERSION, max_payload, "host::features=shell_v2")
    }

    #[test]
    fn open_shell_writes_in_max_payload_chunks_waiting_for_okay() {
        let long = "x".repeat(10_000);
        let mut device = session(FakeDeviceConfig::new("S1").shell_answer("big", &long, 0));
        let reply = device.handle(host_cnxn(4096));
        assert_eq!(reply[0].command, Command::Cnxn);
        assert!(reply[0]
            .payload_text()
            .starts_with("device::ro.product.name=fakephone;"));

        let reply = device.handle(Message::open(7, "shell:big"));
        assert_eq!(
            reply.iter().map(|m| m.command).collect::<Vec<_>>(),
            [Command::Okay, Command::Wrte]
        );
        let local = reply[0].arg0;
        assert_eq!((reply[0].arg1, reply[1].payload.len()), (7, 4096));
        assert!(
            device.handle(Message::okay(7, 999)).is_empty(),
            "OKAY for another stream is ignored"
        );
        let mut received = reply[1].payload.len();
        loop {
            let reply = device.handle(Message::okay(7, local));
            assert_eq!(reply.len(), 1);
            if reply[0].command == Command::Clse {
                break;
            }
            assert!(device.handle(Message::okay(7, 999)).is_empty());
            received += reply[0].payload.len();
        }
        assert_eq!(received, 10_000);
    }

    #[test]
    fn unknown_services_are_closed() {
        let mut device = session(FakeDeviceConfig::new("S1"));
        device.handle(host_cnxn(4096));
        assert_eq!(
            device.handle(Message::open(3, "reverse:list-forward")),
            [Message::clse(0, 3)]
        );
    }

    #[test]
    fn accept_after_prompt_then_signature_is_enough() {
        let key = AdbKey::generate().unwrap();
        let shared = Arc::new(
            Shared::new(FakeDeviceConfig::new("S1").auth(FakeAuth::AcceptAfterPrompt)).unwrap(),
        );
        let mut device = Session::new(shared.clone());
        let sign = |m: &Message| {
            Message::auth(
                auth_type::SIGNATURE,
                key.sign_token(m.payload.as_slice().try_into().unwrap()),
            )
        };

        let token = device.handle(host_cnxn(MAX_PAYLOAD as u32)).remove(0);
        assert_eq!(
            (token.command, token.arg0, token.payload.len()),
            (Command::Auth, auth_type::TOKEN, TOKEN_SIZE)
        );
        let again = device.handle(sign(&token)).remove(0);
        assert_eq!(
            (again.command, again.arg0),
            (Command::Auth, auth_type::TOKEN),
            "unknown key: new token"
        );
        let mut offer = key.android_public_key().into_bytes();
        offer.push(0);
        assert_eq!(
            device.handle(Message::auth(auth_type::RSAPUBLICKEY, offer))[0].command,
            Command::Cnxn
        );

        let mut second = Session::new(shared);
        let token = second.handle(host_cnxn(4096)).remove(0);
        assert_eq!(
            second.handle(sign(&token))[0].command,
            Command::Cnxn,
            "remembered key"
        );
    }

    #[test]
    fn reject_and_known_keys_never_accept_strangers() {
        let key = AdbKey::generate().unwrap();
        let offer = Message::auth(
            auth_type::RSAPUBLICKEY,
            key.android_public_key().into_bytes(),
        );
        for auth in [
            FakeAuth::Reject,
            FakeAuth::KnownKeysOnly(vec![AdbKey::generate().unwrap().android_public_key()]),
        ] {
            let mut device = session(FakeDeviceConfig::new("S1").auth(auth));
            device.handle(host_cnxn(4096));
            assert!(device.handle(offer.clone()).is_empty());
        }
        let mut device = session(
            FakeDeviceConfig::new("S1")
                .auth(FakeAuth::KnownKeysOnly(vec![key.android_public_key()])),
        );
        let token = device.handle(host_cnxn(4096)).remove(0);
        let signature = key.sign_token(token.payload.as_slice().try_into().unwrap());
        assert_eq!(
            device.handle(Message::auth(auth_type::SIGNATURE, signature))[0].command,
            Command::Cnxn
        );
    }
}
