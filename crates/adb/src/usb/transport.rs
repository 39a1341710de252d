//! [`UsbTransport`]: ADB messages over a claimed interface's bulk endpoints.
//!
//! On USB a message is two bulk transfers — the 24-byte header, then the payload — and a
//! payload whose length is a non-zero multiple of the OUT endpoint's `wMaxPacketSize` is
//! followed by a zero-length packet, or the device keeps waiting for the end of the transfer
//! (adb `client/usb_libusb.cpp`). The transfer plan ([`OutTransfers`]) is pure; the blocking
//! transfers themselves run on the device's threads in `bridge`.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::bridge::{self, Outgoing};
use super::descriptor::AdbInterface;
use super::error::UsbError;
use super::BulkLink;
use crate::transport::MessageTransport;
use crate::wire::{Message, HEADER_LEN};

/// Whether a payload of `payload_len` bytes must be followed by a zero-length packet on an
/// endpoint with packets of `max_packet` bytes: only when it ends exactly on a packet
/// boundary. An empty payload is no transfer at all, so it needs none.
pub fn needs_zlp(payload_len: usize, max_packet: u16) -> bool {
    max_packet != 0 && payload_len != 0 && payload_len.is_multiple_of(usize::from(max_packet))
}

/// The bulk OUT transfers that carry one message, in order: header, payload (when not empty),
/// zero-length packet (when [`needs_zlp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutTransfers {
    bytes: Vec<u8>,
    zlp: bool,
}

impl OutTransfers {
    /// Plan the transfers for `message` on an OUT endpoint with `max_packet`-byte packets.
    pub fn new(message: &Message, max_packet: u16) -> Self {
        Self {
            bytes: message.encode(),
            zlp: needs_zlp(message.payload.len(), max_packet),
        }
    }

    /// The transfers, each one bulk write; an empty slice is the zero-length packet.
    pub fn transfers(&self) -> impl Iterator<Item = &[u8]> {
        let (header, payload) = self.bytes.split_at(HEADER_LEN);
        let zlp: &[u8] = &[];
        std::iter::once(header)
            .chain((!payload.is_empty()).then_some(payload))
            .chain(self.zlp.then_some(zlp))
    }
}

/// How long USB transfers may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbTimeouts {
    /// Each write (header, payload, zero-length packet) and the payload read after a header.
    pub transfer: Duration,
    /// How long one header read waits before the reader checks whether the transport was
    /// dropped. An idle device is normal, so this is not an error; it bounds how long the
    /// interface stays claimed after the transport is dropped.
    pub idle_poll: Duration,
}

impl Default for UsbTimeouts {
    fn default() -> Self {
        Self {
            transfer: Duration::from_secs(5),
            idle_poll: Duration::from_millis(250),
        }
    }
}

/// A [`MessageTransport`] over one claimed ADB interface. Create it with
/// [`UsbTransport::new`] from any [`BulkLink`] (or get one from [`open_transport`]); dropping
/// it stops the device's threads and releases the interface (within
/// [`UsbTimeouts::idle_poll`]).
///
/// Errors reach [`MessageTransport::recv`]/[`MessageTransport::send`] as `std::io::Error`s
/// carrying a [`UsbError`]: an unplugged device is `UnexpectedEof` (the end of the link), a
/// stuck one `TimedOut`. After the first error the link is closed.
///
/// [`open_transport`]: super::open_transport
#[derive(Debug)]
pub struct UsbTransport {
    port_path: String,
    interface: AdbInterface,
    incoming: mpsc::Receiver<Result<Message, UsbError>>,
    outgoing: mpsc::UnboundedSender<Outgoing>,
}

impl UsbTransport {
    /// Start the reader and writer threads for `link`.
    pub fn new<L: BulkLink>(link: L, timeouts: UsbTimeouts) -> Self {
        let port_path = link.port_path().to_owned();
        let interface = link.interface();
        let (incoming, outgoing) = bridge::spawn_link_threads(link, timeouts);
        Self {
            port_path,
            interface,
            incoming,
            outgoing,
        }
    }

    /// The slot, `1-4.3`.
    pub fn port_path(&self) -> &str {
        &self.port_path
    }

    /// The claimed interface and its endpoints.
    pub fn interface(&self) -> AdbInterface {
        self.interface
    }

    fn closed(&self) -> std::io::Error {
        UsbError::Gone {
            port_path: self.port_path.clone(),
        }
        .into()
    }
}

impl MessageTransport for UsbTransport {
    /// Queue the message for the writer thread and wait until its last transfer completed. If
    /// this future is dropped after queueing, the message is still sent.
    async fn send(&mut self, message: &Message) -> std::io::Result<()> {
        let (done, result) = oneshot::channel();
        let outgoing = Outgoing {
            message: message.clone(),
            done,
        };
        if self.outgoing.send(outgoing).is_err() {
            return Err(self.closed());
        }
        match result.await {
            Ok(result) => result.map_err(Into::into),
            Err(_) => Err(self.closed()),
        }
    }

    /// The next message the reader thread decoded. Cancel-safe: an unreceived message stays
    /// queued.
    async fn recv(&mut self) -> std::io::Result<Message> {
        match self.incoming.recv().await {
            Some(result) => result.map_err(Into::into),
            None => Err(self.closed()),
        }
    }

    fn describe(&self) -> String {
        format!("usb {}", self.port_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlp_only_on_whole_packets() {
        assert!(needs_zlp(512, 512));
        assert!(needs_zlp(1024, 512));
        assert!(!needs_zlp(511, 512));
        assert!(!needs_zlp(513, 512));
        assert!(!needs_zlp(0, 512));
        assert!(needs_zlp(64, 64));
        assert!(!needs_zlp(64, 0));
    }

    fn lengths(message: &Message, max_packet: u16) -> Vec<usize> {
        OutTransfers::new(message, max_packet)
            .transfers()
            .map(<[u8]>::len)
            .collect()
    }

    #[test]
    fn transfers_are_header_payload_and_maybe_zlp() {
        assert_eq!(
            lengths(&Message::wrte(1, 2, vec![0; 512]), 512),
            [24, 512, 0]
        );
        assert_eq!(lengths(&Message::wrte(1, 2, vec![0; 511]), 512), [24, 511]);
        assert_eq!(lengths(&Message::okay(1, 2), 512), [24]);
        assert_eq!(
            lengths(&Message::wrte(1, 2, vec![0; 2048]), 1024),
            [24, 2048, 0]
        );
        let message = Message::wrte(1, 2, b"hi".to_vec());
        let plan = OutTransfers::new(&message, 512);
        let joined: Vec<u8> = plan.transfers().flatten().copied().collect();
        assert_eq!(joined, message.encode());
    }
}
