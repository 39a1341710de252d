//! The ADB message format spoken between a host and a device (over USB or TCP 5555), without I/O.
//!
//! A message is a 24-byte little-endian header (`command, arg0, arg1, data_length, data_check,
//! magic`) followed by `data_length` payload bytes. [`decode`] answers `Ok(None)` while the buffer
//! does not yet hold a whole message, so any reader can feed it bytes as they arrive.

use thiserror::Error;

/// Length of a message header in bytes.
pub const HEADER_LEN: usize = 24;
/// Oldest protocol version a peer may announce in CNXN.
pub const A_VERSION_MIN: u32 = 0x0100_0000;
/// Protocol version that lets senders leave `data_check` at 0 (`A_VERSION_SKIP_CHECKSUM`).
pub const A_VERSION_SKIP_CHECKSUM: u32 = 0x0100_0001;
/// The protocol version we announce.
pub const A_VERSION: u32 = A_VERSION_SKIP_CHECKSUM;
/// Maximum payload of old peers; CNXN and AUTH sent to a device must fit in it.
pub const MAX_PAYLOAD_V1: usize = 4096;
/// Largest payload we accept or announce (1 MiB, as current adb).
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// Size of the random token a device sends in AUTH(TOKEN).
pub const TOKEN_SIZE: usize = 20;

/// `arg0` of an AUTH message: what its payload is.
pub mod auth_type {
    /// Device → host: 20 random bytes to sign.
    pub const TOKEN: u32 = 1;
    /// Host → device: the token signed with one of the host's private keys.
    pub const SIGNATURE: u32 = 2;
    /// Host → device: `"<base64 RSAPublicKey> user@host\0"`, asking the user to allow it.
    pub const RSAPUBLICKEY: u32 = 3;
}

/// The eight message commands, with their on-wire values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Command {
    /// Obsolete.
    Sync = 0x434e_5953,
    /// Connect: `(version, max_payload, "system-identity")`.
    Cnxn = 0x4e58_4e43,
    /// Authentication: `(type, 0, data)`.
    Auth = 0x4854_5541,
    /// Open a stream: `(local_id, 0, "destination\0")`.
    Open = 0x4e45_504f,
    /// Stream ready / acknowledge a write: `(local_id, remote_id, "")`.
    Okay = 0x5941_4b4f,
    /// Close a stream: `(local_id, remote_id, "")`.
    Clse = 0x4553_4c43,
    /// Write to a stream: `(local_id, remote_id, data)`.
    Wrte = 0x4554_5257,
    /// TLS upgrade (wireless debugging): `(type, version, "")`.
    Stls = 0x534c_5453,
}

impl Command {
    /// Every command.
    pub const ALL: [Command; 8] = [
        Self::Sync,
        Self::Cnxn,
        Self::Auth,
        Self::Open,
        Self::Okay,
        Self::Clse,
        Self::Wrte,
        Self::Stls,
    ];

    /// The command with this on-wire value, if there is one.
    pub fn from_u32(value: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u32 == value)
    }
}

/// Why bytes could not be decoded as a message. The stream is out of step: drop the connection.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    /// `magic` is not `command ^ 0xffffffff`.
    #[error("bad ADB header: magic {magic:#010x} does not match command {command:#010x}; the peer is not speaking ADB or the stream is out of step, reconnect")]
    BadMagic {
        /// The command word received.
        command: u32,
        /// The magic word received.
        magic: u32,
    },
    /// The command word is none of the known commands.
    #[error("unknown ADB command {0:#010x}; the peer is not speaking ADB or the stream is out of step, reconnect")]
    UnknownCommand(u32),
    /// The announced payload is larger than [`MAX_PAYLOAD`].
    #[error("ADB payload of {length} bytes exceeds the {max}-byte maximum; reconnect")]
    PayloadTooLarge {
        /// The announced length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// `data_check` is set but is not the byte sum of the payload.
    #[error("ADB payload checksum {expected:#010x} does not match computed {actual:#010x}; the link corrupts data, reconnect")]
    BadChecksum {
        /// The checksum in the header.
        expected: u32,
        /// The sum of the payload received.
        actual: u32,
    },
}

/// A decoded message header, for transports (USB) that receive header and payload separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The command.
    pub command: Command,
    /// First argument.
    pub arg0: u32,
    /// Second argument.
    pub arg1: u32,
    /// Payload length that follows the header.
    pub data_length: usize,
    /// Byte sum of the payload, or 0 when the sender skips it.
    pub data_check: u32,
}

