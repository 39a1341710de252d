//! The direct client's handshake against the fake adbd over TCP: a known key, the "Allow USB
//! debugging?" prompt accepted, and a device that never accepts.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use stagebench_adb::host::{
    AdbDevice, ConnectOptions, ConnectProgress, HostError, TcpTransport, HOST_FEATURES,
};
use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig};
use stagebench_adb::wire::{A_VERSION, MAX_PAYLOAD};
use stagebench_adb::AdbKey;

fn key() -> &'static AdbKey {
    static KEY: OnceLock<AdbKey> = OnceLock::new();
    KEY.get_or_init(|| AdbKey::generate().unwrap())
}

fn any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Options that record every progress step.
fn recording() -> (ConnectOptions, Arc<Mutex<Vec<ConnectProgress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options =
        ConnectOptions::default().on_progress(move |step| sink.lock().unwrap().push(step.clone()));
    (options, seen)
}

#[tokio::test]
async fn a_known_key_is_accepted_with_its_signature_alone() {
    let config = FakeDeviceConfig::new("KNOWN1")
        .model("TC58")
        .features(&["shell_v2", "cmd", "stat_v2"])
        .auth(FakeAuth::KnownKeysOnly(vec![key().android_public_key()]));
    let fake = FakeDevice::spawn(config, any_port()).await.unwrap();
    let (options, seen) = recording();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), options)
        .await
        .unwrap();

    let banner = device.banner();
    assert_eq!(
        (banner.system_type.as_str(), banner.model.as_deref()),
        ("device", Some("TC58"))
    );
    assert_eq!(banner.features, ["shell_v2", "cmd", "stat_v2"]);
    assert_eq!(
        (banner.version, banner.max_payload),
        (A_VERSION, MAX_PAYLOAD)
    );
    assert_eq!(device.describe(), format!("tcp {}", fake.addr()));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ConnectProgress::Connecting,
            ConnectProgress::Authenticating,
            ConnectProgress::Connected
        ]
    );
    assert_eq!(HOST_FEATURES, ["shell_v2", "cmd", "stat_v2"]);
}

#[tokio::test]
async fn an_unknown_key_is_offered_and_the_user_accepts_it_once() {
    let config = FakeDeviceConfig::new("PROMPT1").auth(FakeAuth::AcceptAfterPrompt);
    let fake = FakeDevice::spawn(config, any_port()).await.unwrap();
    let (options, seen) = recording();
    let device = AdbDevice::connect_tcp(fake.addr(), key(), options)
        .await
        .unwrap();
    let steps = seen.lock().unwrap().clone();
    assert_eq!(steps.len(), 4, "{steps:?}");
    let ConnectProgress::WaitingForUser { fingerprint } = &steps[2] else {
        panic!("no prompt step: {steps:?}");
    };
    assert_eq!(fingerprint, &key().fingerprint());
    assert_eq!(
        steps[2].to_string(),
        "waiting for 'Allow USB debugging' on the device"
    );
    assert_eq!(device.shell("echo hi").await.unwrap().stdout, b"hi\n");
    drop(device);

    // The device remembers the key: the next connection needs no prompt.
    let (options, seen) = recording();
    AdbDevice::connect_tcp(fake.addr(), key(), options)
        .await
        .unwrap();
    assert!(!seen
        .lock()
        .unwrap()
        .iter()
        .any(|s| matches!(s, ConnectProgress::WaitingForUser { .. })));
}

#[tokio::test]
async fn a_device_that_never_accepts_is_unauthorized_after_the_prompt_timeout() {
    for auth in [
        FakeAuth::Reject,
        FakeAuth::KnownKeysOnly(vec![AdbKey::generate().unwrap().android_public_key()]),
    ] {
        let fake = FakeDevice::spawn(FakeDeviceConfig::new("NOPE1").auth(auth), any_port())
            .await
            .unwrap();
        let configured = Duration::from_millis(300);
        let default = ConnectOptions::default().auth_prompt_timeout;
        let options = ConnectOptions::default().auth_prompt_timeout(configured);
        let started = Instant::now();
        let err = AdbDevice::connect_tcp(fake.addr(), key(), options)
            .await
            .unwrap_err();
        // The configured prompt timeout ended the wait for the user: at least that long, and
        // far from the default (a minute) it replaced.
        let took = started.elapsed();
        assert!(
            took >= configured && took < default,
            "took {took:?}: not the configured {configured:?} (default {default:?})"
        );
        let HostError::Unauthorized {
            fingerprint,
            waited,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (fingerprint.as_str(), *waited),
            (key().fingerprint().as_str(), Duration::from_millis(300))
        );
        let text = err.to_string();
        assert!(
            text.contains("Allow USB debugging") && text.contains(&fake.addr().to_string()),
            "{text}"
        );
    }
}

#[tokio::test]
async fn no_authentication_and_unreachable_devices() {
    let fake = FakeDevice::spawn(FakeDeviceConfig::new("OPEN1"), any_port())
        .await
        .unwrap();
    let transport = TcpTransport::connect(fake.addr(), Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(transport.peer(), fake.addr());
    let device = AdbDevice::connect(transport, key(), ConnectOptions::default())
        .await
        .unwrap();
    assert_eq!(
        device.read_facts().await.unwrap().ro_serialno.as_deref(),
        Some("OPEN1")
    );

    let addr = fake.addr();
    fake.shutdown();
    let err = AdbDevice::connect_tcp(addr, key(), ConnectOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("check the address"), "{err}");
}

#[tokio::test]
async fn a_silent_device_times_out_during_the_handshake() {
    // It would answer after any wait this test allows.
    let config = FakeDeviceConfig::new("SLOW1").reply_delay(Duration::from_secs(240));
    let fake = FakeDevice::spawn(config, any_port()).await.unwrap();
    let configured = Duration::from_millis(200);
    let default = ConnectOptions::default().io_timeout;
    let options = ConnectOptions::default().io_timeout(configured);
    let started = Instant::now();
    let err = AdbDevice::connect_tcp(fake.addr(), key(), options)
        .await
        .unwrap_err();
    // The io timeout bounds the handshake (not the minute-long prompt timeout): the error
    // names the handshake and the configured timeout, and the wait was far from the default.
    assert!(
        matches!(&err, HostError::Timeout { service, waited, .. }
            if service == "connect (CNXN/AUTH)" && *waited == configured),
        "{err:?}"
    );
    let took = started.elapsed();
    assert!(
        took >= configured && took < default,
        "took {took:?}: not the configured {configured:?} (default {default:?})"
    );
}
