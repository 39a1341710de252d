//! The sync service (`sync:`): stat, pull and push, and its framing without I/O.
//!
//! Inside a `sync:` stream every request is a 4-byte id, a little-endian u32 and that many bytes
//! of path (at most 1024, not NUL-terminated). Answers: `STAT` → 16 bytes (id, mode, size,
//! mtime; mode 0 when the file is missing); `STA2`/`LST2` → 72 bytes (id, errno, dev, ino, mode,
//! nlink, uid, gid, size, atime, mtime, ctime); `RECV` → `DATA`+length+bytes chunks (≤ 64 KiB)
//! then `DONE`; `SEND "path,mode"` is followed by the host's `DATA` chunks and `DONE`+mtime,
//! answered with `OKAY` or `FAIL`+length+message; `QUIT` ends the service. Sources: AOSP adb
//! `file_sync_protocol.h`, `SYNC.TXT`, `daemon/file_sync_service.cpp`.

use super::connection::Stream;
use super::HostError;

/// The 4-byte request and response ids (`MKID`: the letters in wire order).
pub mod id {
    /// lstat, v1 answer.
    pub const STAT: [u8; 4] = *b"STAT";
    /// stat, v2 answer (feature `stat_v2`).
    pub const STA2: [u8; 4] = *b"STA2";
    /// lstat, v2 answer (feature `stat_v2`).
    pub const LST2: [u8; 4] = *b"LST2";
    /// Send a file: `"path,mode"`.
    pub const SEND: [u8; 4] = *b"SEND";
    /// Receive a file.
    pub const RECV: [u8; 4] = *b"RECV";
    /// A chunk of file data.
    pub const DATA: [u8; 4] = *b"DATA";
    /// End of file data (from the host, the u32 is the mtime).
    pub const DONE: [u8; 4] = *b"DONE";
    /// The file was written.
    pub const OKAY: [u8; 4] = *b"OKAY";
    /// The request failed; a message of the u32's length follows.
    pub const FAIL: [u8; 4] = *b"FAIL";
    /// End the sync service.
    pub const QUIT: [u8; 4] = *b"QUIT";
}

/// Largest `DATA` chunk either side may send (`SYNC_DATA_MAX`).
pub const DATA_MAX: usize = 64 * 1024;
/// Longest path a request may carry.
pub const PATH_MAX: usize = 1024;
/// Bytes in a request or response header: id and u32.
pub const HEADER_LEN: usize = 8;
/// Bytes in a `STAT` answer.
pub const STAT_V1_LEN: usize = 16;
/// Bytes in a `STA2`/`LST2` answer.
pub const STAT_V2_LEN: usize = 72;
/// `S_IFMT`: the file-type bits of a mode.
pub const S_IFMT: u32 = 0o170_000;
/// `S_IFREG`: a regular file.
pub const S_IFREG: u32 = 0o100_000;
/// `S_IFDIR`: a folder.
pub const S_IFDIR: u32 = 0o040_000;
/// Linux `ENOENT`, as `STA2` reports a missing file.
pub const ENOENT: u32 = 2;

/// What `stat` says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// File type and permission bits (`st_mode`).
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since 1970.
    pub mtime: i64,
}

impl FileStat {
    /// A regular file.
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// A folder.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// An 8-byte header: id and little-endian u32.
pub fn header(id: [u8; 4], value: u32) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..4].copy_from_slice(&id);
    out[4..].copy_from_slice(&value.to_le_bytes());
    out
}

/// A request: header with the path's length, then the path.
pub fn request(id: [u8; 4], path: &[u8]) -> Vec<u8> {
    let mut out = header(id, u32::try_from(path.len()).unwrap_or(u32::MAX)).to_vec();
    out.extend_from_slice(path);
    out
}