/// One ADB message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The command.
    pub command: Command,
    /// First argument (meaning depends on the command).
    pub arg0: u32,
    /// Second argument (meaning depends on the command).
    pub arg1: u32,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

/// Byte sum of a payload, the `data_check` header field.
pub fn checksum(payload: &[u8]) -> u32 {
    payload
        .iter()
        .fold(0u32, |sum, b| sum.wrapping_add(u32::from(*b)))
}

fn with_nul(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

impl Message {
    /// A message with the given fields.
    pub fn new(command: Command, arg0: u32, arg1: u32, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            command,
            arg0,
            arg1,
            payload: payload.into(),
        }
    }

    /// CNXN announcing `version`, `max_payload` and an identity such as `host::features=shell_v2`.
    pub fn cnxn(version: u32, max_payload: u32, identity: &str) -> Self {
        Self::new(Command::Cnxn, version, max_payload, identity.as_bytes())
    }

    /// AUTH of the given [`auth_type`].
    pub fn auth(kind: u32, data: impl Into<Vec<u8>>) -> Self {
        Self::new(Command::Auth, kind, 0, data)
    }

    /// OPEN a stream to `destination` (sent NUL-terminated, as adb does).
    pub fn open(local_id: u32, destination: &str) -> Self {
        Self::new(Command::Open, local_id, 0, with_nul(destination))
    }

    /// OKAY: the stream is ready, or the last WRTE was consumed.
    pub fn okay(local_id: u32, remote_id: u32) -> Self {
        Self::new(Command::Okay, local_id, remote_id, Vec::new())
    }

    /// WRTE `data` on a stream.
    pub fn wrte(local_id: u32, remote_id: u32, data: impl Into<Vec<u8>>) -> Self {
        Self::new(Command::Wrte, local_id, remote_id, data)
    }

    /// CLSE a stream.
    pub fn clse(local_id: u32, remote_id: u32) -> Self {
        Self::new(Command::Clse, local_id, remote_id, Vec::new())
    }

    /// The payload as text without a trailing NUL (lossy), for OPEN destinations and banners.
    pub fn payload_text(&self) -> String {
        let bytes = self.payload.strip_suffix(&[0]).unwrap_or(&self.payload);
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// Append the header and payload to `out`. The checksum is always filled in, which every
    /// protocol version accepts.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let command = self.command as u32;
        let length = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        for word in [
            command,
            self.arg0,
            self.arg1,
            length,
            checksum(&self.payload),
            command ^ 0xffff_ffff,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&self.payload);
    }

    /// The header and payload as one buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        self.encode_into(&mut out);
        out
    }
}

/// Decode and check a 24-byte header.
pub fn decode_header(bytes: &[u8; HEADER_LEN]) -> Result<Header, WireError> {
    let word = |i: usize| {
        u32::from_le_bytes([
            bytes[i * 4],
            bytes[i * 4 + 1],
            bytes[i * 4 + 2],
            bytes[i * 4 + 3],
        ])
    };
    let (command, magic) = (word(0), word(5));
    if magic != command ^ 0xffff_ffff {
        return Err(WireError::BadMagic { command, magic });
    }
    let command = Command::from_u32(command).ok_or(WireError::UnknownCommand(command))?;
    let data_length = word(3) as usize;
    if data_length > MAX_PAYLOAD {
        return Err(WireError::PayloadTooLarge {
            length: data_length,
            max: MAX_PAYLOAD,
        });
    }
    Ok(Header {
        command,
        arg0: word(1),
        arg1: word(2),
        data_length,
        data_check: word(4),
    })
}

/// Check a payload against its header and build the message.
pub fn message_from_parts(header: Header, payload: Vec<u8>) -> Result<Message, WireError> {
    let actual = checksum(&payload);
    // Peers at A_VERSION_SKIP_CHECKSUM or later send 0; anything else must match.
    if header.data_check != 0 && header.data_check != actual {
        return Err(WireError::BadChecksum {
            expected: header.data_check,
            actual,
        });
    }
    Ok(Message {
        command: header.command,
        arg0: header.arg0,
        arg1: header.arg1,
        payload,
    })
}

