//! The direct host client (`host::AdbDevice`) running over USB: the scripted bus relays its
//! bulk endpoints to the fake adbd, so the same protocol code that runs over TCP runs over
//! `UsbTransport` — handshake with the "Allow USB debugging?" prompt, shell v2, getprop.
#![cfg(feature = "usb")]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use stagebench_adb::host::{AdbDevice, ConnectOptions};
use stagebench_adb::server::AdbServer;
use stagebench_adb::testing::{free_port, FakeAuth, FakeDevice, FakeDeviceConfig};
use stagebench_adb::usb::{
    open_transport, ClaimOutcome, DeviceScript, ScriptedDevice, ScriptedUsb, UsbTimeouts,
};
use stagebench_adb::AdbKey;

#[tokio::test(flavor = "multi_thread")]
async fn host_client_reads_facts_over_usb() {
    let config = FakeDeviceConfig::new("USBFACTS1").auth(FakeAuth::AcceptAfterPrompt);
    let fake = FakeDevice::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let bus = Arc::new(ScriptedUsb::new());
    let device = bus
        .plug(ScriptedDevice::phone("1-4.3", "USBFACTS1").script(DeviceScript::Relay(fake.addr())))
        .unwrap();
    let no_server = AdbServer::new(SocketAddr::from((
        Ipv4Addr::LOCALHOST,
        free_port().unwrap(),
    )));
    let ClaimOutcome::Claimed(usb) =
        open_transport(&bus, "1-4.3", &no_server, UsbTimeouts::default())
            .await
            .unwrap()
    else {
        panic!("held")
    };
    let key = AdbKey::generate().unwrap();
    let options = ConnectOptions::default().auth_prompt_timeout(Duration::from_secs(5));
    let phone = AdbDevice::connect(usb, &key, options).await.unwrap();
    assert_eq!(phone.describe(), "usb 1-4.3");
    let output = phone.shell("echo over usb").await.unwrap();
    assert_eq!(output.exit_code, Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "over usb");
    let facts = phone.read_facts().await.unwrap();
    assert_eq!(facts.ro_serialno.as_deref(), Some("USBFACTS1"));
    assert!(device.violations().is_empty(), "{:?}", device.violations());
}
