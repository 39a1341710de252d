//! The one place where blocking USB calls meet tokio.
//!
//! - Backend calls (list, describe, open, subscribe) are short and run on tokio's blocking pool
//!   through [`call`].
//! - A claimed interface is long-lived and full-duplex: [`spawn_link_threads`] gives it a
//!   reader thread (header, then payload, decoded into messages, pushed into a bounded channel)
//!   and a writer thread (messages from a channel, written as [`OutTransfers`]). Each thread
//!   ends when its channel's other end is dropped or the device fails; the link is dropped
//!   (interface released) when both have ended.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::error::{TransferError, UsbError};
use super::transport::{OutTransfers, UsbTimeouts};
use super::BulkLink;
use crate::wire::{self, Message, HEADER_LEN};

/// How many decoded messages may wait for `recv` before the reader stops reading (USB flow
/// control then holds the device).
const INCOMING_QUEUE: usize = 32;

/// Run a blocking backend call on tokio's blocking pool. A panic in the call is resumed here.
pub(crate) async fn call<B, T, F>(backend: &Arc<B>, f: F) -> T
where
    B: Send + Sync + 'static + ?Sized,
    T: Send + 'static,
    F: FnOnce(&B) -> T + Send + 'static,
{
    let backend = backend.clone();
    match tokio::task::spawn_blocking(move || f(&backend)).await {
        Ok(value) => value,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only when the runtime shuts down, and then nobody awaits this any more.
            Err(error) => panic!("blocking USB call cancelled: {error}"),
        },
    }
}

/// A message for the writer thread, and where to report how writing it went.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) message: Message,
    pub(crate) done: oneshot::Sender<Result<(), UsbError>>,
}

/// Start the reader and writer threads of one claimed interface.
pub(crate) fn spawn_link_threads<L: BulkLink>(
    link: L,
    timeouts: UsbTimeouts,
) -> (
    mpsc::Receiver<Result<Message, UsbError>>,
    mpsc::UnboundedSender<Outgoing>,
) {
    let link = Arc::new(link);
    let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_QUEUE);
    let (outgoing_tx, outgoing_rx) = mpsc::unbounded_channel();
    let name = link.port_path().to_owned();
    let reader = link.clone();
    spawn_thread(format!("usb-in {name}"), move || {
        read_loop(&*reader, &incoming_tx, timeouts);
    });
    spawn_thread(format!("usb-out {name}"), move || {
        write_loop(&*link, outgoing_rx, timeouts);
    });
    (incoming_rx, outgoing_tx)
}

fn spawn_thread(name: String, body: impl FnOnce() + Send + 'static) {
    if let Err(error) = std::thread::Builder::new().name(name.clone()).spawn(body) {
        // The channel ends are dropped with `body`, so the transport reports the link closed.
        tracing::error!(thread = %name, %error, "could not start a USB thread");
    }
}

fn read_loop<L: BulkLink>(
    link: &L,
    incoming: &mpsc::Sender<Result<Message, UsbError>>,
    timeouts: UsbTimeouts,
) {
    while !incoming.is_closed() {
        match read_message(link, timeouts) {
            Ok(None) => {}
            Ok(Some(message)) => {
                if incoming.blocking_send(Ok(message)).is_err() {
                    return;
                }
            }
            Err(error) => {
                if error.is_gone() {
                    tracing::debug!(port = link.port_path(), "usb device left during read");
                } else {
                    tracing::warn!(port = link.port_path(), %error, "usb read failed");
                }
                let _ = incoming.blocking_send(Err(error));
                return;
            }
        }
    }
}

/// One message, or `Ok(None)` when the device stayed idle for `idle_poll` (or sent a stray
/// zero-length packet).
fn read_message<L: BulkLink>(link: &L, timeouts: UsbTimeouts) -> Result<Option<Message>, UsbError> {
    let in_ep = link.interface().in_ep;
    let fail = |error, operation, after| {
        UsbError::from_transfer(error, link.port_path(), operation, in_ep, after)
    };
    let mut head = [0u8; HEADER_LEN];
    match link.read_bulk(&mut head, timeouts.idle_poll) {
        // A device may end a payload of whole packets with a zero-length packet; it carries
        // nothing.
        Ok(0) | Err(TransferError::Timeout) => return Ok(None),
        Ok(HEADER_LEN) => {}
        Ok(n) => {
            return Err(UsbError::Transfer {
                port_path: link.port_path().to_owned(),
                operation: "header read",
                detail: format!("got {n} bytes, a header is {HEADER_LEN}"),
            })
        }
        Err(error) => return Err(fail(error, "header read", timeouts.idle_poll)),
    }
    let header = wire::decode_header(&head).map_err(|e| UsbError::Transfer {
        port_path: link.port_path().to_owned(),
        operation: "header read",
        detail: e.to_string(),
    })?;
    let mut payload = vec![0u8; header.data_length];
    let deadline = Instant::now() + timeouts.transfer;
    let mut filled = 0;
    while filled < payload.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(fail(
                TransferError::Timeout,
                "payload read",
                timeouts.transfer,
            ));
        }
        // rusb hands back what arrived before a timeout, so a slow payload is kept, not lost.
        match link.read_bulk(&mut payload[filled..], left.max(Duration::from_millis(1))) {
            Ok(n) => filled += n,
            Err(error) => return Err(fail(error, "payload read", timeouts.transfer)),
        }
    }
    wire::message_from_parts(header, payload)
        .map(Some)
        .map_err(|e| UsbError::Transfer {
            port_path: link.port_path().to_owned(),
            operation: "payload read",
            detail: e.to_string(),
        })
}

fn write_loop<L: BulkLink>(
    link: &L,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    timeouts: UsbTimeouts,
) {
    while let Some(Outgoing { message, done }) = outgoing.blocking_recv() {
        let result = write_message(link, &message, timeouts);
        let failed = result.is_err();
        let _ = done.send(result);
        if failed {
            // A half-written message leaves the device out of step: close the link.
            return;
        }
    }
}

fn write_message<L: BulkLink>(
    link: &L,
    message: &Message,
    timeouts: UsbTimeouts,
) -> Result<(), UsbError> {
    let interface = link.interface();
    let plan = OutTransfers::new(message, interface.max_packet);
    for (index, transfer) in plan.transfers().enumerate() {
        let operation = match (index, transfer.len()) {
            (0, _) => "header write",
            (_, 0) => "zero-length packet write",
            _ => "payload write",
        };
        let fail = |error| {
            UsbError::from_transfer(
                error,
                link.port_path(),
                operation,
                interface.out_ep,
                timeouts.transfer,
            )
        };
        let deadline = Instant::now() + timeouts.transfer;
        let mut written = link.write_bulk(transfer, timeouts.transfer).map_err(fail)?;
        while written < transfer.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(fail(TransferError::Timeout));
            }
            written += link.write_bulk(&transfer[written..], left).map_err(fail)?;
        }
    }
    Ok(())
}
