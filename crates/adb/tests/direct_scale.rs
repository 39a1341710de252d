//! Fifty fake devices read at once through the direct client, as on a full bench: each gives
//! its own facts, and the whole bench is read (a request that waited out a timeout would be an
//! error). How fast is a benchmark's question: `stagebench benchmark devices` measures all
//! facts of 50 devices, connecting cold, against its 3 s target.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use stagebench_adb::host::{AdbDevice, ConnectOptions};
use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig};
use stagebench_adb::AdbKey;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_devices_in_parallel_each_give_their_own_facts() {
    let key = Arc::new(AdbKey::generate().unwrap());
    let mut fakes = Vec::new();
    for i in 0..50 {
        let config = FakeDeviceConfig::new(&format!("BENCH{i:03}"))
            .model(&format!("Model {i}"))
            .auth(FakeAuth::KnownKeysOnly(vec![key.android_public_key()]));
        fakes.push(
            FakeDevice::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .await
                .unwrap(),
        );
    }
    let permits = Arc::new(Semaphore::new(16));
    let mut reads = JoinSet::new();
    for (i, fake) in fakes.iter().enumerate() {
        let (addr, key, permits) = (fake.addr(), key.clone(), permits.clone());
        reads.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let device = AdbDevice::connect_tcp(addr, &key, ConnectOptions::default())
                .await
                .unwrap();
            (i, device.read_facts().await.unwrap())
        });
    }
    let mut seen = vec![false; fakes.len()];
    while let Some(done) = support::within("the next of 50 devices read", reads.join_next()).await {
        let (i, facts) = done.unwrap();
        assert_eq!(facts.transport_serial, format!("BENCH{i:03}"));
        assert_eq!(facts.model, Some(format!("Model {i}")));
        seen[i] = true;
    }
    assert!(seen.iter().all(|s| *s));
    for fake in &fakes {
        assert_eq!(fake.opened_services(), ["shell,v2,raw:getprop"]);
    }
}
