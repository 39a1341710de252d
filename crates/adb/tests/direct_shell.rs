//! Shell, properties and facts through the direct client against the fake adbd over TCP.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use stagebench_adb::host::{AdbDevice, ConnectOptions, HostError};
use stagebench_adb::testing::{FakeDevice, FakeDeviceConfig};
use stagebench_adb::AdbKey;

fn key() -> &'static AdbKey {
    static KEY: OnceLock<AdbKey> = OnceLock::new();
    KEY.get_or_init(|| AdbKey::generate().unwrap())
}

async fn start(config: FakeDeviceConfig) -> (FakeDevice, AdbDevice) {
    let fake = FakeDevice::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), ConnectOptions::default())
        .await
        .unwrap();
    (fake, device)
}

#[tokio::test]
async fn shell_v2_keeps_stdout_stderr_and_the_exit_code() {
    let (fake, device) = start(FakeDeviceConfig::new("V2").shell_answer("false", "", 1)).await;
    let ok = device.shell("echo 'hello'  world").await.unwrap();
    assert_eq!(
        (ok.stdout.as_slice(), ok.stderr.as_slice(), ok.exit_code),
        (&b"hello world\n"[..], &b""[..], Some(0))
    );
    assert_eq!(device.shell("false").await.unwrap().exit_code, Some(1));
    let missing = device.shell("dumpsys foo").await.unwrap();
    assert_eq!(missing.exit_code, Some(127));
    assert_eq!(
        missing.stderr,
        b"/system/bin/sh: dumpsys: inaccessible or not found\n"
    );
    assert!(fake
        .opened_services()
        .iter()
        .all(|s| s.starts_with("shell,v2,raw:")));
}

#[tokio::test]
async fn without_shell_v2_the_raw_shell_merges_output_and_has_no_exit_code() {
    let (fake, device) = start(FakeDeviceConfig::new("V1").features(&[])).await;
    assert!(!device.banner().has_feature("shell_v2"));
    let out = device.shell("dumpsys foo").await.unwrap();
    assert_eq!(
        out.stdout,
        b"/system/bin/sh: dumpsys: inaccessible or not found\n"
    );
    assert_eq!((out.stderr.len(), out.exit_code), (0, None));
    assert_eq!(fake.opened_services(), ["shell:dumpsys foo"]);
}

#[tokio::test]
async fn properties_and_facts_take_one_getprop_each() {
    let config = FakeDeviceConfig::new("R58M123")
        .manufacturer("samsung")
        .model("SM-G991B")
        .android("14", 34);
    let (fake, device) = start(config).await;
    let properties = device.properties().await.unwrap();
    assert_eq!(properties["ro.product.model"], "SM-G991B");
    assert_eq!(
        fake.opened_services(),
        ["shell,v2,raw:getprop"],
        "one round trip"
    );

    let facts = device.read_facts().await.unwrap();
    assert_eq!(
        facts.transport_serial, "R58M123",
        "ro.serialno stands in for a server serial"
    );
    assert_eq!(
        (facts.manufacturer.as_deref(), facts.sdk),
        (Some("samsung"), Some(34))
    );
    assert_eq!(facts.properties, properties);
    assert_eq!(fake.opened_services().len(), 2);
}

#[tokio::test]
async fn large_outputs_arrive_whole_and_streams_run_in_parallel() {
    let big = "0123456789abcdef".repeat(256 * 1024); // 4 MiB: several 1 MiB WRTEs
    let config = (0..20).fold(
        FakeDeviceConfig::new("PAR").shell_answer("cat big", &big, 0),
        |c, i| c.shell_answer(&format!("job {i}"), &format!("done {i}\n"), i),
    );
    let (_fake, device) = start(config).await;
    let mut jobs = tokio::task::JoinSet::new();
    for i in 0..20u8 {
        let device = device.clone();
        jobs.spawn(async move { (i, device.shell(&format!("job {i}")).await.unwrap()) });
    }
    let big_read = device.shell("cat big");
    let (big_out, _) = tokio::join!(big_read, async {
        while let Some(done) = jobs.join_next().await {
            let (i, out) = done.unwrap();
            assert_eq!(
                (out.stdout, out.exit_code),
                (format!("done {i}\n").into_bytes(), Some(i))
            );
        }
    });
    assert_eq!(big_out.unwrap().stdout.len(), big.len());
}

#[tokio::test]
async fn services_the_device_refuses_or_closes_leave_the_connection_usable() {
    let (fake, device) = start(FakeDeviceConfig::new("REF")).await;
    let refused = device
        .read_service("reverse:list-forward")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, HostError::ServiceRefused { service, .. } if service == "reverse:list-forward"),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("does not offer it"),
        "{refused}"
    );
    assert_eq!(
        device.read_service("exec:echo raw").await.unwrap(),
        b"raw\n"
    );
    // The sync service fails a missing file and closes its stream.
    let failed = device.pull("/missing").await.unwrap_err();
    assert!(matches!(failed, HostError::SyncFailed { .. }), "{failed:?}");
    assert_eq!(
        device.shell("echo still here").await.unwrap().stdout,
        b"still here\n"
    );
    assert_eq!(fake.opened_services().len(), 4);
}
