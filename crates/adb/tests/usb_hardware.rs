//! USB on real hardware, through libusb.
//!
//! Only `libusb_lists_without_error` runs by default: it checks that libusb starts and lists
//! (on a machine without USB, such as CI here, the list is empty). The rest need a real bench
//! and are `#[ignore]`d. Run them on a bench PC with:
//!
//! ```text
//! STAGEBENCH_USB_PORT=1-4.3 cargo test -p stagebench-adb --features usb,testing \
//!     --test usb_hardware -- --ignored --nocapture --test-threads=1
//! ```
//!
//! - `STAGEBENCH_USB_PORT`: the port path of one Android device with USB debugging on (see
//!   `adb devices -l`, field `usb:`, or the `list_bench_devices` output). Stop any adb server
//!   first (`adb kill-server`) unless a test says otherwise.
//! - On Linux the user needs access to the device node (udev rules: `stagebench doctor`).
//! - `hotplug_sees_a_replug` asks you to unplug and replug that device within 30 s.
//! - `adb_server_holding_the_device_is_an_outcome` needs `adb start-server` with the device
//!   attached.
#![cfg(feature = "usb")]

use std::sync::Arc;
use std::time::Duration;

use stagebench_adb::server::AdbServer;
use stagebench_adb::transport::MessageTransport;
use stagebench_adb::usb::{
    diagnose, open_transport, watch, AdbInterfaceState, ClaimOutcome, RusbBackend, UsbBackend,
    UsbEvent, UsbTimeouts, UsbTransport,
};
use stagebench_adb::wire::{Command, Message, A_VERSION, MAX_PAYLOAD};

fn bench_port() -> String {
    std::env::var("STAGEBENCH_USB_PORT")
        .expect("set STAGEBENCH_USB_PORT to the port path of a device, e.g. 1-4.3")
}

/// Claim the device at `STAGEBENCH_USB_PORT`, asking the usual adb server when it is held.
async fn open_bench_device() -> ClaimOutcome<UsbTransport> {
    let backend = Arc::new(RusbBackend::new().unwrap());
    open_transport(
        &backend,
        &bench_port(),
        &AdbServer::from_env(),
        UsbTimeouts::default(),
    )
    .await
    .unwrap()
}

#[test]
fn libusb_lists_without_error() {
    let backend = RusbBackend::new().expect("libusb should start even without USB");
    let devices = backend
        .list()
        .expect("listing should work even without USB");
    if !std::path::Path::new("/dev/bus/usb").exists() && cfg!(target_os = "linux") {
        // This build machine: no USB in the kernel.
        assert!(devices.is_empty(), "{devices:?}");
    }
}

#[tokio::test]
async fn doctor_reports_every_check() {
    let checks = diagnose(&stagebench_adb::AdbServer::from_env()).await;
    let ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "usb.libusb",
            "usb.device-nodes",
            "usb.udev-rules",
            "usb.adb-server"
        ]
    );
    let libusb = &checks[0];
    assert!(libusb.ok, "{libusb:?}");
    for check in &checks {
        assert_eq!(check.ok, check.fix.is_none(), "{check:?}");
    }
}

#[test]
#[ignore = "needs USB devices on a real bench"]
fn list_bench_devices() {
    let backend = RusbBackend::new().unwrap();
    let devices = backend.list().unwrap();
    for device in &devices {
        println!(
            "{device}  adb={:?}  next={:?}",
            device.adb,
            device.next_step().map(|s| s.to_string())
        );
    }
    assert!(!devices.is_empty(), "no USB devices seen");
}

#[test]
#[ignore = "needs a real Android device at STAGEBENCH_USB_PORT"]
fn bench_device_has_an_adb_interface_and_a_serial() {
    let backend = RusbBackend::new().unwrap();
    let info = backend.describe(&bench_port()).unwrap();
    println!("{info}");
    assert!(
        matches!(info.adb, AdbInterfaceState::Present(_)),
        "{:?}",
        info.adb
    );
    assert!(info.serial.is_some(), "no iSerialNumber");
}

#[tokio::test]
#[ignore = "needs a real Android device at STAGEBENCH_USB_PORT and no adb server"]
async fn cnxn_over_real_usb() {
    let outcome = open_bench_device().await;
    let ClaimOutcome::Claimed(mut usb) = outcome else {
        panic!("interface held by another program: run `adb kill-server` first")
    };
    usb.send(&Message::cnxn(
        A_VERSION,
        MAX_PAYLOAD as u32,
        "host::features=shell_v2",
    ))
    .await
    .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), usb.recv())
        .await
        .expect("device did not answer CNXN")
        .unwrap();
    // An authorized device answers CNXN, any other AUTH(TOKEN).
    assert!(
        matches!(reply.command, Command::Cnxn | Command::Auth),
        "{reply:?}"
    );
    println!("{:?} {}", reply.command, reply.payload_text());
}

#[tokio::test]
#[ignore = "needs `adb start-server` with the device at STAGEBENCH_USB_PORT attached"]
async fn adb_server_holding_the_device_is_an_outcome() {
    let outcome = open_bench_device().await;
    let ClaimOutcome::HeldByAdbServer(held) = outcome else {
        panic!("claimed the interface although the adb server should hold it")
    };
    println!("{held}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a technician to replug the device at STAGEBENCH_USB_PORT"]
async fn hotplug_sees_a_replug() {
    let port = bench_port();
    let backend = Arc::new(RusbBackend::new().unwrap());
    println!("hotplug: {}", backend.has_hotplug());
    let (tx, mut events) = tokio::sync::mpsc::channel(16);
    let _watcher = watch(backend, tx);
    println!("unplug and replug {port} now");
    let mut left = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        println!("{event:?}");
        match event {
            UsbEvent::Left { port_path } if port_path == port => left = true,
            UsbEvent::Arrived(info) if info.port_path == port && left => return,
            _ => {}
        }
    }
    panic!("did not see {port} leave and come back within 30 s");
}
