//! Many streams over one device connection.
//!
//! # Design
//!
//! After the handshake one driver task owns the [`MessageTransport`]. It waits on two things at
//! once: the next message from the device and the next request from the streams (OPEN, WRTE,
//! OKAY, CLSE to send). It routes each device message by our local stream id (`arg1`) to that
//! stream's event channel, and it never blocks on a stream: each stream has at most one WRTE
//! of the device's in flight, because we send the OKAY for it only when the stream has taken
//! the data (so the channels stay tiny and a slow reader slows only its own stream). In the
//! other direction a [`Stream`] sends one WRTE of at most the negotiated payload and waits for
//! the device's OKAY before the next.
//!
//! Racing `recv` against requests needs a cancel-safe `recv` (a dropped `recv` future must not
//! lose bytes): [`super::TcpTransport`] is, by buffering partial messages; a USB transport is
//! when it reads in its own task and hands whole messages over a channel.
//!
//! When the link ends (EOF, reset, a corrupt stream, a device that restarts the session), the
//! driver records why and exits. That drops every stream's event sender, so every waiting
//! stream wakes at once with [`HostError::Disconnected`]; every wait also has a timeout, so a
//! device that goes silent without closing turns into [`HostError::Timeout`], never a hang.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::HostError;
use crate::transport::MessageTransport;
use crate::wire::{Command, Message};

/// What a stream asks the driver to send.
#[derive(Debug)]
enum Request {
    Open {
        local_id: u32,
        destination: String,
        events: UnboundedSender<Event>,
    },
    Write {
        local_id: u32,
        data: Vec<u8>,
    },
    Ack {
        local_id: u32,
    },
    Close {
        local_id: u32,
    },
}

/// What the device did on one stream.
#[derive(Debug)]
enum Event {
    /// OKAY: the stream is open, or our last WRTE was taken.
    Okay,
    /// WRTE: data for us (acknowledged when the stream takes it).
    Data(Vec<u8>),
    /// CLSE: the device closed the stream (or refused to open it).
    Closed,
}

#[derive(Debug)]
struct Route {
    /// The device's id for the stream; 0 until it answered our OPEN.
    remote_id: u32,
    events: UnboundedSender<Event>,
}

/// The shared end of a connection: where requests go, and why it ended.
#[derive(Debug)]
pub(super) struct Link {
    requests: UnboundedSender<Request>,
    next_id: AtomicU32,
    device: String,
    failure: Arc<Mutex<Option<String>>>,
    max_payload: usize,
    timeout: Duration,
}

impl Link {
    /// Start the driver task for an online `transport`.
    pub(super) fn spawn<T: MessageTransport + 'static>(
        transport: T,
        max_payload: usize,
        timeout: Duration,
    ) -> Arc<Link> {
        let (requests, inbox) = unbounded_channel();
        let failure = Arc::new(Mutex::new(None));
        let device = transport.describe();
        tokio::spawn(drive(transport, inbox, failure.clone()));
        Arc::new(Link {
            requests,
            next_id: AtomicU32::new(1),
            device,
            failure,
            max_payload: max_payload.max(1),
            timeout,
        })
    }

    /// The link's description (`tcp 127.0.0.1:5555`).
    pub(super) fn device(&self) -> &str {
        &self.device
    }

    fn send(&self, request: Request, service: &str) -> Result<(), HostError> {
        self.requests
            .send(request)
            .map_err(|_| self.disconnected(service))
    }

    pub(super) fn disconnected(&self, service: &str) -> HostError {
        let reason = self
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "the connection was closed".into());
        HostError::Disconnected {
            device: self.device.clone(),
            service: service.to_owned(),
            reason,
        }
    }

    pub(super) fn protocol(&self, service: &str, detail: impl Into<String>) -> HostError {
        HostError::Protocol {
            device: self.device.clone(),
            service: service.to_owned(),
            detail: detail.into(),
        }
    }
}

