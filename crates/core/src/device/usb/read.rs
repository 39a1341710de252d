//! Reading one USB port: the card the descriptor gives, then claiming the ADB interface,
//! connecting with the host key (showing `unauthorized` while the device asks), and reading
//! facts and stage evidence; each step is reported to the [`UsbBench`](super::UsbBench).

use std::sync::Arc;

use stagebench_adb::host::{AdbDevice, ConnectProgress, HostError};
use stagebench_adb::server::{DeviceEntry, DeviceState};
use stagebench_adb::usb::{open_transport, ClaimOutcome, UsbBackend, UsbDeviceInfo};
use tokio::sync::mpsc;

use super::{usb_key, Report, Shared, Update, UNAUTHORIZED_RETRY};
use crate::device::{
    bench_device, next_step_for, parse_evidence, AdbState, BenchDevice, EVIDENCE_COMMAND,
};
use crate::identity::{check_identity, SerialObservation, SerialSource};

/// A card with nothing read yet.
pub(super) fn empty_card(port_path: &str) -> BenchDevice {
    BenchDevice {
        slot: Some(port_path.to_owned()),
        ..BenchDevice::blank(usb_key(port_path), AdbState::Connecting)
    }
}

fn descriptor_serial(info: &UsbDeviceInfo) -> Option<String> {
    info.serial.clone().filter(|s| !s.trim().is_empty())
}

/// The descriptor's serial, as an observation.
fn descriptor_observations(info: &UsbDeviceInfo) -> Vec<SerialObservation> {
    info.serial
        .iter()
        .map(|value| SerialObservation {
            source: SerialSource::UsbDescriptor,
            value: value.clone(),
        })
        .collect()
}

/// A card from the USB descriptor alone: serial, maker and product.
pub(super) fn descriptor_card(
    info: &UsbDeviceInfo,
    state: AdbState,
    next_step: Option<String>,
) -> BenchDevice {
    let serials = descriptor_observations(info);
    let flags = if serials.is_empty() {
        Vec::new()
    } else {
        check_identity(&serials).messages()
    };
    BenchDevice {
        state,
        next_step,
        serial: descriptor_serial(info),
        serials,
        manufacturer: info.manufacturer.clone(),
        model: info.product.clone(),
        flags,
        ..empty_card(&info.port_path)
    }
}

/// Whether the device at `port_path` is still on the bus (a failure there means it left).
async fn still_there<B: UsbBackend>(backend: &Arc<B>, port_path: &str) -> bool {
    let backend = backend.clone();
    let path = port_path.to_owned();
    tokio::task::spawn_blocking(move || backend.ports())
        .await
        .ok()
        .and_then(Result::ok)
        .is_some_and(|ports| ports.iter().any(|p| p.port_path == path))
}

/// Reads one device with an ADB interface, reporting each step.
pub(super) async fn read_port<B: UsbBackend>(
    shared: Arc<Shared<B>>,
    info: UsbDeviceInfo,
    generation: u64,
    reports: mpsc::UnboundedSender<Report>,
) {
    let port_path = info.port_path.clone();
    let send = {
        let reports = reports.clone();
        let port_path = port_path.clone();
        move |update: Update| {
            reports
                .send(Report {
                    port_path: port_path.clone(),
                    generation,
                    update,
                })
                .is_ok()
        }
    };
    let failed = |state: AdbState, error: String, next: &str| {
        let mut card = descriptor_card(&info, state, Some(next.to_owned()));
        card.error = Some(error);
        Update::Card(Box::new(card), None)
    };
    const REPLUG: &str = "Unplug the cable and plug it back in.";

    let Ok(_permit) = shared.reads.acquire().await else {
        return;
    };
    let _lease = shared.leases.acquire(&port_path).await;
    loop {
        let transport = match open_transport(
            &shared.backend,
            &port_path,
            &shared.server,
            shared.timeouts,
        )
        .await
        {
            Ok(ClaimOutcome::Claimed(transport)) => transport,
            Ok(ClaimOutcome::HeldByAdbServer(held)) => {
                send(Update::Held(held));
                return;
            }
            Err(e) if e.is_gone() => return,
            Err(e) => {
                if still_there(&shared.backend, &port_path).await {
                    send(failed(AdbState::Offline, e.to_string(), REPLUG));
                }
                return;
            }
        };
        let key = match shared.key.get().await {
            Ok(key) => key,
            Err(e) => {
                send(failed(
                    AdbState::Offline,
                    e,
                    "Check that StageBench's data folder is writable (or set STAGEBENCH_ADB_KEY), then replug the device.",
                ));
                return;
            }
        };
        let prompt = {
            let send = send.clone();
            let card = descriptor_card(
                &info,
                AdbState::Unauthorized,
                next_step_for(&DeviceState::Unauthorized),
            );
            move |progress: &ConnectProgress| {
                if let ConnectProgress::WaitingForUser { .. } = progress {
                    send(Update::Card(Box::new(card.clone()), None));
                }
            }
        };
        let options = shared.connect.clone().on_progress(prompt);
        let device = match AdbDevice::connect(transport, &key, options).await {
            Ok(device) => device,
            Err(e @ HostError::Unauthorized { .. }) => {
                let mut card = descriptor_card(
                    &info,
                    AdbState::Unauthorized,
                    next_step_for(&DeviceState::Unauthorized),
                );
                card.error = Some(e.to_string());
                send(Update::Card(Box::new(card), None));
                if !shared.retry_unauthorized {
                    return;
                }
                tokio::time::sleep(UNAUTHORIZED_RETRY).await;
                continue;
            }
            Err(e) => {
                if still_there(&shared.backend, &port_path).await {
                    send(failed(AdbState::Offline, e.to_string(), REPLUG));
                }
                return;
            }
        };
        send(Update::Connected(device.clone()));
        let (facts, evidence) = tokio::join!(device.read_facts(), device.shell(EVIDENCE_COMMAND));
        let mut facts = match facts {
            Ok(facts) => facts,
            Err(e) => {
                if still_there(&shared.backend, &port_path).await {
                    send(failed(
                        AdbState::Device,
                        e.to_string(),
                        "The device stopped answering: check the cable, then unplug and re-plug it.",
                    ));
                }
                return;
            }
        };
        let (evidence, failure) = match evidence {
            Ok(output) => (
                Some(parse_evidence(&String::from_utf8_lossy(&output.stdout))),
                None,
            ),
            Err(e) => (
                None,
                Some(format!("could not read the stage evidence: {e}")),
            ),
        };
        // What an adb server would call the device: the descriptor serial, else ro.serialno.
        let serial = descriptor_serial(&info)
            .or_else(|| facts.ro_serialno.clone())
            .unwrap_or_default();
        facts.transport_serial = serial.clone();
        let entry = DeviceEntry {
            serial,
            state: DeviceState::Device,
            usb: Some(port_path.clone()),
            product: None,
            model: facts.model.clone(),
            device: facts.device.clone(),
            transport_id: None,
        };
        let descriptor = descriptor_observations(&info);
        let mut card = bench_device(&entry, &facts, evidence, descriptor);
        card.key = usb_key(&port_path);
        card.error = failure;
        if card.manufacturer.is_none() {
            card.manufacturer = info.manufacturer.clone();
        }
        send(Update::Card(Box::new(card), Some(facts)));
        return;
    }
}
