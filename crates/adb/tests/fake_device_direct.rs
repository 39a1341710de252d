//! The fake adbd spoken to directly, as a USB/TCP host would: CNXN, AUTH with a real RSA
//! signature, then OPEN of shell services with flow control.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use stagebench_adb::shell_v2::ShellOutput;
use stagebench_adb::testing::{FakeAuth, FakeDevice, FakeDeviceConfig};
use stagebench_adb::transport::{write_message, MessageReader};
use stagebench_adb::wire::{auth_type, Command, Message, A_VERSION};
use stagebench_adb::AdbKey;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// How long a device that answers may take: an upper bound for a loaded machine, never waited
/// out by a healthy run.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// How long a device that never accepts the key is given: silence looks the same however long.
const SILENCE: Duration = Duration::from_millis(500);

/// The smallest useful host: one stream at a time.
struct MiniHost {
    reader: MessageReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    banner: String,
}

impl MiniHost {
    async fn send(&mut self, message: Message) {
        write_message(&mut self.writer, &message).await.unwrap();
    }

    async fn recv(&mut self) -> Message {
        tokio::time::timeout(ANSWER_WITHIN, self.reader.read())
            .await
            .expect("device went quiet")
            .unwrap()
    }

    /// Connect and authenticate: sign every token, offer the public key once signing failed.
    /// `None` if the device says nothing for `wait` (it never accepts).
    async fn connect(
        addr: SocketAddr,
        key: &AdbKey,
        max_payload: u32,
        wait: Duration,
    ) -> Option<Self> {
        let (read, write) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut host = Self {
            reader: MessageReader::new(read),
            writer: write,
            banner: String::new(),
        };
        host.send(Message::cnxn(
            A_VERSION,
            max_payload,
            "host::features=shell_v2",
        ))
        .await;
        let mut signed = false;
        loop {
            let reply = match tokio::time::timeout(wait, host.reader.read()).await {
                Ok(reply) => reply.unwrap(),
                Err(_) => return None,
            };
            match (reply.command, reply.arg0) {
                (Command::Cnxn, _) => {
                    host.banner = reply.payload_text();
                    return Some(host);
                }
                (Command::Auth, auth_type::TOKEN) if !signed => {
                    signed = true;
                    let token: [u8; 20] = reply.payload.as_slice().try_into().unwrap();
                    host.send(Message::auth(auth_type::SIGNATURE, key.sign_token(&token)))
                        .await;
                }
                (Command::Auth, auth_type::TOKEN) => {
                    let mut offer = key.android_public_key().into_bytes();
                    offer.push(0);
                    host.send(Message::auth(auth_type::RSAPUBLICKEY, offer))
                        .await;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// OPEN `service`, acknowledge every WRTE, return everything written until CLSE, and the
    /// largest single WRTE seen.
    async fn run(&mut self, local_id: u32, service: &str) -> (Vec<u8>, usize) {
        self.send(Message::open(local_id, service)).await;
        let ready = self.recv().await;
        assert_eq!((ready.command, ready.arg1), (Command::Okay, local_id));
        let (mut data, mut largest) = (Vec::new(), 0);
        loop {
            let message = self.recv().await;
            assert_eq!(message.arg1, local_id);
            match message.command {
                Command::Wrte => {
                    largest = largest.max(message.payload.len());
                    data.extend(&message.payload);
                    self.send(Message::okay(local_id, message.arg0)).await;
                }
                Command::Clse => return (data, largest),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

fn any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

#[tokio::test]
async fn shell_services_over_a_direct_connection() {
    let big = "0123456789".repeat(1000);
    let config = FakeDeviceConfig::new("DIRECT1")
        .model("Direct Model")
        .shell_answer("cat big", &big, 0);
    let device = FakeDevice::spawn(config, any_port()).await.unwrap();
    let key = AdbKey::generate().unwrap();
    let mut host = MiniHost::connect(device.addr(), &key, 4096, ANSWER_WITHIN)
        .await
        .unwrap();
    assert_eq!(host.banner, "device::ro.product.name=fakephone;ro.product.model=Direct Model;ro.product.device=fakephone;features=shell_v2,cmd");

    let (out, _) = host.run(1, "shell:getprop ro.serialno").await;
    assert_eq!(out, b"DIRECT1\n");
    let (out, largest) = host.run(2, "shell:cat big").await;
    assert_eq!(
        (out.len(), largest),
        (10_000, 4096),
        "split to the host's max payload"
    );

    let (framed, _) = host.run(3, "shell,v2,raw:no-such-tool").await;
    let mut output = ShellOutput::default();
    assert_eq!(output.absorb(&framed).unwrap(), framed.len());
    assert_eq!(output.exit_code, Some(127));

    device.set_property("ro.serialno", "CHANGED");
    let (out, _) = host.run(4, "shell:getprop ro.serialno").await;
    assert_eq!(out, b"CHANGED\n");
    device.shutdown();
}

#[tokio::test]
async fn auth_modes_sign_prompt_and_reject() {
    let key = AdbKey::generate().unwrap();
    let stranger = AdbKey::generate().unwrap();

    let prompt = FakeDevice::spawn(
        FakeDeviceConfig::new("P").auth(FakeAuth::AcceptAfterPrompt),
        any_port(),
    )
    .await
    .unwrap();
    assert!(MiniHost::connect(prompt.addr(), &key, 4096, ANSWER_WITHIN)
        .await
        .is_some());

    let known =
        FakeDeviceConfig::new("K").auth(FakeAuth::KnownKeysOnly(vec![key.android_public_key()]));
    let known = FakeDevice::spawn(known, any_port()).await.unwrap();
    let mut host = MiniHost::connect(known.addr(), &key, 4096, ANSWER_WITHIN)
        .await
        .unwrap();
    assert_eq!(host.run(1, "shell:echo ok").await.0, b"ok\n");
    assert!(MiniHost::connect(known.addr(), &stranger, 4096, SILENCE)
        .await
        .is_none());

    let reject = FakeDevice::spawn(
        FakeDeviceConfig::new("R").auth(FakeAuth::Reject),
        any_port(),
    )
    .await
    .unwrap();
    assert!(MiniHost::connect(reject.addr(), &key, 4096, SILENCE)
        .await
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_devices_in_one_process() {
    let key = AdbKey::generate().unwrap();
    let mut devices = Vec::new();
    for i in 0..50 {
        devices.push(
            FakeDevice::spawn(FakeDeviceConfig::new(&format!("BENCH{i:02}")), any_port())
                .await
                .unwrap(),
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for device in &devices {
        let (addr, key, serial) = (device.addr(), key.clone(), device.serial());
        tasks.spawn(async move {
            let mut host = MiniHost::connect(addr, &key, 1 << 20, ANSWER_WITHIN)
                .await
                .unwrap();
            assert_eq!(
                host.run(1, "shell:getprop ro.boot.serialno").await.0,
                format!("{serial}\n").into_bytes()
            );
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    let addr = devices[0].addr();
    drop(devices);
    // Dropping aborts the listener's task; the runtime ends it on its next turn.
    let dropped = std::time::Instant::now();
    while TcpStream::connect(addr).await.is_ok() {
        assert!(
            dropped.elapsed() < ANSWER_WITHIN,
            "a dropped device stops listening"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