async fn drive<T: MessageTransport>(
    mut transport: T,
    mut inbox: UnboundedReceiver<Request>,
    failure: Arc<Mutex<Option<String>>>,
) {
    enum Step {
        Request(Option<Request>),
        Message(std::io::Result<Message>),
    }
    let mut routes: HashMap<u32, Route> = HashMap::new();
    let reason = loop {
        let step = tokio::select! {
            request = inbox.recv() => Step::Request(request),
            message = transport.recv() => Step::Message(message),
        };
        let reply = match step {
            // Every handle and stream is gone: hang up.
            Step::Request(None) => break None,
            Step::Request(Some(request)) => on_request(request, &mut routes),
            Step::Message(Ok(message)) => match on_message(message, &mut routes) {
                Ok(reply) => reply,
                Err(reason) => break Some(reason),
            },
            Step::Message(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break Some("the device closed the connection".into())
            }
            Step::Message(Err(e)) => break Some(e.to_string()),
        };
        if let Some(reply) = reply {
            if let Err(e) = transport.send(&reply).await {
                break Some(e.to_string());
            }
        }
    };
    if let Some(reason) = reason {
        tracing::debug!(device = %transport.describe(), %reason, "ADB link ended");
        *failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason);
    }
    // Dropping `routes` here wakes every waiting stream.
}

fn on_request(request: Request, routes: &mut HashMap<u32, Route>) -> Option<Message> {
    match request {
        Request::Open {
            local_id,
            destination,
            events,
        } => {
            routes.insert(
                local_id,
                Route {
                    remote_id: 0,
                    events,
                },
            );
            Some(Message::open(local_id, &destination))
        }
        Request::Write { local_id, data } => {
            let route = routes.get(&local_id).filter(|r| r.remote_id != 0)?;
            Some(Message::wrte(local_id, route.remote_id, data))
        }
        Request::Ack { local_id } => {
            let route = routes.get(&local_id).filter(|r| r.remote_id != 0)?;
            Some(Message::okay(local_id, route.remote_id))
        }
        Request::Close { local_id } => match routes.get(&local_id) {
            // Still opening: the route stays until the device answers, then it is closed
            // because nobody listens any more (see `forward`).
            Some(route) if route.remote_id == 0 => None,
            Some(_) => {
                let route = routes.remove(&local_id)?;
                Some(Message::clse(local_id, route.remote_id))
            }
            None => None,
        },
    }
}

/// Hand `event` to the stream; if the stream is gone, close it on the device too.
fn forward(local_id: u32, event: Event, routes: &mut HashMap<u32, Route>) -> Option<Message> {
    let route = routes.get(&local_id)?;
    if route.events.send(event).is_ok() {
        return None;
    }
    let route = routes.remove(&local_id)?;
    Some(Message::clse(local_id, route.remote_id))
}

fn on_message(
    message: Message,
    routes: &mut HashMap<u32, Route>,
) -> Result<Option<Message>, String> {
    let (remote_id, local_id) = (message.arg0, message.arg1);
    Ok(match message.command {
        Command::Okay => {
            if let Some(route) = routes.get_mut(&local_id) {
                if route.remote_id == 0 {
                    route.remote_id = remote_id;
                }
            }
            forward(local_id, Event::Okay, routes)
        }
        Command::Wrte if routes.contains_key(&local_id) => {
            forward(local_id, Event::Data(message.payload), routes)
        }
        // Data for a stream we no longer have: tell the device it is closed.
        Command::Wrte => Some(Message::clse(local_id, remote_id)),
        Command::Clse => {
            if let Some(route) = routes.remove(&local_id) {
                let _ = route.events.send(Event::Closed);
            }
            None
        }
        // The device opening a stream to us (reverse forwarding): not offered.
        Command::Open => Some(Message::clse(0, remote_id)),
        Command::Cnxn | Command::Auth => {
            return Err(
                "the device restarted the session (it may have rebooted or reset ADB)".into(),
            )
        }
        Command::Sync | Command::Stls => None,
    })
}

/// One open stream to a device service.
#[derive(Debug)]
pub(super) struct Stream {
    link: Arc<Link>,
    local_id: u32,
    service: String,
    events: UnboundedReceiver<Event>,
    buffer: Vec<u8>,
    closed: bool,
}

