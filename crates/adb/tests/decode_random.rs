//! The properties the fuzz targets in `crates/adb/fuzz` check, run on stable in every test run:
//! a seeded random loop (100,000 buffers per codec) feeds random and mangled bytes to the
//! decoders, which must never panic and must account for the bytes they consume, and checks
//! that decoding an encoded message or packet gives it back.

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use stagebench_adb::host::sync;
use stagebench_adb::shell_v2::{self, ShellOutput, StreamId};
use stagebench_adb::wire::{self, Command, Message, HEADER_LEN};

const ITERATIONS: usize = 100_000;

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; rng.gen_range(0..=max)];
    rng.fill_bytes(&mut bytes);
    bytes
}

fn random_message(rng: &mut StdRng) -> Message {
    let max = if rng.gen_ratio(1, 2000) { 70_000 } else { 64 };
    let payload = random_bytes(rng, max);
    Message::new(
        Command::ALL[rng.gen_range(0..Command::ALL.len())],
        rng.gen(),
        rng.gen(),
        payload,
    )
}

/// A valid encoding with a few bytes changed, cut short, or with a forged length.
fn mangle(rng: &mut StdRng, mut bytes: Vec<u8>) -> Vec<u8> {
    match rng.gen_range(0..4) {
        0 => {
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] = rng.gen();
            }
        }
        1 => bytes.truncate(rng.gen_range(0..bytes.len())),
        2 if bytes.len() >= 16 => bytes[12..16].copy_from_slice(&rng.gen::<u32>().to_le_bytes()),
        _ => bytes.extend(random_bytes(rng, 32)),
    }
    bytes
}

#[test]
fn wire_decode_never_panics_and_round_trips() {
    let mut rng = StdRng::seed_from_u64(0x5747_4245);
    for i in 0..ITERATIONS {
        let message = random_message(&mut rng);
        let encoded = message.encode();
        assert_eq!(
            wire::decode(&encoded),
            Ok(Some((message.clone(), encoded.len()))),
            "iteration {i}"
        );

        let buf = if i % 2 == 0 {
            mangle(&mut rng, encoded)
        } else {
            random_bytes(&mut rng, 80)
        };
        if let Ok(Some((decoded, used))) = wire::decode(&buf) {
            assert_eq!(used, HEADER_LEN + decoded.payload.len(), "iteration {i}");
            assert!(used <= buf.len());
            assert_eq!(
                wire::decode(&decoded.encode()),
                Ok(Some((decoded.clone(), used)))
            );
        }
        if let Some(head) = buf.first_chunk::<HEADER_LEN>() {
            let _ = wire::decode_header(head);
        }
    }
}

#[test]
fn shell_v2_decode_never_panics_and_round_trips() {
    let mut rng = StdRng::seed_from_u64(0x5348_5632);
    let ids = [
        StreamId::Stdin,
        StreamId::Stdout,
        StreamId::Stderr,
        StreamId::Exit,
        StreamId::CloseStdin,
        StreamId::WindowSize,
    ];
    for i in 0..ITERATIONS {
        let id = ids[rng.gen_range(0..ids.len())];
        let data = random_bytes(&mut rng, 48);
        let encoded = shell_v2::encode(id, &data);
        let (packet, used) = shell_v2::decode(&encoded).unwrap().unwrap();
        assert_eq!(
            (packet.id, packet.data.as_slice(), used),
            (id, data.as_slice(), encoded.len()),
            "iteration {i}"
        );

        let buf = if i % 2 == 0 {
            mangle(&mut rng, encoded)
        } else {
            random_bytes(&mut rng, 40)
        };
        if let Ok(Some((packet, used))) = shell_v2::decode(&buf) {
            assert_eq!(used, shell_v2::PACKET_HEADER_LEN + packet.data.len());
        }
        let mut output = ShellOutput::default();
        if let Ok(used) = output.absorb(&buf) {
            assert!(used <= buf.len());
        }
    }
}

#[test]
fn sync_codec_and_the_fake_sync_service_survive_garbage() {
    let mut rng = StdRng::seed_from_u64(0x5359_4e43);
    let ids = [
        sync::id::STAT,
        sync::id::STA2,
        sync::id::SEND,
        sync::id::RECV,
        sync::id::DATA,
        sync::id::DONE,
        sync::id::QUIT,
    ];
    for _ in 0..ITERATIONS / 10 {
        let buf = random_bytes(&mut rng, 80);
        let _ = sync::decode_header(&buf);
        if let Some(b) = buf.first_chunk::<{ sync::STAT_V1_LEN }>() {
            let _ = sync::decode_stat_v1(b);
        }
        if let Some(b) = buf.first_chunk::<{ sync::STAT_V2_LEN }>() {
            let _ = sync::decode_stat_v2(b);
        }
        // Plausible requests with random paths and lengths, then noise.
        let mut stream = Vec::new();
        for _ in 0..rng.gen_range(1..5) {
            let path = random_bytes(&mut rng, 12);
            stream.extend(sync::request(ids[rng.gen_range(0..ids.len())], &path));
        }
        stream.extend(random_bytes(&mut rng, 16));
        let _ = stagebench_adb::testing::sync_reply_to(&stream);
    }
}
