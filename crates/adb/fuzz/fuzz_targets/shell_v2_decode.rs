//! Shell protocol v2 decoding: never panics on any bytes, accounts for what it consumes, and
//! gives back any packet it encoded.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use stagebench_adb::shell_v2::{self, ShellOutput, StreamId, PACKET_HEADER_LEN};

#[derive(Debug, Arbitrary)]
enum Input {
    /// Arbitrary bytes inside a `shell,v2` stream.
    Bytes(Vec<u8>),
    /// An arbitrary packet to encode and decode again.
    Packet { id: u8, data: Vec<u8> },
}

fuzz_target!(|input: Input| match input {
    Input::Bytes(bytes) => {
        if let Ok(Some((packet, used))) = shell_v2::decode(&bytes) {
            assert_eq!(used, PACKET_HEADER_LEN + packet.data.len());
            assert!(used <= bytes.len());
        }
        let mut output = ShellOutput::default();
        if let Ok(used) = output.absorb(&bytes) {
            assert!(used <= bytes.len());
        }
    }
    Input::Packet { id, data } => {
        let Some(id) = StreamId::from_u8(id % 6) else {
            return;
        };
        let encoded = shell_v2::encode(id, &data);
        let (packet, used) = shell_v2::decode(&encoded).unwrap().unwrap();
        assert_eq!((packet.id, packet.data, used), (id, data, encoded.len()));
    }
});