/// Decode one message from the front of `buf`.
///
/// `Ok(None)` means "not enough bytes yet": read more and call again. `Ok(Some((message, n)))`
/// means the first `n` bytes of `buf` were consumed.
pub fn decode(buf: &[u8]) -> Result<Option<(Message, usize)>, WireError> {
    let Some(head) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let header = decode_header(head)?;
    let total = HEADER_LEN + header.data_length;
    if buf.len() < total {
        return Ok(None);
    }
    let message = message_from_parts(header, buf[HEADER_LEN..total].to_vec())?;
    Ok(Some((message, total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_values_match_the_protocol() {
        assert_eq!(Command::Cnxn as u32, u32::from_le_bytes(*b"CNXN"));
        assert_eq!(Command::Auth as u32, u32::from_le_bytes(*b"AUTH"));
        assert_eq!(Command::Open as u32, u32::from_le_bytes(*b"OPEN"));
        assert_eq!(Command::Okay as u32, u32::from_le_bytes(*b"OKAY"));
        assert_eq!(Command::Clse as u32, u32::from_le_bytes(*b"CLSE"));
        assert_eq!(Command::Wrte as u32, u32::from_le_bytes(*b"WRTE"));
        assert_eq!(Command::Sync as u32, u32::from_le_bytes(*b"SYNC"));
        assert_eq!(Command::Stls as u32, u32::from_le_bytes(*b"STLS"));
        assert_eq!(Command::from_u32(0x4e45_504f), Some(Command::Open));
        assert_eq!(Command::from_u32(7), None);
    }

    #[test]
    fn encodes_the_documented_header() {
        let bytes = Message::cnxn(A_VERSION, MAX_PAYLOAD as u32, "host::").encode();
        assert_eq!(bytes.len(), HEADER_LEN + 6);
        assert_eq!(&bytes[0..4], b"CNXN");
        assert_eq!(&bytes[4..8], &0x0100_0001u32.to_le_bytes());
        assert_eq!(&bytes[8..12], &0x0010_0000u32.to_le_bytes());
        assert_eq!(&bytes[12..16], &6u32.to_le_bytes());
        assert_eq!(&bytes[16..20], &checksum(b"host::").to_le_bytes());
        assert_eq!(
            &bytes[20..24],
            &(0x4e58_4e43u32 ^ 0xffff_ffff).to_le_bytes()
        );
        assert_eq!(&bytes[24..], b"host::");
    }

    #[test]
    fn round_trips_and_reports_bytes_consumed() {
        let first = Message::open(3, "shell:echo hi");
        let second = Message::okay(9, 3);
        let mut buf = first.encode();
        buf.extend(second.encode());
        let (decoded, used) = decode(&buf).unwrap().unwrap();
        assert_eq!(decoded, first);
        assert_eq!(decoded.payload_text(), "shell:echo hi");
        let (decoded, rest) = decode(&buf[used..]).unwrap().unwrap();
        assert_eq!(decoded, second);
        assert_eq!(used + rest, buf.len());
    }

    #[test]
    fn partial_input_is_not_an_error() {
        let bytes = Message::wrte(1, 2, b"hello".to_vec()).encode();
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(decode(&bytes).unwrap().is_some());
    }

    #[test]
    fn rejects_bad_magic() {
        let mut bytes = Message::okay(1, 2).encode();
        bytes[20] ^= 1;
        assert!(matches!(decode(&bytes), Err(WireError::BadMagic { .. })));
    }

    #[test]
    fn rejects_unknown_command_with_valid_magic() {
        let mut bytes = Message::okay(1, 2).encode();
        bytes[0..4].copy_from_slice(b"XXXX");
        let magic = u32::from_le_bytes(*b"XXXX") ^ 0xffff_ffff;
        bytes[20..24].copy_from_slice(&magic.to_le_bytes());
        assert_eq!(
            decode(&bytes),
            Err(WireError::UnknownCommand(u32::from_le_bytes(*b"XXXX")))
        );
    }

    #[test]
    fn rejects_oversize_length_from_the_header_alone() {
        let mut bytes = Message::wrte(1, 2, Vec::new()).encode();
        bytes[12..16].copy_from_slice(&((MAX_PAYLOAD as u32) + 1).to_le_bytes());
        assert!(matches!(
            decode(&bytes[..HEADER_LEN]),
            Err(WireError::PayloadTooLarge { .. })
        ));
    }

    #[test]
    fn zero_checksum_is_accepted_and_wrong_checksum_is_not() {
        let mut bytes = Message::wrte(1, 2, b"abc".to_vec()).encode();
        bytes[16..20].copy_from_slice(&0u32.to_le_bytes());
        assert!(decode(&bytes).unwrap().is_some());
        bytes[16..20].copy_from_slice(&5u32.to_le_bytes());
        assert!(matches!(decode(&bytes), Err(WireError::BadChecksum { .. })));
    }
}
