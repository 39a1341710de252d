//! The sync service (stat, push, pull) through the direct client against the fake adbd, with
//! `STAT` and with `STA2`, and Debian's real `adb push`/`adb pull` against the same fake.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use stagebench_adb::host::sync::{DATA_MAX, S_IFREG};
use stagebench_adb::host::{AdbDevice, ConnectOptions, HostError};
use stagebench_adb::testing::{FakeDevice, FakeDeviceConfig, FakeFile, RealAdbServer};
use stagebench_adb::AdbKey;

fn key() -> &'static AdbKey {
    static KEY: OnceLock<AdbKey> = OnceLock::new();
    KEY.get_or_init(|| AdbKey::generate().unwrap())
}

fn any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Bytes that differ from chunk to chunk, so a lost or repeated chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / DATA_MAX) as u8)
        .collect()
}

#[tokio::test]
async fn push_stat_pull_round_trip_with_stat_v1_and_v2() {
    for features in [
        &["shell_v2", "cmd"][..],
        &["shell_v2", "cmd", "stat_v2"][..],
    ] {
        let fake = FakeDevice::spawn(FakeDeviceConfig::new("SYNC").features(features), any_port())
            .await
            .unwrap();
        let device = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
            .await
            .unwrap();
        let data = pattern(3 * DATA_MAX + 1234);
        device
            .push(&data, "/sdcard/Download/app.apk", 0o640, 1_700_000_000)
            .await
            .unwrap();
        assert_eq!(
            fake.file("/sdcard/Download/app.apk"),
            Some(FakeFile {
                data: data.clone(),
                mode: 0o640,
                mtime: 1_700_000_000
            })
        );

        let stat = device
            .stat("/sdcard/Download/app.apk")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stat.mode, stat.size, stat.mtime),
            (S_IFREG | 0o640, data.len() as u64, 1_700_000_000)
        );
        assert!(stat.is_file());
        assert!(device
            .stat("/sdcard/Download")
            .await
            .unwrap()
            .unwrap()
            .is_dir());
        assert_eq!(device.stat("/sdcard/nothing").await.unwrap(), None);

        assert_eq!(device.pull("/sdcard/Download/app.apk").await.unwrap(), data);
        device.push(b"", "/sdcard/empty", 0o644, 0).await.unwrap();
        assert_eq!(device.pull("/sdcard/empty").await.unwrap(), b"");

        assert_eq!(
            fake.opened_services()
                .iter()
                .filter(|s| *s == "sync:")
                .count(),
            7
        );
    }
}

#[tokio::test]
async fn sync_errors_name_the_path_and_long_paths_are_refused_locally() {
    let fake = FakeDevice::spawn(FakeDeviceConfig::new("SYNCERR"), any_port())
        .await
        .unwrap();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
        .await
        .unwrap();
    let err = device.pull("/sdcard/missing.txt").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("/sdcard/missing.txt") && text.contains("No such file"),
        "{text}"
    );
    let long = format!("/sdcard/{}", "a".repeat(1100));
    assert!(matches!(
        device.push(b"x", &long, 0o644, 0).await,
        Err(HostError::PathTooLong { .. })
    ));
    assert_eq!(
        fake.opened_services().len(),
        2,
        "the long path never reached the device"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debian_adb_push_and_pull_work_against_the_fake() {
    let fake = FakeDevice::spawn(
        FakeDeviceConfig::new("ADBSYNC").file("/sdcard/hello.txt", "hello from the fake\n"),
        any_port(),
    )
    .await
    .unwrap();
    let real = RealAdbServer::start().await.unwrap();
    let serial = fake.addr().to_string();
    real.client().connect(&serial).await.unwrap();
    real.wait_for_devices(1, std::time::Duration::from_secs(120))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("big.bin");
    let data = pattern(2 * DATA_MAX + 77);
    std::fs::write(&local, &data).unwrap();
    // `adb` blocks; the fake keeps serving on the other worker thread.
    let (push, pull) = tokio::task::block_in_place(|| {
        let push = real.adb(&[
            "-s",
            &serial,
            "push",
            local.to_str().unwrap(),
            "/sdcard/big.bin",
        ]);
        let pull = real.adb(&[
            "-s",
            &serial,
            "pull",
            "/sdcard/hello.txt",
            dir.path().join("hello.txt").to_str().unwrap(),
        ]);
        (push, pull)
    });
    let pulled = std::fs::read(dir.path().join("hello.txt")).ok();
    assert!(
        push.status.success(),
        "adb push: {}",
        String::from_utf8_lossy(&push.stderr)
    );
    assert_eq!(fake.file("/sdcard/big.bin").map(|f| f.data), Some(data));
    assert!(
        pull.status.success(),
        "adb pull: {}",
        String::from_utf8_lossy(&pull.stderr)
    );
    assert_eq!(pulled.as_deref(), Some(&b"hello from the fake\n"[..]));
}

#[tokio::test]
async fn an_old_device_gets_4096_byte_writes() {
    let config = FakeDeviceConfig::new("OLD").old_protocol();
    let fake = FakeDevice::spawn(config, any_port()).await.unwrap();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
        .await
        .unwrap();
    let banner = device.banner();
    assert_eq!(
        (banner.version, banner.max_payload),
        (stagebench_adb::wire::A_VERSION_MIN, 4096)
    );
    // The fake drops a host that writes more than 4096 bytes at once.
    let data = pattern(DATA_MAX + 10_000);
    device
        .push(&data, "/data/local/tmp/old.bin", 0o644, 0)
        .await
        .unwrap();
    assert_eq!(device.pull("/data/local/tmp/old.bin").await.unwrap(), data);
}