/// The header at the front of `buf`, if 8 bytes are there.
pub fn decode_header(buf: &[u8]) -> Option<([u8; 4], u32)> {
    let head = buf.first_chunk::<HEADER_LEN>()?;
    let id = [head[0], head[1], head[2], head[3]];
    Some((id, u32::from_le_bytes([head[4], head[5], head[6], head[7]])))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

/// The `STAT` answer for `stat` (`None`: missing, all zero after the id, as adbd sends).
pub fn encode_stat_v1(stat: Option<&FileStat>) -> [u8; STAT_V1_LEN] {
    let mut out = [0u8; STAT_V1_LEN];
    out[..4].copy_from_slice(&id::STAT);
    if let Some(stat) = stat {
        out[4..8].copy_from_slice(&stat.mode.to_le_bytes());
        out[8..12].copy_from_slice(&(stat.size as u32).to_le_bytes());
        out[12..16].copy_from_slice(&(stat.mtime as u32).to_le_bytes());
    }
    out
}

/// Read a `STAT` answer: `None` when the mode is 0 (no such file).
pub fn decode_stat_v1(b: &[u8; STAT_V1_LEN]) -> Option<FileStat> {
    let mode = u32_at(b, 4);
    (mode != 0).then(|| FileStat {
        mode,
        size: u64::from(u32_at(b, 8)),
        mtime: i64::from(u32_at(b, 12)),
    })
}

/// The `STA2`/`LST2` answer (`answer_id`) for `stat`, or for an errno.
pub fn encode_stat_v2(answer_id: [u8; 4], stat: Result<&FileStat, u32>) -> [u8; STAT_V2_LEN] {
    let mut out = [0u8; STAT_V2_LEN];
    out[..4].copy_from_slice(&answer_id);
    match stat {
        Err(errno) => out[4..8].copy_from_slice(&errno.to_le_bytes()),
        Ok(stat) => {
            // error 4, dev 8, ino 16, mode 24, nlink 28, uid 32, gid 36, size 40, atime 48,
            // mtime 56, ctime 64.
            out[24..28].copy_from_slice(&stat.mode.to_le_bytes());
            out[28..32].copy_from_slice(&1u32.to_le_bytes());
            out[40..48].copy_from_slice(&stat.size.to_le_bytes());
            for at in [48, 56, 64] {
                out[at..at + 8].copy_from_slice(&stat.mtime.to_le_bytes());
            }
        }
    }
    out
}

/// Read a `STA2`/`LST2` answer: the stat, or the device's errno.
pub fn decode_stat_v2(b: &[u8; STAT_V2_LEN]) -> Result<FileStat, u32> {
    match u32_at(b, 4) {
        0 => Ok(FileStat {
            mode: u32_at(b, 24),
            size: u64_at(b, 40),
            mtime: u64_at(b, 56) as i64,
        }),
        errno => Err(errno),
    }
}

/// One `sync:` stream, for one or more operations; [`SyncSession::quit`] ends it.
pub(super) struct SyncSession {
    stream: Stream,
}

impl SyncSession {
    pub(super) fn new(stream: Stream) -> Self {
        Self { stream }
    }

    fn fail(&self, operation: &'static str, path: &str, message: String) -> HostError {
        HostError::SyncFailed {
            device: self.stream.link().device().to_owned(),
            operation,
            path: path.to_owned(),
            message,
        }
    }

    fn unexpected(&self, what: [u8; 4], during: &str) -> HostError {
        let detail = format!(
            "sync answer {:?} during {during}",
            String::from_utf8_lossy(&what)
        );
        self.stream.link().protocol(self.stream.service(), detail)
    }

    async fn send_request(&mut self, request_id: [u8; 4], path: &str) -> Result<(), HostError> {
        check_path(path)?;
        self.stream
            .write(&request(request_id, path.as_bytes()))
            .await
    }

    /// Read a FAIL's message (its length already read; adbd's are one line, so one announced
    /// longer than a `DATA` chunk is the stream out of step, not a message to collect).
    async fn fail_message(&mut self, length: u32) -> Result<String, HostError> {
        if length as usize > DATA_MAX {
            let detail = format!("a FAIL message of {length} bytes, more than {DATA_MAX}");
            return Err(self.stream.link().protocol(self.stream.service(), detail));
        }
        let bytes = self.stream.read_exact(length as usize).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn read_header(&mut self) -> Result<([u8; 4], u32), HostError> {
        let bytes = self.stream.read_exact(HEADER_LEN).await?;
        Ok(decode_header(&bytes).unwrap_or_default())
    }

    pub(super) async fn stat(
        &mut self,
        path: &str,
        v2: bool,
    ) -> Result<Option<FileStat>, HostError> {
        let request_id = if v2 { id::STA2 } else { id::STAT };
        self.send_request(request_id, path).await?;
        let (answer, value) = self.read_header().await?;
        if answer == id::FAIL {
            let message = self.fail_message(value).await?;
            return Err(self.fail("stat", path, message));
        }
        if answer != request_id {
            return Err(self.unexpected(answer, "stat"));
        }
        let length = if v2 { STAT_V2_LEN } else { STAT_V1_LEN };
        let mut full = header(answer, value).to_vec();
        full.extend(self.stream.read_exact(length - HEADER_LEN).await?);
        if !v2 {
            let b: &[u8; STAT_V1_LEN] = full.as_slice().try_into().unwrap_or(&[0; STAT_V1_LEN]);
            return Ok(decode_stat_v1(b));
        }
        let b: &[u8; STAT_V2_LEN] = full.as_slice().try_into().unwrap_or(&[0; STAT_V2_LEN]);
        match decode_stat_v2(b) {
            Ok(stat) => Ok(Some(stat)),
            Err(ENOENT) => Ok(None),
            Err(errno) => Err(self.fail("stat", path, format!("errno {errno}"))),
        }
    }

    pub(super) async fn pull(
        &mut self,
        path: &str,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, HostError> {
        self.send_request(id::RECV, path).await?;
        let mut total = 0u64;
        loop {
            let (answer, length) = self.read_header().await?;
            match answer {
                id::DATA if length as usize <= DATA_MAX => {
                    let data = self.stream.read_exact(length as usize).await?;
                    out.write_all(&data).map_err(|e| {
                        self.fail("pull", path, format!("could not write the local copy: {e}"))
                    })?;
                    total += u64::from(length);
                }
                id::DONE => return Ok(total),
                id::FAIL => {
                    let message = self.fail_message(length).await?;
                    return Err(self.fail("pull", path, message));
                }
                other => return Err(self.unexpected(other, "pull")),
            }
        }
    }

    pub(super) async fn push(
        &mut self,
        data: &[u8],
        path: &str,
        mode: u32,
        mtime: u32,
    ) -> Result<(), HostError> {
        let mode = if mode & S_IFMT == 0 {
            mode | S_IFREG
        } else {
            mode
        };
        let spec = format!("{path},{mode}");
        check_path(&spec)?;
        let mut bytes = request(id::SEND, spec.as_bytes());
        for chunk in data.chunks(DATA_MAX) {
            bytes.extend(header(id::DATA, chunk.len() as u32));
            bytes.extend_from_slice(chunk);
        }
        bytes.extend(header(id::DONE, mtime));
        self.stream.write(&bytes).await?;
        match self.read_header().await? {
            (id::OKAY, _) => Ok(()),
            (id::FAIL, length) => {
                let message = self.fail_message(length).await?;
                Err(self.fail("push", path, message))
            }
            (other, _) => Err(self.unexpected(other, "push")),
        }
    }

    /// Tell the device we are done; the stream closes when this is dropped.
    pub(super) async fn quit(mut self) {
        let _ = self.stream.write(&header(id::QUIT, 0)).await;
    }
}

fn check_path(path: &str) -> Result<(), HostError> {
    if path.len() > PATH_MAX {
        return Err(HostError::PathTooLong {
            path: path.to_owned(),
            length: path.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_requests_are_id_then_little_endian_length() {
        assert_eq!(request(id::STAT, b"/sdcard"), b"STAT\x07\0\0\0/sdcard");
        assert_eq!(header(id::DONE, 0x0102_0304), *b"DONE\x04\x03\x02\x01");
        assert_eq!(
            decode_header(b"DATA\x00\x00\x01\x00rest"),
            Some((id::DATA, 65_536))
        );
        assert_eq!(decode_header(b"DATA\x00"), None);
    }

    #[test]
    fn stat_answers_round_trip_and_report_missing_files() {
        let stat = FileStat {
            mode: S_IFREG | 0o644,
            size: 5_000_000_000,
            mtime: 1_700_000_000,
        };
        assert!(stat.is_file() && !stat.is_dir());
        assert_eq!(
            decode_stat_v2(&encode_stat_v2(id::STA2, Ok(&stat))),
            Ok(stat)
        );
        assert_eq!(
            decode_stat_v2(&encode_stat_v2(id::STA2, Err(ENOENT))),
            Err(ENOENT)
        );
        let small = FileStat { size: 10, ..stat };
        assert_eq!(decode_stat_v1(&encode_stat_v1(Some(&small))), Some(small));
        assert_eq!(decode_stat_v1(&encode_stat_v1(None)), None);
        assert_eq!(&encode_stat_v2(id::LST2, Err(1))[..8], b"LST2\x01\0\0\0");
    }
}
