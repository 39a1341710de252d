//! Debian's real `adb` server (1.0.41) against our fake adbd, read through `AdbServer`.
//!
//! Needs the `adb` package (`make test` installs it). The server runs on a free port with HOME
//! in a temporary folder (it writes `~/.android/adbkey`) and is killed by a Drop guard.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig, RealAdbServer};
use stagebench_adb::{AdbError, AdbServer, DeviceEntry, DeviceState};

/// The longest a test here waits for the server to show something: an upper bound for a loaded
/// machine, never waited out by a healthy run.
const PATIENCE: Duration = Duration::from_secs(120);

async fn wait_until_online(server: &AdbServer, serials: &[&str]) -> Vec<DeviceEntry> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let devices = server.devices().await.unwrap();
        let online = |s: &&str| {
            devices
                .iter()
                .any(|d| d.serial == *s && d.state == DeviceState::Device)
        };
        if serials.iter().all(online) {
            return devices;
        }
        assert!(
            Instant::now() < deadline,
            "devices never came online: {devices:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_adb_server_connects_and_reads_two_fake_devices() {
    let real = RealAdbServer::start().await.unwrap();
    let server = AdbServer::new(real.addr()).with_timeout(Duration::from_secs(10));
    assert_eq!(server.version().await.unwrap(), 41);

    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let zebra = FakeDeviceConfig::new("ZEB123")
        .manufacturer("Zebra")
        .model("TC58")
        .device("tc58")
        .android("13", 33);
    let realwear = FakeDeviceConfig::new("RW9000")
        .manufacturer("RealWear")
        .model("NAV500")
        .device("nav500")
        .android("11", 30)
        .auth(FakeAuth::AcceptAfterPrompt);
    let devices = [
        (
            FakeDevice::spawn(zebra.clone(), local).await.unwrap(),
            zebra,
        ),
        (
            FakeDevice::spawn(realwear.clone(), local).await.unwrap(),
            realwear,
        ),
    ];
    let serials: Vec<String> = devices.iter().map(|(d, _)| d.addr().to_string()).collect();

    for serial in &serials {
        // With a key prompt adb 1.0.41 answers "failed to authenticate to …" and the device
        // comes online once the user allows it: that is not an error.
        let message = server.connect(serial).await.unwrap();
        assert!(
            message.contains("connected to") || message.contains("failed to authenticate"),
            "{message}"
        );
    }
    let listed = wait_until_online(&server, &[&serials[0], &serials[1]]).await;
    let entry = listed.iter().find(|d| d.serial == serials[0]).unwrap();
    assert_eq!(
        (
            entry.model.as_deref(),
            entry.device.as_deref(),
            entry.product.as_deref()
        ),
        (Some("TC58"), Some("tc58"), Some("tc58"))
    );
    assert!(
        entry.transport_id.is_some() && entry.usb.is_none(),
        "{entry:?}"
    );

    for ((_, config), serial) in devices.iter().zip(&serials) {
        let facts = server.read_facts(serial).await.unwrap();
        let prop = |k: &str| config.properties.get(k).cloned();
        assert_eq!(
            facts.transport_serial, *serial,
            "get-serialno names the TCP transport"
        );
        assert_eq!(facts.ro_serialno.as_deref(), Some(config.serial.as_str()));
        assert_eq!(facts.boot_serialno.as_deref(), Some(config.serial.as_str()));
        assert_eq!(facts.manufacturer, prop("ro.product.manufacturer"));
        assert_eq!(facts.model, prop("ro.product.model"));
        assert_eq!(facts.device, prop("ro.product.device"));
        assert_eq!(facts.android_release, prop("ro.build.version.release"));
        assert_eq!(
            facts.sdk,
            prop("ro.build.version.sdk").map(|s| s.parse().unwrap())
        );
        assert_eq!(facts.fingerprint, prop("ro.build.fingerprint"));
        assert_eq!(facts.properties, config.properties);
    }

    let mut tracker = server.track_devices().await.unwrap();
    let tracked = tokio::time::timeout(PATIENCE, tracker.next())
        .await
        .expect("the tracker's first list")
        .unwrap();
    for serial in &serials {
        assert!(
            tracked
                .iter()
                .any(|d| d.serial == *serial && d.state == DeviceState::Device),
            "{tracked:?}"
        );
    }

    let v2 = server.shell_v2(&serials[1], "echo hello").await.unwrap();
    assert_eq!(
        (v2.stdout.as_slice(), v2.exit_code),
        (&b"hello\n"[..], Some(0))
    );
    let v2 = server.shell_v2(&serials[1], "pm list users").await.unwrap();
    assert_eq!(v2.exit_code, Some(127));
    assert!(String::from_utf8_lossy(&v2.stderr).contains("inaccessible or not found"));

    // The real adb command line uses shell v2 and passes the exit code on.
    let output = real.adb(&["-s", &serials[0], "shell", "getprop", "ro.serialno"]);
    assert_eq!(
        (
            String::from_utf8_lossy(&output.stdout).trim(),
            output.status.code()
        ),
        ("ZEB123", Some(0))
    );
    assert_eq!(
        real.adb(&["-s", &serials[0], "shell", "no-such-tool"])
            .status
            .code(),
        Some(127)
    );

    match server.get_serialno("NOPE").await {
        Err(e @ AdbError::DeviceNotFound { .. }) => {
            assert!(e.to_string().contains("run `adb devices`"), "{e}")
        }
        other => panic!("expected DeviceNotFound, got {other:?}"),
    }
    match server.connect("127.0.0.1:1").await {
        Err(AdbError::ConnectFailed { .. }) => {}
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
    let message = server.disconnect(&serials[0]).await.unwrap();
    assert!(message.contains("disconnected"), "{message}");
}
