//! A simulated device's presence: listening on its own address (its bench slot) while it is
//! plugged in, powered and has USB debugging on, attached to the adb server when there is one,
//! and "re-seated" when its evidence changes, as a phone's USB link drops and returns while
//! it provisions — the bench reads a device again when adb sees it come back.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::{FakeDevice, FakeDeviceConfig};

use crate::device::evidence::EVIDENCE_COMMAND;

/// How long a port may stay taken after the device that held it went (its listener closes
/// asynchronously), and how long adb may take to let a device go.
const SETTLE_WITHIN: Duration = Duration::from_secs(5);

/// How often to look again while waiting for a port or adb.
const LOOK_EVERY: Duration = Duration::from_millis(25);

/// Starts and stops simulated devices, through the adb server when there is one.
#[derive(Debug, Clone)]
pub struct Link {
    adb: Option<AdbServer>,
}

impl Link {
    /// Devices attached to `adb` (or left for someone to `adb connect`).
    pub fn new(adb: Option<AdbServer>) -> Link {
        Link { adb }
    }

    /// Listens at `addr` with `config` (waiting for the port if the device's last listener is
    /// still closing) and attaches it to the adb server.
    pub async fn up(
        &self,
        addr: SocketAddr,
        config: &FakeDeviceConfig,
    ) -> std::io::Result<FakeDevice> {
        let started = Instant::now();
        let device = loop {
            match FakeDevice::spawn(config.clone(), addr).await {
                Ok(device) => break device,
                Err(e)
                    if e.kind() == std::io::ErrorKind::AddrInUse
                        && started.elapsed() < SETTLE_WITHIN =>
                {
                    tokio::time::sleep(LOOK_EVERY).await;
                }
                Err(e) => return Err(e),
            }
        };
        self.attach(device.addr()).await;
        Ok(device)
    }

    /// Stops `device` (every connection drops, and its address refuses new ones once this
    /// returns) and detaches it from the adb server.
    pub async fn down(&self, addr: SocketAddr, device: FakeDevice) {
        device.vanish();
        drop(device);
        let started = Instant::now();
        while started.elapsed() < SETTLE_WITHIN
            && tokio::net::TcpStream::connect(addr).await.is_ok()
        {
            tokio::time::sleep(LOOK_EVERY).await;
        }
        if let Some(adb) = &self.adb {
            let _ = adb.disconnect(&addr.to_string()).await;
        }
    }

    /// Gives the running `device` `config`'s evidence and authentication, and has the bench see
    /// it leave and come back, so it is read again.
    pub async fn reseat(
        &self,
        addr: SocketAddr,
        device: Option<FakeDevice>,
        config: &FakeDeviceConfig,
    ) -> std::io::Result<FakeDevice> {
        let Some(device) = device else {
            return self.up(addr, config).await;
        };
        let Some(adb) = &self.adb else {
            self.down(addr, device).await;
            return self.up(addr, config).await;
        };
        if let Some(answer) = config.shell_answers.get(EVIDENCE_COMMAND) {
            device.set_shell_answer(EVIDENCE_COMMAND, &answer.stdout, answer.exit_code);
        }
        device.set_auth(config.auth.clone());
        let serial = addr.to_string();
        let _ = adb.disconnect(&serial).await;
        let started = Instant::now();
        while started.elapsed() < SETTLE_WITHIN {
            match adb.devices().await {
                Ok(list) if list.iter().any(|d| d.serial == serial) => {
                    tokio::time::sleep(LOOK_EVERY).await
                }
                _ => break,
            }
        }
        self.attach(addr).await;
        Ok(device)
    }

    async fn attach(&self, addr: SocketAddr) {
        if let Some(adb) = &self.adb {
            if let Err(error) = adb.connect(&addr.to_string()).await {
                tracing::warn!(%error, %addr, "demo bench: adb connect failed");
            }
        }
    }
}
