//! The bulk endpoints of one scripted device, behaving like a device's: OUT transfers are
//! checked against the USB framing rules (header alone, payload, zero-length packet after whole
//! packets) and reassembled into messages for the device's script; replies queue on the IN
//! endpoint as header and payload transfers, with a zero-length packet after whole packets as
//! a real device may send. Reads block until data, unplug or timeout.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::usb::descriptor::AdbInterface;
use crate::usb::error::TransferError;
use crate::usb::transport::needs_zlp;
use crate::wire::{self, Header, Message, HEADER_LEN};

use super::script::Responder;

/// Where the OUT side is in a message.
#[derive(Debug)]
enum OutState {
    Header,
    Payload { header: Header, bytes: Vec<u8> },
    Zlp { after: usize },
}

/// Reassembles OUT transfers into messages, noting every framing mistake.
#[derive(Debug)]
struct OutAssembler {
    state: OutState,
    max_packet: u16,
}

impl OutAssembler {
    fn feed(&mut self, transfer: &[u8], violations: &mut Vec<String>) -> Option<Message> {
        if let OutState::Zlp { after } = self.state {
            self.state = OutState::Header;
            if transfer.is_empty() {
                return None;
            }
            violations.push(format!(
                "missing zero-length packet after a {after}-byte payload (max packet {})",
                self.max_packet
            ));
        }
        match std::mem::replace(&mut self.state, OutState::Header) {
            OutState::Header => {
                let Ok(head) = <&[u8; HEADER_LEN]>::try_from(transfer) else {
                    violations.push(format!(
                        "header transfer of {} bytes, expected {HEADER_LEN}",
                        transfer.len()
                    ));
                    return None;
                };
                match wire::decode_header(head) {
                    Ok(header) if header.data_length == 0 => {
                        wire::message_from_parts(header, Vec::new()).ok()
                    }
                    Ok(header) => {
                        self.state = OutState::Payload {
                            header,
                            bytes: Vec::with_capacity(header.data_length),
                        };
                        None
                    }
                    Err(error) => {
                        violations.push(format!("bad header: {error}"));
                        None
                    }
                }
            }
            OutState::Payload { header, mut bytes } => {
                if transfer.is_empty() {
                    violations.push("zero-length packet in the middle of a payload".into());
                }
                bytes.extend_from_slice(transfer);
                if bytes.len() < header.data_length {
                    self.state = OutState::Payload { header, bytes };
                    return None;
                }
                if bytes.len() > header.data_length {
                    violations.push(format!(
                        "payload of {} bytes, header announced {}",
                        bytes.len(),
                        header.data_length
                    ));
                    return None;
                }
                if needs_zlp(bytes.len(), self.max_packet) {
                    self.state = OutState::Zlp { after: bytes.len() };
                }
                match wire::message_from_parts(header, bytes) {
                    Ok(message) => Some(message),
                    Err(error) => {
                        violations.push(format!("bad payload: {error}"));
                        None
                    }
                }
            }
            OutState::Zlp { .. } => None,
        }
    }
}

struct State {
    plugged: bool,
    unresponsive: bool,
    claimed: bool,
    in_queue: VecDeque<Vec<u8>>,
    out_log: Vec<Vec<u8>>,
    assembler: OutAssembler,
    violations: Vec<String>,
    responder: Option<Responder>,
    on_unplug: Vec<Box<dyn FnOnce() + Send>>,
    /// Bulk IN reads blocked in [`Endpoints::read`] now.
    reads_waiting: usize,
}

/// One device's endpoints; shared by the bus, open links and the test's handle.
pub(crate) struct Endpoints {
    interface: Option<AdbInterface>,
    state: Mutex<State>,
    changed: Condvar,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("interface", &self.interface)
            .finish_non_exhaustive()
    }
}

