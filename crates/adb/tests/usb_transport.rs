//! USB without hardware, opening a device and talking to it: the bulk transport (zero-length
//! packets, header and payload transfers, a CNXN exchange, unplug and timeouts) and claiming an
//! interface that an adb server or another program holds, all over the scripted bus
//! (`ScriptedUsb`), which implements the same `UsbBackend` seam as libusb. Finding the devices
//! and their ADB interfaces is `usb_discovery.rs`.
#![cfg(feature = "usb")]

mod support;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::{free_port, FakeDevice, FakeDeviceConfig};
use stagebench_adb::transport::MessageTransport;
use stagebench_adb::usb::{
    open_transport, AdbServerSeen, ClaimOutcome, DeviceScript, InterfaceDescriptor, NextStep,
    ScriptedDevice, ScriptedUsb, UsbError, UsbTimeouts, UsbTransport,
};
use stagebench_adb::wire::{auth_type, Command, Message, A_VERSION, MAX_PAYLOAD};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn no_server() -> AdbServer {
    AdbServer::new(SocketAddr::from((
        Ipv4Addr::LOCALHOST,
        free_port().unwrap(),
    )))
}

/// Claim the device at `port` on `bus`, expecting success.
async fn claim(bus: &ScriptedUsb, port: &str) -> UsbTransport {
    claim_with(bus, port, UsbTimeouts::default()).await
}

async fn claim_with(bus: &ScriptedUsb, port: &str, timeouts: UsbTimeouts) -> UsbTransport {
    match open_transport(&Arc::new(bus.clone()), port, &no_server(), timeouts)
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(transport) => transport,
        ClaimOutcome::HeldByAdbServer(held) => panic!("unexpectedly held: {held}"),
    }
}

async fn recv(transport: &mut UsbTransport) -> Message {
    support::within("a message from the device", transport.recv())
        .await
        .unwrap()
}

fn lengths(transfers: &[Vec<u8>]) -> Vec<usize> {
    transfers.iter().map(Vec::len).collect()
}

// --- transport -------------------------------------------------------------------------------

#[tokio::test]
async fn cnxn_round_trip_over_bulk_endpoints() {
    let bus = ScriptedUsb::new();
    let device = bus.plug(ScriptedDevice::phone("1-4.3", "R58M")).unwrap();
    let mut usb = claim(&bus, "1-4.3").await;
    assert_eq!(usb.describe(), "usb 1-4.3");
    let hello = Message::cnxn(A_VERSION, MAX_PAYLOAD as u32, "host::features=shell_v2");
    usb.send(&hello).await.unwrap();
    let reply = recv(&mut usb).await;
    assert_eq!(reply.command, Command::Cnxn);
    assert!(reply.payload_text().contains("ro.product.model=FakePhone"));
    // Header and payload went as separate transfers.
    assert_eq!(lengths(&device.out_transfers()), [24, hello.payload.len()]);
    usb.send(&Message::open(7, "shell:echo hi")).await.unwrap();
    assert_eq!(recv(&mut usb).await.command, Command::Okay);
    assert_eq!(recv(&mut usb).await.payload, b"hi\n");
    assert_eq!(recv(&mut usb).await.command, Command::Clse);
    assert!(device.violations().is_empty(), "{:?}", device.violations());
}

#[tokio::test]
async fn zero_length_packet_only_after_whole_packets() {
    let bus = ScriptedUsb::new();
    let device = bus
        .plug(ScriptedDevice::phone("1-1", "Z").script(DeviceScript::Silent))
        .unwrap();
    let mut usb = claim(&bus, "1-1").await;
    for size in [512, 511, 0, 1024, 513] {
        usb.send(&Message::wrte(1, 2, vec![0xab; size]))
            .await
            .unwrap();
    }
    assert_eq!(
        lengths(&device.out_transfers()),
        [24, 512, 0, 24, 511, 24, 24, 1024, 0, 24, 513]
    );
    assert!(device.violations().is_empty(), "{:?}", device.violations());
}

#[tokio::test]
async fn zero_length_packet_follows_the_out_endpoints_packet_size() {
    let bus = ScriptedUsb::new();
    let full_speed = vec![InterfaceDescriptor::adb(0, 0x81, 0x01, 64)];
    let device = bus
        .plug(
            ScriptedDevice::phone("1-1", "FS")
                .interfaces(full_speed)
                .script(DeviceScript::Silent),
        )
        .unwrap();
    let mut usb = claim(&bus, "1-1").await;
    assert_eq!(usb.interface().max_packet, 64);
    usb.send(&Message::wrte(1, 2, vec![1; 128])).await.unwrap();
    usb.send(&Message::wrte(1, 2, vec![1; 100])).await.unwrap();
    assert_eq!(lengths(&device.out_transfers()), [24, 128, 0, 24, 100]);
}

