//! The fake device's sync service (`sync:`) over an in-memory filesystem, without I/O: feed it
//! the bytes of the host's WRTEs, send back what it returns. Framing is [`crate::host::sync`];
//! behaviour follows adbd's `file_sync_service.cpp` (any failure sends `FAIL` and ends the
//! service; `SEND` keeps the permission bits; `RECV` of a missing file fails "open failed").

use std::collections::BTreeMap;

use crate::host::sync::{
    decode_header, encode_stat_v1, encode_stat_v2, header, id, FileStat, DATA_MAX, ENOENT,
    HEADER_LEN, PATH_MAX, S_IFDIR, S_IFREG,
};

/// A file on the fake device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeFile {
    /// Contents.
    pub data: Vec<u8>,
    /// Permission bits (the file type is always regular).
    pub mode: u32,
    /// Modification time, seconds since 1970.
    pub mtime: u32,
}

/// The fake's files, by absolute path.
pub(crate) type Files = BTreeMap<String, FakeFile>;

fn stat_of(files: &Files, path: &str) -> Option<FileStat> {
    if let Some(file) = files.get(path) {
        return Some(FileStat {
            mode: S_IFREG | file.mode,
            size: file.data.len() as u64,
            mtime: i64::from(file.mtime),
        });
    }
    // A folder exists when it is one every device has, or it holds a file.
    let trimmed = path.trim_end_matches('/');
    let folder = format!("{trimmed}/");
    let standard = ["", "/sdcard", "/data", "/data/local", "/data/local/tmp"].contains(&trimmed);
    (standard || files.keys().any(|k| k.starts_with(&folder))).then_some(FileStat {
        mode: S_IFDIR | 0o771,
        size: 0,
        mtime: 0,
    })
}

#[derive(Debug)]
enum State {
    /// Waiting for a request.
    Idle,
    /// Receiving the DATA/DONE of a SEND.
    Sending {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
    /// QUIT, or a failure: the stream closes once the output is sent.
    Ended,
}

/// One `sync:` stream's state.
#[derive(Debug)]
pub(crate) struct SyncService {
    input: Vec<u8>,
    state: State,
}

/// What the host's bytes produced.
pub(crate) struct SyncOutput {
    /// Bytes to write back.
    pub(crate) reply: Vec<u8>,
    /// The service has ended: close the stream after the reply.
    pub(crate) ended: bool,
}

fn fail(out: &mut Vec<u8>, reason: &str) {
    out.extend(header(id::FAIL, reason.len() as u32));
    out.extend_from_slice(reason.as_bytes());
}

impl SyncService {
    pub(crate) fn new() -> Self {
        Self {
            input: Vec::new(),
            state: State::Idle,
        }
    }

    /// Take bytes the host wrote; answer every complete request.
    pub(crate) fn absorb(&mut self, bytes: &[u8], files: &mut Files) -> SyncOutput {
        self.input.extend_from_slice(bytes);
        let mut reply = Vec::new();
        while let Some((request, length)) = decode_header(&self.input) {
            if matches!(self.state, State::Ended) {
                break;
            }
            let length = length as usize;
            let body_len = if request == id::DONE || request == id::QUIT {
                0
            } else {
                length
            };
            let needed = match (&self.state, request) {
                (State::Idle, _) if length > PATH_MAX => {
                    fail(&mut reply, "path too long");
                    self.state = State::Ended;
                    break;
                }
                (State::Sending { .. }, id::DATA) if length > DATA_MAX => {
                    fail(&mut reply, "oversize data message");
                    self.state = State::Ended;
                    break;
                }
                _ => HEADER_LEN + body_len,
            };
            if self.input.len() < needed {
                break;
            }
            let body: Vec<u8> = self.input.drain(..needed).skip(HEADER_LEN).collect();
            self.step(request, length as u32, &body, files, &mut reply);
        }
        SyncOutput {
            reply,
            ended: matches!(self.state, State::Ended),
        }
    }

