//! ADB over TCP (a device's port 5555, or the fake adbd): one [`Message`] is one write.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::HostError;
use crate::transport::{write_message, MessageReader, MessageTransport};
use crate::wire::Message;

/// A [`MessageTransport`] over a TCP connection. `recv` is cancel-safe (partial messages stay
/// buffered), which the connection driver relies on.
#[derive(Debug)]
pub struct TcpTransport {
    reader: MessageReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    peer: SocketAddr,
}

impl TcpTransport {
    /// Connect to `addr`, giving up after `timeout`.
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self, HostError> {
        let device = format!("tcp {addr}");
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(HostError::Unreachable { device, source }),
            Err(_) => {
                return Err(HostError::Timeout {
                    device,
                    service: "TCP connect".into(),
                    waited: timeout,
                })
            }
        };
        Self::from_stream(stream).map_err(|source| HostError::Unreachable {
            device: format!("tcp {addr}"),
            source,
        })
    }

    /// Wrap a connected stream.
    pub fn from_stream(stream: TcpStream) -> std::io::Result<Self> {
        // Messages are small and latency-bound: do not wait to coalesce them.
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let (read, writer) = stream.into_split();
        Ok(Self {
            reader: MessageReader::new(read),
            writer,
            peer,
        })
    }

    /// The device's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
}

impl MessageTransport for TcpTransport {
    async fn send(&mut self, message: &Message) -> std::io::Result<()> {
        write_message(&mut self.writer, message).await
    }

    async fn recv(&mut self) -> std::io::Result<Message> {
        self.reader.read().await
    }

    fn describe(&self) -> String {
        format!("tcp {}", self.peer)
    }
}
