//! ADB message decoding: never panics on any bytes, accounts for what it consumes, and gives
//! back any message it encoded.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use stagebench_adb::wire::{self, Command, Message, HEADER_LEN, MAX_PAYLOAD};

#[derive(Debug, Arbitrary)]
enum Input {
    /// Arbitrary bytes from a peer.
    Bytes(Vec<u8>),
    /// An arbitrary message to encode and decode again.
    Message {
        command: u8,
        arg0: u32,
        arg1: u32,
        payload: Vec<u8>,
    },
}

fuzz_target!(|input: Input| match input {
    Input::Bytes(bytes) => {
        if let Some(head) = bytes.first_chunk::<HEADER_LEN>() {
            let _ = wire::decode_header(head);
        }
        if let Ok(Some((message, used))) = wire::decode(&bytes) {
            assert!(used <= bytes.len());
            assert_eq!(used, HEADER_LEN + message.payload.len());
            assert_eq!(
                wire::decode(&message.encode()),
                Ok(Some((message.clone(), used)))
            );
        }
    }
    Input::Message {
        command,
        arg0,
        arg1,
        mut payload,
    } => {
        payload.truncate(MAX_PAYLOAD);
        let message = Message::new(
            Command::ALL[usize::from(command) % Command::ALL.len()],
            arg0,
            arg1,
            payload,
        );
        let encoded = message.encode();
        assert_eq!(wire::decode(&encoded), Ok(Some((message, encoded.len()))));
    }
});