impl Stream {
    /// OPEN `service` and wait for the device to accept it.
    pub(super) async fn open(link: &Arc<Link>, service: &str) -> Result<Stream, HostError> {
        let local_id = link.next_id.fetch_add(1, Ordering::Relaxed).max(1);
        let (events_tx, events) = unbounded_channel();
        let mut stream = Stream {
            link: link.clone(),
            local_id,
            service: service.to_owned(),
            events,
            buffer: Vec::new(),
            closed: false,
        };
        link.send(
            Request::Open {
                local_id,
                destination: service.to_owned(),
                events: events_tx,
            },
            service,
        )?;
        match stream.next_event().await? {
            Event::Okay => Ok(stream),
            Event::Closed => {
                stream.closed = true;
                Err(HostError::ServiceRefused {
                    device: link.device.clone(),
                    service: service.to_owned(),
                })
            }
            Event::Data(_) => Err(link.protocol(service, "data before the stream was opened")),
        }
    }

    /// The next event, within the link's timeout.
    async fn next_event(&mut self) -> Result<Event, HostError> {
        match tokio::time::timeout(self.link.timeout, self.events.recv()).await {
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(self.link.disconnected(&self.service)),
            Err(_) => Err(HostError::Timeout {
                device: self.link.device.clone(),
                service: self.service.clone(),
                waited: self.link.timeout,
            }),
        }
    }

    /// Take data from the device into the buffer and acknowledge it.
    fn take(&mut self, data: Vec<u8>) -> Result<(), HostError> {
        self.buffer.extend(data);
        self.link.send(
            Request::Ack {
                local_id: self.local_id,
            },
            &self.service,
        )
    }

    /// Write `data`, at most one negotiated payload per WRTE, each acknowledged before the next.
    pub(super) async fn write(&mut self, data: &[u8]) -> Result<(), HostError> {
        for chunk in data.chunks(self.link.max_payload) {
            if self.closed {
                return Err(self.link.protocol(
                    &self.service,
                    "the device closed the stream while we were writing",
                ));
            }
            let request = Request::Write {
                local_id: self.local_id,
                data: chunk.to_vec(),
            };
            self.link.send(request, &self.service)?;
            loop {
                match self.next_event().await? {
                    Event::Okay => break,
                    Event::Data(data) => self.take(data)?,
                    Event::Closed => {
                        self.closed = true;
                        return Err(self.link.protocol(
                            &self.service,
                            "the device closed the stream while we were writing",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Wait for more data; `false` once the device has closed the stream.
    async fn fill(&mut self) -> Result<bool, HostError> {
        while !self.closed {
            match self.next_event().await? {
                Event::Data(data) => {
                    self.take(data)?;
                    return Ok(true);
                }
                Event::Closed => self.closed = true,
                // A late OKAY (for a WRTE already counted) carries nothing.
                Event::Okay => {}
            }
        }
        Ok(false)
    }

    /// Everything the device writes until it closes the stream, at most
    /// [`crate::MAX_SERVICE_OUTPUT`] bytes (past it, the stream is closed and that is an error).
    pub(super) async fn read_to_end(mut self) -> Result<Vec<u8>, HostError> {
        while self.fill().await? {
            if self.buffer.len() > crate::MAX_SERVICE_OUTPUT {
                return Err(HostError::OutputTooLarge {
                    device: self.link.device().to_owned(),
                    service: self.service.clone(),
                    limit: crate::MAX_SERVICE_OUTPUT,
                });
            }
        }
        Ok(std::mem::take(&mut self.buffer))
    }

    /// Exactly `n` bytes; the stream ending first is a protocol error.
    pub(super) async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, HostError> {
        while self.buffer.len() < n {
            if !self.fill().await? {
                let detail = format!(
                    "the stream ended after {} of {n} expected bytes",
                    self.buffer.len()
                );
                return Err(self.link.protocol(&self.service, detail));
            }
        }
        Ok(self.buffer.drain(..n).collect())
    }

    /// The service this stream was opened for.
    pub(super) fn service(&self) -> &str {
        &self.service
    }

    /// The link this stream runs on.
    pub(super) fn link(&self) -> &Link {
        &self.link
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if !self.closed {
            let _ = self.link.requests.send(Request::Close {
                local_id: self.local_id,
            });
        }
    }
}
