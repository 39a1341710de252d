//! Arrivals and departures on the bus, as [`UsbEvent`]s, within 250 ms of the OS event.
//!
//! With OS hotplug (libusb on Linux and macOS) the backend's notices drive the watcher; without
//! it (Windows) the watcher polls [`UsbBackend::ports`] every [`WatchOptions::poll_interval`]
//! and diffs by port path and bus address (a replug gets a new address, so a quick replug is
//! still a left plus an arrival). Descriptors of new devices are read in parallel, at most
//! [`WatchOptions::max_concurrent_reads`] at a time. A device that leaves while its descriptors
//! are read becomes one clean `Left`, never an error.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::MissedTickBehavior;

use super::bridge;
use super::descriptor::{bus_of, AdbInterfaceState, UsbDeviceInfo};
use super::error::UsbError;
use super::{HotplugNotice, HotplugSink, UsbBackend, UsbPort};

/// A change on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbEvent {
    /// A device enumerated; its descriptors are read.
    Arrived(UsbDeviceInfo),
    /// The device at this slot left (also sent when it left before its descriptors were read,
    /// without an `Arrived`; treat a `Left` for an unknown slot as nothing to do).
    Left {
        /// The slot.
        port_path: String,
    },
}

/// How the watcher works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Polling period without OS hotplug. 200 ms leaves room for a descriptor read inside the
    /// 250 ms budget from plug to event.
    pub poll_interval: Duration,
    /// Descriptor reads in flight at once.
    pub max_concurrent_reads: usize,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(200),
            max_concurrent_reads: 8,
        }
    }
}

/// A running watcher; dropping it stops the watcher and its hotplug subscription.
#[derive(Debug)]
pub struct WatchHandle {
    task: JoinHandle<Result<(), UsbError>>,
}

impl WatchHandle {
    /// Stop watching.
    pub fn stop(self) {}

