//! How a scripted device answers ADB: nothing, a small built-in adbd, an unauthorized adbd, a
//! closure, or a relay to the fake adbd over TCP (so the full device side in
//! [`crate::testing`] runs behind fake bulk endpoints).

use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Weak};

use crate::wire::{self, auth_type, Command, Message, A_VERSION, MAX_PAYLOAD, TOKEN_SIZE};

use super::endpoints::Endpoints;

/// A closure that answers each message the host sends with the device's replies.
pub type Responder = Box<dyn FnMut(Message) -> Vec<Message> + Send + Sync>;

/// What a scripted device does with the ADB messages the host writes to its OUT endpoint.
pub enum DeviceScript {
    /// Never answers (a device whose adbd hangs).
    Silent,
    /// A minimal adbd without authentication: CNXN with `banner`; `shell:echo …`/`exec:echo …`
    /// streams print their text and close; other services are refused (CLSE); WRTE is
    /// acknowledged.
    Adb {
        /// The CNXN identity, `device::ro.product.name=…;features=…`.
        banner: String,
    },
    /// An adbd that wants a key it never accepts: CNXN and every signature get a new TOKEN, an
    /// offered public key gets nothing (the prompt waits on the device's screen).
    Unauthorized,
    /// Any behaviour.
    Responder(Responder),
    /// Forward everything to a device-side ADB peer over TCP, e.g.
    /// [`crate::testing::FakeDevice`], and its replies back to the IN endpoint.
    Relay(SocketAddr),
}

impl fmt::Debug for DeviceScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Silent => f.write_str("Silent"),
            Self::Adb { banner } => f.debug_struct("Adb").field("banner", banner).finish(),
            Self::Unauthorized => f.write_str("Unauthorized"),
            Self::Responder(_) => f.write_str("Responder(..)"),
            Self::Relay(addr) => f.debug_tuple("Relay").field(addr).finish(),
        }
    }
}

/// The default banner of a scripted phone.
pub const DEFAULT_BANNER: &str =
    "device::ro.product.name=fakephone;ro.product.model=FakePhone;ro.product.device=fakephone;features=shell_v2,cmd";

impl DeviceScript {
    /// Turn the script into a responder for `endpoints` (which a relay feeds asynchronously).
    pub(crate) fn into_responder(self, endpoints: &Arc<Endpoints>) -> std::io::Result<Responder> {
        Ok(match self {
            Self::Silent => Box::new(|_| Vec::new()),
            Self::Adb { banner } => mini_adbd(banner),
            Self::Unauthorized => Box::new(unauthorized),
            Self::Responder(responder) => responder,
            Self::Relay(addr) => relay(addr, endpoints)?,
        })
    }
}

fn mini_adbd(banner: String) -> Responder {
    let mut next_id = 0x100u32;
    Box::new(move |message| match message.command {
        Command::Cnxn => vec![Message::cnxn(A_VERSION, MAX_PAYLOAD as u32, &banner)],
        Command::Open => {
            let host_id = message.arg0;
            let destination = message.payload_text();
            let text = destination
                .strip_prefix("shell:echo ")
                .or_else(|| destination.strip_prefix("exec:echo "));
            match text {
                Some(text) => {
                    next_id += 1;
                    vec![
                        Message::okay(next_id, host_id),
                        Message::wrte(next_id, host_id, format!("{text}\n").into_bytes()),
                        Message::clse(next_id, host_id),
                    ]
                }
                None => vec![Message::clse(0, host_id)],
            }
        }
        Command::Wrte => vec![Message::okay(message.arg1, message.arg0)],
        _ => Vec::new(),
    })
}

fn unauthorized(message: Message) -> Vec<Message> {
    let token = || Message::auth(auth_type::TOKEN, vec![0x5a; TOKEN_SIZE]);
    match (message.command, message.arg0) {
        (Command::Cnxn, _) | (Command::Auth, auth_type::SIGNATURE) => vec![token()],
        _ => Vec::new(),
    }
}

/// Connect to `addr`; host messages go out as written, and a thread decodes the peer's bytes
/// into messages for the IN endpoint until either side closes.
fn relay(addr: SocketAddr, endpoints: &Arc<Endpoints>) -> std::io::Result<Responder> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let reader = stream.try_clone()?;
    endpoints.on_unplug(Box::new(move || {
        let _ = stream.shutdown(Shutdown::Both);
    }));
    let target = Arc::downgrade(endpoints);
    std::thread::Builder::new()
        .name(format!("scripted-relay {addr}"))
        .spawn(move || relay_replies(reader, &target))?;
    Ok(Box::new(move |message| {
        if let Err(error) = writer.write_all(&message.encode()) {
            tracing::debug!(%error, "scripted relay: peer gone");
        }
        Vec::new()
    }))
}

fn relay_replies(mut reader: TcpStream, target: &Weak<Endpoints>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match wire::decode(&buffer) {
            Ok(Some((message, used))) => {
                buffer.drain(..used);
                match target.upgrade() {
                    Some(endpoints) => endpoints.inject(&message),
                    None => return,
                }
                continue;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "scripted relay: peer sent garbage");
                return;
            }
        }
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}