#[tokio::test]
async fn reads_skip_the_devices_zero_length_packets() {
    let bus = ScriptedUsb::new();
    let device = bus
        .plug(ScriptedDevice::phone("1-1", "Z").script(DeviceScript::Silent))
        .unwrap();
    let mut usb = claim(&bus, "1-1").await;
    let whole = Message::wrte(5, 6, vec![7; 1024]);
    device.inject(&whole);
    device.inject(&Message::okay(5, 6));
    assert_eq!(recv(&mut usb).await, whole);
    assert_eq!(recv(&mut usb).await, Message::okay(5, 6));
}

#[tokio::test]
async fn unauthorized_device_answers_with_a_token() {
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-1", "U").script(DeviceScript::Unauthorized))
        .unwrap();
    let mut usb = claim(&bus, "1-1").await;
    usb.send(&Message::cnxn(A_VERSION, 4096, "host::"))
        .await
        .unwrap();
    let reply = recv(&mut usb).await;
    assert_eq!(
        (reply.command, reply.arg0),
        (Command::Auth, auth_type::TOKEN)
    );
    assert_eq!(
        NextStep::AcceptDebuggingPrompt.to_string(),
        "Accept the USB debugging prompt on the device (tick \"Always allow from this computer\")"
    );
}

#[tokio::test]
async fn fake_adbd_behind_scripted_endpoints() {
    let fake = FakeDevice::spawn(
        FakeDeviceConfig::new("RELAY01"),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .unwrap();
    let bus = ScriptedUsb::new();
    let device = bus
        .plug(ScriptedDevice::phone("1-9", "RELAY01").script(DeviceScript::Relay(fake.addr())))
        .unwrap();
    let mut usb = claim(&bus, "1-9").await;
    usb.send(&Message::cnxn(
        A_VERSION,
        MAX_PAYLOAD as u32,
        "host::features=shell_v2",
    ))
    .await
    .unwrap();
    let banner = recv(&mut usb).await;
    assert_eq!(banner.command, Command::Cnxn);
    usb.send(&Message::open(1, "shell:getprop ro.serialno"))
        .await
        .unwrap();
    let okay = recv(&mut usb).await;
    assert_eq!(okay.command, Command::Okay);
    let mut output = Vec::new();
    loop {
        let message = recv(&mut usb).await;
        match message.command {
            Command::Wrte => {
                output.extend_from_slice(&message.payload);
                usb.send(&Message::okay(1, message.arg0)).await.unwrap();
            }
            Command::Clse => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(String::from_utf8_lossy(&output).trim(), "RELAY01");
    assert!(device.violations().is_empty(), "{:?}", device.violations());
}

#[tokio::test]
async fn unplug_mid_read_ends_the_link_cleanly() {
    let bus = ScriptedUsb::new();
    let device = bus
        .plug(ScriptedDevice::phone("1-5", "GONE").script(DeviceScript::Silent))
        .unwrap();
    // Each read waits an hour for a silent device: only the unplug can end the one under way.
    let patient = UsbTimeouts {
        transfer: Duration::from_secs(3600),
        idle_poll: Duration::from_secs(3600),
    };
    let mut usb = claim_with(&bus, "1-5", patient).await;
    let (error, ()) = tokio::join!(
        support::within("recv to end after the unplug", usb.recv()),
        async {
            // The transport's reader waits in a bulk read, and `recv` waits for it.
            support::until(
                "the transport's reader waiting in a bulk read",
                || match device.reads_waiting() {
                    1 => Ok(()),
                    n => Err(format!("{n} reads waiting")),
                },
            )
            .await;
            assert!(device.unplug());
        }
    );
    let error = error.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    let cause = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<UsbError>())
        .unwrap();
    assert!(cause.is_gone(), "{cause}");
    // Later calls keep saying the same, without new errors from the hardware.
    assert_eq!(
        usb.recv().await.unwrap_err().kind(),
        ErrorKind::UnexpectedEof
    );
    assert_eq!(
        usb.send(&Message::okay(1, 1)).await.unwrap_err().kind(),
        ErrorKind::UnexpectedEof
    );
}

#[tokio::test]
async fn stuck_device_times_out_every_write() {
    let bus = ScriptedUsb::new();
    let device = bus.plug(ScriptedDevice::phone("1-6", "STUCK")).unwrap();
    let timeouts = UsbTimeouts {
        transfer: Duration::from_millis(100),
        idle_poll: Duration::from_millis(50),
    };
    let mut usb = claim_with(&bus, "1-6", timeouts).await;
    device.set_unresponsive(true);
    let started = Instant::now();
    let error = usb
        .send(&Message::cnxn(A_VERSION, 4096, "host::"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    assert!(error.to_string().contains("header write"), "{error}");
    // The configured transfer timeout ended the write: the error names it, and the write
    // waited at least that long and far less than the default it replaced.
    let cause = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<UsbError>())
        .unwrap();
    assert!(
        matches!(cause, UsbError::Timeout { operation: "header write", after, .. }
            if *after == timeouts.transfer),
        "{cause:?}"
    );
    let (took, default) = (started.elapsed(), UsbTimeouts::default().transfer);
    assert!(
        took >= timeouts.transfer && took < default,
        "took {took:?}: not the configured {:?} (default {default:?})",
        timeouts.transfer
    );
}

#[tokio::test]
async fn dropping_the_transport_releases_the_interface() {
    let bus = ScriptedUsb::new();
    let device = bus.plug(ScriptedDevice::phone("1-8", "REL")).unwrap();
    let usb = claim(&bus, "1-8").await;
    assert!(device.is_claimed());
    drop(usb);
    // Released as the transport's reader stops (within its idle poll).
    support::until(
        "the interface to be released after the transport was dropped",
        || match device.is_claimed() {
            false => Ok(()),
            true => Err("still claimed".into()),
        },
    )
    .await;
    claim(&bus, "1-8").await;
}

// --- coexistence with an adb server ------------------------------------------------------------

/// Answers `host:version` like adb 1.0.41, once per connection.
async fn tiny_adb_server() -> AdbServer {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 16];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(b"OKAY00040029").await;
        }
    });
    AdbServer::new(addr)
}

