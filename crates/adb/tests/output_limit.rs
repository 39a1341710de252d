//! A command that never ends (`yes` on the fake adbd) is cut at [`MAX_SERVICE_OUTPUT`] with an
//! error naming the device, the command and the limit: over a direct link (shell v2 and the
//! raw shell) and through Debian's real adb server (needs the `adb` package, as
//! `real_adb_server.rs`). Without the cap these reads would never return.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use stagebench_adb::host::{AdbDevice, ConnectOptions, HostError};
use stagebench_adb::testing::{FakeDevice, FakeDeviceConfig, RealAdbServer};
use stagebench_adb::{AdbError, AdbKey, AdbServer, DeviceState, MAX_SERVICE_OUTPUT};

fn key() -> &'static AdbKey {
    static KEY: OnceLock<AdbKey> = OnceLock::new();
    KEY.get_or_init(|| AdbKey::generate().unwrap())
}

fn local() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

async fn direct(config: FakeDeviceConfig) -> (FakeDevice, AdbDevice) {
    let fake = FakeDevice::spawn(config, local()).await.unwrap();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
        .await
        .unwrap();
    (fake, device)
}

fn assert_cut(error: &HostError, service: &str) {
    let message = error.to_string();
    assert!(
        matches!(error, HostError::OutputTooLarge { service: s, limit, .. }
            if s == service && *limit == MAX_SERVICE_OUTPUT),
        "{message}"
    );
    assert!(
        message.contains(&format!("sent more than 16 MiB for {service}"))
            && message.contains("check the command"),
        "{message}"
    );
}

#[tokio::test]
async fn an_endless_shell_v2_output_is_cut_at_the_limit() {
    let (_fake, device) = direct(FakeDeviceConfig::new("ENDLESS2")).await;
    let error = device.shell("yes").await.unwrap_err();
    assert_cut(&error, "shell,v2,raw:yes");
    // The device is still usable: the endless stream was closed, not the link.
    let ok = device.shell("echo still here").await.unwrap();
    assert_eq!(ok.stdout, b"still here\n");
}

#[tokio::test]
async fn an_endless_raw_shell_or_service_output_is_cut_at_the_limit() {
    let (_fake, device) = direct(FakeDeviceConfig::new("ENDLESS1").features(&[])).await;
    let error = device.shell("yes").await.unwrap_err();
    assert_cut(&error, "shell:yes");
    let error = device
        .read_service("exec:yes stagebench")
        .await
        .unwrap_err();
    assert_cut(&error, "exec:yes stagebench");
}

/// The longest the real server may take to bring the fake online on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_output_through_the_real_adb_server_is_cut_at_the_limit() {
    let real = RealAdbServer::start().await.unwrap();
    let server = AdbServer::new(real.addr()).with_timeout(Duration::from_secs(30));
    let fake = FakeDevice::spawn(FakeDeviceConfig::new("ENDLESS3"), local())
        .await
        .unwrap();
    let serial = fake.addr().to_string();
    server.connect(&serial).await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !server
        .devices()
        .await
        .unwrap()
        .iter()
        .any(|d| d.serial == serial && d.state == DeviceState::Device)
    {
        assert!(Instant::now() < deadline, "the fake never came online");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = server.shell(&serial, "yes").await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, AdbError::OutputTooLarge { service, limit, .. }
            if service == "shell:yes" && *limit == MAX_SERVICE_OUTPUT),
        "{message}"
    );
    assert!(
        message.contains("more than 16 MiB for `shell:yes`"),
        "{message}"
    );
}
