//! Carrying ADB messages: the [`MessageTransport`] seam that the protocol code is generic over
//! (TCP to port 5555 or a fake adbd; USB bulk endpoints; a scripted fake in tests), and the
//! buffering that reads whole messages from any async byte stream. The framing itself is
//! [`crate::wire`].

use std::future::Future;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::wire::{self, Message};

/// A link that carries whole ADB messages to and from one device. The same protocol code runs
/// over every implementation: over TCP a message is one write; over USB the header and the
/// payload are separate bulk transfers, with a zero-length packet when the payload is a whole
/// number of max-size packets.
pub trait MessageTransport: Send {
    /// Sends one message.
    fn send(&mut self, message: &Message) -> impl Future<Output = std::io::Result<()>> + Send;
    /// Receives the next message. End of link is `UnexpectedEof`; corrupt data is `InvalidData`.
    fn recv(&mut self) -> impl Future<Output = std::io::Result<Message>> + Send;
    /// What the link is, for messages: `tcp 127.0.0.1:5555`, `usb 1-4.3`.
    fn describe(&self) -> String;
}

/// Reads whole messages from a byte stream, keeping any extra bytes for the next call.
#[derive(Debug)]
pub struct MessageReader<R> {
    inner: R,
    buffer: Vec<u8>,
}

impl<R: AsyncRead + Unpin> MessageReader<R> {
    /// Wrap a byte stream.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
        }
    }

    /// The next message. End of stream is `UnexpectedEof`; a corrupt stream is `InvalidData`
    /// carrying the [`wire::WireError`].
    pub async fn read(&mut self) -> std::io::Result<Message> {
        loop {
            match wire::decode(&self.buffer) {
                Ok(Some((message, used))) => {
                    self.buffer.drain(..used);
                    return Ok(message);
                }
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.inner.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Write one message (header and payload in one write) and flush.
pub async fn write_message<W: AsyncWrite + Unpin>(
    writer: &mut W,
    message: &Message,
) -> std::io::Result<()> {
    writer.write_all(&message.encode()).await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_messages_across_arbitrary_chunks() {
        let (mut a, b) = tokio::io::duplex(7);
        let sent = vec![
            Message::open(1, "shell:echo hi"),
            Message::wrte(2, 1, vec![9u8; 5000]),
            Message::clse(2, 1),
        ];
        let to_send = sent.clone();
        let writer = tokio::spawn(async move {
            for m in &to_send {
                write_message(&mut a, m).await.unwrap();
            }
        });
        let mut reader = MessageReader::new(b);
        for expected in &sent {
            assert_eq!(&reader.read().await.unwrap(), expected);
        }
        writer.await.unwrap();
        assert_eq!(
            reader.read().await.unwrap_err().kind(),
            std::io::ErrorKind::UnexpectedEof
        );
    }
}