    /// Wait for the watcher to end: `Ok` when the event receiver was dropped, `Err` when the
    /// backend could not be watched at all.
    pub async fn finished(mut self) -> Result<(), UsbError> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(error) => Err(UsbError::Unavailable {
                detail: format!("USB watcher stopped: {error}"),
            }),
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Watch `backend` with default options, sending events to `events` until it is dropped.
/// Devices already present are reported as arrivals first. Needs a tokio runtime.
pub fn watch<B: UsbBackend>(backend: Arc<B>, events: mpsc::Sender<UsbEvent>) -> WatchHandle {
    watch_with(backend, events, WatchOptions::default())
}

/// [`watch`] with explicit options.
pub fn watch_with<B: UsbBackend>(
    backend: Arc<B>,
    events: mpsc::Sender<UsbEvent>,
    options: WatchOptions,
) -> WatchHandle {
    WatchHandle {
        task: tokio::spawn(Watcher::new(backend, events, options).run()),
    }
}

/// Every device with its descriptors, read `max_concurrent` at a time. Devices that leave
/// during the listing are left out. Sorted by port path.
pub async fn list_concurrently<B: UsbBackend>(
    backend: &Arc<B>,
    max_concurrent: usize,
) -> Result<Vec<UsbDeviceInfo>, UsbError> {
    let ports = bridge::call(backend, |b| b.ports()).await?;
    let limit = Arc::new(Semaphore::new(max_concurrent.max(1)));
    let mut reads = JoinSet::new();
    for port in ports {
        reads.spawn(read_descriptors(backend.clone(), limit.clone(), port));
    }
    let mut devices = Vec::new();
    while let Some(joined) = reads.join_next().await {
        let (port, result) = joined.map_err(|e| UsbError::Unavailable {
            detail: format!("descriptor read task failed: {e}"),
        })?;
        match result {
            Ok(info) => devices.push(info),
            Err(e) if e.is_gone() => {}
            Err(e) => devices.push(unreadable(&port, &e)),
        }
    }
    devices.sort_by(|a, b| a.port_path.cmp(&b.port_path));
    Ok(devices)
}

async fn read_descriptors<B: UsbBackend>(
    backend: Arc<B>,
    limit: Arc<Semaphore>,
    port: UsbPort,
) -> (UsbPort, Result<UsbDeviceInfo, UsbError>) {
    // The semaphore is never closed, so acquiring only waits.
    let _permit = limit.acquire_owned().await.ok();
    let port_path = port.port_path.clone();
    let result = bridge::call(&backend, move |b| b.describe(&port_path)).await;
    (port, result)
}

/// A device whose descriptors failed for a reason other than leaving: still shown, with what
/// the bus told us and the error as the reason.
fn unreadable(port: &UsbPort, error: &UsbError) -> UsbDeviceInfo {
    UsbDeviceInfo {
        bus: bus_of(&port.port_path).unwrap_or(0),
        port_path: port.port_path.clone(),
        vendor_id: port.vendor_id,
        product_id: port.product_id,
        serial: None,
        manufacturer: None,
        product: None,
        interface_classes: Vec::new(),
        adb: AdbInterfaceState::Unreadable {
            reason: error.to_string(),
            has_adb_interface: false,
        },
    }
}

/// What changed between the known devices and a fresh listing: slots to report as left (gone,
/// or re-enumerated with another address or identity) and devices to read as arrived.
pub fn diff_ports(
    known: &HashMap<String, UsbPort>,
    now: &[UsbPort],
) -> (Vec<String>, Vec<UsbPort>) {
    let current: HashSet<&UsbPort> = now.iter().collect();
    let mut left: Vec<String> = known
        .values()
        .filter(|port| !current.contains(port))
        .map(|port| port.port_path.clone())
        .collect();
    left.sort();
    let arrived = now
        .iter()
        .filter(|port| known.get(&port.port_path) != Some(port))
        .cloned()
        .collect();
    (left, arrived)
}

struct Slot {
    port: UsbPort,
    generation: u64,
}

struct Watcher<B: UsbBackend> {
    backend: Arc<B>,
    events: mpsc::Sender<UsbEvent>,
    options: WatchOptions,
    known: HashMap<String, Slot>,
    generation: u64,
    limit: Arc<Semaphore>,
    reads: JoinSet<(u64, UsbPort, Result<UsbDeviceInfo, UsbError>)>,
    last_poll_error: Option<String>,
}

impl<B: UsbBackend> Watcher<B> {
    fn new(backend: Arc<B>, events: mpsc::Sender<UsbEvent>, options: WatchOptions) -> Self {
        Self {
            backend,
            events,
            limit: Arc::new(Semaphore::new(options.max_concurrent_reads.max(1))),
            options,
            known: HashMap::new(),
            generation: 0,
            reads: JoinSet::new(),
            last_poll_error: None,
        }
    }

    async fn run(mut self) -> Result<(), UsbError> {
        let (sink, mut notices) = HotplugSink::channel();
        // Subscribe before the first scan so nothing that arrives in between is missed; the
        // scan and the notices are reconciled by port and address.
        let subscription = bridge::call(&self.backend, move |b| b.subscribe(sink)).await?;
        let mut polling = subscription.is_none();
        tracing::debug!(polling, "usb watcher started");
        self.scan().await?;
        let mut ticker = tokio::time::interval(self.options.poll_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                () = self.events.closed() => break,
                notice = notices.recv(), if !polling => match notice {
                    Some(HotplugNotice::Arrived(port)) => {
                        if self.arrived(port).await.is_err() { break; }
                    }
                    Some(HotplugNotice::Left { port_path }) => {
                        if self.left(&port_path).await.is_err() { break; }
                    }
                    None => {
                        tracing::warn!("usb hotplug stopped; polling instead");
                        polling = true;
                    }
                },
                _ = ticker.tick(), if polling => {
                    if let Err(error) = self.scan().await {
                        let text = error.to_string();
                        if self.last_poll_error.as_ref() != Some(&text) {
                            tracing::warn!(%error, "usb poll failed; retrying");
                            self.last_poll_error = Some(text);
                        }
                    }
                }
                Some(done) = self.reads.join_next(), if !self.reads.is_empty() => {
                    if let Ok(done) = done {
                        if self.read_done(done).await.is_err() { break; }
                    }
                }
            }
        }
        drop(subscription);
        Ok(())
    }

