//! Devices that vanish, cut the link mid-message or go quiet: the direct client reports each
//! by its cause and never hangs. A vanished or cut link ends the waiting requests at once
//! (`Disconnected`, well inside the io timeout that would otherwise end them); a quiet device
//! is a `Timeout` that names the timeout configured, not the default.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use stagebench_adb::host::{AdbDevice, ConnectOptions, HostError};
use stagebench_adb::testing::{FakeDevice, FakeDeviceConfig};
use stagebench_adb::AdbKey;

fn key() -> &'static AdbKey {
    static KEY: OnceLock<AdbKey> = OnceLock::new();
    KEY.get_or_init(|| AdbKey::generate().unwrap())
}

async fn start(config: FakeDeviceConfig, options: ConnectOptions) -> (FakeDevice, AdbDevice) {
    let fake = FakeDevice::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), options)
        .await
        .unwrap();
    (fake, device)
}

fn big() -> String {
    "x".repeat(8 * 1024 * 1024)
}

#[tokio::test]
async fn a_device_vanishing_mid_read_fails_every_request_at_once() {
    let config = FakeDeviceConfig::new("GONE")
        .shell_answer("cat big", &big(), 0)
        .file("/sdcard/big.bin", big());
    let options = ConnectOptions::default();
    let io_timeout = options.io_timeout;
    let (fake, device) = start(config, options).await;
    fake.set_reply_delay(Duration::from_millis(30));
    let reads = [
        tokio::spawn({
            let device = device.clone();
            async move { device.shell("cat big").await.map(|_| ()) }
        }),
        tokio::spawn({
            let device = device.clone();
            async move { device.pull("/sdcard/big.bin").await.map(|_| ()) }
        }),
    ];
    // Both reads under way: the device was asked for the shell and the file.
    support::until("both reads to start", || {
        let opened = fake.opened_services();
        let started =
            opened.iter().any(|s| s.ends_with(":cat big")) && opened.iter().any(|s| s == "sync:");
        started.then_some(()).ok_or(format!("{opened:?}"))
    })
    .await;
    let vanished = Instant::now();
    fake.vanish();
    for read in reads {
        let err = support::within("a read to end after the device vanished", read)
            .await
            .unwrap()
            .unwrap_err();
        let HostError::Disconnected {
            device: link,
            reason,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(link, &format!("tcp {}", fake.addr()));
        assert!(reason.contains("closed the connection"), "{reason}");
    }
    // The end of the link woke both reads: neither waited for its io timeout (which would be
    // a `Timeout`, and take this long).
    assert!(
        vanished.elapsed() < io_timeout,
        "took {:?}, the io timeout is {io_timeout:?}",
        vanished.elapsed()
    );
    assert!(err_is_disconnected(device.shell("echo again").await));
    let again = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(again, HostError::Unreachable { .. }), "{again:?}");
}

fn err_is_disconnected<T: std::fmt::Debug>(result: Result<T, HostError>) -> bool {
    matches!(result, Err(HostError::Disconnected { .. }))
}

#[tokio::test]
async fn a_link_cut_mid_message_is_a_disconnect_and_a_reconnect_works() {
    let config = FakeDeviceConfig::new("CUT")
        .shell_answer("cat big", &big(), 0)
        .cut_after_bytes(100_000);
    let options = ConnectOptions::default();
    let io_timeout = options.io_timeout;
    let (fake, device) = start(config, options).await;
    let started = Instant::now();
    let err = device.shell("cat big").await.unwrap_err();
    assert!(
        matches!(&err, HostError::Disconnected { service, .. } if service == "shell,v2,raw:cat big"),
        "{err:?}"
    );
    assert!(err.to_string().contains("replug"), "{err}");
    // Noticed as the link closed, not when the io timeout ran out.
    assert!(
        started.elapsed() < io_timeout,
        "took {:?}, the io timeout is {io_timeout:?}",
        started.elapsed()
    );
    let fresh = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
        .await
        .unwrap();
    assert_eq!(fresh.shell("echo ok").await.unwrap().stdout, b"ok\n");
}

#[tokio::test]
async fn a_device_that_goes_quiet_times_out() {
    let configured = Duration::from_millis(300);
    let default = ConnectOptions::default().io_timeout;
    let options = ConnectOptions::default().io_timeout(configured);
    let (fake, device) = start(FakeDeviceConfig::new("QUIET"), options).await;
    // It would answer, but only after any wait this test allows.
    fake.set_reply_delay(support::PATIENCE * 2);
    let started = Instant::now();
    let err = device.shell("echo late").await.unwrap_err();
    let HostError::Timeout {
        service, waited, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    // The configured timeout ended the wait: the error names it, the wait lasted at least that
    // long, and well under the default it replaced.
    assert_eq!(
        (service.as_str(), *waited),
        ("shell,v2,raw:echo late", configured)
    );
    let took = started.elapsed();
    assert!(
        took >= configured && took < default,
        "took {took:?}: not the configured {configured:?} (default {default:?})"
    );
    let err = device
        .push(b"data", "/sdcard/x", 0o644, 0)
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Timeout { .. }), "{err:?}");
}