impl Endpoints {
    pub(crate) fn new(interface: Option<AdbInterface>) -> Self {
        Self {
            interface,
            state: Mutex::new(State {
                plugged: true,
                unresponsive: false,
                claimed: false,
                in_queue: VecDeque::new(),
                out_log: Vec::new(),
                assembler: OutAssembler {
                    state: OutState::Header,
                    max_packet: interface.map_or(512, |i| i.max_packet),
                },
                violations: Vec::new(),
                responder: None,
                on_unplug: Vec::new(),
                reads_waiting: 0,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_responder(&self, responder: Responder) {
        self.lock().responder = Some(responder);
    }

    /// Run `hook` when the device is unplugged.
    pub(crate) fn on_unplug(&self, hook: Box<dyn FnOnce() + Send>) {
        self.lock().on_unplug.push(hook);
    }

    pub(crate) fn is_plugged(&self) -> bool {
        self.lock().plugged
    }

    pub(crate) fn unplug(&self) {
        let hooks = {
            let mut state = self.lock();
            state.plugged = false;
            std::mem::take(&mut state.on_unplug)
        };
        self.changed.notify_all();
        for hook in hooks {
            hook();
        }
    }

    pub(crate) fn set_unresponsive(&self, unresponsive: bool) {
        self.lock().unresponsive = unresponsive;
        self.changed.notify_all();
    }

    pub(crate) fn try_claim(&self) -> bool {
        !std::mem::replace(&mut self.lock().claimed, true)
    }

    pub(crate) fn release(&self) {
        self.lock().claimed = false;
    }

    pub(crate) fn is_claimed(&self) -> bool {
        self.lock().claimed
    }

    pub(crate) fn out_transfers(&self) -> Vec<Vec<u8>> {
        self.lock().out_log.clone()
    }

    pub(crate) fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    fn queue(&self, state: &mut State, message: &Message) {
        let encoded = message.encode();
        let (header, payload) = encoded.split_at(HEADER_LEN);
        state.in_queue.push_back(header.to_vec());
        if !payload.is_empty() {
            state.in_queue.push_back(payload.to_vec());
        }
        let in_packet = self.interface.map_or(512, |i| i.max_packet);
        if needs_zlp(payload.len(), in_packet) {
            state.in_queue.push_back(Vec::new());
        }
    }

    /// The device sends `message` on its own.
    pub(crate) fn inject(&self, message: &Message) {
        let mut state = self.lock();
        self.queue(&mut state, message);
        drop(state);
        self.changed.notify_all();
    }

    /// Wait until `ready` or unplug or `timeout`; the guard comes back either way.
    fn wait<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        timeout: Duration,
        ready: impl Fn(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        let deadline = Instant::now() + timeout;
        while state.plugged && !ready(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state
    }

    pub(crate) fn reads_waiting(&self) -> usize {
        self.lock().reads_waiting
    }

    pub(crate) fn read(&self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransferError> {
        let mut state = self.lock();
        state.reads_waiting += 1;
        let mut state = self.wait(state, timeout, |s| {
            !s.unresponsive && !s.in_queue.is_empty()
        });
        state.reads_waiting -= 1;
        if !state.plugged {
            return Err(TransferError::Gone);
        }
        if state.unresponsive {
            return Err(TransferError::Timeout);
        }
        let packet = usize::from(self.interface.map_or(512, |i| i.max_packet)).max(1);
        let Some(front) = state.in_queue.front_mut() else {
            return Err(TransferError::Timeout);
        };
        if front.len() <= buf.len() {
            let n = front.len();
            buf[..n].copy_from_slice(front);
            state.in_queue.pop_front();
            return Ok(n);
        }
        // A buffer of whole packets takes what fits and leaves the rest of the transfer; a
        // buffer ending mid-packet cannot hold the device's packet.
        if !buf.len().is_multiple_of(packet) {
            return Err(TransferError::Overflow);
        }
        let n = buf.len();
        buf.copy_from_slice(&front[..n]);
        front.drain(..n);
        Ok(n)
    }

    pub(crate) fn write(&self, data: &[u8], timeout: Duration) -> Result<usize, TransferError> {
        let state = self.lock();
        let mut state = self.wait(state, timeout, |s| !s.unresponsive);
        if !state.plugged {
            return Err(TransferError::Gone);
        }
        if state.unresponsive {
            return Err(TransferError::Timeout);
        }
        state.out_log.push(data.to_vec());
        let state = &mut *state;
        if let Some(message) = state.assembler.feed(data, &mut state.violations) {
            let replies = match state.responder.as_mut() {
                Some(responder) => responder(message),
                None => Vec::new(),
            };
            for reply in &replies {
                self.queue(state, reply);
            }
        }
        self.changed.notify_all();
        Ok(data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(transfers: &[&[u8]], max_packet: u16) -> (Vec<Message>, Vec<String>) {
        let mut assembler = OutAssembler {
            state: OutState::Header,
            max_packet,
        };
        let mut violations = Vec::new();
        let messages = transfers
            .iter()
            .filter_map(|t| assembler.feed(t, &mut violations))
            .collect();
        (messages, violations)
    }

    #[test]
    fn assembler_accepts_correct_framing_and_flags_a_missing_zlp() {
        let big = Message::wrte(1, 2, vec![7; 64]);
        let small = Message::okay(1, 2);
        let (b, s) = (big.encode(), small.encode());
        let (messages, violations) = feed_all(&[&b[..24], &b[24..], &[], &s], 64);
        assert_eq!(messages, [big.clone(), small.clone()]);
        assert!(violations.is_empty(), "{violations:?}");
        let (messages, violations) = feed_all(&[&b[..24], &b[24..], &s], 64);
        assert_eq!(messages, [big, small]);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(violations[0].contains("missing zero-length packet"));
    }

    #[test]
    fn assembler_flags_header_and_payload_in_one_transfer() {
        let message = Message::wrte(1, 2, b"abc".to_vec());
        let (messages, violations) = feed_all(&[&message.encode()], 512);
        assert!(messages.is_empty());
        assert!(
            violations[0].contains("header transfer of 27 bytes"),
            "{violations:?}"
        );
    }
}