    /// Poll the bus once and report the differences.
    async fn scan(&mut self) -> Result<(), UsbError> {
        let now = bridge::call(&self.backend, |b| b.ports()).await?;
        self.last_poll_error = None;
        let known: HashMap<String, UsbPort> = self
            .known
            .iter()
            .map(|(path, slot)| (path.clone(), slot.port.clone()))
            .collect();
        let (left, arrived) = diff_ports(&known, &now);
        for port_path in left {
            self.left(&port_path).await.ok();
        }
        for port in arrived {
            self.arrived(port).await.ok();
        }
        Ok(())
    }

    async fn send(&self, event: UsbEvent) -> Result<(), ()> {
        self.events.send(event).await.map_err(|_| ())
    }

    async fn arrived(&mut self, port: UsbPort) -> Result<(), ()> {
        match self.known.get(&port.port_path) {
            Some(slot) if slot.port == port => return Ok(()),
            // Re-enumerated without a left notice in between: the old device is gone.
            Some(_) => self.left(&port.port_path.clone()).await?,
            None => {}
        }
        self.generation += 1;
        let generation = self.generation;
        self.known.insert(
            port.port_path.clone(),
            Slot {
                port: port.clone(),
                generation,
            },
        );
        let read = read_descriptors(self.backend.clone(), self.limit.clone(), port);
        self.reads.spawn(async move {
            let (port, result) = read.await;
            (generation, port, result)
        });
        Ok(())
    }

    async fn left(&mut self, port_path: &str) -> Result<(), ()> {
        if self.known.remove(port_path).is_none() {
            return Ok(());
        }
        self.send(UsbEvent::Left {
            port_path: port_path.to_owned(),
        })
        .await
    }

    async fn read_done(
        &mut self,
        (generation, port, result): (u64, UsbPort, Result<UsbDeviceInfo, UsbError>),
    ) -> Result<(), ()> {
        let current = self
            .known
            .get(&port.port_path)
            .is_some_and(|slot| slot.generation == generation);
        if !current {
            // It left (and `Left` was sent) or was replaced while we read.
            return Ok(());
        }
        match result {
            Ok(info) => self.send(UsbEvent::Arrived(info)).await,
            Err(error) if error.is_gone() => {
                tracing::debug!(port = %port.port_path, "device left while its descriptors were read");
                self.left(&port.port_path).await
            }
            Err(error) => {
                tracing::warn!(port = %port.port_path, %error, "could not read USB descriptors");
                self.send(UsbEvent::Arrived(unreadable(&port, &error)))
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(path: &str, address: u8) -> UsbPort {
        UsbPort {
            port_path: path.into(),
            address,
            vendor_id: 0x18d1,
            product_id: 0x4ee7,
        }
    }

    #[test]
    fn diff_finds_arrivals_departures_and_replugs() {
        let known: HashMap<String, UsbPort> = [port("1-1", 5), port("1-2", 6), port("1-3", 7)]
            .into_iter()
            .map(|p| (p.port_path.clone(), p))
            .collect();
        let now = [port("1-1", 5), port("1-3", 9), port("1-4", 10)];
        let (left, arrived) = diff_ports(&known, &now);
        assert_eq!(left, ["1-2", "1-3"]);
        assert_eq!(arrived, [port("1-3", 9), port("1-4", 10)]);
        assert_eq!(
            diff_ports(&known, &[port("1-1", 5), port("1-2", 6), port("1-3", 7)]),
            (vec![], vec![])
        );
    }
}