    fn step(
        &mut self,
        request: [u8; 4],
        value: u32,
        body: &[u8],
        files: &mut Files,
        out: &mut Vec<u8>,
    ) {
        let state = std::mem::replace(&mut self.state, State::Idle);
        self.state = match state {
            State::Idle => {
                let path = String::from_utf8_lossy(body).into_owned();
                self.request(request, path, files, out)
            }
            State::Sending {
                path,
                mode,
                mut data,
            } => match request {
                id::DATA => {
                    data.extend_from_slice(body);
                    State::Sending { path, mode, data }
                }
                id::DONE => {
                    files.insert(
                        path,
                        FakeFile {
                            data,
                            mode,
                            mtime: value,
                        },
                    );
                    out.extend(header(id::OKAY, 0));
                    State::Idle
                }
                _ => {
                    fail(out, "invalid data message");
                    State::Ended
                }
            },
            State::Ended => State::Ended,
        };
    }

    fn request(
        &mut self,
        request: [u8; 4],
        path: String,
        files: &Files,
        out: &mut Vec<u8>,
    ) -> State {
        match request {
            id::STAT => out.extend(encode_stat_v1(stat_of(files, &path).as_ref())),
            id::STA2 | id::LST2 => {
                let stat = stat_of(files, &path);
                out.extend(encode_stat_v2(request, stat.as_ref().ok_or(ENOENT)));
            }
            id::RECV => match files.get(&path) {
                Some(file) => {
                    for chunk in file.data.chunks(DATA_MAX) {
                        out.extend(header(id::DATA, chunk.len() as u32));
                        out.extend_from_slice(chunk);
                    }
                    out.extend(header(id::DONE, 0));
                }
                None => {
                    fail(out, "open failed: No such file or directory");
                    return State::Ended;
                }
            },
            id::SEND => {
                let Some((path, mode)) = path.rsplit_once(',') else {
                    fail(out, "missing , in ID_SEND_V1");
                    return State::Ended;
                };
                let Ok(mode) = mode.parse::<u32>() else {
                    fail(out, "bad mode");
                    return State::Ended;
                };
                return State::Sending {
                    path: path.to_owned(),
                    mode: mode & 0o777,
                    data: Vec::new(),
                };
            }
            id::QUIT => return State::Ended,
            other => {
                let word = u32::from_le_bytes(other);
                fail(out, &format!("unknown command {word:08x}"));
                return State::Ended;
            }
        }
        State::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::sync::{decode_stat_v1, request, STAT_V1_LEN};

    #[test]
    fn send_then_recv_and_stat_split_anywhere() {
        let mut files = Files::new();
        let mut service = SyncService::new();
        let mut bytes = request(id::SEND, b"/sdcard/a.txt,33188");
        bytes.extend(header(id::DATA, 5));
        bytes.extend_from_slice(b"hello");
        bytes.extend(header(id::DONE, 1234));
        bytes.extend(request(id::STAT, b"/sdcard"));
        let mut reply = Vec::new();
        for byte in &bytes {
            reply.extend(service.absorb(&[*byte], &mut files).reply);
        }
        assert_eq!(
            files["/sdcard/a.txt"],
            FakeFile {
                data: b"hello".to_vec(),
                mode: 0o644,
                mtime: 1234
            }
        );
        assert_eq!(&reply[..8], b"OKAY\0\0\0\0");
        let dir = decode_stat_v1(reply[8..8 + STAT_V1_LEN].try_into().unwrap()).unwrap();
        assert!(dir.is_dir());

        let out = service.absorb(&request(id::RECV, b"/sdcard/a.txt"), &mut files);
        assert_eq!(out.reply, b"DATA\x05\0\0\0helloDONE\0\0\0\0");
        let out = service.absorb(&request(id::RECV, b"/nope"), &mut files);
        assert!(out.ended && out.reply.starts_with(b"FAIL"));
    }

    #[test]
    fn bad_requests_fail_and_end_the_service() {
        let mut files = Files::new();
        let long = vec![b'a'; PATH_MAX + 1];
        for bytes in [
            request(*b"XXXX", b"/x"),
            request(id::SEND, b"/no-mode"),
            request(id::STAT, &long),
        ] {
            let out = SyncService::new().absorb(&bytes, &mut files);
            assert!(out.ended && out.reply.starts_with(b"FAIL"), "{bytes:?}");
        }
        assert!(
            SyncService::new()
                .absorb(&header(id::QUIT, 0), &mut files)
                .ended
        );
    }
}