#[tokio::test]
async fn interface_held_by_a_running_adb_server_is_an_outcome() {
    let bus = Arc::new(ScriptedUsb::new());
    bus.plug(ScriptedDevice::phone("1-4.1", "HELD").held_by_adb_server())
        .unwrap();
    let server = tiny_adb_server().await;
    let outcome = open_transport(&bus, "1-4.1", &server, UsbTimeouts::default())
        .await
        .unwrap();
    let ClaimOutcome::HeldByAdbServer(held) = outcome else {
        panic!("claimed an interface the adb server holds")
    };
    assert_eq!(
        held.adb_server,
        AdbServerSeen::Running {
            addr: server.addr(),
            version: 0x29
        }
    );
    let text = held.to_string();
    assert!(
        text.contains("reading it through the server") && text.contains("1-4.1"),
        "{text}"
    );
    // The server lists the same slot: that entry is the device to read through it.
    let listed = stagebench_adb::server::parse_device_list(
        "LOOKALIKE\tdevice usb:1-4.2 transport_id:1\nLOOKALIKE\tdevice usb:1-4.1 transport_id:2\n",
    );
    assert_eq!(held.find_in(&listed).unwrap().transport_id, Some(2));
    assert_eq!(held.next_step(), NextStep::UseAdbServer);
}

#[tokio::test]
async fn interface_held_without_a_server_names_other_programs() {
    let bus = Arc::new(ScriptedUsb::new());
    bus.plug(ScriptedDevice::phone("1-4.2", "HELD").held_by_adb_server())
        .unwrap();
    let started = Instant::now();
    let outcome = open_transport(&bus, "1-4.2", &no_server(), UsbTimeouts::default())
        .await
        .unwrap();
    // Asking a server that is not there is a short probe, not a wait for the adb server
    // client's own timeout.
    let (took, server_timeout) = (started.elapsed(), stagebench_adb::server::DEFAULT_TIMEOUT);
    assert!(
        took < server_timeout,
        "took {took:?}, the server client's timeout is {server_timeout:?}"
    );
    let ClaimOutcome::HeldByAdbServer(held) = outcome else {
        panic!("claimed")
    };
    assert!(matches!(held.adb_server, AdbServerSeen::NotRunning { .. }));
    assert!(held.to_string().contains("adb start-server"), "{held}");
}

#[tokio::test]
async fn a_claimed_interface_cannot_be_claimed_twice() {
    let bus = ScriptedUsb::new();
    bus.plug(ScriptedDevice::phone("1-3", "ONCE")).unwrap();
    let _first = claim(&bus, "1-3").await;
    let second = open_transport(
        &Arc::new(bus.clone()),
        "1-3",
        &no_server(),
        UsbTimeouts::default(),
    )
    .await
    .unwrap();
    assert!(matches!(second, ClaimOutcome::HeldByAdbServer(_)));
}

#[tokio::test]
async fn opening_an_empty_slot_is_gone() {
    let bus = Arc::new(ScriptedUsb::new());
    let err = open_transport(&bus, "9-9", &no_server(), UsbTimeouts::default())
        .await
        .unwrap_err();
    assert!(err.is_gone(), "{err}");
}
