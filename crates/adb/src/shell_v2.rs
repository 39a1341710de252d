//! Shell protocol v2 framing (feature `shell_v2`), without I/O.
//!
//! Inside a `shell,v2,…:` stream every packet is a 1-byte stream id, a little-endian u32 length
//! and the data. The exit packet carries one byte, the exit code. Packets may be split across
//! WRTE messages, so [`decode`] answers `Ok(None)` until a whole packet is buffered.

use thiserror::Error;

/// Bytes in a packet header (id + length).
pub const PACKET_HEADER_LEN: usize = 5;
/// Largest packet we accept; real packets are far smaller.
pub const MAX_PACKET: usize = crate::wire::MAX_PAYLOAD;

/// The stream a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StreamId {
    /// Host → device input.
    Stdin = 0,
    /// Device → host standard output.
    Stdout = 1,
    /// Device → host standard error.
    Stderr = 2,
    /// Device → host exit code (1 data byte).
    Exit = 3,
    /// Host → device: no more input.
    CloseStdin = 4,
    /// Host → device: terminal size changed.
    WindowSize = 5,
}

impl StreamId {
    /// The stream with this id byte, if there is one.
    pub fn from_u8(id: u8) -> Option<Self> {
        [
            Self::Stdin,
            Self::Stdout,
            Self::Stderr,
            Self::Exit,
            Self::CloseStdin,
            Self::WindowSize,
        ]
        .into_iter()
        .find(|s| *s as u8 == id)
    }
}

/// One shell v2 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Which stream.
    pub id: StreamId,
    /// The data.
    pub data: Vec<u8>,
}

/// Why bytes could not be decoded as a shell v2 packet.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ShellV2Error {
    /// The id byte is not 0..=5.
    #[error("unknown shell v2 stream id {0}; the device is not speaking shell v2 here, retry with the raw `shell:` service")]
    UnknownId(u8),
    /// The announced length is implausibly large.
    #[error("shell v2 packet of {length} bytes exceeds {max}; the stream is out of step, rerun the command")]
    TooLarge {
        /// Announced length.
        length: usize,
        /// The limit.
        max: usize,
    },
}

/// Append one packet to `out`.
pub fn encode_into(id: StreamId, data: &[u8], out: &mut Vec<u8>) {
    out.push(id as u8);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
}

/// One packet as bytes.
pub fn encode(id: StreamId, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PACKET_HEADER_LEN + data.len());
    encode_into(id, data, &mut out);
    out
}

/// Decode one packet from the front of `buf`: `Ok(None)` until enough bytes are there, else the
/// packet and the number of bytes it used.
pub fn decode(buf: &[u8]) -> Result<Option<(Packet, usize)>, ShellV2Error> {
    let Some(head) = buf.first_chunk::<PACKET_HEADER_LEN>() else {
        return Ok(None);
    };
    let id = StreamId::from_u8(head[0]).ok_or(ShellV2Error::UnknownId(head[0]))?;
    let length = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if length > MAX_PACKET {
        return Err(ShellV2Error::TooLarge {
            length,
            max: MAX_PACKET,
        });
    }
    let total = PACKET_HEADER_LEN + length;
    if buf.len() < total {
        return Ok(None);
    }
    Ok(Some((
        Packet {
            id,
            data: buf[PACKET_HEADER_LEN..total].to_vec(),
        },
        total,
    )))
}

/// What a finished v2 shell produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellOutput {
    /// Everything on stdout.
    pub stdout: Vec<u8>,
    /// Everything on stderr.
    pub stderr: Vec<u8>,
    /// The exit code, if the exit packet arrived.
    pub exit_code: Option<u8>,
}

impl ShellOutput {
    /// Decode all complete packets in `buf`, returning how many bytes were used.
    pub fn absorb(&mut self, buf: &[u8]) -> Result<usize, ShellV2Error> {
        let mut used = 0;
        while let Some((packet, n)) = decode(&buf[used..])? {
            used += n;
            match packet.id {
                StreamId::Stdout => self.stdout.extend(packet.data),
                StreamId::Stderr => self.stderr.extend(packet.data),
                StreamId::Exit => self.exit_code = packet.data.first().copied(),
                StreamId::Stdin | StreamId::CloseStdin | StreamId::WindowSize => {}
            }
        }
        Ok(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_id_length_data() {
        assert_eq!(encode(StreamId::Exit, &[127]), vec![3, 1, 0, 0, 0, 127]);
        assert_eq!(
            encode(StreamId::Stdout, b"hi"),
            vec![1, 2, 0, 0, 0, b'h', b'i']
        );
    }

    #[test]
    fn partial_packets_wait_for_more_bytes() {
        let bytes = encode(StreamId::Stderr, b"oops");
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), Ok(None));
        }
        let (packet, used) = decode(&bytes).unwrap().unwrap();
        assert_eq!(
            (packet.id, packet.data.as_slice(), used),
            (StreamId::Stderr, &b"oops"[..], 9)
        );
    }

    #[test]
    fn rejects_unknown_id_and_oversize() {
        assert_eq!(decode(&[9, 0, 0, 0, 0]), Err(ShellV2Error::UnknownId(9)));
        assert!(matches!(
            decode(&[1, 0xff, 0xff, 0xff, 0xff]),
            Err(ShellV2Error::TooLarge { .. })
        ));
    }

    #[test]
    fn output_collects_streams_split_anywhere() {
        let mut bytes = encode(StreamId::Stdout, b"out");
        bytes.extend(encode(StreamId::Stderr, b"err"));
        bytes.extend(encode(StreamId::Exit, &[3]));
        let mut out = ShellOutput::default();
        let mut pending = Vec::new();
        for byte in bytes {
            pending.push(byte);
            let used = out.absorb(&pending).unwrap();
            pending.drain(..used);
        }
        assert!(pending.is_empty());
        assert_eq!(
            out,
            ShellOutput {
                stdout: b"out".to_vec(),
                stderr: b"err".to_vec(),
                exit_code: Some(3)
            }
        );
    }
}
